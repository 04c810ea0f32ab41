"""The open rule language: declared attributes, and the kinds any funder's formula is built of.
Property tests on random registers: minimum levels, floors and caps hold for every school, and
every line is exact."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from likvard.engine.allocation import (
    AllocationError,
    AllocationInput,
    ModelError,
    build_model,
    conform,
    run,
)
from likvard.engine.allocation.inputs import BASELINE_SCHEMA, PUPIL_SCHEMA, SCHOOL_SCHEMA

MODEL = {
    "id": "test", "year": 2024, "name": "Regelspråk", "municipality": "9009", "source": "test", "vat_rate": "0 %",
}
ATTRIBUTES = [
    {"name": "fsm", "type": "flag"},
    {"name": "band", "type": "band", "values": ["A", "B", "C"]},
    {"name": "phase", "of": "school", "type": "band", "values": ["primary", "secondary"]},
    {"name": "distance", "of": "school", "type": "number"},
    {"name": "area", "of": "school", "type": "band", "values": ["dear", "plain"]},
]


def _model(rates: tuple[int, int], fsm: int, band: tuple[int, int, int], lump: int, level: int, floor: str, cap: str, factor: str):
    components = [
        {"id": "basic", "kind": "per_pupil", "label": "Grund", "source": "t", "rates": [{"grades": "F-5", "amount": str(rates[0])}, {"grades": "6-9", "amount": str(rates[1])}]},
        {"id": "fsm", "kind": "per_attribute", "label": "FSM", "source": "t", "attribute": "fsm", "rates": [{"value": True, "amount": str(fsm)}]},
        {"id": "band", "kind": "per_attribute", "label": "Band", "source": "t", "attribute": "band", "rates": [{"value": v, "amount": str(a)} for v, a in zip("ABC", band, strict=True)]},
        {"id": "lump", "kind": "lump_sum", "label": "Klumpsumma", "source": "t", "amount": str(lump), "schools": {"attribute": "phase", "values": ["primary"]}},
        {"id": "sparse", "kind": "sparsity", "label": "Gles", "source": "t", "attribute": "distance", "distance": "5", "max_pupils": 60, "amount": "50000"},
        {"id": "area", "kind": "area_cost", "label": "Område", "source": "t", "attribute": "area", "factors": [{"value": "dear", "factor": factor}]},
        {"id": "minimum", "kind": "minimum_per_pupil", "label": "Miniminivå", "source": "t", "levels": [{"grades": "F-9", "amount": str(level)}]},
        {"id": "floor", "kind": "funding_floor", "label": "Golv", "source": "t", "floor": floor, "cap": cap},
    ]
    return build_model({"model.toml": {"model": MODEL, "attribute": ATTRIBUTES, "component": components}})


def _register(seed: int, n_schools: int) -> AllocationInput:
    import numpy as np

    rng = np.random.default_rng(seed)
    codes = [f"{90000000 + i:08d}" for i in range(n_schools)]
    schools = pl.DataFrame({
        "school_unit_code": codes, "name": [f"Skola {c}" for c in codes], "operator": "municipal", "municipality_code": "9009", "school_forms": "gr",
        "attr_phase": rng.choice(["primary", "secondary"], n_schools), "attr_distance": [f"{d:.1f}" for d in rng.uniform(0, 10, n_schools)],
        "attr_area": rng.choice(["dear", "plain"], n_schools),
    })
    size = rng.integers(5, 120, n_schools)
    rows = []
    for code, n in zip(codes, size, strict=True):
        for i in range(int(n)):
            rows.append({"year": 2024, "pupil_id": f"{code}-{i}", "school_unit_code": code, "school_form": "gr", "grade": str(rng.choice(list("F123456789"))),
                         "home_municipality": "9009", "attr_fsm": str(int(rng.random() < 0.3)), "attr_band": str(rng.choice(["A", "B", "C", ""]))})
    pupils = pl.DataFrame(rows)
    baseline = pl.DataFrame({"school_unit_code": codes, "per_pupil_ore": rng.integers(3_000_000, 9_000_000, n_schools)}, schema=BASELINE_SCHEMA)
    return AllocationInput(conform(pupils, PUPIL_SCHEMA), conform(schools, SCHOOL_SCHEMA), baseline=baseline)


def _half_even(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000), n_schools=st.integers(1, 8),
    rates=st.tuples(st.integers(20_000, 60_000), st.integers(20_000, 80_000)), fsm=st.integers(0, 5_000),
    band=st.tuples(st.integers(0, 3_000), st.integers(0, 3_000), st.integers(0, 3_000)), lump=st.integers(1, 900_000),
    level=st.integers(30_000, 90_000), floor_pct=st.integers(-20, 20), cap_extra=st.integers(0, 40), factor=st.sampled_from(["1", "1,05", "1,1337"]),
)
def test_levels_floors_and_caps_hold_for_every_school_and_every_line_is_exact(seed, n_schools, rates, fsm, band, lump, level, floor_pct, cap_extra, factor):
    floor, cap = f"{floor_pct / 10} %".replace(".", ","), f"{(floor_pct + cap_extra) / 10} %".replace(".", ",")
    model = _model(rates, fsm, band, lump, level, floor, cap, factor)
    inputs = _register(seed, n_schools)
    result = run(model, inputs)
    lines = result.lines
    baseline = dict(inputs.baseline.iter_rows())
    f, c = Decimal(floor_pct) / 1000, Decimal(floor_pct + cap_extra) / 1000
    for school in result.schools.iter_rows(named=True):
        code, n = school["school_unit_code"], school["pupils"]
        mine = lines.filter(pl.col("school_unit_code") == code)
        by = dict(mine.group_by("component").agg(pl.col("amount_ore").sum()).iter_rows())
        assert school["total_ore"] == sum(by.values())
        before_floor = sum(v for k, v in by.items() if k != "floor")
        assert before_floor >= level * 100 * n  # the minimum level holds
        low, high = _half_even(Decimal(baseline[code]) * (1 + f)) * n, _half_even(Decimal(baseline[code]) * (1 + c)) * n
        assert low <= school["total_ore"] <= high  # the floor and the cap hold
        assert school["total_ore"] == max(low, min(before_floor, high))
        pre_area = sum(v for k, v in by.items() if k in ("basic", "fsm", "band", "lump", "sparse"))
        assert by.get("area", 0) == (_half_even(Decimal(pre_area) * (Decimal(factor.replace(",", ".")) - 1)) if inputs.schools.filter(pl.col("school_unit_code") == code)["attr_area"][0] == "dear" else 0)
    per = lines.filter(pl.col("component").is_in(["basic", "fsm", "band"]))
    assert (per["amount_ore"] == (per["quantity"] * per["rate_ore"]).cast(pl.Int64)).all()


def test_an_undeclared_or_misused_attribute_is_refused_with_its_place():
    ok = _model((1, 1), 1, (1, 1, 1), 1, 1, "0 %", "1 %", "1")
    raw = {"model.toml": {"model": MODEL, "attribute": ATTRIBUTES, "component": [
        {"id": "x", "kind": "per_attribute", "label": "X", "source": "t", "attribute": "nosuch", "rates": [{"value": True, "amount": "1"}]}]}}
    with pytest.raises(ModelError, match=r"nosuch.*inte deklarerat"):
        build_model(raw)
    raw["model.toml"]["component"][0].update(attribute="band", rates=[{"value": "Z", "amount": "1"}])
    with pytest.raises(ModelError, match="'Z' är inget värde"):
        build_model(raw)
    raw["model.toml"]["component"][0].update(attribute="distance")
    with pytest.raises(ModelError, match="per_attribute läser ett attribut för pupil"):
        build_model(raw)
    assert ok.attribute("fsm").column == "attr_fsm"


def test_a_register_without_the_declared_column_or_with_a_bad_value_says_so():
    model = _model((40_000, 50_000), 1_000, (1, 2, 3), 10_000, 1, "0 %", "1 %", "1")
    inputs = _register(1, 3)
    with pytest.raises(AllocationError, match="saknar kolumnen attr_band"):
        run(model, AllocationInput(inputs.pupils.drop("attr_band"), inputs.schools, baseline=inputs.baseline))
    bad = inputs.pupils.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("Q")).otherwise(pl.col("attr_band")).alias("attr_band"))
    with pytest.raises(AllocationError, match=r"attr_band: «Q» är inget värde av band .*1 rader"):
        run(model, AllocationInput(bad, inputs.schools, baseline=inputs.baseline))


def test_the_new_kinds_explain_themselves_in_english_too():
    from pathlib import Path

    from likvard.data.register import read_dir
    from likvard.engine.allocation import load_model

    root = Path(__file__).resolve().parents[3] / "examples" / "england-nff"
    result = run(load_model(root / "model"), read_dir(root / "data"))
    texts = {ln.component: ln.explanation_in("en") for s in result.statements() for ln in s.lines}
    assert texts["lump_sum"].startswith("lump sum per school")
    assert texts["funding_guarantee"].startswith(("floor", "cap")) and "against the base year" in texts["funding_guarantee"]
    assert "minimum level" in texts["minimum_per_pupil"] and "other components" in texts["minimum_per_pupil"]
    assert texts["area_cost"].startswith("area cost: factor")
    swedish = {"klumpsumma", "golv", "miniminivå", "områdeskostnad", "basår", "glesbygdstillägg"}
    assert not any(word in text for text in texts.values() for word in swedish)


def test_share_of_pays_each_band_its_own_share_and_refuses_an_unknown_band():
    """Anpassad grundskola: 90 % of the schablon by grade (illustrative), the leisure supplement
    92,2 % (seed 000 L4222–4223); each line is pupils × a whole-öre rate."""
    components = [
        {"id": "gran", "kind": "per_pupil", "label": "Schablon", "source": "t", "school_forms": ["gran"], "operators": ["municipal"], "rates": [
            {"grades": "1-6", "amount": "420 000 kr", "label": "åk 1–6"},
            {"grades": "1-6", "leisure": "fritidshem", "amount": "95 000 kr", "label": "tillägg för fritidshem"}]},
        {"id": "share", "kind": "share_of", "label": "Andel", "source": "t", "role": "organiser", "operators": ["municipal"], "school_forms": ["gran"], "of": "gran",
         "share": "90 %", "min_share": "86,8 %", "shares": [{"band": "tillägg för fritidshem", "share": "92,2 %"}]},
    ]
    model = build_model({"model.toml": {"model": MODEL, "component": components}})
    schools = pl.DataFrame({"school_unit_code": ["90000001"], "name": ["Särskolan"], "operator": "municipal", "municipality_code": "9009", "school_forms": "gran"})
    pupils = pl.DataFrame([
        {"year": 2024, "pupil_id": f"p{i}", "school_unit_code": "90000001", "school_form": "gran", "grade": "3", "home_municipality": "9009", "leisure": "fritidshem" if i < 4 else None}
        for i in range(7)
    ])
    result = run(model, AllocationInput(conform(pupils, PUPIL_SCHEMA), conform(schools, SCHOOL_SCHEMA)))
    shares = {ln.line: (ln.quantity, ln.rate_ore, ln.amount_ore) for s in result.statements() for ln in s.lines if ln.component == "share"}
    assert shares["åk 1–6"] == (7, -4_200_000, -29_400_000)  # 10 % of 420 000 kr kept centrally
    assert shares["tillägg för fritidshem"] == (4, -741_000, -2_964_000)  # 7,8 % of 95 000 kr
    texts = {ln.line: ln.explanation for s in result.statements() for ln in s.lines if ln.component == "share"}
    assert "7,8\u00a0% av schablonen" in texts["tillägg för fritidshem"] and "10\u00a0% av schablonen" in texts["åk 1–6"]
    low = [dict(c) for c in components]
    low[1] = {**low[1], "shares": [{"band": "tillägg för fritidshem", "share": "80 %"}]}
    with pytest.raises(ModelError, match="80\u00a0% är lägre än regelns minsta andel 86,8\u00a0%"):
        build_model({"model.toml": {"model": MODEL, "component": low}})
    low[1] = {**low[1], "shares": [{"band": "åk 7–9", "share": "90 %"}]}
    with pytest.raises(AllocationError, match="har inget band 'åk 7–9'"):
        run(build_model({"model.toml": {"model": MODEL, "component": low}}), AllocationInput(conform(pupils, PUPIL_SCHEMA), conform(schools, SCHOOL_SCHEMA)))


def _gyan_register(independent: int = 5, individual: tuple[int, ...] = (1, 3), with_column: bool = True) -> AllocationInput:
    """One independent school with anpassad gymnasieskola pupils, some on an individual programme."""
    schools = pl.DataFrame({"school_unit_code": ["90000001"], "name": ["Fristående anpassad gy"], "operator": "independent", "municipality_code": "9009", "school_forms": "gyan"})
    rows = [
        {"year": 2024, "pupil_id": f"p{i}", "school_unit_code": "90000001", "school_form": "gyan", "grade": "2", "home_municipality": "9009", "attr_individual": "1" if i in individual else "0"}
        for i in range(independent)
    ]
    pupils = pl.DataFrame(rows)
    if not with_column:
        pupils = pupils.drop("attr_individual")
    return AllocationInput(conform(pupils, PUPIL_SCHEMA), conform(schools, SCHOOL_SCHEMA))


GYAN = [
    {"id": "national", "kind": "per_pupil", "label": "Nationella program", "source": "t", "school_forms": ["gyan"], "operators": ["independent"],
     "pupils": {"attribute": "individual", "values": [False]}, "rates": [{"grades": "1-3", "amount": "486 450 kr", "label": "nationellt"}]},
    {"id": "individual", "kind": "per_pupil", "label": "Individuella program", "source": "t", "school_forms": ["gyan"], "operators": ["independent"],
     "pupils": {"attribute": "individual", "values": [True]}, "rates": [{"grades": "1-3", "amount": "470 000 kr", "label": "individuellt"}]},
]


def test_per_pupil_pays_only_the_pupils_with_the_attribute_value_and_a_missing_flag_reads_as_0():
    """Seed 000 L3845–3852: independent anpassad gymnasieskola, national programmes at a price
    of their own, individual programmes at the council's schablon (illustrative amounts)."""
    attributes = [{"name": "individual", "type": "flag", "required": False}]
    model = build_model({"model.toml": {"model": MODEL, "attribute": attributes, "component": GYAN}})
    result = run(model, _gyan_register())
    paid = {(ln.component, ln.line): (ln.quantity, ln.amount_ore) for s in result.statements() for ln in s.lines}
    assert paid == {("national", "nationellt"): (3, 3 * 48_645_000), ("individual", "individuellt"): (2, 2 * 47_000_000)}
    assert result.unallocated == ()
    # a register without the column: every pupil reads as 0, as an empty cell does (national programme)
    without = run(model, _gyan_register(with_column=False))
    paid = {(ln.component, ln.line): (ln.quantity, ln.amount_ore) for s in without.statements() for ln in s.lines}
    assert paid == {("national", "nationellt"): (5, 5 * 48_645_000)} and without.unallocated == ()


