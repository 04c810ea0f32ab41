"""Fit a year's socioeconomic index and expected results: the one place this is orchestrated.

Why here: the CLI (``likvard index``/``expected``), the web's results pages and a run all need
the same fit for the same municipality — the index model fitted on the reference cohorts of
the municipality's *own* residents (home municipality from the model, never a constant), and
expected results resting on that same stored model.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from likvard.engine.stats import (
    ExpectedResults,
    IndexModel,
    IndexResult,
    StatsInputError,
    expected_results,
    fit_index_model,
    school_index,
)

from .errors import WorkflowError

__all__ = ["YearResults", "fit_index", "fit_year"]


@dataclass(frozen=True)
class YearResults:
    """The index and the expected results of one year, on one index model."""

    year: int
    index: IndexResult
    expected: ExpectedResults


def fit_index(pupils: pl.DataFrame, year: int, municipality: str, *, index_model: IndexModel | None = None, register_file: str = "pupils.csv") -> IndexResult:
    """Index per school for ``year``: the stored ``index_model`` re-applied, or a new fit."""
    try:
        model = index_model or fit_index_model(pupils, year, home_municipality=municipality)
        return IndexResult(year=year, model=model, table=school_index(model, pupils, [year]))
    except StatsInputError as exc:
        raise WorkflowError(str(exc), file=register_file) from None


def fit_year(
    pupils: pl.DataFrame,
    year: int,
    municipality: str,
    *,
    index_model: IndexModel | None = None,
    adjust: str = "none",
    register_file: str = "pupils.csv",
) -> YearResults:
    """Index and expected results (value added, flags, by gender) for ``year``."""
    index = fit_index(pupils, year, municipality, index_model=index_model, register_file=register_file)
    try:
        expected = expected_results(pupils, year, index_model=index.model, adjust=adjust, home_municipality=municipality)  # type: ignore[arg-type]
    except StatsInputError as exc:
        raise WorkflowError(str(exc), file=register_file) from None
    return YearResults(year, index, expected)
