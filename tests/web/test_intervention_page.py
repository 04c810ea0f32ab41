"""An intervention's page: its catalogue fields, its schools (scoped), and its effect on the
results with the checks and caveats, equal to the workflow's ``intervention_effect``."""

from __future__ import annotations

import html
import re

import polars as pl
import pytest
from django.urls import reverse

from likvard.web.allocation.models import AllocationRun, SchoolAllocation
from likvard.web.demo import RINKEBYSKOLAN
from likvard.web.interventions.effects import inputs_key
from likvard.web.interventions.models import Assignment, Intervention
from likvard.web.interventions.reading import stored_catalogue
from likvard.web.schools.models import School


def _sv(x: float) -> str:
    return f"{x:+.1f}".replace(".", ",").replace("-", "\u2212")


def _reference(key: str, outcome: str) -> dict:
    """``intervention_effect`` on the figures of Skolverket's files the demo imported (read
    from the files, not the database) and the index of each year's newest stored run (the
    demo runs 2024, and the earlier register years when it has them)."""
    from likvard.data.demo import PLANNED_DIR, RESULTS_CSV
    from likvard.data.skolverket import read_skolverket
    from likvard.workflows.interventions import effect_panel, intervention_effect

    statistics = read_skolverket([PLANNED_DIR, RESULTS_CSV]).statistics
    years = sorted(set(AllocationRun.objects.filter(kind="run").values_list("year", flat=True)))
    runs = [AllocationRun.objects.filter(kind="run", year=y).order_by("-created_at", "-id").first() for y in years]
    assert 2024 in years
    index = pl.DataFrame(
        list(SchoolAllocation.objects.filter(run__in=runs, index__isnull=False).values_list("school__school_unit_code", "index")),
        schema={"school_unit_code": pl.String, "index": pl.Float64},
        orient="row",
    )
    return intervention_effect(stored_catalogue(), key, effect_panel(statistics, index, outcome))["doc"]


def _cells(page: str, outcome: str) -> dict[str, str]:
    row = re.search(rf'<tr id="effect-{outcome}">(.*?)</tr>', page, re.S).group(1)
    return {name: html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for name, text in re.findall(r"<td class=\"num\" data-(\w+)>(.*?)</td>", row, re.S)}


@pytest.mark.parametrize("outcome", ["merit_value", "eligible"])
def test_the_page_shows_the_estimate_interval_and_schools_of_intervention_effect(login, db, outcome):
    ksbs = Intervention.objects.get(key="ksbs")
    ref = _reference("ksbs", outcome)
    page = login("analyst").get(reverse("interventions:detail", args=[ksbs.pk])).content.decode()
    cells = _cells(page, outcome)
    assert cells["estimate"].split()[0] == _sv(ref["estimate"])
    assert cells["interval"] == f"{_sv(ref['lower'])} till {_sv(ref['upper'])}"
    assert (int(cells["treated"]), int(cells["comparison"])) == (ref["treated_schools"], ref["comparison_schools"])
    assert ref["treated_schools"] >= 2 and ref["comparison_schools"] >= ref["treated_schools"]


def test_thin_evidence_is_said_first_and_every_caveat_is_shown(login, db):
    ksbs = Intervention.objects.get(key="ksbs")
    ref = _reference("ksbs", "merit_value")
    assert "few_treated" in ref["caveat_codes"]  # three schools: the demo's evidence is thin
    page = html.unescape(login("analyst").get(reverse("interventions:detail", args=[ksbs.pk])).content.decode())
    box = page.index("Underlaget är tunt")
    assert box < page.index('id="effect-merit_value"')  # before any number
    assert "Deltagandet är syntetiskt (demo)" in page[box:]
    engine = ref["caveats"][: len(ref["caveat_codes"])]
    for sentence in engine:
        assert sentence in page
    assert f"Få skolor deltog ({ref['treated_schools']}): skattningen är mycket osäker." in page
    for name in ("Meritvärde åk 9", "Behörighet till yrkesprogram", "Godkänt i alla ämnen åk 9", "Värdetillskott i meritvärde"):
        assert name in page
    from django.conf import settings

    english = login("analyst")
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = html.unescape(english.get(reverse("interventions:detail", args=[ksbs.pk])).content.decode())
    for sentence in ref["caveats_en"][: len(ref["caveat_codes"])]:
        assert sentence in page  # the engine's caveats in the reader's language
    assert f"Few schools took part ({ref['treated_schools']}): the estimate is very uncertain." in page


