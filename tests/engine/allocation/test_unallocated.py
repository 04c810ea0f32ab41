"""Nothing unpaid without a word, other municipalities' schools, and RSU transfers with
fritidshemspeng (issue 9; seed 000 L3417–3420, L4198–4199)."""

import dataclasses

import polars as pl
import pytest

from likvard.data.synthetic_register import make_register
from likvard.engine.allocation import run

#: The schools the model's fixed grants name (conftest.NAMED_SCHOOLS).
NAMED = ("52863414", "99000001", "63321041", "99648792", "99000002", "99000003", "99000004")


@pytest.fixture(scope="module")
def register():
    return make_register(6_000, 50, seed=7, extra_codes=NAMED)


def test_a_run_on_a_complete_register_leaves_nothing_unallocated(model, register):
    assert run(model, register).unallocated == ()


def test_every_unpaid_record_is_named_with_its_reason(model, register):
    pupils = register.pupils
    year = pupils.filter(pl.col("year") == 2024)
    # a decision for a pupil no individual component takes (gy at an independent school: the
    # verksamhetsstöd is for own schools' pupils, L4341–4342)
    independent = register.schools.filter(pl.col("operator") == "independent").select("school_unit_code")
    gy_pupil = year.filter(pl.col("school_form") == "gy").join(independent, on="school_unit_code", how="semi")["pupil_id"][0]
    decisions = pl.concat([register.decisions, register.decisions.head(1).with_columns(pl.lit(gy_pupil).alias("pupil_id"), pl.lit(2024, dtype=pl.Int32).alias("year"))])
    # a pupil placed in an RSU group the group list does not have
    placed = year.filter(pl.col("special_group") == "rsu")["pupil_id"][0]
    pupils = pupils.with_columns(pl.when((pl.col("pupil_id") == placed) & (pl.col("year") == 2024)).then(pl.lit("RSU-saknas")).otherwise(pl.col("rsu_group")).alias("rsu_group"))
    # a named grant's school that the register lacks
    schools = register.schools.with_columns(pl.col("name").replace("Hillelskolan", "Hillels skola"))
    changed = dataclasses.replace(register, pupils=pupils, decisions=decisions, schools=schools)
    result = run(model, changed)
    found = {(u.kind, u.record): u for u in result.unallocated}
    assert found[("decision", gy_pupil)].reason.startswith("ingen komponent för individuella beslut omfattar skolformen gy hos huvudmannen independent")
    assert "RSU-saknas" in found[("rsu_place", placed)].reason
    grant = found[("grant", "Hillelskolan")]
    assert grant.component == "profile_grants" and "ingen skola med det namnet" in grant.reason and "1\u00a0800\u00a0000\u00a0kr" in grant.reason
    assert len(result.unallocated) == 3
    assert result.to_dict()["unallocated"][0].keys() == {"kind", "record", "school_unit_code", "count", "reason", "reason_en", "component"}
    # every reason in English too (the CLI and the web show the user's language)
    assert found[("decision", gy_pupil)].reason_en.startswith("no component for individual decisions covers school form gy")
    assert "'RSU-saknas' is not in the list of RSU groups" in found[("rsu_place", placed)].reason_en
    assert "the school register has no school of that name" in grant.reason_en and "is not paid" in grant.reason_en
    paid = result.lines.filter(pl.col("component") == "profile_grants")
    assert paid.height == 4  # the other grants are paid as before


def test_pupils_in_a_grade_without_a_rate_are_listed(model, register):
    schools = register.schools
    gy_school = schools.filter(pl.col("school_forms") == "gy")["school_unit_code"][0]
    pupils = register.pupils.with_columns(
        pl.when((pl.col("school_unit_code") == gy_school) & (pl.col("year") == 2024) & (pl.col("grade") == "3")).then(pl.lit("ZZ")).otherwise(pl.col("programme")).alias("programme")
    )
    with pytest.raises(Exception, match="saknar pris"):  # a programme without a price stops the run: it is an input error
        run(model, dataclasses.replace(register, pupils=pupils))
    # a grade no per-pupil rate covers (gy grade 4) is listed, not an error
    pupils = register.pupils.with_columns(
        pl.when((pl.col("school_unit_code") == gy_school) & (pl.col("year") == 2024) & (pl.col("grade") == "3")).then(pl.lit("4")).otherwise(pl.col("grade")).alias("grade")
    )
    result = run(model, dataclasses.replace(register, pupils=pupils))
    left = [u for u in result.unallocated if u.kind == "pupils"]
    assert left and all(u.school_unit_code == gy_school and u.record == "gy åk 4" for u in left)
    assert "årskurs 4" in left[0].reason and "grade 4" in left[0].reason_en


