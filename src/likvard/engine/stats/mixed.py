"""Random-intercept linear model fitted from per-group sufficient statistics.

Model: y_ij = x_ij'β + u_j + e_ij with u_j ~ N(0, τ²), e_ij ~ N(0, σ²).

Why our own fit instead of statsmodels' MixedLM: a national register (1.1 M pupils, 5 000
schools) must fit in seconds, and the fit must report a result at the boundary τ² = 0 where
statsmodels warns and wanders. With one random intercept, V_j = σ²(I + γ11') has the closed
inverse (Woodbury) H_j⁻¹ = I − γ/(1+γn_j)·11', so everything the likelihood needs is

* the global cross products X'X, X'y, y'y, and
* per group n_j, s_j = X_j'1 and t_j = y_j'1

(X_j'X_j per group is never needed: Σ_j X_j'H_j⁻¹X_j = X'X − Σ_j w_j s_j s_j'). For fixed
γ = τ²/σ², β(γ) and σ²(γ) are closed-form (GLS), so we maximise the profile (REML or ML)
likelihood over the single scalar log γ: a coarse grid, Brent's method on the bracket, and an
explicit comparison with γ = 0 so the boundary is handled exactly rather than approached.

Conventions chosen to match statsmodels (``mixedlm(...).fit(reml=...)``):

* log-likelihood constants are statsmodels' (REML without the ½log|X'X| term);
* fixed-effect standard errors come from the inverse observed information of the likelihood
  profiled over σ², in the parameters (β, γ), as statsmodels does (which includes the small
  β–γ cross term; σ²(X'V⁻¹X)⁻¹ alone differs in the 4th–5th digit);
* ``se_conditional`` of a group effect is statsmodels' ``random_effects_cov``: the
  conditional standard deviation of u_j given the data at the estimated parameters,
  √(τ²/(1+γn_j)); ``se_pev`` additionally carries the uncertainty of β̂ (Henderson's
  prediction-error variance), τ²/(1+γn_j) + w_j² s_j'Cov(β̂)s_j with Cov(β̂) = σ²(X'H⁻¹X)⁻¹.
  Intervals use the prediction-error SE by default (``interval="pev"``): in simulations with
  50 schools it covers 93.6 % against 93.1 % for the conditional SE (neither carries the
  uncertainty of τ̂², which is why both sit a little under 95 % with few schools). The column
  ``se`` is the one the interval was built from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from likvard.engine.stats.design import (
    INTERCEPT,
    FloatArray,
    IntArray,
    design_matrix,
    group_codes,
    numeric_column,
    require_columns,
)
from likvard.engine.stats.errors import StatsInputError

Method = Literal["REML", "ML"]
IntervalKind = Literal["conditional", "pev"]

_LOG_GAMMA_GRID = np.linspace(math.log(1e-7), math.log(1e5), 49)


@dataclass(frozen=True)
class SufficientStats:
    """What one pass over the pupils leaves behind; the fit never looks at pupils again.

    Covariates (all columns but the intercept) and y are centred at their grand means before
    the cross products are formed: the likelihood is unchanged, cancellation in y'y − b'β is
    not, and the intercept is mapped back afterwards.
    """

    n_obs: int
    counts: FloatArray  # (G,) n_j
    sums_x: FloatArray  # (G, p) s_j, centred covariates
    sums_y: FloatArray  # (G,) t_j, centred y
    xtx: FloatArray  # (p, p)
    xty: FloatArray  # (p,)
    yty: float
    x_mean: FloatArray  # (p,) grand means (0 for the intercept column)
    y_mean: float


def sufficient_stats(y: FloatArray, X: FloatArray, codes: IntArray, n_groups: int) -> SufficientStats:
    """Per-group and global sums (columnar: one bincount per column, no per-pupil loop)."""
    x_mean = X.mean(axis=0)
    x_mean[0] = 0.0
    y_mean = float(y.mean())
    Xc = X - x_mean
    yc = y - y_mean
    counts = np.bincount(codes, minlength=n_groups).astype(np.float64)
    sums_x = np.column_stack(
        [np.bincount(codes, weights=Xc[:, k], minlength=n_groups) for k in range(X.shape[1])]
    ).astype(np.float64)
    sums_y = np.bincount(codes, weights=yc, minlength=n_groups).astype(np.float64)
    return SufficientStats(
        n_obs=int(y.shape[0]),
        counts=counts,
        sums_x=sums_x,
        sums_y=sums_y,
        xtx=Xc.T @ Xc,
        xty=Xc.T @ yc,
        yty=float(yc @ yc),
        x_mean=x_mean,
        y_mean=y_mean,
    )


@dataclass(frozen=True)
class _Profile:
    gamma: float
    beta: FloatArray  # centred parameterisation
    a: FloatArray  # X'H⁻¹X
    rss: float  # r'H⁻¹r
    loglik: float


def profile(gamma: float, st: SufficientStats, reml: bool) -> _Profile:
    """β(γ), r'H⁻¹r(γ) and the σ²-profiled log-likelihood at one γ (closed form)."""
    n = st.counts
    w = gamma / (1.0 + gamma * n)
    a = st.xtx - (st.sums_x * w[:, None]).T @ st.sums_x
    b = st.xty - st.sums_x.T @ (w * st.sums_y)
    from scipy import linalg  # imported when a model is fitted, not by every command

    chol = linalg.cho_factor(a)
    beta = linalg.cho_solve(chol, b)
    rss = float(st.yty - w @ (st.sums_y**2) - b @ beta)
    rss = max(rss, 1e-300)
    logdet_h = float(np.sum(np.log1p(gamma * n)))
    p = a.shape[0]
    if reml:
        dof = st.n_obs - p
        logdet_a = 2.0 * float(np.sum(np.log(np.diag(chol[0]))))
        m2ll = dof * math.log(2 * math.pi * rss / dof) + dof + logdet_h + logdet_a
    else:
        m2ll = st.n_obs * math.log(2 * math.pi * rss / st.n_obs) + st.n_obs + logdet_h
    return _Profile(gamma=gamma, beta=beta, a=a, rss=rss, loglik=-0.5 * m2ll)


