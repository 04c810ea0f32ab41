"""Users' roles, their scope (area or school), and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

ROLES = (
    ("controller", "Ekonom"),
    ("analyst", "Analytiker"),
    ("area_chief", "Grundskolechef"),
    ("principal", "Rektor"),
    ("committee", "Nämndledamot"),
    ("admin", "Administratör"),
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
    """A personal API token; only its SHA-256 digest is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, user: models.Model) -> str:
        """Create a token for ``user`` and return it in clear, once."""
        token = "lkv_" + secrets.token_urlsafe(32)
        cls.objects.create(user=user, digest=cls.hash(token))
        return token
