"""The statistics CLI: readable errors with exit status 2, JSON equal to the engine result."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from likvard.cli.stats import register
from likvard.engine.stats.mixed import fit_random_intercept

runner = CliRunner()


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """likvard (test app)"""

    register(app)
    return app


APP = make_app()


def pupils(n_groups: int = 20, seed: int = 4) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), rng.integers(5, 20, n_groups))
    n = g.shape[0]
    x = rng.normal(size=n).round(4)
    y = (200 + 20 * x + rng.normal(0, 10, n_groups)[g] + rng.normal(0, 30, n)).round(2)
    return pl.DataFrame({"merit": y, "ses": x, "school": [f"S{i:02d}" for i in g]})


def run(*args: str):
    return runner.invoke(APP, list(args))


def test_valueadded_json_equals_the_engine_result(tmp_path: Path) -> None:
    df = pupils()
    csv = tmp_path / "p.csv"
    df.write_csv(csv)
    out = tmp_path / "va.json"
    res = run("valueadded", "--csv", str(csv), "--outcome", "merit", "--covariates", "ses",
              "--group", "school", "--json", str(out))
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    fit = fit_random_intercept(df, "merit", ["ses"], "school")
    assert doc["method"] == "REML"
    assert doc["fixed"]["(Intercept)"] == pytest.approx(fit.fixed[0], rel=1e-12)
    assert doc["fixed_se"]["ses"] == pytest.approx(fit.fixed_se[1], rel=1e-12)
    assert doc["group_variance"] == pytest.approx(fit.group_variance, rel=1e-12)
    assert doc["residual_variance"] == pytest.approx(fit.residual_variance, rel=1e-12)
    assert [g["group"] for g in doc["groups"]] == fit.groups["group"].to_list()
    assert np.allclose([g["effect"] for g in doc["groups"]], fit.groups["effect"].to_numpy())
    assert set(doc["groups"][0]) == {"group", "n", "effect", "se", "lower", "upper"}
    assert "(Intercept)" in res.output


def test_swedish_excel_csv_with_bom_gives_the_same_ml_fit(tmp_path: Path) -> None:
    df = pupils()
    text = "merit;ses;school\n" + "\n".join(
        f"{str(m).replace('.', ',')};{str(s).replace('.', ',')};{g}"
        for m, s, g in df.iter_rows()
    )
    csv = tmp_path / "excel.csv"
    csv.write_bytes(b"\xef\xbb\xbf" + text.encode())
    out = tmp_path / "va.json"
    res = run("valueadded", "--csv", str(csv), "--outcome", "merit", "--covariates", "ses",
              "--group", "school", "--ml", "--json", str(out))
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    fit = fit_random_intercept(df, "merit", ["ses"], "school", method="ML")
    assert doc["method"] == "ML"
    assert doc["fixed"]["ses"] == pytest.approx(fit.fixed[1], rel=1e-10)
    assert doc["group_variance"] == pytest.approx(fit.group_variance, rel=1e-10)


@pytest.mark.parametrize(
    ("content", "args", "expect"),
    [
        (None, ("--covariates", "ses"), "file not found"),
        ("merit,ses,school\n1,2,a\n", ("--covariates", "nope"), "not found: nope"),
        ("merit,ses,school\n1,2,a\n2,,a\n3,1,b\n4,2,b\n", ("--covariates", "ses"), "line(s) 3"),
        ("merit,ses,school\n1,2,a\n2,x,a\n3,1,b\n4,2,b\n", ("--covariates", "ses"), "'ses' is not numeric"),
        ("merit,ses,school\n1,2,a\n2,3,b\n3,1,c\n4,2,d\n", ("--covariates", "ses"), "single row"),
        ("merit,ses,school\n1,2,a\n1,3,a\n1,1,b\n1,2,b\n", ("--covariates", "ses"), "constant"),
    ],
)
def test_user_errors_exit_2_with_a_message_and_no_traceback(tmp_path: Path, content, args, expect) -> None:
    csv = tmp_path / "bad.csv"
    if content is not None:
        csv.write_text(content)
    res = run("valueadded", "--csv", str(csv), "--outcome", "merit", "--group", "school", *args)
    assert res.exit_code == 2
    assert expect in res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_index_and_expected_commands_run_on_the_demo(tmp_path: Path) -> None:
    pytest.importorskip("likvard.data.demo")
    out = tmp_path / "index.json"
    res = run("index", "--demo", "--year", "2024", "--json", str(out))
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["schools"] and {"index", "moving_average", "quartile"} <= set(doc["schools"][0])
    out2 = tmp_path / "expected.json"
    area = "Grundskoleområde 1 (Rinkeby-Kista, Spånga-Tensta)"
    res = run("expected", "--demo", "--year", "2024", "--json", str(out2), "--charts", str(tmp_path / "charts"), "--area", area)
    assert res.exit_code == 0, res.output
    charts = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "charts").glob("*.svg")}
    assert set(charts) == {f"{kind}-{o}.svg" for kind in ("value-added", "actual-expected") for o in ("merit_value", "eligible_vocational")}
    assert "Rinkebyskolan" in charts["value-added-merit_value.svg"] and "klart" in charts["value-added-merit_value.svg"]
    scatter = charts["actual-expected-merit_value.svg"]
    assert f"{area} markerat" in scatter and ">Rinkebyskolan<" in scatter and ">Hagsätraskolan<" not in scatter  # only the area is named
    doc = json.loads(out2.read_text())
    assert {r["outcome"] for r in doc["schools"]} == {"merit_value", "eligible_vocational"}
    rows = [r for r in doc["schools"] if not r["suppressed"]]
    from likvard.engine.stats.expected import DISPLAY_DECIMALS

    for r in rows:  # a flag fires only when the interval, as displayed, excludes zero
        places = DISPLAY_DECIMALS[r["outcome"]]
        lower, upper = round(float(r["lower"]), places), round(float(r["upper"]), places)
        if r["flag"] == "clearly below":
            assert upper < 0
        elif r["flag"] == "clearly above":
            assert lower > 0
        else:
            assert lower <= 0 <= upper
    seed004 = {"82110758", "87838841", "37416253", "46581319", "51341279"}  # Hagsätra, Hässelbygård, Rinkeby, Lillholm, Grimsta
    shown = {r["school_unit_code"] for r in rows if r["outcome"] == "merit_value"}
    assert seed004 <= shown
    for r in rows:
        if r["school_unit_code"] in seed004:
            assert r["actual"] not in ("..", None) and r["expected"] not in ("..", None)


def test_index_reads_a_register_directory_like_the_allocation(tmp_path: Path) -> None:
    from likvard.data.demo import build
    from likvard.data.register import write_dir

    write_dir(build(seed=1), tmp_path / "data")
    out = tmp_path / "index.json"
    res = run("index", "--data", str(tmp_path / "data"), "--year", "2024", "--json", str(out))
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    demo_out = tmp_path / "demo.json"
    assert run("index", "--demo", "--year", "2024", "--json", str(demo_out)).exit_code == 0
    from_files = {r["school_unit_code"]: r for r in doc["schools"]}
    from_demo = {r["school_unit_code"]: r for r in json.loads(demo_out.read_text())["schools"]}
    assert from_files.keys() == from_demo.keys()  # the same register, the same index (to rounding)
    for code, r in from_demo.items():
        assert from_files[code]["quartile"] == r["quartile"]
        assert abs(from_files[code]["moving_average"] - r["moving_average"]) < 1e-9 * r["moving_average"]
    bad = run("index", "--data", str(tmp_path / "nosuch"), "--year", "2024")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    both = run("index", "--demo", "--data", str(tmp_path / "data"))
    assert both.exit_code == 2


def test_expected_refuses_an_unknown_area_before_fitting(tmp_path: Path) -> None:
    pytest.importorskip("likvard.data.demo")
    res = run("expected", "--demo", "--charts", str(tmp_path / "c"), "--area", "Område 99")
    assert res.exit_code == 2 and "Område 99" in res.output and "Grundskoleområde 1" in res.output
    assert not (tmp_path / "c").exists()


def test_the_readmes_valueadded_example_runs_on_the_demo_files(tmp_path: Path) -> None:
    """The README's example names real columns; --where keeps the year-9 pupils who have outcomes."""
    import re

    from likvard.data.register import write_dir
    from likvard.workflows import demo_inputs

    write_dir(demo_inputs(1), tmp_path / "demo-data")
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"likvard (valueadded --csv .*?)\n(?!\s)", readme.replace("\\\n", " "), re.S).group(1).split("#")[0]
    args = example.replace("demo-data/", f"{tmp_path}/demo-data/").split()
    res = run(*args, "--json", str(tmp_path / "va.json"))
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "va.json").read_text())
    assert set(doc["fixed"]) == {"(Intercept)", "guardian_income_decile", "single_guardian"} and doc["n_obs"] > 10_000
    assert "rows left out" in res.output  # year-9 pupils without a merit value, said so
    unfiltered = run(*[a for a in args if a not in ("--where", "grade=9", "year=2024", "--drop-missing")])
    assert unfiltered.exit_code == 2 and "--where grade=9" in unfiltered.output and "--drop-missing" in unfiltered.output


def test_valueadded_without_covariates_is_the_null_model_with_its_icc(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    pupils().write_csv(path)
    res = run("valueadded", "--csv", str(path), "--outcome", "merit", "--group", "school")
    assert res.exit_code == 0, res.output
    icc = float(re.search(r"intraclass correlation \(ICC\): ([0-9.]+)", res.output).group(1))
    fit = fit_random_intercept(pupils(), "merit", [], "school")
    assert abs(icc - fit.group_variance / (fit.group_variance + fit.residual_variance)) < 1e-4


def test_json_into_a_missing_directory_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    pupils().write_csv(path)
    res = run("valueadded", "--csv", str(path), "--outcome", "merit", "--group", "school", "--json", str(tmp_path / "nosuch" / "va.json"))
    assert res.exit_code == 2 and "nosuch" in res.output and not (tmp_path / "nosuch").exists()
