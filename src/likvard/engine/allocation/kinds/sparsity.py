"""Component kind ``sparsity`` (docs/model-format.md); the rule is in the docstring below."""

from __future__ import annotations

import polars as pl

from ..spec import Component
from .base import Context, Output, as_lines, budget_check, half_even_div, school_pupils


def sparsity(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """A sum for small schools far from the next one (the NFF's sparsity factor): a school
    whose distance (a declared school attribute, e.g. km to the next school) is at least
    ``distance`` and whose pupils are fewer than ``max_pupils`` gets ``amount`` tapered by size,
    amount × (max_pupils − pupils) / max_pupils, rounded half-to-even to the öre."""
    column = f"attr_{c.attribute}"
    distance = float(c.distance)
    schools = (
        school_pupils(c, ctx)
        .join(ctx.schools.select("school_unit_code", pl.col(column).alias("distance")), on="school_unit_code", how="left")
        .filter((pl.col("distance") >= distance) & (pl.col("n") < c.max_pupils))
    )
    lines = schools.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("sparsity").alias("line"),
        ((c.max_pupils - pl.col("n")) / c.max_pupils).alias("quantity"),
        pl.lit(c.amount_ore, dtype=pl.Int64).alias("rate_ore"),
        half_even_div(pl.lit(c.amount_ore, dtype=pl.Int64) * (c.max_pupils - pl.col("n").cast(pl.Int64)), c.max_pupils).alias("amount_ore"),
        pl.lit("glesbygdstillägg {q} × {r} ({detail})").alias("template"),
        pl.format("{} elever av högst " + str(c.max_pupils) + ", {} km", pl.col("n"), pl.col("distance").round(1).cast(pl.String).str.replace(".", ",", literal=True)).alias("detail"),
    )
    return Output(as_lines(lines), budget_check(c, lines))
