"""Component kind ``funding_floor`` (docs/model-format.md); the rule is in the docstring below."""

from __future__ import annotations

import polars as pl

from likvard.money import format_ore, format_percent

from ..spec import Component
from .base import Context, Output, as_lines, counted_amounts, scale_ore_expr, school_pupils


def funding_floor(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """A year-on-year floor and gains cap per pupil against a baseline (the NFF's minimum
    funding guarantee; a Swedish municipality's dämpning when its model changes). A school's
    per-pupil level this year is what the counted components (``of``; by default all before
    this one) paid it over its pupils. Against its baseline per pupil b:
    - below b × (1 + floor) per pupil, it is topped up to that level × pupils;
    - above b × (1 + cap) per pupil (when ``cap`` is set), the excess is taken back.
    The levels are rounded half-to-even to the öre per pupil and then multiplied by the
    pupils, so every school's result is an integer and each bound holds exactly. A school
    without a baseline (new) is neither floored nor capped."""
    counted = counted_amounts(c, ctx, done)
    schools = (
        school_pupils(c, ctx)
        .join(counted, on="school_unit_code", how="left")
        .join(ctx.baseline.select("school_unit_code", "per_pupil_ore"), on="school_unit_code", how="inner")
        .with_columns(pl.col("counted_ore").fill_null(0))
        .sort("school_unit_code")
    )
    frames = []
    bounds = [("floor", c.floor)] + ([("cap", c.cap)] if c.cap is not None else [])
    for line, share in bounds:
        level = scale_ore_expr(pl.col("per_pupil_ore"), 1 + share)
        total = level * pl.col("n")
        change = (total - pl.col("counted_ore")).clip(lower_bound=0) if line == "floor" else (total - pl.col("counted_ore")).clip(upper_bound=0)
        part = schools.with_columns(level.alias("level"), change.alias("change")).filter(pl.col("change") != 0)
        word = "golv" if line == "floor" else "tak"
        frames.append(
            part.select(
                "school_unit_code",
                pl.lit(c.id).alias("component"),
                pl.lit(line).alias("line"),
                pl.col("n").cast(pl.Float64).alias("quantity"),
                pl.col("level").alias("rate_ore"),
                pl.col("change").cast(pl.Int64).alias("amount_ore"),
                pl.lit(f"{word} {format_percent(share)} mot basåret: {{q}} elever × {{r}} ({{detail}})").alias("template"),
                pl.struct("per_pupil_ore", "counted_ore").map_elements(lambda r: f"basår {format_ore(r['per_pupil_ore'])}/elev, i år {format_ore(r['counted_ore'])}", return_dtype=pl.String).alias("detail"),
            )
        )
    lines = pl.concat([as_lines(f) for f in frames]).sort("school_unit_code", "line")
    return Output(lines)
