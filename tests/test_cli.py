"""The likvard command: exit status 2 and a one-paragraph message for user errors, no file."""

import shutil
from pathlib import Path

from typer.testing import CliRunner

from likvard.cli import app

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "stockholm-2024"
runner = CliRunner()


def _broken_model(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(MODEL, target)
    f = target / "20-strukturersattning.toml"
    f.write_text(f.read_text(encoding="utf-8").replace('base_amount = "2 000 kr"', 'base_amount = "2 000 kr"\nbase_amuont = "1"'), encoding="utf-8")
    return target


def test_a_malformed_model_exits_2_naming_file_component_and_key_and_writes_nothing(tmp_path):
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["allocate", "--demo", "--model", str(_broken_model(tmp_path)), "--json", str(out)])
    assert result.exit_code == 2
    assert "20-strukturersattning.toml" in result.output and "socioeconomic" in result.output and "base_amuont" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_bad_setting_exits_2(tmp_path):
    result = runner.invoke(app, ["compare", "--demo", "--model", str(MODEL), "--set", "socioeconomic.base_amount=tre"])
    assert result.exit_code == 2
    assert "base_amount" in result.output and "Traceback" not in result.output


def test_compare_without_a_change_is_refused(tmp_path):
    result = runner.invoke(app, ["compare", "--demo", "--model", str(MODEL)])
    assert result.exit_code == 2


def test_a_missing_model_directory_exits_2(tmp_path):
    result = runner.invoke(app, ["allocate", "--demo", "--model", str(tmp_path / "nosuch")])
    assert result.exit_code == 2 and "finns inte" in result.output


def test_help_is_swedish_when_asked(monkeypatch):
    import importlib

    import likvard.cli as cli

    monkeypatch.setenv("LIKVARD_LANG", "sv")
    assert cli.t("ja", "yes") == "ja"
    monkeypatch.setenv("LIKVARD_LANG", "en")
    monkeypatch.delenv("LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    assert cli.t("ja", "yes") == "yes"
    importlib.reload(cli)


def test_allocate_reads_separate_files(tmp_path):
    from likvard.data.register import write_dir
    from likvard.data.synthetic_register import make_register

    write_dir(make_register(3_000, 24, seed=5, extra_codes=("52863414", "99000001", "63321041", "99648792", "99000002", "99000003", "99000004")), tmp_path)
    out = tmp_path / "a.json"
    result = runner.invoke(
        app,
        ["allocate", "--pupils", str(tmp_path / "pupils.csv"), "--schools", str(tmp_path / "schools.csv"), "--index", str(tmp_path / "school_index.csv"),
         "--decisions", str(tmp_path / "decisions.csv"), "--rsu-groups", str(tmp_path / "rsu_groups.csv"), "--model", str(MODEL), "--json", str(out)],
    )
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["reconciled"] and data["schools"]
    missing = runner.invoke(app, ["allocate", "--pupils", str(tmp_path / "pupils.csv"), "--model", str(MODEL)])
    assert missing.exit_code == 2 and "--schools" in missing.output


def test_running_a_model_on_another_years_register_is_said(tmp_path):
    result = runner.invoke(app, ["allocate", "--demo", "--year", "2023", "--model", str(MODEL)])
    assert result.exit_code == 0, result.output
    assert "2024" in result.output and "2023" in result.output and ("Obs:" in result.output or "Note:" in result.output)
    future = runner.invoke(app, ["allocate", "--demo", "--year", "2031", "--model", str(MODEL)])
    assert future.exit_code == 2 and "2029–2031" in future.output and "Traceback" not in future.output


def test_a_missing_data_directory_is_one_problem_in_one_language(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKVARD_LANG", "en")
    result = runner.invoke(app, ["allocate", "--data", str(tmp_path / "nosuch"), "--model", str(MODEL)])
    assert result.exit_code == 2 and "1 problem in the input" in result.output and "1 problems" not in result.output


def test_every_commands_help_is_in_the_locales_language():
    import os
    import subprocess
    import sys

    def summaries(lang):
        env = {**os.environ, "LIKVARD_LANG": lang}
        out = subprocess.run([sys.executable, "-m", "likvard.cli", "--help"], env=env, capture_output=True, text=True, check=True).stdout
        lines = out.split("Commands:")[1].splitlines()
        return {line.split()[0]: " ".join(line.split()[1:]) for line in lines if line[:2] == "  " and line[2:3].strip()}

    sv, en = summaries("sv"), summaries("en")
    assert sv.keys() == en.keys() and len(sv) == 17
    assert all(sv[name] != en[name] for name in sv), {n: (sv[n], en[n]) for n in sv if sv[n] == en[n]}


def test_the_statistics_commands_options_are_explained_in_the_locales_language():
    import os
    import subprocess
    import sys

    def options(lang, command):
        env = {**os.environ, "LIKVARD_LANG": lang}
        out = subprocess.run([sys.executable, "-m", "likvard.cli", command, "--help"], env=env, capture_output=True, text=True, check=True).stdout
        return " ".join(out.split("Options:")[1].split())

    for command in ("valueadded", "index", "expected"):
        sv, en = options("sv", command), options("en", command)
        assert sv != en
    assert "använd demokommunen" in options("sv", "expected") and "use the demo municipality" in options("en", "expected")
    assert "kan upprepas" in options("sv", "valueadded") and "write results as JSON" not in options("sv", "valueadded")
