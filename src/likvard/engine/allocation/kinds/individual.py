"""Component kind ``individual`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

import polars as pl

from likvard.money import format_percent

from ..spec import Component
from .base import (
    Context,
    Output,
    as_lines,
    budget_check,
    decisions_of,
    scale_ore_expr,
)


def individual(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Individually assessed amounts (tilläggsbelopp/verksamhetsstöd) with a surcharge on
    extensive needs (+25 %, L3638–3643)."""
    cond = pl.col("school_form").is_in(list(c.school_forms)) & pl.col("operator").is_in(list(c.operators))
    if c.residents_only:
        cond = cond & pl.col("resident")
    dec = decisions_of(c, ctx).filter(cond)
    dec = dec.with_columns(
        pl.when(pl.col("extensive")).then(scale_ore_expr(pl.col("amount_ore"), c.surcharge)).otherwise(0).alias("surcharge_ore")
    )
    per_school = (
        dec.group_by("school_unit_code")
        .agg(
            pl.len().alias("n"),
            pl.col("amount_ore").sum(),
            pl.col("extensive").sum().alias("n_ext"),
            pl.col("surcharge_ore").sum(),
            pl.col("amount_ore").filter(pl.col("extensive")).sum().alias("ext_ore"),
        )
        .sort("school_unit_code")
    )
    pct = format_percent(c.surcharge)
    granted = per_school.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("granted").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
        "amount_ore",
        pl.lit("{q} individuellt bedömda beslut, sammanlagt {a}").alias("template"),
    )
    extra = per_school.filter(pl.col("n_ext") > 0).select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("surcharge").alias("line"),
        pl.col("n_ext").cast(pl.Float64).alias("quantity"),
        pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
        pl.col("surcharge_ore").alias("amount_ore"),
        pl.lit(f"påslag {pct} på {{q}} beslut om omfattande stöd").alias("template"),
    )
    lines = pl.concat([as_lines(granted), as_lines(extra)]).sort(["school_unit_code", "line"])
    return Output(lines, budget_check(c, lines))
