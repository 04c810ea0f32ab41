"""The allocation workbook: numbers as numbers, text never a formula, one sheet per school."""

from pathlib import Path

import openpyxl
import polars as pl

from likvard.data.synthetic_register import make_register
from likvard.engine.allocation import load_model, run
from likvard.engine.allocation.inputs import AllocationInput
from likvard.exports.xlsx import write_allocation_xlsx

MODEL = Path(__file__).resolve().parents[2] / "models" / "stockholm-2024"
NAMED = ("52863414", "99000001", "63321041", "99648792", "99000002", "99000003", "99000004")


def test_workbook_has_summary_reconciliation_and_a_statement_per_school(tmp_path):
    inputs = make_register(3_000, 20, seed=3, extra_codes=NAMED)
    evil = "=HYPERLINK(\"http://example.invalid\",\"klicka\")"
    schools = inputs.schools.with_columns(
        pl.when(pl.col("school_unit_code") == NAMED[0]).then(pl.lit(evil)).otherwise(pl.col("name")).alias("name")
    )
    result = run(load_model(MODEL), AllocationInput(inputs.pupils, schools, inputs.index, inputs.decisions, inputs.rsu_groups))
    data = result.to_dict()
    path = tmp_path / "a.xlsx"
    write_allocation_xlsx(data, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["Sammanställning", "Avstämning"]
    assert len(wb.sheetnames) == 2 + len(data["schools"])
    summary = wb["Sammanställning"]
    rows = {summary.cell(r, 1).value: r for r in range(7, summary.max_row + 1)}
    first = data["schools"][0]
    r = rows[first["school_unit_code"]]
    total = summary.cell(r, 9).value
    assert isinstance(total, int | float) and round(total * 100) == first["total_ore"]
    # the injected name stays text: openpyxl reads formulas as strings starting with "=" and
    # marks the cell type "f"; a string cell has type "s"
    cell = summary.cell(rows[NAMED[0]], 2)
    assert cell.value == evil and cell.data_type == "s"
    sheet = wb[first["school_unit_code"]]
    amounts = [sheet.cell(r, 4).value for r in range(5, 5 + len(first["lines"]))]
    assert all(isinstance(a, int | float) for a in amounts)  # numbers, not text
    assert round(sum(amounts) * 100) == first["total_ore"]
    pots = wb["Avstämning"]
    assert pots.cell(1, 1).value == "Pott"
    socio = next(r for r in range(2, pots.max_row + 1) if pots.cell(r, 2).value == "socioeconomic")
    assert pots.cell(socio, 6).value == 0  # difference to the öre
