"""Users and tokens: created by named actions that check the scope and write the audit row."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from likvard.web.audit.actions import record
from likvard.web.schools.models import School

from .models import ROLES, ApiToken, Profile


class AccountError(ValueError):
    """A user that cannot be created as asked; the message says why."""


def check_scope(role: str, school: str = "", area: str = "") -> None:
    """A role that exists, with the scope it needs: a principal a school of the register of
    schools, an area chief an area that some school has."""
    roles = dict(ROLES)
    if role not in roles:
        raise AccountError(f"okänd roll {role!r} (tillåtna: {', '.join(roles)})")
    if role == "principal" and not School.objects.filter(school_unit_code=school).exists():
        raise AccountError(f"en rektor behöver en skola i skolregistret (--school KOD); {school or 'ingen'} finns inte")
    if role == "area_chief" and not School.objects.filter(area=area).exclude(area="").exists():
        known = sorted(a for a in set(School.objects.values_list("area", flat=True)) if a)
        raise AccountError(f"en grundskolechef behöver ett skolområde (--area NAMN); kända: {', '.join(known) or 'inga'}")


@transaction.atomic
def add_user(actor: Any, username: str, *, role: str, password: str, school: str = "", area: str = "") -> Any:
    """Create (or re-role) a user with a role and its scope (``check_scope``); the password
    must pass the configured validators."""
    check_scope(role, school, area)
    User = get_user_model()
    user = User.objects.filter(username=username).first() or User(username=username)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None
    user.set_password(password)
    user.is_staff = user.is_superuser = role == "admin"
    user.save()
    Profile.objects.update_or_create(
        user=user, defaults={"role": role, "school_unit_code": school if role == "principal" else "", "area": area if role == "area_chief" else ""}
    )
    record(actor, "add_user", username, after={"role": role, "school": school if role == "principal" else "", "area": area if role == "area_chief" else ""})
    return user


@transaction.atomic
def issue_token(actor: Any, user: Any) -> str:
    """A personal API token for ``user``, shown once; only its hash is stored."""
    token = ApiToken.issue(user)
    record(actor, "issue_token", user.get_username())
    return token
