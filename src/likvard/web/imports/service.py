"""Import of a pupil register extract: validate the whole file, then all or nothing.

Why: a controller uploads the register snapshot from which the year's money is computed. Every
problem is shown with row and column before anything is stored; the same file twice is
detected by its SHA-256; personal identity numbers (column ``personal_id``) are validated
(checksum, date, century, samordningsnummer) and replaced by a keyed pseudonym whose key comes
from the environment (``LIKVARD_PSEUDONYM_KEY``) or a key file, never the database."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction

from likvard.data.personal_identity import IdentityError, load_key, parse_identity, pseudonym
from likvard.data.register import InputError, Problem, read_files, read_text_table, xlsx_to_csv
from likvard.web.allocation.models import AuditEntry
from likvard.web.schools.models import School

from .models import ImportedFile, PupilRecord

REQUIRED = ("year", "school_unit_code", "school_form", "grade", "home_municipality")


@dataclass(frozen=True)
class ImportResult:
    imported: ImportedFile | None
    problems: list[Problem]
    duplicate_of: ImportedFile | None = None


def _pseudonymise(path: Path, name: str) -> tuple[Path, list[Problem]]:
    """Replace a ``personal_id`` column by ``pupil_id`` pseudonyms; report invalid numbers.

    Read with the register's own reader (delimiter, BOM, encoding); a file it cannot read is
    left as it is, and ``read_files`` reports why with the file's name.
    """
    got = read_text_table(path, [])
    if got is None:
        return path, []
    frame, sep = got
    if "personal_id" not in frame.columns:
        return path, []
    problems: list[Problem] = []
    try:
        key = load_key()
    except (IdentityError, OSError) as exc:
        return path, [Problem(name, None, "personal_id", str(exc))]
    ids: list[str] = []
    for row, value in frame.select("_row", "personal_id").iter_rows():
        try:
            ids.append(pseudonym(parse_identity(value), key))
        except IdentityError as exc:
            problems.append(Problem(name, int(row), "personal_id", str(exc)))
            ids.append("")
    out = frame.drop("personal_id", "_row").with_columns(pl.Series("pupil_id", ids))
    target = path.with_suffix(".pseudonymised.csv")
    out.write_csv(target, separator=sep)
    return target, problems


def import_register(user: Any, filename: str, content: bytes) -> ImportResult:
    """Validate and import a pupil register file (docs/formats.md, pupils.csv, or the same
    columns in the first sheet of an .xlsx workbook)."""
    digest = hashlib.sha256(content).hexdigest()
    existing = ImportedFile.objects.filter(sha256=digest).first()
    if existing is not None:
        return ImportResult(None, [], duplicate_of=existing)
    name = Path(filename).name or "pupils.csv"
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        raw = d / name
        raw.write_bytes(content)
        if raw.suffix.lower() == ".xlsx":  # Excel: its first sheet, rows numbered as in Excel
            read_problems: list[Problem] = []
            converted = xlsx_to_csv(raw, d / "pupils-from-excel.csv", read_problems)
            if converted is None:
                return ImportResult(None, [Problem(name, p.row, p.column, p.message) for p in read_problems])
            raw = converted
        schools = School.objects.values_list("school_unit_code", "name", "operator", "municipality_code", "school_forms")
        school_csv = d / "schools.csv"
        pl.DataFrame(list(schools), schema=["school_unit_code", "name", "operator", "municipality_code", "school_forms"], orient="row").with_columns(
            pl.col("school_forms").replace("", "gr")
        ).write_csv(school_csv)
        pupils_path, problems = _pseudonymise(raw, name)
        try:
            inputs = read_files(pupils=pupils_path, schools=school_csv)
        except InputError as exc:
            problems += [
                Problem(name, p.row, p.column, p.message.replace("i schools.csv", "i skolregistret"))
                for p in exc.problems
                if p.file != "schools.csv"
            ]
            inputs = None
    if problems or inputs is None:
        return ImportResult(None, sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    with transaction.atomic():
        record = ImportedFile.objects.create(sha256=digest, kind="register", filename=name, rows=inputs.pupils.height, uploaded_by=user)
        years = inputs.pupils["year"].unique().to_list()
        PupilRecord.objects.filter(year__in=years).delete()  # a snapshot replaces the year's register
        optional = [c for c in inputs.pupils.columns if c not in (*REQUIRED, "pupil_id")]
        PupilRecord.objects.bulk_create(
            (
                PupilRecord(
                    source=record,
                    year=row["year"],
                    pupil_id=row["pupil_id"],
                    school_unit_code=row["school_unit_code"],
                    school_form=row["school_form"],
                    grade=row["grade"],
                    home_municipality=row["home_municipality"],
                    fields={c: row[c] for c in optional if row[c] is not None},
                )
                for row in inputs.pupils.iter_rows(named=True)
            ),
            batch_size=2_000,
        )
        AuditEntry.objects.create(user=user, action="import_register", target=name, before=None, after={"sha256": digest, "rows": record.rows, "years": years})
    return ImportResult(record, [])


def _duplicate(content: bytes) -> tuple[str, ImportedFile | None]:
    digest = hashlib.sha256(content).hexdigest()
    return digest, ImportedFile.objects.filter(sha256=digest).first()


def import_skolverket(user: Any, filename: str, content: bytes) -> ImportResult:
    """Skolverket's year-9 results export (CSV) or one Planned Educations v4 response (JSON)."""
    from likvard.data.skolverket import read_planned_educations, read_results_csv

    from .models import PublishedStatistic

    digest, existing = _duplicate(content)
    if existing is not None:
        return ImportResult(None, [], duplicate_of=existing)
    name = Path(filename).name or "skolverket"
    stats: list[dict[str, Any]] = []
    school: dict[str, Any] | None = None
    if name.lower().endswith(".json"):
        kind, payload, problems = read_planned_educations(content, name)
        if kind == "statistics":
            stats = list(payload)  # type: ignore[arg-type]
        elif kind == "school_unit":
            school = dict(payload)  # type: ignore[arg-type]
    else:
        frame, problems = read_results_csv(content, name)
        period = "2024/25" if "2025" in name else ""
        for row in frame.iter_rows(named=True) if frame.height else []:
            for column in ("pupils", "share_all_subjects", "share_eligible_vocational", "merit_value"):
                value = row[column]
                stats.append(
                    {
                        "school_unit_code": row["school_unit_code"],
                        "indicator": column,
                        "period": period,
                        "value": "" if value is None else str(value),
                        "value_type": row[f"{column}_status"],
                    }
                )
    if problems:
        return ImportResult(None, problems)
    with transaction.atomic():
        record = ImportedFile.objects.create(sha256=digest, kind="skolverket", filename=name, rows=len(stats) or 1, uploaded_by=user)
        if school is not None:
            School.objects.update_or_create(school_unit_code=school["school_unit_code"], defaults={k: v for k, v in school.items() if k != "school_unit_code"})
        PublishedStatistic.objects.bulk_create(
            (
                PublishedStatistic(source=record, school_unit_code=s["school_unit_code"], indicator=s["indicator"], period=s["period"], value=s["value"] or "", status=s["value_type"])
                for s in stats
            ),
            batch_size=2_000,
        )
        AuditEntry.objects.create(user=user, action="import_skolverket", target=name, before=None, after={"sha256": digest, "rows": len(stats)})
    return ImportResult(record, [])
