"""The orchestration layer on files: the index step (imported, estimated, or an error naming the
file and column), and the statistics for a municipality that is not Stockholm."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from likvard.cli import app
from likvard.data.register import write_dir
from likvard.engine.allocation import INDEX_SCHEMA, empty
from likvard.workflows import WorkflowError, allocate, demo_inputs, load_model

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "stockholm-2024"


@pytest.fixture(scope="module")
def demo():
    return demo_inputs(1)


def test_a_socioeconomic_pot_without_an_index_and_without_outcomes_names_the_file(demo):
    """Once a flat per-pupil pot, exit 0 and "every pot reconciles"; now an error."""
    no_outcomes = demo.pupils.with_columns(pl.lit(None, dtype=pl.Boolean).alias("eligible_vocational"))
    inputs = replace(demo, index=empty(INDEX_SCHEMA), pupils=no_outcomes)
    with pytest.raises(WorkflowError) as err:
        allocate(load_model(MODEL), inputs, 2024)
    assert err.value.file == "pupils.csv" and err.value.column == "eligible_vocational"
    assert "school_index.csv" in str(err.value)
    with pytest.raises(WorkflowError) as err:
        allocate(load_model(MODEL), replace(demo, index=empty(INDEX_SCHEMA)), 2024, index="imported")
    assert err.value.file == "school_index.csv" and err.value.column == "index"


def test_without_an_index_file_the_index_is_estimated_and_the_run_says_so(demo):
    run = allocate(load_model(MODEL), replace(demo, index=empty(INDEX_SCHEMA)), 2024)
    assert run.index.source == "estimated" and run.index.model is not None
    assert run.index.model.home_municipality == "0180"
    assert "skattat" in run.result.source and run.result.reconciled
    per_pupil = [s.per_pupil_ore for s in run.result.statements() if s.index_basis == "own" and s.per_pupil_ore]
    assert max(per_pupil) > 2 * min(per_pupil)  # the pot follows the index, it is not flat


def test_the_demo_recoded_to_goteborg_gives_quartiles_on_the_command_line(demo, tmp_path):
    def recode(column: str) -> pl.Expr:
        return pl.col(column).str.replace("^0180$", "1480")

    write_dir(replace(demo, pupils=demo.pupils.with_columns(recode("home_municipality")), schools=demo.schools.with_columns(recode("municipality_code"))), tmp_path)
    out = tmp_path / "index.json"
    result = CliRunner().invoke(app, ["index", "--data", str(tmp_path), "--municipality", "1480", "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["municipality"] == "1480" and {s["quartile"] for s in data["schools"]} == {1, 2, 3, 4}
    wrong = CliRunner().invoke(app, ["index", "--data", str(tmp_path)])  # the model's 0180: nobody lives there
    assert wrong.exit_code == 2 and "1480" in wrong.output and "Traceback" not in wrong.output


def test_a_model_is_loaded_once_and_again_only_when_a_file_changes(tmp_path):
    import os
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(MODEL, copy)
    first = load_model(copy)
    assert load_model(copy) is first  # no parsing per request
    header = copy / "model.toml"
    header.write_text(header.read_text(encoding="utf-8").replace('name = "Stockholms stad, utbildningsnämnden — resursfördelning 2024"', 'name = "Ändrad"'), encoding="utf-8")
    os.utime(header, ns=(header.stat().st_atime_ns, header.stat().st_mtime_ns + 1_000_000_000))
    changed = load_model(copy)
    assert changed is not first and changed.name == "Ändrad" and changed.version != first.version
