"""The index for any municipality, and the fitted index model stored as JSON and re-applied.

On the demo municipality (seed 1): recoded to Göteborg (1480) it must give exactly the index it
gives as Stockholm (0180); a wrong code names the municipality the pupils live in; a model
written with ``to_dict`` and read back through JSON indexes to the bit; expected results rest on
the stored model when given one.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import polars as pl
import pytest

from likvard.data.demo import build
from likvard.engine.allocation.inputs import AllocationInput
from likvard.engine.stats import (
    INDEX_MODEL_VERSION,
    IndexModel,
    StatsInputError,
    apply_index_model,
    compute_index,
    expected_results,
    fit_index_model,
    school_index,
)

YEARS = [2022, 2023, 2024]


@pytest.fixture(scope="module")
def demo() -> AllocationInput:
    return build(seed=1)


@pytest.fixture(scope="module")
def goteborg(demo: AllocationInput) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The demo's pupils and schools with Stockholm's code replaced by Göteborg's."""
    recode = pl.col("home_municipality").replace("0180", "1480")
    pupils = demo.pupils.with_columns(recode)
    schools = demo.schools.with_columns(pl.col("municipality_code").replace("0180", "1480"))
    return pupils, schools


@pytest.fixture(scope="module")
def stockholm_model(demo: AllocationInput) -> IndexModel:
    return fit_index_model(demo.pupils, 2024, home_municipality="0180")


def _grade9_with_outcomes(pupils: pl.DataFrame, home: str) -> int:
    return pupils.filter(
        (pl.col("grade") == "9")
        & (pl.col("school_form") == "gr")
        & pl.col("year").is_in(YEARS)
        & pl.col("eligible_vocational").is_not_null()
        & (pl.col("home_municipality") == home)
    ).height


# --- the home municipality is a parameter ---------------------------------------------------


def test_the_demo_recoded_to_goteborg_gives_the_same_index_as_stockholm(demo, goteborg) -> None:
    pupils, schools = goteborg
    assert "0180" not in pupils["home_municipality"].to_list()
    assert "0180" not in schools["municipality_code"].to_list()
    there = compute_index(pupils, 2024, home_municipality="1480")
    here = compute_index(demo.pupils, 2024, home_municipality="0180")
    assert set(there.table["quartile"].to_list()) == {1, 2, 3, 4}
    assert there.table.height == here.table.height > 100
    assert there.table.equals(here.table)
    assert there.model.home_municipality == "1480" and here.model.home_municipality == "0180"
    assert np.array_equal(there.model.fit.coef, here.model.fit.coef)
    assert "resident in 1480" in there.model.summary()


def test_stockholm_on_the_goteborg_register_names_the_municipality_the_pupils_live_in(goteborg) -> None:
    pupils, _ = goteborg
    n = _grade9_with_outcomes(pupils, "1480")
    assert n > 1000
    with pytest.raises(StatsInputError) as err:
        compute_index(pupils, 2024, home_municipality="0180")
    message = str(err.value)
    assert message.startswith("only 0 grade-9 pupils resident in 0180 with outcomes in [2022, 2023, 2024]")
    assert f"live mostly in 1480 ({n:,})".replace(",", " ") in message
    assert message.endswith("(--municipality 1480)")
    assert err.value.column == "home_municipality"


def test_a_thin_cohort_in_the_modal_municipality_says_too_few_and_names_the_next(goteborg) -> None:
    pupils, _ = goteborg
    # Grade-9 pupils with outcomes per year: 14 of 1480, 3 of 0182, none of elsewhere.
    g9 = (pl.col("grade") == "9") & pl.col("eligible_vocational").is_not_null()
    rank = pl.int_range(pl.len()).over(g9, "home_municipality", "year")
    keep = ~g9 | ((pl.col("home_municipality") == "1480") & (rank < 14)) | (
        (pl.col("home_municipality") == "0182") & (rank < 3)
    )
    thin = pupils.filter(pl.col("year").is_in(YEARS)).filter(keep)
    assert _grade9_with_outcomes(thin, "1480") == 42 and _grade9_with_outcomes(thin, "0182") == 9
    with pytest.raises(StatsInputError) as err:
        fit_index_model(thin, 2024)
    assert str(err.value) == (
        "only 42 grade-9 pupils resident in 1480 with outcomes in [2022, 2023, 2024]; too few to "
        "fit (at least 50 are needed; the most common other home municipality is 0182 with 9)"
    )


def test_without_a_code_the_municipality_most_grade9_pupils_live_in_is_used(demo, goteborg) -> None:
    pupils, _ = goteborg
    model = fit_index_model(pupils, 2024)
    assert model.home_municipality == "1480"
    assert fit_index_model(demo.pupils, 2024).home_municipality == "0180"
    assert school_index(model, pupils, [2024]).equals(compute_index(pupils, 2024, home_municipality="1480").table)


def test_a_model_applied_to_a_register_without_its_residents_names_its_municipality(stockholm_model, goteborg) -> None:
    pupils, _ = goteborg
    with pytest.raises(StatsInputError, match="resident in 0180"):
        apply_index_model(stockholm_model, pupils, [2024])


# --- the stored model --------------------------------------------------------------------------


def _through_json(model: IndexModel) -> IndexModel:
    return IndexModel.from_dict(json.loads(json.dumps(model.to_dict(), allow_nan=False)))


