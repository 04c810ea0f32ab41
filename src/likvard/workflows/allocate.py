"""Allocate a year's money and compare scenarios: the one place this is orchestrated.

Why one place: the command line, the web and the benchmarks all run "model + register snapshot
+ index → allocation"; written once here, they cannot drift apart (issue 7: the web used to
compute on the demo whatever had been imported). Nothing here knows where the tables came
from — files, the database or the demo generator — nor where the result goes.

The index step (rules-2024.md §5, L3739–3766): the socioeconomic pot needs an index per school
for the moving-average years. It is either *imported* (the municipality's own index file) or
*estimated* from the register with a logistic model fitted on the reference cohorts — or, when
a fitted model is given, that stored model is re-applied unchanged (architecture §4). A
socioeconomic pot without usable index data is an error naming the file and column; it never
silently becomes a flat per-pupil pot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import polars as pl

from likvard.engine.allocation import (
    INDEX_SCHEMA,
    AllocationInput,
    AllocationResult,
    Comparison,
    Component,
    Model,
    Sweep,
    Vary,
    compare,
    run,
    sweep,
)
from likvard.engine.stats import IndexModel, StatsInputError, fit_index_model, school_index

from .errors import WorkflowError

__all__ = ["Allocation", "IndexMode", "IndexUsed", "allocate", "compare_models", "index_components", "prepare_index"]

IndexMode = Literal["auto", "imported", "estimated"]
#: Where a register's index table comes from when none is named (the import format's file).
INDEX_FILE = "school_index.csv"
REGISTER_FILE = "pupils.csv"


@dataclass(frozen=True)
class IndexUsed:
    """Which index a run used: imported, estimated (with the fitted model), or none needed."""

    source: Literal["imported", "estimated", "none"]
    years: tuple[int, ...] = ()
    model: IndexModel | None = None
    #: the estimated model was given (stored earlier) and re-applied, not fitted now
    reapplied: bool = False

    def describe(self) -> str:
        """One Swedish sentence for the statement's data line and the run page."""
        years = ", ".join(str(y) for y in self.years)
        if self.source == "imported":
            return f"socioekonomiskt index importerat ({years})"
        if self.source == "estimated" and self.model is not None:
            ref = ", ".join(str(y) for y in self.model.reference_years)
            how = "sparad modell tillämpad" if self.reapplied else "logistisk modell"
            return f"socioekonomiskt index skattat ({how}, referensårskullar {ref}; år {years})"
        return "inget socioekonomiskt index behövs"


@dataclass(frozen=True)
class Allocation:
    """A finished run and the index it rested on."""

    result: AllocationResult
    index: IndexUsed


def index_components(model: Model) -> tuple[Component, ...]:
    """The model's components that read the socioeconomic index."""
    return tuple(c for c in model.components if c.kind == "index_pot")


def _window(model: Model, year: int) -> tuple[list[int], int]:
    """The years the moving averages need and the smallest pupil count an index must rest on."""
    comps = index_components(model)
    span = max(c.moving_average_years for c in comps)
    return list(range(year - span + 1, year + 1)), min(c.min_pupils for c in comps)


def _usable(index: pl.DataFrame, years: list[int], min_pupils: int) -> pl.DataFrame:
    if index.height == 0:
        return index
    return index.filter(pl.col("year").is_in(years) & pl.col("index").is_not_null() & (pl.col("pupils") >= min_pupils))


