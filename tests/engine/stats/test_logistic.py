"""Our IRLS logistic regression against statsmodels Logit, to 1e-6."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from likvard.engine.stats import StatsInputError
from likvard.engine.stats.logistic import fit_logistic


def data(seed: int = 3, n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [np.ones(n), rng.normal(size=n), rng.binomial(1, 0.3, n), rng.integers(1, 11, n)]
    ).astype(float)
    eta = X @ np.array([-1.0, 0.6, 0.9, -0.12])
    y = rng.binomial(1, 1 / (1 + np.exp(-eta))).astype(float)
    return y, X


def test_coefficients_and_standard_errors_match_statsmodels_logit() -> None:
    y, X = data()
    ref = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12)
    fit = fit_logistic(y, X, ["(Intercept)", "a", "b", "c"])
    np.testing.assert_allclose(fit.coef, ref.params, rtol=1e-6)
    np.testing.assert_allclose(fit.se, ref.bse, rtol=1e-6)
    assert fit.loglik == pytest.approx(ref.llf, rel=1e-9)
    assert fit.converged
    glm = sm.GLM(y, X, family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(fit.coef, glm.params, rtol=1e-6)
    assert "(Intercept)" in fit.summary()


def test_perfect_separation_is_reported_not_hidden() -> None:
    y, X = data()
    X[:, 2] = y  # the term "b" predicts the outcome perfectly
    with pytest.raises(StatsInputError, match="'b' separates"):
        fit_logistic(y, X, ["(Intercept)", "a", "b", "c"])


def test_a_constant_outcome_is_refused() -> None:
    _, X = data()
    with pytest.raises(StatsInputError, match="same for everyone"):
        fit_logistic(np.zeros(X.shape[0]), X, ["(Intercept)", "a", "b", "c"])
