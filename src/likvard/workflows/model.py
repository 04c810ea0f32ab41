"""Allocation models loaded once, not on every request or command.

Why a cache keyed on the files' names, sizes and modification times: the web serves many
requests with the same model and a scenario re-applies a few overrides to it; parsing and
validating ~30 components each time is wasted work, yet a controller who edits a model file
must see the edit at once, without restarting the server.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from likvard.engine.allocation import Model, ModelError, with_overrides
from likvard.engine.allocation import load_model as _load_model

__all__ = ["load_model", "scenario_model"]


def _stamp(directory: Path) -> tuple[tuple[str, int, int], ...]:
    if not directory.is_dir():
        raise ModelError(f"modellkatalogen {str(directory)!r} finns inte")
    return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(directory.glob("*.toml")))


@lru_cache(maxsize=8)
def _cached(directory: str, stamp: tuple[tuple[str, int, int], ...]) -> Model:
    return _load_model(directory)


@lru_cache(maxsize=64)
def _with(base: Model, overrides: tuple[str, ...]) -> Model:
    return with_overrides(base, overrides)


def load_model(directory: str | Path) -> Model:
    """The validated model of ``directory``; parsed again only when one of its files changed."""
    path = Path(directory).resolve()
    return _cached(str(path), _stamp(path))


def scenario_model(directory: str | Path, overrides: Iterable[str] = ()) -> Model:
    """The model of ``directory`` with ``component.key=value`` overrides, validated (cached)."""
    base = load_model(directory)
    settings = tuple(overrides)
    return _with(base, settings) if settings else base
