"""API: Skolverket's published statistics of a school, as published."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from likvard.web.accounts.scoping import visible_schools

from .models import PublishedStatistic

router = Router(tags=["results"])


class StatisticOut(Schema):
    indicator: str
    period: str
    value: float | None
    marker: str
    published: str


@router.get("/schools/{school_unit_code}/statistics", response=list[StatisticOut])
def statistics(request: HttpRequest, school_unit_code: str, indicator: str | None = None) -> Any:
    """Every published figure of the school (``value`` null where Skolverket publishes a marker
    such as ``..`` instead of a number), oldest school year first."""
    school = get_object_or_404(visible_schools(request.user), school_unit_code=school_unit_code)
    rows = PublishedStatistic.objects.filter(school=school).order_by("indicator", "period")
    if indicator:
        rows = rows.filter(indicator=indicator)
    return list(rows)
