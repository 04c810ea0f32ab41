"""API: a school's statement and a run's reconciliation, from the stored runs."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.errors import HttpError

from likvard.web.accounts.scoping import may_see_aggregates, visible_schools

from . import reading
from .models import AllocationRun

router = Router(tags=["allocation"])


@router.get("/schools/{school_unit_code}/statement")
def statement(request: HttpRequest, school_unit_code: str, year: int) -> Any:
    """The school's statement in the year's latest run (the JSON of ``likvard allocate``)."""
    get_object_or_404(visible_schools(request.user), school_unit_code=school_unit_code)
    run = reading.latest_run(year)
    st = reading.statement(run, school_unit_code) if run else None
    if run is None or st is None:
        raise Http404
    return {"model": run.summary.get("model"), "run_id": run.pk, **st.to_dict()}


@router.get("/allocation/runs/{run_id}/reconciliation")
def reconciliation(request: HttpRequest, run_id: int) -> Any:
    if not may_see_aggregates(request.user):
        raise HttpError(403, "Åtkomst nekad")
    from likvard.web.accounts.scoping import may_view_models

    runs = AllocationRun.objects.all() if may_view_models(request.user) else AllocationRun.objects.filter(kind="run")  # drafts stay with their owners
    run = get_object_or_404(runs, pk=run_id)
    return {"run_id": run.pk, "model": run.summary.get("model"), "reconciled": run.reconciled, "total_ore": run.total_ore, "pots": reading.pot_dicts(run)}
