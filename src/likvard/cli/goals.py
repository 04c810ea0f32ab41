"""``likvard plan`` and ``outcomes``: the committee's goal plan and indicator outcomes, on
files or the demo.

A data directory (``--data DIR``) holds, beside the register (``schools.csv``, ``pupils.csv``),
``plan.toml`` (or ``plan-YEAR.toml``), and optionally ``outcomes.csv``, ``targets.csv`` and a
``skolverket/`` directory of Skolverket's published files (docs/formats.md). ``likvard
demo-data`` writes the demo in exactly that form; ``--demo`` reads the same files.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import DEFAULT_MODEL, demo_notice, fail, t, user_errors, write_bytes, write_json

if TYPE_CHECKING:
    from likvard.workflows.goals import GoalData

#: The demo's plan (``likvard.data.demo_outcomes.DEMO_PLAN``; the constant is not imported
#: here so that ``--help`` stays fast).
DEFAULT_PLAN = os.environ.get("LIKVARD_PLAN_FILE") or str(Path(__file__).resolve().parents[3] / "plans" / "stockholm-2024" / "plan.toml")

DemoOpt = Annotated[bool, typer.Option("--demo", help=t("Demokommunen (syntetiska elever, verkliga skolor).", "The demo municipality (synthetic pupils, real schools)."))]
DataOpt = Annotated[Path | None, typer.Option("--data", help=t("Katalog med register, plan.toml och utfall (docs/formats.md).", "Directory with register, plan.toml and outcomes (docs/formats.md)."))]
YearOpt = Annotated[int, typer.Option("--year", help=t("Planens år.", "The plan's year."))]
JsonOpt = Annotated[Path | None, typer.Option("--json", help=t("Skriv resultatet som JSON.", "Write the result as JSON."))]


def _plan_file(data: Path, year: int) -> Path:
    for name in (f"plan-{year}.toml", "plan.toml"):
        if (data / name).is_file():
            return data / name
    fail(t(f"{data} har ingen plan.toml (eller plan-{year}.toml): målen, indikatorerna och aktiviteterna, docs/formats.md",
                 f"{data} has no plan.toml (or plan-{year}.toml): the goals, indicators and activities, docs/formats.md"))


def goal_data_from_dir(data: Path, year: int, municipality: str | None = None) -> GoalData:
    """Read a data directory's plan, register, Skolverket files, outcomes and targets."""
    import polars as pl

    from likvard.data.outcomes import read_outcomes, read_targets
    from likvard.data.plan import read_plan
    from likvard.data.register import read_dir
    from likvard.data.skolverket import read_skolverket
    from likvard.workflows.goals import GoalData

    plan = read_plan(_plan_file(data, year))
    if plan.year != year:
        fail(t(f"planen i {plan.file} gäller {plan.year}, inte {year}", f"the plan in {plan.file} is for {plan.year}, not {year}"))
    register = read_dir(data)
    home = municipality or plan.municipality or _model_municipality()
    schools = register.schools
    keys = [i.key for i in plan.indicators]
    areas = dict(schools.select("school_unit_code", "area").iter_rows())
    outcomes = read_outcomes(data / "outcomes.csv", keys, areas, synthetic=_synthetic(data)) if (data / "outcomes.csv").is_file() else None
    targets = read_targets(data / "targets.csv", keys, set(areas)) if (data / "targets.csv").is_file() else None
    statistics = None
    sk = data / "skolverket"
    if sk.is_dir():
        published = read_skolverket(sorted(sk.iterdir()))  # the files and directories in it (a directory of API responses, CSV exports)
        if published.problems:
            fail("; ".join(str(p) for p in published.problems[:5]))
        statistics = published.statistics
    kwargs = {k: v for k, v in (("outcomes", outcomes), ("targets", targets), ("statistics", statistics)) if v is not None}
    from likvard.workflows.goals import grade9_pupils

    pupils = register.pupils.filter(pl.col("grade").is_in(["6", "9"]))
    return GoalData(plan=plan, municipality=home, schools=schools, register=pupils, grade9_pupils=grade9_pupils(pupils), **kwargs)


def _synthetic(data: Path) -> bool:
    """The demo's outcomes say they are synthetic (its README says so)."""
    readme = data / "README.txt"
    return readme.is_file() and "syntet" in readme.read_text(encoding="utf-8").lower()


def _model_municipality() -> str:
    from likvard.workflows import load_model

    return load_model(Path(DEFAULT_MODEL)).municipality


def write_demo_dir(out: Path, seed: int = 1) -> None:
    """The demo's register and goal files (``likvard demo-data`` writes the same)."""
    from likvard.data.demo import PLANNED_DIR, RESULTS_CSV
    from likvard.data.demo_outcomes import write_goal_files
    from likvard.data.register import write_dir
    from likvard.data.skolverket import read_skolverket
    from likvard.workflows import demo_inputs

    inputs = demo_inputs(seed)
    write_dir(inputs, out)
    statistics = read_skolverket([PLANNED_DIR, RESULTS_CSV]).statistics
    write_goal_files(out, Path(DEFAULT_PLAN), inputs.schools, statistics, _model_municipality(), seed)


