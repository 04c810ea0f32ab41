"""Component kind ``charge`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

import polars as pl

from ..spec import Component
from .base import (
    Context,
    Output,
    as_lines,
    budget_check,
    count_by_school,
    empty_lines,
    school_has_cells,
    select_cells,
)


def charge(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Charges to own schools: IT cost per pupil and per employee (L4095–4115), psychologists
    per pupil in upper secondary (L4347–4357)."""
    def charged(table: pl.DataFrame, quantity: str, line: str, rate_ore: int, template: str) -> pl.DataFrame:
        return table.select(
            "school_unit_code",
            pl.lit(c.id).alias("component"),
            pl.lit(line).alias("line"),
            pl.col(quantity).cast(pl.Float64).alias("quantity"),
            pl.lit(-rate_ore, dtype=pl.Int64).alias("rate_ore"),
            (-pl.col(quantity).cast(pl.Int64) * rate_ore).alias("amount_ore"),
            pl.lit(template).alias("template"),
        )

    frames = []
    if c.per_pupil_ore:
        counts = count_by_school(ctx, select_cells(c, ctx), "n")
        frames.append(charged(counts, "n", "per_pupil", c.per_pupil_ore, "avgift {q} elever × {r}"))
    if c.per_employee_ore:
        forms = "|".join(c.school_forms)
        staff = ctx.schools.filter(
            pl.col("operator").is_in(list(c.operators))
            & pl.col("school_forms").str.contains(f"(^|,)({forms})(,|$)")
            & pl.col("employees").is_not_null()
            & (pl.col("employees") > 0)
            & ctx.shared(("cell schools",), lambda: school_has_cells(ctx))
        ).sort("school_unit_code")
        frames.append(charged(staff, "employees", "per_employee", c.per_employee_ore, "avgift {q} anställda × {r}"))
    lines = pl.concat([as_lines(f) for f in frames]).sort(["school_unit_code", "line"]) if frames else empty_lines()
    return Output(lines, budget_check(c, lines))
