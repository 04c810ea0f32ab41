"""Component kind ``per_attribute`` (docs/model-format.md); the rule is in the docstring below."""

from __future__ import annotations

import polars as pl

from ..spec import Component
from .base import Context, Output, as_lines, attribute_value, budget_check, schools_of_type


def per_attribute(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """An amount per pupil by the value of a pupil attribute the model declares: a flag
    (free school meals: value 1) or a band (IDACI A–F, a deprivation decile), each row for a
    school form and grades (primary and secondary rates of one factor). Any funder's needs
    factors are written this way (the NFF's FSM, FSM6, IDACI, EAL, mobility, low prior
    attainment). Exact: pupils × rate, per school and row."""
    column = f"attr_{c.attribute}"
    # the component's own pupils first (a few thousand of a million), then their organiser
    # comparisons, not is_in: less work over 1.1 M pupils' text (measured 2.8 → 2.1 ms CPU)
    first = pl.any_horizontal([pl.col("school_form") == form for form in c.school_forms]) if c.school_forms else pl.lit(False)
    if c.residents_only:
        first = first & pl.col("resident")
    pupils = (
        ctx.pupils.filter(first)
        .select("school_unit_code", "school_form", "grade", column)
        .join(ctx.school_cols.select("school_unit_code", "operator"), on="school_unit_code", how="left")
        .filter(pl.col("operator").is_in(list(c.operators)))
    )
    kind = schools_of_type(c, ctx)
    if kind is not None:
        pupils = pupils.join(kind, on="school_unit_code", how="semi")
    value = attribute_value(pupils, c.attribute)
    rates = pl.DataFrame(
        [
            {"value": v.value, "school_form": v.school_form, "grade": g, "rate_ore": v.amount_ore, "label": v.label, "order": i}
            for i, v in enumerate(c.values)
            for g in v.grades
        ],
        schema={"value": pl.String, "school_form": pl.String, "grade": pl.String, "rate_ore": pl.Int64, "label": pl.String, "order": pl.Int64},
    )
    counts = (
        pupils.group_by("school_unit_code", "school_form", "grade", value.alias("value"))
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .join(rates, on=["value", "school_form", "grade"], how="inner")
        .group_by("school_unit_code", "order")
        .agg(pl.col("n").sum(), pl.col("rate_ore").first(), pl.col("label").first())
        .sort("school_unit_code", "order")
    )
    lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.col("label").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        "rate_ore",
        (pl.col("n") * pl.col("rate_ore")).alias("amount_ore"),
        pl.lit("{q} elever {line} × {r}").alias("template"),
    )
    return Output(as_lines(lines), budget_check(c, lines))
