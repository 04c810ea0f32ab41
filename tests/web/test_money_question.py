"""The money question on the results page and in the annual report: socioeconomic money per
pupil against value added, per school (only the schools a user may see) and for the city (the
correlation across schools and the quartiles of money per pupil), with what it cannot show."""

from __future__ import annotations

import html
import io
import math
import re
import subprocess
import tempfile
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest
from django.urls import reverse

from likvard.money import format_ore
from likvard.web.allocation.models import AllocationRun, SchoolAllocation
from likvard.web.allocation.reading import latest_run
from likvard.web.demo import FITTED_YEARS, RINKEBYSKOLAN
from likvard.web.results.models import PublishedStatistic, ResultEstimate
from likvard.web.results.published import period_of
from likvard.web.results.views import money_question
from likvard.web.schools.models import School

SOCIOECONOMIC = ("socioeconomic", "gy_socioeconomic")


def _money(year: int) -> dict[str, int]:
    """Money per pupil by school from the year's newest run, straight from its stored lines."""
    out = {}
    for code, pupils, lines in SchoolAllocation.objects.filter(run=latest_run(year)).values_list(
        "school__school_unit_code", "pupils", "lines"
    ):
        amounts = [ln["amount_ore"] for ln in lines if ln["component"] in SOCIOECONOMIC]
        if amounts and pupils:
            out[code] = sum(amounts) // pupils
    return out


def _value_added(year: int, outcome: str = "merit_value") -> dict[str, tuple[float, int]]:
    """Shown value added (10+ pupils, published by Skolverket) and year 9 pupils by school."""
    from likvard.web.results.views import PUBLISHED_OF

    hidden = set(
        PublishedStatistic.objects.filter(
            indicator=PUBLISHED_OF[outcome], period=period_of(year), marker__in=[".", ".."]
        ).values_list("school__school_unit_code", flat=True)
    )
    return {
        code: (va, n)
        for code, va, n in ResultEstimate.objects.filter(
            year=year, outcome=outcome, suppressed=False, value_added__isnull=False, pupils__gte=10
        ).values_list("school__school_unit_code", "value_added", "pupils")
        if code not in hidden
    }


def _section(page: str) -> str:
    start = page.index('<section aria-labelledby="money-heading">')
    return page[start : page.index("</section>", start)]


def _school_codes(section: str) -> set[str]:
    return set(
        re.findall(r'<th scope="row" class="money-school"><a href="/skolor/(\d{8})/">', section)
    )


def _school_cells(section: str, code: str) -> list[str]:
    row = re.search(
        rf'<tr><th scope="row" class="money-school"><a href="/skolor/{code}/">.*?</tr>',
        section,
        re.S,
    ).group(0)
    return [html.unescape(c) for c in re.findall(r'<td class="num">(.*?)</td>', row)]


def test_the_demo_runs_every_fitted_year_with_todays_model_and_2024_stays_the_newest_run(db):
    runs = {y: latest_run(y) for y in FITTED_YEARS}
    assert all(runs.values()), "a register year without a run"
    # the same (2024) model on every year's register
    assert len({r.model_version for r in runs.values()}) == 1
    assert latest_run().year == 2024  # pages without a year show the budget year
    assert AllocationRun.objects.filter(kind="run", year__lt=2024).count() == 3


