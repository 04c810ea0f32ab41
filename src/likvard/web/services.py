"""Named state changes, each in one transaction (architecture §4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy

from likvard.web.accounts.models import Profile
from likvard.web.allocation.models import (
    AllocationRun,
    AuditEntry,
    ResultByGender,
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
        for comp in [*doc.get("component", []), *doc.get("frame", [])]:
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


#: The keys of a model file that hold amounts or shares a controller changes in a scenario,
#: with their labels in the interface (docs/model-format.md lists them all).
AMOUNT_KEYS = {
    "amount": gettext_lazy("Belopp"),
    "base_amount": gettext_lazy("Basbelopp per elev"),
    "budget": gettext_lazy("Budget"),
    "per_pupil": gettext_lazy("Per elev"),
    "per_employee": gettext_lazy("Per anställd"),
    "deduction_max": gettext_lazy("Högsta avdrag"),
    "deduction_share": gettext_lazy("Avdragets andel"),
    "min_share": gettext_lazy("Lägsta andel"),
    "share": gettext_lazy("Andel"),
    "surcharge": gettext_lazy("Påslag"),
    "vat_rate": gettext_lazy("Momssats"),
}


@dataclass(frozen=True)
class AmountField:
    """One amount of the model as a form field: ``key`` is the override path."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class AmountGroup:
    """A component's (or a frame's) amounts, with its source citation."""

    id: str
    label: str
    source: str
    illustrative: bool
    fields: list[AmountField]


def _shown(value: Any) -> str:
    return " ".join(str(value).replace("\u00a0", " ").split())


def editable_amounts(model: Any) -> list[AmountGroup]:
    """Every amount and share in the model, grouped by component, in file order.

    Why generic: the form must cover every rule of the model file, including components a
    municipality adds, without a form class per component kind. Items of lists (grade bands,
    grants, premiums) are labelled by their own label, school or grades.
    """
    groups = []
    for doc in model.raw.values():
        for comp in [*doc.get("frame", []), *doc.get("component", [])]:
            cid = comp.get("id", "")
            fields: list[AmountField] = []
            for key, value in comp.items():
                if key in AMOUNT_KEYS and isinstance(value, str | int | float) and not isinstance(value, bool):
                    fields.append(AmountField(f"{cid}.{key}", str(AMOUNT_KEYS[key]), _shown(value)))
                elif isinstance(value, list):
                    for i, item in enumerate(value):
                        if not isinstance(item, dict):
                            continue
                        name = item.get("label") or item.get("school") or item.get("grades") or item.get("programme") or f"{key} {i + 1}"
                        for ikey, ivalue in item.items():
                            if ikey in AMOUNT_KEYS and isinstance(ivalue, str | int | float) and not isinstance(ivalue, bool):
                                fields.append(AmountField(f"{cid}.{key}.{i}.{ikey}", f"{name}: {str(AMOUNT_KEYS[ikey]).lower()}", _shown(ivalue)))
            if fields:
                groups.append(AmountGroup(cid, comp.get("label", cid), comp.get("source", ""), bool(comp.get("illustrative")), fields))
    return groups


def changed_amounts(model: Any, posted: dict[str, str]) -> dict[str, str]:
    """The posted amounts that differ from the model's (whitespace ignored), by key."""
    current = {f.key: f.value for g in editable_amounts(model) for f in g.fields}
    return {k: _shown(v) for k, v in posted.items() if k in current and _shown(v) != current[k]}


def set_model_value(user: Any, scenario: Scenario, key: str, value: str) -> None:
    """Change one key of a scenario's model (see ``set_model_values``)."""
    set_model_values(user, scenario, {key.strip(): value.strip()})


@transaction.atomic
def set_model_values(user: Any, scenario: Scenario, changes: dict[str, str]) -> None:
    """Change keys of a scenario's model, all or none. Raises ModelError (the CLI's messages)
    when the changed model is not valid; then nothing is saved. One audit entry per key."""
    from likvard.engine.allocation import with_overrides

    changes = {k.strip(): v.strip() for k, v in changes.items()}
    before_model = scenario_model(scenario)
    with_overrides(before_model, [f"{k}={v}" for k, v in changes.items()])  # validate first
    kept = [o for o in scenario.overrides if o.partition("=")[0] not in changes]
    scenario.overrides = kept + [f"{k}={v}" for k, v in changes.items()]
    scenario.save(update_fields=["overrides"])
    for key, value in changes.items():
        before = _current_value(before_model, key)
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

    table, by_gender = expected_results(inputs.pupils, year).published()
    for model, frame in ((ResultByGender, by_gender), (ResultEstimate, table)):
        # the published tables carry every field of the model (figures as text, ".." hidden)
        fields = [f.name for f in model._meta.concrete_fields if f.name not in ("id", "year")]
        model.objects.filter(year=year).delete()
        model.objects.bulk_create(model(year=year, **{f: r[f] for f in fields}) for r in frame.iter_rows(named=True))
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
