"""Regenerate the statsmodels MixedLM reference results under tests/data/mixedlm/.

Why stored results: CI compares our random-intercept fit with statsmodels without refitting
statsmodels (slow, and its optimiser output can drift between versions). Run from the repo
root after changing a case:

    .venv/bin/python tests/data/make_mixedlm_reference.py

Data are rounded to 6 decimals before fitting so that the CSV holds exactly what statsmodels
saw. statsmodels is fitted with a tight gradient tolerance so its own optimiser error stays
well below the 1e-4 tolerance of the comparison.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.formula.api as smf

OUT = Path(__file__).parent / "mixedlm"

#: name -> (seed, group sizes spec, number of covariates, tau2, sigma2, outcome scale)
CASES: dict[str, dict[str, object]] = {
    "balanced_1cov": {"seed": 1, "groups": 30, "size": (20, 20), "k": 1, "tau2": 0.5, "sigma2": 1.0},
    "unbalanced_2cov": {"seed": 2, "groups": 50, "size": (2, 40), "k": 2, "tau2": 0.3, "sigma2": 1.0},
    "near_zero_tau": {"seed": 3, "groups": 40, "size": (10, 20), "k": 1, "tau2": 0.002, "sigma2": 1.0},
    "merit_3cov": {"seed": 4, "groups": 60, "size": (5, 35), "k": 3, "tau2": 150.0, "sigma2": 2500.0},
    "small_groups": {"seed": 5, "groups": 120, "size": (2, 4), "k": 2, "tau2": 0.8, "sigma2": 1.0},
    "large_icc": {"seed": 6, "groups": 25, "size": (4, 30), "k": 1, "tau2": 4.0, "sigma2": 1.0},
}


def make_case(spec: dict[str, object]) -> pd.DataFrame:
    rng = np.random.default_rng(int(spec["seed"]))  # type: ignore[call-overload]
    n_groups = int(spec["groups"])  # type: ignore[call-overload]
    lo, hi = spec["size"]  # type: ignore[misc]
    sizes = rng.integers(lo, hi + 1, n_groups)
    g = np.repeat(np.arange(n_groups), sizes)
    n = g.shape[0]
    k = int(spec["k"])  # type: ignore[call-overload]
    # Covariates correlated with the group so the random-effect and fixed parts interact.
    centre = rng.normal(size=(n_groups, k))
    x = centre[g] * 0.5 + rng.normal(size=(n, k))
    beta = np.array([0.8, -0.5, 0.3][:k])
    u = rng.normal(0, np.sqrt(float(spec["tau2"])), n_groups)  # type: ignore[arg-type]
    e = rng.normal(0, np.sqrt(float(spec["sigma2"])), n)  # type: ignore[arg-type]
    scale = np.sqrt(float(spec["sigma2"]))  # type: ignore[arg-type]
    y = 2.0 * scale + x @ beta * scale + u[g] + e
    if k == 3:
        y = y + 200.0
    df = pd.DataFrame({"y": y})
    for j in range(k):
        df[f"x{j + 1}"] = x[:, j]
    df = df.round(6)
    df["school"] = [f"S{i:04d}" for i in g]
    return df


def fit(df: pd.DataFrame, k: int, reml: bool) -> dict[str, object]:
    formula = "y ~ " + " + ".join(f"x{j + 1}" for j in range(k))
    model = smf.mixedlm(formula, df, groups="school")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(reml=reml, method=["bfgs", "lbfgs"], gtol=1e-10, maxiter=2000)
    re = res.random_effects
    re_cov = res.random_effects_cov
    groups = sorted(re)
    return {
        "converged": bool(res.converged),
        "warnings": sorted({str(w.message)[:80] for w in caught}),
        "fixed": {str(k_): float(v) for k_, v in res.fe_params.items()},
        "fixed_se": {str(k_): float(v) for k_, v in zip(res.fe_params.index, res.bse_fe, strict=True)},
        "group_variance": float(res.cov_re.iloc[0, 0]),
        "residual_variance": float(res.scale),
        "llf": float(res.llf),
        "random_effects": {str(g): float(re[g].iloc[0]) for g in groups},
        "random_effects_var": {str(g): float(re_cov[g].iloc[0, 0]) for g in groups},
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, spec in CASES.items():
        df = make_case(spec)
        k = int(spec["k"])  # type: ignore[call-overload]
        df.to_csv(OUT / f"{name}.csv", index=False)
        result = {
            "case": name,
            "spec": {key: list(v) if isinstance(v, tuple) else v for key, v in spec.items()},
            "statsmodels": statsmodels.__version__,
            "covariates": [f"x{j + 1}" for j in range(k)],
            "REML": fit(df, k, reml=True),
            "ML": fit(df, k, reml=False),
        }
        (OUT / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
        print(name, len(df), "REML converged", result["REML"]["converged"],  # type: ignore[index]
              "ML converged", result["ML"]["converged"])  # type: ignore[index]


if __name__ == "__main__":
    main()