def _hessian(pr: _Profile, st: SufficientStats, reml: bool) -> FloatArray:
    """Observed information of the σ²-profiled likelihood in (β, γ), as statsmodels forms it.

    Every term of statsmodels' ``MixedLM.hessian`` reduces, for one random intercept, to sums
    over groups of n_j, c_j = 1/(1+γn_j), s_j and the residual sums e_j.
    """
    n = st.counts
    c = 1.0 / (1.0 + pr.gamma * n)
    e = st.sums_y - st.sums_x @ pr.beta
    p = pr.a.shape[0]
    fac = st.n_obs - p if reml else st.n_obs
    rss = pr.rss
    h_fe = -fac * pr.a / rss
    h_fere = -fac * (st.sums_x.T @ (c**2 * e)) / rss
    bb = float(np.sum((c * e) ** 2))
    dd = float(np.sum(2.0 * n * c**3 * e**2))
    h_re = float(np.sum(n**2 * c**2) / 2.0) - 0.5 * fac * (dd / rss - bb**2 / rss**2)
    if reml:
        xtax = (st.sums_x * (c**2)[:, None]).T @ st.sums_x
        ql = np.linalg.solve(pr.a, xtax)
        ff = 2.0 * (st.sums_x * (n * c**3)[:, None]).T @ st.sums_x
        h_re += 0.5 * (float(np.trace(ql @ ql)) - float(np.trace(np.linalg.solve(pr.a, ff))))
    h = np.empty((p + 1, p + 1))
    h[:p, :p] = h_fe
    h[:p, p] = h_fere
    h[p, :p] = h_fere
    h[p, p] = h_re
    return h


