"""The demo municipality, loaded through the same imports as a municipality's own data.

``likvard serve --demo`` and ``make demo`` call ``load_demo``: the demo's files in the import
format (``likvard demo-data``) and Skolverket's published files of its real schools are
imported like any upload, then the allocation of the earlier register years (2021–2023, with
the 2024 model) and of 2024 is run on the stored snapshots and every year's results are
fitted. Only the demo users (password ``demo``) are demo-only, and only with
``LIKVARD_DEMO=1``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from likvard.web.accounts.models import Profile
from likvard.web.allocation.actions import run_year
from likvard.web.allocation.models import AllocationRun
from likvard.web.allocation.reading import latest_run
from likvard.web.imports.actions import import_data, import_skolverket
from likvard.web.results.actions import fit_results
from likvard.web.schools.models import School

RINKEBYSKOLAN = "37416253"
YEAR = 2024
#: The register years whose results the demo fits (the year last).
FITTED_YEARS = (2021, 2022, 2023, 2024)
DEMO_USERS = (
    ("ekonom", "controller"),
    ("analytiker", "analyst"),
    ("grundskolechef", "area_chief"),
    ("rektor", "principal"),
    ("namnd", "committee"),
    ("admin", "admin"),
)
DEMO_PASSWORD = "demo"  # noqa: S105 (demo mode only; refused without LIKVARD_DEMO=1)
#: The demo's run estimates its index from the register (as ``likvard allocate --demo``), so its
#: interim index file is not imported.
FILES = ("schools.csv", "pupils.csv", "decisions.csv", "rsu_groups.csv")


def import_demo(seed: int = 1) -> None:
    """Skolverket's published files of the real schools, then the demo's files (synthetic
    pupils only: nothing personal on disk); the demo's school list has the last word on the
    schools' profile, as a municipality's own list would."""
    from likvard.data.demo import PLANNED_DIR, RESULTS_CSV
    from likvard.data.register import write_dir
    from likvard.workflows import demo_inputs

    outcomes = [import_skolverket(None, [PLANNED_DIR, RESULTS_CSV])]
    from likvard.data.demo_outcomes import DEMO_PLAN, demo_outcomes, demo_targets
    from likvard.data.plan import read_plan
    from likvard.data.skolverket import read_skolverket
    from likvard.web.goals.actions import import_outcomes, import_plan, import_targets

    with tempfile.TemporaryDirectory(prefix="likvard-demo-") as tmp:
        inputs = demo_inputs(seed)
        write_dir(inputs, tmp)
        outcomes.append(import_data(None, [Path(tmp) / f for f in FILES if (Path(tmp) / f).exists()], year=YEAR))
        # the RSU groups stood the earlier years too: their runs (the money question) need them
        outcomes += [import_data(None, [Path(tmp) / "rsu_groups.csv"], year=y) for y in FITTED_YEARS[:-1]]
        # the goal follow-up: the 2024 plan, the synthetic survey, the schools' targets
        plan = read_plan(DEMO_PLAN)
        home = plan.municipality
        demo_outcomes(plan, inputs.schools, home, seed).write_csv(Path(tmp) / "outcomes.csv")
        demo_targets(plan, read_skolverket([PLANNED_DIR, RESULTS_CSV]).statistics, inputs.schools, home, seed).write_csv(Path(tmp) / "targets.csv")
        outcomes.append(import_plan(None, [DEMO_PLAN]))
        outcomes.append(import_outcomes(None, [Path(tmp) / "outcomes.csv"], synthetic=True))
        outcomes.append(import_targets(None, [Path(tmp) / "targets.csv"]))
    # the intervention catalogue: seed 004's items for its five schools, and a synthetic
    # history of support for other own schools (marked synthetic)
    outcomes.append(import_demo_interventions(inputs.schools, home, seed))
    problems = [p for o in outcomes for p in o.problems]
    if problems:  # a bug: the demo is made by the same generators the tests check
        raise RuntimeError("the demo municipality did not import: " + "; ".join(str(p) for p in problems[:5]))


def import_demo_interventions(schools: Any, municipality: str, seed: int = 1) -> Any:
    import polars as pl

    from likvard.data.interventions import DEMO_CATALOGUE, read_interventions
    from likvard.web.interventions.actions import import_catalogue
    from likvard.workflows.interventions import with_synthetic_history

    own = schools.filter((pl.col("operator") == "municipal") & (pl.col("municipality_code") == municipality)).select("school_unit_code", "name").rows()
    return import_catalogue(None, with_synthetic_history(read_interventions(DEMO_CATALOGUE), own, seed))


def load_demo(seed: int = 1, with_users: bool = True) -> tuple[AllocationRun, list[tuple[str, str, str]]]:
    """Schools, register, the runs of 2021–2024, their results and (demo mode) the demo users;
    idempotent: an existing run is reused."""
    run = latest_run(YEAR)
    if run is None or not School.objects.exists():
        import_demo(seed)
        # the money question (results page, annual report) compares money per pupil with
        # value added over the years: the earlier register years run too, with today's model
        # on each year's register (the pages say so). First, so that the budget year's run
        # stays the newest run, which the pages without a year show.
        run_earlier_years(FITTED_YEARS[:-1])
        run = run_year(None, YEAR, index="estimated")
        # every register year's expected results and split by gender: the goal follow-up
        # shows them beside the outcomes of each school year (2021/22–2024/25)
        for year in FITTED_YEARS:
            fit_results(None, year)
        demo_applications()
        demo_dialogues()
    users = create_demo_users() if with_users and settings.DEMO else []
    return run, users


def demo_dialogues(year: int = YEAR - 1) -> list[Any]:
    """Last year's result dialogues of two own schools per area (not Rinkebyskolan, whose
    dialogue the demo leaves for the principal to draft), completed and locked through the
    same steps as an area chief's, so that the area and city summaries have something to show.
    The texts are marked as synthetic examples."""
    from likvard.web.dialogues.actions import lock, save
    from likvard.web.dialogues.models import THEMES
    from likvard.web.interventions.models import Intervention

    support = list(Intervention.objects.filter(retired=False).order_by("key").values_list("pk", flat=True))
    themes = [key for key, _ in THEMES]
    made = []
    areas = sorted({a for a in School.objects.filter(operator="municipal").exclude(area="").values_list("area", flat=True)})
    for i, area in enumerate(areas):
        schools = School.objects.filter(area=area, operator="municipal", synthetic=False).exclude(school_unit_code=RINKEBYSKOLAN).order_by("school_unit_code")[:2]
        for j, school in enumerate(schools):
            k = 2 * i + j
            chosen = [themes[k % len(themes)], themes[(k + 3) % len(themes)]]
            asked = [support[k % len(support)]] if support else []
            texts = {
                "success_factors": "Tydlig struktur i undervisningen och ett gemensamt arbete med läsning (syntetiskt exempel).",
                "development_areas": "Studiero i årskurs 7–9 och närvaron hos några elever (syntetiskt exempel).",
                "money_use": "Den socioekonomiska ersättningen gick till mindre undervisningsgrupper och speciallärare (syntetiskt exempel).",
                "agreed_actions": "Skolan följer upp närvaron varje månad; förvaltningen erbjuder stöd ur katalogen (syntetiskt exempel).",
            }
            made.append(lock(None, save(None, school, year, texts, chosen, asked, complete=True)))
    return made


def demo_applications() -> list[Any]:
    """A few support applications for next year (synthetic pupils of the register), made
    through the same steps as a principal's and the office's: one granted with extensive needs,
    one refused, one waiting at Rinkebyskolan, one granted elsewhere in its area. Their periods
    lie in the year after the demo's runs, so the stored runs stay as they are; the next year's
    run pays the grants."""
    import datetime as dt

    import polars as pl

    from likvard.web.imports import snapshots
    from likvard.web.support.actions import apply, grant, refuse

    own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    register = snapshots.columns_of(snapshots.current("pupils", [YEAR])[0], ["pupil_id", "school_unit_code", "school_form", "home_municipality"])
    register = register.filter((pl.col("school_form") == "gr") & (pl.col("home_municipality") == own.municipality_code))
    neighbour = School.objects.filter(area=own.area, operator="municipal").exclude(pk=own.pk).order_by("school_unit_code").first()
    start, end = dt.date(YEAR + 1, 1, 1), dt.date(YEAR + 1, 6, 30)

    def pupils(school: School, n: int) -> list[str]:
        return register.filter(pl.col("school_unit_code") == school.school_unit_code).sort("pupil_id")["pupil_id"].head(n).to_list()

    made = []
    a, b, c = pupils(own, 3)
    needs = (
        "Eleven behöver en elevassistent under hela skoldagen och anpassat material i alla ämnen.",
        "Eleven behöver stöd av specialpedagog två timmar om dagen i svenska och matematik.",
        "Eleven behöver en anpassad lärmiljö i liten grupp under en del av dagen.",
    )
    made.append(grant(None, apply(None, own, a, {"need": needs[0]}, 18_000_000, start, end, extensive_asked=True), 18_000_000, start, end, extensive=True, note="Beviljas enligt ansökan (syntetiskt exempel)."))
    made.append(refuse(None, apply(None, own, b, {"need": needs[1]}, 9_000_000, start, end), "Behovet ryms inom skolans ordinarie stöd och den socioekonomiska ersättningen (syntetiskt exempel)."))
    made.append(apply(None, own, c, {"need": needs[2]}, 12_000_000, start, dt.date(YEAR + 1, 12, 31)))
    if neighbour is not None and pupils(neighbour, 1):
        d = pupils(neighbour, 1)[0]
        made.append(grant(None, apply(None, neighbour, d, {"need": needs[0]}, 15_000_000, start, end), 12_000_000, start, end, extensive=False, note="Beviljas delvis (syntetiskt exempel)."))
    return made


def run_earlier_years(years: tuple[int, ...]) -> dict[int, str]:
    """The allocation of each earlier register year with the configured model; a year that
    cannot run is skipped, and the reason kept (returned by year, and in the log)."""
    import logging

    from likvard.engine.allocation import AllocationError, ModelError
    from likvard.workflows import WorkflowError

    skipped: dict[int, str] = {}
    for year in years:
        try:
            run_year(None, year, index="estimated")
        except (WorkflowError, AllocationError, ModelError) as exc:
            skipped[year] = str(exc)
            logging.getLogger(__name__).warning("demo: no allocation for %s: %s", year, exc)
    return skipped


@transaction.atomic
def create_demo_users(password: str = DEMO_PASSWORD) -> list[tuple[str, str, str]]:
    """The demo cast (only in demo mode): returns (username, role, scope)."""
    if not settings.DEMO:
        raise RuntimeError("demo users exist only with LIKVARD_DEMO=1")
    User = get_user_model()
    rinkeby = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    made: list[tuple[str, str, str]] = []
    for username, role in DEMO_USERS:
        user: Any
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = user.is_superuser = role == "admin"
        user.save()
        area = rinkeby.area if role == "area_chief" else ""
        code = RINKEBYSKOLAN if role == "principal" else ""
        Profile.objects.update_or_create(user=user, defaults={"role": role, "area": area, "school_unit_code": code})
        made.append((username, role, area or (f"{rinkeby.name} {code}" if code else "")))
    return made
