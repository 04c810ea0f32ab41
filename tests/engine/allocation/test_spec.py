"""Model files: what is accepted, and messages naming file, component and key for the rest."""

import shutil
from pathlib import Path

import pytest

from likvard.engine.allocation import ModelError, load_model, with_overrides

MODEL_DIR = Path(__file__).resolve().parents[3] / "models" / "stockholm-2024"


def test_the_stockholm_2024_model_loads_with_every_component_citing_its_source(model):
    assert model.id == "stockholm-2024" and model.year == 2024
    assert all(c.source.strip() for c in model.components)
    ids = {c.id for c in model.components}
    assert {"socioeconomic", "mother_tongue", "su_supplement", "rsu_grant", "resource_school", "profile_grants", "rsu_pool", "it_charge"} <= ids
    socio = model.component("socioeconomic")
    assert socio.amount_ore == 150_020_000_000 and socio.base_amount_ore == 200_000
    assert socio.min_pupils == 10 and socio.moving_average_years == 3
    assert model.component("mother_tongue").amount_ore == 1_148_600
    assert model.component("resource_school").amount_ore == 24_400_000
    assert model.component("resource_school").deduction_max_ore == 8_010_000
    assert sum(g.amount_ore for g in model.component("profile_grants").grants) == 1_200_000_000


def test_amounts_missing_from_the_sources_are_marked_illustrative(model):
    assert "standard_amount" in model.illustrative
    assert "programme_money" in model.illustrative
    assert "socioeconomic" not in model.illustrative


def test_the_structural_compensation_frame_adds_up_to_the_plan(model):
    frame = next(f for f in model.frames if f.id == "structural_compensation")
    assert frame.amount_ore == 255_550_000_000
    from likvard.engine.allocation.spec import planned_amount

    planned = sum(planned_amount(model.component(c)) for c in frame.components) + sum(i.amount_ore for i in frame.central)
    assert planned == frame.amount_ore


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(MODEL_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "component", "key", "words"),
    [
        ("20-strukturersattning.toml", 'base_amount = "2 000 kr"', 'base_amount = "2 000 kr"\nbase_amuont = "1 kr"', "socioeconomic", "base_amuont", "okänd nyckel"),
        ("20-strukturersattning.toml", 'amount = "11 486 kr"\n', "", "mother_tongue", "amount", "saknas"),
        ("20-strukturersattning.toml", 'amount = "11 486 kr"', 'amount = "-11 486 kr"', "mother_tongue", "amount", "negativa"),
        ("20-strukturersattning.toml", 'amount = "11 486 kr"', 'amount = "11 486,123 kr"', "mother_tongue", "amount", "öre"),
        ("20-strukturersattning.toml", 'amount = "11 486 kr"', "amount = 11486.5", "mother_tongue", "amount", "decimaltal"),
        ("10-grundskola.toml", 'grades = "4-6"\namount = "103 000 kr"', 'grades = "3-6"\namount = "103 000 kr"', "standard_amount", "rates[1].grades", "överlappar"),
        ("10-grundskola.toml", 'grades = "7-9"\namount = "118 000 kr"', 'grades = "7-11"\namount = "118 000 kr"', "standard_amount", "rates[2].grades", "årskursintervall"),
        ("10-grundskola.toml", 'share = "71 %"', 'share = "65 %"', "pupil_money_share", "share", "minsta andel"),
        ("20-strukturersattning.toml", 'amount = "8,8 mnkr"', 'amount = "18,8 mnkr"', "profile_grants", "budget", "räcker inte"),
        ("30-sarskilt-stod.toml", 'amount = "162 330 kr"', 'amount = "162 331 kr"', "resource_school", "amount", "delarna"),
        ("20-strukturersattning.toml", 'kind = "index_pot"', 'kind = "index_pott"', "socioeconomic", "kind", "giltigt"),
    ],
)
def test_malformed_model_files_are_rejected_naming_file_component_and_key(tmp_path, file, old, new, component, key, words):
    target = _copy(tmp_path)
    _edit(target / file, old, new)
    with pytest.raises(ModelError) as err:
        load_model(target)
    assert err.value.file == file
    assert err.value.component == component
    assert err.value.key == key
    assert words in str(err.value)


def test_a_frame_that_cannot_be_met_is_rejected(tmp_path):
    target = _copy(tmp_path)
    _edit(target / "20-strukturersattning.toml", 'amount = "2 555,5 mnkr"', 'amount = "2 000 mnkr"')
    with pytest.raises(ModelError) as err:
        load_model(target)
    assert err.value.component == "frame structural_compensation" and "ramen räcker inte" in str(err.value)


def test_invalid_toml_names_the_file(tmp_path):
    target = _copy(tmp_path)
    (target / "99-broken.toml").write_text("[[component]\nid = 'x'\n", encoding="utf-8")
    with pytest.raises(ModelError) as err:
        load_model(target)
    assert err.value.file == "99-broken.toml"


def test_overrides_change_a_key_and_are_validated_like_the_file(model):
    changed = with_overrides(model, ["socioeconomic.base_amount=3000"])
    assert changed.component("socioeconomic").base_amount_ore == 300_000
    assert model.component("socioeconomic").base_amount_ore == 200_000  # the original is untouched
    assert changed.overrides == (("socioeconomic.base_amount", "3000"),)
    with pytest.raises(ModelError) as err:
        with_overrides(model, ["socioeconomic.base_amount=tre tusen"])
    assert err.value.component == "socioeconomic" and err.value.key == "base_amount"
    with pytest.raises(ModelError):
        with_overrides(model, ["nosuch.amount=1"])


def test_overrides_reach_into_lists(model):
    changed = with_overrides(model, ["rsu_pool.premiums.0.amount=70"])
    assert changed.component("rsu_pool").bands[0].amount_ore == 7_000
