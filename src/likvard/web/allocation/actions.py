"""Runs and scenarios: named state changes, each in one transaction with its audit row.

A run reads the stored register snapshots of its year (never the demo generator), the
model version it is given and the index the model needs — imported, or estimated with the
index model stored for these snapshots (re-applied) or fitted now and stored — and keeps all
of that with its numbers (architecture §4, issue 7).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from likvard.engine.allocation import AllocationResult
from likvard.engine.stats import IndexModel
from likvard.money import MoneyError, format_ore, parse_money
from likvard.web.audit.actions import record
from likvard.web.imports import snapshots
from likvard.web.imports.models import Snapshot
from likvard.web.results.actions import index_fit_for, save_index_fit
from likvard.web.schools.models import School
from likvard.web.support.actions import with_support
from likvard.workflows import (
    IndexMode,
    IndexUsed,
    WorkflowError,
    allocate,
    compare_models,
    load_model,
    scenario_model,
    sweep_model,
)

from .models import AllocationRun, Pot, Scenario, SchoolAllocation

__all__ = ["create_scenario", "run_scenario", "run_sweep", "run_year", "set_model_values"]


def _index_inputs(year: int, chosen: list[Snapshot], municipality: str) -> tuple[Any, IndexModel | None, Any]:
    pupils = [s for s in chosen if s.kind == "pupils"]
    if not pupils:
        raise WorkflowError(f"det finns inget importerat elevregister för {year}; importera ett först", file="elevregistret")
    stored = index_fit_for(year, pupils, municipality)
    return pupils, IndexModel.from_dict(stored.model) if stored else None, stored


def _inputs(chosen: list[Snapshot], year: int) -> tuple[Any, list[dict[str, Any]]]:
    """The run's inputs: the snapshots, and the year's granted support applications as
    decisions (the ones whose pupil the register lacks are returned, to be shown)."""
    return with_support(snapshots.inputs(chosen, snapshots.describe(chosen)), year)


def _store(actor: Any, kind: str, year: int, result: AllocationResult, index: IndexUsed, chosen: list[Snapshot], pupils: list[Snapshot], stored_fit: Any, scenario: Scenario | None, extra: dict[str, Any], diffs: dict[str, Any] | None = None) -> AllocationRun:
    fit = stored_fit
    if index.source == "estimated" and fit is None and index.model is not None:
        fit = save_index_fit(year, pupils, index.model)
    run = AllocationRun.objects.create(
        kind=kind,
        year=year,
        model_id=result.model.id,
        model_version=result.model.version,
        model_name=result.model.name,
        overrides=[{"key": k, "value": v} for k, v in result.model.overrides],
        scenario=scenario,
        created_by=actor if getattr(actor, "pk", None) else None,
        reconciled=result.reconciled,
        total_ore=result.total_ore(),
        data_source=result.source,
        index_source=index.source,
        index_fit=fit if index.source == "estimated" else None,
        summary={"model": result.model_dict(), "components": result.components_dict(), "labels": result.labels_dict(), "unallocated": [u.to_dict() for u in result.unallocated], **extra},
    )
    run.snapshots.set(chosen)
    from likvard.engine.allocation import pot_dict

    Pot.objects.bulk_create(Pot(run=run, position=i, **_pot_fields(pot_dict(p))) for i, p in enumerate(result.pots))
    ids = dict(School.objects.values_list("school_unit_code", "pk"))
    rows = []
    for s in result.statements():
        d = (diffs or {}).get(s.school_unit_code, {})
        rows.append(
            SchoolAllocation(
                run=run, school_id=ids[s.school_unit_code], pupils=s.pupils, index=s.index, index_basis=s.index_basis or "",
                need_quartile=s.need_quartile, total_ore=s.total_ore, per_pupil_ore=s.per_pupil_ore, lines=[ln.stored() for ln in s.lines],
                before_total_ore=d.get("before_total_ore"), diff_total_ore=d.get("diff_total_ore"), diff_ore=d.get("diff_ore", {}),
            )
        )
    SchoolAllocation.objects.bulk_create(rows, batch_size=500)
    return run


def _pot_fields(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "pot_id": p["id"], "label": p["label"], "kind": p["kind"], "component": p["component"] or "",
        "amount_ore": p["amount_ore"], "distributed_ore": p["distributed_ore"], "difference_ore": p["difference_ore"], "note": p["note"] or "",
    }


@transaction.atomic
def run_year(actor: Any, year: int, *, model_dir: str | None = None, index: IndexMode = "auto") -> AllocationRun:
    """The year's allocation on the stored data with the model of ``model_dir`` (default: the
    configured model); stored with everything it rested on."""
    model = load_model(model_dir or settings.MODEL_DIR)
    chosen = snapshots.for_year(year)
    pupils, index_model, stored_fit = _index_inputs(year, chosen, model.municipality)
    inputs, left_out = _inputs(chosen, year)
    allocation = allocate(model, inputs, year, index=index, index_model=index_model, index_file="indexet", register_file="elevregistret")
    run = _store(actor, "run", year, allocation.result, allocation.index, chosen, pupils, stored_fit, None, {"data_source": allocation.result.source, "support_left_out": left_out})
    record(actor, "run_allocation", f"körning {run.pk} ({model.id}, {year})", after={"run": run.pk, "reconciled": run.reconciled, "total_ore": run.total_ore, "index": allocation.index.source})
    return run


@transaction.atomic
def create_scenario(actor: Any, name: str, year: int) -> Scenario:
    """A copy of the model to change: for the model's year (a scenario) or for a new year
    (the copy then carries ``model.year`` and ``model.id`` for that year)."""
    base = load_model(settings.MODEL_DIR)
    overrides: list[str] = []
    if year != base.year:
        new_id = base.id.replace(str(base.year), str(year)) if str(base.year) in base.id else f"{base.id}-{year}"
        overrides = [f"model.year={year}", f"model.id={new_id}"]
    scenario = Scenario.objects.create(name=name, year=year, overrides=overrides, created_by=actor)
    record(actor, "create_scenario", f"scenario «{scenario.name}»", after={"name": name, "year": year})
    return scenario


def current_value(model: Any, key: str) -> Any:
    """The value of ``component.key`` (or a path into its lists) in the model's files."""
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


