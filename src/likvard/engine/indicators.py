"""Goal follow-up: status, trend, aggregation and the ambition check for the plan's indicators.

The committee follows each indicator of its plan (e.g. "Meritvärde i årskurs 9", target 252,
higher is better) per period, level and gender. These pure functions turn outcomes into what a
report prints: whether the target is met, where the series is heading, a pupil-weighted mean
over schools that never reveals a group under 10 pupils, and the list of schools whose annual
target is below last year's outcome (seed 001, L130–134). Why pure functions on plain values and
Polars frames: the same rule must give the same answer in the web page, the PDF report and the
CLI, and be testable without a database. See docs/methods/indicators.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import polars as pl

Direction = Literal["higher", "lower"]

#: Groups with fewer pupils than this are never shown (the UI prints "..").
MIN_PUPILS = 10
#: Relative tolerance of every comparison with a target, so that 252.0 against 252 (or a value
#: that went through a CSV and back) is met. Scaled by max(1, |bound|) so it also holds for
#: large counts such as booked hours.
TOLERANCE = 1e-9

_DIRECTIONS = ("higher", "lower")


class Status(StrEnum):
    """How an outcome stands against its target (UI: uppfyllt, delvis uppfyllt, ...)."""

    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"
    NO_DATA = "no_data"
    NO_TARGET = "no_target"


class Trend(StrEnum):
    """Where a series is heading in the indicator's good direction (UI: förbättras, ...)."""

    IMPROVING = "improving"
    STABLE = "stable"
    WORSENING = "worsening"
    TOO_SHORT = "too_short"


@dataclass(frozen=True)
class TrendResult:
    """The trend with the slope behind it, so a report can show the number, not only a word.

    ``slope`` is in the indicator's unit per period (None with fewer than 2 values);
    ``periods`` is how many non-missing values it rests on.
    """

    trend: Trend
    slope: float | None
    periods: int


@dataclass(frozen=True)
class Aggregate:
    """A mean over groups (schools) with what it rests on, so "..", and why, can be explained.

    ``pupils`` is the total weight of the groups in the mean (0 when unweighted: unknown);
    ``groups`` how many groups are in it; ``hidden`` how many were left out because their value
    is missing or suppressed; ``unweighted_left_out`` how many had a value but no positive pupil
    count in a weighted mean.
    """

    value: float | None
    pupils: int
    groups: int
    weighted: bool
    hidden: int
    unweighted_left_out: int = 0


@dataclass(frozen=True)
class AmbitionFlag:
    """A school's annual target below (worse than) its outcome of the year before.

    ``shortfall`` is how far the target falls short of that outcome, positive, in the
    indicator's unit; ``expected`` is the school's statistically expected result of that year
    (if known), which the area chief may weigh in the result dialogue; ``target_period`` is the
    period the target is set for.
    """

    school_unit_code: str
    indicator: str
    target: float
    last_outcome: float
    last_period: str
    expected: float | None
    shortfall: float
    target_period: str


def _missing(x: float | None) -> bool:
    return x is None or math.isnan(x)


def _at_least(value: float, bound: float) -> bool:
    return value >= bound - TOLERANCE * max(1.0, abs(bound))


def _at_most(value: float, bound: float) -> bool:
    return value <= bound + TOLERANCE * max(1.0, abs(bound))


def _check_direction(direction: str) -> None:
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")


def status(
    value: float | None,
    target: float | None,
    direction: Direction,
    *,
    plus_minus: bool = False,
    partly_within: float = 0.05,
) -> Status:
    """The outcome's status against the target, by one rule stated on every report.

    Why one explicit rule: the plan does not define "delvis uppfyllt", so Likvärd fixes it here
    and ``partly_within`` (default 5 %) is the only knob. With p = ``partly_within``:

    - no value (None or NaN) → NO_DATA; otherwise no target → NO_TARGET;
    - higher is better: MET when value ≥ target; PARTLY_MET when value ≥ target − |target|·p
      (target × (1 − p) for the usual target ≥ 0, i.e. within 5 % below it); else NOT_MET;
    - lower is better: MET when value ≤ target; PARTLY_MET when value ≤ target + |target|·p
      (target × (1 + p)); with target 0 partly met is impossible (met only at ≤ 0);
    - ``plus_minus``: the target is a band ±target around 0 (forecast deviation within ±1 %):
      MET when |value| ≤ target, PARTLY_MET when |value| ≤ target × (1 + p); ``direction``
      is then not used.

    Every comparison allows a tolerance of 1e-9 × max(1, |bound|), so 252.0 against 252 is met.
    """
    _check_direction(direction)
    if partly_within < 0 or math.isnan(partly_within):
        raise ValueError(f"partly_within must be ≥ 0, not {partly_within!r}")
    if value is None or math.isnan(value):
        return Status.NO_DATA
    if target is None or math.isnan(target):
        return Status.NO_TARGET
    if plus_minus:
        if target < 0:
            raise ValueError(f"a ± target is a band width and cannot be negative: {target!r}")
        deviation = abs(value)
        if _at_most(deviation, target):
            return Status.MET
        if _at_most(deviation, target * (1 + partly_within)):
            return Status.PARTLY_MET
        return Status.NOT_MET
    band = abs(target) * partly_within
    if direction == "higher":
        if _at_least(value, target):
            return Status.MET
        if _at_least(value, target - band):
            return Status.PARTLY_MET
        return Status.NOT_MET
    if _at_most(value, target):
        return Status.MET
    if _at_most(value, target + band):
        return Status.PARTLY_MET
    return Status.NOT_MET


