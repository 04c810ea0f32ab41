"""The results page: expected against actual and value added, for the schools a user may see
(charts included: their tooltips name every dot)."""

import json
import re

from django.urls import reverse

from likvard.web.demo import RINKEBYSKOLAN
from likvard.web.results.models import ResultEstimate
from likvard.web.schools.models import School


def _spec(page: str, chart: str) -> dict:
    return json.loads(re.search(rf'<script id="{chart}-spec" type="application/json">(.*?)</script>', page, re.S).group(1))


def _chart_names(page: str, chart: str) -> set[str]:
    return {row["school"] for row in _spec(page, chart)["data"]["values"]}


def _table_codes(page: str) -> set[str]:
    return set(re.findall(r'<th scope="row"><a href="/skolor/(\d{8})/">', page))


def test_the_analyst_sees_every_school_with_results_and_both_charts(login, db):
    page = login("analyst").get(reverse("results:results")).content.decode()
    with_results = set(ResultEstimate.objects.filter(year=2024, outcome="merit_value").values_list("school__school_unit_code", flat=True))
    assert _table_codes(page) == with_results and len(with_results) > 100
    named = _chart_names(page, "caterpillar")
    assert "Rinkebyskolan" in named and len(named) > 100
    assert "klart under förväntat" in page or "klart över förväntat" in page
    assert _spec(page, "caterpillar")["title"] == "Förädlingsvärde, meritvärde (95 % intervall)"  # Swedish


def test_the_area_chief_sees_only_the_area_in_table_and_charts(login, db):
    own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    area_names = set(School.objects.filter(area=own.area).values_list("name", flat=True))
    page = login("area_chief").get(reverse("results:results"), {"outcome": "eligible_vocational"}).content.decode()
    codes = _table_codes(page)
    assert RINKEBYSKOLAN in codes
    assert codes <= set(School.objects.filter(area=own.area).values_list("school_unit_code", flat=True))
    assert _chart_names(page, "caterpillar") <= area_names and _chart_names(page, "scatter") <= area_names
    assert "Behörighet till yrkesprogram" in page and "\u00a0%" in page  # eligibility in percent


def test_the_principal_sees_only_their_school_and_the_committee_nothing(login, db):
    page = login("principal").get(reverse("results:results")).content.decode()
    assert _table_codes(page) == {RINKEBYSKOLAN}
    assert _chart_names(page, "caterpillar") == {"Rinkebyskolan"}
    assert login("committee").get(reverse("results:results")).status_code == 403


def test_a_highlighted_area_is_marked_in_the_table_and_named_in_the_scatter(login, db):
    own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    page = login("analyst").get(reverse("results:results"), {"area": own.area}).content.decode()
    assert _spec(page, "scatter")["title"].endswith(f"{own.area} markerat")
    assert page.count('<tr class="highlight">') == ResultEstimate.objects.filter(
        year=2024, outcome="merit_value", school__area=own.area
    ).count()
    unknown = login("analyst").get(reverse("results:results"), {"area": "Område 99", "year": "1999", "outcome": "x"})
    assert unknown.status_code == 200 and 'class="highlight"' not in unknown.content.decode()  # ignored, not an error


def test_the_school_page_breaks_results_down_by_gender_with_small_groups_suppressed(login, db):
    from likvard.web.results.models import ResultByGender

    rows = ResultByGender.objects.filter(school__school_unit_code=RINKEBYSKOLAN, year=2024)
    assert {r.gender for r in rows} == {"female", "male"} and {r.outcome for r in rows} == {"merit_value", "eligible_vocational"}
    page = login("principal").get(reverse("schools:detail", kwargs={"code": RINKEBYSKOLAN})).content.decode()
    assert "Per kön" in page and "Flickor" in page and "Pojkar" in page
    small = ResultByGender.objects.filter(pupils__lt=10).first()
    assert small is not None and small.suppressed and small.actual is None and small.expected is None and small.value_added is None
    # complementary suppression: a group of 10+ is hidden only when the other one is small,
    # since the school's total would otherwise reveal the small group
    for big in ResultByGender.objects.filter(pupils__gte=10, suppressed=True):
        siblings = ResultByGender.objects.filter(school=big.school, year=big.year, outcome=big.outcome).exclude(pk=big.pk)
        assert not siblings.exists() or siblings.get().pupils < 10


def test_the_results_page_and_its_charts_in_english(login, client, db):
    from django.conf import settings

    client = login("analyst")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("results:results"), {"outcome": "eligible_vocational"}).content.decode()
    assert '<html lang="en">' in page and "Results compared with expected" in page
    assert "clearly above expected" in page or "clearly below expected" in page
    assert _spec(page, "caterpillar")["title"] == "Value added, eligible (vocational) (95 % intervals)"


def _flag_counts(page: str) -> dict[str, int]:
    return {label: int(n) for n, label in re.findall(r"<strong>(\d+)</strong> (klart över förväntat|klart under förväntat|som förväntat)", page)}


def test_the_multiplicity_rule_can_be_chosen_and_never_flags_more(login, db):
    client = login("analyst")
    none = client.get(reverse("results:results")).content.decode()
    holm = client.get(reverse("results:results"), {"adjust": "holm"}).content.decode()
    bonferroni = client.get(reverse("results:results"), {"adjust": "bonferroni"}).content.decode()
    flagged = {name: sum(v for k, v in _flag_counts(p).items() if k != "som förväntat") for name, p in (("none", none), ("holm", holm), ("bonferroni", bonferroni))}
    assert flagged["none"] > flagged["holm"] >= flagged["bonferroni"] > 0
    assert sum(_flag_counts(none).values()) == sum(_flag_counts(bonferroni).values())  # same schools judged
    assert "Intervall (Bonferroni)" in bonferroni and "Bedömningen omfattar" in none
    assert "Bonferroni-justerade" in _spec(bonferroni, "caterpillar")["title"] and "(95 % intervall)" in _spec(holm, "caterpillar")["title"]


def test_recomputed_per_school_flags_match_the_stored_ones(db):
    """The page re-derives the flags from the stored effect and its standard error; with no
    adjustment that must give back exactly the flags the engine stored."""
    from likvard.web.results.views import _judge

    for outcome in ("merit_value", "eligible_vocational"):
        estimates = list(ResultEstimate.objects.filter(year=2024, outcome=outcome))
        judged = _judge(estimates, outcome, "none")
        stored = {e.school_id: e.flag for e in estimates if not e.suppressed}
        assert judged and {k: v["flag"] for k, v in judged.items()} == stored
