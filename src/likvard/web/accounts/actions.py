"""Users and tokens: created by named actions that check the scope and write the audit row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

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
def issue_token(actor: Any, user: Any, *, expires_days: int | None = None) -> str:
    """A personal API token for ``user``, shown once; only its hash (and a short prefix to
    recognise it by) is stored. ``expires_days``: refused after that many days."""
    if expires_days is not None and expires_days < 1:
        raise AccountError(f"en nyckel måste gälla minst en dag (--expires-days {expires_days})")
    expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
    token, row = ApiToken.issue(user, expires_at=expires_at)
    record(actor, "issue_token", f"{user.get_username()} {row.prefix}…", after={"value": expires_at.date().isoformat() if expires_at else None})
    return token


def list_tokens(user: Any) -> QuerySet[ApiToken]:
    """``user``'s tokens, newest first, revoked and expired ones too."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


@transaction.atomic
def revoke_token(actor: Any, token: ApiToken) -> bool:
    """Revoke one token (``actor``: its owner, an administrator, or None for the command line).
    False if it was already revoked: nothing changes and nothing is audited."""
    if actor is not None and actor.pk != token.user_id and not actor.is_superuser:
        raise AccountError("bara nyckelns ägare eller en administratör kan återkalla den")
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if changed:
        record(actor, "revoke_token", f"{token.user.get_username()} {token.prefix}…")
    token.refresh_from_db()
    return bool(changed)


REVOKE_REASONS = {"password_changed": "revoke_tokens_password", "deactivated": "revoke_tokens_deactivated"}


@transaction.atomic
def revoke_all_tokens(actor: Any, user: Any, *, reason: str) -> int:
    """Revoke every token ``user`` still has (their password changed, or they were
    deactivated); one audit row naming the reason, none if there was nothing to revoke."""
    prefixes = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).values_list("prefix", flat=True))
    if prefixes:
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        record(actor, REVOKE_REASONS[reason], user.get_username(), before={"value": ", ".join(f"{p}…" for p in prefixes)})
    return len(prefixes)


# The security events: written by the login signals and by ``deny`` (no passwords, ever).


@transaction.atomic
def record_login_failed(actor: Any, username: str) -> None:
    """A failed login (``actor`` None: no one is logged in); the username tried, no password."""
    record(actor, "login_failed", username or "–")


@transaction.atomic
def record_lockout(actor: Any, username: str) -> None:
    """An account or a client address has just been locked out."""
    record(actor, "locked_out", username or "–")


@transaction.atomic
def record_access_denied(actor: Any, what: str) -> None:
    """A signed-in user refused a page or an endpoint their role does not give."""
    record(actor, "access_denied", what)
