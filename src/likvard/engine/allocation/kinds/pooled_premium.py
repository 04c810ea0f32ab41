"""Component kind ``pooled_premium`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl

from likvard.money import apportion, scale_ore

from ..errors import AllocationError
from ..spec import Component
from .base import (
    Context,
    Output,
    PotCheck,
    as_lines,
    band_counts,
    bands_frame,
    kr,
    school_positions,
    select_cells,
)


def pupil_money(ctx: Context, refs: tuple[str, ...], pupils: pl.DataFrame) -> pl.DataFrame:
    """Each given pupil's money under the referenced per-pupil and share components."""
    total = pupils.with_columns(pl.lit(0, dtype=pl.Int64).alias("money_ore"))
    for ref in refs:
        comp = ctx.model.component(ref)
        base = ctx.model.component(comp.of) if comp.kind == "share_of" else comp
        # the school band for every pupil, and the fritidshem or fritidsklubb band for a pupil
        # enrolled there: the home school passes on "skolpeng och i förekommande fall
        # fritidshemspeng" (L4198–4199)
        frame = bands_frame(base.bands).select("school_form", "grade", "band_leisure", "rate_ore")
        if comp.kind == "share_of":
            kept = Decimal(1) - comp.share
            reduced = [-scale_ore(r, kept) for r in frame["rate_ore"].to_list()]
            frame = frame.with_columns(pl.Series("rate_ore", reduced, dtype=pl.Int64))
        school = frame.filter(pl.col("band_leisure").is_null()).drop("band_leisure")
        leisure = frame.filter(pl.col("band_leisure").is_not_null()).rename({"band_leisure": "leisure", "rate_ore": "leisure_ore"})
        total = (
            total.join(school, on=["school_form", "grade"], how="left")
            .join(leisure, on=["school_form", "grade", "leisure"], how="left")
            .with_columns((pl.col("money_ore") + pl.col("rate_ore").fill_null(0) + pl.col("leisure_ore").fill_null(0)).alias("money_ore"))
            .drop("rate_ore", "leisure_ore")
        )
    return total


