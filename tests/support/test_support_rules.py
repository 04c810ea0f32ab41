"""The support rules, framework-free: 12 months at most (seed 001 L308–322), a renewal's
account, and a grant's parts per budget year summing to its amount to the öre."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from likvard.workflows.support import (
    Grant,
    application_problems,
    decision_problems,
    decisions_for_year,
    months,
    year_share,
)


def test_months_count_both_ends():
    assert months(dt.date(2024, 1, 15), dt.date(2024, 6, 30)) == 6
    assert months(dt.date(2024, 8, 1), dt.date(2025, 7, 31)) == 12
    assert months(dt.date(2024, 12, 31), dt.date(2025, 1, 1)) == 2


@given(
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    span=st.integers(min_value=0, max_value=11),
    amount=st.integers(min_value=1, max_value=10**10),
)
def test_the_parts_of_a_grant_sum_to_its_amount_and_follow_the_months(start, span, amount):
    end_month = start.month - 1 + span
    end = dt.date(start.year + end_month // 12, end_month % 12 + 1, 1)
    parts = {y: year_share(amount, start, end, y) for y in range(start.year - 1, end.year + 2)}
    assert sum(parts.values()) == amount
    assert parts[start.year - 1] == parts[end.year + 1] == 0
    if start.year != end.year:  # the first year's part is its months' share, floored
        first = 12 - start.month + 1
        assert parts[start.year] == amount * first // months(start, end)


def test_a_period_over_12_months_is_refused_with_its_length():
    problems = application_problems(100, dt.date(2024, 1, 1), dt.date(2025, 1, 31), need="behov", renewal=False)
    assert [f for f, _ in problems] == ["end"] and "13 månader" in problems[0][1] and "högst 12 månader" in problems[0][1]
    assert application_problems(100, dt.date(2024, 1, 1), dt.date(2024, 12, 31), need="behov", renewal=False) == []
    assert [f for f, _ in decision_problems(100, dt.date(2024, 3, 1), dt.date(2024, 1, 31))] == ["end"]
    assert [f for f, _ in decision_problems(0, dt.date(2024, 1, 1), dt.date(2024, 1, 31))] == ["amount"]


def test_a_renewal_without_both_parts_of_the_account_is_refused():
    period = (dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    fields = [f for f, _ in application_problems(100, *period, need="behov", renewal=True, use_report="  ")]
    assert fields == ["use_report", "results_report"]
    assert application_problems(100, *period, need="behov", renewal=True, use_report="assistent", results_report="når målen") == []
    assert application_problems(100, *period, need="behov", renewal=False) == []  # a first application needs none


def test_decisions_for_a_year_are_the_grants_parts_with_their_extensive_flag():
    grants = [
        Grant("1", "p-1", "1", 12_000_000, dt.date(2024, 7, 1), dt.date(2025, 6, 30), True),
        Grant("2", "p-2", "1", 5_000_000, dt.date(2025, 1, 1), dt.date(2025, 3, 31), False),
    ]
    d2024 = decisions_for_year(grants, 2024)
    assert d2024.select("pupil_id", "kind", "amount_ore", "extensive").rows() == [("p-1", "individual_support", 6_000_000, True)]
    d2025 = decisions_for_year(grants, 2025)
    assert d2025["amount_ore"].to_list() == [6_000_000, 5_000_000] and d2025["year"].to_list() == [2025, 2025]


def test_a_grant_pays_by_the_models_own_surcharge_in_another_municipality():
    """Småby's model (examples/small-municipality, municipality 9002) has no surcharge on
    extensive needs: a grant marked extensive pays its amount and nothing more there."""
    import dataclasses
    from pathlib import Path

    import polars as pl

    from likvard.data.register import read_dir
    from likvard.engine.allocation import load_model, run

    root = Path(__file__).resolve().parents[2] / "examples" / "small-municipality"
    model, inputs = load_model(root / "model"), read_dir(root / "data")
    assert model.municipality != "0180"
    pupil = inputs.pupils.filter((pl.col("year") == 2024) & (pl.col("school_form") == "gr") & (pl.col("home_municipality") == model.municipality)).sort("pupil_id").row(0, named=True)
    grant = Grant("1", pupil["pupil_id"], pupil["school_unit_code"], 4_800_000, dt.date(2024, 7, 1), dt.date(2025, 6, 30), True)
    before = run(model, inputs, 2024)
    with_grant = dataclasses.replace(inputs, decisions=pl.concat([inputs.decisions, decisions_for_year([grant], 2024)], how="vertical_relaxed"))
    after = run(model, with_grant, 2024)
    code = pupil["school_unit_code"]
    assert after.statement(code).total_ore - before.statement(code).total_ore == 2_400_000  # six of twelve months, no surcharge
    assert after.reconciled
