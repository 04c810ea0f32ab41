"""The socioeconomic index and expected results on a simulated municipality with known truth."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest
import stats_simulated_pupils as sim

from likvard.engine.allocation.inputs import INDEX_SCHEMA
from likvard.engine.stats.expected import expected_results
from likvard.engine.stats.index import compute_index, fit_index_model, school_index


@pytest.fixture(scope="module")
def town() -> sim.Municipality:
    return sim.simulate()


def test_index_coefficients_recover_the_truth_within_about_two_se(town) -> None:
    fit = fit_index_model(town.pupils, 2024).fit
    truth = np.array([sim.TRUE_INDEX[name] for name in fit.names])
    z = (fit.coef - truth) / fit.se
    assert np.all(np.abs(z) < 2.5), dict(zip(fit.names, z.round(2), strict=True))
    assert "residential_environment" in fit.summary()


def test_index_table_has_the_schema_the_allocation_engine_reads(town) -> None:
    result = compute_index(town.pupils, 2024)
    t = result.table
    for name, dtype in INDEX_SCHEMA.items():
        assert t.schema[name] == dtype
    assert {"moving_average", "quartile"} <= set(t.columns)
    assert t["pupils"].min() >= 10
    # 100 = the municipality's pupil mean: the pupil-weighted mean of the indices is 100.
    assert float((t["index"] * t["pupils"]).sum() / t["pupils"].sum()) == pytest.approx(100, abs=2)
    # Quartiles are cut on schools: about a quarter of schools in each, 4 = highest.
    counts = t.group_by("quartile").len().sort("quartile")["len"].to_list()
    assert counts == [15, 15, 15, 15]
    top = t.filter(pl.col("quartile") == 4)["moving_average"].min()
    assert top >= t.filter(pl.col("quartile") == 3)["moving_average"].max()


def test_moving_average_is_the_mean_of_the_last_three_years(town) -> None:
    model = fit_index_model(town.pupils, 2024)
    t = school_index(model, town.pupils, [2022, 2023, 2024])
    one = t.filter(pl.col("school_unit_code") == t["school_unit_code"][0]).sort("year")
    assert one["moving_average"][-1] == pytest.approx(one["index"].mean(), abs=1e-6)  # both rounded to 6 decimals


def test_small_schools_get_no_index(town) -> None:
    code = town.pupils["school_unit_code"][0]
    pupils = town.pupils.filter(
        (pl.col("school_unit_code") != code) | (pl.int_range(pl.len()).over("school_unit_code", "year") < 9)
    )
    t = compute_index(pupils, 2024).table
    assert code not in t["school_unit_code"].to_list()


def test_the_fitted_model_is_frozen_and_reapplied_unchanged(town) -> None:
    model = fit_index_model(town.pupils, 2023)
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.reference_years = (2020,)  # type: ignore[misc]
    later = town.pupils.filter(pl.col("year") == 2024)
    risk = model.predict_risk(later)
    assert risk.shape == (later.height,)
    assert np.all((risk > 0) & (risk < 1))
    assert model.reference_years == (2021, 2022, 2023)


def test_value_added_finds_the_true_school_effects(town) -> None:
    result = expected_results(town.pupils, 2024)
    merit = result.table.filter(pl.col("outcome") == "merit_value")
    truth = np.array([town.school_effects[c] for c in merit["school_unit_code"]])
    assert np.corrcoef(truth, merit["shrunken"].to_numpy())[0, 1] > 0.8
    # value added = actual − expected, and the flag only fires when the interval excludes 0.
    assert np.allclose(merit["value_added"], merit["actual"] - merit["expected"])
    fired = merit.filter(pl.col("flag") != "as expected")
    assert ((fired["lower"] > 0) | (fired["upper"] < 0)).all()
    calm = merit.filter(pl.col("flag") == "as expected")
    assert ((calm["lower"] <= 0) & (calm["upper"] >= 0)).all()
    assert "clearly above" in merit["flag"].to_list()


def test_bonferroni_flags_no_more_schools_than_per_school_intervals(town) -> None:
    plain = expected_results(town.pupils, 2024)
    strict = expected_results(town.pupils, 2024, adjust="bonferroni")
    holm = expected_results(town.pupils, 2024, adjust="holm")
    n = lambda r: int((r.table["flag"] != "as expected").sum())  # noqa: E731
    assert n(strict) <= n(holm) <= n(plain)


def test_groups_under_ten_are_shown_as_two_dots(town) -> None:
    result = expected_results(town.pupils, 2024)
    gender, _ = result.published()[1], None
    small = result.by_gender.filter(pl.col("pupils") < 10)["school_unit_code"].unique()
    shown = gender.filter(pl.col("school_unit_code").is_in(small.to_list()))
    assert shown.height > 0 and (shown["value_added"] == "..").all()
    # A school under 10 grade-9 pupils is suppressed as a whole.
    code = town.pupils["school_unit_code"][0]
    few = town.pupils.filter(
        (pl.col("school_unit_code") != code)
        | (pl.int_range(pl.len()).over("school_unit_code", "year", "grade") < 6)
    )
    table, _ = expected_results(few, 2024).published()
    row = table.filter((pl.col("school_unit_code") == code) & (pl.col("outcome") == "merit_value"))
    assert row["value_added"].to_list() == [".."] and row["flag"].to_list() == [".."]


def test_flag_agrees_with_the_interval_as_displayed() -> None:
    """A lower bound that shows as 0,0 must not be called clearly above (CI failure 2026-11)."""
    import numpy as np

    from likvard.engine.stats.expected import _flags

    z = 1.959963984540054
    shrunken = np.array([1.0, 1.0, -1.0])
    # Lower bounds 0.04 (shows as 0,0 with one decimal) and 0.06 (shows as 0,1); upper −0.04.
    se = np.array([(1.0 - 0.04) / z, (1.0 - 0.06) / z, (1.0 - 0.04) / z])
    _, _, flag = _flags(shrunken, se, 0.95, "none", decimals=1)
    assert flag.tolist() == ["as expected", "clearly above", "as expected"]
    _, _, flag4 = _flags(shrunken, se, 0.95, "none", decimals=4)
    assert flag4.tolist() == ["clearly above", "clearly above", "clearly below"]


def test_flag_schools_refuses_an_unknown_rule_or_outcome() -> None:
    import numpy as np

    from likvard.engine.stats.errors import StatsInputError
    from likvard.engine.stats.expected import flag_schools

    with pytest.raises(StatsInputError, match="adjust"):
        flag_schools(np.array([1.0]), np.array([0.1]), outcome="merit_value", adjust="sidak")  # type: ignore[arg-type]
    with pytest.raises(StatsInputError, match="outcome"):
        flag_schools(np.array([1.0]), np.array([0.1]), outcome="grades")
    _, _, flag = flag_schools(np.array([1.0, -1.0, 0.1]), np.array([0.1, 0.1, 0.1]), outcome="merit_value", adjust="holm")
    assert flag.tolist() == ["clearly above", "clearly below", "as expected"]
