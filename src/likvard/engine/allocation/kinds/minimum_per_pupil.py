"""Component kind ``minimum_per_pupil`` (docs/model-format.md); the rule is in the docstring below."""

from __future__ import annotations

import polars as pl

from likvard.money import format_ore

from ..spec import Component
from .base import Context, Output, as_lines, band_counts, counted_amounts, select_cells


def minimum_per_pupil(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Minimum per-pupil funding (the NFF's minimum per pupil levels): a school's guaranteed
    total is its pupils in each level's grades × the level; where the counted components (``of``;
    by default all before this one) paid less, the difference is topped up. Exact: integers."""
    levels = band_counts(ctx, select_cells(c, ctx), c.bands).with_columns((pl.col("n") * pl.col("rate_ore")).alias("level_ore"))
    minimum = levels.group_by("school_unit_code").agg(pl.col("n").sum().alias("n"), pl.col("level_ore").sum().alias("minimum_ore"))
    schools = minimum.join(counted_amounts(c, ctx, done), on="school_unit_code", how="left").with_columns(pl.col("counted_ore").fill_null(0))
    schools = schools.with_columns((pl.col("minimum_ore") - pl.col("counted_ore")).clip(lower_bound=0).alias("top_up")).filter(pl.col("top_up") > 0).sort("school_unit_code")
    text = pl.struct("minimum_ore", "counted_ore").map_elements(lambda r: f"miniminivå {format_ore(r['minimum_ore'])}, övriga komponenter {format_ore(r['counted_ore'])}", return_dtype=pl.String)
    lines = schools.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("top_up").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
        pl.col("top_up").cast(pl.Int64).alias("amount_ore"),
        pl.lit("påfyllnad till miniminivån för {q} elever ({detail})").alias("template"),
        text.alias("detail"),
    )
    return Output(as_lines(lines))
