"""Component kind ``merit_pot`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

import numpy as np
import polars as pl

from ..errors import AllocationError
from ..spec import Component
from .base import (
    Context,
    Output,
    PotCheck,
    as_lines,
    school_positions,
    sorted_apportion,
)


def merit_pot(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Upper secondary: a pot shared by pupils weighted by their year-9 merit value, lower
    merit weighing more (socioeconomic money 98.4 mnkr and strukturtillägg 20 mnkr,
    L3855–3870). A pupil without a merit value weighs as the lowest band."""

    def merit_pupils() -> pl.DataFrame:  # shared by the merit pots with the same forms and residence rule
        source = ctx.upper_secondary if set(c.school_forms) <= {"gy", "gyan"} else ctx.pupils
        pupils = source.filter(pl.col("school_form").is_in(list(c.school_forms)))
        if c.residents_only:
            pupils = pupils.filter(pl.col("resident"))
        # the school's position in the register, not its code: the pots are then bincounts in
        # code order, with no join or group-by over the text codes
        school = school_positions(ctx, pupils)
        return pupils.select("programme", "merit_value_year9").with_columns(school, ctx.school_cols["operator"].gather(school).alias("operator")).filter(
            pl.col("school").is_not_null()
        )

    pupils = ctx.shared(("merit", c.school_forms, c.residents_only), merit_pupils).filter(pl.col("operator").is_in(list(c.operators)))
    if c.price_list:
        # Seed 000 L3863–3871: the socioeconomic money goes to own schools and to independent
        # schools on programmes outside the common price list; schools on that list get the
        # strukturtillägg instead. Own schools are never on the common list.
        listed = (pl.col("operator") != "municipal") & pl.col("programme").is_in(list(ctx.model.common_price_list))
        pupils = pupils.filter(~listed if c.price_list == "exclude" else listed)
    weight: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for band in reversed(c.merit_bands):
        weight = pl.when(pl.col("merit_value_year9") < float(band.below)).then(pl.lit(int(band.weight * 1000))).otherwise(weight)
    weight = pl.when(pl.col("merit_value_year9").is_null()).then(pl.lit(int(c.merit_bands[0].weight * 1000))).otherwise(weight)
    codes = ctx.school_cols["school_unit_code"]
    school = pupils["school"].cast(pl.Int64).to_numpy()
    # int64 sums per school: a bincount of the pupils and one of their weights (float sums of
    # integer weights are exact far beyond any register, 2**53)
    w = np.bincount(school, weights=pupils.select(weight.cast(pl.Float64)).to_series().to_numpy(), minlength=codes.len()).astype(np.int64)
    n = np.bincount(school, minlength=codes.len())
    paid = np.flatnonzero(w > 0)
    per_school = pl.DataFrame({"school_unit_code": codes.gather(pl.Series(paid)), "n": n[paid], "w": w[paid]})
    if per_school.height == 0:
        raise AllocationError(f"{c.file}, komponent {c.id!r}: inga elever med vikt att fördela potten på")
    per_school = per_school.with_columns(sorted_apportion(c.amount_ore, per_school, "w").alias("amount_ore"))
    total_w = int(per_school["w"].sum())
    rate = round(c.amount_ore * 1000 / total_w)
    lines = per_school.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("pot").alias("line"),
        (pl.col("w") / 1000).alias("quantity"),
        pl.lit(rate, dtype=pl.Int64).alias("rate_ore"),
        "amount_ore",
        pl.concat_str([pl.col("n").cast(pl.String), pl.lit(" elever, meritvärdesviktade till {q} × {r}")]).alias("template"),
    )
    pot = PotCheck(c.id, c.label, c.amount_ore, int(lines["amount_ore"].sum()), "pot", c.id)
    return Output(as_lines(lines), (pot,))