def test_a_pupils_filter_is_checked_and_a_share_of_it_is_refused():
    raw = {"model.toml": {"model": MODEL, "attribute": [{"name": "individual", "type": "flag"}, {"name": "phase", "of": "school", "type": "band", "values": ["a"]}], "component": [dict(c) for c in GYAN]}}
    raw["model.toml"]["component"][0]["pupils"] = {"attribute": "phase", "values": ["a"]}
    with pytest.raises(ModelError, match=r"pupils\.attribute ska vara ett elevattribut"):
        build_model(raw)
    raw["model.toml"]["component"][0]["pupils"] = {"attribute": "individual", "values": ["2"]}
    with pytest.raises(ModelError, match="'2' är inget värde av 'individual'"):
        build_model(raw)
    raw["model.toml"]["component"][0]["pupils"] = {"attribute": "individual", "values": []}
    with pytest.raises(ModelError, match="ange vilka värden"):
        build_model(raw)
    raw["model.toml"]["component"][0]["pupils"] = {"attribute": "individual", "values": [False]}
    raw["model.toml"]["component"].append({"id": "share", "kind": "share_of", "label": "Andel", "source": "t", "role": "organiser", "of": "national", "share": "70 %"})
    with pytest.raises(ModelError, match="väljer elever efter ett attribut"):
        build_model(raw)


