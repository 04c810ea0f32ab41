"""Vega-Lite specs for value added render to SVG that contains the schools and the marks."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine" / "stats"))  # the simulated town
import stats_simulated_pupils as sim

from likvard.engine.stats.expected import expected_results
from likvard.exports.charts import actual_expected_spec, caterpillar_spec, render


@pytest.fixture(scope="module")
def results_and_schools():
    town = sim.simulate()
    result = expected_results(town.pupils, 2024)
    codes = result.table["school_unit_code"].unique().sort()
    schools = pl.DataFrame(
        {
            "school_unit_code": codes,
            "name": [f"Skola {i}" for i in range(codes.len())],
            "area": [f"Område {i % 7}" for i in range(codes.len())],
        }
    )
    return result, schools


def test_caterpillar_renders_every_school_with_an_interval(results_and_schools) -> None:
    result, schools = results_and_schools
    spec = caterpillar_spec(result.table, schools=schools)
    assert len(spec["data"]["values"]) == 60
    svg = render(spec, "svg")
    assert isinstance(svg, str) and svg.startswith("<svg")
    assert "Skola 0" in svg and "Skola 59" in svg
    assert "clearly above" in svg  # the legend
    assert svg.count('role-mark') >= 3  # rules, points and the zero line


def test_actual_vs_expected_names_the_highlighted_area_only(results_and_schools) -> None:
    result, schools = results_and_schools
    spec = actual_expected_spec(result.table, schools=schools, area="Område 2")
    svg = render(spec, "svg")
    in_area = schools.filter(pl.col("area") == "Område 2")["name"].to_list()
    outside = schools.filter(pl.col("area") == "Område 3")["name"].to_list()
    assert all(f">{n}<" in svg for n in in_area)
    assert not any(f">{n}<" in svg for n in outside)
    png = render(spec, "png")
    assert isinstance(png, bytes) and png[:4] == b"\x89PNG"


def test_charts_speak_swedish_when_asked(results_and_schools) -> None:
    result, schools = results_and_schools
    svg = render(caterpillar_spec(result.table, schools=schools, language="sv"), "svg")
    assert "Förädlingsvärde, meritvärde (95 % intervall)" in svg and "klart över förväntat" in svg
    assert "clearly" not in svg and "value added" not in svg
    svg2 = render(actual_expected_spec(result.table, outcome="eligible_vocational", schools=schools, area="Område 1", language="sv"), "svg")
    assert "Faktiskt och förväntat behörighet till yrkesprogram, Område 1 markerat" in svg2
    assert "förväntat behörighet till yrkesprogram" in svg2 and "expected" not in svg2
    with pytest.raises(Exception, match="language"):
        caterpillar_spec(result.table, schools=schools, language="de")  # type: ignore[arg-type]


def test_the_caterpillar_sets_the_areas_schools_in_bold(results_and_schools) -> None:
    import re

    result, schools = results_and_schools
    svg = render(caterpillar_spec(result.table, schools=schools, area="Område 2"), "svg")
    in_area = set(schools.filter(pl.col("area") == "Område 2")["name"].to_list())
    bold = set(re.findall(r'<text[^>]*font-weight="bold"[^>]*>([^<]+)</text>', svg))
    assert in_area <= bold
    assert not (bold & set(schools.filter(pl.col("area") == "Område 3")["name"].to_list()))
