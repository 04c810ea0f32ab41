"""Goal follow-up engine: status, trend, aggregation, suppression, ambition check, periods."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from likvard.engine.indicators import (
    Aggregate,
    AmbitionFlag,
    Status,
    Trend,
    TrendResult,
    aggregate,
    ambition_flags,
    period_sort_key,
    status,
    suppress,
    trend,
    weighted_mean,
)

# ---------------------------------------------------------------------------------- status


def test_status_values_are_the_stored_strings() -> None:
    assert [s.value for s in Status] == ["met", "partly_met", "not_met", "no_data", "no_target"]
    assert Status.MET == "met"
    assert [t.value for t in Trend] == ["improving", "stable", "worsening", "too_short"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (260.0, Status.MET),
        (252.0, Status.MET),
        (252 - 1e-10, Status.MET),  # within the 1e-9 tolerance
        (252 - 1e-6, Status.PARTLY_MET),
        (245.0, Status.PARTLY_MET),
        (239.4, Status.PARTLY_MET),  # exactly 5 % below 252
        (239.39, Status.NOT_MET),  # slightly more than 5 % below
        (0.0, Status.NOT_MET),
    ],
)
def test_status_higher_is_better_thresholds(value: float, expected: Status) -> None:
    assert status(value, 252, "higher") is expected


def test_status_integer_target_against_float_value_is_met() -> None:
    assert status(252.0, 252, "higher") is Status.MET
    assert status(0.1 + 0.2, 0.3, "higher") is Status.MET  # 0.30000000000000004
    assert status(0.1 + 0.2, 0.3, "lower") is Status.MET


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3.0, Status.MET),
        (5.0, Status.MET),
        (5.2, Status.PARTLY_MET),
        (5.25, Status.PARTLY_MET),  # exactly 5 % above 5
        (5.26, Status.NOT_MET),
        (9.0, Status.NOT_MET),
    ],
)
def test_status_lower_is_better_thresholds(value: float, expected: Status) -> None:
    assert status(value, 5.0, "lower") is expected


def test_status_lower_with_target_zero_cannot_be_partly_met() -> None:
    assert status(0.0, 0.0, "lower") is Status.MET
    assert status(-1.0, 0.0, "lower") is Status.MET
    assert status(1e-6, 0.0, "lower") is Status.NOT_MET
    assert status(1e-6, 0.0, "lower", partly_within=0.5) is Status.NOT_MET


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, Status.MET),
        (0.4, Status.MET),
        (1.0, Status.MET),
        (-1.0, Status.MET),
        (1.03, Status.PARTLY_MET),
        (1.05, Status.PARTLY_MET),
        (-1.05, Status.PARTLY_MET),
        (1.06, Status.NOT_MET),
        (-1.06, Status.NOT_MET),
        (-3.0, Status.NOT_MET),
    ],
)
def test_status_plus_minus_band(value: float, expected: Status) -> None:
    assert status(value, 1.0, "lower", plus_minus=True) is expected
    # direction does not matter for a band
    assert status(value, 1.0, "higher", plus_minus=True) is expected


def test_status_missing_value_or_target() -> None:
    assert status(None, 252, "higher") is Status.NO_DATA
    assert status(None, None, "higher") is Status.NO_DATA  # no data comes first
    assert status(float("nan"), 252, "higher") is Status.NO_DATA
    assert status(250.0, None, "higher") is Status.NO_TARGET
    assert status(250.0, float("nan"), "lower") is Status.NO_TARGET


def test_status_partly_within_is_a_parameter() -> None:
    assert status(230.0, 252, "higher") is Status.NOT_MET
    assert status(230.0, 252, "higher", partly_within=0.10) is Status.PARTLY_MET
    assert status(226.8, 252, "higher", partly_within=0.10) is Status.PARTLY_MET  # exactly 10 %
    assert status(226.7, 252, "higher", partly_within=0.10) is Status.NOT_MET
    assert status(251.0, 252, "higher", partly_within=0.0) is Status.NOT_MET


def test_status_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="'up'"):
        status(1.0, 2.0, "up")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="partly_within"):
        status(1.0, 2.0, "higher", partly_within=-0.1)
    with pytest.raises(ValueError, match="band"):
        status(1.0, -1.0, "lower", plus_minus=True)


RANK = {Status.NOT_MET: 0, Status.PARTLY_MET: 1, Status.MET: 2}
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(v=finite, w=finite, t=finite, p=st.floats(min_value=0, max_value=0.5))
def test_status_is_monotone_in_the_value(v: float, w: float, t: float, p: float) -> None:
    lo, hi = sorted((v, w))
    assert (
        RANK[status(lo, t, "higher", partly_within=p)]
        <= RANK[status(hi, t, "higher", partly_within=p)]
    )
    assert (
        RANK[status(lo, t, "lower", partly_within=p)]
        >= RANK[status(hi, t, "lower", partly_within=p)]
    )
    if status(lo, t, "higher", partly_within=p) is Status.MET:
        assert status(hi, t, "higher", partly_within=p) is Status.MET


@given(v=finite, t=finite, p=st.floats(min_value=0, max_value=0.5))
def test_status_lower_is_the_mirror_of_higher(v: float, t: float, p: float) -> None:
    assert status(v, t, "higher", partly_within=p) is status(-v, -t, "lower", partly_within=p)


@given(v=finite, t=st.floats(min_value=0, max_value=1e6), p=st.floats(min_value=0, max_value=0.5))
def test_status_plus_minus_is_symmetric_and_monotone_in_the_deviation(
    v: float, t: float, p: float
) -> None:
    s = status(v, t, "lower", plus_minus=True, partly_within=p)
    assert s is status(-v, t, "lower", plus_minus=True, partly_within=p)
    assert RANK[status(v / 2, t, "lower", plus_minus=True, partly_within=p)] >= RANK[s]


# ----------------------------------------------------------------------------------- trend


def test_trend_slope_matches_numpy_polyfit_with_gaps_kept_in_place() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(3, 12))
        ys = rng.normal(240, 15, n)
        values: list[float | None] = [float(y) for y in ys]
        gaps = rng.choice(n, size=int(rng.integers(0, n - 2)), replace=False)
        for g in gaps:
            values[int(g)] = None
        x = np.array([i for i, v in enumerate(values) if v is not None], dtype=float)
        y = np.array([v for v in values if v is not None])
        result = trend(values, "higher")
        assert result.slope == pytest.approx(np.polyfit(x, y, 1)[0], abs=1e-9, rel=1e-9)
        assert result.periods == len(x)


def test_trend_gap_is_not_renumbered() -> None:
    # positions 0, 2, 3 — renumbering to 0, 1, 2 would give slope 1.5
    r = trend([1.0, None, 3.0, 4.0], "higher")
    assert r.slope == pytest.approx(np.polyfit([0, 2, 3], [1, 3, 4], 1)[0], abs=1e-12)
    assert r.slope == pytest.approx(1.0, abs=1e-12)
    assert r.periods == 3
    assert r.trend is Trend.IMPROVING


def test_trend_direction() -> None:
    assert trend([250.0, 252.0, 254.0], "higher") == TrendResult(Trend.IMPROVING, 2.0, 3)
    assert trend([250.0, 252.0, 254.0], "lower") == TrendResult(Trend.WORSENING, 2.0, 3)
    assert trend([7.0, 6.0, 5.0], "lower") == TrendResult(Trend.IMPROVING, -1.0, 3)
    assert trend([7.0, 6.0, 5.0], "higher") == TrendResult(Trend.WORSENING, -1.0, 3)


def test_trend_stable_threshold() -> None:
    # fitted change over the span 0.5 × 2 = 1.0 = exactly 1 % of the mean level 100
    assert trend([99.5, 100.0, 100.5], "higher").trend is Trend.STABLE
    assert trend([100.5, 100.0, 99.5], "higher").trend is Trend.STABLE
    # 1.2 > 1.0
    assert trend([99.4, 100.0, 100.6], "higher").trend is Trend.IMPROVING
    assert trend([100.6, 100.0, 99.4], "higher").trend is Trend.WORSENING
    assert trend([99.4, 100.0, 100.6], "higher", stable_within=0.012).trend is Trend.STABLE
    assert trend([0.0, 0.0, 0.0], "higher") == TrendResult(Trend.STABLE, 0.0, 3)


def test_trend_span_counts_gap_positions() -> None:
    # slope 0.25 over positions 0..4 → change 1.0 = 1 % of 100: stable; span is 4, not 2
    assert trend([99.5, None, 100.0, None, 100.5], "higher").trend is Trend.STABLE
    assert trend([99.4, None, 100.0, None, 100.6], "higher").trend is Trend.IMPROVING


def test_trend_too_short() -> None:
    assert trend([], "higher") == TrendResult(Trend.TOO_SHORT, None, 0)
    assert trend([None, None], "higher") == TrendResult(Trend.TOO_SHORT, None, 0)
    assert trend([5.0], "higher") == TrendResult(Trend.TOO_SHORT, None, 1)
    assert trend([5.0, None, 7.0], "higher") == TrendResult(Trend.TOO_SHORT, 1.0, 2)
    assert trend([5.0, float("nan"), 7.0, None], "lower") == TrendResult(Trend.TOO_SHORT, 1.0, 2)
    assert trend([None, None, 1.0, 2.0, 3.0], "higher") == TrendResult(Trend.IMPROVING, 1.0, 3)


def test_trend_refuses_bad_direction() -> None:
    with pytest.raises(ValueError, match="direction"):
        trend([1.0, 2.0, 3.0], "better")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- suppress


def test_suppress() -> None:
    assert suppress(240.5, 9) is None
    assert suppress(240.5, 10) == 240.5
    assert suppress(240.5, None) == 240.5
    assert suppress(240.5, 0) is None
    assert suppress(240.5, 14, min_pupils=15) is None
    assert suppress(None, 30) is None


# -------------------------------------------------------------------------- weighted mean


def test_weighted_mean_weights_by_pupils_and_counts_hidden() -> None:
    agg = weighted_mean([200.0, 250.0, None], [20, 30, 15])
    assert agg == Aggregate(230.0, 50, 2, True, 1, 0)


def test_weighted_mean_never_reveals_a_small_group() -> None:
    assert weighted_mean([300.0], [9]) == Aggregate(None, 9, 1, True, 0)
    assert weighted_mean([300.0, 200.0], [5, 5]) == Aggregate(250.0, 10, 2, True, 0)
    assert weighted_mean([300.0, 200.0], [5, 4]) == Aggregate(None, 9, 2, True, 0)
    assert weighted_mean([300.0, None], [5, 40]) == Aggregate(None, 5, 1, True, 1)
    assert weighted_mean([], []) == Aggregate(None, 0, 0, False, 0)


def test_weighted_mean_without_weights_is_the_plain_mean() -> None:
    assert weighted_mean([200.0, 250.0, None], [None, None, None]) == Aggregate(
        225.0, 0, 2, False, 1
    )
    assert weighted_mean([None], [None]) == Aggregate(None, 0, 0, False, 1)


def test_weighted_mean_leaves_out_values_without_a_positive_weight() -> None:
    assert weighted_mean([200.0, 250.0], [20, None]) == Aggregate(200.0, 20, 1, True, 0, 1)
    assert weighted_mean([200.0, 250.0], [20, 0]) == Aggregate(200.0, 20, 1, True, 0, 1)
    assert weighted_mean([None, 250.0], [20, None]) == Aggregate(None, 0, 0, True, 1, 1)


def test_weighted_mean_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="2 values but 1 weights"):
        weighted_mean([1.0, 2.0], [10])
    with pytest.raises(ValueError, match="negative"):
        weighted_mean([1.0, 2.0], [10, -3])


def random_frame() -> pl.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    area = rng.choice(["Norr", "Söder", "Väster", "Öster"], n)
    gender = rng.choice(["", "flickor", "pojkar"], n)
    value = rng.normal(230, 25, n)
    pupils = rng.integers(0, 80, n).astype(float)
    value_null = rng.random(n) < 0.15
    pupils_null = rng.random(n) < 0.1
    frame = pl.DataFrame(
        {
            "area": area,
            "gender": gender,
            "value": [None if m else float(v) for v, m in zip(value, value_null)],
            "pupils": [None if m else int(p) for p, m in zip(pupils, pupils_null)],
        }
    )
    extra = pl.DataFrame(
        {
            # "Ingen vikt": every weight null → the plain mean; "Liten": 4 + 5 pupils with a
            # value (the 30 have none), too few to show
            "area": ["Ingen vikt", "Ingen vikt", "Ingen vikt", "Liten", "Liten", "Liten"],
            "gender": [""] * 6,
            "value": [210.0, None, 230.0, 250.0, 260.0, None],
            "pupils": [None, None, None, 4, 5, 30],
        },
        schema=frame.schema,
    )
    return frame.vstack(extra)


def test_aggregate_equals_weighted_mean_per_group() -> None:
    frame = random_frame()
    out = aggregate(frame, ["area", "gender"])
    assert out.columns == [
        "area",
        "gender",
        "value",
        "pupils",
        "groups",
        "weighted",
        "hidden",
        "unweighted_left_out",
    ]
    assert out.height == 4 * 3 + 2
    assert out.select("area", "gender").rows() == sorted(out.select("area", "gender").rows())
    seen = {"plain": 0, "small": 0, "left_out": 0, "hidden": 0}
    for (area, gender), part in frame.group_by(["area", "gender"]):
        expected = weighted_mean(part["value"].to_list(), part["pupils"].to_list())
        row = out.filter((pl.col("area") == area) & (pl.col("gender") == gender)).row(0, named=True)
        got = Aggregate(
            row["value"],
            row["pupils"],
            row["groups"],
            row["weighted"],
            row["hidden"],
            row["unweighted_left_out"],
        )
        if expected.value is None:
            assert got.value is None
        else:
            assert got.value == pytest.approx(expected.value, rel=1e-12)
        assert (got.pupils, got.groups, got.weighted, got.hidden, got.unweighted_left_out) == (
            expected.pupils,
            expected.groups,
            expected.weighted,
            expected.hidden,
            expected.unweighted_left_out,
        )
        seen["plain"] += not expected.weighted
        seen["small"] += expected.weighted and expected.value is None
        seen["left_out"] += expected.unweighted_left_out > 0
        seen["hidden"] += expected.hidden > 0
    # the random frame really covers every branch
    assert seen["plain"] == 1 and seen["small"] == 1
    assert seen["left_out"] >= 5 and seen["hidden"] >= 5
    small = out.filter(pl.col("area") == "Liten").row(0, named=True)
    assert (small["value"], small["pupils"], small["groups"], small["hidden"]) == (None, 9, 2, 1)
    plain = out.filter(pl.col("area") == "Ingen vikt").row(0, named=True)
    assert (plain["value"], plain["pupils"], plain["weighted"]) == (220.0, 0, False)


def test_aggregate_concrete_and_whole_frame() -> None:
    frame = pl.DataFrame(
        {
            "level": ["school", "school", "school", "school"],
            "merit": [200.0, 250.0, None, float("nan")],
            "n": [20, 30, 15, 12],
        }
    )
    out = aggregate(frame, [], value="merit", weight="n")
    assert out.rows() == [(230.0, 50, 2, True, 2, 0)]
    assert out.schema == pl.Schema(
        {
            "value": pl.Float64,
            "pupils": pl.Int64,
            "groups": pl.Int64,
            "weighted": pl.Boolean,
            "hidden": pl.Int64,
            "unweighted_left_out": pl.Int64,
        }
    )
    assert aggregate(frame, ["level"], value="merit", weight="n").rows() == [
        ("school", 230.0, 50, 2, True, 2, 0)
    ]
    tiny = pl.DataFrame(
        {"area": ["a", "a", "b", "b"], "value": [1.0, 2.0, 1.0, 2.0], "pupils": [4, 6, 4, 5]}
    )
    assert aggregate(tiny, ["area"]).rows() == [
        ("a", 1.6, 10, 2, True, 0, 0),
        ("b", None, 9, 2, True, 0, 0),
    ]


def test_aggregate_refuses_bad_input() -> None:
    frame = pl.DataFrame({"area": ["a"], "value": [1.0], "pupils": [-1]})
    with pytest.raises(ValueError, match="missing column"):
        aggregate(frame, ["school"])
    with pytest.raises(ValueError, match="negative"):
        aggregate(frame, ["area"])
    with pytest.raises(ValueError, match="output column"):
        aggregate(frame.with_columns(pl.lit(1).alias("groups")), ["groups"])


# ------------------------------------------------------------------------ ambition check


def ambition_tables() -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    targets = pl.DataFrame(
        {
            "school_unit_code": ["10000001", "10000002", "10000003", "10000004", "10000005",
                                 "10000006", "10000001", "10000002", "10000003"],
            "indicator": ["merit"] * 6 + ["sick_leave"] * 3,
            "period": ["2025/26"] * 6 + ["2025"] * 3,
            "target": [240.0, 252.0, 260.0, 230.0, 250.0, 220.0, 6.0, 4.0, 5.0],
        }
    )  # fmt: skip
    outcomes = pl.DataFrame(
        {
            "school_unit_code": [
                "10000001", "10000001",  # below last year: flagged, shortfall 10
                "10000002",  # equal: not flagged
                "10000003",  # above: not flagged
                "10000005", "10000005",  # outcome only in the target year and later
                "10000006", "10000006", "10000006",  # null last year → the one before
                "10000004",  # below last year by 5
                "10000001", "10000002", "10000003",  # sick leave (lower is better)
            ],
            "indicator": ["merit"] * 10 + ["sick_leave"] * 3,
            "period": [
                "2023/24", "2024/25",
                "2024/25",
                "2024/25",
                "2025/26", "2026/27",
                "2023/24", "2024/25", "2022/23",
                "2024/25",
                "2024", "2024", "2024",
            ],
            "value": [
                200.0, 250.0,
                252.0,
                255.0,
                240.0, 255.0,
                230.0, None, 200.0,
                235.0,
                5.5, 4.5, 5.0,
            ],
            "expected": [
                None, 245.5,
                None,
                None,
                None, None,
                228.0, 231.0, None,
                None,
                None, None, None,
            ],
        }
    )  # fmt: skip
    return targets, outcomes, {"merit": "higher", "sick_leave": "lower"}


def test_ambition_flags() -> None:
    targets, outcomes, directions = ambition_tables()
    flags = ambition_flags(targets, outcomes, directions)
    assert flags == [
        AmbitionFlag("10000001", "merit", 240.0, 250.0, "2024/25", 245.5, 10.0, "2025/26"),
        AmbitionFlag("10000006", "merit", 220.0, 230.0, "2023/24", 228.0, 10.0, "2025/26"),
        AmbitionFlag("10000004", "merit", 230.0, 235.0, "2024/25", None, 5.0, "2025/26"),
        AmbitionFlag("10000001", "sick_leave", 6.0, 5.5, "2024", None, 0.5, "2025"),
    ]


def test_ambition_flags_with_reversed_direction() -> None:
    targets, outcomes, _ = ambition_tables()
    flags = ambition_flags(targets, outcomes, {"merit": "lower", "sick_leave": "higher"})
    assert [(f.school_unit_code, f.indicator, f.shortfall) for f in flags] == [
        ("10000003", "merit", 5.0),
        ("10000002", "sick_leave", 0.5),
    ]


def test_ambition_flags_refuse_bad_input() -> None:
    targets, outcomes, directions = ambition_tables()
    with pytest.raises(ValueError, match="sick_leave"):
        ambition_flags(targets, outcomes, {"merit": "higher"})
    with pytest.raises(ValueError, match="'sideways'"):
        ambition_flags(targets, outcomes, {"merit": "higher", "sick_leave": "sideways"})
    with pytest.raises(ValueError, match="missing column"):
        ambition_flags(targets.drop("target"), outcomes, directions)
    with pytest.raises(ValueError, match="gender"):
        ambition_flags(
            targets, outcomes.with_columns(pl.lit("flickor").alias("gender")), directions
        )
    with pytest.raises(ValueError, match="more than one row for school 10000001"):
        ambition_flags(targets, outcomes.vstack(outcomes.head(1)), directions)
    assert ambition_flags(targets, outcomes.with_columns(pl.lit("").alias("gender")), directions)


# ---------------------------------------------------------------------------------- periods


def test_period_sort_key_values() -> None:
    assert period_sort_key("2024 T1") == (2024, 1)
    assert period_sort_key("2024 T2") == (2024, 2)
    assert period_sort_key("2024") == (2024, 9)
    assert period_sort_key("2024/25") == (2024, 9)
    assert period_sort_key("1999/00") == (1999, 9)


def test_period_sort_key_orders_periods() -> None:
    periods = ["2024", "2021/22", "2024 T2", "2023", "2020/21", "2024 T1", "2025 T1"]
    assert sorted(periods, key=period_sort_key) == [
        "2020/21",
        "2021/22",
        "2023",
        "2024 T1",
        "2024 T2",
        "2024",
        "2025 T1",
    ]


@pytest.mark.parametrize(
    "period", ["", "2024 ", "24/25", "2024/26", "2024-25", "2024 T4", "2024T1", "vt 2024", "٢٠٢٤"]
)
def test_period_sort_key_refuses_unknown_periods(period: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(period))):
        period_sort_key(period)


def test_module_constants_are_what_the_note_says() -> None:
    from likvard.engine import indicators

    assert indicators.MIN_PUPILS == 10
    assert indicators.TOLERANCE == 1e-9
