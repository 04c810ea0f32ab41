"""Our random-intercept fit against stored statsmodels MixedLM results (tests/data/mixedlm).

Tolerance: 1e-4 relative, with an absolute floor for values near zero (a random effect of
0.0003 is compared absolutely), on every case where statsmodels reports convergence. Where it
does not, we must still converge and reach at least statsmodels' log-likelihood.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from likvard.engine.stats.mixed import fit_random_intercept

DATA = Path(__file__).parents[2] / "data" / "mixedlm"
CASES = sorted(p.stem for p in DATA.glob("*.json"))
RTOL = 1e-4


def close(ours: np.ndarray, ref: np.ndarray, floor: float) -> float:
    """Largest relative difference, where |ref| below `floor` counts against `floor`."""
    denom = np.maximum(np.abs(ref), floor)
    return float(np.max(np.abs(ours - ref) / denom))


def test_there_are_six_reference_cases() -> None:
    assert len(CASES) >= 6


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("case", CASES)
def test_fit_agrees_with_statsmodels(case: str, method: str) -> None:
    meta = json.loads((DATA / f"{case}.json").read_text())
    ref = meta[method]
    df = pl.read_csv(DATA / f"{case}.csv", schema_overrides={"school": pl.String})
    fit = fit_random_intercept(df, "y", meta["covariates"], "school", method=method)
    assert fit.converged
    if not ref["converged"]:
        # statsmodels gave up; we must not, and must be at least as good.
        assert fit.loglik >= ref["llf"] - 1e-6
        return
    scale = float(np.sqrt(ref["residual_variance"]))
    fixed_ref = np.array(list(ref["fixed"].values()))
    assert close(fit.fixed, fixed_ref, 1e-3 * scale) < RTOL
    assert close(fit.fixed_se, np.array(list(ref["fixed_se"].values())), 1e-6) < RTOL
    assert close(np.array([fit.residual_variance]), np.array([ref["residual_variance"]]), 0) < RTOL
    # τ² near the boundary: compare against a floor of 1e-3·σ².
    floor_tau = 1e-3 * ref["residual_variance"]
    assert close(np.array([fit.group_variance]), np.array([ref["group_variance"]]), floor_tau) < RTOL
    assert fit.loglik == pytest.approx(ref["llf"], rel=1e-7, abs=1e-6)
    groups = fit.groups["group"].to_list()
    assert groups == sorted(ref["random_effects"])
    re_ref = np.array([ref["random_effects"][g] for g in groups])
    assert close(fit.groups["effect"].to_numpy(), re_ref, 1e-3 * scale) < RTOL
    var_ref = np.array([ref["random_effects_var"][g] for g in groups])
    assert close(fit.groups["se_conditional"].to_numpy() ** 2, var_ref, 1e-3 * ref["residual_variance"]) < RTOL
