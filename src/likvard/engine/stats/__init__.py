"""Statistics engine: random-intercept model, socioeconomic index, expected results, charts.

Framework-free and I/O-free: functions take Polars frames or NumPy arrays and return frozen
results with a ``summary()``. See docs/methods/index.md and docs/methods/value-added.md.
"""

from likvard.engine.stats.errors import StatsInputError
from likvard.engine.stats.expected import ExpectedResults, expected_results
from likvard.engine.stats.index import (
    IndexModel,
    IndexResult,
    compute_index,
    fit_index_model,
    school_index,
)
from likvard.engine.stats.logistic import LogisticFit, fit_logistic
from likvard.engine.stats.mixed import RandomInterceptFit, fit_arrays, fit_random_intercept

__all__ = [
    "ExpectedResults",
    "IndexModel",
    "IndexResult",
    "LogisticFit",
    "RandomInterceptFit",
    "StatsInputError",
    "compute_index",
    "expected_results",
    "fit_arrays",
    "fit_index_model",
    "fit_logistic",
    "fit_random_intercept",
    "school_index",
]