def pooled_premium(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """RSU pool (L4179–4213): every own school pays a premium per pupil by grade band into its
    area's pot; the pot is shared equally per place among the area's RSU groups; the home school
    passes on the placed pupil's pupil money and RSU grant, and pays an equal fee per placed
    pupil that covers the gap between the group's budgeted cost and its income."""
    counts = band_counts(ctx, select_cells(c, ctx), c.bands).join(ctx.schools.select("school_unit_code", "area"), on="school_unit_code", how="left")
    no_area = counts.filter(pl.col("area").is_null())
    if no_area.height:
        raise AllocationError(f"{c.file}, komponent {c.id!r}: skolan {no_area['school_unit_code'][0]} saknar skolområde (area) för RSU-premien")
    premium = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.concat_str([pl.lit("premium "), pl.col("band_label")]).alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        (-pl.col("rate_ore")).alias("rate_ore"),
        (-pl.col("n") * pl.col("rate_ore")).alias("amount_ore"),
        pl.concat_str([pl.lit("RSU-premie till områdets pott: {q} elever "), pl.col("band_label"), pl.lit(" × {r}")]).alias("template"),
        "area",
    )
    area_pots = premium.group_by("area").agg((-pl.col("amount_ore")).sum().alias("pot")).sort("area")
    groups = ctx.rsu_groups.sort("group_id")
    frames = [premium.drop("area")]
    pots: list[PotCheck] = []
    # each area's pot shared per place among its groups, in group-id order: one pass over lists
    places_by_area: dict[str, list[tuple[str, str, int]]] = {}
    for group_id, area, host, places in groups.select("group_id", "area", "host_school_unit_code", "places").iter_rows():
        places_by_area.setdefault(area, []).append((group_id, host, int(places)))
    share_rows: list[tuple[str, str, int, int]] = []
    for area, pot in zip(area_pots["area"].to_list(), area_pots["pot"].to_list(), strict=True):
        members = places_by_area.get(area, [])
        if not members or sum(p for _, _, p in members) == 0:
            pots.append(PotCheck(f"{c.id}:{area}", f"{c.label}, {area}", pot, 0, "pot", c.id, "området har inga RSU-platser: potten är inte fördelad"))
            continue
        shares = apportion(pot, [p for _, _, p in members])
        share_rows += [(group_id, host, places, share) for (group_id, host, places), share in zip(members, shares, strict=True)]
        pots.append(PotCheck(f"{c.id}:{area}", f"{c.label}, {area}", pot, sum(shares), "pot", c.id))
    share_of_group = {group_id: share for group_id, _, _, share in share_rows}
    if share_rows:
        share_df = pl.DataFrame(share_rows, schema={"group_id": pl.String, "host_school_unit_code": pl.String, "places": pl.Int32, "share": pl.Int64}, orient="row")
        frames.append(
            share_df.join(groups.select("group_id", "area"), on="group_id", how="left").select(
                pl.col("host_school_unit_code").alias("school_unit_code"),
                pl.lit(c.id).alias("component"),
                pl.concat_str([pl.lit("pot "), pl.col("group_id")]).alias("line"),
                pl.col("places").cast(pl.Float64).alias("quantity"),
                pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
                pl.col("share").alias("amount_ore"),
                pl.concat_str([pl.lit("andel av områdets RSU-pott ("), pl.col("area"), pl.lit(") för grupp "), pl.col("group_id"), pl.lit(": {q} platser")]).alias("template"),
            )
        )
    # transfers and fee for placed pupils
    placed = ctx.placed.join(groups.select(pl.col("group_id").alias("rsu_group"), "host_school_unit_code"), on="rsu_group", how="left")
    placed = placed.filter(pl.col("host_school_unit_code").is_not_null())  # an unknown group: listed as unallocated
    placed = pupil_money(ctx, c.pupil_money_from, placed.select("pupil_id", "school_unit_code", "school_form", "grade", "leisure", "rsu_group", "host_school_unit_code"))
    grant = ctx.model.component(c.rsu_grant_from).amount_ore if c.rsu_grant_from else 0
    placed = placed.with_columns(pl.lit(grant, dtype=pl.Int64).alias("grant_ore"))
    # each group's members in pupil-id order, their money and the group's gap: one sort and
    # one pass, then an equal fee per placed pupil by apportionment
    placed = placed.sort("rsu_group", "pupil_id")
    member_rows: dict[str, list[int]] = {}
    for i, group_id in enumerate(placed["rsu_group"].to_list()):
        member_rows.setdefault(group_id, []).append(i)
    money = placed["money_ore"].to_list()
    fees = [0] * placed.height
    transfer_total = 0
    for group_id, cost, other in groups.select("group_id", "budgeted_cost_ore", "other_income_ore").iter_rows():
        rows = member_rows.get(group_id, [])
        if not rows:
            continue
        income = sum(money[i] for i in rows) + grant * len(rows) + int(other or 0) + share_of_group.get(group_id, 0)
        for i, part in zip(rows, apportion(max(int(cost) - income, 0), [1] * len(rows)), strict=True):
            fees[i] = part
    fee_rows = [placed.with_columns(pl.Series("fee_ore", fees, dtype=pl.Int64))] if placed.height else []
    if fee_rows:
        fee = pl.concat(fee_rows)
        out = fee.group_by(["school_unit_code", "host_school_unit_code"]).agg(
            pl.len().alias("n"), pl.col("money_ore").sum(), pl.col("grant_ore").sum(), pl.col("fee_ore").sum()
        )
        # the host school by name in the explanation; braces escaped for str.format in explain()
        hosts = ctx.schools.select(
            pl.col("school_unit_code").alias("host_school_unit_code"),
            pl.concat_str([pl.col("name"), pl.lit(" ("), pl.col("school_unit_code"), pl.lit(")")])
            .str.replace_all("{", "{{", literal=True)
            .str.replace_all("}", "}}", literal=True)
            .alias("host_label"),
        )
        out = out.join(hosts, on="host_school_unit_code", how="left").with_columns(
            pl.coalesce("host_label", "host_school_unit_code").alias("host_label")
        )
        for col, what in (("money_ore", "skolpeng och fritidshemspeng"), ("grant_ore", "RSU-bidrag"), ("fee_ore", "RSU-avgift")):
            give = out.filter(pl.col(col) != 0)
            frames.append(
                give.select(
                    "school_unit_code",
                    pl.lit(c.id).alias("component"),
                    pl.concat_str([pl.lit(f"out {col} "), pl.col("host_school_unit_code")]).alias("line"),
                    pl.col("n").cast(pl.Float64).alias("quantity"),
                    pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
                    (-pl.col(col)).alias("amount_ore"),
                    pl.concat_str([pl.lit(f"{what} för {{q}} elever i RSU-grupp på "), pl.col("host_label")]).alias("template"),
                )
            )
            frames.append(
                give.select(
                    pl.col("host_school_unit_code").alias("school_unit_code"),
                    pl.lit(c.id).alias("component"),
                    pl.concat_str([pl.lit(f"in {col} "), pl.col("school_unit_code")]).alias("line"),
                    pl.col("n").cast(pl.Float64).alias("quantity"),
                    pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
                    pl.col(col).alias("amount_ore"),
                    pl.concat_str([pl.lit(f"{what} för {{q}} RSU-elever från "), pl.col("school_unit_code")]).alias("template"),
                )
            )
            transfer_total += int(give[col].sum())
    lines = _in_line_order(as_lines(frames[0]), [as_lines(f) for f in frames[1:]], ctx)
    transfers = lines.filter(pl.col("line").str.starts_with("out ") | pl.col("line").str.starts_with("in "))
    pots.append(PotCheck(f"{c.id}:transfers", f"{c.label}: överföringar mellan skolor", 0, int(transfers["amount_ore"].sum()), "transfer", c.id, f"{kr(transfer_total)} förs över från hemskolor till RSU-grupper"))
    return Output(lines, tuple(pots))


def _in_line_order(premium: pl.DataFrame, others: list[pl.DataFrame], ctx: Context) -> pl.DataFrame:
    """The lines by school, then line text — as a sort on the text code and the line gives
    them, without sorting 15 000 premium lines by text. Every "in …", "out …" and "pot …" line
    sorts before a "premium …" line, so the few hundred others are sorted by text and the
    premium lines placed after them, by their band label's rank, within each school."""
    rest = pl.concat(others).sort(["school_unit_code", "line"]) if others else premium.head(0)
    both = pl.concat([rest, premium], rechunk=True)
    school = school_positions(ctx, both)
    if school.null_count():  # a school outside the register: by its code
        return both.sort(["school_unit_code", "line"])
    texts = premium["line"].unique().sort()
    rank = premium.select(pl.col("line").cast(pl.Enum(texts)).to_physical().cast(pl.Int64) + 1).to_series()
    ranks = pl.concat([pl.Series(np.zeros(rest.height, dtype=np.int64)), rank])  # 0: before every premium line
    key = school.cast(pl.Int64) * (texts.len() + 1) + ranks
    # stable: the other lines keep their text order within their school
    return both.with_columns(key.alias("_key")).sort("_key", maintain_order=True).drop("_key")
