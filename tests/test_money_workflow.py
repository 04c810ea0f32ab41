"""The money question without Django (likvard.workflows.money): socioeconomic money per pupil
from statement lines, against value added; the city's correlation and quartiles; small groups
left out. Also end to end on a municipality that is neither Stockholm nor the demo: Småby's own
model (examples/small-municipality) on a register of municipality 9002 with background and
year-9 results, allocated and fitted for 2022–2024 with the workflows the CLI and web use."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from likvard.engine.allocation import Statement, StatementLine
from likvard.workflows.money import (
    LINES_SCHEMA,
    VALUE_ADDED_SCHEMA,
    lines_frame,
    money_and_results,
    money_per_pupil,
    value_added_frame,
)

ROOT = Path(__file__).resolve().parents[1]
SMABY_MODEL = ROOT / "examples" / "small-municipality" / "model"


def _line(component: str, amount_ore: int) -> StatementLine:
    return StatementLine(
        component=component,
        label=component,
        line="x",
        quantity=None,
        rate_ore=None,
        amount_ore=amount_ore,
        template="",
        detail=None,
    )


def _statement(code: str, pupils: int, lines: list[StatementLine]) -> Statement:
    return Statement(
        code,
        f"Skola {code}",
        "municipal",
        "9002",
        None,
        None,
        True,
        pupils,
        None,
        None,
        None,
        tuple(lines),
    )


def test_money_per_pupil_is_the_components_lines_over_the_pupils_in_whole_ore():
    statements = {
        2023: [
            _statement(
                "10000001",
                3,
                [
                    _line("standard_amount", 9_000_000),
                    _line("socioeconomic", 1_000_000),
                    _line("socioeconomic", 1),
                ],
            ),
            # not covered by the component
            _statement("10000002", 7, [_line("standard_amount", 5_000_000)]),
        ],
        2024: [
            _statement(
                "10000001",
                4,
                [
                    _line("socioeconomic", 1_000_003),
                    _line("gy_socioeconomic", 4),
                    _line("state_grant_socioeconomic", 500),
                ],
            )
        ],
    }
    money = money_per_pupil(lines_frame(statements))
    assert money.rows() == [
        (2023, "10000001", 3, 1_000_001, 333_333),
        (2024, "10000001", 4, 1_000_007, 250_001),
    ]
    # öre as integers, floor division as a statement's per-pupil figure
    assert money.schema["per_pupil_ore"] == pl.Int64
    with_state = money_per_pupil(
        lines_frame(statements), ("socioeconomic", "gy_socioeconomic", "state_grant_socioeconomic")
    )
    assert with_state.filter(pl.col("year") == 2024)["socioeconomic_ore"].item() == 1_000_507


def _tables(
    rng: np.random.Generator, n: int = 23, years: tuple[int, ...] = (2023, 2024)
) -> tuple[pl.DataFrame, pl.DataFrame]:
    lines, va = [], []
    for y in years:
        for i in range(n):
            code = f"{20000000 + i}"
            pupils = int(rng.integers(100, 600))
            lines.append(
                (
                    y,
                    code,
                    pupils,
                    "socioeconomic",
                    int(rng.integers(1, 40_000)) * pupils + int(rng.integers(0, pupils)),
                )
            )
            va.append(
                (
                    y,
                    code,
                    "merit_value",
                    6 if i % 10 == 3 else int(rng.integers(10, 90)),
                    False,
                    float(rng.normal(0, 15)),
                )
            )
            va.append((y, code, "eligible_vocational", 50, False, float(rng.normal(0, 0.05))))
    return pl.DataFrame(lines, schema=LINES_SCHEMA, orient="row"), pl.DataFrame(
        va, schema=VALUE_ADDED_SCHEMA, orient="row"
    )


def test_the_correlation_is_numpys_and_the_quartiles_are_pupil_weighted_means_of_ranked_quarters():
    lines, va = _tables(np.random.default_rng(4))
    found = money_and_results(lines, va)
    for summary in found.years:
        money = {
            c: int(m)
            for c, m in money_per_pupil(lines)
            .filter(pl.col("year") == summary.year)
            .select("school_unit_code", "per_pupil_ore")
            .rows()
        }
        shown = {
            c: (v, p)
            for _, c, _, p, _, v in va.filter(
                (pl.col("year") == summary.year)
                & (pl.col("outcome") == "merit_value")
                & (pl.col("pupils") >= 10)
            ).rows()
        }
        both = sorted(set(money) & set(shown))
        assert summary.n == len(both) < 23  # the schools with under 10 year-9 pupils are out
        assert summary.correlation == pytest.approx(
            np.corrcoef([money[c] for c in both], [shown[c][0] for c in both])[0, 1], abs=1e-12
        )
        ranked = sorted(both, key=lambda c: (money[c], c))
        n = len(ranked)
        for q in summary.quartiles:
            members = ranked[math.ceil((q.quartile - 1) * n / 4) : math.ceil(q.quartile * n / 4)]
            by_hand = sum(shown[c][0] * shown[c][1] for c in members) / sum(
                shown[c][1] for c in members
            )
            assert q.mean_value_added == pytest.approx(by_hand, abs=1e-9)
            assert q.spread == pytest.approx(
                float(np.std([shown[c][0] for c in members], ddof=1)), abs=1e-9
            )
            assert q.pupils == sum(shown[c][1] for c in members) and not q.suppressed
    change = found.years[1].change
    assert found.years[0].change is None and change is not None and change.year == 2024
    before, now = (
        {s.school_unit_code: s for s in found.schools if s.year == y and s.compared}
        for y in (2023, 2024)
    )
    common = sorted(set(before) & set(now))
    dm = [now[c].per_pupil_ore - before[c].per_pupil_ore for c in common]
    dv = [now[c].value_added - before[c].value_added for c in common]
    assert change.n == len(common) and change.correlation == pytest.approx(
        np.corrcoef(dm, dv)[0, 1], abs=1e-12
    )


def test_a_small_year_9_is_suppressed_and_too_few_schools_give_no_correlation_or_quartiles():
    lines = pl.DataFrame(
        [
            (2024, "30000001", 100, "socioeconomic", 1_000_000),
            (2024, "30000002", 100, "socioeconomic", 2_000_000),
            (2024, "30000003", 100, "socioeconomic", 3_000_000),
        ],
        schema=LINES_SCHEMA,
        orient="row",
    )
    va = pl.DataFrame(
        [
            (2024, "30000001", "merit_value", 9, False, 40.0),
            (2024, "30000002", "merit_value", 30, False, -2.0),
            (2024, "30000003", "merit_value", 25, False, 1.0),
        ],
        schema=VALUE_ADDED_SCHEMA,
        orient="row",
    )
    found = money_and_results(lines, va)
    small = found.school("30000001")[0]
    assert (
        small.suppressed
        and small.value_added is None
        and small.result_pupils is None
        and small.per_pupil_ore == 10_000
    )
    (summary,) = found.years
    # 2 schools: nothing to correlate
    assert summary.n == 2 and summary.correlation is None and summary.quartiles == ()
    # four schools of 10+ pupils: one per quartile, in order of money per pupil
    four = pl.concat(
        [
            lines,
            pl.DataFrame(
                [(2024, "30000004", 100, "socioeconomic", 4_000_000)],
                schema=LINES_SCHEMA,
                orient="row",
            ),
        ]
    )
    va4 = pl.concat(
        [
            va,
            pl.DataFrame(
                [(2024, "30000004", "merit_value", 40, False, 3.0)],
                schema=VALUE_ADDED_SCHEMA,
                orient="row",
            ),
        ]
    ).with_columns(pl.lit(50).alias("pupils"))
    quartiles = money_and_results(four, va4).years[0].quartiles
    assert [(q.schools, q.lowest_ore, q.mean_value_added, q.spread) for q in quartiles] == [
        (1, 10_000, 40.0, None),
        (1, 20_000, -2.0, None),
        (1, 30_000, 1.0, None),
        (1, 40_000, 3.0, None),
    ]
    # a school flagged suppressed by the estimates is out whatever its size
    hidden = money_and_results(
        four, va4.with_columns((pl.col("school_unit_code") == "30000004").alias("suppressed"))
    )
    assert hidden.years[0].n == 3 and hidden.school("30000004")[0].value_added is None


# -- a municipality that is not Stockholm and not the demo --------------------------------


def _with_background_and_results(pupils: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Background for every pupil and year-9 results that fall with disadvantage (synthetic,
    deterministic): what a municipality's own register carries (docs/formats.md)."""
    rng = np.random.default_rng(seed)
    n = pupils.height
    school_need = {
        c: rng.gamma(2.0, 0.5) for c in pupils["school_unit_code"].unique().sort().to_list()
    }
    need = np.array([school_need[c] for c in pupils["school_unit_code"].to_list()]) + rng.normal(
        0, 0.5, n
    )
    low_edu = rng.random(n) < 1 / (1 + np.exp(1.5 - need))
    assistance = rng.random(n) < 1 / (1 + np.exp(2.5 - need))
    single = rng.random(n) < 0.2
    decile = np.clip(np.round(7 - 2 * need + rng.normal(0, 1.5, n)), 1, 10).astype(np.int8)
    abroad = rng.random(n) < 1 / (1 + np.exp(2.0 - need))
    arrival = np.where(abroad, 2024 - rng.integers(1, 12, n), -1)
    grade9 = (pupils["grade"] == "9").to_numpy() & (pupils["school_form"] == "gr").to_numpy()
    merit = np.clip(250 - 25 * need - 20 * low_edu - 15 * assistance + rng.normal(0, 35, n), 0, 340)
    eligible = rng.random(n) < 1 / (1 + np.exp(-(3.0 - 0.8 * need - 0.8 * low_edu)))
    nine = pl.Series(grade9)
    return pupils.with_columns(
        pl.when(pl.Series(arrival) > 0)
        .then(pl.Series(arrival))
        .otherwise(None)
        .cast(pl.Int32)
        .alias("arrival_year"),
        pl.Series("guardian_education", np.where(low_edu, 0, rng.integers(1, 3, n)), dtype=pl.Int8),
        pl.Series("economic_assistance", assistance),
        pl.Series("single_guardian", single),
        pl.Series("guardian_income_decile", decile, dtype=pl.Int8),
        pl.Series(
            "residential_area", [f"9002{int(x) % 8:02d}" for x in need * 10], dtype=pl.String
        ),
        pl.when(nine).then(pl.Series(np.round(merit * 2) / 2)).otherwise(None).alias("merit_value"),
        pl.when(nine).then(pl.Series(eligible)).otherwise(None).alias("eligible_vocational"),
    )


