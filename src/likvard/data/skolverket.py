"""Skolverket's published files, read as a user downloads them.

Why: analysts compare schools with the national statistics and the demo is calibrated on
them. Two sources (see ``data/skolverket/`` in the shared material): the national year-9
results export (CSV: UTF-8 with BOM, ``;``, decimal comma, a preamble before the header,
footnotes after the data, ``..`` = fewer than 10 pupils, ``.`` = no data, ``~100`` = 1–4 pupils
not eligible) and the Planned Educations API v4 responses (JSON, one school unit or its
statistics per file). Every problem names the file, the line and the column; a malformed
file gives problems, never a traceback.

Markers in the results export are kept apart by a ``<column>_status`` column beside each
numeric column: ``exists`` (a number), ``suppressed`` (``..``: fewer than 10 pupils, value
null), ``no_data`` (``.``, value null), ``near_all`` (``~100``: 1–4 pupils not eligible, value
100.0), ``missing`` (empty cell, value null).

Entry points: ``read_results_csv(path_or_bytes)``, ``read_planned_educations(directory)`` (all
stored responses → tidy frames) and ``read_planned_response(bytes)`` (one response, as the web
import receives it).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import polars as pl

from .problems import Problem

__all__ = ["MARKERS", "RESULT_COLUMNS", "PlannedEducations", "read_planned_educations", "read_planned_response", "read_results_csv"]

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
#: How Skolverket marks values that are not plain numbers.
MARKERS = {"..": "suppressed", ".": "no_data", "~100": "near_all", "": "missing"}


def _value(text: str) -> tuple[float | None, str]:
    text = text.strip()
    if text in MARKERS:
        return (100.0 if text == "~100" else None), MARKERS[text]
    try:
        return float(text.replace("\u00a0", "").replace(" ", "").replace(",", ".")), "exists"
    except ValueError:
        return None, "invalid"


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
    Kommunal and ``independent`` for Enskild; ``pupils`` Int32, the shares and ``merit_value``
    Float64), each numeric column with a ``<column>_status`` (exists, suppressed, no_data,
    near_all, missing) beside it. Problems name the file, the line in the file and the column.
    """
    content, name, problems = _load(source, name)
    if content is None:
        return pl.DataFrame(), problems
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return pl.DataFrame(), [Problem(name, None, None, "filen är inte UTF-8")]
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    header_at = next((i for i, r in enumerate(lines) if r and r[0].strip() == "Skola"), None)
    if header_at is None:
        return pl.DataFrame(), [Problem(name, None, None, "hittar ingen rubrikrad som börjar med 'Skola' (Skolverkets export?)")]
    header = [h.strip() for h in lines[header_at]]
    missing = [h for h in RESULT_COLUMNS if h not in header]
    for h in missing:
        problems.append(Problem(name, header_at + 1, h, "kolumnen saknas"))
    if missing:
        return pl.DataFrame(), problems
    index = {RESULT_COLUMNS[h]: header.index(h) for h in RESULT_COLUMNS}
    rows: list[dict[str, Any]] = []
    for line_no, r in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if not r or not r[0].strip() or len(r) < len(header) or not any(c.strip() for c in r[1:]):
            continue  # blank lines and the footnotes after the data
        code = r[index["school_unit_code"]].strip()
        if not (len(code) == 8 and code.isdigit()):
            if r[index["municipality_code"]].strip():  # a data row with a bad code
                problems.append(Problem(name, line_no, "Skol-enhetskod", f"{code!r} är ingen skolenhetskod (8 siffror)"))
            continue
        row: dict[str, Any] = {k: r[i].strip() for k, i in index.items() if k not in NUMERIC}
        organiser_type = {"Kommunal": "municipal", "Enskild": "independent"}.get(row["organiser_type"])
        if organiser_type is None:
            problems.append(Problem(name, line_no, "Typ av huvudman", f"{row['organiser_type']!r} är ingen känd typ av huvudman (Kommunal, Enskild)"))
        row["organiser_type"] = organiser_type
        if not (len(row["municipality_code"]) == 4 and row["municipality_code"].isdigit()):
            problems.append(Problem(name, line_no, "Kommun-kod", f"{row['municipality_code']!r} är ingen kommunkod (4 siffror)"))
        for k in NUMERIC:
            value, status = _value(r[index[k]])
            if status == "invalid":
                column = next(h for h, v in RESULT_COLUMNS.items() if v == k)
                problems.append(Problem(name, line_no, column, f"{r[index[k]]!r} är inget tal"))
            row[k] = value
            row[f"{k}_status"] = status
        rows.append(row)
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    if frame.height:
        frame = frame.with_columns(pl.col("pupils").cast(pl.Int32, strict=False))
    return frame, problems


