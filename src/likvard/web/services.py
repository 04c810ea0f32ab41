"""Named state changes, each in one transaction (architecture §4)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from likvard.web.accounts.models import Profile
from likvard.web.allocation.models import (
    AllocationRun,
    AuditEntry,
    ResultEstimate,
    Scenario,
    Statement,
)
from likvard.web.schools.models import School

RINKEBYSKOLAN = "37416253"
DEMO_USERS = (
    ("ekonom", "controller"),
    ("analytiker", "analyst"),
    ("grundskolechef", "area_chief"),
    ("rektor", "principal"),
    ("namnd", "committee"),
    ("admin", "admin"),
)


@transaction.atomic
def load_schools(inputs: Any) -> int:
    """Create or update the school units of an AllocationInput."""
    n = 0
    for row in inputs.schools.iter_rows(named=True):
        School.objects.update_or_create(
            school_unit_code=row["school_unit_code"],
            defaults={
                "name": row["name"],
                "operator": row["operator"],
                "organiser": row["organiser"] or "",
                "municipality_code": row["municipality_code"],
                "district": row["district"] or "",
                "area": row["area"] or "",
                "school_forms": row["school_forms"] or "",
                "synthetic": bool(row["synthetic"]),
                "synthetic_location": bool(row["synthetic_location"]),
            },
        )
        n += 1
    return n


SUMMARY_KEYS = ("school_unit_code", "name", "operator", "district", "area", "pupils", "index", "need_quartile", "total_ore", "per_pupil_ore", "diff_ore", "diff_total_ore", "before_total_ore")


@transaction.atomic
def store_run(result_dict: dict[str, Any], user: Any = None, scenario: Any = None) -> AllocationRun:
    """Keep the run's summary on the run and each school's statement in its own row, so a
    page or API call reads one school's statement, not the whole run."""
    summaries = [{k: s[k] for k in SUMMARY_KEYS if k in s} for s in result_dict["schools"]]
    run = AllocationRun.objects.create(
        model_id=result_dict["model"]["id"],
        year=result_dict["model"]["year"],
        created_by=user,
        reconciled=result_dict["reconciled"],
        total_ore=result_dict["total_ore"],
        data=dict(result_dict, schools=summaries),
        scenario=scenario,
    )
    Statement.objects.bulk_create(
        [Statement(run=run, school_unit_code=s["school_unit_code"], total_ore=s["total_ore"], data=s) for s in result_dict["schools"]],
        batch_size=500,
    )
    return run


_INPUTS: dict[int, Any] = {}


def demo_inputs(seed: int = 1) -> Any:
    """The demo municipality's inputs, built once per process (they are immutable)."""
    if seed not in _INPUTS:
        from likvard.pipeline import demo_inputs as build

        _INPUTS[seed] = build(seed=seed)
    return _INPUTS[seed]


def run_model(inputs: Any, year: int = 2024) -> dict[str, Any]:
    from likvard.engine.allocation import load_model, run

    return run(load_model(settings.MODEL_DIR), inputs, year).to_dict()


def scenario_model(scenario: Scenario) -> Any:
    """The base model with the scenario's overrides, validated as the CLI validates them."""
    from likvard.engine.allocation import load_model, with_overrides

    model = load_model(settings.MODEL_DIR)
    return with_overrides(model, scenario.overrides) if scenario.overrides else model


@transaction.atomic
def create_scenario(user: Any, name: str, year: int) -> Scenario:
    """A copy of the model to change: for the model's year (a scenario) or for a new year
    (the copy then carries ``model.year`` and ``model.id`` for that year)."""
    from likvard.engine.allocation import load_model

    base = load_model(settings.MODEL_DIR)
    overrides: list[str] = []
    if year != base.year:
        new_id = base.id.replace(str(base.year), str(year)) if str(base.year) in base.id else f"{base.id}-{year}"
        overrides = [f"model.year={year}", f"model.id={new_id}"]
    scenario = Scenario.objects.create(name=name, year=year, overrides=overrides, created_by=user)
    AuditEntry.objects.create(user=user, action="create_scenario", target=f"scenario {scenario.pk}", before=None, after={"name": name, "year": year})
    return scenario


