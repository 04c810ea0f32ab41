"""Expected results and value added per school and year (docs/methods/value-added.md).

Why a random-intercept model for both outcomes: the school effect û_j is shrunk towards zero in
proportion to how little the school's pupils tell us, and it comes with a standard error, so
a small school is not flagged for noise. Eligibility uses the linear-probability version of
the same model (0/1 outcome): one method, one kind of interval, and school means of 0/1
outcomes over tens of pupils are close enough to normal for the interval.

The covariates are the socioeconomic index's pupil features (its stored encoding, learned on
the reference cohorts) except the school environment, plus gender: a school characteristic
on the right-hand side would absorb part of the school effect we want to measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from likvard.engine.stats.design import INTERCEPT
from likvard.engine.stats.errors import StatsInputError
from likvard.engine.stats.index import IndexModel, fit_index_model
from likvard.engine.stats.mixed import RandomInterceptFit, fit_arrays

MIN_PUPILS = 10
SUPPRESSED = ".."
PUBLISHED_DECIMALS = 4  # figures are published with four decimals (``published()``)
# The precision a reader sees in the interface and the PDF: merit value in tenths of a point,
# eligibility in tenths of a percentage point. A flag needs the interval *as shown* to exclude
# zero; otherwise "clearly above, 0,0 to 4,1" would contradict itself.
DISPLAY_DECIMALS = {"merit_value": 1, "eligible_vocational": 3}
Adjust = Literal["none", "bonferroni", "holm"]
OUTCOMES = {"merit_value": "merit value", "eligible_vocational": "eligible (vocational)"}


def _flags(
    shrunken: np.ndarray, se: np.ndarray, level: float, adjust: Adjust, decimals: int = PUBLISHED_DECIMALS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intervals and flags; with Holm the flag follows the step-down test (documented)."""
    from scipy import special  # imported when results are judged, not by every command

    alpha = 1.0 - level
    m = shrunken.shape[0]
    z_level = float(special.ndtri(1 - alpha / 2))
    if adjust == "bonferroni":
        z_level = float(special.ndtri(1 - alpha / (2 * m)))
    lower = shrunken - z_level * se
    upper = shrunken + z_level * se
    # Decided on the bounds rounded as displayed (DISPLAY_DECIMALS), never on digits nobody sees.
    significant = (np.round(lower, decimals) > 0) | (np.round(upper, decimals) < 0)
    if adjust == "holm":
        p = 2 * special.ndtr(-(np.abs(shrunken / se)))
        order = np.argsort(p)
        thresholds = alpha / (m - np.arange(m))
        passed = p[order] <= thresholds
        k = int(np.argmin(passed)) if not passed.all() else m
        significant = np.zeros(m, dtype=bool)
        significant[order[:k]] = True
    flag = np.where(
        significant & (shrunken > 0),
        "clearly above",
        np.where(significant & (shrunken < 0), "clearly below", "as expected"),
    )
    return lower, upper, flag