def test_a_school_filter_by_a_missing_flag_reads_0_and_by_a_missing_band_lists_the_pupils():
    """Seed 000 L3818–3826: other municipalities' upper-secondary schools in the county are paid
    by bilaga 5.8 a, those outside by 5.8 b. A register without the school flag pays every
    school by the county's list; a missing band (no default) leaves the pupils listed."""
    attributes = [{"name": "outside", "of": "school", "type": "flag", "required": False}, {"name": "region", "of": "school", "type": "band", "values": ["in", "out"], "required": False}]
    components = [
        {"id": "county", "kind": "per_pupil", "label": "Länets prislista", "source": "t", "operators": ["other_municipality"], "schools": {"attribute": "outside", "values": ["0"]}, "rates": [{"grades": "F-9", "amount": "100 kr"}]},
        {"id": "outside", "kind": "per_pupil", "label": "Utanför länet", "source": "t", "operators": ["other_municipality"], "schools": {"attribute": "outside", "values": ["1"]}, "rates": [{"grades": "F-9", "amount": "200 kr"}]},
    ]
    model = build_model({"model.toml": {"model": MODEL, "attribute": attributes, "component": components}})
    schools = pl.DataFrame({"school_unit_code": ["90000001", "90000002"], "name": ["Inom", "Utom"], "operator": "municipal", "municipality_code": "9010", "school_forms": "gr", "attr_outside": ["0", "1"]})
    pupils = pl.DataFrame([{"year": 2024, "pupil_id": f"p{i}", "school_unit_code": f"9000000{1 + i % 2}", "school_form": "gr", "grade": "5", "home_municipality": "9009"} for i in range(6)])
    inputs = AllocationInput(conform(pupils, PUPIL_SCHEMA), conform(schools, SCHOOL_SCHEMA))
    by = dict(run(model, inputs).lines.group_by("school_unit_code", "component").agg(pl.col("amount_ore").sum()).select(pl.concat_str("school_unit_code", "component", separator=" "), "amount_ore").iter_rows())
    assert by == {"90000001 county": 30_000, "90000002 outside": 60_000}
    without = run(model, AllocationInput(inputs.pupils, conform(schools.drop("attr_outside"), SCHOOL_SCHEMA)))
    assert set(without.lines["component"].to_list()) == {"county"} and int(without.lines["amount_ore"].sum()) == 60_000 and without.unallocated == ()
    components[0]["schools"] = {"attribute": "region", "values": ["in"]}
    banded = run(build_model({"model.toml": {"model": MODEL, "attribute": attributes, "component": components}}), AllocationInput(inputs.pupils, conform(schools.drop("attr_outside"), SCHOOL_SCHEMA)))
    left = [u for u in banded.unallocated if u.component == "county"]
    assert sorted((u.school_unit_code, u.count) for u in left) == [("90000001", 3), ("90000002", 3)]
    assert "skolregistret saknar kolumnen attr_region" in left[0].reason and "lacks the column attr_region" in left[0].reason_en


