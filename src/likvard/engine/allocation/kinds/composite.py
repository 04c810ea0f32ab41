"""Component kind ``composite`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

import polars as pl

from ..spec import Component
from .base import (
    Context,
    Output,
    as_lines,
    budget_check,
    count_by_school,
    decisions_of,
    empty_lines,
    kr,
    scale_ore_expr,
    schools_meeting_condition,
    select_cells,
)


def composite(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Raised base amount for independent resource schools: 244 000 kr = structural grant
    162 330 + SU supplement 81 670, less up to 80 100 kr for a pupil who also has individual
    support, depending on its level (L3660–3678). Deduction = min(cap, share × amount).

    ``condition`` names a declared school flag: the raised amount (and so its deduction) is
    paid only to schools that meet the plan's conditions — every pupil has an action programme
    with an adapted learning environment, and the office may inspect (L3682–3685). A register
    without the column pays every resource school, as before the condition was recorded."""
    met = schools_meeting_condition(c, ctx)  # the cells are selected by it already; the decisions below
    counts = count_by_school(ctx, select_cells(c, ctx).filter(pl.col("resource_school")), "n")
    frames = []
    for i, part in enumerate(c.parts):
        frames.append(
            counts.select(
                "school_unit_code",
                pl.lit(c.id).alias("component"),
                pl.lit(f"part{i}").alias("line"),
                pl.col("n").cast(pl.Float64).alias("quantity"),
                pl.lit(part.amount_ore, dtype=pl.Int64).alias("rate_ore"),
                (pl.col("n").cast(pl.Int64) * part.amount_ore).alias("amount_ore"),
                pl.lit(f"{{q}} elever × {{r}} {part.label.lower()}").alias("template"),
            )
        )
    if ctx.decisions.height:
        dec = decisions_of(c, ctx).filter(pl.col("resource_school") & pl.col("school_form").is_in(list(c.school_forms)))
        if c.residents_only:
            dec = dec.filter(pl.col("resident"))
        if met is not None:
            dec = dec.join(met, on="school_unit_code", how="semi")
        if dec.height:
            dec = dec.with_columns(
                (-pl.min_horizontal(pl.lit(c.deduction_max_ore), scale_ore_expr(pl.col("amount_ore"), c.deduction_share))).alias("ded")
            )
            per_school = dec.group_by("school_unit_code").agg(pl.col("pupil_id").n_unique().alias("n"), pl.col("ded").sum())
            frames.append(
                per_school.select(
                    "school_unit_code",
                    pl.lit(c.id).alias("component"),
                    pl.lit("deduction").alias("line"),
                    pl.col("n").cast(pl.Float64).alias("quantity"),
                    pl.lit(-c.deduction_max_ore, dtype=pl.Int64).alias("rate_ore"),
                    pl.col("ded").alias("amount_ore"),
                    pl.lit("avräkning för {q} elever som också har tilläggsbelopp (högst " + kr(c.deduction_max_ore) + "/elev)").alias("template"),
                )
            )
    lines = pl.concat([as_lines(f) for f in frames]).sort(["school_unit_code", "line"]) if frames else empty_lines()
    return Output(lines, budget_check(c, lines))

