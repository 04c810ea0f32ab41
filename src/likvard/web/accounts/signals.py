"""Security log: failed logins (no passwords, no personal data beyond the username tried)."""

import logging
from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

log = logging.getLogger("likvard.security")


@receiver(user_login_failed)
def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    log.warning("login failed for username %r", credentials.get("username", ""))
