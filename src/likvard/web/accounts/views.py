"""The start page, the health check, the user's own page, the lockout page and the denial
every app uses."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from likvard.web.schools.models import School

from . import actions
from .context import ROLE_LABELS
from .models import ApiToken
from .scoping import ALL_SCHOOLS, may_list_schools, may_see_aggregates, role_of

log = logging.getLogger("likvard.security")


def deny(request: HttpRequest, what: str) -> None:
    """Log, audit and refuse (403); every app's views call this, so denials are handled alike."""
    log.warning("access denied: user %s to %s", request.user.pk, what)
    actions.record_access_denied(request.user, f"{what} ({request.path})")
    raise PermissionDenied


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    """Schools for those who may see schools; the runs' reconciliation for the committee."""
    if may_list_schools(request.user) or not may_see_aggregates(request.user):
        return redirect("schools:list")
    return redirect("allocation:overview")


def locked_out(request: HttpRequest, credentials: Any = None) -> HttpResponse:
    """The login page again, saying why no login is possible now (axes' lockout response)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/login.html", {"locked": True, "minutes": minutes, "next": request.POST.get("next", "")}, status=429)


def _scope(user: Any) -> str:
    """What the user's role lets them see, in words."""
    role = role_of(user)
    if role in ALL_SCHOOLS:
        return gettext("Alla skolor")
    if role == "area_chief":
        return gettext("Skolområde %(area)s") % {"area": user.profile.area}
    if role == "principal":
        code = user.profile.school_unit_code
        school = School.objects.filter(school_unit_code=code).first()
        return f"{school.name} ({code})" if school else code
    if role == "committee":
        return gettext("Inga enskilda skolor, bara sammanställningar")
    return gettext("Ingen roll: inga skolor")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own page: role and scope, their API tokens (revocable), the password."""
    states = {"active": gettext("Giltig"), "expired": gettext("Har gått ut"), "revoked": gettext("Återkallad")}
    tokens = [{"t": t, "state": t.state, "state_label": states[t.state]} for t in actions.list_tokens(request.user)]
    return render(request, "accounts/account.html", {"role_name": ROLE_LABELS.get(role_of(request.user) or "", ""), "scope": _scope(request.user), "tokens": tokens})


@login_required
@require_POST
def revoke_token(request: HttpRequest) -> HttpResponse:
    """Revoke one of the user's own tokens (POST, CSRF-checked); another's token is a 404."""
    token_id = request.POST.get("token", "")
    token = get_object_or_404(ApiToken, pk=int(token_id) if token_id.isdigit() else 0, user=request.user)
    if actions.revoke_token(request.user, token):
        messages.success(request, gettext("API-nyckeln %(prefix)s… är återkallad.") % {"prefix": token.prefix})
    return redirect("account")
