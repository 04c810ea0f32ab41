"""Allocation engine: model spec (TOML) → run → statements, reconciliation, comparison."""

from .compare import Comparison, compare
from .errors import AllocationError, ModelError
from .inputs import AllocationInput
from .run import AllocationResult, run
from .spec import Component, Model, build_model, load_model, with_overrides

__all__ = [
    "AllocationError",
    "AllocationInput",
    "AllocationResult",
    "Comparison",
    "Component",
    "Model",
    "ModelError",
    "build_model",
    "compare",
    "load_model",
    "run",
    "with_overrides",
]
