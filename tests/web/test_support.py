"""Support applications: a principal applies for a pupil of their school, the office grants or
refuses, a renewal needs the account of use and results, a decision covers at most 12 months,
and a grant pays the individual support component in the next run (× 1.25 when extensive)."""

from __future__ import annotations

import io

import polars as pl
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from likvard.web.allocation.actions import run_year
from likvard.web.allocation.reading import statement
from likvard.web.audit.models import AuditEntry
from likvard.web.demo import RINKEBYSKOLAN
from likvard.web.imports import snapshots
from likvard.web.support.models import Application


def _pupils(code: str, year: int = 2024, n: int = 2) -> list[str]:
    """Resident grundskola pupils of a school in the stored register of ``year`` (the last
    ones: the demo's own applications are for the first)."""
    snap = snapshots.current("pupils", [year])[0]
    frame = pl.read_parquet(io.BytesIO(bytes(type(snap).objects.get(pk=snap.pk).content)))
    rows = frame.filter((pl.col("school_unit_code") == code) & (pl.col("school_form") == "gr") & (pl.col("home_municipality") == "0180")).sort("pupil_id")
    return rows["pupil_id"].tail(n).to_list()


def _apply(client, pupil: str, **extra):
    data = {"school": RINKEBYSKOLAN, "pupil": pupil, "need": "Behov av en elevassistent hela skoldagen.", "amount": "100 000", "start": "2024-01-01", "end": "2024-12-31", **extra}
    return client.post(reverse("support:new"), data)


def _individual(run, code: str) -> dict[str, int]:
    s = statement(run, code)
    assert s is not None
    return {ln.line: ln.amount_ore for ln in s.lines if ln.component == "individual_support"}


def test_a_granted_extensive_application_pays_amount_times_1_25_in_the_next_run(login, db):
    controller = get_user_model().objects.get(username="ekonom")
    before = run_year(controller, 2024)
    pupil = _pupils(RINKEBYSKOLAN)[0]
    response = _apply(login("principal"), pupil, extensive="on")
    assert response.status_code == 302, response.content.decode()
    a = Application.objects.get(pupil_id=pupil)
    assert a.state == "submitted" and a.school.school_unit_code == RINKEBYSKOLAN and a.amount_asked_ore == 10_000_000
    # the principal may not decide; the controller grants
    assert login("principal").post(reverse("support:detail", args=[a.pk]), {"action": "grant", "amount": "100 000", "start": "2024-01-01", "end": "2024-12-31"}).status_code == 403
    page = login("controller").post(reverse("support:detail", args=[a.pk]), {"action": "grant", "amount": "100 000", "start": "2024-01-01", "end": "2024-12-31", "extensive": "on"})
    assert page.status_code == 302
    a.refresh_from_db()
    assert (a.state, a.granted_amount_ore, a.extensive) == ("granted", 10_000_000, True)
    detail = login("principal").get(reverse("support:detail", args=[a.pk])).content.decode()
    shown = " ".join(detail.split())  # any kind of space
    assert "100 000 kr" in shown and "25 000 kr" in shown and "125 000 kr" in shown  # what it pays, per year
    after = run_year(controller, 2024)
    old, new = _individual(before, RINKEBYSKOLAN), _individual(after, RINKEBYSKOLAN)
    assert new.get("granted", 0) - old.get("granted", 0) == 10_000_000
    assert new.get("surcharge", 0) - old.get("surcharge", 0) == 2_500_000
    total_before, total_after = statement(before, RINKEBYSKOLAN).total_ore, statement(after, RINKEBYSKOLAN).total_ore
    assert total_after - total_before == 12_500_000  # the granted amount × 1.25, to the öre
    assert "beviljade ansökningar om tilläggsbelopp och verksamhetsstöd 2024 (1)" in after.summary["data_source"]
    assert after.reconciled
    assert list(AuditEntry.objects.filter(action__in=("apply_support", "grant_support"), target=str(a)).values_list("action", flat=True).order_by("id")) == ["apply_support", "grant_support"]


def test_a_period_over_12_months_is_refused_and_nothing_is_stored(login, db):
    pupil = _pupils(RINKEBYSKOLAN)[0]
    response = _apply(login("principal"), pupil, start="2024-01-01", end="2025-01-31")
    page = response.content.decode()
    assert response.status_code == 400 and "13 månader" in page and "högst 12 månader" in page
    assert not Application.objects.filter(pupil_id=pupil).exists()
    a = Application.objects.create(school_id=_school_pk(), pupil_id=pupil, need="x", amount_asked_ore=100, start="2024-01-01", end="2024-06-30")
    refused = login("controller").post(reverse("support:detail", args=[a.pk]), {"action": "grant", "amount": "100", "start": "2024-01-01", "end": "2025-03-31"})
    assert refused.status_code == 400 and "15 månader" in refused.content.decode()
    a.refresh_from_db()
    assert a.state == "submitted" and a.granted_amount_ore is None


def _school_pk() -> int:
    from likvard.web.schools.models import School

    return School.objects.get(school_unit_code=RINKEBYSKOLAN).pk


