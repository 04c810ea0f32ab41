"""Reading stored runs back as the engine's typed statements and the JSON of ``allocate``.

Why one reader: the school page, the statement PDF, the run workbook, the API and
``likvard run --json`` must show the same lines and the same explanations; all of them read a
run through these functions.
"""

from __future__ import annotations

from typing import Any

from likvard.engine.allocation import Statement, StatementLine

from .models import AllocationRun, Pot, SchoolAllocation


def latest_run(year: int | None = None) -> AllocationRun | None:
    """The newest run of the year's model on stored data (not a scenario's comparison)."""
    runs = AllocationRun.objects.filter(kind="run")
    if year is not None:
        runs = runs.filter(year=year)
    return runs.first()


def _statement(row: SchoolAllocation) -> Statement:
    school = row.school
    return Statement(
        school_unit_code=school.school_unit_code,
        name=school.name,
        operator=school.operator,
        municipality_code=school.municipality_code,
        district=school.district or None,
        area=school.area or None,
        synthetic=school.synthetic,
        pupils=row.pupils,
        index=row.index,
        index_basis=row.index_basis or None,
        need_quartile=row.need_quartile,
        lines=tuple(StatementLine.from_stored(ln) for ln in row.lines),
    )


def statement(run: AllocationRun, code: str) -> Statement | None:
    """One school's statement in ``run``, or None when the run did not pay the school."""
    row = SchoolAllocation.objects.filter(run=run, school__school_unit_code=code).select_related("school").first()
    return _statement(row) if row else None


def statements(run: AllocationRun) -> list[Statement]:
    return [_statement(r) for r in SchoolAllocation.objects.filter(run=run).select_related("school").order_by("school__school_unit_code")]


def pot_dicts(run: AllocationRun) -> list[dict[str, Any]]:
    return [
        {"id": p.pot_id, "label": p.label, "kind": p.kind, "component": p.component or None, "amount_ore": p.amount_ore,
         "distributed_ore": p.distributed_ore, "difference_ore": p.difference_ore, "note": p.note}
        for p in Pot.objects.filter(run=run).order_by("position")
    ]


def run_dict(run: AllocationRun) -> dict[str, Any]:
    """The run in the JSON shape of ``likvard allocate`` (a comparison: of ``compare``)."""
    rows = SchoolAllocation.objects.filter(run=run).select_related("school").order_by("school__school_unit_code")
    schools = []
    for r in rows:
        d = _statement(r).to_dict()
        if run.is_comparison:
            d.update(diff_ore=r.diff_ore, diff_total_ore=r.diff_total_ore or 0, before_total_ore=r.before_total_ore or 0)
        schools.append(d)
    out: dict[str, Any] = {
        "run_id": run.pk,
        "model": run.summary.get("model", {"id": run.model_id, "year": run.year, "name": run.model_name}),
        "labels": run.summary.get("labels", {}),
        "data_source": run.data_source,
        "index_source": run.index_source,
        "components": run.summary.get("components", []),
        "pots": pot_dicts(run),
        "reconciled": run.reconciled,
        "total_ore": run.total_ore,
        "schools": schools,
    }
    for key in ("baseline", "components_diff", "winners", "losers"):
        if key in run.summary:
            out[key] = run.summary[key]
    return out
