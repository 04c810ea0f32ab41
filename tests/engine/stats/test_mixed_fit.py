"""The random-intercept fit: a live statsmodels comparison, input errors, immutability."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
import statsmodels.formula.api as smf

from likvard.engine.stats import StatsInputError
from likvard.engine.stats.mixed import fit_random_intercept


def small_data(seed: int = 11, groups: int = 25, scale: float = 1.0) -> pl.DataFrame:
    """Merit-value-like data; ``scale`` divides the outcome (statsmodels prefers unit scale)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 25, groups)
    g = np.repeat(np.arange(groups), sizes)
    n = g.shape[0]
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, n).astype(float)
    y = 210 + 25 * x1 - 15 * x2 + rng.normal(0, 12, groups)[g] + rng.normal(0, 40, n)
    return pl.DataFrame({"merit": y / scale, "x1": x1, "x2": x2, "school": [f"A{i:02d}" for i in g]})


@pytest.mark.parametrize("reml", [True, False])
def test_fit_matches_live_statsmodels_mixedlm(reml: bool) -> None:
    # Seed 13 is one where statsmodels' own optimiser reaches the maximum (on seeds 11 and 12
    # it reports a lower likelihood than ours, or non-convergence).
    df = small_data(seed=13, scale=40.0)
    pdf = pd.DataFrame({c: df[c].to_numpy() for c in df.columns})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("merit ~ x1 + x2", pdf, groups="school").fit(
            reml=reml, method=["bfgs", "lbfgs"], gtol=1e-10
        )
    assert ref.converged
    fit = fit_random_intercept(df, "merit", ["x1", "x2"], "school", method="REML" if reml else "ML")
    np.testing.assert_allclose(fit.fixed, ref.fe_params.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(fit.fixed_se, ref.bse_fe.to_numpy(), rtol=1e-4)
    assert fit.group_variance == pytest.approx(float(ref.cov_re.iloc[0, 0]), rel=1e-4)
    assert fit.residual_variance == pytest.approx(float(ref.scale), rel=1e-4)
    effects = [float(ref.random_effects[g].iloc[0]) for g in fit.groups["group"]]
    np.testing.assert_allclose(fit.groups["effect"].to_numpy(), effects, rtol=1e-4, atol=1e-6)


def test_on_the_merit_scale_we_find_a_higher_likelihood_than_statsmodels() -> None:
    """statsmodels says "converged" here but stops short (BFGS fails, L-BFGS retries badly)."""
    df = small_data()
    pdf = pd.DataFrame({c: df[c].to_numpy() for c in df.columns})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("merit ~ x1 + x2", pdf, groups="school").fit(reml=True)
    fit = fit_random_intercept(df, "merit", ["x1", "x2"], "school")
    assert fit.loglik > ref.llf + 0.1
    # ... and it is our fit of the rescaled data, rescaled back (REML is scale-equivariant).
    unit = fit_random_intercept(small_data(scale=40.0), "merit", ["x1", "x2"], "school")
    assert fit.group_variance == pytest.approx(unit.group_variance * 1600, rel=1e-6)


def test_boundary_fit_reports_zero_group_variance_and_converges() -> None:
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(30), 8)
    noise = rng.normal(size=240)
    # Remove every school's mean: the between-school variance is exactly zero.
    noise -= np.bincount(g, weights=noise)[g] / 8
    df = pl.DataFrame({"y": 3.0 + noise, "school": g.astype(str)})
    fit = fit_random_intercept(df, "y", [], "school")
    assert fit.converged
    assert fit.group_variance == 0.0
    # With τ² = 0 the effects are exactly zero and the fixed part is OLS.
    assert np.all(fit.groups["effect"].to_numpy() == 0.0)
    assert fit.fixed[0] == pytest.approx(df["y"].mean(), rel=1e-12)


def test_tiny_groups_of_two_are_fitted() -> None:
    rng = np.random.default_rng(8)
    g = np.repeat(np.arange(40), 2)
    y = rng.normal(0, 1, 40)[g] + rng.normal(size=80)
    fit = fit_random_intercept(pl.DataFrame({"y": y, "g": g}), "y", [], "g")
    assert fit.converged and fit.group_variance > 0


def test_fitted_result_is_immutable_and_summarises() -> None:
    fit = fit_random_intercept(small_data(), "merit", ["x1", "x2"], "school")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.group_variance = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        fit.fixed[0] = 0.0
    text = fit.summary()
    assert "(Intercept)" in text and "x2" in text and "REML" in text


def test_predict_fixed_reapplies_the_stored_coefficients() -> None:
    df = small_data()
    fit = fit_random_intercept(df, "merit", ["x1", "x2"], "school")
    new = pl.DataFrame({"x1": [0.0, 1.0], "x2": [0.0, 1.0]})
    np.testing.assert_allclose(
        fit.predict_fixed(new), [fit.fixed[0], fit.fixed.sum()], rtol=1e-12
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("x1")).alias("x1")), "missing values in row(s) 3"),
        (lambda d: d.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("abc")).otherwise(pl.col("x1").cast(pl.String)).alias("x1")), "not numeric: row(s) 2"),
        (lambda d: d.with_columns(pl.lit(5.0).alias("merit")), "constant"),
        (lambda d: d.with_columns(pl.int_range(pl.len()).cast(pl.String).alias("school")), "single row"),
        (lambda d: d.with_columns((2 * pl.col("x1")).alias("x2")), "collinear"),
        (lambda d: d.with_columns(pl.lit(1.0).alias("x2")), "constant"),
        (lambda d: d.drop("x2"), "not found: x2"),
        (lambda d: d.with_columns(pl.lit("a").alias("x2")), "not numeric"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(change, message) -> None:
    df = change(small_data())
    with pytest.raises(StatsInputError, match=None) as info:
        fit_random_intercept(df, "merit", ["x1", "x2"], "school")
    assert message in str(info.value)
