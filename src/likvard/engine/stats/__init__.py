"""Statistics engine: random-intercept model, socioeconomic index, expected results.

Framework-free and I/O-free: functions take Polars frames or NumPy arrays and return frozen
results with a ``summary()``. See docs/methods/index.md and docs/methods/value-added.md.
"""

from likvard.engine.stats.effects import EffectEstimate, estimate_effect
from likvard.engine.stats.errors import StatsInputError
from likvard.engine.stats.expected import ExpectedResults, expected_results, flag_schools
from likvard.engine.stats.index import (
    INDEX_MODEL_VERSION,
    IndexEncoding,
    IndexModel,
    IndexResult,
    apply_index_model,
    compute_index,
    fit_index_model,
    modal_home_municipality,
    school_index,
)
from likvard.engine.stats.logistic import LogisticFit, fit_logistic
from likvard.engine.stats.mixed import RandomInterceptFit, fit_arrays, fit_random_intercept

__all__ = [
    "INDEX_MODEL_VERSION",
    "EffectEstimate",
    "ExpectedResults",
    "IndexEncoding",
    "IndexModel",
    "IndexResult",
    "LogisticFit",
    "RandomInterceptFit",
    "StatsInputError",
    "apply_index_model",
    "compute_index",
    "estimate_effect",
    "expected_results",
    "fit_arrays",
    "fit_index_model",
    "fit_logistic",
    "fit_random_intercept",
    "flag_schools",
    "modal_home_municipality",
    "school_index",
]