def flag_schools(
    shrunken: np.ndarray, se: np.ndarray, *, outcome: str, level: float = 0.95, adjust: Adjust = "none"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intervals and flags for the municipality's schools of one outcome, as ``expected_results``
    sets them (bounds rounded as displayed; multiplicity rule per docs/methods/value-added.md).

    Why public: the web lets an analyst switch the multiplicity rule on published estimates
    without refitting; the family is always every published school, whoever looks.
    """
    if adjust not in ("none", "bonferroni", "holm"):
        raise StatsInputError(f"adjust must be none, bonferroni or holm, not {adjust!r}")
    if outcome not in DISPLAY_DECIMALS:
        raise StatsInputError(f"unknown outcome {outcome!r}")
    return _flags(np.asarray(shrunken, dtype=float), np.asarray(se, dtype=float), level, adjust, DISPLAY_DECIMALS[outcome])


@dataclass(frozen=True)
class ExpectedResults:
    """Per-school expected results and value added for one year, both outcomes.

    ``table``: school_unit_code, year, outcome, pupils, actual, expected, value_added (actual −
    expected), shrunken (empirical-Bayes school effect), se, lower, upper, flag, suppressed.
    Rows for schools under 10 pupils keep ``pupils`` but have null figures and
    ``suppressed = True``. ``by_gender``: school_unit_code, outcome, gender, pupils, actual,
    expected, value_added, suppressed. ``published()`` renders both with ``..``.
    """

    year: int
    level: float
    adjust: Adjust
    fits: dict[str, RandomInterceptFit]
    index_model: IndexModel
    table: pl.DataFrame
    by_gender: pl.DataFrame

    def published(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Both tables with figures as text and ``..`` where a group has under 10 pupils."""

        def render(df: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
            return df.with_columns(
                pl.when(pl.col("suppressed"))
                .then(pl.lit(SUPPRESSED))
                .otherwise(
                    pl.col(c) if df.schema[c] == pl.String else pl.col(c).round(PUBLISHED_DECIMALS).cast(pl.String)
                )
                .alias(c)
                for c in cols
            )

        main_cols = ["actual", "expected", "value_added", "shrunken", "se", "lower", "upper", "flag"]
        return (
            render(self.table, main_cols),
            render(self.by_gender, ["actual", "expected", "value_added"]),
        )

    def summary(self) -> str:
        parts = [f"Expected results and value added {self.year} ({self.level:.0%} intervals, "
                 f"multiplicity: {self.adjust})"]
        for outcome, fit in self.fits.items():
            t = self.table.filter((pl.col("outcome") == outcome) & ~pl.col("suppressed"))
            counts = t.group_by("flag").len().sort("flag")
            flags = ", ".join(f"{r['flag']} {r['len']}" for r in counts.iter_rows(named=True))
            parts.append(f"\n{OUTCOMES[outcome]}: {t.height} schools; {flags}\n{fit.summary()}")
        return "\n".join(parts)


def expected_results(
    pupils: pl.DataFrame,
    year: int,
    *,
    home_municipality: str | None = None,
    index_model: IndexModel | None = None,
    level: float = 0.95,
    adjust: Adjust = "none",
    include_gender: bool = True,
) -> ExpectedResults:
    """Fit both outcomes on the year's grade-9 pupils and compare schools with expectation.

    The covariates come from ``index_model``'s stored encoding when one is given (the model the
    allocation used, so expected results and money rest on the same weights); otherwise an index
    model is fitted for ``year`` on the residents of ``home_municipality`` (None = the
    municipality where most grade-9 pupils of the reference years live; callers should pass the
    allocation model's ``municipality``). Giving both with different codes is an error.
    """
    if adjust not in ("none", "bonferroni", "holm"):
        raise StatsInputError(f"adjust must be none, bonferroni or holm, not {adjust!r}")
    if index_model is not None:
        if home_municipality is not None and home_municipality != index_model.home_municipality:
            raise StatsInputError(
                f"the index model was fitted on residents of {index_model.home_municipality}, "
                f"not {home_municipality}",
                column="home_municipality",
            )
        model = index_model
    else:
        model = fit_index_model(pupils, year, home_municipality=home_municipality)
    cohort = pupils.filter(
        (pl.col("year") == year) & (pl.col("grade") == "9") & (pl.col("school_form") == "gr")
    )
    enc = model.encoding
    features = [f for f in enc.features if f != "school_environment"]
    has_gender = include_gender and "gender" in cohort.columns
    fits: dict[str, RandomInterceptFit] = {}
    tables = []
    gender_tables = []
    for outcome in OUTCOMES:
        data = cohort.filter(pl.col(outcome).is_not_null())
        if data.height == 0:
            raise StatsInputError(f"no grade-9 {outcome} in {year}")
        raw = enc.raw_features(data).select(features)
        names = list(features)
        if has_gender:
            raw = raw.with_columns(
                (data.get_column("gender") == "female").fill_null(False).cast(pl.Float64)
                .alias("female")
            )
            names.append("female")
        X = np.column_stack([np.ones(data.height), raw.to_numpy().astype(np.float64)])
        y = data.get_column(outcome).cast(pl.Float64).to_numpy()
        schools = data.get_column("school_unit_code").cast(pl.String)
        codes = (schools.rank("dense").cast(pl.Int64) - 1).to_numpy()
        labels = schools.unique().sort().to_list()
        fit = fit_arrays(
            y, X, codes, labels, names=[INTERCEPT, *names], level=level,
            outcome=outcome, group="school_unit_code",
        )
        fits[outcome] = fit
        g = fit.groups
        small = g["n"].to_numpy() < MIN_PUPILS
        big = ~small
        shrunken = g["effect"].to_numpy()
        se = g["se"].to_numpy()
        lower = np.full(g.height, np.nan)
        upper = np.full(g.height, np.nan)
        flag = np.full(g.height, None, dtype=object)
        if big.any():
            lo, hi, fl = _flags(shrunken[big], se[big], level, adjust, DISPLAY_DECIMALS[outcome])
            lower[big], upper[big], flag[big] = lo, hi, fl
        table = pl.DataFrame(
            {
                "school_unit_code": g["group"],
                "year": pl.Series(np.full(g.height, year), dtype=pl.Int32),
                "outcome": outcome,
                "pupils": g["n"].cast(pl.Int32),
                "actual": g["actual"],
                "expected": g["expected"],
                "value_added": g["actual"] - g["expected"],
                "shrunken": shrunken,
                "se": se,
                "lower": lower,
                "upper": upper,
                "flag": pl.Series(flag.tolist(), dtype=pl.String),
                "suppressed": small,
            }
        )
        figures = ["actual", "expected", "value_added", "shrunken", "se", "lower", "upper"]
        tables.append(
            table.with_columns(
                pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
                for c in figures
            )
        )
        if has_gender:
            pred = pl.Series("pred", X @ fit.fixed)
            per = (
                data.select("school_unit_code", "gender", pl.col(outcome).cast(pl.Float64).alias("y"))
                .with_columns(pred)
                .filter(pl.col("gender").is_not_null())
                .group_by("school_unit_code", "gender")
                .agg(
                    pl.len().cast(pl.Int32).alias("pupils"),
                    pl.col("y").mean().alias("actual"),
                    pl.col("pred").mean().alias("expected"),
                )
                .with_columns((pl.col("actual") - pl.col("expected")).alias("value_added"))
            )
            # Both genders are hidden when either is under 10: the school total would
            # otherwise reveal the small group.
            smallest = per.group_by("school_unit_code").agg(
                pl.col("pupils").min().alias("smallest"), pl.len().alias("k")
            )
            per = (
                per.join(smallest, on="school_unit_code")
                .with_columns(
                    ((pl.col("smallest") < MIN_PUPILS) | (pl.col("k") < 2)).alias("suppressed"),
                    pl.lit(outcome).alias("outcome"),
                )
                .with_columns(
                    pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
                    for c in ("actual", "expected", "value_added")
                )
                .select(
                    "school_unit_code", "outcome", "gender", "pupils", "actual", "expected",
                    "value_added", "suppressed",
                )
            )
            gender_tables.append(per)
    by_gender = (
        pl.concat(gender_tables).sort("outcome", "school_unit_code", "gender")
        if gender_tables
        else pl.DataFrame()
    )
    return ExpectedResults(
        year=year,
        level=level,
        adjust=adjust,
        fits=fits,
        index_model=model,
        table=pl.concat(tables).sort("outcome", "school_unit_code"),
        by_gender=by_gender,
    )