def test_the_catalogue_fields_are_shown_and_each_catalogue_row_links_to_its_page(login, db):
    i = Intervention.objects.exclude(provider="").filter(retired=False).order_by("pk").first()
    catalogue = login("area_chief").get(reverse("interventions:catalogue")).content.decode()
    for other in Intervention.objects.filter(retired=False):
        assert f'href="{reverse("interventions:detail", args=[other.pk])}"' in catalogue
    page = html.unescape(login("area_chief").get(reverse("interventions:detail", args=[i.pk])).content.decode())
    assert f"<h1>{i.name}" in page and i.provider in page and (i.source or "ingen angiven") in page
    for label in ("Syfte", "Målgrupp", "Innehåll", "Ansvarig enhet", "Utförare eller samarbetspartner", "Period", "Kostnad", "Utvärderingsbart mål", "Utgångsläge", "Plan för uppföljning", "Källa"):
        assert f"<dt>{label}</dt>" in page


def test_a_principal_sees_only_the_own_schools_assignment(login, db):
    own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    i = next(i for i in Intervention.objects.filter(assignments__school=own).distinct().order_by("pk") if i.assignments.exclude(school__area=own.area).exists())
    others = set(Assignment.objects.filter(intervention=i).exclude(school=own).values_list("school__name", flat=True))
    assert others and "Rinkebyskolan" not in others  # the intervention was given to other schools too
    url = reverse("interventions:detail", args=[i.pk])
    principal = html.unescape(login("principal").get(url).content.decode())
    table = principal[principal.index("Tilldelningar till de skolor du ser"): principal.index("</table>", principal.index("Tilldelningar"))]
    assert re.findall(r'<th scope="row"><a href="/skolor/(\d{8})/', table) == [RINKEBYSKOLAN] * Assignment.objects.filter(intervention=i, school=own).count()
    assert not [name for name in others if name in principal]  # not in the table, nor among the left-out schools
    analyst = html.unescape(login("analyst").get(url).content.decode())
    assert others <= {name for name in others if name in analyst}


def test_a_retired_intervention_keeps_its_page_and_an_unknown_id_is_404(login, db):
    old = Intervention.objects.create(key="avvecklad_test", name="Läsprojekt som avslutats", purpose="Läsning i åk 4–6", retired=True)
    page = login("analyst").get(reverse("interventions:detail", args=[old.pk]))
    assert page.status_code == 200 and "avvecklad" in page.content.decode() and "Läsning i åk 4–6" in page.content.decode()
    assert old.name not in login("analyst").get(reverse("interventions:catalogue")).content.decode()
    assert login("analyst").get(reverse("interventions:detail", args=[Intervention.objects.order_by("-pk").first().pk + 1])).status_code == 404
    assert login("committee").get(reverse("interventions:detail", args=[old.pk])).status_code == 403


def test_the_cached_estimates_are_renewed_when_the_catalogue_changes(db):
    before = inputs_key()
    i = Intervention.objects.get(key="ksbs")
    school = School.objects.filter(operator="municipal").order_by("school_unit_code").first()
    Assignment.objects.create(intervention=i, school=school, start=2019, end=2019, status="finished")
    assert inputs_key() != before


def test_the_central_roles_see_which_schools_each_participant_is_compared_with(login, db):
    ksbs = Intervention.objects.get(key="ksbs")
    ref = _reference("ksbs", "merit_value")
    names = dict(School.objects.values_list("school_unit_code", "name"))
    page = html.unescape(login("analyst").get(reverse("interventions:detail", args=[ksbs.pk])).content.decode())
    table = page[page.index("Jämförelseskolor i skattningen av meritvärdet"):]
    table = table[: table.index("</table>")]
    assert ref["matches"] and len(ref["matches"]) == ref["treated_schools"]
    for treated, comparisons in ref["matches"].items():
        row = table[table.index(names[treated]):]
        row = row[: row.index("</tr>")]
        assert all(names[c] in row for c in comparisons)
    principal = login("principal").get(reverse("interventions:detail", args=[ksbs.pk])).content.decode()
    assert "Jämförelseskolor i skattningen" not in principal  # other schools: the central roles only
