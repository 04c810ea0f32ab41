"""Support applications' rules: a decision covers at most 12 months, a renewal needs an account
of use and results, and a grant pays the individual support component for the months it covers.

Why these rules: seed 001 L308–322 (the Inspectorate): tilläggsbelopp and verksamhetsstöd are
applied for yearly, a decision covers at most twelve months, and a renewal requires that the
school reports how the support was used and what it achieved. The plan pays individually
assessed amounts with a 25 % surcharge for extensive support needs (seed 000 L3638–3643,
L3654–3663; ``models/stockholm-2024/30-sarskilt-stod.toml``): a grant enters the run as one
row of ``decisions`` (``DECISION_SCHEMA``), so the engine's ``individual`` kind pays it exactly
as an imported decision.

A grant's amount is for its whole period; a budget year gets the part of it its months carry,
``floor(amount · months to the year's end / months) − floor(amount · months before the year /
months)``, so the parts of a period spanning two years sum to the amount to the öre.
Framework-free: the web app ``support`` stores applications and calls these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from likvard.engine.allocation import DECISION_SCHEMA

__all__ = ["MAX_MONTHS", "Grant", "application_problems", "decision_problems", "decisions_for_year", "months", "year_share"]

#: A decision covers at most twelve months (seed 001 L308–322).
MAX_MONTHS = 12


@dataclass(frozen=True)
class Grant:
    """A granted application as the allocation reads it."""

    reference: str
    pupil_id: str
    school_unit_code: str
    amount_ore: int
    start: dt.date
    end: dt.date
    extensive: bool


def _index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def months(start: dt.date, end: dt.date) -> int:
    """Calendar months a period touches, both ends included (2024-01-15 to 2024-06-30: 6)."""
    return _index(end) - _index(start) + 1


def _period_problems(start: dt.date | None, end: dt.date | None) -> list[tuple[str, str]]:
    if start is None:
        return [("start", "ange periodens första dag")]
    if end is None:
        return [("end", "ange periodens sista dag")]
    if end < start:
        return [("end", "periodens sista dag ligger före dess första")]
    if months(start, end) > MAX_MONTHS:
        return [("end", f"perioden omfattar {months(start, end)} månader: ett beslut gäller högst {MAX_MONTHS} månader (granskningen 2014, seed 001 L308–322); ansök om en förnyelse för tiden därefter")]
    return []


def application_problems(
    amount_ore: int | None,
    start: dt.date | None,
    end: dt.date | None,
    *,
    need: str,
    renewal: bool,
    use_report: str = "",
    results_report: str = "",
) -> list[tuple[str, str]]:
    """What makes an application impossible, as (field, Swedish message); empty when it may be
    submitted. A renewal (the pupil has had a grant before) needs both parts of the account."""
    found: list[tuple[str, str]] = []
    if not need.strip():
        found.append(("need", "beskriv elevens behov"))
    if amount_ore is None or amount_ore <= 0:
        found.append(("amount", "ange ett belopp större än noll"))
    found += _period_problems(start, end)
    if renewal:
        if not use_report.strip():
            found.append(("use_report", "en förnyelse kräver en redovisning av hur det tidigare stödet användes (seed 001 L308–322)"))
        if not results_report.strip():
            found.append(("results_report", "en förnyelse kräver en redovisning av vad det tidigare stödet gav (seed 001 L308–322)"))
    return found


def decision_problems(amount_ore: int | None, start: dt.date | None, end: dt.date | None) -> list[tuple[str, str]]:
    """What makes a grant impossible: no positive amount, or a period of more than 12 months."""
    found: list[tuple[str, str]] = []
    if amount_ore is None or amount_ore <= 0:
        found.append(("amount", "ange ett beviljat belopp större än noll (eller avslå ansökan)"))
    return found + _period_problems(start, end)


def year_share(amount_ore: int, start: dt.date, end: dt.date, year: int) -> int:
    """The part of a grant that falls in budget year ``year`` (whole months, exact to the öre
    over the years of the period)."""
    total = months(start, end)
    first = _index(start)
    before = min(max(year * 12 - first, 0), total)
    through = min(max(year * 12 + 12 - first, 0), total)
    return amount_ore * through // total - amount_ore * before // total


def decisions_for_year(grants: Iterable[Grant], year: int) -> pl.DataFrame:
    """The grants' rows of ``decisions`` for budget year ``year`` (kind ``individual_support``),
    one per grant whose period touches the year."""
    rows = [
        {"year": year, "pupil_id": g.pupil_id, "kind": "individual_support", "amount_ore": year_share(g.amount_ore, g.start, g.end, year), "extensive": g.extensive}
        for g in grants
        if year_share(g.amount_ore, g.start, g.end, year) > 0
    ]
    return pl.DataFrame(rows, schema=DECISION_SCHEMA)
