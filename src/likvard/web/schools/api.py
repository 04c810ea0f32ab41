"""API: the schools a user may see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError

from likvard.web.accounts.scoping import may_list_schools, visible_schools

router = Router(tags=["schools"])


class SchoolOut(Schema):
    school_unit_code: str
    name: str
    operator: str
    organiser: str
    municipality_code: str
    district: str
    area: str
    school_forms: str
    synthetic: bool


@router.get("/schools", response=list[SchoolOut])
def schools(request: HttpRequest) -> Any:
    if not may_list_schools(request.user):
        raise HttpError(403, "Åtkomst nekad")
    return list(visible_schools(request.user))


@router.get("/schools/{school_unit_code}", response=SchoolOut)
def school(request: HttpRequest, school_unit_code: str) -> Any:
    return get_object_or_404(visible_schools(request.user), school_unit_code=school_unit_code)
