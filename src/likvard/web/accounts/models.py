"""Users' roles, their scope (area or school), and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

ROLES = (
    ("controller", gettext_lazy("Ekonom")),
    ("analyst", gettext_lazy("Analytiker")),
    ("area_chief", gettext_lazy("Grundskolechef")),
    ("principal", gettext_lazy("Rektor")),
    ("committee", gettext_lazy("Nämndledamot")),
    ("admin", gettext_lazy("Administratör")),
)


class Profile(models.Model):
    """One role per user; an area chief has an area, a principal a school."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=20, choices=ROLES)
    area = models.CharField(max_length=200, blank=True)
    school_unit_code = models.CharField(max_length=8, blank=True)

    def __str__(self) -> str:
        return f"{self.user.username} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 digest is stored, and a short prefix of it (not
    enough to use) so that its owner can tell their tokens apart. Refused once revoked or
    past its expiry; revoked, never deleted, so the audit log keeps pointing at something."""

    PREFIX_LENGTH = 12  # "lkv_" and 8 of the 43 random characters

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.get_username()})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, user: models.Model, expires_at: datetime | None = None) -> tuple[str, ApiToken]:
        """Create a token for ``user`` and return it in clear, once, with its row."""
        token = "lkv_" + secrets.token_urlsafe(32)
        row = cls.objects.create(user=user, digest=cls.hash(token), prefix=token[: cls.PREFIX_LENGTH], expires_at=expires_at)
        return token, row

    @classmethod
    def usable(cls) -> models.QuerySet[ApiToken]:
        """Tokens that authenticate now: not revoked, not expired, of an active user."""
        now = timezone.now()
        return cls.objects.filter(revoked_at__isnull=True, user__is_active=True).filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))

    @property
    def state(self) -> str:
        """``revoked``, ``expired`` or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"