def trend(
    values: Sequence[float | None],
    direction: Direction,
    *,
    stable_within: float = 0.01,
) -> TrendResult:
    """The least-squares trend of a series in period order (oldest first).

    Why OLS on positions: it uses every period, not just the first and last, and a gap (a
    hidden or missing period, None) keeps its place on the time axis instead of being closed
    up. Fewer than 3 values → TOO_SHORT (two points make a line, not a trend). STABLE when the
    fitted change over the whole span, |slope × (last position − first position)|, is within
    ``stable_within`` (1 %) of the mean absolute level; otherwise IMPROVING when the slope
    points the good way (up for higher is better), else WORSENING.
    """
    _check_direction(direction)
    if stable_within < 0 or math.isnan(stable_within):
        raise ValueError(f"stable_within must be ≥ 0, not {stable_within!r}")
    points = [(float(i), v) for i, v in enumerate(values) if v is not None and not math.isnan(v)]
    n = len(points)
    if n < 2:
        return TrendResult(Trend.TOO_SHORT, None, n)
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    x_mean = math.fsum(xs) / n
    y_mean = math.fsum(ys) / n
    sxx = math.fsum((x - x_mean) ** 2 for x in xs)
    sxy = math.fsum((x - x_mean) * (y - y_mean) for x, y in points)
    slope = sxy / sxx
    if n < 3:
        return TrendResult(Trend.TOO_SHORT, slope, n)
    change = abs(slope * (xs[-1] - xs[0]))
    level = math.fsum(abs(y) for y in ys) / n
    if _at_most(change, stable_within * level):
        return TrendResult(Trend.STABLE, slope, n)
    good = slope > 0 if direction == "higher" else slope < 0
    return TrendResult(Trend.IMPROVING if good else Trend.WORSENING, slope, n)


def suppress(value: float | None, pupils: int | None, min_pupils: int = MIN_PUPILS) -> float | None:
    """None when the group is known to be smaller than ``min_pupils``, so it cannot be shown.

    An unknown size (None) passes the value through: the caller's source has already applied
    its own rule (Skolverket publishes ".." for small groups).
    """
    if pupils is not None and pupils < min_pupils:
        return None
    return value


def weighted_mean(
    values: Sequence[float | None],
    weights: Sequence[float | None],
    *,
    min_pupils: int = MIN_PUPILS,
) -> Aggregate:
    """The pupil-weighted mean over groups (schools), never revealing a group under 10 pupils.

    Why weighted: a city figure is a figure about pupils, so a school of 200 counts more than
    one of 20. Groups with no value (None/NaN: missing or suppressed) are left out and counted
    in ``hidden``. If at least one weight is given, the mean is weighted over the groups with a
    value and a positive weight; groups with a value but no positive weight are left out and
    counted in ``unweighted_left_out``; if the groups in the mean total fewer than
    ``min_pupils`` pupils the value is None. If no weight is given at all, the plain mean of the values, with
    ``weighted=False`` and ``pupils=0`` (unknown; the small-group rule cannot be applied and the
    values are already published ones).
    """
    if len(values) != len(weights):
        raise ValueError(f"{len(values)} values but {len(weights)} weights")
    ws = [None if w is None or math.isnan(w) else float(w) for w in weights]
    negative = [w for w in ws if w is not None and w < 0]
    if negative:
        raise ValueError(f"pupil counts cannot be negative: {negative[0]!r}")
    hidden = sum(1 for v in values if _missing(v))
    present = [
        (float(v), w)
        for v, w in zip(values, ws, strict=True)
        if v is not None and not math.isnan(v)
    ]
    if all(w is None for w in ws):
        if not present:
            return Aggregate(None, 0, 0, False, hidden)
        return Aggregate(
            math.fsum(v for v, _ in present) / len(present), 0, len(present), False, hidden
        )
    included = [(v, w) for v, w in present if w is not None and w > 0]
    left_out = len(present) - len(included)
    total = math.fsum(w for _, w in included)
    mean: float | None = None
    if included and total >= min_pupils:
        mean = math.fsum(v * w for v, w in included) / total
    return Aggregate(mean, round(total), len(included), True, hidden, left_out)