def _stat_number(value: object) -> float | None:
    """A statistics value as a number: ``"202,7"`` → 202.7, ``"cirka 230"`` → 230, ``"~100"`` →
    100; ``".."``, ``"."``, null → None."""
    if not isinstance(value, str):
        return None
    text = value.strip().removeprefix("cirka").removeprefix("~").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _coordinate(value: object) -> float | None:
    try:
        return float(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


_GRADE_ORDER = ("F", "1", "2", "3", "4", "5", "6", "7", "8", "9")


def _grades(types: list[dict[str, Any]]) -> list[str]:
    """Grundskola grades offered (``F`` = förskoleklass), in order."""
    got: set[str] = set()
    for t in types:
        if t.get("code") == "fsk":
            got.add("F")
        if t.get("code") == "gr":
            got.update(str(y) for y in t.get("schoolYears") or [])
    return [g for g in _GRADE_ORDER if g in got]


SCHOOL_UNIT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "school_unit_code": pl.String,
    "name": pl.String,
    "operator": pl.String,  # municipal (Kommunal) / independent (Fristående)
    "organiser": pl.String,
    "municipality_code": pl.String,
    "school_forms": pl.String,  # comma-separated gr, gran, gy, gyan
    "grades": pl.String,  # comma-separated grundskola grades, F = förskoleklass
    "lat": pl.Float64,  # wgs84
    "lon": pl.Float64,
}
STATISTICS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "school_unit_code": pl.String,
    "indicator": pl.String,  # e.g. averageGradesMeritRating9thGrade
    "period": pl.String,  # school year, "2024/25"
    "value": pl.String,  # as published ("202,7", "..", "~100", "cirka 230")
    "value_number": pl.Float64,  # the value as a number where it is one
    "value_type": pl.String,  # EXISTS, OMITTED_DUE_TO_BASED_ON_FEW_PUPILS, MISSING, …
}


@dataclass(frozen=True)
class PlannedEducations:
    """All stored Planned Educations v4 responses of a directory, as tidy frames."""

    schools: pl.DataFrame  # SCHOOL_UNIT_SCHEMA, one row per school unit
    statistics: pl.DataFrame  # STATISTICS_SCHEMA, long: one row per unit, indicator, period
    problems: list[Problem] = field(default_factory=list)


@overload
def read_planned_educations(source: str | Path) -> PlannedEducations: ...
@overload
def read_planned_educations(source: bytes, name: str = ...) -> tuple[str, dict[str, Any] | list[dict[str, Any]], list[Problem]]: ...
def read_planned_educations(source: bytes | str | Path, name: str = "response.json") -> PlannedEducations | tuple[str, dict[str, Any] | list[dict[str, Any]], list[Problem]]:
    """A directory of stored responses (``{code}.school-unit.json``, ``{code}.statistics-gr.json``)
    → ``PlannedEducations`` (school units and long-format statistics, plus problems; a bad file
    is reported and skipped). Given the bytes of one response instead, the same as
    ``read_planned_response`` (kept for the web import)."""
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


def read_planned_response(content: bytes, name: str = "response.json") -> tuple[str, dict[str, Any] | list[dict[str, Any]], list[Problem]]:
    """One Planned Educations v4 response (as stored: ``{"url", "json": {"body": …}}`` or the
    bare API response). Returns ("school_unit", fields, problems) or ("statistics", rows,
    problems); statistics rows are ``school_unit_code, indicator, period, value, value_type``."""
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return "", {}, [Problem(name, getattr(exc, "lineno", None), None, f"ogiltig JSON: {exc}")]
    body = (doc.get("json") or doc).get("body") if isinstance(doc, dict) else None
    if not isinstance(body, dict):
        return "", {}, [Problem(name, None, "body", "svaret saknar 'body' (Planned Educations v4)")]
    if "schoolUnit" in body:
        code = str(body["schoolUnit"])
        stats: list[dict[str, Any]] = []
        for indicator, series in body.items():
            if not isinstance(series, list):
                continue
            for point in series:
                if isinstance(point, dict) and point.get("timePeriod"):
                    stats.append(
                        {
                            "school_unit_code": code,
                            "indicator": indicator,
                            "period": point["timePeriod"],
                            "value": point.get("value"),
                            "value_number": _stat_number(point.get("value")),
                            "value_type": point.get("valueType", ""),
                        }
                    )
        return "statistics", stats, []
    if "code" in body:
        code = str(body["code"])
        if not (len(code) == 8 and code.isdigit()):
            return "", {}, [Problem(name, None, "code", f"{code!r} är ingen skolenhetskod")]
        fields = {
            "school_unit_code": code,
            "name": body.get("name", ""),
            "operator": "municipal" if body.get("principalOrganizerType") == "Kommunal" else "independent",
            "organiser": body.get("corporationName", ""),
            "municipality_code": body.get("geographicalAreaCode", ""),
            "school_forms": ",".join(t["code"] for t in body.get("typeOfSchooling", []) if t.get("code") in ("gr", "gran", "gy", "gyan")),
            "grades": ",".join(_grades(body.get("typeOfSchooling", []))),
            "lat": _coordinate(body.get("wgs84_Lat")),
            "lon": _coordinate(body.get("wgs84_Long")),
        }
        return "school_unit", fields, []
    return "", {}, [Problem(name, None, "body", "varken en skolenhet eller statistik")]
