"""Component kind ``per_pupil`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

import polars as pl

from ..errors import AllocationError
from ..spec import Component
from .base import (
    Context,
    Output,
    as_lines,
    budget_check,
    select_cells,
    selected_band_counts,
)


def per_pupil(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Per-pupil amounts by grade band and school form (schablon, L3414–3416), or by
    programme from a price list (upper secondary, L3427–3434)."""
    cells = select_cells(c, ctx)
    priced = {b.programme for b in c.bands if b.programme}
    if priced:
        forms = [b.school_form for b in c.bands if b.programme]
        missing = cells.filter(pl.col("school_form").is_in(forms) & ~pl.col("programme").is_in(list(priced)))
        if missing.height:
            raise AllocationError(
                f"{c.file}, komponent {c.id!r}, nyckel 'rates': programmet "
                f"{missing['programme'][0]!r} (skola {missing['school_unit_code'][0]}) saknar pris i prislistan"
            )
    counts = selected_band_counts(c, ctx)
    lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.col("band_label").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        "rate_ore",
        (pl.col("n") * pl.col("rate_ore")).alias("amount_ore"),
        pl.lit("{q} elever {line} × {r}").alias("template"),
    )
    return Output(as_lines(lines), budget_check(c, lines))