def scenario_changes(base: Any, overrides: list[str]) -> list[dict[str, Any]]:
    """Each changed amount in the form's words, with the model's value before: what the
    comparison page says when it explains a school's difference ("grundbeloppet höjdes från
    3 000 kr till 3 500 kr"). Keys that are not a component's (``model.year``) are left out."""
    from .amounts import editable_amounts

    fields = {f.key: f.label for g in editable_amounts(base) for f in g.fields}
    components = {c.id for c in base.components}
    changes = []
    for override in overrides:
        key, _, value = override.partition("=")
        component = key.split(".", 1)[0]
        if component not in components:
            continue
        label = fields.get(key, key.split(".", 1)[-1])
        before = current_value(base, key)
        changes.append({"key": key, "component": component, "label": label, "before": _as_shown(before), "after": _as_shown(value)})
    return changes


def shown_value(value: str, label: str) -> str:
    """A swept value as the form shows it: an amount in kronor ("1 000 kr"); a share, or any
    value whose field is not an amount, as written."""
    if "andel" in label.lower() or "%" in value:
        return value
    return _as_shown(value)


def _as_shown(value: Any) -> str:
    """An amount in the statement's notation (``3000`` → ``3 000 kr``); shares and other
    values as written."""
    if value is None:
        return ""
    try:
        return format_ore(parse_money(str(value)))
    except MoneyError:
        return str(value)


def model_of(scenario: Scenario) -> Any:
    """The base model with the scenario's overrides, validated as the CLI validates them."""
    return scenario_model(settings.MODEL_DIR, scenario.overrides)


@transaction.atomic
def set_model_values(actor: Any, scenario: Scenario, changes: dict[str, str]) -> None:
    """Change keys of a scenario's model, all or none. Raises ModelError (the CLI's messages)
    when the changed model is not valid; then nothing is saved. One audit entry per key."""
    changes = {k.strip(): v.strip() for k, v in changes.items()}
    before_model = model_of(scenario)
    kept = [o for o in scenario.overrides if o.partition("=")[0] not in changes]
    overrides = kept + [f"{k}={v}" for k, v in changes.items()]
    scenario_model(settings.MODEL_DIR, overrides)  # validate first
    scenario.overrides = overrides
    scenario.save(update_fields=["overrides"])
    for key, value in changes.items():
        record(actor, "set_value", f"scenario «{scenario.name}»: {key}", before={"value": current_value(before_model, key)}, after={"value": value})


@transaction.atomic
def run_scenario(actor: Any, scenario: Scenario) -> AllocationRun:
    """The scenario and the unchanged model on the year's stored data and the same index;
    stored as one comparison run (the scenario's amounts and the differences per school)."""
    base = load_model(settings.MODEL_DIR)
    after = model_of(scenario)
    year = scenario.year
    chosen = snapshots.for_year(year)
    pupils, index_model, stored_fit = _index_inputs(year, chosen, base.municipality)
    inputs, left_out = _inputs(chosen, year)
    comparison, index = compare_models(base, after, inputs, year, index_model=index_model, index_file="indexet", register_file="elevregistret")
    data = comparison.to_dict()
    diffs = {s["school_unit_code"]: s for s in data["schools"]}
    extra = {k: data[k] for k in ("baseline", "components_diff", "winners", "losers")}
    extra["data_source"] = comparison.after.source
    extra["support_left_out"] = left_out
    extra["changes"] = scenario_changes(base, scenario.overrides)
    run = _store(actor, "comparison", year, comparison.after, index, chosen, pupils, stored_fit, scenario, extra, diffs)
    record(actor, "run_scenario", f"scenario «{scenario.name}»", after={"run": run.pk, "overrides": scenario.overrides})
    return run


def run_sweep(year: int, varied: list[Any]) -> Any:
    """The configured model under every value of the varied keys, on the year's stored data
    and the same index as a run: nothing is stored (a sweep is a look at the curve, not a
    decision). Raises ModelError, AllocationError or WorkflowError with the CLI's messages."""
    base = load_model(settings.MODEL_DIR)
    chosen = snapshots.for_year(year)
    _pupils, index_model, _stored = _index_inputs(year, chosen, base.municipality)
    inputs, _left_out = _inputs(chosen, year)
    return sweep_model(base, inputs, varied, year, index_model=index_model, index_file="indexet", register_file="elevregistret")