@pytest.fixture(scope="module")
def smaby():
    """Småby (9002): its own model, a register of 30 schools over 2022–2024, each year
    allocated (imported index, as Småby does) and its results fitted."""
    from likvard.data.synthetic_register import make_register
    from likvard.engine.allocation import PUPIL_SCHEMA, conform
    from likvard.workflows import allocate, fit_year, load_model

    model = load_model(SMABY_MODEL)
    assert model.municipality == "9002" and model.id == "smaby-2024"
    full = make_register(14_000, 34, seed=21, municipality="9002")
    schools = full.schools.filter(~pl.col("school_forms").str.contains("gy"))
    pupils = full.pupils.filter(
        pl.col("school_unit_code").is_in(schools["school_unit_code"].implode())
        & pl.col("school_form").is_in(["gr", "gran"])
    )
    pupils = conform(_with_background_and_results(pupils, 21), PUPIL_SCHEMA)
    inputs = dataclasses.replace(
        full,
        schools=schools,
        pupils=pupils,
        index=full.index.filter(
            pl.col("school_unit_code").is_in(schools["school_unit_code"].implode())
        ),
        rsu_groups=full.rsu_groups.head(0),
    )
    years = (2022, 2023, 2024)
    statements = {y: allocate(model, inputs, y).result.statements() for y in years}
    results = [fit_year(inputs.pupils, y, model.municipality) for y in years]
    return statements, results


