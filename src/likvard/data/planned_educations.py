"""Skolverket's Planned Educations API v4, read from its stored JSON responses.

Why a module of its own: the API is one of Skolverket's two published formats (the other is the
national results export, ``skolverket_results``); it describes school units (coordinates, forms
of schooling, grades, organiser) and publishes each unit's statistics under the API's indicator
names. One response holds one school unit or one school unit's statistics; stored responses are
``{"generatedAt", "url", "acceptHeader", "json": {"body"}}``, the bare API response ``{"status",
"message", "body"}`` is read too. Real responses for schools anywhere in Sweden lack some
optional fields (coordinates, forms of schooling, grades, municipality code): those give nulls,
not problems; only a missing or invalid school unit code is a problem.

``parse_response`` is the step ``read_skolverket`` uses (the shared vocabulary of
``skolverket_published``); ``read_planned_educations(directory)`` and ``read_planned_response``
are kept for the demo and the web import, with the API's own names and value types.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import polars as pl

from .problems import Problem
from .skolverket_published import SCHOOLS_SCHEMA, ParsedFile, Schema, parse_published, valid_code

__all__ = [
    "SCHOOL_UNIT_SCHEMA",
    "STATISTICS_SCHEMA",
    "PlannedEducations",
    "parse_response",
    "read_planned_educations",
    "read_planned_response",
    "response_body",
]

_OPERATORS = {"Kommunal": "municipal", "Region": "municipal", "Fristående": "independent", "Enskild": "independent", "Statlig": "state"}
_SCHOOL_FORMS = ("gr", "gran", "gy", "gyan")
_GRADE_ORDER = ("F", "1", "2", "3", "4", "5", "6", "7", "8", "9")


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


def response_body(doc: object) -> object:
    """What a response says: the ``body`` of a stored (``json.body``) or bare response, else
    the document itself."""
    if isinstance(doc, dict):
        inner = doc.get("json", doc)
        if isinstance(inner, dict) and "body" in inner:
            return inner["body"]
    return doc


def parse_response(content: bytes, name: str) -> ParsedFile:
    """One response → its kind, its school unit or statistics rows (API names), problems."""
    out = ParsedFile()
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
        if not valid_code(code):
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
        if not valid_code(body["code"]):
            out.problems.append(Problem(name, None, "code", f"{body['code']!r} är ingen skolenhetskod (8 siffror)"))
            return out
        out.kind = "school_unit"
        out.schools.append(_unit_fields(body))
        return out
    out.problems.append(Problem(name, None, "body", "varken en skolenhet ('code') eller statistik ('schoolUnit')"))
    return out


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
    parsed = parse_response(content, name)
    if parsed.kind == "school_unit":
        fields = {k: ("" if v is None and SCHOOLS_SCHEMA[k] == pl.String and k != "operator" else v) for k, v in parsed.schools[0].items()}
        return "school_unit", fields, parsed.problems
    if parsed.kind == "statistics":
        body = response_body(parsed.doc)
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
