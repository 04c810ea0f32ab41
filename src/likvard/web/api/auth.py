"""API authentication: a personal token (``Authorization: Bearer …``) or the session; the
OpenAPI document and the docs page only for someone signed in; refusals audited."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.security import HttpBearer

from likvard.web.accounts.actions import record_access_denied
from likvard.web.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    """A token that is neither revoked nor expired, of an active user; anything else is 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.usable().select_related("user").filter(digest=ApiToken.hash(token)).first()
        if found is None:
            return None
        request.user = found.user
        return found.user


def signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document and the docs page: for a session or a valid token. Otherwise the
    document answers 401 (for API clients) and the page sends a browser to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated or TokenAuth()(request) is not None:
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            return JsonResponse({"detail": "Unauthorized"}, status=401)
        return redirect_to_login(request.get_full_path())

    return wrapper


def http_error(api: Any) -> Callable[[HttpRequest, Any], HttpResponse]:
    """ninja's answer to an ``HttpError``, with a 403 written to the audit log like ``deny``."""

    def handle(request: HttpRequest, exc: Any) -> HttpResponse:
        if exc.status_code == 403:
            record_access_denied(request.user, f"API ({request.path})")
        response: HttpResponse = api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
        return response

    return handle
