"""Changing a result dialogue: draft (principal), complete and lock (area chief), a new
version of a locked one. Atomic, actor first, audited; a locked dialogue is never changed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from likvard.web.audit.actions import record
from likvard.web.schools.models import School

from .models import THEMES, Dialogue

__all__ = ["FIELDS", "DialogueLocked", "current", "lock", "new_version", "save"]

#: The fields a form writes: the principal's and the area chief's.
FIELDS = ("success_factors", "development_areas", "support_text", "money_use", "targets_comment", "agreed_actions", "chief_comment")


class DialogueLocked(Exception):
    """A locked dialogue changes only by a new version."""


def current(school: School, year: int) -> Dialogue | None:
    return Dialogue.objects.filter(school=school, year=year).order_by("-version").first()


@transaction.atomic
def save(actor: Any, school: School, year: int, values: dict[str, str], themes: list[str], support: list[int], *, complete: bool = False) -> Dialogue:
    """The dialogue's latest version with the given fields; ``complete`` marks the area chief's
    part done. Refused when it is locked."""
    dialogue = current(school, year) or Dialogue.objects.create(school=school, year=year, drafted_by=actor if getattr(actor, "pk", None) else None)
    if dialogue.state == "locked":
        raise DialogueLocked(f"resultatdialogen {year} för {school.name} är låst: skapa en ny version för att ändra den")
    before = {f: getattr(dialogue, f) for f in FIELDS}
    for field in FIELDS:
        if field in values:
            setattr(dialogue, field, values[field][:20_000])
    dialogue.themes = [t for t, _ in THEMES if t in themes]
    if complete:
        dialogue.state = "completed"
    dialogue.save()
    dialogue.support_requested.set(support)
    record(actor, "save_dialogue", f"{school.school_unit_code} {year} v{dialogue.version}", before=before, after={f: getattr(dialogue, f) for f in FIELDS} | {"state": dialogue.state})
    return dialogue


@transaction.atomic
def lock(actor: Any, dialogue: Dialogue) -> Dialogue:
    if dialogue.state == "locked":
        return dialogue
    dialogue.state, dialogue.locked_by, dialogue.locked_at = "locked", actor if getattr(actor, "pk", None) else None, timezone.now()
    dialogue.save(update_fields=["state", "locked_by", "locked_at", "updated_at"])
    record(actor, "lock_dialogue", f"{dialogue.school.school_unit_code} {dialogue.year} v{dialogue.version}")
    return dialogue


@transaction.atomic
def new_version(actor: Any, dialogue: Dialogue) -> Dialogue:
    """A copy of a locked dialogue as the next version, a draft again."""
    if dialogue.state != "locked":
        return dialogue
    copy = Dialogue.objects.create(
        school=dialogue.school, year=dialogue.year, version=dialogue.version + 1, themes=list(dialogue.themes),
        drafted_by=actor if getattr(actor, "pk", None) else None, **{f: getattr(dialogue, f) for f in FIELDS},
    )
    copy.support_requested.set(list(dialogue.support_requested.values_list("pk", flat=True)))
    record(actor, "new_dialogue_version", f"{dialogue.school.school_unit_code} {dialogue.year} v{copy.version}")
    return copy