def test_a_schools_money_per_pupil_is_its_socioeconomic_lines_over_its_pupils(login, db):
    row = SchoolAllocation.objects.get(run=latest_run(2023), school__school_unit_code=RINKEBYSKOLAN)
    socio = sum(ln["amount_ore"] for ln in row.lines if ln["component"] == "socioeconomic")
    assert socio > 0 and row.pupils > 0
    found, _ = money_question("merit_value")
    mine = {s.year: s for s in found.school(RINKEBYSKOLAN)}
    assert mine[2023].socioeconomic_ore == socio and mine[2023].per_pupil_ore == socio // row.pupils
    page = login("principal").get(reverse("results:results")).content.decode()
    section = _section(page)
    assert "Pengar och resultat" in page
    cells = _school_cells(section, RINKEBYSKOLAN)
    years = sorted(mine)
    assert years == list(FITTED_YEARS)
    whole = int((Decimal(socio // row.pupils) / 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    # shown in whole kronor, computed in öre
    assert cells[2 * years.index(2023)] == format_ore(whole * 100)
    va = mine[2023].value_added
    assert cells[2 * years.index(2023) + 1] == f"{va:+.1f}".replace(".", ",").replace("-", "\u2212")


def test_the_citys_correlation_per_year_is_numpys_over_the_schools_shown(login, db):
    found, _ = money_question("merit_value")
    by_year = {y.year: y for y in found.years}
    assert sorted(by_year) == list(FITTED_YEARS)
    for year in FITTED_YEARS:
        money, va = _money(year), _value_added(year)
        both = sorted(set(money) & set(va))
        x = np.array([money[c] for c in both], dtype=float)
        y = np.array([va[c][0] for c in both])
        assert by_year[year].n == len(both) > 100
        assert by_year[year].correlation == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
    page = login("analyst").get(reverse("results:results")).content.decode()
    r = by_year[2024]
    shown = f"{r.correlation:.2f}".replace(".", ",").replace("-", "\u2212")
    assert re.search(
        rf'<th scope="row">2024</th><td class="num">{r.n}</td><td class="num">{shown}</td>',
        _section(page),
    )


def test_the_quartile_means_are_the_pupil_weighted_value_added_of_each_quarter(db):
    found, _ = money_question("merit_value")
    summary = next(y for y in found.years if y.year == 2024)
    money, va = _money(2024), _value_added(2024)
    ranked = sorted(set(money) & set(va), key=lambda c: (money[c], c))
    n = len(ranked)
    for q in summary.quartiles:
        # ranks from (q−1)n/4 up to qn/4
        members = ranked[math.ceil((q.quartile - 1) * n / 4) : math.ceil(q.quartile * n / 4)]
        weighted = sum(va[c][0] * va[c][1] for c in members) / sum(va[c][1] for c in members)
        assert q.schools == len(members) and q.pupils == sum(va[c][1] for c in members)
        assert q.mean_value_added == pytest.approx(weighted, abs=1e-9)
        assert (q.lowest_ore, q.highest_ore) == (
            min(money[c] for c in members),
            max(money[c] for c in members),
        )
    assert summary.quartiles[0].highest_ore <= summary.quartiles[3].lowest_ore


def test_a_school_with_under_ten_pupils_in_year_9_shows_dots_and_is_left_out(login, db):
    small = ResultEstimate.objects.filter(
        outcome="merit_value", suppressed=True, pupils__lt=10
    ).order_by("school__school_unit_code", "year")
    # money, a small year 9
    code, year = next(
        (e.school.school_unit_code, e.year)
        for e in small
        if e.school.school_unit_code in _money(e.year)
    )
    found, _ = money_question("merit_value")
    row = next(s for s in found.school(code) if s.year == year)
    assert (
        row.suppressed
        and row.value_added is None
        and row.result_pupils is None
        and not row.compared
    )
    page = login("analyst").get(reverse("results:results")).content.decode()
    cells = _school_cells(_section(page), code)
    years = sorted({s.year for s in found.schools})
    assert cells[2 * years.index(year) + 1] == ".."
    assert cells[2 * years.index(year)] != ".."  # its money is not a small group


def test_a_principal_sees_only_their_own_school_and_an_area_chief_their_area(login, db):
    section = _section(login("principal").get(reverse("results:results")).content.decode())
    assert _school_codes(section) == {RINKEBYSKOLAN}
    assert "Korrelation" in section  # the city's summary, as in the annual report
    own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    chief = _school_codes(
        _section(login("area_chief").get(reverse("results:results")).content.decode())
    )
    assert RINKEBYSKOLAN in chief and chief <= set(
        School.objects.filter(area=own.area).values_list("school_unit_code", flat=True)
    )
    analyst = _school_codes(
        _section(login("analyst").get(reverse("results:results")).content.decode())
    )
    assert len(analyst) > 100 and chief < analyst


def test_the_page_says_what_the_comparison_cannot_show_and_labels_the_earlier_years(login, db):
    page = html.unescape(
        login("analyst")
        .get(reverse("results:results"), {"outcome": "eligible_vocational"})
        .content.decode()
    )
    section = _section(page)
    assert "inte pengarnas effekt" in section and "regression mot medelvärdet" in section
    assert (
        "2021, 2022, 2023: beräknat med nuvarande modell (stockholm-2024, 2024 års regler) på respektive års register"
        in section
    )
    # the budget year is computed with its own rules
    assert "2024: beräknat" not in section and ", 2024:" not in section
    # eligibility in percentage points
    assert 'data-chart="money-spec"' in section and "p.e." in section
    # no external script
    assert "cdn" not in page.lower() and "https://" not in re.sub(r'"\$schema": "[^"]+"', "", page)


def _pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(
            ["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


def test_the_annual_report_carries_the_citys_summary_and_the_caveat_and_the_tertial_report_does_not(
    login, db
):
    from docx import Document

    client = login("committee")  # the committee reads the report, and sees no school in it
    page = html.unescape(
        client.get(reverse("goals:report"), {"year": 2024, "period": "year"}).content.decode()
    )
    section = _section(page)
    found, _ = money_question("merit_value", until=2024)
    r = next(y for y in found.years if y.year == 2024)
    shown = f"{r.correlation:.2f}".replace(".", ",").replace("-", "\u2212")
    assert (
        "Pengar och resultat" in section and shown in section and "inte pengarnas effekt" in section
    )
    assert "/skolor/" not in section
    assert (
        "Pengar och resultat"
        not in client.get(reverse("goals:report"), {"year": 2024, "period": "T1"}).content.decode()
    )
    if subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = _pdf_text(
        client.get(reverse("goals:report_pdf"), {"year": 2024, "period": "year"}).content
    )
    flat = " ".join(text.split())
    assert "Pengar och resultat" in text and "Kvartil 4 (mest)" in text
    assert "inte pengarnas effekt" in flat and "regression mot medelvärdet" in flat
    assert (
        "2021, 2022, 2023: beräknat med nuvarande modell (stockholm-2024, 2024 års regler)" in flat
    )
    assert shown in text  # the same correlation as on the results page
    t1 = _pdf_text(client.get(reverse("goals:report_pdf"), {"year": 2024, "period": "T1"}).content)
    assert "Pengar och resultat" not in t1 and "Tertialrapport 1" in t1
    word = Document(
        io.BytesIO(
            client.get(reverse("goals:report_docx"), {"year": 2024, "period": "year"}).content
        )
    )
    assert any(
        p.style.name.startswith("Heading") and p.text == "Pengar och resultat"
        for p in word.paragraphs
    )
    headers = [t.rows[0].cells[0].text for t in word.tables]
    assert headers.count("År") == 2  # merit value and eligibility
