"""Component kind ``index_pot`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from ..errors import AllocationError
from ..spec import Component
from .base import (
    INDEX_SCALE,
    Context,
    Output,
    PotCheck,
    as_lines,
    count_by_school,
    grouped,
    kr,
    select_cells,
    sorted_apportion,
)


def index_pot(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Socioeconomic compensation (L3739–3766): a base amount per pupil, the rest of the pot by
    index-weighted pupil counts; index = moving average of the last years; schools under the
    minimum pupils or not in the data get their district's average for their operator form;
    independent schools outside the municipality get the average of all of them."""
    counts = count_by_school(ctx, select_cells(c, ctx), "n").join(
        ctx.schools.select("school_unit_code", "operator", "district", "municipality_code"), on="school_unit_code", how="left"
    ).sort("school_unit_code")
    years = list(range(ctx.year - c.moving_average_years + 1, ctx.year + 1))
    idx = ctx.shared(("index", tuple(years), c.min_pupils), lambda: moving_average(ctx.index, years, c.min_pupils))
    counts = counts.join(idx, on="school_unit_code", how="left")
    inside = pl.col("municipality_code") == ctx.model.municipality
    own = inside & (pl.col("n") >= c.min_pupils) & pl.col("index_ma").is_not_null()
    counts = counts.with_columns(own.alias("own_index"))
    ref = counts.filter(pl.col("own_index"))
    by_group = ref.group_by(["district", "operator"]).agg(((pl.col("n") * pl.col("index_ma")).sum() / pl.col("n").sum()).alias("group_index"))
    by_operator = ref.group_by("operator").agg(((pl.col("n") * pl.col("index_ma")).sum() / pl.col("n").sum()).alias("operator_index"))
    outside = counts.filter(~inside & pl.col("index_ma").is_not_null())
    outside_n = float(outside["n"].sum()) if outside.height else 0.0
    outside_index = float((outside["n"] * outside["index_ma"]).sum()) / outside_n if outside_n else None
    counts = (
        counts.join(by_group, on=["district", "operator"], how="left")
        .join(by_operator, on="operator", how="left")
        .with_columns(
            pl.when(pl.col("own_index"))
            .then(pl.col("index_ma"))
            .when(~inside)
            .then(pl.lit(outside_index if outside_index is not None else 100.0))
            .when(pl.col("group_index").is_not_null())
            .then(pl.col("group_index"))
            .otherwise(pl.coalesce("operator_index", pl.lit(100.0)))
            .alias("index_used"),
            pl.when(pl.col("own_index"))
            .then(pl.lit("own"))
            .when(~inside)
            .then(pl.lit("outside_average" if outside_index is not None else "municipal_average"))
            .when(pl.col("group_index").is_not_null())
            .then(pl.lit("district_average"))
            .otherwise(pl.lit("operator_average"))
            .alias("index_basis"),
        )
        .with_columns((pl.col("index_used") * INDEX_SCALE).round(0).cast(pl.Int64).alias("index_e4"))
        .with_columns((pl.col("n").cast(pl.Int64) * pl.col("index_e4")).alias("weight"))
        .sort("school_unit_code")
    )
    pupils = int(counts["n"].sum())
    base_total = pupils * c.base_amount_ore
    rest = c.amount_ore - base_total
    if rest < 0:
        raise AllocationError(
            f"{c.file}, komponent {c.id!r}, nyckel 'base_amount': potten räcker inte — "
            f"{grouped(pupils)} elever × {kr(c.base_amount_ore)} = {kr(base_total)} är mer än potten {kr(c.amount_ore)}"
        )
    if counts.height:
        counts = counts.with_columns(sorted_apportion(rest, counts, "weight").alias("index_ore"))
    else:
        counts = counts.with_columns(pl.lit(0, dtype=pl.Int64).alias("index_ore"))
    total_weight = int(counts["weight"].sum()) if counts.height else 0
    # kronor per index-weighted pupil (index 100 = one pupil), shown on the statement
    rate_per_weighted = round(rest * INDEX_SCALE * 100 / total_weight) if total_weight else 0
    basis_text = {
        "own": "skolans index {idx} (glidande medelvärde)",
        "district_average": "genomsnittligt index {idx} för skolor med samma driftsform i samma " + ctx.model.labels.district.lower() + " (ny skola eller färre än "
        + str(c.min_pupils)
        + " elever)",
        "operator_average": "genomsnittligt index {idx} för skolor med samma driftsform",
        "outside_average": "genomsnittligt index {idx} för fristående skolor utanför kommunen",
        "municipal_average": "kommunens genomsnitt {idx}",
    }
    # each basis text split once around its index (as ``str.format`` fills it) and joined to
    # the school's index as columns: no ``format`` call per school
    around = {b: text.format(idx="\x00").split("\x00") for b, text in basis_text.items()}
    shown = pl.Series([f"{v:.1f}" for v in counts["index_used"].to_list()], dtype=pl.String).str.replace(".", ",", literal=True)
    counts = counts.with_columns(
        pl.concat_str(
            [
                pl.col("index_basis").replace_strict({b: p[0] for b, p in around.items()}, return_dtype=pl.String),
                pl.lit(shown),
                pl.col("index_basis").replace_strict({b: p[1] for b, p in around.items()}, return_dtype=pl.String),
            ]
        ).alias("detail")
    )
    base_lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("base").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        pl.lit(c.base_amount_ore, dtype=pl.Int64).alias("rate_ore"),
        (pl.col("n").cast(pl.Int64) * c.base_amount_ore).alias("amount_ore"),
        pl.lit("{q} elever × {r} basbelopp").alias("template"),
    )
    index_lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("index").alias("line"),
        (pl.col("n") * pl.col("index_e4") / (INDEX_SCALE * 100)).alias("quantity"),
        pl.lit(rate_per_weighted, dtype=pl.Int64).alias("rate_ore"),
        pl.col("index_ore").alias("amount_ore"),
        pl.lit("indexandel: {q} indexviktade elever × {r} ({detail})").alias("template"),
        "detail",
    )
    # one base and one index line per school, the schools in code order: the lines are the two
    # interleaved ("base" before "index"), as a sort on school and line would give them
    both = pl.concat([as_lines(base_lines), as_lines(index_lines)], rechunk=True)
    order = np.arange(2 * counts.height).reshape(2, -1).T.ravel()
    lines = both[pl.Series(order)]
    distributed = int(lines["amount_ore"].sum()) if lines.height else 0
    facts = counts.select(
        "school_unit_code",
        pl.col("index_used").alias(f"{c.id}_index"),
        pl.col("index_basis").alias(f"{c.id}_index_basis"),
        pl.col("n").alias(f"{c.id}_pupils"),
    )
    pot = PotCheck(c.id, c.label, c.amount_ore, distributed, "pot", c.id, f"basbelopp {kr(c.base_amount_ore)}/elev, {grouped(pupils)} elever")
    return Output(lines, (pot,), facts)


