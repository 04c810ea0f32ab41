"""The 2024 model's last rule gaps (seed 000): independent anpassad gymnasieskola (L3845–3852),
interkommunal prices and hearing-adapted classes in upper secondary (L3818–3829), the
newcomers' supplement's two funders (L3712–3719), and the resource schools' conditions
(L3682–3685). Amounts are illustrative; the tests check who is paid by which rule."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from likvard.engine.allocation import run
from likvard.engine.allocation.result import VAT_COMPONENT
from likvard.engine.allocation.spec import planned_amount


def _components(result, code: str) -> set[str]:
    return set(result.lines.filter(pl.col("school_unit_code") == code)["component"].to_list())


def _paid(result, code: str, component: str) -> tuple[int, int]:
    lines = result.lines.filter((pl.col("school_unit_code") == code) & (pl.col("component") == component))
    return int(lines["quantity"].sum()), int(lines["amount_ore"].sum())


@pytest.fixture(scope="module")
def gyan(register):
    """The synthetic register with six resident gy pupils of an independent school moved to
    anpassad gymnasieskola, two of them on an individual programme, in needs group 2."""
    schools = register.schools.filter(pl.col("operator") == "independent").select("school_unit_code")
    year = register.pupils.filter((pl.col("year") == 2024) & (pl.col("school_form") == "gy") & (pl.col("home_municipality") == "0180")).join(schools, on="school_unit_code", how="semi")
    code = year["school_unit_code"].sort()[0]
    chosen = year.filter(pl.col("school_unit_code") == code)["pupil_id"].sort()[:6].to_list()
    moved = pl.col("pupil_id").is_in(chosen) & (pl.col("year") == 2024)
    pupils = register.pupils.with_columns(
        pl.when(moved).then(pl.lit("gyan")).otherwise(pl.col("school_form")).alias("school_form"),
        pl.when(moved).then(None).otherwise(pl.col("programme")).alias("programme"),
        pl.when(moved).then(pl.lit("2")).otherwise(None).alias("attr_needs_group"),
        pl.when(pl.col("pupil_id").is_in(chosen[:2])).then(pl.lit("1")).otherwise(pl.lit("0")).alias("attr_individual_programme"),
    )
    return code, dataclasses.replace(register, pupils=pupils)


def test_independent_anpassad_gymnasieskola_is_paid_by_programme_or_by_the_schablon(model, gyan):
    """National programmes: the programme money from own-regi costs (L3845–3850); individual
    programmes: the council's schablons (L3852); both with the needs-group supplement."""
    code, inputs = gyan
    result = run(model, inputs)
    national, individual = model.component("gyan_independent_programme_money"), model.component("gyan_independent_individual_programme")
    assert _paid(result, code, national.id) == (4, 4 * national.bands[0].amount_ore)
    assert _paid(result, code, individual.id) == (2, 2 * model.component("gyan_standard_amount").bands[0].amount_ore)
    assert individual.bands[0].amount_ore == model.component("gyan_standard_amount").bands[0].amount_ore
    assert "gyan_standard_amount" not in _components(result, code) and "gyan_pupil_money_share" not in _components(result, code)
    assert _paid(result, code, "gyan_needs_supplement")[0] == 6
    assert result.unallocated == ()
    # without the column every pupil reads as on a national programme (an empty cell is 0)
    without = run(model, dataclasses.replace(inputs, pupils=inputs.pupils.drop("attr_individual_programme")))
    assert _paid(without, code, national.id)[0] == 6 and individual.id not in _components(without, code) and without.unallocated == ()


def test_other_municipalities_upper_secondary_schools_are_paid_by_the_interkommunal_lists(model, register):
    """Bilaga 5.8 a for the county and Håbo, 5.8 b outside (L3818–3826); the hearing-adapted
    class by Storsthlm's recommendation (L3828–3829); the own list's programme money is not theirs."""
    hosts = set(register.rsu_groups["host_school_unit_code"].to_list())
    gy = register.pupils.filter((pl.col("year") == 2024) & (pl.col("school_form") == "gy") & (pl.col("home_municipality") == "0180"))
    own = register.schools.filter((pl.col("operator") == "municipal") & ~pl.col("school_unit_code").is_in(list(hosts))).join(gy.select("school_unit_code").unique(), on="school_unit_code", how="semi")
    code = own["school_unit_code"].sort()[0]
    schools = register.schools.with_columns(pl.when(pl.col("school_unit_code") == code).then(pl.lit("0184")).otherwise(pl.col("municipality_code")).alias("municipality_code"))
    n = gy.filter(pl.col("school_unit_code") == code).height
    county = run(model, dataclasses.replace(register, schools=schools))
    assert _paid(county, code, "gy_interkommunal_storsthlm")[0] == n and "programme_money" not in _components(county, code)
    assert county.unallocated == ()
    outside = schools.with_columns(pl.when(pl.col("school_unit_code") == code).then(pl.lit("1")).otherwise(pl.lit("0")).alias("attr_outside_storsthlm"))
    hearing = gy.filter(pl.col("school_unit_code") == code)["pupil_id"].sort()[:3].to_list()
    pupils = register.pupils.with_columns(pl.when(pl.col("pupil_id").is_in(hearing) & (pl.col("year") == 2024)).then(pl.lit("1")).otherwise(pl.lit("0")).alias("attr_hearing_adapted_class"))
    far = run(model, dataclasses.replace(register, schools=outside, pupils=pupils))
    assert _paid(far, code, "gy_interkommunal_outside")[0] == n and "gy_interkommunal_storsthlm" not in _components(far, code)
    supplement = model.component("gy_hearing_adapted").bands[0].amount_ore
    assert _paid(far, code, "gy_hearing_adapted") == (3, 3 * supplement)
    assert far.unallocated == ()


