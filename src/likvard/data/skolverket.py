"""Skolverket's published files, read as a user downloads them.

Why: controllers import Skolverket's school units and published results and the school and
results pages show them per year, with Skolverket's markers kept exactly as published. Two
sources (see ``data/skolverket/`` in the shared material):

* the national year-9 results export (CSV: a preamble with the school year on its own
  ``Valt läsår: 2024/25`` line, then the header, the data with decimal commas, footnotes after
  the data). It is read as downloaded (UTF-8 with BOM) and as Swedish Excel saves it again
  ("CSV (semikolonavgränsad)": Windows-1252, used when UTF-8 decoding fails; or tab separated).
  The school year is taken from the file's own ``Valt läsår`` line, never from its name: a
  renamed file keeps its year and a file without the line is a problem.
* the Planned Educations API v4 (JSON, one school unit or one school unit's statistics per
  response; stored responses are ``{"generatedAt", "url", "acceptHeader", "json": {"body"}}``,
  the bare API response ``{"status", "message", "body"}`` is read too).

One vocabulary for both (``PUBLISHED_SCHEMA``): one row per school unit, indicator and school
year with the number (``value``), the text exactly as published (``published``) and its marker
(``marker``: ``""`` for a plain number, else a key of ``MARKER_LABELS``). The same figure has
one indicator name whichever source it came from (``INDICATORS``); every other Planned
Educations indicator keeps its API name. A cell or value that is empty or null (nothing
published) is kept as ``published=""``, ``marker="."`` (no data).

Every problem names the file (inside a zip as ``archive.zip/member.json``), the line and the
column where known; a malformed file gives problems, never a traceback. Real responses for
schools anywhere in Sweden lack some optional fields (coordinates, forms of schooling, grades,
municipality code): those give nulls, not problems; only a missing or invalid school unit code
is a problem.

Entry points:

* ``read_skolverket(sources)`` → ``SkolverketData`` (schools, statistics, files, problems) for
  any mix of files, directories, zip archives and uploads held in memory;
* ``statistics_frame(rows)`` and ``parse_published(text)``: the statistics vocabulary;
* ``content_hash(name, content)``: duplicate detection on content, not on volatile fields;
* kept for the demo and the web import: ``read_results_csv(path_or_bytes)`` (one row per school
  unit with ``<column>_status`` beside each number), ``read_planned_educations(directory)`` and
  ``read_planned_response(bytes)``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import polars as pl

from .problems import Problem

__all__ = [
    "FILES_SCHEMA",
    "INDICATORS",
    "MARKERS",
    "MARKER_LABELS",
    "MAX_FILE_BYTES",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "PUBLISHED_SCHEMA",
    "RESULT_COLUMNS",
    "SCHOOLS_SCHEMA",
    "FileKind",
    "PlannedEducations",
    "SkolverketData",
    "content_hash",
    "parse_published",
    "read_planned_educations",
    "read_planned_response",
    "read_results_csv",
    "read_skolverket",
    "statistics_frame",
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

FILES_SCHEMA: Schema = {
    "name": pl.String,  # as in problems: "export.csv", "archive.zip/member.json", "dir/file.json"
    "kind": pl.String,  # FileKind
    "content_hash": pl.String,  # content_hash(name, content)
    "rows": pl.Int64,  # statistics rows (statistics), school units (results_csv), 1 (school_unit)
}

#: Largest file read (and largest declared size of a zip member), in bytes.
MAX_FILE_BYTES = 200_000_000
#: Largest total declared size of a zip archive's members, in bytes.
MAX_TOTAL_BYTES = 1_000_000_000
#: Largest ratio of a zip archive's declared uncompressed size to its own size (JSON and CSV
#: compress 5–30 times; a zip bomb thousands of times).
MAX_RATIO = 100.0
_RATIO_FLOOR = 1 << 20  # archives unpacking to less than this are not ratio-checked

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


# --- content hash ---------------------------------------------------------------------------


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _response_body(doc: object) -> object:
    """What a response says: the ``body`` of a stored (``json.body``) or bare response, else
    the document itself."""
    if isinstance(doc, dict):
        inner = doc.get("json", doc)
        if isinstance(inner, dict) and "body" in inner:
            return inner["body"]
    return doc


def _looks_like_json(content: bytes) -> bool:
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _is_zip(name: str, content: bytes) -> bool:
    return content[:4] in (b"PK\x03\x04", b"PK\x05\x06") or name.lower().endswith(".zip")


def content_hash(name: str, content: bytes) -> str:
    """SHA-256 (hex) over the content that matters, for duplicate detection.

    A Planned Educations response (stored or bare): the canonical JSON (sorted keys, no
    whitespace) of its ``body``, so two downloads differing only in ``generatedAt``, key order
    or layout have the same hash. Other JSON: its canonical form. A CSV: the bytes with line
    endings normalised to ``\\n`` and a UTF-8 BOM dropped. A zip, or JSON that does not parse:
    the bytes as they are."""
    lowered = name.lower()
    if not _is_zip(name, content) and (lowered.endswith(".json") or _looks_like_json(content)):
        try:
            doc = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            return hashlib.sha256(content).hexdigest()
        return hashlib.sha256(_canonical(_response_body(doc))).hexdigest()
    if _is_zip(name, content):
        return hashlib.sha256(content).hexdigest()
    return hashlib.sha256(content.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").replace(b"\r", b"\n")).hexdigest()


# --- Planned Educations v4 responses ---------------------------------------------------------

_OPERATORS = {"Kommunal": "municipal", "Region": "municipal", "Fristående": "independent", "Enskild": "independent", "Statlig": "state"}
_SCHOOL_FORMS = ("gr", "gran", "gy", "gyan")
_GRADE_ORDER = ("F", "1", "2", "3", "4", "5", "6", "7", "8", "9")


def _valid_code(code: object) -> bool:
    return isinstance(code, str) and len(code) == 8 and code.isdigit()


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _coordinate(value: object) -> float | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _school_types(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    types = body.get("typeOfSchooling")
    return [t for t in types if isinstance(t, Mapping)] if isinstance(types, list) else []


def _grades(types: list[Mapping[str, Any]]) -> str | None:
    """Grundskola grades offered (``F`` = förskoleklass), in order."""
    got: set[str] = set()
    for t in types:
        if t.get("code") == "fsk":
            got.add("F")
        years = t.get("schoolYears")
        if t.get("code") == "gr" and isinstance(years, list):
            got.update(str(y) for y in years)
    return ",".join(g for g in _GRADE_ORDER if g in got) or None


def _unit_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """A school-unit body → a ``SCHOOLS_SCHEMA`` row, null where the response lacks a field."""
    types = _school_types(body)
    codes = {t.get("code") for t in types}
    municipality = _text(body.get("geographicalAreaCode"))
    return {
        "school_unit_code": body["code"],
        "name": _text(body.get("name")),
        "operator": _OPERATORS.get(str(body.get("principalOrganizerType") or "").strip()),
        "organiser": _text(body.get("corporationName")),
        "municipality_code": municipality if municipality and len(municipality) == 4 and municipality.isdigit() else None,
        "school_forms": ",".join(f for f in _SCHOOL_FORMS if f in codes) or None,
        "grades": _grades(types),
        "lat": _coordinate(body.get("wgs84_Lat")),
        "lon": _coordinate(body.get("wgs84_Long")),
    }


def _published_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value)


@dataclass
class _Parsed:
    """One file as read: its kind, school rows, statistics rows (code, indicator as in the
    source, period, published text), problems and the parsed JSON document (for the hash)."""

    kind: FileKind | None = None
    schools: list[dict[str, Any]] = field(default_factory=list)
    stats: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    doc: object = None
    period: str | None = None


def _parse_json(content: bytes, name: str) -> _Parsed:
    out = _Parsed()
    try:
        out.doc = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        out.problems.append(Problem(name, None, None, f"ogiltig JSON: inte UTF-8 ({exc.reason})"))
        return out
    except json.JSONDecodeError as exc:
        out.problems.append(Problem(name, exc.lineno, None, f"ogiltig JSON: {exc.msg} (kolumn {exc.colno})"))
        return out
    except ValueError as exc:
        out.problems.append(Problem(name, None, None, f"ogiltig JSON: {exc}"))
        return out
    doc = out.doc
    inner = doc.get("json", doc) if isinstance(doc, dict) else None
    body = inner.get("body", inner) if isinstance(inner, dict) else None
    if not isinstance(body, dict):
        status = inner.get("status") if isinstance(inner, dict) else None
        if status and status != "OK":
            message = inner.get("message") if isinstance(inner, dict) else ""
            out.problems.append(Problem(name, None, "status", f"svaret är inget lyckat svar ({status}: {message})"))
        else:
            out.problems.append(Problem(name, None, "body", "svaret saknar 'body' (Planned Educations v4)"))
        return out
    if "schoolUnit" in body:
        code = body["schoolUnit"]
        if not _valid_code(code):
            out.problems.append(Problem(name, None, "schoolUnit", f"{code!r} är ingen skolenhetskod (8 siffror)"))
            return out
        out.kind = "statistics"
        for indicator, series in body.items():
            if not isinstance(series, list):
                continue
            for point in series:
                if isinstance(point, dict) and isinstance(point.get("timePeriod"), str) and point["timePeriod"].strip():
                    out.stats.append((code, indicator, point["timePeriod"].strip(), _published_text(point.get("value"))))
        return out
    if "code" in body:
        if not _valid_code(body["code"]):
            out.problems.append(Problem(name, None, "code", f"{body['code']!r} är ingen skolenhetskod (8 siffror)"))
            return out
        out.kind = "school_unit"
        out.schools.append(_unit_fields(body))
        return out
    out.problems.append(Problem(name, None, "body", "varken en skolenhet ('code') eller statistik ('schoolUnit')"))
    return out


# --- the national results export (CSV) -------------------------------------------------------

RESULT_COLUMNS = {
    "Skola": "name",
    "Skol-enhetskod": "school_unit_code",
    "Skolkommun": "municipality",
    "Kommun-kod": "municipality_code",
    "Typ av huvudman": "organiser_type",
    "Huvudman": "organiser",
    "Huvudman orgnr": "organiser_orgnr",
    "Antal elever": "pupils",
    "Andel (%) elever som uppfyllt betygskriterierna i alla ämnen": "share_all_subjects",
    "Andel (%) elever behöriga till yrkesprog.": "share_eligible_vocational",
    "Genomsnittligt meritvärde (17 ämnen)": "merit_value",
}
NUMERIC = ("pupils", "share_all_subjects", "share_eligible_vocational", "merit_value")
#: The ``<column>_status`` of a cell in ``read_results_csv`` by its whole text (``""``: empty
#: cell). Besides these: ``exists`` for a number, ``approximate`` for ``cirka N``.
MARKERS = {"..": "suppressed", ".": "no_data", "~100": "near_all", "*": "excluded", "": "missing"}
_CSV_ORGANISERS = {"Kommunal": "municipal", "Region": "municipal", "Enskild": "independent", "Statlig": "state"}

_RESULT_SCHEMA: Schema = {
    "name": pl.String,
    "school_unit_code": pl.String,
    "municipality": pl.String,
    "municipality_code": pl.String,
    "organiser_type": pl.String,
    "organiser": pl.String,
    "organiser_orgnr": pl.String,
    **{k: v for n in NUMERIC for k, v in ((n, pl.Int32 if n == "pupils" else pl.Float64), (f"{n}_status", pl.String))},
    "period": pl.String,
}
_HEADER_LINE = re.compile(r'^\ufeff?"?Skola"?([;\t])', re.MULTILINE)
_PERIOD = re.compile(r"Valt\s+läsår\s*:\s*(\d{4})\s*/\s*(\d{4}|\d{2})\b", re.IGNORECASE)


def _decode(content: bytes) -> str | None:
    """UTF-16 with a BOM (Excel's "Unicode text"), UTF-8 with or without BOM, else Windows-1252
    (Swedish Excel's "CSV (semikolonavgränsad)"); None when none of them decodes."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _status(text: str, marker: str) -> str:
    if text == "":
        return "missing"
    if marker == "cirka":
        return "approximate"
    return "exists" if marker == "" else MARKERS[marker]


def _period_of(preamble: list[list[str]]) -> str | None:
    for row in preamble:
        for cell in row:
            found = _PERIOD.search(cell)
            if found:
                start, end = int(found.group(1)), found.group(2)
                if int(end[-2:]) == (start + 1) % 100:
                    return f"{start}/{end[-2:]}"
    return None


def _parse_csv(content: bytes, name: str) -> tuple[pl.DataFrame, _Parsed]:
    out = _Parsed(kind="results_csv")
    empty = pl.DataFrame(schema=_RESULT_SCHEMA)
    text = _decode(content)
    if text is None:
        out.kind = None
        out.problems.append(Problem(name, None, None, "filen är varken UTF-8 eller Windows-1252"))
        return empty, out
    header_line = _HEADER_LINE.search(text)
    delimiter = header_line.group(1) if header_line else ";"
    lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header_at = next((i for i, r in enumerate(lines) if r and r[0].strip().lstrip("\ufeff") == "Skola"), None)
    if header_at is None:
        out.kind = None
        out.problems.append(Problem(name, None, None, "hittar ingen rubrikrad som börjar med 'Skola' (Skolverkets export?)"))
        return empty, out
    header = [h.strip().lstrip("\ufeff") for h in lines[header_at]]
    missing = [h for h in RESULT_COLUMNS if h not in header]
    for h in missing:
        out.problems.append(Problem(name, header_at + 1, h, "kolumnen saknas"))
    if missing:
        return empty, out
    out.period = _period_of(lines[:header_at])
    if out.period is None:
        out.problems.append(Problem(name, None, None, "raden 'Valt läsår: ÅÅÅÅ/ÅÅ' saknas före rubrikraden: läsåret tas ur filens innehåll, inte ur dess namn"))
    index = {RESULT_COLUMNS[h]: header.index(h) for h in RESULT_COLUMNS}
    column_of = {v: h for h, v in RESULT_COLUMNS.items()}
    rows: list[dict[str, Any]] = []
    for line_no, r in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if not r or not r[0].strip() or len(r) < len(header) or not any(c.strip() for c in r[1:]):
            continue  # blank lines and the footnotes after the data
        code = r[index["school_unit_code"]].strip()
        if not _valid_code(code):
            if r[index["municipality_code"]].strip():  # a data row with a bad code
                out.problems.append(Problem(name, line_no, "Skol-enhetskod", f"{code!r} är ingen skolenhetskod (8 siffror)"))
            continue
        row: dict[str, Any] = {k: r[i].strip() for k, i in index.items() if k not in NUMERIC}
        organiser_type = _CSV_ORGANISERS.get(row["organiser_type"])
        if organiser_type is None:
            out.problems.append(Problem(name, line_no, "Typ av huvudman", f"{row['organiser_type']!r} är ingen känd typ av huvudman (Kommunal, Enskild, Statlig, Region)"))
        row["organiser_type"] = organiser_type
        municipality_ok = len(row["municipality_code"]) == 4 and row["municipality_code"].isdigit()
        if not municipality_ok:
            out.problems.append(Problem(name, line_no, "Kommun-kod", f"{row['municipality_code']!r} är ingen kommunkod (4 siffror)"))
        for k in NUMERIC:
            cell = r[index[k]].strip()
            try:
                value, marker = parse_published(cell)
            except ValueError:
                out.problems.append(Problem(name, line_no, column_of[k], f"{cell!r} är inget tal och ingen av Skolverkets markeringar (.., ., ~100, *, cirka)"))
                value, status = None, "invalid"
            else:
                status = _status(cell, marker)
                if out.period is not None:
                    out.stats.append((code, column_of[k], out.period, cell))
            row[k] = value
            row[f"{k}_status"] = status
        row["period"] = out.period
        rows.append(row)
        out.schools.append(
            {
                "school_unit_code": code,
                "name": row["name"] or None,
                "operator": organiser_type,
                "organiser": row["organiser"] or None,
                "municipality_code": row["municipality_code"] if municipality_ok else None,
                "school_forms": None,
                "grades": None,
                "lat": None,
                "lon": None,
            }
        )
    frame = pl.DataFrame(rows, schema={k: pl.Float64 if k == "pupils" else v for k, v in _RESULT_SCHEMA.items()}) if rows else empty
    return frame.with_columns(pl.col("pupils").cast(pl.Int32, strict=False)), out


def _load(source: bytes | str | Path, name: str | None) -> tuple[bytes | None, str, list[Problem]]:
    if isinstance(source, bytes):
        return source, name or "results.csv", []
    path = Path(source)
    label = name or path.name
    try:
        return path.read_bytes(), label, []
    except OSError as exc:
        return None, label, [Problem(label, None, None, f"filen kan inte läsas: {exc.strerror or exc}")]


def read_results_csv(source: bytes | str | Path, name: str | None = None) -> tuple[pl.DataFrame, list[Problem]]:
    """The year-9 results export (a path, or the file's bytes with its ``name``) → one row per
    school unit with values and their status, and the problems found.

    Columns: the English names of ``RESULT_COLUMNS`` (``organiser_type`` is ``municipal`` for
    Kommunal and Region, ``independent`` for Enskild, ``state`` for Statlig; ``pupils`` Int32,
    the shares and ``merit_value`` Float64), each numeric column with a ``<column>_status``
    (exists, suppressed, no_data, near_all, excluded, approximate, missing) beside it, and
    ``period``, the school year of the file's ``Valt läsår`` line (null, and a problem, when the
    file has none). Problems name the file, the line in the file and the column.
    """
    content, name, problems = _load(source, name)
    if content is None:
        return pl.DataFrame(schema=_RESULT_SCHEMA), problems
    frame, parsed = _parse_csv(content, name)
    return frame, problems + parsed.problems


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


def _collect(sources: Sequence[Path | str | tuple[str, bytes]], max_bytes: int, max_total_bytes: int, max_ratio: float, problems: list[Problem]) -> list[tuple[str, bytes]]:
    """Every source as (name, content): a file, a directory's *.json and *.csv files (sorted), a
    zip's members, an upload held in memory."""
    files: list[tuple[str, bytes]] = []

    def add(name: str, content: bytes) -> None:
        if len(content) > max_bytes:
            problems.append(Problem(name, None, None, f"filen är {_size(len(content))}, mer än gränsen {_size(max_bytes)}"))
        elif _is_zip(name, content):
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
    files = _collect(sources, max_bytes, max_total_bytes, max_ratio, problems)
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
            parsed = _parse_json(content, name)
            digest = hashlib.sha256(_canonical(_response_body(parsed.doc))).hexdigest() if parsed.kind else ""
        else:
            _, parsed = _parse_csv(content, name)
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


# --- kept for the demo and the web import ----------------------------------------------------

SCHOOL_UNIT_SCHEMA: Schema = SCHOOLS_SCHEMA
STATISTICS_SCHEMA: Schema = {
    "school_unit_code": pl.String,
    "indicator": pl.String,  # the API's name, e.g. averageGradesMeritRating9thGrade
    "period": pl.String,  # school year, "2024/25"
    "value": pl.String,  # as published ("202,7", "..", "~100", "cirka 230")
    "value_number": pl.Float64,  # the value as a number where it is one
    "value_type": pl.String,  # EXISTS, OMITTED_DUE_TO_BASED_ON_FEW_PUPILS, MISSING, …
}


@dataclass(frozen=True)
class PlannedEducations:
    """All stored Planned Educations v4 responses of a directory, as tidy frames."""

    schools: pl.DataFrame  # SCHOOL_UNIT_SCHEMA, one row per school unit ("" for missing texts)
    statistics: pl.DataFrame  # STATISTICS_SCHEMA, long: one row per unit, indicator, period
    problems: list[Problem] = field(default_factory=list)


def _number_or_none(text: str | None) -> float | None:
    try:
        return parse_published(text)[0]
    except ValueError:
        return None


def read_planned_response(content: bytes, name: str = "response.json") -> tuple[str, dict[str, Any] | list[dict[str, Any]], list[Problem]]:
    """One Planned Educations v4 response (as stored: ``{"url", "json": {"body": …}}`` or the
    bare API response). Returns ("school_unit", fields, problems) or ("statistics", rows,
    problems); statistics rows are ``school_unit_code, indicator, period, value, value_number,
    value_type`` with the API's indicator names. Texts a response lacks are ``""``."""
    parsed = _parse_json(content, name)
    if parsed.kind == "school_unit":
        fields = {k: ("" if v is None and SCHOOLS_SCHEMA[k] == pl.String and k != "operator" else v) for k, v in parsed.schools[0].items()}
        return "school_unit", fields, parsed.problems
    if parsed.kind == "statistics":
        body = _response_body(parsed.doc)
        types: dict[tuple[str, str], str] = {}
        if isinstance(body, dict):
            for indicator, series in body.items():
                for point in series if isinstance(series, list) else []:
                    if isinstance(point, dict) and isinstance(point.get("timePeriod"), str):
                        types[(indicator, point["timePeriod"].strip())] = str(point.get("valueType") or "")
        rows = [
            {"school_unit_code": c, "indicator": i, "period": p, "value": t, "value_number": _number_or_none(t), "value_type": types.get((i, p), "")}
            for c, i, p, t in parsed.stats
        ]
        return "statistics", rows, parsed.problems
    return "", {}, parsed.problems


@overload
def read_planned_educations(source: str | Path) -> PlannedEducations: ...
@overload
def read_planned_educations(source: bytes, name: str = ...) -> tuple[str, dict[str, Any] | list[dict[str, Any]], list[Problem]]: ...
def read_planned_educations(source: bytes | str | Path, name: str = "response.json") -> PlannedEducations | tuple[str, dict[str, Any] | list[dict[str, Any]], list[Problem]]:
    """A directory of stored responses (``{code}.school-unit.json``, ``{code}.statistics-gr.json``)
    → ``PlannedEducations`` (school units and long-format statistics with the API's names, plus
    problems; a bad file is reported and skipped). Given the bytes of one response instead, the
    same as ``read_planned_response`` (kept for the web import)."""
    if isinstance(source, bytes):
        return read_planned_response(source, name)
    directory = Path(source)
    if not directory.is_dir():
        return PlannedEducations(pl.DataFrame(schema=SCHOOL_UNIT_SCHEMA), pl.DataFrame(schema=STATISTICS_SCHEMA), [Problem(str(directory), None, None, "katalogen finns inte")])
    units: list[dict[str, Any]] = []
    stats: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.json")):
        kind, payload, found = read_planned_response(path.read_bytes(), path.name)
        problems.extend(found)
        if kind == "school_unit" and isinstance(payload, dict):
            units.append(payload)
        elif kind == "statistics" and isinstance(payload, list):
            stats.extend(payload)
    schools = pl.DataFrame(units, schema=SCHOOL_UNIT_SCHEMA) if units else pl.DataFrame(schema=SCHOOL_UNIT_SCHEMA)
    statistics = pl.DataFrame(stats, schema=STATISTICS_SCHEMA) if stats else pl.DataFrame(schema=STATISTICS_SCHEMA)
    return PlannedEducations(schools.sort("school_unit_code"), statistics.sort("school_unit_code", "indicator", "period"), problems)