def _current_value(model: Any, key: str) -> Any:
    component, _, rest = key.partition(".")
    for doc in model.raw.values():
        for comp in doc.get("component", []):
            if comp.get("id") == component:
                value: Any = comp
                for part in rest.split("."):
                    if isinstance(value, list) and part.isdigit() and int(part) < len(value):
                        value = value[int(part)]
                    elif isinstance(value, dict) and part in value:
                        value = value[part]
                    else:
                        return None
                return value
    return None


@transaction.atomic
def set_model_value(user: Any, scenario: Scenario, key: str, value: str) -> None:
    """Change one key of a scenario's model. Raises ModelError (the CLI's messages) when the
    changed model is not valid; then nothing is saved."""
    from likvard.engine.allocation import with_overrides

    key, value = key.strip(), value.strip()
    before_model = scenario_model(scenario)
    with_overrides(before_model, [f"{key}={value}"])  # validate first: raises ModelError
    before = _current_value(before_model, key)
    scenario.overrides = [o for o in scenario.overrides if o.partition("=")[0] != key] + [f"{key}={value}"]
    scenario.save(update_fields=["overrides"])
    AuditEntry.objects.create(user=user, action="set_value", target=f"scenario {scenario.pk}: {key}", before={"value": before}, after={"value": value})


@transaction.atomic
def run_scenario(user: Any, scenario: Scenario, seed: int = 1) -> AllocationRun:
    """Run the scenario and its comparison with the unchanged model; store both in one run."""
    from likvard.engine.allocation import compare, load_model, run

    inputs = demo_inputs(seed)
    before = run(load_model(settings.MODEL_DIR), inputs, scenario.year)
    after = run(scenario_model(scenario), inputs, scenario.year)
    data = compare(before, after).to_dict()
    result = store_run(data, user, scenario)
    AuditEntry.objects.create(user=user, action="run_scenario", target=f"scenario {scenario.pk}", before=None, after={"run": result.pk, "overrides": scenario.overrides})
    return result


DEMO_PASSWORD = "demo"  # noqa: S105 (demo mode only; refused without LIKVARD_DEMO=1)


@transaction.atomic
def create_demo_users(password: str = DEMO_PASSWORD) -> list[tuple[str, str, str]]:
    """The demo cast (only in demo mode): returns (username, role, scope)."""
    if not settings.DEMO:
        raise RuntimeError("demo users exist only with LIKVARD_DEMO=1")
    User = get_user_model()
    rinkeby = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    made = []
    for username, role in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = role == "admin"
        user.is_superuser = role == "admin"
        user.save()
        area = rinkeby.area if role == "area_chief" else ""
        code = RINKEBYSKOLAN if role == "principal" else ""
        Profile.objects.update_or_create(user=user, defaults={"role": role, "area": area, "school_unit_code": code})
        made.append((username, role, area or (f"{rinkeby.name} {code}" if code else "")))
    return made


@transaction.atomic
def store_expected_results(inputs: Any, year: int) -> int:
    """Expected results and value added per school (likvard.engine.stats), published form."""
    from likvard.engine.stats import expected_results

    table, _ = expected_results(inputs.pupils, year).published()
    ResultEstimate.objects.filter(year=year).delete()
    ResultEstimate.objects.bulk_create(
        ResultEstimate(
            school_unit_code=r["school_unit_code"],
            year=year,
            outcome=r["outcome"],
            pupils=r["pupils"],
            actual=r["actual"],
            expected=r["expected"],
            value_added=r["value_added"],
            lower=r["lower"],
            upper=r["upper"],
            flag=r["flag"],
        )
        for r in table.iter_rows(named=True)
    )
    return table.height


def load_demo(seed: int = 1, with_users: bool = True) -> tuple[AllocationRun, list[tuple[str, str, str]]]:
    """Schools, the 2024 run and the demo users; idempotent (an existing run is reused)."""
    run = AllocationRun.objects.filter(year=2024, scenario__isnull=True).first()
    if run is None or not School.objects.exists():
        inputs = demo_inputs(seed)
        load_schools(inputs)
        run = store_run(run_model(inputs, 2024))
        store_expected_results(inputs, 2024)
    users = create_demo_users() if with_users and settings.DEMO else []
    return run, users
