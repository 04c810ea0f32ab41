"""Sweeps are exactly the full runs of their scenarios, to the öre, on every path."""

import numpy as np
import pytest

from likvard.engine.allocation import ModelError, parse_vary, run, sweep, with_overrides


def _full(model, register, varied, values):
    result = run(with_overrides(model, [f"{v.key}={x}" for v, x in zip(varied, values, strict=True)]), register)
    return dict(zip(result.schools["school_unit_code"].to_list(), result.schools["total_ore"].to_list(), strict=True)), result


@pytest.mark.parametrize(
    "keys",
    [
        # the fast paths: a pot's base amount, a rate per flagged pupil, a pot's amount
        ["socioeconomic.base_amount=1000:3000:1000", "mother_tongue.amount=11000:12000:1000"],
        ["csu.amount=90 000 000:94 000 000:4 000 000", "gy_socioeconomic.amount=97000000:98400000:1400000"],
        # the general path: a schablon band (read by the own schools' share and the RSU pool's
        # pupil money), an RSU premium, a share
        ["standard_amount.rates.0.amount=94000:96000:2000", "rsu_pool.premiums.0.amount=50:70:20"],
        ["pupil_money_share.share=0,71:0,75:0,04"],
    ],
)
def test_every_scenario_is_the_full_run_of_its_model(model, register, keys):
    varied = [parse_vary(k) for k in keys]
    result = sweep(model, register, varied)
    assert len(result.values) == int(np.prod([len(v.values) for v in varied]))
    for i, values in enumerate(result.values):
        totals, full = _full(model, register, varied, values)
        mine = dict(zip(result.schools, result.totals[i].tolist(), strict=True))
        assert {c: t for c, t in mine.items() if t or c in totals} == totals, values
        for pot, paid in result.pots.items():
            assert paid[i] == next(p.distributed_ore for p in full.pots if p.id == pot)
            assert paid[i] == result.pot_amounts[pot][i]  # every pot exact in every scenario


def test_the_values_run_from_from_to_to_inclusive():
    assert parse_vary("socioeconomic.base_amount=1000:2996:4").values[-1] == "2996"
    assert len(parse_vary("socioeconomic.base_amount=1000:2996:4").values) == 500
    assert parse_vary("x.share=0,5:0,6:0,05").values == ("0.5", "0.55", "0.6")


@pytest.mark.parametrize("text", ["socioeconomic.base_amount=1000:3000", "socioeconomic.base_amount=3000:1000:10", "x=a:b:c", "socioeconomic.base_amount=1:2:0"])
def test_a_malformed_vary_is_a_message(text):
    with pytest.raises(ModelError, match="--vary"):
        parse_vary(text)


def test_a_base_amount_the_pot_cannot_pay_is_an_error_naming_the_component(model, register):
    from likvard.engine.allocation import AllocationError

    with pytest.raises(AllocationError, match="socioeconomic"):
        sweep(model, register, [parse_vary("socioeconomic.base_amount=2000:900000:898000")])
