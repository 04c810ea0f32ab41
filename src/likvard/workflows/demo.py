"""The demo municipality's inputs, generated once per code version and seed, then read back.

Why a cache on disk: the generator is deterministic for a seed and takes 5–10 s, longer than
the run itself; every command, test process and web process on the demo asked for the same
tables again. They are kept as Parquet under ``var/cache/`` (``LIKVARD_HOME``, else the current
directory), keyed by the seed and a hash of the generator's own code and the published files it
calibrates on, so a changed generator never serves an old demo. A cache that cannot be written
(a read-only directory) only costs the build; two processes building at once each write a
temporary directory and the first rename wins.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from likvard.engine.allocation import AllocationInput

__all__ = ["cache_path", "demo_inputs", "is_cached"]

_TABLES = ("pupils", "schools", "index", "decisions", "rsu_groups")


@lru_cache(maxsize=1)
def _version() -> str:
    """A hash of what the demo is made from: the generator's modules and its fixture files."""
    import likvard.data.demo as demo

    data = Path(demo.__file__).resolve().parent
    # every module the demo is built from: the generator's and the Skolverket readers'
    parts = sorted(data.glob("demo*.py")) + sorted(data.glob("skolverket*.py")) + [data / "planned_educations.py", data.parent / "engine" / "allocation" / "inputs.py"]
    parts += sorted(demo.FIXTURES.rglob("*"))
    digest = hashlib.sha256()
    for path in parts:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cache_path(seed: int = 1) -> Path:
    home = Path(os.environ.get("LIKVARD_HOME") or Path.cwd())
    return home / "var" / "cache" / f"demo-seed{seed}-{_version()}"


def is_cached(seed: int = 1) -> bool:
    return (cache_path(seed) / "source.txt").is_file()


def _read(path: Path) -> AllocationInput:
    import polars as pl

    tables = {name: pl.read_parquet(path / f"{name}.parquet") for name in _TABLES}
    return AllocationInput(**tables, source=(path / "source.txt").read_text(encoding="utf-8"))


def _write(inputs: AllocationInput, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=".building-"))
    except OSError:
        return  # nowhere to keep it: build again next time
    try:
        for name in _TABLES:
            getattr(inputs, name).write_parquet(tmp / f"{name}.parquet")
        (tmp / "source.txt").write_text(inputs.source, encoding="utf-8")  # written last: marks it complete
        os.replace(tmp, path)
    except OSError:
        pass  # another process finished first, or the disk is full: either way, no cache from us
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@lru_cache(maxsize=2)
def demo_inputs(seed: int = 1) -> AllocationInput:
    """The demo municipality (real Stockholm school units, synthetic pupils) for ``seed``."""
    path = cache_path(seed)
    if is_cached(seed):
        return _read(path)
    from likvard.data.demo import build

    inputs = build(seed=seed)
    _write(inputs, path)
    return inputs
