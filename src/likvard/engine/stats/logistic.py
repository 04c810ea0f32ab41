"""Logistic regression by Newton–Raphson (IRLS) with standard errors.

Why our own: a few dozen lines of NumPy replace a heavy dependency in the production path, run
columnar on a national register, and give us control over what happens at (quasi-)separation,
which a municipal index must report rather than silently produce huge coefficients.
statsmodels' ``Logit`` is the yardstick in the tests (agreement to 1e-6).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import polars as pl

from likvard.engine.stats.design import FloatArray, check_rank
from likvard.engine.stats.errors import StatsInputError


def _expit(x: FloatArray) -> FloatArray:
    """The logistic function, in NumPy. Why not scipy.special.expit: importing SciPy costs a
    command on the demo about a second, and the index's fit needs nothing else from it."""
    out: FloatArray = np.exp(-np.logaddexp(0.0, -x))
    return out


def _logit(p: float) -> float:
    return float(np.log(p) - np.log1p(-p))


def _normal_sf(z: FloatArray) -> FloatArray:
    """Upper tail of the standard normal (for p-values in the coefficient table only)."""
    from scipy import special

    out: FloatArray = special.ndtr(-z)
    return out


def _readonly(a: FloatArray) -> FloatArray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


# Reading stored fits back (``LogisticFit.from_dict``, ``IndexModel.from_dict``): every value is
# checked for its JSON type, and a missing or wrong key is named with its path, because a stored
# model that loads with a silently wrong field would move money.
T = TypeVar("T")


def take(d: object, key: str, where: str, conv: Callable[[object], T]) -> T:
    """``conv(d[key])``, or a StatsInputError naming ``where.key`` if absent or ill-typed."""
    path = f"{where}.{key}" if where else key
    if not isinstance(d, Mapping):
        raise StatsInputError(f"stored model: {where or 'the model'} is not an object", column=where or None)
    if key not in d:
        raise StatsInputError(f"stored model: missing key {path!r}", column=path)
    try:
        return conv(d[key])
    except (TypeError, ValueError) as err:
        raise StatsInputError(f"stored model: key {path!r} {err}", column=path) from None


def as_float(v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise TypeError(f"must be a number, not {type(v).__name__}")
    return float(v)


def as_int(v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"must be an integer, not {type(v).__name__}")
    return v


def as_bool(v: object) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"must be true or false, not {type(v).__name__}")
    return v


def as_str(v: object) -> str:
    if not isinstance(v, str):
        raise TypeError(f"must be a string, not {type(v).__name__}")
    return v


def as_list(v: object) -> list[object]:
    if not isinstance(v, list | tuple):
        raise TypeError(f"must be a list, not {type(v).__name__}")
    return list(v)


def as_floats(v: object) -> tuple[float, ...]:
    return tuple(as_float(x) for x in as_list(v))


def as_strs(v: object) -> tuple[str, ...]:
    return tuple(as_str(x) for x in as_list(v))


