"""Exact money: parsing, formatting and apportionment."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from likvard.money import (
    MoneyError,
    apportion,
    format_ore,
    format_percent,
    parse_money,
    parse_share,
    scale_ore,
)


@pytest.mark.parametrize(
    ("text", "ore"),
    [
        ("1 500,2 mnkr", 150_020_000_000),
        ("11 486 kr", 1_148_600),
        ("147,0 tkr", 14_700_000),
        ("2000", 200_000),
        ("2\u00a0000 kr", 200_000),
        ("1500.2 mnkr", 150_020_000_000),
        ("0,5 mnkr", 50_000_000),
        ("80,1 tkr", 8_010_000),
        ("12,34 kr", 1_234),
        ("−5 kr", -500),
        ("401 mnkr", 40_100_000_000),
    ],
)
def test_parse_money_reads_swedish_and_plain_notation(text, ore):
    assert parse_money(text) == ore


@pytest.mark.parametrize("bad", ["12,345 kr", "1,234567 tkr", "abc", "12 kr kr", "", "1.2.3", "NaN"])
def test_parse_money_rejects_inexact_or_malformed_amounts(bad):
    with pytest.raises(MoneyError):
        parse_money(bad)


def test_parse_money_rejects_binary_floats():
    with pytest.raises(MoneyError):
        parse_money(0.1)  # type: ignore[arg-type]


def test_parse_share_reads_percent_and_fraction():
    assert parse_share("71 %") == Decimal("0.71")
    assert parse_share("86,8 %") == Decimal("0.868")
    assert parse_share("0,25") == Decimal("0.25")


def test_format_ore_uses_swedish_grouping_and_decimal_comma():
    assert format_ore(1_148_650) == "11\u00a0486,50\u00a0kr"
    assert format_ore(150_020_000_000) == "1\u00a0500\u00a0200\u00a0000\u00a0kr"
    assert format_ore(-50) == "\u22120,50\u00a0kr"  # typographic minus


def test_format_percent_drops_trailing_zeros():
    assert format_percent(Decimal("0.71")) == "71\u00a0%"
    assert format_percent(Decimal("0.868")) == "86,8\u00a0%"
    assert format_percent(Decimal("0.0600")) == "6\u00a0%"


def test_scale_ore_rounds_half_to_even():
    assert scale_ore(24_400_000, Decimal("0.06")) == 1_464_000  # 244 000 kr → 14 640 kr VAT
    assert scale_ore(50, Decimal("0.5")) == 25
    assert scale_ore(5, Decimal("0.5")) == 2  # 2.5 → 2 (even)
    assert scale_ore(7, Decimal("0.5")) == 4  # 3.5 → 4 (even)


def test_vat_on_resource_school_amount_matches_the_plan():
    # L3676–3678: 244 000 kr ex VAT is 258 640 kr with 6 % VAT compensation
    base = parse_money("244 000 kr")
    assert base + scale_ore(base, parse_share("6 %")) == parse_money("258 640 kr")


@given(st.integers(0, 10**13), st.lists(st.integers(0, 10**9), min_size=1, max_size=60))
def test_apportion_parts_always_sum_to_the_pot(pot, weights):
    if sum(weights) == 0:
        weights = [*weights[:-1], 1]
    parts = apportion(pot, weights)
    assert sum(parts) == pot
    total = sum(weights)
    for p, w in zip(parts, weights, strict=True):
        exact = pot * w / total
        assert abs(p - exact) < 1 + 1e-6 * exact  # each part within one öre of its quota
        if w == 0:
            assert p == 0


def test_apportion_tie_break_is_documented_larger_weight_then_position():
    # 10 öre over three equal weights: quotas 3.33 each; the one öre left goes to position 0
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    # equal remainders, equal weights: the earlier position wins
    assert apportion(3, [1, 2, 1, 2]) == [1, 1, 0, 1]
    # equal remainders (0.5 each): the larger weight wins before position
    assert apportion(2, [1, 3]) == [0, 2]


def test_apportion_rejects_impossible_pots():
    with pytest.raises(MoneyError):
        apportion(100, [0, 0])
    with pytest.raises(MoneyError):
        apportion(-1, [1])


@given(st.integers(-(10**12), 10**12), st.sampled_from(["0.06", "0.25", "0.29", "0.5", "0.868", "1", "0.0001"]))
def test_columnar_scaling_matches_scale_ore_exactly(ore, factor):
    import polars as pl

    from likvard.engine.allocation.kinds.base import scale_ore_expr

    out = pl.select(scale_ore_expr(pl.lit(ore, dtype=pl.Int64), Decimal(factor))).item()
    assert out == scale_ore(ore, Decimal(factor))


@given(
    pot=st.one_of(st.integers(0, 10**6), st.integers(0, 10**13), st.integers(0, 2**61)),
    weights=st.lists(st.one_of(st.integers(0, 1000), st.integers(0, 2**34), st.integers(0, 2**40)), min_size=1, max_size=60),
)
@settings(max_examples=400, deadline=None, derandomize=True)
def test_the_engines_array_apportionment_gives_the_same_parts_as_apportion(pot, weights):
    """``apportion_array`` (NumPy, in int64 where the products fit and in 17-bit halves where
    they do not) must give ``money.apportion``'s parts to the öre, tie-break included."""
    import numpy as np

    from likvard.engine.allocation.kinds.base import apportion_array

    if sum(weights) == 0:
        return
    assert apportion_array(pot, np.array(weights, dtype=np.int64)).tolist() == apportion(pot, weights)


def test_the_array_apportionment_of_a_national_index_pot_takes_the_halves_path_exactly():
    """15 002 mnkr over 5 000 schools' index-weighted pupils (n × index × 10 000): pot × weight
    overflows 63 bits, so the parts come from the 17-bit halves; they equal the exact ones."""
    import numpy as np

    from likvard.engine.allocation.kinds.base import apportion_array

    rng = np.random.default_rng(3)
    weights = rng.integers(5, 1500, 5000) * rng.integers(400_000, 2_500_000, 5000)
    pot = 1_500_200_000_000
    assert pot * int(weights.max()) >= 2**62 and int(weights.sum()) < 2**45
    parts = apportion_array(pot, weights)
    assert parts.tolist() == apportion(pot, weights.tolist()) and int(parts.sum()) == pot
