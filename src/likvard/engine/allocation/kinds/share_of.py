"""Component kind ``share_of`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from likvard.money import format_percent, scale_ore

from ..spec import Component
from .base import (
    Context,
    Output,
    as_lines,
    selected_band_counts,
)


def share_of(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Own schools are paid a share of the standard amount; the rest is kept centrally for
    premises, administration, IT and principals' salaries (at least 71 %, L3423–3425, L3917)."""
    base = ctx.model.component(c.of)
    # the operator is the school's, so counting first and then keeping c's operators is the
    # same as counting c's operators' cells
    counts = selected_band_counts(base, ctx).filter(pl.col("operator").is_in(list(c.operators)))
    kept = Decimal(1) - c.share
    rates = {b.label: -scale_ore(b.amount_ore, kept) for b in base.bands}
    kept_pct = format_percent(kept)
    lines = counts.with_columns(
        pl.col("band_label").replace_strict(rates, return_dtype=pl.Int64).alias("rate_ore")
    ).select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.col("band_label").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        "rate_ore",
        (pl.col("n") * pl.col("rate_ore")).alias("amount_ore"),
        pl.lit(f"{{q}} elever {{line}} × {{r}} ({kept_pct} av schablonen finansierar lokaler, administration m.m. centralt)").alias("template"),
    )
    return Output(as_lines(lines))