def test_the_newcomers_supplement_has_two_funders_in_the_plans_proportion(model):
    """About 96 mnkr, of which about 46 mnkr from the structural compensation and the rest from
    the asylum grant (L3716–3718): two components, the asylum part outside the frame."""
    frame_part, asylum = model.component("newcomer"), model.component("newcomer_asylum_grant")
    assert frame_part.budget_ore == 4_600_000_000 and asylum.budget_ore == 5_000_000_000
    assert frame_part.budget_ore + asylum.budget_ore == 9_600_000_000
    assert frame_part.amount_ore * 50 == asylum.amount_ore * 46  # the rate split as the budgets are
    assert asylum.funding == "state_grant" and frame_part.funding == "municipal" and asylum.vat and frame_part.vat
    frame = next(f for f in model.frames if f.id == "structural_compensation")
    assert "newcomer" in frame.components and asylum.id not in frame.components
    assert sum(planned_amount(model.component(c)) for c in frame.components) + sum(i.amount_ore for i in frame.central) == frame.amount_ore


def test_a_resource_school_that_does_not_meet_the_conditions_gets_no_raised_amount(model, register):
    """L3682–3685. Without the column (the synthetic register) every resource school is paid."""
    gr = register.pupils.filter((pl.col("year") == 2024) & (pl.col("school_form") == "gr")).select("school_unit_code").unique()
    independent = register.schools.filter((pl.col("operator") == "independent") & ~pl.col("resource_school")).join(gr, on="school_unit_code", how="semi")
    second = independent["school_unit_code"].sort()[0]  # a second resource school
    register = dataclasses.replace(register, schools=register.schools.with_columns((pl.col("resource_school") | (pl.col("school_unit_code") == second)).alias("resource_school")))
    before = run(model, register)
    resource = register.schools.filter(pl.col("resource_school"))["school_unit_code"].sort().to_list()
    paid = [c for c in resource if "resource_school" in _components(before, c)]
    assert len(paid) >= 2
    schools = register.schools.with_columns(pl.when(pl.col("school_unit_code") == paid[0]).then(pl.lit("0")).otherwise(pl.lit("1")).alias("attr_resource_school_conditions"))
    after = run(model, dataclasses.replace(register, schools=schools))
    assert "resource_school" not in _components(after, paid[0]) and "standard_amount" in _components(after, paid[0])
    for code in paid[1:]:
        assert _paid(after, code, "resource_school") == _paid(before, code, "resource_school")
    assert after.unallocated == ()


def test_a_school_whose_su_group_does_not_meet_the_conditions_gets_no_su_supplement(model, register):
    """L3691–3694: the SU supplement presumes an adapted learning environment in the action
    programmes and the office's full insight. A school marked 0 in attr_su_group_conditions
    loses the supplement and nothing else; without the column every school keeps it."""
    before = run(model, register)
    su = before.lines.filter(pl.col("component") == "su_supplement")["school_unit_code"].unique().sort().to_list()
    assert len(su) >= 2
    schools = register.schools.with_columns(pl.when(pl.col("school_unit_code") == su[0]).then(pl.lit("nej")).otherwise(pl.lit("ja")).alias("attr_su_group_conditions"))
    after = run(model, dataclasses.replace(register, schools=schools))
    assert "su_supplement" not in _components(after, su[0])
    assert _components(after, su[0]) == _components(before, su[0]) - {"su_supplement"}
    for code in su[1:]:
        assert _paid(after, code, "su_supplement") == _paid(before, code, "su_supplement")
    lost = _paid(before, su[0], "su_supplement")[1]
    assert lost > 0
    # the school's total falls by the supplement and its VAT compensation (when it has any)
    vat = _paid(before, su[0], VAT_COMPONENT)[1] - _paid(after, su[0], VAT_COMPONENT)[1]
    total = lambda r: int(r.lines.filter(pl.col("school_unit_code") == su[0])["amount_ore"].sum())  # noqa: E731
    assert total(before) - total(after) == lost + vat
    assert after.unallocated == ()
