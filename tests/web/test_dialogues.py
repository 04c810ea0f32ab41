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
    assert f'href="{reverse("interventions:detail", args=[ksbs.pk])}"' in page  # each support it may ask for links to its description
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


def test_the_office_sees_the_whole_city_summed_over_the_areas_and_the_area_chief_only_the_area(login, db):
    from django.contrib.auth import get_user_model

    from likvard.web.dialogues.actions import save
    from likvard.web.schools.models import School

    admin = get_user_model().objects.get(username="admin")
    own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    interventions = list(Intervention.objects.filter(retired=False).order_by("pk")[:3])
    # four schools in the chief's area and three in two other areas, with overlapping themes and requests
    here = list(School.objects.filter(area=own.area, operator="municipal").order_by("school_unit_code")[:4])
    elsewhere = list(School.objects.filter(operator="municipal").exclude(area=own.area).exclude(area="").order_by("area", "school_unit_code"))
    there = [elsewhere[0], elsewhere[1], next(s for s in elsewhere if s.area != elsewhere[0].area)]
    plans = [(["reading", "calm"], [0]), (["reading"], [0, 1]), (["maths"], [2]), ([], [])]
    for k, school in enumerate(here + there):
        themes, support = plans[k % len(plans)]
        save(admin, school, 2024, {"success_factors": "x"}, themes, [interventions[j].pk for j in support])

    office = login("analyst").get(reverse("dialogues:overview"), {"year": 2024})
    city, areas = office.context["city"], office.context["summary"]
    assert city["dialogues"] == sum(a["dialogues"] for a in areas) == 7 and city["schools"] == sum(a["schools"] for a in areas)
    for kind in ("themes", "support"):
        per_area: dict[str, int] = {}
        for a in areas:
            for e in a[kind]:
                per_area[e["label"]] = per_area.get(e["label"], 0) + len(e["schools"])
        assert {e["label"]: len(e["schools"]) for e in city[kind]} == per_area
        for e in city[kind]:  # the areas behind each, and their schools, add up to the total
            assert sum(len(a["schools"]) for a in e["areas"]) == len(e["schools"])
    reading = next(e for e in city["themes"] if e["label"] == "Läsa och skriva")
    assert len(reading["schools"]) == 4 and {a["area"] for a in reading["areas"]} == {own.area, there[0].area, there[1].area}
    maths = next(e for e in city["themes"] if e["label"] == "Matematik")
    assert [(a["area"], len(a["schools"])) for a in maths["areas"]] == sorted([(own.area, 1), (there[2].area, 1)])
    first = next(e for e in city["support"] if e["intervention"] == interventions[0])
    assert {s.pk for s in first["schools"]} == {here[0].pk, here[1].pk, there[0].pk, there[1].pk}
    page = office.content.decode()
    assert "Hela staden" in page and f'href="{reverse("interventions:detail", args=[interventions[0].pk])}"' in page

    chief = login("area_chief").get(reverse("dialogues:overview"), {"year": 2024})
    assert chief.context["city"] is None and "Hela staden" not in chief.content.decode()
    assert [a["area"] for a in chief.context["summary"]] == [own.area]
    assert chief.context["summary"][0]["dialogues"] == 4
    assert f'href="{reverse("interventions:detail", args=[interventions[0].pk])}"' in chief.content.decode()  # the area's requests link too
    assert login("principal").get(reverse("dialogues:overview"), {"year": 2024}).context["city"] is None


def test_the_dialogue_shows_the_schools_targets_against_last_years_outcomes(login, db):
    """The ambition check in the dialogue (seed 001 L128–134): a target under last year's
    outcome is marked; one at or above it is not."""
    from likvard.web.goals.actions import set_target
    from likvard.web.goals.reading import current_plan, target_rows
    from likvard.web.schools.models import School

    school = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    plan = current_plan("2024")
    merit = next(r for r in target_rows(plan, school) if r.indicator.key == "gr9_merit_value")
    assert merit.last is not None and merit.last_period == "2023/24"
    set_target(None, school, "gr9_merit_value", "2024/25", merit.last - 5)
    page = login("area_chief").get(reverse("dialogues:dialogue", args=[RINKEBYSKOLAN]), {"year": 2024}).content.decode()
    row = page[page.index("Skolans målvärden för året mot förra årets utfall"):]
    row = row[row.index(merit.indicator.name):]
    row = row[: row.index("</tr>")]
    assert "målvärdet ligger under förra årets utfall" in row and f"{merit.last - 5:.1f}".replace(".", ",") in row
    set_target(None, school, "gr9_merit_value", "2024/25", merit.last + 1)
    page = login("area_chief").get(reverse("dialogues:dialogue", args=[RINKEBYSKOLAN]), {"year": 2024}).content.decode()
    row = page[page.index(merit.indicator.name, page.index("Skolans målvärden för året")):]
    assert "höjd eller bibehållen" in row[: row.index("</tr>")]


def test_the_demo_holds_last_years_locked_dialogues_and_the_overview_offers_the_year(login, db):
    last = Dialogue.objects.filter(year=2023)
    assert last.count() >= 7 and all(d.state == "locked" for d in last)  # two per area, through the same steps
    assert not last.filter(school__school_unit_code=RINKEBYSKOLAN).exists()
    office = login("analyst").get(reverse("dialogues:overview"), {"year": 2023})
    assert office.context["city"]["dialogues"] == last.count() and '<option value="2023" selected>' in office.content.decode()
