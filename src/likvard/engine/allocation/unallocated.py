"""Nothing unpaid without a word: every input record no component paid, with the reason.

Why: a funding run that silently drops a decision, a pupil or a named grant pays wrong while
every pot still reconciles (five decisions on anpassad grundskola pupils were lost that way).
The run therefore checks its inputs against what its components cover and lists each record
left over — a decision, a group of resident pupils, an RSU place, a named grant — with the
reason in words. Pupils of other municipalities are not unpaid: their home municipality pays.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import polars as pl

from .kinds.base import (
    Context,
    Output,
    Unallocated,
    attribute_value,
    schools_meeting_condition,
    schools_of_type,
    select_cells,
)
from .kinds.per_pupil import with_missing_flags
from .spec import Component

__all__ = ["Unallocated", "find_unallocated"]


def _uncovered_pupils(ctx: Context) -> list[Unallocated]:
    """Resident pupils in a school form, grade (and programme) and under an organiser that no
    per-pupil component has a rate for. Whether a rate applies depends on form, grade,
    programme and organiser, so coverage is decided on those combinations (a few dozen), and
    only the uncovered ones are looked up among the cells. A component for schools of a type
    or meeting a condition covers only its schools' cells, and one for pupils with an attribute
    value only those pupils: they are checked school by school and pupil by pupil."""
    cells = ctx.cells.filter(pl.col("resident") & (pl.col("n") > 0)).select("school_unit_code", "school_form", "grade", "programme", "operator", "n")
    if cells.height == 0:
        return []
    keys = ["school_form", "grade", "programme", "operator"]
    schema = {k: pl.String for k in keys}
    # a few dozen combinations: their coverage is decided in Python sets, not in tiny tables
    combos = cells.select(keys).unique().rows()
    covered: set[tuple[str | None, ...]] = set()
    by_school: list[tuple[Component, pl.DataFrame]] = []
    by_pupil: list[tuple[Component, pl.DataFrame]] = []
    for c in ctx.model.components:
        if c.kind != "per_pupil":
            continue
        c = with_missing_flags(c, ctx)
        if _reports_itself(c, ctx):
            c = dataclasses.replace(c, school_attribute="", school_values=(), pupil_attribute="", pupil_values=())
        hit = _covered_combos(c, combos)
        if hit is None:
            continue
        if c.pupil_attribute:
            by_pupil.append((c, pl.DataFrame(sorted(hit, key=str), schema=schema, orient="row")))
        elif c.school_attribute or c.condition:
            by_school.append((c, pl.DataFrame(sorted(hit, key=str), schema=schema, orient="row")))
        else:
            covered |= hit
    uncovered = pl.DataFrame([r for r in combos if r not in covered], schema=schema, orient="row")
    if uncovered.height == 0:
        return []
    left = cells.join(uncovered, on=keys, how="semi", nulls_equal=True)
    if by_school:  # the cells of the schools each filtered component takes, for these combinations only
        taken = [select_cells(c, ctx).select("school_unit_code", *keys).join(hit, on=keys, how="semi", nulls_equal=True) for c, hit in by_school]
        left = left.join(pl.concat(taken).unique(), on=["school_unit_code", *keys], how="anti", nulls_equal=True)
    if by_pupil and left.height:
        left = _uncovered_by_attribute(ctx, left, by_pupil, keys)
    left = left.group_by(["school_unit_code", "school_form", "grade", "operator"]).agg(pl.col("n").sum()).sort(["school_unit_code", "school_form", "grade"])
    return [
        Unallocated(
            "pupils", f"{r['school_form']} åk {r['grade']}", r["school_unit_code"], int(r["n"]),
            f"ingen komponent med belopp per elev omfattar skolformen {r['school_form']}, årskurs {r['grade']} hos huvudmannen {r['operator']}",
            reason_en=f"no component with an amount per pupil covers school form {r['school_form']}, grade {r['grade']} under organiser type {r['operator']}",
        )
        for r in left.iter_rows(named=True)
        if r["n"] > 0
    ]


def _covered_combos(c: Component, combos: list[tuple[Any, ...]]) -> set[tuple[Any, ...]] | None:
    """The combinations (form, grade, programme, organiser) the component has a rate for
    (None: it has no school band). A band without a programme covers every programme of its
    form and grades, one with a programme only that programme."""
    bands = {(b.school_form, g, b.programme) for b in c.bands if b.leisure is None for g in b.grades}
    if not bands:
        return None
    forms, operators = set(c.school_forms), set(c.operators)
    return {r for r in combos if r[0] in forms and r[3] in operators and ((r[0], r[1], None) in bands or (r[0], r[1], r[2]) in bands)}


def _reports_itself(c: Component, ctx: Context) -> bool:
    """Whether the component lists the pupils its missing band column leaves unpaid itself
    (``per_pupil``): they are not listed a second time here."""
    return any(a and a in ctx.missing_attributes and ctx.model.attribute(a).type == "band" for a in (c.school_attribute, c.pupil_attribute))


def _uncovered_by_attribute(ctx: Context, left: pl.DataFrame, by_pupil: list[tuple[Component, pl.DataFrame]], keys: list[str]) -> pl.DataFrame:
    """Of the cells in ``left``, the pupils no attribute-filtered component takes: the pupils of
    those schools and combinations are read from the register (few: the cells left over) and
    a pupil counts as paid when one covering component's values include its attribute's."""
    codes = left.select("school_unit_code", *keys)
    pupils = (
        ctx.pupils.filter(pl.col("resident") & pl.col("school_unit_code").is_in(codes["school_unit_code"].unique().implode()))
        .join(ctx.school_cols.select("school_unit_code", "operator"), on="school_unit_code", how="left")
        .join(codes, on=["school_unit_code", *keys], how="semi", nulls_equal=True)
    )
    if pupils.height == 0:
        return left
    paid = pl.lit(False)
    for c, hit in by_pupil:
        mine = schools_meeting_condition(c, ctx)
        kind = schools_of_type(c, ctx)
        school_ok = pl.lit(True)
        for schools in (mine, kind):
            if schools is not None:
                school_ok = school_ok & pl.col("school_unit_code").is_in(schools["school_unit_code"].implode())
        in_combo = pl.struct(keys).is_in(hit.select(pl.struct(keys)).to_series().implode())
        paid = paid | (in_combo & school_ok & attribute_value(pupils, c.pupil_attribute).is_in(list(c.pupil_values)))
    unpaid = pupils.filter(~paid).group_by(["school_unit_code", *keys]).agg(pl.len().cast(pl.Int64).alias("n"))
    return unpaid.select("school_unit_code", *keys, "n")


def _unpaid_decisions(ctx: Context) -> list[Unallocated]:
    """Decisions that no ``individual`` component's school forms, organisers and residence
    rule take."""
    decisions = ctx.decisions
    if decisions.height == 0:
        return []
    taken = pl.lit(False)
    for c in ctx.model.components:
        if c.kind != "individual":
            continue
        cond = pl.col("school_form").is_in(list(c.school_forms)) & pl.col("operator").is_in(list(c.operators))
        if c.residents_only:
            cond = cond & pl.col("resident")
        taken = taken | cond
    left = decisions.filter(~taken).sort(["school_unit_code", "pupil_id"])
    out = []
    for r in left.iter_rows(named=True):
        if not r["resident"]:
            reason = "eleven är inte folkbokförd i kommunen: hemkommunen beslutar och betalar"
            reason_en = "the pupil is not registered as resident in the municipality: the home municipality decides and pays"
        else:
            reason = f"ingen komponent för individuella beslut omfattar skolformen {r['school_form']} hos huvudmannen {r['operator']}"
            reason_en = f"no component for individual decisions covers school form {r['school_form']} under organiser type {r['operator']}"
        out.append(Unallocated("decision", r["pupil_id"], r["school_unit_code"], 1, reason, reason_en=reason_en))
    return out


def _unplaced(ctx: Context) -> list[Unallocated]:
    """Pupils placed in an RSU group the group list does not have: their money stays with
    the home school, and the group gets nothing for them."""
    if not any(c.kind == "pooled_premium" for c in ctx.model.components) or ctx.placed.height == 0:
        return []
    known = ctx.rsu_groups.select(pl.col("group_id").alias("rsu_group"))
    left = ctx.placed.join(known, on="rsu_group", how="anti").sort(["school_unit_code", "pupil_id"])
    return [
        Unallocated("rsu_place", r["pupil_id"], r["school_unit_code"], 1, f"RSU-gruppen {r['rsu_group']!r} finns inte i listan över RSU-grupper", reason_en=f"the RSU group {r['rsu_group']!r} is not in the list of RSU groups")
        for r in left.iter_rows(named=True)
    ]


def _without_attribute(ctx: Context) -> list[Unallocated]:
    """Pupils a ``per_attribute`` component would pay by an attribute the register lacks
    (declared ``required = false``): by school, one record each."""
    out = []
    for c in ctx.model.components:
        if c.kind != "per_attribute" or c.attribute not in ctx.missing_attributes:
            continue
        a = ctx.model.attribute(c.attribute)
        # the cells count every pupil by school, form, residence and organiser: no pupil scan
        cond = pl.col("school_form").is_in(list(c.school_forms)) & pl.col("operator").is_in(list(c.operators)) & (pl.col("n") > 0)
        if c.residents_only:
            cond = cond & pl.col("resident")
        pupils = ctx.cells.filter(cond).group_by("school_unit_code").agg(pl.col("n").sum())
        for code, n in pupils.sort("school_unit_code").iter_rows():
            out.append(
                Unallocated(
                    "pupils", ", ".join(c.school_forms), code, int(n), f"elevregistret saknar kolumnen {a.column} ({a.label}): {c.label.lower()} betalas inte", c.id,
                    f"the pupil register lacks the column {a.column} ({a.label}): {c.label.lower()} is not paid",
                )
            )
    return out


def find_unallocated(ctx: Context, done: dict[str, Output]) -> tuple[Unallocated, ...]:
    """Every record of the run's inputs that no component paid (empty when all is paid)."""
    found: list[Unallocated] = [u for o in done.values() for u in o.unallocated]
    found += _uncovered_pupils(ctx) + _unpaid_decisions(ctx) + _unplaced(ctx) + _without_attribute(ctx)
    return tuple(found)
