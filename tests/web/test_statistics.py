"""Skolverket's published statistics: imported with the demo, shown on the school and results
pages and in the API as published — and no register figure where Skolverket has none."""

from django.urls import reverse

from likvard.web.demo import RINKEBYSKOLAN
from likvard.web.results.models import PublishedStatistic, ResultEstimate

MERIT = {"2020/21": 197.0, "2021/22": 199.6, "2022/23": 205.9, "2023/24": 208.6, "2024/25": 202.7}


def test_the_api_gives_rinkebyskolans_published_merit_values(login, db):
    rows = login("principal").get(f"/api/v1/schools/{RINKEBYSKOLAN}/statistics", {"indicator": "merit_value"}).json()
    assert {r["period"]: r["value"] for r in rows} == MERIT
    assert all(r["marker"] == "" for r in rows) and rows[-1]["published"] == "202,7"
    other = PublishedStatistic.objects.exclude(school__area=PublishedStatistic.objects.filter(school__school_unit_code=RINKEBYSKOLAN).first().school.area).first()
    assert login("principal").get(f"/api/v1/schools/{other.school.school_unit_code}/statistics").status_code == 404


def test_markers_are_kept_as_published_with_no_number(login, db):
    suppressed = PublishedStatistic.objects.filter(marker="..").first()
    near_all = PublishedStatistic.objects.filter(marker="~100").first()
    assert suppressed.value is None and suppressed.published == ".."
    assert near_all.value == 100.0 and near_all.published == "~100"
    rows = login("controller").get(f"/api/v1/schools/{suppressed.school.school_unit_code}/statistics").json()
    assert {"indicator": suppressed.indicator, "period": suppressed.period, "value": None, "marker": "..", "published": ".."} in rows


def test_the_school_page_shows_the_published_values_per_school_year(login, db):
    page = login("principal").get(reverse("schools:detail", kwargs={"code": RINKEBYSKOLAN})).content.decode()
    assert "Skolverkets statistik" in page and "Genomsnittligt meritvärde, årskurs 9" in page
    for period, value in MERIT.items():
        assert f">{period}</th>" in page and f"{value:.1f}".replace(".", ",") in page


def test_a_year_skolverket_publishes_no_figure_for_shows_no_register_figure(login, db):
    """Where the statistics say "." the register's (here synthetic) result must not stand."""
    estimate = ResultEstimate.objects.get(school__school_unit_code=RINKEBYSKOLAN, year=2024, outcome="merit_value")
    shown = f"{estimate.actual:.1f}".replace(".", ",")
    PublishedStatistic.objects.filter(school=estimate.school, indicator="merit_value", period="2024/25").update(value=None, published=".", marker=".")
    page = login("analyst").get(reverse("schools:detail", kwargs={"code": RINKEBYSKOLAN})).content.decode()
    results = page.split("Resultat jämfört med förväntat")[1].split("Per kön")[0]
    row = next(line for line in results.split("<tr>") if ">Meritvärde</th>" in line and "<td>2024</td>" in line)
    assert shown not in row and '<td class="num">.</td>' in row
    table = login("analyst").get(reverse("results:results")).content.decode()
    rinkeby = next(line for line in table.split("<tr") if f"/skolor/{RINKEBYSKOLAN}/" in line)
    assert shown not in rinkeby
