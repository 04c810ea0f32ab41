"""REST API under /api/v1/ (django-ninja): personal tokens or the session, same scoping."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from likvard.web.accounts.models import ApiToken
from likvard.web.accounts.scoping import may_list_schools, may_see_aggregates, visible_schools
from likvard.web.allocation.models import AllocationRun


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(token)).first()
        if found is None or not found.user.is_active:
            return None
        request.user = found.user
        return found.user


api = NinjaAPI(title="Likvärd API", version="1", urls_namespace="api", auth=[TokenAuth(), django_auth], docs_url=None)  # no CDN-hosted docs UI


class SchoolOut(Schema):
    school_unit_code: str
    name: str
    operator: str
    municipality_code: str
    district: str
    area: str
    synthetic: bool


@api.get("/schools", response=list[SchoolOut])
def schools(request: HttpRequest) -> Any:
    if not may_list_schools(request.user):
        raise HttpError(403, "Åtkomst nekad")
    return list(visible_schools(request.user))


@api.get("/schools/{school_unit_code}", response=SchoolOut)
def school(request: HttpRequest, school_unit_code: str) -> Any:
    return get_object_or_404(visible_schools(request.user), school_unit_code=school_unit_code)


@api.get("/schools/{school_unit_code}/statement")
def statement(request: HttpRequest, school_unit_code: str, year: int) -> Any:
    get_object_or_404(visible_schools(request.user), school_unit_code=school_unit_code)
    run = AllocationRun.objects.filter(year=year, scenario__isnull=True).first()
    st = run.statement(school_unit_code) if run else None
    if st is None:
        raise Http404
    return {"model": run.data["model"], "run_id": run.pk, **st}


@api.get("/allocation/runs/{run_id}/reconciliation")
def reconciliation(request: HttpRequest, run_id: int) -> Any:
    if not may_see_aggregates(request.user):
        raise HttpError(403, "Åtkomst nekad")
    run = get_object_or_404(AllocationRun, pk=run_id)
    return {"run_id": run.pk, "model": run.data["model"], "reconciled": run.reconciled, "total_ore": run.total_ore, "pots": run.data["pots"]}
