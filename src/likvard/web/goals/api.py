"""API: the plan (goals, indicators, activities), an indicator's outcomes and a school's
targets, with the pages' scoping (city figures for every role; areas and schools as far as
``visible_schools`` reaches)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.errors import HttpError

from likvard.web.accounts.scoping import may_see_aggregates, role_of, visible_schools
from likvard.workflows.goals import indicator_series, plan_dict

from .models import Indicator, SchoolTarget
from .reading import current_plan, goal_data, plan_data

router = Router(tags=["goals"])


def _plan(request: HttpRequest, year: int | None) -> Any:
    if role_of(request.user) is None:
        raise HttpError(403, "ingen roll")
    plan = current_plan(str(year) if year else None)
    if plan is None or (year is not None and plan.year != year):
        raise HttpError(404, "ingen plan för året")
    return plan


@router.get("/goals")
def goals(request: HttpRequest, year: int | None = None) -> Any:
    """The plan of ``year`` (default: the latest): goals, indicators, activities, as
    ``likvard plan`` writes them."""
    return plan_dict(plan_data(_plan(request, year)))


@router.get("/indicators/{key}/outcomes")
def indicator_outcomes(request: HttpRequest, key: str, year: int | None = None) -> Any:
    """One indicator's periods and outcomes with status and trend: the city (by gender where
    the plan asks), the areas a user may see, and the schools a user may see."""
    plan = _plan(request, year)
    get_object_or_404(Indicator, plan=plan, key=key, retired=False)
    s = indicator_series(goal_data(plan, only=key), key)
    visible = set(visible_schools(request.user).values_list("school_unit_code", flat=True))
    role = role_of(request.user)
    areas = s["areas"] if may_see_aggregates(request.user) else ({a: v for a, v in s["areas"].items() if a == request.user.profile.area} if role == "area_chief" else {})
    return {
        "key": key, "name": s["indicator"].name, "unit": s["indicator"].unit, "target": s["indicator"].target, "direction": s["indicator"].direction,
        "periods": s["periods"], "city": s["city"], "areas": areas,
        "schools": [sc for sc in s["schools"] if sc["school_unit_code"] in visible],
    }


@router.get("/schools/{school_unit_code}/targets")
def school_targets(request: HttpRequest, school_unit_code: str) -> Any:
    """The school's own annual targets, by indicator and period."""
    school = get_object_or_404(visible_schools(request.user), school_unit_code=school_unit_code)
    return [{"indicator": t.indicator, "period": t.period, "target": t.target} for t in SchoolTarget.objects.filter(school=school).order_by("indicator", "period")]