@dataclass(frozen=True)
class LogisticFit:
    """Coefficients, their covariance (inverse Fisher information) and fit statistics."""

    names: tuple[str, ...]
    coef: FloatArray
    cov: FloatArray
    loglik: float
    n_obs: int
    iterations: int
    converged: bool

    @property
    def se(self) -> FloatArray:
        return np.sqrt(np.diag(self.cov))

    def table(self) -> pl.DataFrame:
        """Estimate, SE, z and two-sided p per coefficient."""
        z = self.coef / self.se
        return pl.DataFrame(
            {
                "term": list(self.names),
                "estimate": self.coef,
                "se": self.se,
                "z": z,
                "p": 2.0 * _normal_sf(np.abs(z)),
            }
        )

    def linear_predictor(self, X: FloatArray) -> FloatArray:
        return np.asarray(X @ self.coef, dtype=np.float64)

    def predict(self, X: FloatArray) -> FloatArray:
        """Predicted probabilities for a design matrix laid out like the fitted one."""
        return np.asarray(_expit(self.linear_predictor(X)), dtype=np.float64)

    def to_dict(self) -> dict[str, object]:
        """Everything ``predict``, ``table()`` and ``summary()`` need, as plain JSON types.

        Floats are written as Python floats, which JSON (``repr``) carries to the bit, so a fit
        read back with ``from_dict`` predicts exactly what this one does.
        """
        return {
            "names": list(self.names),
            "coef": [float(v) for v in self.coef],
            "se": [float(v) for v in self.se],
            "cov": [[float(v) for v in row] for row in self.cov],
            "loglik": float(self.loglik),
            "n_obs": int(self.n_obs),
            "iterations": int(self.iterations),
            "converged": bool(self.converged),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object], *, where: str = "fit") -> LogisticFit:
        """Rebuild a fit written by ``to_dict``; a missing or inconsistent key is named."""
        names = take(d, "names", where, as_strs)
        coef = take(d, "coef", where, as_floats)
        se = take(d, "se", where, as_floats)
        cov = take(d, "cov", where, lambda v: tuple(as_floats(row) for row in as_list(v)))
        p = len(names)
        if len(coef) != p or len(se) != p:
            raise StatsInputError(
                f"stored model: {where}.coef and {where}.se must have one entry per name ({p})",
                column=f"{where}.coef",
            )
        if len(cov) != p or any(len(row) != p for row in cov):
            raise StatsInputError(f"stored model: {where}.cov must be {p} × {p}", column=f"{where}.cov")
        cov_arr = np.array(cov, dtype=np.float64).reshape(p, p)
        if not np.allclose(np.sqrt(np.diag(cov_arr)), np.array(se), rtol=1e-9, atol=0.0):
            raise StatsInputError(
                f"stored model: {where}.se does not match the diagonal of {where}.cov",
                column=f"{where}.se",
            )
        return cls(
            names=names,
            coef=_readonly(np.array(coef, dtype=np.float64)),
            cov=_readonly(cov_arr),
            loglik=take(d, "loglik", where, as_float),
            n_obs=take(d, "n_obs", where, as_int),
            iterations=take(d, "iterations", where, as_int),
            converged=take(d, "converged", where, as_bool),
        )

    def summary(self) -> str:
        lines = [
            f"Logistic regression: {self.n_obs} observations, log-likelihood "
            f"{self.loglik:.4f}, {self.iterations} Newton steps, "
            f"converged {'yes' if self.converged else 'NO'}",
            "",
            f"{'term':<28}{'estimate':>12}{'SE':>11}{'z':>9}{'p':>10}",
        ]
        for row in self.table().iter_rows(named=True):
            lines.append(
                f"{row['term']:<28}{row['estimate']:>12.5f}{row['se']:>11.5f}"
                f"{row['z']:>9.3f}{row['p']:>10.4f}"
            )
        return "\n".join(lines)


def fit_logistic(
    y: FloatArray,
    X: FloatArray,
    names: Sequence[str],
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> LogisticFit:
    """Maximum-likelihood logistic regression of y ∈ {0, 1} on X (X includes the intercept).

    Newton steps with step halving keep the log-likelihood increasing; convergence is declared
    when the Newton decrement is below ``tol``. Perfect separation (a coefficient running off
    to infinity) is reported as an error naming the term, because the index would otherwise
    rest on meaningless numbers.
    """
    if X.shape[0] != y.shape[0]:
        raise StatsInputError("outcome and covariates have different lengths")
    if not np.all((y == 0) | (y == 1)):
        raise StatsInputError("the outcome of a logistic regression must be 0/1")
    if y.min() == y.max():
        raise StatsInputError("the outcome is the same for everyone; nothing to model")
    check_rank(X, list(names))
    p = X.shape[1]
    beta = np.zeros(p)
    # Start from the marginal log-odds so the first step is small.
    beta[0] = float(_logit(float(np.clip(y.mean(), 1e-6, 1 - 1e-6))))

    def loglik(b: FloatArray) -> float:
        eta = X @ b
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)))

    ll = loglik(beta)
    converged = False
    iterations = 0
    info = np.eye(p)
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        mu = _expit(X @ beta)
        w = mu * (1.0 - mu)
        grad = X.T @ (y - mu)
        info = (X * w[:, None]).T @ X
        step = np.linalg.solve(info, grad)
        decrement = float(grad @ step)
        t = 1.0
        while True:
            new = beta + t * step
            new_ll = loglik(new)
            if new_ll >= ll - 1e-12 * abs(ll) or t < 1e-8:
                break
            t /= 2.0
        beta, ll = new, new_ll
        if decrement < tol:
            converged = True
            break
    mu = _expit(X @ beta)
    info = (X * (mu * (1.0 - mu))[:, None]).T @ X
    cov = np.asarray(np.linalg.inv(info), dtype=np.float64)
    se = np.sqrt(np.diag(cov))
    if not converged or np.any(np.abs(beta) > 30) or np.any(se > 1e3):
        k = int(np.argmax(np.abs(beta[1:]))) + 1 if p > 1 else 0
        raise StatsInputError(
            f"the logistic regression does not converge: the term {names[k]!r} separates "
            "the outcome (almost) perfectly; merge categories or drop the term"
        )
    return LogisticFit(
        names=tuple(names),
        coef=_readonly(beta),
        cov=_readonly(cov),
        loglik=ll,
        n_obs=int(y.shape[0]),
        iterations=iterations,
        converged=converged,
    )
