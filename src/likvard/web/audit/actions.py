"""Writing the audit log. Every action of every app calls ``record`` inside its own
transaction, so a change and its audit row are stored together or not at all (Zulip's
``actions/`` habit, architecture §4)."""

from __future__ import annotations

from typing import Any

from .models import AuditEntry


def record(actor: Any, action: str, target: str, *, before: Any = None, after: Any = None) -> AuditEntry:
    """One audit row; ``actor`` may be None for the system (e.g. the demo loader)."""
    user = actor if getattr(actor, "pk", None) is not None else None
    return AuditEntry.objects.create(user=user, action=action, target=target[:200], before=before, after=after)
