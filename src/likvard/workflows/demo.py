"""The demo municipality's inputs, generated once per process.

Why cached: the generator is deterministic for a seed and takes seconds; a command, a test
session or a web process that asks again gets the same immutable tables.
"""

from __future__ import annotations

from functools import lru_cache

from likvard.engine.allocation import AllocationInput


@lru_cache(maxsize=2)
def demo_inputs(seed: int = 1) -> AllocationInput:
    """The demo municipality (real Stockholm school units, synthetic pupils) for ``seed``."""
    from likvard.data.demo import build

    return build(seed=seed)
