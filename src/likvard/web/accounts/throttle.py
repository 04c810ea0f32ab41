"""Login throttling (django-axes) and what follows a changed password.

Why a subclass of axes' backend: axes refuses ``authenticate()`` without a request, and the
test client's ``login()`` (and any script) calls it so; every login form passes its request,
so those calls are throttled and a call without one is left to the model backend.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext


class LoginThrottle(AxesStandaloneBackend):
    """Refuses a login for an account or address that is locked out; logs no one in."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            request.likvard_was_locked = True  # type: ignore[attr-defined]  # already locked before this attempt
            raise


def client_address(request: HttpRequest) -> str | None:
    """The client's address: the connection's, or behind ``PROXY_COUNT`` proxies the one the
    outermost of them saw (X-Forwarded-For read from the right, where a client cannot write)."""
    count = int(getattr(settings, "PROXY_COUNT", 0))
    if count > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


class RevokeTokensOnPasswordChange:
    """Not a rule: Django calls ``password_changed`` of every configured validator whenever a
    user's password is changed (set and saved), which is when their API tokens must go."""

    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and user.pk is not None:
            from .actions import revoke_all_tokens

            revoke_all_tokens(None, user, reason="password_changed")

    def get_help_text(self) -> str:
        return gettext("När du byter lösenord återkallas dina API-nycklar.")