def _maximise(st: SufficientStats, reml: bool) -> tuple[_Profile, bool, int]:
    """Maximise the profile likelihood over γ ≥ 0: grid, then Brent, then the boundary."""

    def negll(log_gamma: float) -> float:
        return -profile(math.exp(log_gamma), st, reml).loglik

    values = np.array([negll(float(g)) for g in _LOG_GAMMA_GRID])
    k = int(np.argmin(values))
    lo = float(_LOG_GAMMA_GRID[max(k - 1, 0)])
    hi = float(_LOG_GAMMA_GRID[min(k + 1, len(_LOG_GAMMA_GRID) - 1)])
    from scipy import optimize  # here, not at import: the allocation's index never needs it (1–2 s)

    res = optimize.minimize_scalar(
        negll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10, "maxiter": 500}
    )
    best = profile(math.exp(float(res.x)), st, reml)
    converged = bool(res.success) and k < len(_LOG_GAMMA_GRID) - 1
    evaluations = len(_LOG_GAMMA_GRID) + int(res.nfev)
    at_zero = profile(0.0, st, reml)
    if at_zero.loglik >= best.loglik - 1e-10 * abs(best.loglik):
        # The maximum sits on the boundary τ² = 0: report it exactly rather than a tiny γ.
        best = at_zero
        converged = True
    return best, converged, evaluations + 1


def _readonly(a: FloatArray) -> FloatArray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class RandomInterceptFit:
    """A fitted random-intercept model; immutable, with what it learned kept for reuse.

    ``fixed`` and ``fixed_cov`` are on the original (uncentred) covariate scale, so
    ``predict_fixed`` can be applied unchanged to another year's pupils.
    """

    method: Method
    outcome: str
    group: str
    names: tuple[str, ...]
    fixed: FloatArray
    fixed_cov: FloatArray
    group_variance: float
    residual_variance: float
    loglik: float
    converged: bool
    n_obs: int
    evaluations: int
    level: float
    interval: IntervalKind
    #: One row per group: group, n, actual, expected, effect, se, se_conditional, se_pev,
    #: lower, upper (``se`` is the SE the interval was built from).
    groups: pl.DataFrame = field(repr=False)

    @property
    def fixed_se(self) -> FloatArray:
        return np.sqrt(np.diag(self.fixed_cov))

    @property
    def n_groups(self) -> int:
        return self.groups.height

    @property
    def icc(self) -> float:
        """Share of the outcome's variance that lies between groups."""
        total = self.group_variance + self.residual_variance
        return self.group_variance / total if total > 0 else 0.0

    def fixed_table(self) -> pl.DataFrame:
        """Estimate, SE, z and two-sided p per fixed effect."""
        from scipy import special

        se = self.fixed_se
        z = self.fixed / se
        return pl.DataFrame(
            {
                "term": list(self.names),
                "estimate": self.fixed,
                "se": se,
                "z": z,
                "p": 2.0 * special.ndtr(-(np.abs(z))),
            }
        )

    def predict_fixed(self, df: pl.DataFrame) -> FloatArray:
        """x'β for new rows (e.g. a later year), using the stored coefficients unchanged."""
        covs = list(self.names[1:])
        require_columns(df, covs)
        X = np.column_stack([np.ones(df.height)] + [numeric_column(df, c) for c in covs])
        return np.asarray(X @ self.fixed, dtype=np.float64)

    def summary(self) -> str:
        """A readable table like statsmodels' summary, without the pupils."""
        lines = [
            f"Random-intercept model ({self.method}): {self.outcome} ~ "
            f"{' + '.join(self.names[1:]) or '1'} + (1 | {self.group})",
            f"pupils {self.n_obs}   groups {self.n_groups}   log-likelihood {self.loglik:.4f}   "
            f"converged {'yes' if self.converged else 'NO'}",
            f"group variance τ² {self.group_variance:.6g}   residual variance σ² "
            f"{self.residual_variance:.6g}   ICC {self.icc:.4f}",
            "",
            f"{'term':<24}{'estimate':>14}{'SE':>12}{'z':>10}{'p':>10}",
        ]
        for row in self.fixed_table().iter_rows(named=True):
            lines.append(
                f"{row['term']:<24}{row['estimate']:>14.6g}{row['se']:>12.4g}"
                f"{row['z']:>10.3f}{row['p']:>10.4f}"
            )
        return "\n".join(lines)


