"""``likvard interventions report``: seed 004's question answered from the catalogue, on the
demo and on a data directory."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from likvard.cli import app

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "interventions" / "stockholm-2021-2025" / "interventions.toml"
FIVE = {"82110758": "Hagsätraskolan", "87838841": "Hässelbygårdsskolan", "37416253": "Rinkebyskolan", "46581319": "Lillholmsskolan", "51341279": "Grimstaskolan"}
runner = CliRunner()


def _seed_items() -> dict[str, set[tuple[str, int, int]]]:
    doc = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))
    names = {i["key"]: i["name"] for i in doc["intervention"]}
    items: dict[str, set[tuple[str, int, int]]] = {code: set() for code in FIVE}
    for a in doc["assignment"]:
        items[a["school_unit_code"]].add((" ".join(names[a["intervention"]].split()), a["start"], a["end"]))
    return items


def test_the_report_lists_what_seed_004_names_for_each_of_the_five_schools(tmp_path: Path) -> None:
    out = tmp_path / "stod.json"
    result = runner.invoke(app, ["interventions", "report", "--demo", "--schools", ",".join(FIVE), "--from", "2021", "--to", "2025", "--json", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert [s["name"] for s in doc["schools"]] == list(FIVE.values())
    seed = _seed_items()
    for school in doc["schools"]:
        listed = {(i["name"], i["start"], i["end"]) for i in school["interventions"]}
        assert listed == seed[school["school_unit_code"]], school["name"]
        assert all(not i["synthetic"] and i["status"] in ("finished", "ongoing", "planned", "offered") for i in school["interventions"])
    assert sum(len(s["interventions"]) for s in doc["schools"]) == sum(len(v) for v in seed.values())
    # a narrower window leaves out what ended before it
    narrow = tmp_path / "2025.json"
    assert runner.invoke(app, ["interventions", "report", "--demo", "--schools", "37416253", "--from", "2025", "--to", "2025", "--json", str(narrow)]).exit_code == 0
    assert all(i["end"] >= 2025 for i in json.loads(narrow.read_text())["schools"][0]["interventions"])
    assert runner.invoke(app, ["interventions", "report", "--demo", "--schools", "12345678"]).exit_code == 2


def test_the_report_on_a_data_directory_with_its_own_catalogue(tmp_path: Path) -> None:
    d = tmp_path / "smaby"
    shutil.copytree(ROOT / "examples" / "small-municipality" / "data", d)
    (d / "interventions.toml").write_text(
        '[catalogue]\nsource = "eget"\n\n[[intervention]]\nkey = "las"\nname = "Läslyftet"\nprovider = "Skolverket"\n\n'
        '[[assignment]]\nintervention = "las"\nschool_unit_code = "03442818"\nschool = "Småby skola"\nstart = 2023\nend = 2024\nstatus = "finished"\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    pdf = tmp_path / "r.pdf"
    result = runner.invoke(app, ["interventions", "report", "--data", str(d), "--schools", "03442818", "--from", "2021", "--to", "2025", "--json", str(out), "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    items = json.loads(out.read_text())["schools"][0]["interventions"]
    assert [(i["name"], i["provider"], i["start"], i["end"], i["status"]) for i in items] == [("Läslyftet", "Skolverket", 2023, 2024, "finished")]
    assert pdf.read_bytes().startswith(b"%PDF")
    (d / "interventions.toml").write_text('[[assignment]]\nintervention = "x"\nschool_unit_code = "123"\nstart = 2024\nend = 2023\nstatus = "klar"\n', encoding="utf-8")
    bad = runner.invoke(app, ["interventions", "report", "--data", str(d), "--schools", "03442818"])
    assert bad.exit_code == 2 and "interventions.toml, rad 1, kolumn school_unit_code" in bad.output and "kolumn status" in bad.output


def test_likvard_effect_gives_an_interval_treated_and_comparison_schools_and_its_caveats(tmp_path: Path) -> None:
    out = tmp_path / "effekt.json"
    result = runner.invoke(app, ["effect", "--demo", "--intervention", "ksbs", "--json", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["lower"] < doc["estimate"] < doc["upper"] and doc["treated_schools"] >= 2 and doc["comparison_schools"] >= doc["treated_schools"]
    assert any("Få skolor deltog" in c for c in doc["caveats"])  # thin evidence is said in words
    assert any("syntetiskt" in c for c in doc["caveats"])  # the demo's participation is synthetic, and it says so
    assert any("Few schools took part" in c for c in doc["caveats_en"]) and any("synthetic" in c for c in doc["caveats_en"])
    assert "Few schools took part" in result.output  # the terminal's language (English here)
    swedish = runner.invoke(app, ["effect", "--demo", "--intervention", "ksbs"], env={"LIKVARD_LANG": "sv_SE.UTF-8"})
    assert "Få skolor deltog" in swedish.output
    bad = runner.invoke(app, ["effect", "--demo", "--intervention", "finns_inte"])
    assert bad.exit_code == 2 and "ksbs" in bad.output  # the message lists the keys
    assert runner.invoke(app, ["effect", "--demo", "--intervention", "ksbs", "--outcome", "lycka"]).exit_code == 2
