"""The two example models run from their files, reconcile, and keep their own rules: the
NFF's minimum per-pupil levels, floor, cap, sparsity taper; Småby's small-school supplement."""

from __future__ import annotations

import csv
import importlib.util
import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from likvard.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
runner = CliRunner()


def _run(name: str, tmp_path: Path) -> dict:
    out = tmp_path / f"{name}.json"
    result = runner.invoke(app, ["allocate", "--data", str(EXAMPLES / name / "data"), "--model", str(EXAMPLES / name / "model"), "--json", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def _by_component(school: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for ln in school["lines"]:
        out[ln["component"]] = out.get(ln["component"], 0) + ln["amount_ore"]
    return out


def _half_even(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


@pytest.fixture(scope="module")
def nff(tmp_path_factory):
    return _run("england-nff", tmp_path_factory.mktemp("nff"))


@pytest.mark.parametrize("name", ["england-nff", "small-municipality"])
def test_the_data_are_what_make_data_writes(name, tmp_path):
    spec = importlib.util.spec_from_file_location(f"make_{name}", EXAMPLES / name / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for path in sorted((EXAMPLES / name / "data").iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_the_nff_example_reconciles_and_pays_everyone(nff):
    assert nff["reconciled"] and nff["unallocated"] == []
    assert len(nff["schools"]) == 12
    assert sum(s["total_ore"] for s in nff["schools"]) == nff["total_ore"]
    assert all(_by_component(s)["lump_sum"] == 13_440_000 for s in nff["schools"])  # £134,400 to every school


def test_no_school_is_below_its_minimum_per_pupil_level(nff):
    order = [c["id"] for c in nff["components"]]
    upto = order[: order.index("minimum_per_pupil") + 1]
    topped = 0
    for s in nff["schools"]:
        lines = s["lines"]
        primary = sum(ln["quantity"] for ln in lines if ln["component"] == "basic_entitlement" and ln["line"] == "primary")
        secondary = sum(ln["quantity"] for ln in lines if ln["component"] == "basic_entitlement" and ln["line"] != "primary")
        minimum = int(primary) * 461_000 + int(secondary) * 599_500
        funded = sum(v for k, v in _by_component(s).items() if k in upto)
        assert funded >= minimum, s["name"]
        topped += "minimum_per_pupil" in _by_component(s)
    assert topped >= 1  # the large affluent primary is topped up


def test_the_floor_and_the_cap_hold_for_every_school(nff):
    baseline = {r["school_unit_code"]: Decimal(r["per_pupil"]) * 100 for r in csv.DictReader((EXAMPLES / "england-nff" / "data" / "baseline.csv").open(encoding="utf-8"))}
    order = [c["id"] for c in nff["components"]]
    before = order[: order.index("funding_guarantee")]
    floored = capped = 0
    for s in nff["schools"]:
        parts = _by_component(s)
        counted = sum(v for k, v in parts.items() if k in before)
        after = counted + parts.get("funding_guarantee", 0)
        n = s["pupils"]
        floor = _half_even(baseline[s["school_unit_code"]] * Decimal("1.005")) * n
        cap = _half_even(baseline[s["school_unit_code"]] * Decimal("1.03")) * n
        assert floor <= after <= cap, s["name"]
        assert after == max(floor, min(counted, cap))  # exactly the bound where one applies
        floored += after > counted
        capped += after < counted
    assert floored and capped  # the example shows both


def test_the_sparsity_taper_is_exact(nff):
    schools = {r["school_unit_code"]: r for r in csv.DictReader((EXAMPLES / "england-nff" / "data" / "schools.csv").open(encoding="utf-8"))}
    paid = 0
    for s in nff["schools"]:
        row = schools[s["school_unit_code"]]
        primary = row["attr_phase"] == "primary"
        limit, distance, amount = (150, 3.2, 5_710_000) if primary else (600, 4.8, 8_300_000)
        got = _by_component(s).get("sparsity_primary" if primary else "sparsity_secondary", 0)
        if float(row["attr_distance_km"]) >= distance and s["pupils"] < limit:
            assert got == _half_even(Decimal(amount) * (limit - s["pupils"]) / limit)
            paid += 1
        else:
            assert got == 0
    assert paid >= 1


def test_the_small_municipality_pays_its_small_schools_and_reconciles(tmp_path):
    data = _run("small-municipality", tmp_path)
    assert data["reconciled"] and data["unallocated"] == [] and len(data["schools"]) == 20
    small = [s for s in data["schools"] if "small_school" in _by_component(s)]
    assert small and all(s["pupils"] <= 80 for s in small)
    assert all(_by_component(s)["small_school"] == 35_000_000 for s in small)
    assert all("small_school" not in _by_component(s) for s in data["schools"] if s["pupils"] > 80)