def test_a_renewal_needs_the_account_of_use_and_results(login, db):
    pupil = _pupils(RINKEBYSKOLAN)[1]
    assert _apply(login("principal"), pupil, end="2024-06-30").status_code == 302
    first = Application.objects.get(pupil_id=pupil)
    login("controller").post(reverse("support:detail", args=[first.pk]), {"action": "grant", "amount": "50 000", "start": "2024-01-01", "end": "2024-06-30"})
    # applying again for the same pupil is a renewal: without the account it is refused
    response = _apply(login("principal"), pupil, start="2024-07-01", end="2024-12-31")
    page = response.content.decode()
    assert response.status_code == 400 and "en förnyelse kräver en redovisning av hur det tidigare stödet användes" in page and "vad det tidigare stödet gav" in page
    assert Application.objects.filter(pupil_id=pupil).count() == 1
    # nor may it overlap the grant it continues
    overlapping = _apply(login("principal"), pupil, start="2024-06-01", end="2024-12-31", use_report="Assistent i alla lektioner.", results_report="Eleven når målen i svenska.")
    assert overlapping.status_code == 400 and "en förnyelse börjar dagen efter" in overlapping.content.decode()
    ok = _apply(login("principal"), pupil, start="2024-07-01", end="2024-12-31", use_report="Assistent i alla lektioner.", results_report="Eleven når målen i svenska.")
    assert ok.status_code == 302
    renewal = Application.objects.filter(pupil_id=pupil).exclude(pk=first.pk).get()
    assert renewal.renewal_of_id == first.pk and renewal.use_report == "Assistent i alla lektioner."


def test_principals_see_only_their_school_and_unknown_pupils_are_refused(login, db, schools):
    other = _pupils(schools["other"])[0]
    response = _apply(login("principal"), other)
    assert response.status_code == 400 and "på en annan skola" in response.content.decode()  # a pupil of another school
    from likvard.web.schools.models import School

    theirs = Application.objects.create(school=School.objects.get(school_unit_code=schools["other"]), pupil_id=other, need="x", amount_asked_ore=100, start="2024-01-01", end="2024-06-30")
    assert login("principal").get(reverse("support:detail", args=[theirs.pk])).status_code == 404
    assert theirs.pk not in [r["a"].pk for r in login("principal").get(reverse("support:applications")).context["rows"]]
    assert login("controller").get(reverse("support:detail", args=[theirs.pk])).status_code == 200
    assert login("committee").get(reverse("support:applications")).status_code == 403
    # the principal cannot apply for another school by posting its code
    posted = login("principal").post(reverse("support:new"), {"school": schools["other"], "pupil": other, "need": "x", "amount": "100", "start": "2024-01-01", "end": "2024-06-30"})
    assert posted.status_code == 400 and not Application.objects.filter(school__school_unit_code=schools["other"], need="x").exclude(pk=theirs.pk).exists()


@pytest.mark.parametrize("number", ["19121212-1212"])
def test_a_personal_identity_number_is_never_stored_nor_repeated(login, db, number):
    before = Application.objects.count()
    response = _apply(login("principal"), number)
    page = response.content.decode()
    assert response.status_code == 400 and "finns inte i elevregistret" in page
    assert number not in page and number.replace("-", "") not in page
    in_text = _apply(login("principal"), _pupils(RINKEBYSKOLAN)[0], need=f"Eleven {number} behöver stöd.")
    assert in_text.status_code == 400 and "innehåller ett personnummer" in in_text.content.decode()
    assert Application.objects.count() == before
    assert not any(number in str(e.after) for e in AuditEntry.objects.all())


def test_the_api_lists_the_applications_a_user_may_see(login, db, schools):
    from likvard.web.schools.models import School

    own = Application.objects.create(school=School.objects.get(school_unit_code=RINKEBYSKOLAN), pupil_id="demo-1", need="x", amount_asked_ore=100, start="2024-01-01", end="2024-06-30")
    Application.objects.create(school=School.objects.get(school_unit_code=schools["other"]), pupil_id="demo-2", need="y", amount_asked_ore=200, start="2024-01-01", end="2024-06-30")
    mine = login("principal").get("/api/v1/support/applications").json()["applications"]
    assert {a["school_unit_code"] for a in mine} == {RINKEBYSKOLAN} and (own.pk, 100, "submitted") in [(a["id"], a["amount_asked_ore"], a["state"]) for a in mine]
    submitted = Application.objects.filter(state="submitted").count()
    assert len(login("controller").get("/api/v1/support/applications", {"state": "submitted"}).json()["applications"]) == submitted >= 2
    assert login("committee").get("/api/v1/support/applications").status_code == 403


def test_the_demo_holds_applications_made_through_the_same_steps(db):
    from likvard.web.support.actions import grants_for_year

    states = sorted(Application.objects.filter(school__school_unit_code=RINKEBYSKOLAN).values_list("state", flat=True))
    assert states[:3] == ["granted", "refused", "submitted"]
    assert grants_for_year(2024) == []  # next year's: the stored 2024 runs are what they were
    assert sorted(g.amount_ore for g in grants_for_year(2025)) == [12_000_000, 18_000_000]
    assert AuditEntry.objects.filter(action="grant_support").count() >= 2