def test_on_another_municipalitys_own_data_the_figures_rest_on_its_statements_and_fits(smaby):
    statements, results = smaby
    lines, va = lines_frame(statements), value_added_frame(results)
    found = money_and_results(lines, va)
    assert [y.year for y in found.years] == [2022, 2023, 2024]
    st = next(s for s in statements[2024] if any(ln.component == "socioeconomic" for ln in s.lines))
    socio = sum(ln.amount_ore for ln in st.lines if ln.component == "socioeconomic")
    row = next(s for s in found.school(st.school_unit_code) if s.year == 2024)
    assert row.socioeconomic_ore == socio and row.per_pupil_ore == socio // st.pupils
    table = results[-1].expected.table.filter(
        (pl.col("outcome") == "merit_value") & ~pl.col("suppressed")
    )
    shown = dict(table.select("school_unit_code", "value_added").rows())
    money = {
        s.school_unit_code: sum(ln.amount_ore for ln in s.lines if ln.component == "socioeconomic")
        // s.pupils
        for s in statements[2024]
        if any(ln.component == "socioeconomic" for ln in s.lines)
    }
    both = sorted(set(shown) & set(money))
    summary = found.years[-1]
    assert summary.n == len(both) >= 12
    assert summary.correlation == pytest.approx(
        np.corrcoef([money[c] for c in both], [shown[c] for c in both])[0, 1], abs=1e-12
    )
    assert len(summary.quartiles) == 4 and sum(q.schools for q in summary.quartiles) == summary.n
    hidden = (
        results[-1]
        .expected.table.filter((pl.col("outcome") == "merit_value") & pl.col("suppressed"))[
            "school_unit_code"
        ]
        .to_list()
    )
    assert all(s.value_added is None for c in hidden for s in found.school(c) if s.year == 2024)
    assert "r = " in found.summary() and found.to_dict()["years"][-1]["n"] == summary.n


def test_the_socioeconomic_money_is_found_by_kind_in_any_municipalitys_model():
    """Not Stockholm's component ids: the index and merit-value pots the municipality funds."""
    from pathlib import Path

    from likvard.engine.allocation import load_model
    from likvard.workflows.money import socioeconomic_components

    root = Path(__file__).resolve().parents[1]

    def found(directory: str) -> tuple[str, ...]:
        model = load_model(root / directory)
        return socioeconomic_components({"id": c.id, "kind": c.kind, "funding": c.funding} for c in model.components)

    assert found("models/stockholm-2024") == ("socioeconomic", "gy_socioeconomic", "gy_structural_supplement")  # not the state's grant
    assert found("examples/small-municipality/model") == ("socioeconomic",)
    assert found("examples/england-nff/model") == ()  # the NFF has no such pot: the section shows no money