AGGREGATE_COLUMNS = ("value", "pupils", "groups", "weighted", "hidden", "unweighted_left_out")


def aggregate(
    frame: pl.DataFrame,
    by: list[str],
    value: str = "value",
    weight: str = "pupils",
    *,
    min_pupils: int = MIN_PUPILS,
) -> pl.DataFrame:
    """``weighted_mean`` per group of ``by``, as Polars expressions (one pass, no row loop).

    Returns ``*by`` then the ``Aggregate`` fields as columns (``value``, ``pupils``, ``groups``,
    ``weighted``, ``hidden``, ``unweighted_left_out``), sorted by ``by``; with ``by=[]`` one row
    over the whole frame. A group is weighted when at least one of its weights is non-null; its
    rows with a value but a null or zero weight are then left out of the mean and counted in
    ``unweighted_left_out``. NaN counts as null in both columns.
    """
    missing = [c for c in [*by, value, weight] if c not in frame.columns]
    if missing:
        raise ValueError(f"aggregate: missing column(s) {', '.join(missing)}")
    clash = [c for c in by if c in AGGREGATE_COLUMNS]
    if clash:
        raise ValueError(f"aggregate: cannot group by {', '.join(clash)} (an output column)")
    v = pl.col(value).cast(pl.Float64).fill_nan(None)
    w = pl.col(weight).cast(pl.Float64).fill_nan(None)
    data = frame.select(*[pl.col(c) for c in by], v.alias("_v"), w.alias("_w"))
    if data.filter(pl.col("_w") < 0).height:
        raise ValueError(f"aggregate: pupil counts in {weight!r} cannot be negative")
    has_v = pl.col("_v").is_not_null()
    included = (has_v & (pl.col("_w") > 0)).fill_null(False)
    aggs = [
        pl.col("_w").is_not_null().any().alias("weighted"),
        (~has_v).sum().cast(pl.Int64).alias("hidden"),
        has_v.sum().cast(pl.Int64).alias("_present"),
        pl.col("_v").mean().alias("_plain"),
        included.sum().cast(pl.Int64).alias("_included"),
        pl.col("_w").filter(included).sum().alias("_total"),
        (pl.col("_v") * pl.col("_w")).filter(included).sum().alias("_num"),
    ]
    grouped = data.group_by(by).agg(aggs).sort(by) if by else data.select(aggs)
    weighted = pl.col("weighted")
    return grouped.select(
        *[pl.col(c) for c in by],
        pl.when(~weighted)
        .then(pl.col("_plain"))
        .when((pl.col("_included") > 0) & (pl.col("_total") >= min_pupils))
        .then(pl.col("_num") / pl.col("_total"))
        .otherwise(None)
        .alias("value"),
        pl.when(weighted)
        .then(pl.col("_total").round(0))
        .otherwise(0.0)
        .cast(pl.Int64)
        .alias("pupils"),
        pl.when(weighted).then(pl.col("_included")).otherwise(pl.col("_present")).alias("groups"),
        weighted,
        pl.col("hidden"),
        pl.when(weighted)
        .then(pl.col("_present") - pl.col("_included"))
        .otherwise(0)
        .cast(pl.Int64)
        .alias("unweighted_left_out"),
    )


_TARGET_COLUMNS = ("school_unit_code", "indicator", "period", "target")
_OUTCOME_COLUMNS = ("school_unit_code", "indicator", "period", "value", "expected")