def test_the_raised_basic_amount_goes_only_to_resource_schools_meeting_the_condition():
    """Seed 000 L3682–3685: a condition of the raised basic amount is that every pupil has an
    adapted learning environment by an action programme, and the office may inspect. With the
    school flag, a school without it gets neither the amount nor the deduction; without the
    column every resource school is paid, as before."""
    attributes = [{"name": "conditions", "of": "school", "type": "flag", "required": False}]
    component = {"id": "resource", "kind": "composite", "label": "Förhöjt grundbelopp", "source": "t", "operators": ["independent"], "amount": "244 000 kr",
                 "deduction_max": "80 100 kr", "condition": "conditions", "parts": [{"label": "Strukturbidrag", "amount": "162 330 kr"}, {"label": "SU-gruppstillägg", "amount": "81 670 kr"}]}
    model = build_model({"model.toml": {"model": MODEL, "attribute": attributes, "component": [component]}})
    schools = pl.DataFrame({"school_unit_code": ["90000001", "90000002"], "name": ["Uppfyller", "Uppfyller inte"], "operator": "independent", "municipality_code": "9009",
                            "school_forms": "gr", "resource_school": [True, True], "attr_conditions": ["ja", "nej"]})
    pupils = pl.DataFrame([{"year": 2024, "pupil_id": f"p{i}", "school_unit_code": f"9000000{1 + i % 2}", "school_form": "gr", "grade": "5", "home_municipality": "9009"} for i in range(8)])
    decisions = pl.DataFrame({"year": [2024, 2024], "pupil_id": ["p0", "p1"], "kind": "individual_support", "amount_ore": [5_000_000, 5_000_000], "extensive": False})
    from likvard.engine.allocation.inputs import DECISION_SCHEMA

    inputs = AllocationInput(conform(pupils, PUPIL_SCHEMA), conform(schools, SCHOOL_SCHEMA), decisions=conform(decisions, DECISION_SCHEMA))
    by = dict(run(model, inputs).lines.group_by("school_unit_code").agg(pl.col("amount_ore").sum()).iter_rows())
    assert by == {"90000001": 4 * 24_400_000 - 5_000_000}
    without = run(model, AllocationInput(inputs.pupils, conform(schools.drop("attr_conditions"), SCHOOL_SCHEMA), decisions=inputs.decisions))
    assert dict(without.lines.group_by("school_unit_code").agg(pl.col("amount_ore").sum()).iter_rows()) == {"90000001": 4 * 24_400_000 - 5_000_000, "90000002": 4 * 24_400_000 - 5_000_000}
    wrong = {"model.toml": {"model": MODEL, "attribute": [{"name": "conditions", "type": "flag"}], "component": [component]}}
    with pytest.raises(ModelError, match="condition ska vara ett skolattribut av typen flag"):
        build_model(wrong)


