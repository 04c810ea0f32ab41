"""Component kind ``share_of`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from likvard.money import format_percent, scale_ore

from ..errors import AllocationError
from ..spec import Component
from .base import (
    Context,
    Output,
    as_lines,
    selected_band_counts,
)
from .per_pupil import with_missing_flags


def share_of(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Own schools are paid a share of the standard amount; the rest is kept centrally for
    premises, administration, IT and principals' salaries (at least 71 %, L3423–3425, L3917).
    A band may have its own share (anpassad grundskola: 86,8–93,8 % by grade and needs group,
    the leisure supplement 92,2 %, L4217–4223); each line is pupils × a whole-öre rate, so the
    lines are exact."""
    base = ctx.model.component(c.of)
    labels = {b.label for b in base.bands}
    unknown = [band for band, _ in c.band_shares if band not in labels]
    if unknown:
        raise AllocationError(f"{c.file}, komponent {c.id!r}, nyckel 'shares': {base.id!r} har inget band {unknown[0]!r} (banden: {', '.join(sorted(labels))})")
    shares = dict(c.band_shares)
    # the operator is the school's, so counting first and then keeping c's operators is the
    # same as counting c's operators' cells
    # the counts of the component as it paid: a flag the register lacks read as 0 (per_pupil)
    counts = selected_band_counts(with_missing_flags(base, ctx), ctx).filter(pl.col("operator").is_in(list(c.operators)))
    kept = {b.label: Decimal(1) - shares.get(b.label, c.share) for b in base.bands}
    rates = {b.label: -scale_ore(b.amount_ore, kept[b.label]) for b in base.bands}
    templates = {
        label: f"{{q}} elever {{line}} × {{r}} ({format_percent(k)} av schablonen finansierar lokaler, administration m.m. centralt)" for label, k in kept.items()
    }
    lines = counts.with_columns(
        pl.col("band_label").replace_strict(rates, return_dtype=pl.Int64).alias("rate_ore"),
        pl.col("band_label").replace_strict(templates, return_dtype=pl.String).alias("template"),
    ).select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.col("band_label").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        "rate_ore",
        (pl.col("n") * pl.col("rate_ore")).alias("amount_ore"),
        "template",
    )
    return Output(as_lines(lines))