def fit_arrays(
    y: FloatArray,
    X: FloatArray,
    codes: IntArray,
    labels: Sequence[str],
    *,
    names: Sequence[str],
    method: Method = "REML",
    level: float = 0.95,
    interval: IntervalKind = "pev",
    outcome: str = "y",
    group: str = "group",
) -> RandomInterceptFit:
    """Fit from checked arrays. X's first column must be the intercept."""
    if method not in ("REML", "ML"):
        raise StatsInputError(f"method must be 'REML' or 'ML', not {method!r}")
    if interval not in ("conditional", "pev"):
        raise StatsInputError(f"interval must be 'conditional' or 'pev', not {interval!r}")
    n_groups = len(labels)
    if n_groups < 2:
        raise StatsInputError("at least two groups are needed to estimate a group variance")
    reml = method == "REML"
    st = sufficient_stats(y, X, codes, n_groups)
    if st.yty <= 1e-12 * max(1.0, st.y_mean**2) * st.n_obs:
        raise StatsInputError(f"the outcome {outcome!r} is constant; there is nothing to model")
    if np.all(st.counts == 1):
        raise StatsInputError(
            f"every group in {group!r} has a single row, so the group variance cannot be "
            "told apart from the residual variance"
        )
    best, converged, evaluations = _maximise(st, reml)
    p = X.shape[1]
    dof = st.n_obs - p if reml else st.n_obs
    sigma2 = best.rss / dof
    tau2 = best.gamma * sigma2

    # Fixed effects back to the original scale: β0 = β0c + ȳ − Σ_k βk x̄k.
    m = np.eye(p)
    m[0, 1:] = -st.x_mean[1:]
    hess = _hessian(best, st, reml)
    try:
        cov_all = np.linalg.inv(-hess)
        cov_c = cov_all[:p, :p]
        if not np.all(np.diag(cov_c) > 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov_c = sigma2 * np.linalg.inv(best.a)
    beta = m @ best.beta
    beta[0] += st.y_mean
    cov = m @ cov_c @ m.T

    # Group effects (BLUP / empirical Bayes) and their standard errors.
    n = st.counts
    w = best.gamma / (1.0 + best.gamma * n)
    e = st.sums_y - st.sums_x @ best.beta
    effect = w * e
    var_cond = sigma2 * w
    gls_cov = sigma2 * np.linalg.inv(best.a)
    var_pev = var_cond + w**2 * np.einsum("gi,ij,gj->g", st.sums_x, gls_cov, st.sums_x)
    se_cond = np.sqrt(var_cond)
    se_pev = np.sqrt(var_pev)
    se = se_cond if interval == "conditional" else se_pev
    from scipy import special

    z = float(special.ndtri(0.5 + level / 2.0))
    half = z * se
    expected_c = (st.sums_x @ best.beta) / n  # mean fixed-part prediction, centred
    groups = pl.DataFrame(
        {
            "group": list(labels),
            "n": n.astype(np.int64),
            "actual": st.sums_y / n + st.y_mean,
            "expected": expected_c + st.y_mean,
            "effect": effect,
            "se": se,
            "se_conditional": se_cond,
            "se_pev": se_pev,
            "lower": effect - half,
            "upper": effect + half,
        }
    )
    return RandomInterceptFit(
        method=method,
        outcome=outcome,
        group=group,
        names=tuple(names),
        fixed=_readonly(beta),
        fixed_cov=_readonly(cov),
        group_variance=float(tau2),
        residual_variance=float(sigma2),
        loglik=float(best.loglik),
        converged=converged,
        n_obs=st.n_obs,
        evaluations=evaluations,
        level=level,
        interval=interval,
        groups=groups,
    )


def fit_random_intercept(
    df: pl.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    group: str,
    *,
    method: Method = "REML",
    level: float = 0.95,
    interval: IntervalKind = "pev",
) -> RandomInterceptFit:
    """Fit y = Xβ + u_group + e on a pupil-level frame (REML by default).

    Raises StatsInputError for missing columns or values, text in numeric columns, a constant
    outcome, constant or collinear covariates, fewer than two groups or only single-row groups.
    """
    covariates = list(covariates)
    require_columns(df, [outcome, *covariates, group])
    if df.height == 0:
        raise StatsInputError("the data has no rows")
    y = numeric_column(df, outcome)
    X = design_matrix(df, covariates)
    codes, labels = group_codes(df, group)
    return fit_arrays(
        y,
        X,
        codes,
        labels,
        names=[INTERCEPT, *covariates],
        method=method,
        level=level,
        interval=interval,
        outcome=outcome,
        group=group,
    )