def test_a_municipal_school_in_another_municipality_is_paid_as_another_municipalitys(model, register):
    """The audit's test: an own school moved to municipality 0184 loses the own schools'
    share, IT charge, RSU premium and state grants, and gets no socioeconomic money."""
    base = run(model, register)
    hosts = register.rsu_groups["host_school_unit_code"].to_list()
    own = base.schools.filter((pl.col("operator") == "municipal") & (pl.col("pupils") > 50) & ~pl.col("school_unit_code").is_in(hosts)).sort("school_unit_code")["school_unit_code"][0]
    comps = set(base.lines.filter(pl.col("school_unit_code") == own)["component"].to_list())
    assert {"pupil_money_share", "it_charge", "rsu_pool", "socioeconomic"} <= comps
    schools = register.schools.with_columns(pl.when(pl.col("school_unit_code") == own).then(pl.lit("0184")).otherwise(pl.col("municipality_code")).alias("municipality_code"))
    moved = run(model, dataclasses.replace(register, schools=schools))
    assert moved.schools.filter(pl.col("school_unit_code") == own)["operator"][0] == "other_municipality"
    after = set(moved.lines.filter(pl.col("school_unit_code") == own)["component"].to_list())
    assert after <= {"standard_amount", "individual_support"}, after
    assert moved.reconciled


def test_the_home_school_passes_on_fritidshemspeng_for_a_placed_pupil(model, register):
    """Seed 000 L4198–4199: the home school passes on the pupil's skolpeng "och i förekommande
    fall fritidshemspeng". The same pupil with and without fritidshem: the transfer differs by
    the fritidshem rate less the own schools' share."""
    year = register.pupils.filter((pl.col("year") == 2024) & (pl.col("special_group") == "rsu") & pl.col("grade").is_in(["1", "2", "3"]))
    pupil = year["pupil_id"][0]

    def transfer(leisure: str) -> int:
        pupils = register.pupils.with_columns(pl.when((pl.col("pupil_id") == pupil) & (pl.col("year") == 2024)).then(pl.lit(leisure)).otherwise(pl.col("leisure")).alias("leisure"))
        result = run(model, dataclasses.replace(register, pupils=pupils))
        lines = result.lines.filter((pl.col("component") == "rsu_pool") & pl.col("line").str.starts_with("out money_ore"))
        return -int(lines["amount_ore"].sum())

    standard = model.component("standard_amount")
    share = model.component("pupil_money_share")
    rate = next(b.amount_ore for b in standard.bands if b.leisure == "fritidshem" and "1" in b.grades)
    from decimal import Decimal

    from likvard.money import scale_ore

    assert transfer("fritidshem") - transfer("none") == rate - scale_ore(rate, Decimal(1) - share.share)


def test_a_register_without_an_optional_attribute_lists_whom_it_would_have_paid(model, register):
    """The 2024 model reads anpassad gymnasieskola's needs group from attr_needs_group
    (required = false). A register without the column still runs; the gyan pupils' supplement
    is listed as unpaid, with the column named. With the column, they are paid by group."""
    year = register.pupils.filter((pl.col("year") == 2024) & (pl.col("school_form") == "gy") & (pl.col("home_municipality") == "0180"))
    chosen = year["pupil_id"].head(6).to_list()
    pupils = register.pupils.with_columns(pl.when(pl.col("pupil_id").is_in(chosen) & (pl.col("year") == 2024)).then(pl.lit("gyan")).otherwise(pl.col("school_form")).alias("school_form"))
    without = run(model, dataclasses.replace(register, pupils=pupils))
    left = [u for u in without.unallocated if u.component == "gyan_needs_supplement"]
    assert sum(u.count for u in left) == 6 and "saknar kolumnen attr_needs_group" in left[0].reason and "lacks the column attr_needs_group" in left[0].reason_en
    with_groups = pupils.with_columns(pl.when(pl.col("school_form") == "gyan").then(pl.lit("3")).otherwise(None).alias("attr_needs_group"))
    paid = run(model, dataclasses.replace(register, pupils=with_groups))
    assert paid.unallocated == ()
    lines = paid.lines.filter(pl.col("component") == "gyan_needs_supplement")
    assert int(lines["quantity"].sum()) == 6 and set(lines["line"].to_list()) == {"behovsgrupp 3"}
