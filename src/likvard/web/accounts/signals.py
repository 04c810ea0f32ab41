"""Security events to the log and to the audit log (no passwords, no personal data beyond the
username tried), and a deactivated user's tokens revoked whoever deactivated them."""

import logging
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from . import actions

log = logging.getLogger("likvard.security")


@receiver(user_login_failed)
def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))
    log.warning("login failed for username %r", username)
    actions.record_login_failed(None, username)


@receiver(user_locked_out)
def locked_out(sender: Any, request: Any = None, username: str | None = None, **kwargs: Any) -> None:
    """Sent by axes when the failure limit is reached and again for each attempt during the
    lockout; only the first is a new lockout (the others are failed logins, audited as such)."""
    if request is not None and getattr(request, "likvard_was_locked", False):
        return
    log.warning("locked out after repeated failed logins: username %r", username or "")
    actions.record_lockout(None, username or "")


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def remember_whether_active(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        instance._likvard_was_active = None
        return
    instance._likvard_was_active = sender.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def revoke_tokens_when_deactivated(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if getattr(instance, "_likvard_was_active", None) and not instance.is_active:
        actions.revoke_all_tokens(None, instance, reason="deactivated")
