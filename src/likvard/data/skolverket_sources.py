"""The files a Skolverket import is given, gathered safely: paths, directories, zips, uploads.

Why a module of its own: an import takes any mix of files, directories, zip archives and uploads
held in memory, and a zip is read in memory, never extracted to disk. Sizes are limited before
anything is read or decompressed (``MAX_FILE_BYTES``, ``MAX_TOTAL_BYTES``, ``MAX_RATIO``), so
that an oversized file or a zip bomb gives a problem naming it rather than exhausting memory.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from .problems import Problem

__all__ = ["MAX_FILE_BYTES", "MAX_RATIO", "MAX_TOTAL_BYTES", "collect_files", "is_zip"]

#: Largest file read (and largest declared size of a zip member), in bytes.
MAX_FILE_BYTES = 200_000_000
#: Largest total declared size of a zip archive's members, in bytes.
MAX_TOTAL_BYTES = 1_000_000_000
#: Largest ratio of a zip archive's declared uncompressed size to its own size (JSON and CSV
#: compress 5–30 times; a zip bomb thousands of times).
MAX_RATIO = 100.0
_RATIO_FLOOR = 1 << 20  # archives unpacking to less than this are not ratio-checked


def is_zip(name: str, content: bytes) -> bool:
    return content[:4] in (b"PK\x03\x04", b"PK\x05\x06") or name.lower().endswith(".zip")


def _size(n: int) -> str:
    return f"{n:,} byte".replace(",", "\u00a0")


def _unzip(name: str, content: bytes, max_bytes: int, max_total_bytes: int, max_ratio: float, problems: list[Problem]) -> list[tuple[str, bytes]]:
    """The .json and .csv members of a zip held in memory, sorted by name. Sizes are checked on
    the declared sizes before anything is decompressed, and reading stops at the declared size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        problems.append(Problem(name, None, None, f"ingen läsbar zip-fil: {exc}"))
        return []
    members: list[zipfile.ZipInfo] = []
    refused = 0
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            lowered = info.filename.lower()
            if info.is_dir() or lowered.startswith("__macosx/") or not lowered.endswith((".json", ".csv")):
                continue
            if info.file_size > max_bytes:
                problems.append(Problem(f"{name}/{info.filename}", None, None, f"filen är {_size(info.file_size)} uppackad, mer än gränsen {_size(max_bytes)}; den läses inte"))
                refused += 1
                continue
            members.append(info)
        if not members:
            if not refused:
                problems.append(Problem(name, None, None, "arkivet innehåller inga läsbara .json- eller .csv-filer"))
            return []
        total = sum(i.file_size for i in members)
        if total > max_total_bytes or (total > _RATIO_FLOOR and total > max_ratio * len(content)):
            problems.append(Problem(name, None, None, f"arkivet packas upp till {_size(total)}, {total / max(len(content), 1):.0f} gånger sin egen storlek (gränser {_size(max_total_bytes)} och {max_ratio:g} gånger); det läses inte"))
            return []
        out: list[tuple[str, bytes]] = []
        for info in members:
            label = f"{name}/{info.filename}"
            try:
                with archive.open(info) as handle:
                    data = handle.read(max_bytes + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError, OSError, ValueError) as exc:
                problems.append(Problem(label, None, None, f"kan inte packas upp: {exc}"))
                continue
            if len(data) > max_bytes:
                problems.append(Problem(label, None, None, f"filen är större än gränsen {_size(max_bytes)}; den läses inte"))
                continue
            out.append((label, data))
        return out


def collect_files(sources: Sequence[Path | str | tuple[str, bytes]], max_bytes: int, max_total_bytes: int, max_ratio: float, problems: list[Problem]) -> list[tuple[str, bytes]]:
    """Every source as (name, content): a file, a directory's *.json and *.csv files (sorted), a
    zip's members, an upload held in memory."""
    files: list[tuple[str, bytes]] = []

    def add(name: str, content: bytes) -> None:
        if len(content) > max_bytes:
            problems.append(Problem(name, None, None, f"filen är {_size(len(content))}, mer än gränsen {_size(max_bytes)}"))
        elif is_zip(name, content):
            files.extend(_unzip(name, content, max_bytes, max_total_bytes, max_ratio, problems))
        else:
            files.append((name, content))

    def read(path: Path, name: str) -> None:
        try:
            size = path.stat().st_size
            if size > max_bytes:
                problems.append(Problem(name, None, None, f"filen är {_size(size)}, mer än gränsen {_size(max_bytes)}"))
                return
            add(name, path.read_bytes())
        except OSError as exc:
            problems.append(Problem(name, None, None, f"filen kan inte läsas: {exc.strerror or exc}"))

    for source in sources:
        if isinstance(source, tuple):
            name, content = source
            add(Path(name).name or name or "upload", bytes(content))
            continue
        path = Path(source)
        if path.is_dir():
            label = path.resolve().name or str(path)
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".json", ".csv"))
            if not found:
                problems.append(Problem(label, None, None, "katalogen innehåller inga .json- eller .csv-filer"))
            for p in found:
                read(p, f"{label}/{p.name}")
        elif path.exists():
            read(path, path.name)
        else:
            problems.append(Problem(path.name or str(path), None, None, "filen eller katalogen finns inte"))
    return files
