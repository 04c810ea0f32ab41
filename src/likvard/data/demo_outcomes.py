"""The demo municipality's synthetic survey outcomes and school targets (labelled synthetic).

Why synthetic: the pupil survey (elevenkäten) is not published per school in a form the repo
may hold, yet the goal follow-up, the reports and the ambition check need something to show.
These tables are written in the import format (``outcomes.csv``, ``targets.csv``;
docs/formats.md) and imported like a municipality's own; every outcome row says
``synthetic``. Knowledge results are never made up: they come from Skolverket's files.

Deterministic for a seed (NumPy's PCG64), so tests and screenshots see the same demo.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import polars as pl

from .plan import Indicator, Plan

__all__ = ["DEMO_PLAN", "SURVEY_YEARS", "demo_outcomes", "demo_targets", "is_survey", "write_goal_files"]

#: The demo's plan: Stockholm's 2024 plan, transcribed from the source document (seed 000).
DEMO_PLAN = Path(os.environ.get("LIKVARD_PLAN_FILE") or Path(__file__).resolve().parents[3] / "plans" / "stockholm-2024" / "plan.toml")
#: The survey years the demo covers (the survey is answered each spring; period = the year).
SURVEY_YEARS = (2021, 2022, 2023, 2024)


def is_survey(ind: Indicator) -> bool:
    return "enkät" in ind.source.lower() and ind.level == "school"


def _form(ind: Indicator) -> str:
    """The school form an indicator's pupils are in, read from its key."""
    if ind.key.startswith("adapted_upper"):
        return "gyan"
    if ind.key.startswith("adapted"):
        return "gran"
    if ind.key.startswith("upper_sec"):
        return "gy"
    return "gr"


def demo_outcomes(plan: Plan, schools: pl.DataFrame, municipality: str, seed: int = 1) -> pl.DataFrame:
    """Survey outcomes per own municipal school, year and (where the plan asks) gender, and
    the city's figures of its city-level indicators, as the text columns of ``outcomes.csv``:
    indicator, period, school_unit_code, gender, value, pupils. A school with fewer than 10
    respondents gets ``..``."""
    rng = np.random.default_rng([seed, 2024])
    own = schools.filter((pl.col("operator") == "municipal") & (pl.col("municipality_code") == municipality)).sort("school_unit_code")
    rows: list[tuple[str, str, str, str, str, str]] = []
    for ind in sorted((i for i in plan.indicators if is_survey(i)), key=lambda i: i.key):
        form = _form(ind)
        here = own.filter(pl.col("school_forms").fill_null("").str.split(",").list.contains(form))["school_unit_code"].to_list()
        centre = (ind.target if ind.target is not None else 85.0) - 4.0
        for code in here:
            effect, size = rng.normal(0, 6), int(rng.integers(6, 120))
            for k, year in enumerate(SURVEY_YEARS):
                level = float(np.clip(centre + effect + 0.8 * k + rng.normal(0, 2), 5, 100))
                n = max(int(size + rng.integers(-5, 6)), 0)
                if ind.by_gender:
                    girls = int(rng.binomial(n, 0.5))
                    split = rng.normal(2.0, 1.0)  # girls answer a little more positively, as in most surveys
                    g_val, b_val = float(np.clip(level + split / 2, 0, 100)), float(np.clip(level - split / 2, 0, 100))
                    rows.append((ind.key, str(year), code, "flickor", _shown(g_val, girls), str(girls)))
                    rows.append((ind.key, str(year), code, "pojkar", _shown(b_val, n - girls), str(n - girls)))
                    level = (g_val * girls + b_val * (n - girls)) / n if n else level
                rows.append((ind.key, str(year), code, "", _shown(level, n), str(n)))
    # the city's own indicators (budget, staff, climate …) with a numeric target: a synthetic
    # figure near the target for the years and, for tertial indicators, the plan year's tertials
    for ind in sorted((i for i in plan.indicators if i.level == "city" and i.target is not None), key=lambda i: i.key):
        target = float(ind.target)  # type: ignore[arg-type]
        periods = [str(y) for y in SURVEY_YEARS] + ([f"{SURVEY_YEARS[-1]} T1", f"{SURVEY_YEARS[-1]} T2"] if ind.periodicity == "tertial" else [])
        for period in periods:
            value = target * (1 + rng.normal(0.0, 0.04)) if target else abs(rng.normal(0.0, 1.0))
            if ind.unit == "%" and not ind.plus_minus:
                value = min(value, 100.0)
            rows.append((ind.key, period, "", "", f"{round(value)}" if ind.unit == "st" else f"{value:.1f}", ""))
    return pl.DataFrame(rows, schema=["indicator", "period", "school_unit_code", "gender", "value", "pupils"], orient="row")


def _shown(value: float, n: int) -> str:
    return ".." if n < 10 else f"{value:.1f}"


def demo_targets(plan: Plan, statistics: pl.DataFrame, schools: pl.DataFrame, municipality: str, seed: int = 1) -> pl.DataFrame:
    """Each own school's target for the plan year's school year (``2024/25`` for 2024) on
    the indicators Likvärd computes from Skolverket's statistics, set from the school's
    outcome the year before. Most targets are a little above it; about one school in seven
    has set one below it, so the ambition check has something to list (seed 001 L122–134)."""
    rng = np.random.default_rng([seed, 1001])
    period = f"{plan.year}/{(plan.year + 1) % 100:02d}"
    before = f"{plan.year - 1}/{plan.year % 100:02d}"
    own = schools.filter((pl.col("operator") == "municipal") & (pl.col("municipality_code") == municipality)).select("school_unit_code", pl.col("area").fill_null(""))
    rows: list[tuple[str, str, str, str]] = []
    for ind in sorted((i for i in plan.indicators if i.published_indicator), key=lambda i: i.key):
        last = (
            statistics.filter((pl.col("indicator") == ind.published_indicator) & (pl.col("period") == before) & pl.col("value").is_not_null())
            .join(own, on="school_unit_code", how="inner")
            .sort("area", "school_unit_code")
            .with_columns(pl.int_range(pl.len()).over("area").alias("rank"))  # every area gets some
        )
        for code, value, rank in last.select("school_unit_code", "value", "rank").iter_rows():
            step = float(rng.uniform(0.5, 6.0))
            below = rank % 7 == 1
            target = value - step if below else value + step
            if ind.unit == "%":
                target = min(target, 100.0)
            rows.append((ind.key, period, code, f"{target:.1f}"))
    return pl.DataFrame(rows, schema=["indicator", "period", "school_unit_code", "target"], orient="row")


def write_goal_files(out: Path, plan_file: Path, schools: pl.DataFrame, statistics: pl.DataFrame, municipality: str, seed: int = 1) -> None:
    """The demo's goal follow-up in the import format beside its register: ``plan.toml``
    (copied), ``outcomes.csv`` (synthetic survey), ``targets.csv`` and ``skolverket/`` (the
    published files of its real schools), so ``--data DIR`` reads what ``--demo`` reads."""
    from .demo import PLANNED_DIR, RESULTS_CSV
    from .plan import read_plan

    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plan_file, out / "plan.toml")
    plan = read_plan(plan_file)
    demo_outcomes(plan, schools, municipality, seed).write_csv(out / "outcomes.csv")
    demo_targets(plan, statistics, schools, municipality, seed).write_csv(out / "targets.csv")
    sk = out / "skolverket"
    if sk.exists():
        shutil.rmtree(sk)
    shutil.copytree(PLANNED_DIR, sk / PLANNED_DIR.name)
    shutil.copyfile(RESULTS_CSV, sk / RESULTS_CSV.name)
