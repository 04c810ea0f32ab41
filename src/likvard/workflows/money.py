"""The money question: socioeconomic money per pupil against value added, school by school and
year by year (seed 001 R3: "what effect does the allocation have?", L276–282; key ratios of
resources against results, L294–304; seed 002: no clear improvement for high-allocation schools
as a group, big differences at equal resources, L212–230).

Why descriptive only: the socioeconomic money follows the pupils' need, so the schools with the
most money per pupil are selected on disadvantage; value added of a small year 9 is noisy and
regresses to the mean; a correlation across schools is not the effect of money. What the figures
can show is whether the high-money schools *as a group* do better or worse than expected, how
far schools with about the same money lie apart, and how a school's value added moves when its
money changes (docs/methods/money-and-results.md). No causal estimate is made here, on purpose.

Framework-free (tables in, dataclasses out) so that the web's results page, the annual report
and a test on any municipality's files compute the same figures. Money is integer öre
throughout; money per pupil is floor division, as a statement's per-pupil figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from likvard.engine.allocation import Statement

__all__ = [
    "MIN_PUPILS",
    "SOCIOECONOMIC_COMPONENTS",
    "Change",
    "MoneyAndResults",
    "Quartile",
    "SchoolYear",
    "YearSummary",
    "lines_frame",
    "money_and_results",
    "money_per_pupil",
    "socioeconomic_components",
    "value_added_frame",
]

#: Stockholm's names, the default when no model is given (the web takes them from each run's model,
#: ``socioeconomic_components``). The components whose lines are "the socioeconomic money": its grundskola pot
#: (``socioeconomic``, rules-2024.md §5, L3739–3766) and its upper-secondary one
#: (``gy_socioeconomic``, L3859–3867). The state's Kunskapsbidraget distributed by the same
#: index (``state_grant_socioeconomic``) is the state's money and is left out unless asked for.
SOCIOECONOMIC_COMPONENTS: tuple[str, ...] = ("socioeconomic", "gy_socioeconomic")
#: The component kinds that distribute money by the pupils' background: an index pot (the
#: grundskola's socioeconomic money) and a merit-value pot (upper secondary's).
SOCIOECONOMIC_KINDS: tuple[str, ...] = ("index_pot", "merit_pot")


def socioeconomic_components(components: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The ids of a model's socioeconomic money (``AllocationResult.components_dict()`` or a
    stored run's ``summary["components"]``): its index and merit-value pots funded by the
    municipality, whatever the municipality calls them. The state's grant distributed by the
    same index is left out (as ``SOCIOECONOMIC_COMPONENTS`` leaves out Stockholm's)."""
    return tuple(c["id"] for c in components if c.get("kind") in SOCIOECONOMIC_KINDS and c.get("funding", "municipal") == "municipal")


#: Groups under 10 pupils are shown as ``..`` and take no part (Skolverket's convention).
MIN_PUPILS = 10

LINES_SCHEMA: dict[str, Any] = {
    "year": pl.Int64,
    "school_unit_code": pl.String,
    "pupils": pl.Int64,
    "component": pl.String,
    "amount_ore": pl.Int64,
}
VALUE_ADDED_SCHEMA: dict[str, Any] = {
    "year": pl.Int64,
    "school_unit_code": pl.String,
    "outcome": pl.String,
    "pupils": pl.Int64,
    "suppressed": pl.Boolean,
    "value_added": pl.Float64,
}


@dataclass(frozen=True)
class SchoolYear:
    """One school in one year: its socioeconomic money and its value added.

    ``per_pupil_ore`` is None when the school got no line of the components that year (not
    covered, not zero); ``value_added`` is None when there is no estimate or the year 9 had
    under 10 pupils (``suppressed``: shown as ``..``, and then ``result_pupils`` is hidden too).
    """

    school_unit_code: str
    year: int
    pupils: int | None
    socioeconomic_ore: int | None
    per_pupil_ore: int | None
    result_pupils: int | None
    value_added: float | None
    suppressed: bool

    @property
    def compared(self) -> bool:
        """Whether the school takes part in the year's comparison (money and a shown result)."""
        return (
            self.per_pupil_ore is not None and self.value_added is not None and not self.suppressed
        )


@dataclass(frozen=True)
class Quartile:
    """A quarter of the compared schools by money per pupil (1 = least, 4 = most).

    ``mean_value_added`` is weighted by year 9 pupils (the group's actual minus expected);
    ``spread`` the standard deviation of the schools' value added (unweighted): how far
    schools with about the same money lie apart. Both None when ``suppressed`` (under 10 pupils).
    """

    quartile: int
    schools: int
    pupils: int
    lowest_ore: int
    highest_ore: int
    mean_value_added: float | None
    spread: float | None
    suppressed: bool


