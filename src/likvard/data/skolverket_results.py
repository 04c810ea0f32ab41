"""Skolverket's national year-9 results export (CSV), read as a user downloads it.

Why a module of its own: the export is one of Skolverket's two published formats (the other is
the Planned Educations API, ``planned_educations``), with its own dialect: a preamble with the
school year on its own ``Valt läsår: 2024/25`` line, then the header, the data with decimal
commas, footnotes after the data. It is read as downloaded (UTF-8 with BOM) and as Swedish
Excel saves it again ("CSV (semikolonavgränsad)": Windows-1252, used when UTF-8 decoding
fails; or tab separated). The school year is taken from the file's own ``Valt läsår`` line,
never from its name: a renamed file keeps its year and a file without the line is a problem.

``parse_export`` is the step ``read_skolverket`` uses (the shared vocabulary of
``skolverket_published``); ``read_results_csv`` (one row per school unit with
``<column>_status`` beside each number) is kept for the demo and the web import.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import polars as pl

from .problems import Problem
from .skolverket_published import ParsedFile, Schema, parse_published, valid_code

__all__ = ["MARKERS", "NUMERIC", "RESULT_COLUMNS", "parse_export", "read_results_csv"]

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


def parse_export(content: bytes, name: str) -> tuple[pl.DataFrame, ParsedFile]:
    """One export → its rows (``read_results_csv``'s frame) and the statistics rows (the
    export's column names), school units and problems."""
    out = ParsedFile(kind="results_csv")
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
        if not valid_code(code):
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
    frame, parsed = parse_export(content, name)
    return frame, problems + parsed.problems
