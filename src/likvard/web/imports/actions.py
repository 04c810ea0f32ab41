"""Imports that feed everything: validate the whole of it first, then all or nothing.

Why one module for every kind: the school list, a register snapshot, an index, decisions, RSU
groups, a whole directory in the import format and Skolverket's files all follow the same
steps — read in memory, check every row, scan every text column for personal identity numbers,
pseudonymise pupil ids, then in one transaction store the tables, replace what they replace and
write the audit row saying so. A problem anywhere means nothing is stored. Two imports at once
run one after the other (a lock row), never into each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import OperationalError, transaction

from likvard.data.privacy import PrivacyError, protect, scan
from likvard.data.problems import Problem
from likvard.data.register import InputError, read_files
from likvard.data.tables import Upload, read_table
from likvard.data.uploads import collect
from likvard.web.audit.actions import record
from likvard.web.schools.actions import upsert_schools
from likvard.web.schools.models import School

from .models import ImportedFile, ImportLock, Snapshot
from .snapshots import school_frame

__all__ = ["TABLES", "ImportOutcome", "import_data", "import_kind", "import_skolverket"]

#: The tables of the import format by file stem (docs/formats.md) and the snapshot kind each
#: becomes (the school list is not a snapshot: it updates the register of schools).
TABLES = {"pupils": "pupils", "schools": "schools", "school_index": "index", "decisions": "decisions", "rsu_groups": "rsu_groups", "baseline": "baseline"}
#: The command line's import kinds and the table each reads (``data`` and ``skolverket`` aside).
KIND_TABLES = {"schools": "schools", "register": "pupils", "index": "school_index", "decisions": "decisions", "rsu": "rsu_groups", "baseline": "baseline"}
#: The goal follow-up's files: a year's plan, outcomes, schools' targets (docs/formats.md).
GOAL_KINDS = ("plan", "outcomes", "targets")
KINDS = ("data", *KIND_TABLES, "skolverket", *GOAL_KINDS, "interventions")


@dataclass
class ImportOutcome:
    """What an import did, or why it did nothing (``problems``)."""

    kind: str
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    files: list[ImportedFile] = field(default_factory=list)
    duplicate_of: ImportedFile | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    #: schools the import changed: (code, name, field, before, after), for the page and the CLI
    changed_schools: list[tuple[str, str, str, Any, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def imported(self) -> ImportedFile | None:
        return self.files[0] if self.files else None


class ImportBusy(Exception):
    """Another import holds the lock longer than the database waits."""


def _sha256(upload: Upload) -> str:
    return hashlib.sha256(upload.content.replace(b"\r\n", b"\n")).hexdigest()


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _locked() -> None:
    """Take the import lock inside the current transaction (PostgreSQL: the second import
    waits on the row; SQLite: its write transaction is already exclusive)."""
    ImportLock.objects.get_or_create(name="import")
    list(ImportLock.objects.select_for_update().filter(name="import"))


def guarded(outcome: ImportOutcome, store: Any) -> ImportOutcome:
    """Run ``store`` in one transaction under the lock; a busy database is a clear message."""
    try:
        with transaction.atomic():
            _locked()
            store()
    except OperationalError as exc:
        if "locked" not in str(exc).lower() and "lock" not in str(exc).lower():
            raise
        outcome.problems.append(Problem("import", None, None, "en annan import pågår just nu; försök igen om en stund (inget har importerats)"))
        outcome.files.clear()
    return outcome


# ---------------------------------------------------------------------------------------------
# the import format


def _assign(uploads: Sequence[Upload], kind: str, outcome: ImportOutcome) -> dict[str, Upload]:
    """Which upload is which table: by file stem for ``data``, the one file for a single kind."""
    if kind != "data":
        if len(uploads) != 1:
            outcome.problems.append(Problem(kind, None, None, f"ange en fil för {kind} (fick {len(uploads)})"))
            return {}
        return {KIND_TABLES[kind]: uploads[0]}
    named: dict[str, Upload] = {}
    for u in uploads:
        stem = Path(u.name).stem
        if stem in TABLES and stem not in named:
            named[stem] = u
        elif Path(u.name).name.lower() != "readme.txt":
            outcome.notices.append(Problem(u.name, None, None, "ingen tabell i importformatet (pupils, schools, school_index, decisions, rsu_groups, baseline): ignoreras"))
    if not named:
        outcome.problems.append(Problem(kind, None, None, "hittar ingen fil i importformatet (pupils.csv, schools.csv, school_index.csv, decisions.csv, rsu_groups.csv, baseline.csv)"))
    return named


def _read(named: dict[str, Upload], outcome: ImportOutcome) -> dict[str, pl.DataFrame]:
    """Every table read and checked together (pupils against the school list given, else the
    register of schools; decisions against the pupils given)."""
    known = None if "schools" in named else school_frame()
    try:
        inputs = read_files(
            pupils=named.get("pupils"),
            schools=named.get("schools"),
            index=named.get("school_index"),
            decisions=named.get("decisions"),
            rsu_groups=named.get("rsu_groups"),
            baseline=named.get("baseline"),
            known_schools=known,
            notices=outcome.notices,
        )
    except InputError as exc:
        outcome.problems.extend(exc.problems)
        return {}
    tables = {"schools": inputs.schools, "pupils": inputs.pupils, "school_index": inputs.index, "decisions": inputs.decisions, "rsu_groups": inputs.rsu_groups, "baseline": inputs.baseline}
    return {stem: tables[stem] for stem in named}


def _private(tables: dict[str, pl.DataFrame], named: dict[str, Upload], outcome: ImportOutcome) -> dict[str, pl.DataFrame]:
    """Pupil ids pseudonymised; a personal identity number in any other column is a problem."""
    out = {}
    for stem, frame in tables.items():
        ids = ("pupil_id",) if stem in ("pupils", "decisions") else ()
        out[stem] = protect(frame, Path(named[stem].name).name, outcome.problems, id_columns=ids)
    return out


def _scan_raw(named: dict[str, Upload], outcome: ImportOutcome) -> None:
    """Personal identity numbers in files that failed other checks, reported with the rest."""
    for stem, upload in named.items():
        table = read_table(upload, [])
        if table is not None:
            scan(table.frame, Path(upload.name).name, outcome.problems, id_columns=("pupil_id",) if stem in ("pupils", "decisions") else ())
    outcome.problems.sort(key=lambda p: (p.file, p.row or 0, p.column or ""))


def _years(frame: pl.DataFrame, fallback: int | None) -> list[int]:
    if "year" in frame.columns:
        return sorted(int(y) for y in frame["year"].unique().to_list())
    return [fallback] if fallback is not None else []


def _store_table(kind: str, frame: pl.DataFrame, years: list[int], source: ImportedFile, summary: dict[str, Any]) -> None:
    """One snapshot per year; an unchanged year keeps its snapshot, a changed one replaces it."""
    done = []
    for year in years:
        part = frame.filter(pl.col("year") == year) if "year" in frame.columns else frame
        content = Snapshot.encode(part)
        digest = _digest(content)
        old = Snapshot.objects.filter(kind=kind, year=year, replaced_by__isnull=True).defer("content").first()
        if old is not None and old.digest == digest:
            done.append({"year": year, "rows": part.height, "unchanged": True})
            continue
        new = Snapshot.objects.create(kind=kind, year=year, rows=part.height, digest=digest, content=content, source=source)
        if old is not None:
            Snapshot.objects.filter(pk=old.pk).update(replaced_by=new)
        done.append({"year": year, "rows": part.height, "snapshot": new.pk, "replaced": None if old is None else {"snapshot": old.pk, "rows": old.rows}})
    summary[kind] = done


def _current_duplicate(sha: str, kind: str, year: int | None = None) -> ImportedFile | None:
    """An earlier import of the same content whose tables are all still the current ones. For
    a table without years of its own (RSU groups, a baseline), ``year`` is the year it is
    imported for: the same file for another year is a new import, not a duplicate."""
    for earlier in ImportedFile.objects.filter(sha256=sha, kind=kind):
        snaps = list(earlier.snapshots.all().defer("content"))
        if year is not None and not any(s.year == year for s in snaps):
            continue
        if snaps and all(s.replaced_by_id is None for s in snaps):
            return earlier
        if not snaps and kind == "schools":
            return earlier
    return None


def import_kind(actor: Any, kind: str, sources: Iterable[Path | Upload], *, year: int | None = None) -> ImportOutcome:
    """``likvard import KIND PATH…`` and the web's upload: ``data`` (a directory, its files or
    a zip in the import format), ``schools``, ``register``, ``index``, ``decisions``, ``rsu``
    or ``skolverket``."""
    if kind == "skolverket":
        return import_skolverket(actor, sources)
    if kind == "interventions":  # the intervention catalogue (likvard.web.interventions)
        from likvard.web.interventions.actions import import_interventions

        return import_interventions(actor, sources)
    if kind in GOAL_KINDS:  # the goal follow-up's tables (likvard.web.goals)
        from likvard.web.goals.actions import import_goal_file

        return import_goal_file(actor, kind, sources)
    if kind == "data":
        return import_data(actor, sources, year=year)
    if kind not in KIND_TABLES:
        return ImportOutcome(kind, [Problem(kind, None, None, f"okänd importtyp (tillåtna: {', '.join(KINDS)})")])
    return _import_tables(actor, kind, sources, year)


def import_data(actor: Any, sources: Iterable[Path | Upload], *, year: int | None = None) -> ImportOutcome:
    """A whole directory in the import format (docs/formats.md) as one import."""
    return _import_tables(actor, "data", sources, year)


def _import_tables(actor: Any, kind: str, sources: Iterable[Path | Upload], year: int | None) -> ImportOutcome:
    outcome = ImportOutcome(kind)
    uploads = collect(sources, outcome.problems)
    if outcome.problems:
        return outcome
    named = _assign(uploads, kind, outcome)
    if outcome.problems:
        return outcome
    hashes = {stem: _sha256(u) for stem, u in named.items()}
    earlier = [_current_duplicate(sha, TABLES[stem], year if stem in ("rsu_groups", "baseline") else None) for stem, sha in hashes.items()]
    if all(earlier):  # every file as it was last imported, and still what runs read
        outcome.duplicate_of = earlier[0]
        return outcome
    tables = _read(named, outcome)
    if outcome.problems:
        _scan_raw(named, outcome)
        return outcome
    try:
        tables = _private(tables, named, outcome)
    except PrivacyError as exc:
        outcome.problems.append(Problem(kind, None, "pupil_id", str(exc)))
    if outcome.problems:
        return outcome
    budget_year = year
    if budget_year is None and "pupils" in tables and tables["pupils"].height:
        budget_year = int(tables["pupils"]["year"].max())  # type: ignore[arg-type]
    for stem, what in (("rsu_groups", "RSU-grupperna"), ("baseline", "basårets pengar per elev")):
        if stem in tables and budget_year is None:
            outcome.problems.append(Problem(Path(named[stem].name).name, None, None, f"ange året {what} gäller (--year)"))
            return outcome

    def store() -> None:
        for stem, frame in tables.items():
            upload = named[stem]
            table = TABLES[stem]
            f = ImportedFile.objects.create(sha256=hashes[stem], kind=table, filename=Path(upload.name).name[:255], rows=frame.height, uploaded_by=actor if getattr(actor, "pk", None) else None)
            summary: dict[str, Any] = {}
            if table == "schools":
                changes = upsert_schools(actor, frame.to_dicts(), Path(upload.name).name)
                summary["schools"] = changes.summary()
                outcome.changed_schools.extend(_changed(changes))
            else:
                _store_table(table, frame, _years(frame, budget_year), f, summary)
            f.summary = summary
            f.save(update_fields=["summary"])
            outcome.files.append(f)
            outcome.summary[table] = summary.get(table, summary.get("schools"))
        record(actor, f"import_{kind}", ", ".join(Path(u.name).name for u in named.values()), before=_replaced(outcome.summary), after=_brought(outcome.summary))

    return guarded(outcome, store)


def _changed(changes: Any) -> list[tuple[str, str, str, Any, Any]]:
    names = dict(School.objects.filter(school_unit_code__in=list(changes.changed)).values_list("school_unit_code", "name"))
    return [(code, names.get(code, ""), key, before, after) for code, diff in sorted(changes.changed.items()) for key, (before, after) in diff.items()]


def _replaced(summary: dict[str, Any]) -> dict[str, Any] | None:
    """For the audit log: which snapshots an import replaced (kind → year → rows before)."""
    out = {k: {str(y["year"]): y["replaced"]["rows"] for y in v if y.get("replaced")} for k, v in summary.items() if isinstance(v, list)}
    out = {k: v for k, v in out.items() if v}
    return out or None


def _brought(summary: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in summary.items():
        if isinstance(v, list):
            out[k] = {str(y["year"]): ("oförändrat" if y.get("unchanged") else y["rows"]) for y in v}
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------------------------
# Skolverket


def import_skolverket(actor: Any, sources: Iterable[Path | Upload]) -> ImportOutcome:
    """Skolverket's published files: Planned Educations v4 responses (school units and their
    statistics) and the national results export, many at once or as a zip.

    Schools: a school-unit response creates or updates its school (before/after in the audit
    log). The national export creates the schools of the municipality (the model's) and updates
    those already registered; its other rows are skipped with a notice, so a municipality does
    not get every school of Sweden. Statistics are kept as published, one figure per school,
    indicator and school year (a later import of the same figure replaces it).
    """
    from likvard.data.skolverket import content_hash, read_skolverket
    from likvard.web.results.actions import store_statistics
    from likvard.workflows import load_model

    outcome = ImportOutcome("skolverket")
    uploads = collect(sources, outcome.problems)
    if outcome.problems:
        return outcome
    hashes = {u.name: content_hash(u.name, u.content) for u in uploads}
    seen = set(ImportedFile.objects.filter(kind="skolverket", sha256__in=list(hashes.values())).values_list("sha256", flat=True))
    fresh = [u for u in uploads if hashes[u.name] not in seen]
    if uploads and not fresh:
        outcome.duplicate_of = ImportedFile.objects.filter(kind="skolverket", sha256__in=list(hashes.values())).first()
        return outcome
    data = read_skolverket([(u.name, u.content) for u in fresh])
    outcome.problems.extend(data.problems)
    if outcome.problems:
        return outcome
    home = load_model(settings.MODEL_DIR).municipality
    known = set(School.objects.values_list("school_unit_code", flat=True))
    rows = []
    skipped = 0
    for row in data.schools.iter_rows(named=True):
        code = row["school_unit_code"]
        row = dict(row)
        if row.get("operator") == "municipal" and row.get("municipality_code") and row["municipality_code"] != home:
            row["operator"] = "other_municipality"
        if code in known or code in data.described or row.get("municipality_code") == home:
            rows.append(row)
        else:
            skipped += 1
    if skipped:
        outcome.notices.append(Problem("skolverket", None, None, f"{skipped} skolenheter utanför kommunen {home} som inte finns i skolregistret hoppades över"))

    def store() -> None:
        # one record per file (its content hash: a later upload of it is recognised), the first
        # also standing for the whole import when there are several
        user = actor if getattr(actor, "pk", None) else None
        rows_of = dict(zip(data.files["name"].to_list(), data.files["rows"].to_list(), strict=True))
        records = [ImportedFile(sha256=hashes[u.name], kind="skolverket", filename=Path(u.name).name[:255], rows=int(rows_of.get(Path(u.name).name) or 0), uploaded_by=user) for u in fresh]
        ImportedFile.objects.bulk_create(records)
        f = records[0]
        if len(records) > 1:
            f = ImportedFile.objects.create(sha256=_digest("".join(sorted(r.sha256 for r in records)).encode()), kind="skolverket_import", filename=f"{len(records)} filer från Skolverket", rows=data.statistics.height, uploaded_by=user)
            ImportedFile.objects.filter(pk__in=[r.pk for r in records]).update(summary={"part_of": f.pk})
        changes = upsert_schools(actor, rows, f.filename)
        outcome.changed_schools.extend(_changed(changes))
        stored = store_statistics(data.statistics, f)
        f.summary = {"schools": changes.summary(), "statistics": stored, "skipped_schools": skipped}
        f.save(update_fields=["summary"])
        outcome.files.append(f)
        outcome.summary = f.summary
        record(actor, "import_skolverket", f.filename, before=None, after={"statistics": stored, **changes.summary()})

    return guarded(outcome, store)
