"""Indicator outcomes and school targets read from a table (CSV or XLSX).

Why a file: most of a plan's indicators (the pupil survey, sick leave, budget adherence) come
from systems Likvärd does not hold; the analyst exports them and imports one table. The format
is in ``docs/formats.md`` ("outcomes.csv", "targets.csv"). Every problem names file, row and
column, and a table with a problem imports nothing.

An outcome row is one value of one indicator for one period, at the level its columns say: a
``school_unit_code`` makes it a school's, an ``area`` without a school an area's, neither the
whole city's. ``gender`` is empty for all pupils, else ``flickor`` or ``pojkar``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl

from likvard.engine.indicators import period_sort_key

from .problems import Problem
from .register import InputError
from .tables import Source, read_table

__all__ = ["GENDERS", "OUTCOME_SCHEMA", "TARGET_SCHEMA", "read_outcomes", "read_targets", "valid_period"]

#: The gender column's values (English and common spellings accepted on import).
GENDERS: dict[str, str] = {"": "", "alla": "", "all": "", "flickor": "flickor", "flicka": "flickor", "girls": "flickor", "f": "flickor", "pojkar": "pojkar", "pojke": "pojkar", "boys": "pojkar", "p": "pojkar", "m": "pojkar"}

OUTCOME_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "indicator": pl.String,
    "period": pl.String,
    "level": pl.String,  # city | area | school
    "school_unit_code": pl.String,
    "area": pl.String,
    "gender": pl.String,  # "" | flickor | pojkar
    "value": pl.Float64,  # null: hidden (fewer than 10 pupils) or not reported
    "pupils": pl.Int64,
    "source": pl.String,  # skolverket | register | import | synthetic | form
}
TARGET_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {"indicator": pl.String, "period": pl.String, "school_unit_code": pl.String, "target": pl.Float64}


def valid_period(period: str) -> bool:
    try:
        period_sort_key(period)
    except ValueError:
        return False
    return True


def _number(text: str, decimal_comma: bool) -> float | None:
    t = text.replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    if decimal_comma or ("," in t and "." not in t):
        t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def read_outcomes(source: Source, indicators: Collection[str], schools: Mapping[str, str | None], *, synthetic: bool = False) -> pl.DataFrame:
    """Outcomes in ``OUTCOME_SCHEMA``. ``indicators``: the plan's indicator keys;
    ``schools``: school unit code → area of the municipality's school register. Raises
    ``InputError`` with every problem."""
    problems: list[Problem] = []
    table = read_table(source, problems)
    if table is None:
        raise InputError(problems)
    df, name = table.frame, table.name
    missing = [c for c in ("indicator", "period", "value") if c not in df.columns]
    if missing:
        raise InputError([Problem(name, 1, c, "kolumnen saknas (kolumner: indicator, period, value; school_unit_code, area, gender, pupils valfria)") for c in missing])
    areas = {a for a in schools.values() if a}
    rows = []
    for r in df.iter_rows(named=True):
        row = r["_row"]
        key, period = r["indicator"], r["period"]
        if key not in indicators:
            problems.append(Problem(name, row, "indicator", f"{key!r} är ingen indikator i planen" if key else "saknas"))
        if not valid_period(period):
            problems.append(Problem(name, row, "period", f"{period!r} är ingen period (t.ex. 2024/25, 2024, 2024 T2)"))
        school = r.get("school_unit_code") or ""
        area = r.get("area") or ""
        if school and school not in schools:
            problems.append(Problem(name, row, "school_unit_code", f"skolenheten {school} finns inte i skolregistret"))
        if area and area not in areas and not school:
            problems.append(Problem(name, row, "area", f"området {area!r} finns inte i skolregistret"))
        gender = GENDERS.get((r.get("gender") or "").strip().lower())
        if gender is None:
            problems.append(Problem(name, row, "gender", f"{r.get('gender')!r}: skriv flickor, pojkar eller lämna tomt (alla)"))
        text = r["value"]
        value = None if text in ("", "..", ".") else _number(text, table.decimal_comma)
        if text not in ("", "..", ".") and value is None:
            problems.append(Problem(name, row, "value", "är inget tal (tomt eller .. för en uppgift som inte visas)"))
        pupils_text = r.get("pupils") or ""
        pupils = None
        if pupils_text:
            number = _number(pupils_text, table.decimal_comma)
            if number is None or number < 0 or number != int(number):
                problems.append(Problem(name, row, "pupils", "ska vara ett antal elever (heltal ≥ 0)"))
            else:
                pupils = int(number)
        level = "school" if school else ("area" if area else "city")
        rows.append((key, period, level, school or None, (schools.get(school) if school else area) or None, gender or "", value, pupils, "synthetic" if synthetic else "import"))
    if problems:
        raise InputError(problems)
    out = pl.DataFrame(rows, schema=OUTCOME_SCHEMA, orient="row")
    dup = out.filter(pl.struct("indicator", "period", "level", "school_unit_code", "area", "gender").is_duplicated())
    if dup.height:
        first = dup.row(0, named=True)
        raise InputError([Problem(name, None, None, f"indikatorn {first['indicator']}, perioden {first['period']} finns mer än en gång för samma nivå, skola och kön")])
    return out


def read_targets(source: Source, indicators: Collection[str], schools: Collection[str]) -> pl.DataFrame:
    """Schools' annual targets (``TARGET_SCHEMA``) from a table with indicator, period,
    school_unit_code and target."""
    problems: list[Problem] = []
    table = read_table(source, problems)
    if table is None:
        raise InputError(problems)
    df, name = table.frame, table.name
    missing = [c for c in ("indicator", "period", "school_unit_code", "target") if c not in df.columns]
    if missing:
        raise InputError([Problem(name, 1, c, "kolumnen saknas (kolumner: indicator, period, school_unit_code, target)") for c in missing])
    rows = []
    for r in df.iter_rows(named=True):
        row = r["_row"]
        if r["indicator"] not in indicators:
            problems.append(Problem(name, row, "indicator", f"{r['indicator']!r} är ingen indikator i planen"))
        if not valid_period(r["period"]):
            problems.append(Problem(name, row, "period", f"{r['period']!r} är ingen period (t.ex. 2024/25)"))
        if r["school_unit_code"] not in schools:
            problems.append(Problem(name, row, "school_unit_code", f"skolenheten {r['school_unit_code'] or '(tom)'} finns inte i skolregistret"))
        target = _number(r["target"], table.decimal_comma)
        if target is None:
            problems.append(Problem(name, row, "target", "är inget tal"))
        rows.append((r["indicator"], r["period"], r["school_unit_code"], target))
    if problems:
        raise InputError(problems)
    return pl.DataFrame(rows, schema=TARGET_SCHEMA, orient="row")