def moving_average(index: pl.DataFrame, years: list[int], min_pupils: int) -> pl.DataFrame:
    """Each school's mean index over ``years`` (the years it has, with at least ``min_pupils``
    pupils), its first and last year and how many years. The indices are summed in year
    order: a threaded group-by mean may add a school's values in another order and differ in
    the last bit between processes or row orders, and the rounded index then weighs money."""
    rows = (
        index.filter(pl.col("year").is_in(years) & (pl.col("pupils") >= min_pupils) & pl.col("index").is_not_null())
        .select("school_unit_code", "year", "index")
        .sort("school_unit_code", "year", "index")
    )
    schema: dict[str, Any] = {"school_unit_code": index.schema["school_unit_code"], "index_ma": pl.Float64, "first_year": index.schema["year"], "last_year": index.schema["year"], "index_years": pl.UInt32}
    if rows.height == 0:
        return pl.DataFrame(schema=schema)
    new = rows.select((pl.col("school_unit_code") != pl.col("school_unit_code").shift(1)).fill_null(True)).to_series().to_numpy()
    starts = np.flatnonzero(new)
    n = np.diff(np.r_[starts, rows.height])
    year = rows["year"].to_numpy()
    return pl.DataFrame(
        {
            "school_unit_code": rows["school_unit_code"].gather(pl.Series(starts)),
            "index_ma": np.add.reduceat(rows["index"].to_numpy(), starts) / n,
            "first_year": year[starts],
            "last_year": year[starts + n - 1],
            "index_years": n,
        }
    ).cast(pl.Schema(schema))