@dataclass(frozen=True)
class Change:
    """Within schools, from ``year - 1`` to ``year``: the correlation of the change in money per
    pupil with the change in value added, over the ``n`` schools compared in both years."""

    year: int
    n: int
    correlation: float | None


@dataclass(frozen=True)
class YearSummary:
    """The city's figures for one year: the correlation across the ``n`` compared schools of
    money per pupil and value added (Pearson, unweighted; None under 3 schools or without
    variation), the quartiles, and the within-school change from the year before."""

    year: int
    n: int
    correlation: float | None
    quartiles: tuple[Quartile, ...]
    change: Change | None


@dataclass(frozen=True)
class MoneyAndResults:
    """Socioeconomic money per pupil against value added for one outcome, over the years."""

    outcome: str
    components: tuple[str, ...]
    min_pupils: int
    schools: tuple[SchoolYear, ...]
    years: tuple[YearSummary, ...]

    def school(self, code: str) -> list[SchoolYear]:
        """One school's years, oldest first."""
        return [s for s in self.schools if s.school_unit_code == code]

    def summary(self) -> str:
        """A few lines for a terminal or a log (figures only; the caveats are in the docs)."""
        out = [
            f"{self.outcome}: socioeconomic money per pupil ({', '.join(self.components)}) against value added"
        ]
        for y in self.years:
            r = "." if y.correlation is None else f"{y.correlation:+.2f}"
            qs = "  ".join(
                f"Q{q.quartile} {'..' if q.mean_value_added is None else f'{q.mean_value_added:+.2f}'}"
                for q in y.quartiles
            )
            out.append(f"  {y.year}: r = {r} (n = {y.n})  {qs}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the annual report carries it inside its document)."""
        return {
            "outcome": self.outcome,
            "components": list(self.components),
            "min_pupils": self.min_pupils,
            "years": [
                {
                    **asdict(y),
                    "quartiles": [asdict(q) for q in y.quartiles],
                    "change": asdict(y.change) if y.change else None,
                }
                for y in self.years
            ],
            "schools": [asdict(s) for s in self.schools],
        }


def lines_frame(statements: Mapping[int, Iterable[Statement]]) -> pl.DataFrame:
    """The statements' lines by year as one table (year, school_unit_code, pupils, component,
    amount_ore): what ``money_per_pupil`` reads. A school without lines keeps one row with a
    null component, so that its pupils are known."""
    rows: list[tuple[int, str, int, str | None, int]] = []
    for year, sts in statements.items():
        for st in sts:
            if not st.lines:
                rows.append((int(year), st.school_unit_code, st.pupils, None, 0))
            rows.extend(
                (int(year), st.school_unit_code, st.pupils, ln.component, ln.amount_ore)
                for ln in st.lines
            )
    return pl.DataFrame(rows, schema=LINES_SCHEMA, orient="row")


def money_per_pupil(
    lines: pl.DataFrame, components: Iterable[str] = SOCIOECONOMIC_COMPONENTS
) -> pl.DataFrame:
    """Per school and year: pupils, the sum of the components' lines (öre) and that sum per
    pupil (öre, floor division). Schools without any line of the components are left out:
    the model does not cover them, which is not the same as zero money."""
    wanted = list(components)
    pupils = lines.group_by("year", "school_unit_code").agg(pl.col("pupils").first())
    money = (
        lines.filter(pl.col("component").is_in(wanted))
        .group_by("year", "school_unit_code")
        .agg(pl.col("amount_ore").sum().cast(pl.Int64).alias("socioeconomic_ore"))
    )
    return (
        money.join(pupils, on=["year", "school_unit_code"], how="left")
        .with_columns(
            pl.when(pl.col("pupils") > 0)
            .then(pl.col("socioeconomic_ore") // pl.col("pupils"))
            .otherwise(None)
            .cast(pl.Int64)
            .alias("per_pupil_ore")
        )
        .select("year", "school_unit_code", "pupils", "socioeconomic_ore", "per_pupil_ore")
        .sort("year", "school_unit_code")
    )


def value_added_frame(results: Iterable[Any]) -> pl.DataFrame:
    """Value added by school, year and outcome from ``workflows.fit_year`` results (anything
    with ``.year`` and ``.expected.table``), in the shape ``money_and_results`` reads."""
    frames = [
        r.expected.table.with_columns(pl.lit(r.year, dtype=pl.Int64).alias("year")).select(
            list(VALUE_ADDED_SCHEMA)
        )
        for r in results
    ]
    if not frames:
        return pl.DataFrame(schema=VALUE_ADDED_SCHEMA)
    out: pl.DataFrame = pl.concat(frames).cast(VALUE_ADDED_SCHEMA)
    return out


def _correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _quartiles(rows: list[SchoolYear], min_pupils: int) -> tuple[Quartile, ...]:
    """Schools ranked by money per pupil (ties by school unit code, so the split is
    deterministic), the ``i``-th of ``n`` in quartile ``1 + 4i // n``; none under 4 schools."""
    n = len(rows)
    if n < 4:
        return ()
    ranked = sorted(rows, key=lambda s: (s.per_pupil_ore, s.school_unit_code))
    out = []
    for q in range(1, 5):
        members = [s for i, s in enumerate(ranked) if 1 + (4 * i) // n == q]
        pupils = sum(s.result_pupils or 0 for s in members)
        hidden = pupils < min_pupils
        va = np.array([s.value_added for s in members], dtype=float)
        weights = np.array([s.result_pupils or 0 for s in members], dtype=float)
        mean = None if hidden or weights.sum() == 0 else float(np.average(va, weights=weights))
        spread = None if hidden or len(members) < 2 else float(np.std(va, ddof=1))
        money = [int(s.per_pupil_ore) for s in members if s.per_pupil_ore is not None]
        out.append(Quartile(q, len(members), pupils, min(money), max(money), mean, spread, hidden))
    return tuple(out)


def _change(year: int, now: dict[str, SchoolYear], before: dict[str, SchoolYear]) -> Change:
    both = sorted(set(now) & set(before))
    dm = np.array([float(now[c].per_pupil_ore - before[c].per_pupil_ore) for c in both])  # type: ignore[operator]
    dv = np.array([float(now[c].value_added - before[c].value_added) for c in both])  # type: ignore[operator]
    return Change(year, len(both), _correlation(dm, dv))


def money_and_results(
    lines: pl.DataFrame,
    value_added: pl.DataFrame,
    *,
    outcome: str = "merit_value",
    components: Iterable[str] = SOCIOECONOMIC_COMPONENTS,
    min_pupils: int = MIN_PUPILS,
) -> MoneyAndResults:
    """Money per pupil (from the statements' ``lines``, see ``lines_frame``) against value
    added (school_unit_code, year, outcome, pupils, suppressed, value_added — the stored
    estimates or ``value_added_frame``) for ``outcome``, in every year that has both.

    A school's row exists for every year it has money or an estimate; it is *compared* when it
    has both and its year 9 has at least ``min_pupils`` pupils (smaller groups are suppressed:
    their value added and their size are not shown and they are in no correlation or quartile).
    """
    chosen = tuple(components)
    money = money_per_pupil(lines, chosen)
    va = value_added.filter(pl.col("outcome") == outcome).select(
        pl.col("year").cast(pl.Int64),
        pl.col("school_unit_code").cast(pl.String),
        pl.col("pupils").cast(pl.Int64).alias("result_pupils"),
        (pl.col("suppressed").cast(pl.Boolean) | (pl.col("pupils") < min_pupils)).alias(
            "suppressed"
        ),
        pl.col("value_added").cast(pl.Float64),
    )
    joined = money.join(va, on=["year", "school_unit_code"], how="full", coalesce=True).sort(
        "school_unit_code", "year"
    )
    schools = tuple(
        SchoolYear(
            school_unit_code=r["school_unit_code"],
            year=int(r["year"]),
            pupils=r["pupils"],
            socioeconomic_ore=r["socioeconomic_ore"],
            per_pupil_ore=r["per_pupil_ore"],
            result_pupils=None if r["suppressed"] else r["result_pupils"],
            value_added=None if r["suppressed"] else r["value_added"],
            suppressed=bool(r["suppressed"]),
        )
        for r in joined.iter_rows(named=True)
    )
    # the years with both money and estimates: a year with only one of them compares nothing
    years = sorted(set(money["year"].to_list()) & set(va["year"].to_list()))
    compared = {
        y: {s.school_unit_code: s for s in schools if s.year == y and s.compared} for y in years
    }
    summaries = []
    for y in years:
        rows = list(compared[y].values())
        x = np.array([float(s.per_pupil_ore) for s in rows])  # type: ignore[arg-type]
        v = np.array([float(s.value_added) for s in rows])  # type: ignore[arg-type]
        change = _change(y, compared[y], compared[y - 1]) if y - 1 in compared else None
        summaries.append(
            YearSummary(y, len(rows), _correlation(x, v), _quartiles(rows, min_pupils), change)
        )
    return MoneyAndResults(outcome, chosen, min_pupils, schools, tuple(summaries))
