"""Component kind ``pupil_pot`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

import polars as pl

from ..errors import AllocationError
from ..spec import Component
from .base import (
    Context,
    Output,
    PotCheck,
    as_lines,
    count_by_school,
    flag_column,
    grouped,
    kr,
    select_cells,
    sorted_apportion,
)


def pupil_pot(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """A pot shared per pupil in a grade range (e.g. Kunskapsbidraget F-3, 72 mnkr, L4278–4280)
    or per flagged pupil (CSU, L3699–3702)."""
    counts = count_by_school(ctx, select_cells(c, ctx).filter(pl.col("grade").is_in(list(c.grades))), flag_column(c))
    if counts.height == 0:
        raise AllocationError(f"{c.file}, komponent {c.id!r}: inga elever att fördela potten {kr(c.amount_ore)} på")
    counts = counts.with_columns(sorted_apportion(c.amount_ore, counts, "n").alias("amount_ore"))
    pupils = int(counts["n"].sum())
    rate = round(c.amount_ore / pupils)
    lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("pot").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        pl.lit(rate, dtype=pl.Int64).alias("rate_ore"),
        "amount_ore",
        pl.lit(f"{{q}} elever: andel av {kr(c.amount_ore)} fördelat på {grouped(pupils)} elever (≈ {{r}}/elev)").alias("template"),
    )
    pot = PotCheck(c.id, c.label, c.amount_ore, int(lines["amount_ore"].sum()), "pot", c.id)
    return Output(as_lines(lines), (pot,))