def prepare_index(
    model: Model,
    inputs: AllocationInput,
    year: int,
    *,
    index: IndexMode = "auto",
    index_model: IndexModel | None = None,
    index_file: str = INDEX_FILE,
    register_file: str = REGISTER_FILE,
) -> tuple[AllocationInput, IndexUsed]:
    """The inputs with the index the run will use, and which one that is.

    ``auto`` takes the imported index when it covers any of the moving-average years, else
    estimates one. ``estimated`` with ``index_model`` re-applies that stored model.
    """
    if not index_components(model):
        return inputs, IndexUsed("none")
    years, min_pupils = _window(model, year)
    imported = _usable(inputs.index, years, min_pupils)
    if index == "imported" or (index == "auto" and imported.height and index_model is None):
        if imported.height == 0:
            raise WorkflowError(
                f"inget användbart socioekonomiskt index för {years[0]}–{years[-1]} (minst {min_pupils} elever per skola); "
                "den socioekonomiska potten kan inte fördelas — importera ett index eller låt Likvärd skatta det ur elevregistret",
                file=index_file,
                column="index",
            )
        got = sorted(int(y) for y in imported["year"].unique().to_list())
        return inputs, IndexUsed("imported", tuple(got))
    present = set(inputs.pupils.get_column("year").unique().to_list()) if inputs.pupils.height else set()
    wanted = [y for y in years if y in present]
    if not wanted:
        raise WorkflowError(f"elevregistret har inga elever för {years[0]}–{years[-1]}: inget index kan skattas", file=register_file, column="year")
    try:
        fitted = index_model or fit_index_model(inputs.pupils, year, home_municipality=model.municipality)
        table = school_index(fitted, inputs.pupils, wanted)
    except StatsInputError as exc:
        raise WorkflowError(
            f"det socioekonomiska indexet kan inte skattas ur elevregistret ({exc}); importera ett index ({index_file}) i stället",
            file=register_file,
            column="eligible_vocational",
        ) from None
    estimated = table.select([pl.col(c).cast(t) for c, t in INDEX_SCHEMA.items()])
    if _usable(estimated, years, min_pupils).height == 0:
        raise WorkflowError(
            f"det skattade indexet har ingen skola med minst {min_pupils} elever folkbokförda i {model.municipality}",
            file=register_file,
            column="home_municipality",
        )
    used = IndexUsed("estimated", tuple(wanted), fitted, reapplied=index_model is not None)
    source = f"{inputs.source}; {used.describe()}" if inputs.source else used.describe()
    return replace(inputs, index=estimated, source=source), used


def allocate(
    model: Model,
    inputs: AllocationInput,
    year: int | None = None,
    *,
    index: IndexMode = "auto",
    index_model: IndexModel | None = None,
    index_file: str = INDEX_FILE,
    register_file: str = REGISTER_FILE,
) -> Allocation:
    """Run ``model`` on the register snapshot of ``year`` (default: the model's year)."""
    year = model.year if year is None else year
    prepared, used = prepare_index(model, inputs, year, index=index, index_model=index_model, index_file=index_file, register_file=register_file)
    return Allocation(run(model, prepared, year), used)


def compare_models(
    before: Model,
    after: Model,
    inputs: AllocationInput,
    year: int | None = None,
    *,
    index: IndexMode = "auto",
    index_model: IndexModel | None = None,
    index_file: str = INDEX_FILE,
    register_file: str = REGISTER_FILE,
) -> tuple[Comparison, IndexUsed]:
    """Both models on the same inputs and the same index (prepared once, for ``after``)."""
    year = after.year if year is None else year
    prepared, used = prepare_index(after, inputs, year, index=index, index_model=index_model, index_file=index_file, register_file=register_file)
    if used.source == "none":
        prepared, used = prepare_index(before, inputs, year, index=index, index_model=index_model, index_file=index_file, register_file=register_file)
    return compare(run(before, prepared, year), run(after, prepared, year)), used


def sweep_model(
    model: Model,
    inputs: AllocationInput,
    varied: list[Vary],
    year: int | None = None,
    *,
    index: IndexMode = "auto",
    index_model: IndexModel | None = None,
    index_file: str = INDEX_FILE,
    register_file: str = REGISTER_FILE,
) -> Sweep:
    """Every combination of the varied values on one prepared index (issue 9, item 5)."""
    year = model.year if year is None else year
    prepared, _ = prepare_index(model, inputs, year, index=index, index_model=index_model, index_file=index_file, register_file=register_file)
    return sweep(model, prepared, varied, year)
