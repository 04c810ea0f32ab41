"""Result dialogues: the principal drafts, the area chief completes and locks, a locked dialogue
changes only by a new version, and the area's summary counts themes and support requests."""

from __future__ import annotations

from django.urls import reverse

from likvard.web.audit.models import AuditEntry
from likvard.web.demo import RINKEBYSKOLAN
from likvard.web.dialogues.models import Dialogue
from likvard.web.interventions.models import Intervention


def test_draft_complete_lock_and_a_new_version(login, db, schools):
    ksbs = Intervention.objects.get(key="ksbs")
    url = reverse("dialogues:dialogue", args=[RINKEBYSKOLAN]) + "?year=2024"
    principal = login("principal")
    page = principal.get(url).content.decode()
    assert "Tilldelning (årets körning)" in page and "Ingen dialog ännu" in page  # prefilled with the school's money
    principal.post(url, {"year": "2024", "action": "save", "success_factors": "Tydlig struktur i undervisningen.", "themes": ["reading", "calm"], "support": [str(ksbs.pk)], "chief_comment": "rektorn får inte skriva här"})
    d = Dialogue.objects.get(school__school_unit_code=RINKEBYSKOLAN, year=2024)
    assert (d.state, d.success_factors, d.themes, d.chief_comment) == ("draft", "Tydlig struktur i undervisningen.", ["reading", "calm"], "")
    assert list(d.support_requested.all()) == [ksbs]
    assert principal.post(url, {"action": "lock"}).status_code == 302 and Dialogue.objects.get(pk=d.pk).state == "draft"  # only the chief locks
    chief = login("area_chief")
    chief.post(url, {"year": "2024", "action": "complete", "agreed_actions": "Läsfrämjande insatser i åk 4–6.", "themes": ["reading", "calm"], "support": [str(ksbs.pk)]})
    chief.post(url, {"year": "2024", "action": "lock"})
    d.refresh_from_db()
    assert d.state == "locked" and d.locked_at is not None and d.agreed_actions == "Läsfrämjande insatser i åk 4–6."
    login("principal").post(url, {"year": "2024", "action": "save", "success_factors": "ändrat efter låsning"})
    d.refresh_from_db()
    assert d.success_factors == "Tydlig struktur i undervisningen."  # a locked dialogue is never changed
    login("area_chief").post(url, {"year": "2024", "action": "new_version"})
    versions = list(Dialogue.objects.filter(school__school_unit_code=RINKEBYSKOLAN, year=2024).order_by("version"))
    assert [(v.version, v.state) for v in versions] == [(1, "locked"), (2, "draft")] and versions[1].agreed_actions == versions[0].agreed_actions
    assert AuditEntry.objects.filter(action="lock_dialogue").exists()
    summary = login("area_chief").get(reverse("dialogues:overview"), {"year": 2024}).content.decode()
    assert ksbs.name in summary and "Läsa och skriva" in summary and "Rinkebyskolan" in summary
    assert login("principal").get(reverse("dialogues:dialogue", args=[schools["other"]])).status_code == 404
    assert login("committee").get(reverse("dialogues:overview")).status_code == 403
