"""What a user hands an import, as named bytes in memory: files, directories, zip archives.

Why in memory: a register extract may carry personal identity numbers until the import has
pseudonymised it; nothing of it may be left on disk, not even in a temporary directory when
the server dies mid-import (issue 7). The command line reads the user's own files, the web
keeps the upload in memory, and both hand this module's ``Upload`` list to the importer.
Archives are read member by member with a bound on the declared and the actual size, so a
small zip that unpacks to gigabytes is refused before it is inflated.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from likvard.data.problems import Problem
from likvard.data.tables import Upload

__all__ = ["MAX_MEMBER_BYTES", "MAX_TOTAL_BYTES", "collect", "unpack"]

#: A member of an archive may unpack to at most this much; all members together to this.
MAX_MEMBER_BYTES = 200 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
#: File endings an import reads; other members of a directory or archive are ignored.
READABLE = (".csv", ".txt", ".tsv", ".xlsx", ".json")


def _readable(name: str) -> bool:
    return name.lower().endswith(READABLE) and not Path(name).name.startswith(".")


def unpack(upload: Upload, problems: list[Problem], *, max_member: int = MAX_MEMBER_BYTES, max_total: int = MAX_TOTAL_BYTES) -> list[Upload]:
    """The readable members of a zip archive, each named ``archive.zip/member``; a member over
    the bounds (declared or while reading) is a problem and nothing of the archive is returned."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.content))
    except zipfile.BadZipFile:
        problems.append(Problem(upload.name, None, None, "kan inte läsas som zip-arkiv"))
        return []
    out: list[Upload] = []
    total = 0
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or not _readable(info.filename):
                continue
            name = f"{upload.name}/{info.filename}"
            if info.file_size > max_member or total + info.file_size > max_total:
                problems.append(Problem(name, None, None, f"packas upp till {info.file_size // 1_000_000} MB, mer än gränsen {max_member // 1_000_000} MB"))
                return []
            with archive.open(info) as member:
                content = member.read(max_member + 1)  # never more than the bound, whatever the header says
            if len(content) > max_member:
                problems.append(Problem(name, None, None, f"packas upp till mer än gränsen {max_member // 1_000_000} MB"))
                return []
            total += len(content)
            out.append(Upload(name, content))
    return out


def collect(sources: Iterable[Path | Upload], problems: list[Problem]) -> list[Upload]:
    """Every readable file of the given paths (a directory: its files in name order; a zip:
    its members) and uploads, as named bytes."""
    out: list[Upload] = []
    for source in sources:
        if isinstance(source, Upload):
            out.extend(unpack(source, problems) if source.name.lower().endswith(".zip") else [source])
            continue
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and (_readable(p.name) or p.suffix.lower() == ".zip"))
            out.extend(collect(files, problems))
        elif not path.exists():
            problems.append(Problem(str(path), None, None, "filen eller katalogen finns inte"))
        else:
            upload = Upload(path.name, path.read_bytes())
            out.extend(unpack(upload, problems) if path.suffix.lower() == ".zip" else [upload])
    return out


def by_stem(uploads: Sequence[Upload]) -> dict[str, Upload]:
    """Uploads by file name without directory and ending (``pupils``, ``schools`` …)."""
    return {Path(u.name).stem: u for u in uploads}
