"""The one place that decides which schools a user may see (architecture §3).

Controllers, analysts and administrators see every school; an area chief the schools of
their area; a principal their own school; a committee member no single school (aggregates
only). Every view and API endpoint that returns school data filters through
``visible_schools``; detail views answer 404 outside it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from likvard.web.schools.models import School

ALL_SCHOOLS = ("controller", "analyst", "admin")
AGGREGATES = ("controller", "analyst", "admin", "committee")


def role_of(user: Any) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "profile", None)
    if profile is None:
        return "admin" if user.is_superuser else None
    return str(profile.role)


def visible_schools(user: Any) -> QuerySet[School]:
    role = role_of(user)
    schools = School.objects.all()
    if role in ALL_SCHOOLS:
        return schools
    if role == "area_chief":
        return schools.filter(area=user.profile.area) if user.profile.area else schools.none()
    if role == "principal":
        return schools.filter(school_unit_code=user.profile.school_unit_code)
    return schools.none()


def may_list_schools(user: Any) -> bool:
    return role_of(user) in (*ALL_SCHOOLS, "area_chief", "principal")


def may_see_aggregates(user: Any) -> bool:
    return role_of(user) in AGGREGATES


def may_download_run(user: Any) -> bool:
    return role_of(user) in ALL_SCHOOLS


def may_import(user: Any) -> bool:
    """Controllers import registers and decisions, analysts statistics and registers too."""
    return role_of(user) in ALL_SCHOOLS


def may_run(user: Any) -> bool:
    """Running the year's allocation, changing scenarios and reading the audit log."""
    return role_of(user) in ("controller", "admin")


def may_view_models(user: Any) -> bool:
    return role_of(user) in ALL_SCHOOLS