def test_pupils_a_filtered_per_pupil_component_leaves_out_are_listed_as_unpaid():
    """Nothing unpaid without a word, also when the only rate for a grade is for schools of a
    type, for schools meeting a condition, or for pupils with an attribute value: the pupils
    left out are listed school by school, and none who are paid."""
    attributes = [
        {"name": "phase", "of": "school", "type": "band", "values": ["primary", "secondary"]},
        {"name": "ok", "of": "school", "type": "flag", "required": False},
        {"name": "individual", "type": "flag", "required": False},
    ]
    schools = pl.DataFrame({"school_unit_code": ["90000001", "90000002"], "name": ["Låg", "Hög"], "operator": "municipal", "municipality_code": "9009", "school_forms": "gr",
                            "attr_phase": ["primary", "secondary"], "attr_ok": ["1", "0"]})
    pupils = pl.DataFrame([{"year": 2024, "pupil_id": f"p{i}", "school_unit_code": f"9000000{1 + i % 2}", "school_form": "gr", "grade": "5", "home_municipality": "9009"} for i in range(6)])
    inputs = AllocationInput(conform(pupils, PUPIL_SCHEMA), conform(schools, SCHOOL_SCHEMA))
    basic = {"id": "basic", "kind": "per_pupil", "label": "Grund", "source": "t", "rates": [{"grades": "F-9", "amount": "100 kr"}]}

    def unpaid(component: dict, data: AllocationInput) -> list[tuple[str, int]]:
        model = build_model({"model.toml": {"model": MODEL, "attribute": attributes, "component": [component]}})
        return sorted((u.school_unit_code, u.count) for u in run(model, data).unallocated if u.kind == "pupils")

    assert unpaid(basic, inputs) == []
    assert unpaid({**basic, "schools": {"attribute": "phase", "values": ["primary"]}}, inputs) == [("90000002", 3)]
    assert unpaid({**basic, "condition": "ok"}, inputs) == [("90000002", 3)]
    assert unpaid({**basic, "condition": "ok"}, AllocationInput(inputs.pupils, conform(schools.drop("attr_ok"), SCHOOL_SCHEMA))) == []  # without the column every school
    # only national programmes priced: the two pupils on an individual programme are unpaid
    gyan = _gyan_register()
    model = build_model({"model.toml": {"model": MODEL, "attribute": [{"name": "individual", "type": "flag", "required": False}], "component": [GYAN[0]]}})
    left = [u for u in run(model, gyan).unallocated if u.kind == "pupils"]
    assert [(u.school_unit_code, u.count) for u in left] == [("90000001", 2)] and "gyan" in left[0].reason
    both = build_model({"model.toml": {"model": MODEL, "attribute": [{"name": "individual", "type": "flag", "required": False}], "component": GYAN}})
    assert run(both, gyan).unallocated == ()


def test_a_condition_holds_for_a_component_that_counts_pupils_by_attribute():
    """``condition`` is a key of every component: one paying pupils by an attribute value pays
    only at schools meeting it (and says whom it left out)."""
    attributes = [{"name": "individual", "type": "flag", "required": False}, {"name": "ok", "of": "school", "type": "flag", "required": False}]
    model = build_model({"model.toml": {"model": MODEL, "attribute": attributes, "component": [{**c, "condition": "ok"} for c in GYAN]}})
    gyan = _gyan_register()
    assert int(run(model, gyan).lines["amount_ore"].sum()) == 3 * 48_645_000 + 2 * 47_000_000  # no column: every school
    failing = AllocationInput(gyan.pupils, conform(gyan.schools.with_columns(pl.lit("0").alias("attr_ok")), SCHOOL_SCHEMA))
    result = run(model, failing)
    assert result.lines.height == 0 and [(u.school_unit_code, u.count) for u in result.unallocated] == [("90000001", 5)]
