"""A municipality's own data end to end on the command line, as a new user does it (issue 7):
an empty LIKVARD_HOME, no demo mode; the demo's files made Göteborg's (municipality 1480, its own
model and words) and edited by hand, imported, run, a user and a token made, the server started,
and the API asked — every step a real process, and nothing of it Stockholm.

Runs on PostgreSQL (a database of its own) when the server is reachable, on SQLite otherwise.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import polars as pl
import pytest

from likvard.web.pytest_plugin import POSTGRES_URL, _postgres_reachable

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "stockholm-2024"
PLANNED = ROOT / "src" / "likvard" / "data" / "fixtures" / "skolverket" / "planned-educations-v4"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def database():
    """A fresh database: its own PostgreSQL database, or SQLite under LIKVARD_HOME (None)."""
    if os.environ.get("LIKVARD_TEST_DB") == "sqlite" or not _postgres_reachable():
        yield None
        return
    import psycopg

    name = f"likvard_e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def goteborg_model(target: Path) -> Path:
    """The 2024 rules as Göteborg's: its code, name, sender and words for district and area."""
    import shutil

    shutil.copytree(MODEL, target)
    header = target / "model.toml"
    text = header.read_text(encoding="utf-8").replace('municipality = "0180"', 'municipality = "1480"')
    text = text.replace('municipality_name = "Stockholms stad"', 'municipality_name = "Göteborgs stad"').replace(
        'sender = "Utbildningsförvaltningen, Stockholms stad"', 'sender = "Grundskoleförvaltningen, Göteborgs stad"'
    )
    header.write_text(text.replace('district_label = "Stadsdelsområde"', 'district_label = "Stadsområde"'), encoding="utf-8")
    return target


def recode(directory: Path, municipality: str) -> None:
    """The demo's files as another municipality's: its residents and its own schools."""
    for name, column in (("pupils.csv", "home_municipality"), ("schools.csv", "municipality_code")):
        frame = pl.read_csv(directory / name, infer_schema=False)
        frame.with_columns(pl.col(column).str.replace("^0180$", municipality)).write_csv(directory / name)


@pytest.fixture(scope="module")
def env(tmp_path_factory, database):
    home = tmp_path_factory.mktemp("home")
    out = {k: v for k, v in os.environ.items() if not k.startswith(("LIKVARD_", "DJANGO_")) and k != "DATABASE_URL"}
    out.update(
        LIKVARD_HOME=str(home),
        LIKVARD_SECRET_KEY="e2e-secret-key-" + "x" * 40,
        LIKVARD_PSEUDONYM_KEY="e2e-pseudonym-key-0123456789abcdef0123456789",
        LIKVARD_MODEL_DIR=str(goteborg_model(tmp_path_factory.mktemp("model") / "goteborg-2024")),
        LIKVARD_SSL_REDIRECT="0",  # the test talks plain HTTP to 127.0.0.1
        LIKVARD_LANG="sv",
    )
    if database:
        out["DATABASE_URL"] = database
    return out


