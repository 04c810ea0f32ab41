"""Component kind ``lump_sum`` (docs/model-format.md); the rule is in the docstring below."""

from __future__ import annotations

import polars as pl

from ..spec import Component
from .base import Context, Output, as_lines, budget_check, school_pupils


def lump_sum(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """The same amount to every school of a type, form or size class: the NFF's lump sum per
    school, or a municipality's fixed sum per school unit. A school counts when it has at least
    ``min_pupils`` (and at most ``max_pupils``, when set) pupils in the selection, which holds
    only the schools of its type when it names one (``attribute`` and ``values``, or
    ``schools``). Exact: one amount per school."""
    schools = school_pupils(c, ctx).filter(pl.col("n") >= c.min_pupils)
    if c.max_pupils:
        schools = schools.filter(pl.col("n") <= c.max_pupils)
    lines = schools.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("lump_sum").alias("line"),
        pl.lit(1.0).alias("quantity"),
        pl.lit(c.amount_ore, dtype=pl.Int64).alias("rate_ore"),
        pl.lit(c.amount_ore, dtype=pl.Int64).alias("amount_ore"),
        pl.lit("klumpsumma per skola {r} ({detail})").alias("template"),
        pl.concat_str([pl.col("n").cast(pl.String), pl.lit(" elever")]).alias("detail"),
    )
    return Output(as_lines(lines), budget_check(c, lines))
