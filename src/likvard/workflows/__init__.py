"""The only orchestration of Likvärd: allocate, compare, fit a year's results.

The command line and the web call these functions and nothing deeper; they are free of Django
and of I/O (tables in, results out), so a benchmark, a test or another front end gets exactly
what the controller gets (architecture §1).
"""

from .allocate import (
    Allocation,
    IndexMode,
    IndexUsed,
    allocate,
    compare_models,
    index_components,
    prepare_index,
    sweep_model,
)
from .demo import demo_inputs
from .errors import WorkflowError
from .model import load_model, scenario_model
from .results import YearResults, fit_index, fit_year

__all__ = [
    "Allocation",
    "IndexMode",
    "IndexUsed",
    "WorkflowError",
    "YearResults",
    "allocate",
    "compare_models",
    "demo_inputs",
    "fit_index",
    "fit_year",
    "index_components",
    "load_model",
    "prepare_index",
    "scenario_model",
    "sweep_model",
]
