"""Allocation engine: model spec (TOML) → run → statements, reconciliation, comparison."""

from .compare import Comparison, compare
from .errors import AllocationError, ModelError
from .inputs import (
    BASELINE_SCHEMA,
    DECISION_SCHEMA,
    INDEX_SCHEMA,
    OPERATORS,
    PUPIL_SCHEMA,
    RSU_GROUP_SCHEMA,
    SCHOOL_SCHEMA,
    AllocationInput,
    conform,
    empty,
)
from .result import AllocationResult, pot_dict
from .run import run
from .spec import Component, Labels, Model, build_model, load_model, with_overrides
from .statement import Statement, StatementLine, explain, format_quantity
from .sweep import Sweep, Vary, parse_vary, sweep
from .unallocated import find_unallocated

__all__ = [
    "BASELINE_SCHEMA",
    "DECISION_SCHEMA",
    "INDEX_SCHEMA",
    "OPERATORS",
    "PUPIL_SCHEMA",
    "RSU_GROUP_SCHEMA",
    "SCHOOL_SCHEMA",
    "AllocationError",
    "AllocationInput",
    "AllocationResult",
    "Comparison",
    "Component",
    "Labels",
    "Model",
    "ModelError",
    "Statement",
    "StatementLine",
    "Sweep",
    "Vary",
    "build_model",
    "compare",
    "conform",
    "empty",
    "explain",
    "find_unallocated",
    "format_quantity",
    "load_model",
    "parse_vary",
    "pot_dict",
    "run",
    "sweep",
    "with_overrides",
]
