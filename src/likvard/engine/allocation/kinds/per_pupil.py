"""Component kind ``per_pupil`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

import dataclasses

import polars as pl

from ..errors import AllocationError
from ..spec import Component
from .base import (
    Context,
    Output,
    Unallocated,
    as_lines,
    attribute_value,
    bands_frame,
    budget_check,
    cell_classes,
    count_by_school,
    schools_meeting_condition,
    schools_of_type,
    select_cells,
    selected_band_counts,
)


def per_pupil(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Per-pupil amounts by grade band and school form (schablon, L3414–3416), or by
    programme from a price list (upper secondary, L3427–3434). ``pupils = {attribute, values}``
    keeps only pupils with a value of a declared pupil attribute (anpassad gymnasieskola's
    individual programmes are paid the council's schablon, the national programmes of
    independent schools a price of their own, L3845–3852)."""
    c = with_missing_flags(c, ctx)
    cells = select_cells(c, ctx)
    priced = {b.programme for b in c.bands if b.programme}
    if priced:
        forms = [b.school_form for b in c.bands if b.programme]
        # tested on the run's classes (a few dozen), then only the cells of an unpriced class
        unpriced = cell_classes(ctx).filter(pl.col("school_form").is_in(forms) & ~pl.col("programme").is_in(list(priced)))["class"]
        missing = cells.filter(pl.col("class").is_in(unpriced.implode())) if unpriced.len() else cells.head(0)
        if missing.height:
            raise AllocationError(
                f"{c.file}, komponent {c.id!r}, nyckel 'rates': programmet "
                f"{missing['programme'][0]!r} (skola {missing['school_unit_code'][0]}) saknar pris i prislistan"
            )
    counts = _attribute_band_counts(c, ctx) if c.pupil_attribute else selected_band_counts(c, ctx)
    lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.col("band_label").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        "rate_ore",
        (pl.col("n") * pl.col("rate_ore")).alias("amount_ore"),
        pl.lit("{q} elever {line} × {r}").alias("template"),
    )
    return Output(as_lines(lines), budget_check(c, lines), unallocated=_without_column(c, ctx))


def with_missing_flags(c: Component, ctx: Context) -> Component:
    """A declared flag (``required = false``) the register lacks reads as 0 for every school or
    pupil, as an empty cell of the column does: a ``schools`` or ``pupils`` filter that keeps
    the value 0 then keeps everyone (the filter is dropped), one that keeps only 1 keeps no one.
    So a register without attr_individual_programme pays every pupil as on a national
    programme, and one without attr_outside_storsthlm every other municipality's school by the
    county's price list."""
    changes: dict[str, object] = {}
    for attribute, values, keys in ((c.school_attribute, c.school_values, ("school_attribute", "school_values")), (c.pupil_attribute, c.pupil_values, ("pupil_attribute", "pupil_values"))):
        if attribute and attribute in ctx.missing_attributes and ctx.model.attribute(attribute).type == "flag" and "0" in values:
            changes.update({keys[0]: "", keys[1]: ()})
    return dataclasses.replace(c, **changes) if changes else c  # type: ignore[arg-type]


def _attribute_pupils(c: Component, ctx: Context) -> pl.DataFrame:
    """The component's pupils whose attribute has one of ``c.pupil_values`` (the cells hold no
    attributes, so these few pupils are read from the pupil table)."""
    column = f"attr_{c.pupil_attribute}"
    first = pl.any_horizontal([pl.col("school_form") == form for form in c.school_forms]) if c.school_forms else pl.lit(False)
    if c.pupil_attribute in ctx.missing_attributes:
        # no pupil has a value the filter keeps (a missing flag reads 0, and a filter keeping
        # 0 was dropped by with_missing_flags; a missing band has no values): no pass over
        # the register (measured 20–60 ms of a national run for two such components)
        first = pl.lit(False)
    if c.residents_only:
        first = first & pl.col("resident")
    pupils = (
        ctx.pupils.filter(first)
        .select("school_unit_code", "school_form", "grade", "leisure", "programme", column)
        .join(ctx.school_cols.select("school_unit_code", "operator"), on="school_unit_code", how="left")
        .filter(pl.col("operator").is_in(list(c.operators)))
    )
    for schools in (schools_of_type(c, ctx), schools_meeting_condition(c, ctx)):
        if schools is not None:
            pupils = pupils.join(schools, on="school_unit_code", how="semi")
    return pupils.filter(attribute_value(pupils, c.pupil_attribute).is_in(list(c.pupil_values)))


def _attribute_band_counts(c: Component, ctx: Context) -> pl.DataFrame:
    """Pupils per school and band among ``_attribute_pupils`` (leisure bands count only pupils
    in that leisure form, programme bands only pupils on that programme): school_unit_code,
    band, n, rate_ore, band_label, sorted by school and band."""
    bands = bands_frame(c.bands)
    return (
        _attribute_pupils(c, ctx).group_by("school_unit_code", "school_form", "grade", "leisure", "programme")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .join(bands, on=["school_form", "grade"], how="inner")
        .filter(
            (pl.col("band_programme").is_null() | (pl.col("band_programme") == pl.col("programme")))
            & (pl.col("band_leisure").is_null() | (pl.col("band_leisure") == pl.col("leisure")))
        )
        .group_by("school_unit_code", "band")
        .agg(pl.col("n").sum(), pl.col("rate_ore").first(), pl.col("band_label").first())
        .sort("school_unit_code", "band")
    )


def _without_column(c: Component, ctx: Context) -> tuple[Unallocated, ...]:
    """The pupils the component would have paid by an attribute the register lacks (declared
    ``required = false``): a school type (``schools``) or a pupil value (``pupils``). Without
    the column no school is of the type and no pupil has the value, so the money is not paid;
    the run says so, school by school, instead of leaving them out in silence."""
    # a missing flag reads as 0 (``with_missing_flags``): only a missing band leaves pupils unpaid
    lacking = [a for a in (c.school_attribute, c.pupil_attribute) if a and a in ctx.missing_attributes and ctx.model.attribute(a).type == "band"]
    if not lacking:
        return ()
    a = ctx.model.attribute(lacking[0])
    table, table_en = ("skolregistret", "school register") if a.of == "school" else ("elevregistret", "pupil register")
    # the pupils of the component's selection, with the filter by the missing column left out
    every = dataclasses.replace(c, school_attribute="", school_values=()) if c.school_attribute in ctx.missing_attributes else c
    if every.pupil_attribute and every.pupil_attribute not in ctx.missing_attributes:
        counts = _attribute_pupils(every, ctx).group_by("school_unit_code").agg(pl.len().alias("n")).sort("school_unit_code")
    else:
        counts = count_by_school(ctx, select_cells(every, ctx), "n")
    return tuple(
        Unallocated(
            "pupils", ", ".join(c.school_forms), code, int(n), f"{table} saknar kolumnen {a.column} ({a.label}): {c.label.lower()} betalas inte", c.id,
            f"the {table_en} lacks the column {a.column} ({a.label}): {c.label.lower()} is not paid",
        )
        for code, n in counts.iter_rows()
    )