def test_the_stored_model_has_the_documented_top_level_keys(stockholm_model) -> None:
    d = stockholm_model.to_dict()
    assert list(d) == ["version", "home_municipality", "reference_years", "encoding", "fit"]
    assert d["version"] == INDEX_MODEL_VERSION == 1
    assert d["home_municipality"] == "0180" and d["reference_years"] == YEARS
    assert set(d["encoding"]) == {
        "features", "means", "area_shares", "school_shares", "default_share",
        "education_unknown", "include_gender", "recent_years",
    }
    assert set(d["fit"]) == {"names", "coef", "se", "cov", "loglik", "n_obs", "iterations", "converged"}
    assert d["fit"]["names"] == ["(Intercept)", *d["encoding"]["features"]]
    assert len(d["encoding"]["school_shares"]) > 100


def test_a_model_read_back_through_json_indexes_every_year_to_the_bit(demo, stockholm_model) -> None:
    back = _through_json(stockholm_model)
    before = school_index(stockholm_model, demo.pupils, YEARS)
    after = apply_index_model(back, demo.pupils, YEARS)
    assert sorted(after["year"].unique().to_list()) == YEARS
    assert after.equals(before)
    assert np.array_equal(back.predict_risk(demo.pupils), stockholm_model.predict_risk(demo.pupils))
    assert back.encoding == stockholm_model.encoding
    assert back.reference_years == stockholm_model.reference_years
    assert back.home_municipality == "0180"
    assert np.array_equal(back.fit.cov, stockholm_model.fit.cov)
    assert back.fit.table().equals(stockholm_model.fit.table())
    assert back.summary() == stockholm_model.summary()
    assert back.to_dict() == stockholm_model.to_dict()


def test_coefficients_written_with_twelve_digits_would_change_the_risks(demo, stockholm_model) -> None:
    """The bit-equality above has power: a lossy writer (``%.12g``) would be caught."""
    d: dict[str, Any] = json.loads(json.dumps(stockholm_model.to_dict()))
    d["fit"]["coef"] = [float(f"{v:.12g}") for v in d["fit"]["coef"]]
    assert d["fit"]["coef"] != stockholm_model.to_dict()["fit"]["coef"]
    nudged = IndexModel.from_dict(d)
    assert not np.array_equal(nudged.predict_risk(demo.pupils), stockholm_model.predict_risk(demo.pupils))


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (("encoding", "features"), "encoding.features"),
        (("encoding", "means"), "encoding.means"),
        (("encoding", "school_shares"), "encoding.school_shares"),
        (("fit", "coef"), "fit.coef"),
        (("fit", "cov"), "fit.cov"),
        (("home_municipality",), "home_municipality"),
        (("reference_years",), "reference_years"),
        (("version",), "version"),
    ],
)
def test_a_stored_model_missing_a_key_is_refused_naming_it(stockholm_model, path, named) -> None:
    d: dict[str, Any] = json.loads(json.dumps(stockholm_model.to_dict()))
    inner = d
    for key in path[:-1]:
        inner = inner[key]
    del inner[path[-1]]
    with pytest.raises(StatsInputError, match=re.escape(f"missing key '{named}'")) as err:
        IndexModel.from_dict(d)
    assert err.value.column == named


def test_a_stored_model_of_an_unknown_version_or_wrong_types_is_refused(stockholm_model) -> None:
    good: dict[str, Any] = json.loads(json.dumps(stockholm_model.to_dict()))
    with pytest.raises(StatsInputError, match="version 2 is not known"):
        IndexModel.from_dict({**good, "version": 2})
    with pytest.raises(StatsInputError, match=r"'encoding.means' must be a list"):
        IndexModel.from_dict({**good, "encoding": {**good["encoding"], "means": "0.1"}})
    with pytest.raises(StatsInputError, match=r"'fit.converged' must be true or false"):
        IndexModel.from_dict({**good, "fit": {**good["fit"], "converged": 1}})
    with pytest.raises(StatsInputError, match="unknown feature"):
        IndexModel.from_dict({**good, "encoding": {**good["encoding"], "features": ["born_abroad", "shoe_size", *good["encoding"]["features"][2:]]}})
    with pytest.raises(StatsInputError, match=r"fit.coef"):
        IndexModel.from_dict({**good, "fit": {**good["fit"], "coef": good["fit"]["coef"][:-1]}})
    with pytest.raises(StatsInputError, match=r"fit.se does not match"):
        IndexModel.from_dict({**good, "fit": {**good["fit"], "se": [2 * v for v in good["fit"]["se"]]}})


# --- expected results on the stored model -----------------------------------------------------


def test_expected_results_on_the_index_model_equal_those_fitting_their_own(demo) -> None:
    index = compute_index(demo.pupils, 2024, home_municipality="0180")
    own = expected_results(demo.pupils, 2024, home_municipality="0180")
    given = expected_results(demo.pupils, 2024, index_model=index.model)
    stored = expected_results(demo.pupils, 2024, index_model=_through_json(index.model))
    implicit = expected_results(demo.pupils, 2024)  # the behaviour before the parameter existed
    assert own.index_model.reference_years == index.model.reference_years == tuple(YEARS)
    assert own.table.height > 100
    for other in (given, stored, implicit):
        assert other.table.equals(own.table)
        assert other.by_gender.equals(own.by_gender)
    assert given.index_model is index.model


def test_expected_results_refuse_a_model_of_another_municipality(stockholm_model, demo) -> None:
    with pytest.raises(StatsInputError, match="fitted on residents of 0180, not 1480"):
        expected_results(demo.pupils, 2024, home_municipality="1480", index_model=stockholm_model)
