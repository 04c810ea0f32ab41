"""The stored data as the engine's inputs: schools from the register of schools, the current
register snapshots of a year (or the ones a run names)."""

from __future__ import annotations

import io
from collections.abc import Iterable

import polars as pl

from likvard.engine.allocation import (
    BASELINE_SCHEMA,
    DECISION_SCHEMA,
    INDEX_SCHEMA,
    PUPIL_SCHEMA,
    RSU_GROUP_SCHEMA,
    SCHOOL_SCHEMA,
    AllocationInput,
    conform,
    empty,
)
from likvard.web.schools.models import School

from .models import Snapshot

SCHEMAS = {"pupils": PUPIL_SCHEMA, "index": INDEX_SCHEMA, "decisions": DECISION_SCHEMA, "rsu_groups": RSU_GROUP_SCHEMA, "baseline": BASELINE_SCHEMA}
#: Register years before the budget year that a run reads: the index's reference cohorts and
#: its moving average need the years before (rules-2024.md §5).
YEARS_BACK = 4


def current(kind: str, years: Iterable[int] | None = None) -> list[Snapshot]:
    """The current snapshots of a kind (one per year), oldest year first."""
    rows = Snapshot.objects.filter(kind=kind, replaced_by__isnull=True).defer("content")
    if years is not None:
        rows = rows.filter(year__in=list(years))
    return sorted(rows, key=lambda s: s.year)


def columns_of(snapshot: Snapshot, columns: list[str]) -> pl.DataFrame:
    """Only these columns of one snapshot (Parquet reads them alone): who is in a register,
    without decoding all of it."""
    content = Snapshot.objects.values_list("content", flat=True).get(pk=snapshot.pk)
    return pl.read_parquet(io.BytesIO(bytes(content)), columns=columns)


def school_frame() -> pl.DataFrame:
    """The register of schools as the engine's school table."""
    fields = [c for c in SCHOOL_SCHEMA if c != "school_unit_code"]
    rows = list(School.objects.order_by("school_unit_code").values_list("school_unit_code", *fields))
    frame = pl.DataFrame(rows, schema=["school_unit_code", *fields], orient="row", infer_schema_length=None) if rows else empty(SCHOOL_SCHEMA)
    text = [c for c in ("organiser", "district", "area", "school_forms") if c in frame.columns]
    frame = frame.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in text)
    # the attribute columns a school list brought (attr_…), one column each, null where a school has none
    attributes = dict(School.objects.exclude(attributes={}).values_list("school_unit_code", "attributes"))
    names = sorted({k for a in attributes.values() for k in a})
    if names and frame.height:
        codes = frame["school_unit_code"].to_list()
        frame = frame.with_columns(pl.Series(n, [attributes.get(c, {}).get(n) for c in codes], dtype=pl.String) for n in names)
    return conform(frame, SCHOOL_SCHEMA)


def load(snapshots: Iterable[Snapshot]) -> dict[str, pl.DataFrame]:
    """The snapshots' tables by kind, each the concatenation of its years."""
    by_kind: dict[str, list[pl.DataFrame]] = {}
    chosen = list(snapshots)
    contents = dict(Snapshot.objects.filter(pk__in=[s.pk for s in chosen]).values_list("pk", "content"))
    for s in chosen:
        by_kind.setdefault(s.kind, []).append(conform(Snapshot.decode(contents[s.pk]), SCHEMAS[s.kind]))
    # years may differ in the attr_ columns a model can declare: missing ones become null
    return {kind: pl.concat(frames, how="diagonal_relaxed") for kind, frames in by_kind.items()}


def for_year(year: int) -> list[Snapshot]:
    """What a run for ``year`` reads: the register of the year and the years before it that
    the index needs, the index of the moving-average years, the year's decisions and groups."""
    window = range(year - YEARS_BACK, year + 1)
    return [
        *current("pupils", window),
        *current("index", range(year - 2, year + 1)),
        *current("decisions", [year]),
        *current("rsu_groups", [year]),
        *current("baseline", [year]),
    ]


def inputs(snapshots: list[Snapshot], source: str) -> AllocationInput:
    """The engine's inputs from the given snapshots and today's register of schools."""
    tables = load(snapshots)
    return AllocationInput(
        pupils=tables.get("pupils", empty(PUPIL_SCHEMA)),
        schools=school_frame(),
        index=tables.get("index", empty(INDEX_SCHEMA)),
        decisions=tables.get("decisions", empty(DECISION_SCHEMA)),
        rsu_groups=tables.get("rsu_groups", empty(RSU_GROUP_SCHEMA)),
        source=source,
        baseline=tables.get("baseline", empty(BASELINE_SCHEMA)),
    )


def describe(snapshots: list[Snapshot]) -> str:
    """One Swedish line naming what the data are ("elevregister 2021–2024 (import 3) …")."""
    parts = []
    for kind, label in (("pupils", "elevregister"), ("index", "index"), ("decisions", "beslut"), ("rsu_groups", "RSU-grupper"), ("baseline", "basår per elev")):
        chosen = [s for s in snapshots if s.kind == kind]
        if chosen:
            years = sorted({s.year for s in chosen})
            span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
            parts.append(f"{label} {span} ({sum(s.rows for s in chosen)} rader)")
    return "lagrade data: " + "; ".join(parts) if parts else "inga lagrade data"