def _require(frame: pl.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")


def ambition_flags(
    targets: pl.DataFrame,
    outcomes: pl.DataFrame,
    directions: Mapping[str, str],
) -> list[AmbitionFlag]:
    """Schools whose annual target is worse than their outcome of the year before.

    Why: seed 001 (L130–134) — the area chiefs follow up in the result dialogues how the
    schools set their targets against last year's result, since "Ambitionsnivån ska hela tiden
    höjas". For each target row the year before is the latest outcome period strictly earlier
    than the target's (periods compare as strings: "2024/25" < "2025/26", "2023" < "2024") with
    a non-null value. A target below it (above it, for lower is better) is flagged; an equal
    target is not. Sorted by indicator, shortfall (largest first), school code, target period.
    ``outcomes`` are the all-pupils rows (gender ""); other genders are refused.
    """
    _require(targets, _TARGET_COLUMNS, "targets")
    _require(outcomes, _OUTCOME_COLUMNS, "outcomes")
    if "gender" in outcomes.columns and outcomes.filter(pl.col("gender") != "").height:
        raise ValueError('outcomes: pass the all-pupils rows only (gender "")')
    keys = ["school_unit_code", "indicator", "period"]
    dupes = outcomes.filter(pl.struct(keys).is_duplicated())
    if dupes.height:
        row = dupes.row(0, named=True)
        raise ValueError(
            f"outcomes: more than one row for school {row['school_unit_code']}, "
            f"indicator {row['indicator']}, period {row['period']}"
        )
    t = targets.select(
        pl.col("school_unit_code").cast(pl.String),
        pl.col("indicator").cast(pl.String),
        pl.col("period").cast(pl.String),
        pl.col("target").cast(pl.Float64).fill_nan(None),
    ).filter(pl.all_horizontal(pl.all().is_not_null()))
    unknown = sorted(set(t["indicator"].unique().to_list()) - set(directions))
    if unknown:
        raise ValueError(f"no direction given for indicator(s) {', '.join(unknown)}")
    bad = {k: d for k, d in directions.items() if d not in _DIRECTIONS}
    if bad:
        k, d = next(iter(bad.items()))
        raise ValueError(f"direction of {k!r} must be 'higher' or 'lower', not {d!r}")
    o = outcomes.select(
        pl.col("school_unit_code").cast(pl.String),
        pl.col("indicator").cast(pl.String),
        pl.col("period").cast(pl.String).alias("last_period"),
        pl.col("value").cast(pl.Float64).fill_nan(None).alias("last_outcome"),
        pl.col("expected").cast(pl.Float64).fill_nan(None),
    ).filter(pl.col("last_outcome").is_not_null() & pl.col("last_period").is_not_null())
    higher = pl.DataFrame(
        {"indicator": list(directions), "_higher": [d == "higher" for d in directions.values()]},
        schema={"indicator": pl.String, "_higher": pl.Boolean},
    )
    before = (
        t.with_row_index("_row")
        .join(o, on=["school_unit_code", "indicator"], how="inner")
        .filter(pl.col("last_period") < pl.col("period"))
        .filter(pl.col("last_period") == pl.col("last_period").max().over("_row"))
        .join(higher, on="indicator", how="left")
        .with_columns(
            pl.when(pl.col("_higher"))
            .then(pl.col("last_outcome") - pl.col("target"))
            .otherwise(pl.col("target") - pl.col("last_outcome"))
            .alias("shortfall")
        )
    )
    flagged = before.filter(
        pl.col("shortfall")
        > TOLERANCE * pl.max_horizontal(pl.lit(1.0), pl.col("last_outcome").abs())
    ).sort(
        ["indicator", "shortfall", "school_unit_code", "period"],
        descending=[False, True, False, False],
    )
    return [
        AmbitionFlag(
            school_unit_code=r["school_unit_code"],
            indicator=r["indicator"],
            target=r["target"],
            last_outcome=r["last_outcome"],
            last_period=r["last_period"],
            expected=r["expected"],
            shortfall=r["shortfall"],
            target_period=r["period"],
        )
        for r in flagged.iter_rows(named=True)
    ]


_SCHOOL_YEAR = re.compile(r"([0-9]{4})/([0-9]{2})")
_TERTIAL = re.compile(r"([0-9]{4}) T([1-3])")
_YEAR = re.compile(r"[0-9]{4}")
#: Second element of a whole year's key: after its tertials T1–T3.
WHOLE_YEAR = 9


def period_sort_key(period: str) -> tuple[int, int]:
    """A key that puts periods in time order, tertials before their whole year.

    Why not string order alone: it would put "2024" before "2024 T1", while a report lists
    T1, T2, then the year's outcome. "2024 T1" → (2024, 1), "2024 T2" → (2024, 2), "2024" →
    (2024, 9), school year "2024/25" → (2024, 9). Anything else raises ValueError.
    """
    if m := _SCHOOL_YEAR.fullmatch(period):
        start, end = int(m.group(1)), int(m.group(2))
        if end != (start + 1) % 100:
            raise ValueError(f"school year {period!r} must span two consecutive years")
        return (start, WHOLE_YEAR)
    if m := _TERTIAL.fullmatch(period):
        return (int(m.group(1)), int(m.group(2)))
    if _YEAR.fullmatch(period):
        return (int(period), WHOLE_YEAR)
    raise ValueError(
        f"unknown period {period!r}: expected 'YYYY', 'YYYY/YY' or 'YYYY T1'–'YYYY T3'"
    )
