"""Component kind ``area_cost`` (docs/model-format.md); the rule is in the docstring below."""

from __future__ import annotations

import polars as pl

from likvard.money import format_ore

from ..spec import Component
from .base import Context, Output, as_lines, counted_amounts, scale_ore_expr


def area_cost(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """An area-cost multiplier (the NFF's area cost adjustment): a school in an area with
    factor f gets (f − 1) × what the counted components (``of``; by default all before this one)
    paid it, rounded half-to-even to the öre per school. The area is a declared school attribute."""
    column = f"attr_{c.attribute}"
    factors = {v.value: v.factor for v in c.values}
    counted = counted_amounts(c, ctx, done).join(ctx.schools.select("school_unit_code", pl.col(column).cast(pl.String).alias("area")), on="school_unit_code", how="left")
    frames = []
    for area, factor in factors.items():
        if factor == 1:
            continue
        part = counted.filter(pl.col("area") == area)
        frames.append(
            part.select(
                "school_unit_code",
                pl.lit(c.id).alias("component"),
                pl.lit("area_cost").alias("line"),
                pl.lit(float(factor - 1)).alias("quantity"),
                pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
                scale_ore_expr(pl.col("counted_ore"), factor - 1).alias("amount_ore"),
                pl.lit("områdeskostnad: {detail}").alias("template"),
                pl.concat_str([pl.lit(f"faktor {str(factor).replace('.', ',')} för {area}, på "), pl.col("counted_ore").map_elements(format_ore, return_dtype=pl.String)]).alias("detail"),
            )
        )
    lines = pl.concat([as_lines(f) for f in frames]).sort("school_unit_code") if frames else as_lines(counted.head(0).select("school_unit_code"))
    return Output(lines)