def load(demo: bool, data: Path | None, year: int) -> GoalData:
    if demo == (data is not None):
        fail(t("ange antingen --demo eller --data KATALOG", "give either --demo or --data DIR"))
    if data is not None:
        return goal_data_from_dir(data, year)
    demo_notice(1)
    with tempfile.TemporaryDirectory(prefix="likvard-goals-") as tmp:
        write_demo_dir(Path(tmp))
        return goal_data_from_dir(Path(tmp), year)


def plan_cmd(demo: DemoOpt = False, data: DataOpt = None, year: YearOpt = 2024, json_out: JsonOpt = None) -> None:
    """The plan's goals, indicators and activities."""
    from likvard.workflows.goals import plan_dict

    with user_errors():
        goals = load(demo, data, year)
        doc = plan_dict(goals.plan)
        if json_out:
            write_json(json_out, doc)
    c = goals.plan.counts()
    typer.echo(t(f"Plan {goals.plan.year}, {goals.plan.organisation}: {c['direction']} inriktningsmål, {c['area']} mål för verksamhetsområdet, {c['committee']} nämndmål, {c['indicators']} indikatorer, {c['activities']} aktiviteter.",
                 f"Plan {goals.plan.year}, {goals.plan.organisation}: {c['direction']} direction goals, {c['area']} area goals, {c['committee']} committee goals, {c['indicators']} indicators, {c['activities']} activities."))
    if json_out:
        typer.echo(f"{t('Skrev', 'Wrote')} {json_out}")


def outcomes_cmd(
    school: Annotated[str, typer.Option("--school", help=t("Skolenhetskod.", "School unit code."))],
    demo: DemoOpt = False,
    data: DataOpt = None,
    year: YearOpt = 2024,
    json_out: JsonOpt = None,
) -> None:
    """One school's outcomes for every indicator of the plan, with status."""
    from likvard.workflows.goals import school_outcomes

    with user_errors():
        goals = load(demo, data, year)
        if school not in set(goals.schools["school_unit_code"].to_list()):
            fail(t(f"skolenheten {school} finns inte i skolregistret", f"school unit {school} is not in the school register"))
        indicators = school_outcomes(goals, school)
        if json_out:
            write_json(json_out, {"school_unit_code": school, "plan_year": year, "indicators": indicators})
    name = dict(goals.schools.select("school_unit_code", "name").iter_rows()).get(school, school)
    typer.echo(f"{name} ({school})")
    for ind in indicators:
        shown = [o for o in ind["outcomes"] if "gender" not in o]
        if not shown:
            continue
        series = ", ".join(f"{o['period']} " + (".." if o["value"] is None else f"{o['value']:.1f}") for o in shown[-5:])
        typer.echo(f"  {ind['name'][:60]:<60} {series}")
    if json_out:
        typer.echo(f"{t('Skrev', 'Wrote')} {json_out}")


def report_cmd(
    period: Annotated[str, typer.Option("--period", help=t("T1, T2 eller year (verksamhetsberättelsen).", "T1, T2 or year (the annual report)."))],
    demo: DemoOpt = False,
    data: DataOpt = None,
    year: YearOpt = 2024,
    pdf: Annotated[Path | None, typer.Option("--pdf", help=t("Skriv rapporten som PDF (taggad).", "Write the report as a (tagged) PDF."))] = None,
    docx: Annotated[Path | None, typer.Option("--docx", help=t("Skriv rapporten som redigerbart Word-dokument.", "Write the report as an editable Word document."))] = None,
    json_out: JsonOpt = None,
) -> None:
    """The tertial or annual report of the plan: per goal its indicators and activities."""
    from likvard.workflows.goals import REPORT_PERIODS, report

    if period not in REPORT_PERIODS:
        fail(t(f"--period ska vara T1, T2 eller year, inte {period!r}", f"--period must be T1, T2 or year, not {period!r}"))
    if not (pdf or docx or json_out):
        fail(t("ange --pdf FIL, --docx FIL eller --json FIL", "give --pdf FILE, --docx FILE or --json FILE"))
    with user_errors():
        goals = load(demo, data, year)
        doc = report(goals, period)
        if json_out:
            write_json(json_out, doc)
        from likvard.exports.report import report_docx, report_pdf

        write_bytes(pdf, lambda: report_pdf(doc))
        write_bytes(docx, lambda: report_docx(doc))
    s = doc["summary"]
    typer.echo(t(f"Rapport {period} {year}: {doc['indicators']} indikatorer — {s['met']} uppfyllda, {s['partly_met']} delvis, {s['not_met']} ej uppfyllda, {s['no_data']} utan uppgift.",
                 f"Report {period} {year}: {doc['indicators']} indicators — {s['met']} met, {s['partly_met']} partly, {s['not_met']} not met, {s['no_data']} without data."))
    for path in (pdf, docx, json_out):
        if path:
            typer.echo(f"{t('Skrev', 'Wrote')} {path}")


def register(app: typer.Typer) -> None:
    app.command("plan", help=t("Nämndens mål, indikatorer och aktiviteter för ett år.", "The committee's goals, indicators and activities for a year."))(plan_cmd)
    app.command("report", help=t("Tertialrapport eller verksamhetsberättelse som PDF och Word.", "A tertial or annual report as PDF and Word."))(report_cmd)
    app.command("outcomes", help=t("En skolas utfall för planens indikatorer, med status.", "A school's outcomes for the plan's indicators, with status."))(outcomes_cmd)
