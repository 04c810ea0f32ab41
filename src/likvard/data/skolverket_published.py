"""The statistics vocabulary Skolverket's two published formats share.

Why a module of its own: the national results export (``skolverket_results``) and the Planned
Educations responses (``planned_educations``) publish the same figures under different names
and with the same markers; both readers, and ``read_skolverket`` that combines them, turn what
they read into one vocabulary (``PUBLISHED_SCHEMA``): one row per school unit, indicator and
school year with the number (``value``), the text exactly as published (``published``) and its
marker (``marker``: ``""`` for a plain number, else a key of ``MARKER_LABELS``). The same figure
has one indicator name whichever source it came from (``INDICATORS``); every other Planned
Educations indicator keeps its API name. A cell or value that is empty or null (nothing
published) is kept as ``published=""``, ``marker="."`` (no data). ``ParsedFile`` is what either
reader makes of one file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from .problems import Problem

__all__ = [
    "INDICATORS",
    "MARKER_LABELS",
    "PUBLISHED_SCHEMA",
    "SCHOOLS_SCHEMA",
    "FileKind",
    "ParsedFile",
    "Schema",
    "parse_published",
    "statistics_frame",
    "valid_code",
]

Schema = dict[str, pl.DataType | type[pl.DataType]]

# --- the statistics vocabulary ---------------------------------------------------------------

#: Skolverket's markers for values that are not plain numbers, with what they mean. ``cirka``
#: is a prefix ("cirka 460": the number rounded); the others are the whole published text.
MARKER_LABELS: dict[str, str] = {
    "..": "färre än 10 elever",
    ".": "uppgift saknas",
    "~100": "1–4 elever saknar behörighet",
    "*": "lärare som inte behöver legitimation ingår inte; uppgiften redovisas inte",
    "cirka": "avrundat värde",
}

#: One name per figure, whichever source published it. Names not listed are kept as they are
#: (every other Planned Educations indicator under its API name).
INDICATORS: dict[str, str] = {
    "Genomsnittligt meritvärde (17 ämnen)": "merit_value",
    "averageGradesMeritRating9thGrade": "merit_value",
    "Andel (%) elever som uppfyllt betygskriterierna i alla ämnen": "share_all_subjects",
    "ratioOfPupilsIn9thGradeWithAllSubjectsPassed": "share_all_subjects",
    "Andel (%) elever behöriga till yrkesprog.": "share_eligible_vocational",
    "ratioOfPupils9thGradeEligibleForNationalProgramYR": "share_eligible_vocational",
    "Antal elever": "pupils_grade9",
}

PUBLISHED_SCHEMA: Schema = {
    "school_unit_code": pl.String,
    "indicator": pl.String,  # INDICATORS' name, else the API's name
    "period": pl.String,  # school year, "2024/25"
    "value": pl.Float64,  # the number, null where none is published
    "published": pl.String,  # the text exactly as published: "202,7", "..", "~100", "cirka 460"
    "marker": pl.String,  # "" for a plain number, else a key of MARKER_LABELS
}

SCHOOLS_SCHEMA: Schema = {
    "school_unit_code": pl.String,
    "name": pl.String,
    "operator": pl.String,  # municipal / independent / state
    "organiser": pl.String,
    "municipality_code": pl.String,
    "school_forms": pl.String,  # comma-separated gr, gran, gy, gyan
    "grades": pl.String,  # comma-separated grundskola grades, F = förskoleklass
    "lat": pl.Float64,  # wgs84
    "lon": pl.Float64,
}

FileKind = Literal["school_unit", "statistics", "results_csv"]

_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_SPACES = str.maketrans("", "", " \u00a0\u202f")


def parse_published(text: str | None) -> tuple[float | None, str]:
    """A published text → (number or None, marker). ``"202,7"`` → (202.7, ""), ``"~100"`` →
    (100.0, "~100"), ``"cirka 460"`` → (460.0, "cirka"), ``".."``/``"."``/``"*"`` → (None, that
    marker), ``""``/None (nothing published) → (None, "."). Raises ValueError for any other text."""
    t = (text or "").strip()
    if t in ("", "."):
        return None, "."
    if t in ("..", "*"):
        return None, t
    if t == "~100":
        return 100.0, "~100"
    marker = ""
    number = t
    if t[:5].lower() == "cirka":
        marker, number = "cirka", t[5:]
    number = number.translate(_SPACES)
    if not _NUMBER.fullmatch(number):
        raise ValueError(f"{text!r} är varken ett tal eller någon av Skolverkets markeringar (.., ., ~100, *, cirka)")
    return float(number.replace(",", ".")), marker


def statistics_frame(rows: pl.DataFrame | Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Rows with ``school_unit_code``, ``indicator`` (any source's name), ``period`` and
    ``published`` (the text as published) → ``PUBLISHED_SCHEMA``, in the given order, indicators
    renamed by ``INDICATORS`` and each text parsed once by ``parse_published``. Raises
    ValueError naming every text that is neither a number nor a marker."""
    columns = ("school_unit_code", "indicator", "period", "published")
    if isinstance(rows, pl.DataFrame):
        frame = rows.select([pl.col(c).cast(pl.String) for c in columns])
    else:
        frame = pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], schema=dict.fromkeys(columns, pl.String))
    frame = frame.with_columns(pl.col("indicator").replace(INDICATORS), pl.col("published").fill_null(""))
    parsed: dict[str, tuple[float | None, str]] = {}
    bad: list[str] = []
    for text in frame["published"].unique().to_list():
        try:
            parsed[text] = parse_published(text)
        except ValueError:
            bad.append(text)
    if bad:
        raise ValueError(f"inget tal och ingen markering: {', '.join(repr(b) for b in sorted(bad))}")
    keys = list(parsed)
    return frame.with_columns(
        pl.col("published").replace_strict(keys, [parsed[k][0] for k in keys], return_dtype=pl.Float64).alias("value"),
        pl.col("published").replace_strict(keys, [parsed[k][1] for k in keys], return_dtype=pl.String).alias("marker"),
    ).select(list(PUBLISHED_SCHEMA))


def valid_code(code: object) -> bool:
    return isinstance(code, str) and len(code) == 8 and code.isdigit()


@dataclass
class ParsedFile:
    """One file as read: its kind, school rows, statistics rows (code, indicator as in the
    source, period, published text), problems and the parsed JSON document (for the hash)."""

    kind: FileKind | None = None
    schools: list[dict[str, Any]] = field(default_factory=list)
    stats: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    doc: object = None
    period: str | None = None
