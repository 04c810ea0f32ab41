"""Component kind ``fixed_grant`` (docs/model-format.md); the rule and its source lines are in the docstring below."""

from __future__ import annotations

import polars as pl

from ..errors import AllocationError
from ..spec import Component, Grant
from .base import (
    Context,
    Output,
    Unallocated,
    as_lines,
    budget_check,
    kr,
)


def fixed_grant(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Fixed grants to named schools: profile grants (L3721–3737), structural-deficit grants
    to appropriation units (L4021–4047). A grant names its school by code, or by name when the
    plan gives no code; a school the register lacks is listed as unallocated, not paid."""
    known: set[str] = ctx.shared(("school codes",), lambda: set(ctx.schools["school_unit_code"].to_list()))
    # the register's schools by normalised name, built only when a grant names its school by
    # name, and once per run for all fixed grants
    by_name = ctx.shared(("schools by name",), lambda: _schools_by_name(ctx)) if any(not g.school_unit_code for g in c.grants) else {}
    paid: list[tuple[str, Grant]] = []
    missing: list[Unallocated] = []
    for i, g in enumerate(c.grants):
        if g.school_unit_code:
            if g.school_unit_code not in known:
                raise AllocationError(
                    f"{c.file}, komponent {c.id!r}, nyckel 'grants[{i}].school_unit_code': "
                    f"skolenheten {g.school_unit_code} ({g.name}) finns inte i skolregistret"
                )
            paid.append((g.school_unit_code, g))
            continue
        codes = by_name.get(" ".join(g.name.split()).casefold(), [])
        if len(codes) == 1:
            paid.append((codes[0], g))
        else:
            why = "skolregistret har ingen skola med det namnet" if not codes else f"skolregistret har {len(codes)} skolor med det namnet: ange school_unit_code"
            why_en = "the school register has no school of that name" if not codes else f"the school register has {len(codes)} schools of that name: give school_unit_code"
            missing.append(Unallocated("grant", g.name, "", 1, f"{why}; bidraget {kr(g.amount_ore)} betalas inte ut", c.id, f"{why_en}; the grant of {kr(g.amount_ore)} is not paid"))
    lines = pl.DataFrame(
        {
            "school_unit_code": [code for code, _ in paid],
            "component": [c.id] * len(paid),
            "line": ["grant"] * len(paid),
            "quantity": [1.0] * len(paid),
            "rate_ore": [g.amount_ore for _, g in paid],
            "amount_ore": [g.amount_ore for _, g in paid],
            "template": [f"fast bidrag till {g.name}" for _, g in paid],
        },
        schema_overrides={"school_unit_code": pl.String, "component": pl.String, "line": pl.String, "quantity": pl.Float64, "rate_ore": pl.Int64, "amount_ore": pl.Int64, "template": pl.String},
    ).sort("school_unit_code")
    return Output(as_lines(lines), budget_check(c, lines), unallocated=tuple(missing))


def _schools_by_name(ctx: Context) -> dict[str, list[str]]:
    """The register's school unit codes by name, whitespace-normalised and casefolded."""
    by_name: dict[str, list[str]] = {}
    # two column lists zipped, not iter_rows: it holds the GIL (measured 4.1 → 2.9 ms for 5 000 schools)
    for code, name in zip(ctx.schools["school_unit_code"].to_list(), ctx.schools["name"].to_list(), strict=True):
        by_name.setdefault(" ".join(str(name).split()).casefold(), []).append(code)
    return by_name