def likvard(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "likvard.cli", *args], env=env, cwd=env["LIKVARD_HOME"], capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _halve_one_school(directory: Path, municipality: str = "0180") -> tuple[str, int]:
    """Drop half of the 2024 pupils of the largest own school other than Rinkebyskolan (those
    without a decision, so decisions.csv still refers to pupils that exist). Returns the school
    and its resident 2024 pupils afterwards."""
    pupils = pl.read_csv(directory / "pupils.csv", infer_schema=False)
    decided = set(pl.read_csv(directory / "decisions.csv", infer_schema=False).filter(pl.col("year") == "2024")["pupil_id"])
    schools = pl.read_csv(directory / "schools.csv", infer_schema=False).filter((pl.col("operator") == "municipal") & (pl.col("school_unit_code") != "37416253"))
    y24 = pupils.filter(pl.col("year") == "2024")
    code = y24.filter(pl.col("school_unit_code").is_in(schools["school_unit_code"].to_list())).group_by("school_unit_code").len().sort(["len", "school_unit_code"], descending=[True, False])["school_unit_code"][0]
    own = y24.filter((pl.col("school_unit_code") == code) & ~pl.col("pupil_id").is_in(list(decided)))
    dropped = set(own["pupil_id"].to_list()[: own.height // 2])
    edited = pupils.filter(~((pl.col("year") == "2024") & pl.col("pupil_id").is_in(list(dropped))))
    edited.write_csv(directory / "pupils.csv")
    left = edited.filter((pl.col("year") == "2024") & (pl.col("school_unit_code") == code) & (pl.col("home_municipality") == municipality)).height
    return code, left


def test_own_data_from_files_to_the_api(env, tmp_path):
    data = tmp_path / "D"
    likvard(env, "demo-data", "--out", str(data))
    recode(data, "1480")
    code, expected = _halve_one_school(data, "1480")

    imported = likvard(env, "import", "data", str(data))
    assert "Importerade pupils.csv" in imported.stdout and "Importerade schools.csv: 348 rader" in imported.stdout
    again = likvard(env, "import", "register", str(data / "pupils.csv"))
    assert "Redan importerat" in again.stdout  # the same content is recognised, nothing replaced

    # two imports at once: the second waits for the first, neither fails
    index = pl.read_csv(data / "school_index.csv", infer_schema=False)
    for i in (1, 2):  # two different index files (one school's 2024 index changed)
        index.with_columns(pl.when(pl.int_range(pl.len()) == index.height - 1).then(pl.lit(f"{100 + i}")).otherwise(pl.col("index")).alias("index")).write_csv(tmp_path / f"index{i}.csv")
    both = [subprocess.Popen([sys.executable, "-m", "likvard.cli", "import", "index", str(tmp_path / f"index{i}.csv")], env=env, cwd=env["LIKVARD_HOME"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (1, 2)]
    for p in both:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0 and "Importerade" in out and "Traceback" not in err, out + err
    likvard(env, "import", "index", str(data / "school_index.csv"))  # the original index again

    result = tmp_path / "r.json"
    ran = likvard(env, "run", "--year", "2024", "--json", str(result))
    assert "alla potter stämmer på öret" in ran.stdout
    run = json.loads(result.read_text(encoding="utf-8"))
    assert run["reconciled"] and all(p["difference_ore"] == 0 for p in run["pots"] if p["kind"] in ("pot", "transfer"))
    statement = next(s for s in run["schools"] if s["school_unit_code"] == code)
    assert statement["pupils"] == expected
    assert "lagrade data" in run["data_source"] and run["index_source"] == "imported"
    assert run["model"]["municipality"] == "1480" and run["labels"]["district"] == "Stadsområde"
    assert all(s["index_basis"] != "outside_average" for s in run["schools"] if s["municipality_code"] == "1480")

    # Skolverket's published files: Stockholm's schools are another municipality's here, and one never seen
    unit = (PLANNED / "37416253.school-unit.json").read_text(encoding="utf-8")
    (tmp_path / "new.school-unit.json").write_text(unit.replace("37416253", "23456789").replace('"0180"', '"2583"').replace("Rinkebyskolan", "Haparanda skola"), encoding="utf-8")
    published = likvard(env, "import", "skolverket", str(PLANNED), str(tmp_path / "new.school-unit.json"))
    assert "Importerade" in published.stdout and "Fel" not in published.stderr

    assert "annan kommun" in published.stdout or "other_municipality" in published.stdout

    bad = likvard(env, "user", "add", "rektor2", "--role", "principal", "--school", "99999999", check=False)
    assert bad.returncode == 2 and "99999999" in bad.stderr and "Traceback" not in bad.stderr
    likvard({**env, "LIKVARD_PASSWORD": "ett-långt-lösenord-för-test"}, "user", "add", "ekonom2", "--role", "controller")
    token = likvard(env, "token", "ekonom2").stdout.strip().splitlines()[-1]
    assert token.startswith("lkv_")

    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "likvard.cli", "serve", "--port", str(port)], env=env, cwd=env["LIKVARD_HOME"], stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)
        request = urllib.request.Request(f"{url}/api/v1/schools/{code}/statement?year=2024", headers={"Authorization": f"Bearer {token}"})
        api = json.loads(urllib.request.urlopen(request, timeout=30).read())
        assert api["pupils"] == expected and api["total_ore"] == statement["total_ore"]
        request = urllib.request.Request(f"{url}/api/v1/schools/37416253/statistics?indicator=merit_value", headers={"Authorization": f"Bearer {token}"})
        merit = {r["period"]: r["value"] for r in json.loads(urllib.request.urlopen(request, timeout=30).read())}
        assert merit == {"2020/21": 197.0, "2021/22": 199.6, "2022/23": 205.9, "2023/24": 208.6, "2024/25": 202.7}
        for school in ("23456789", "37416253"):  # a school of Haparanda and one of Stockholm: not Göteborg's own
            request = urllib.request.Request(f"{url}/api/v1/schools/{school}", headers={"Authorization": f"Bearer {token}"})
            assert json.loads(urllib.request.urlopen(request, timeout=30).read())["operator"] == "other_municipality"
    finally:
        server.terminate()
        server.wait(timeout=20)
