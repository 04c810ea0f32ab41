"""Skolverket's published files, read as a user downloads them.

Why: controllers import Skolverket's school units and published results and the school and
results pages show them per year, with Skolverket's markers kept exactly as published. Two
sources (see ``data/skolverket/`` in the shared material), each read by its own module:

* the national year-9 results export (CSV), ``skolverket_results``;
* the Planned Educations API v4 (JSON, one school unit or one school unit's statistics per
  response), ``planned_educations``.

This module reads any mix of them at once (``read_skolverket``) into one vocabulary
(``skolverket_published``: ``PUBLISHED_SCHEMA``, ``SCHOOLS_SCHEMA``), and decides which files
are duplicates (``content_hash``). Every problem names the file (inside a zip as
``archive.zip/member.json``), the line and the column where known; a malformed file gives
problems, never a traceback.

Entry points:

* ``read_skolverket(sources)`` → ``SkolverketData`` (schools, statistics, files, problems) for
  any mix of files, directories, zip archives and uploads held in memory (gathered by
  ``skolverket_sources``);
* ``statistics_frame(rows)`` and ``parse_published(text)`` (``skolverket_published``): the
  statistics vocabulary;
* ``content_hash(name, content)``: duplicate detection on content, not on volatile fields;
* kept for the demo and the web import: ``skolverket_results.read_results_csv(path_or_bytes)``
  (one row per school unit with ``<column>_status`` beside each number),
  ``planned_educations.read_planned_educations(directory)`` and ``read_planned_response(bytes)``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from .planned_educations import parse_response, response_body
from .problems import Problem
from .skolverket_published import SCHOOLS_SCHEMA, Schema, parse_published, statistics_frame
from .skolverket_results import parse_export
from .skolverket_sources import MAX_FILE_BYTES, MAX_RATIO, MAX_TOTAL_BYTES, collect_files, is_zip

__all__ = ["FILES_SCHEMA", "SkolverketData", "content_hash", "read_skolverket"]

FILES_SCHEMA: Schema = {
    "name": pl.String,  # as in problems: "export.csv", "archive.zip/member.json", "dir/file.json"
    "kind": pl.String,  # FileKind
    "content_hash": pl.String,  # content_hash(name, content)
    "rows": pl.Int64,  # statistics rows (statistics), school units (results_csv), 1 (school_unit)
}

# --- content hash ---------------------------------------------------------------------------


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _looks_like_json(content: bytes) -> bool:
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def content_hash(name: str, content: bytes) -> str:
    """SHA-256 (hex) over the content that matters, for duplicate detection.

    A Planned Educations response (stored or bare): the canonical JSON (sorted keys, no
    whitespace) of its ``body``, so two downloads differing only in ``generatedAt``, key order
    or layout have the same hash. Other JSON: its canonical form. A CSV: the bytes with line
    endings normalised to ``\\n`` and a UTF-8 BOM dropped. A zip, or JSON that does not parse:
    the bytes as they are."""
    lowered = name.lower()
    if not is_zip(name, content) and (lowered.endswith(".json") or _looks_like_json(content)):
        try:
            doc = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            return hashlib.sha256(content).hexdigest()
        return hashlib.sha256(_canonical(response_body(doc))).hexdigest()
    if is_zip(name, content):
        return hashlib.sha256(content).hexdigest()
    return hashlib.sha256(content.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").replace(b"\r", b"\n")).hexdigest()


# --- many files at once ----------------------------------------------------------------------


@dataclass(frozen=True)
class SkolverketData:
    """What a set of Skolverket files says, as tidy frames.

    ``schools``: ``SCHOOLS_SCHEMA``, one row per school unit; a unit described by a school-unit
    JSON takes the JSON's fields (the national CSV fills only what the JSON lacks).
    ``statistics``: ``PUBLISHED_SCHEMA``, one row per unit, indicator and period, later sources
    winning. ``files``: ``FILES_SCHEMA``, one row per file read. ``problems``: every problem
    found; an import takes nothing when there is one.
    """

    schools: pl.DataFrame
    statistics: pl.DataFrame
    files: pl.DataFrame
    problems: tuple[Problem, ...] = ()
    #: the school units a school-unit response describes (the national CSV only lists them)
    described: frozenset[str] = frozenset()


def read_skolverket(
    sources: Sequence[Path | str | tuple[str, bytes]],
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_ratio: float = MAX_RATIO,
) -> SkolverketData:
    """Any mix of Skolverket files → ``SkolverketData``.

    Each source is a path to a file, a directory (its *.json and *.csv files, sorted by name),
    a .zip archive (its .json and .csv members, sorted, read in memory and never extracted to
    disk), or ``(name, bytes)`` for an upload held in memory (a zip recognised by its content).
    A file or zip member larger than ``max_bytes`` (for a member: its declared uncompressed
    size, checked before decompressing) is refused with a problem, and so is a whole archive
    whose members declare more than ``max_total_bytes`` or more than ``max_ratio`` times the
    archive's own size. A JSON file is a Planned Educations v4 response (school unit or
    statistics), anything else is read as the national results export. Later sources win where
    two give the same statistic; a malformed file gives problems, never an exception.
    """
    if isinstance(sources, str | Path):  # one source given bare
        sources = [sources]
    problems: list[Problem] = []
    files = collect_files(sources, max_bytes, max_total_bytes, max_ratio, problems)
    json_units: dict[str, dict[str, Any]] = {}
    csv_units: dict[str, dict[str, Any]] = {}
    codes: list[str] = []
    indicators: list[str] = []
    periods: list[str] = []
    texts: list[str | None] = []
    checked: dict[str | None, bool] = {}
    listed: list[tuple[str, str, str, int]] = []
    for name, content in files:
        is_json = name.lower().endswith(".json") or (not name.lower().endswith(".csv") and _looks_like_json(content))
        if is_json:
            parsed = parse_response(content, name)
            digest = hashlib.sha256(_canonical(response_body(parsed.doc))).hexdigest() if parsed.kind else ""
        else:
            _, parsed = parse_export(content, name)
            digest = content_hash(name, content) if parsed.kind else ""
        problems.extend(parsed.problems)
        if parsed.kind is None:
            continue
        target = json_units if is_json else csv_units
        for school in parsed.schools:
            target[school["school_unit_code"]] = school
        kept = 0
        for code, indicator, period, text in parsed.stats:
            ok = checked.get(text)
            if ok is None:
                try:
                    parse_published(text)
                    ok = True
                except ValueError:
                    ok = False
                checked[text] = ok
            if not ok:
                problems.append(Problem(name, None, indicator, f"{period}: {text!r} är inget tal och ingen av Skolverkets markeringar (.., ., ~100, *, cirka)"))
                continue
            codes.append(code)
            indicators.append(indicator)
            periods.append(period)
            texts.append(text)
            kept += 1
        rows = {"school_unit": 1, "statistics": kept, "results_csv": len(parsed.schools)}[parsed.kind]
        listed.append((name, parsed.kind, digest, rows))
    stats = statistics_frame(pl.DataFrame({"school_unit_code": codes, "indicator": indicators, "period": periods, "published": texts}, schema=dict.fromkeys(("school_unit_code", "indicator", "period", "published"), pl.String)))
    stats = stats.unique(subset=["school_unit_code", "indicator", "period"], keep="last", maintain_order=True).sort("school_unit_code", "indicator", "period")
    merged = dict(csv_units)
    for code, unit in json_units.items():
        fallback = csv_units.get(code, {})
        merged[code] = {k: v if v is not None else fallback.get(k) for k, v in unit.items()}
    schools = pl.DataFrame([merged[c] for c in sorted(merged)], schema=SCHOOLS_SCHEMA) if merged else pl.DataFrame(schema=SCHOOLS_SCHEMA)
    files_frame = pl.DataFrame(listed, schema=FILES_SCHEMA, orient="row") if listed else pl.DataFrame(schema=FILES_SCHEMA)
    return SkolverketData(schools, stats, files_frame, tuple(problems), frozenset(json_units))
