"""Component kind ``per_flagged_pupil`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

import polars as pl

from ..spec import Component
from .base import (
    Context,
    Output,
    as_lines,
    budget_check,
    count_by_school,
    flag_column,
    select_cells,
)


def per_flagged_pupil(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """A fixed amount per flagged pupil: mother tongue 11 486 kr (L3611), SU ≥ 75 % 81 670 kr
    (L3690–3692), RSU grant 147 000 kr paid to the home school (L3704–3707), newcomers."""
    cells = select_cells(c, ctx)
    if c.exclude_resource_schools:
        cells = cells.filter(~pl.col("resource_school"))
    counts = count_by_school(ctx, cells, flag_column(c))
    suffix = " (betalas till hemskolan, som för det vidare till RSU-gruppen)" if c.flag == "special_group_rsu" else ""
    lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit(c.flag).alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        pl.lit(c.amount_ore, dtype=pl.Int64).alias("rate_ore"),
        (pl.col("n").cast(pl.Int64) * c.amount_ore).alias("amount_ore"),
        pl.lit("{q} elever × {r}" + suffix).alias("template"),
    )
    return Output(as_lines(lines), budget_check(c, lines))
