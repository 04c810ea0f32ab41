"""The start page, the health check and the denial every app uses."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .scoping import may_list_schools, may_see_aggregates

log = logging.getLogger("likvard.security")


def deny(request: HttpRequest, what: str) -> None:
    """Log and refuse (403); every app's views call this, so denials are logged alike."""
    log.warning("access denied: user %s to %s", request.user.pk, what)
    raise PermissionDenied


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    """Schools for those who may see schools; the runs' reconciliation for the committee."""
    if may_list_schools(request.user) or not may_see_aggregates(request.user):
        return redirect("schools:list")
    return redirect("allocation:runs")
