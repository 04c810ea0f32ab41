"""The allocation workbook: numbers as numbers in Excel's grouping formats, headers kept in view,
text never a formula (not even after a CSV round trip), pots told apart from budgets."""

import copy
import csv
import shutil
import subprocess
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from likvard.data.synthetic_register import make_register
from likvard.engine.allocation import compare, load_model, run
from likvard.engine.allocation.inputs import AllocationInput
from likvard.exports.xlsx import COUNT, MONEY, safe_text, write_allocation_xlsx

MODEL = Path(__file__).resolve().parents[2] / "models" / "stockholm-2024"
NAMED = ("52863414", "99000001", "63321041", "99648792", "99000002", "99000003", "99000004")
#: Names a spreadsheet would evaluate, one per named school.
EVIL = ('=HYPERLINK("http://example.invalid","klicka")', "+46 8 508 000 00", "-1", "@SUM(A1)", "  =1+1", "\t=2+2", "\r=3+3")


@pytest.fixture(scope="module")
def result():
    return run(load_model(MODEL), make_register(3_000, 20, seed=3, extra_codes=NAMED))


@pytest.fixture(scope="module")
def data(result):
    d = result.to_dict()
    names = dict(zip(NAMED, EVIL, strict=True))
    for s in d["schools"]:
        s["name"] = names.get(s["school_unit_code"], s["name"])
    return d


@pytest.fixture(scope="module")
def workbook(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "a.xlsx"
    write_allocation_xlsx(data, path)
    return path


def _rows(sheet, first):
    return {sheet.cell(r, 1).value: r for r in range(first, sheet.max_row + 1)}


def test_workbook_has_summary_reconciliation_and_a_statement_per_school(data, workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames[:2] == ["Sammanställning", "Avstämning"]
    assert len(wb.sheetnames) == 2 + len(data["schools"])
    summary = wb["Sammanställning"]
    rows = _rows(summary, 7)
    first = data["schools"][0]
    total = summary.cell(rows[first["school_unit_code"]], 9).value
    assert isinstance(total, int | float) and round(total * 100) == first["total_ore"]
    sheet = wb[first["school_unit_code"]]
    amounts = [sheet.cell(r, 4).value for r in range(5, 5 + len(first["lines"]))]
    assert all(isinstance(a, int | float) for a in amounts)  # numbers, not text
    assert round(sum(amounts) * 100) == first["total_ore"]
    pots = wb["Avstämning"]
    assert pots.cell(1, 1).value == "Pott"
    socio = next(r for r in range(2, pots.max_row + 1) if pots.cell(r, 2).value == "socioeconomic")
    assert pots.cell(socio, 6).value == 0  # difference to the öre


def test_amounts_and_counts_use_excels_grouping_formats(data, workbook):
    wb = openpyxl.load_workbook(workbook)
    summary = wb["Sammanställning"]
    r = _rows(summary, 7)[data["schools"][0]["school_unit_code"]]
    assert summary.cell(r, 6).number_format == COUNT == "#,##0"  # pupils
    assert summary.cell(r, 9).number_format == MONEY == "#,##0.00"  # total
    assert summary.cell(r, 10).number_format == MONEY  # per pupil
    pots = wb["Avstämning"]
    assert {pots.cell(2, c).number_format for c in (4, 5, 6)} == {MONEY}
    school = data["schools"][0]
    sheet = wb[school["school_unit_code"]]
    whole = next(i for i, ln in enumerate(school["lines"]) if ln["quantity"] is not None and float(ln["quantity"]).is_integer())
    assert sheet.cell(5 + whole, 2).number_format == COUNT  # a count of pupils
    assert sheet.cell(5 + whole, 3).number_format == MONEY and sheet.cell(5 + whole, 4).number_format == MONEY
    assert sheet.cell(5 + len(school["lines"]), 4).number_format == MONEY  # the sum


def test_every_sheet_keeps_its_header_in_view_and_the_summary_its_school(data, workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb["Sammanställning"].freeze_panes == "C7"  # header row 6, code and name in A:B
    assert wb["Sammanställning"].cell(6, 2).value == "Skola"
    assert wb["Avstämning"].freeze_panes == "A2"
    for s in data["schools"]:
        sheet = wb[s["school_unit_code"]]
        assert sheet.freeze_panes == "A5" and sheet.cell(4, 1).value == "Komponent"


def test_columns_are_as_wide_as_their_contents_within_a_cap(data, workbook):
    wb = openpyxl.load_workbook(workbook)
    summary = wb["Sammanställning"]
    longest = max(len(safe_text(s["name"])) for s in data["schools"])
    assert longest + 1 <= summary.column_dimensions["B"].width <= 52
    school = max(data["schools"], key=lambda s: len(s["lines"]))
    sheet = wb[school["school_unit_code"]]
    assert sheet.column_dimensions["E"].width <= 71  # explanations wrap at a cap
    assert sheet.column_dimensions["D"].width >= len(f"{school['total_ore'] / 100:,.2f}")


def test_formula_like_names_stay_text_with_a_visible_prefix(data, workbook):
    wb = openpyxl.load_workbook(workbook)
    summary = wb["Sammanställning"]
    rows = _rows(summary, 7)
    for code, evil in zip(NAMED, EVIL, strict=True):
        cell = summary.cell(rows[code], 2)
        # openpyxl reads a formula cell as a string starting with "=" with type "f"; it leaves
        # the XML escape of a carriage return (_x000D_) as it is, Excel and LibreOffice do not
        assert cell.data_type == "s" and cell.value.replace("_x000D_", "\r") == "'" + evil
        title = wb[code].cell(1, 1)
        assert title.data_type == "s" and title.value.replace("_x000D_", "\r").startswith("'" + evil)
    ordinary = next(s for s in data["schools"] if s["school_unit_code"] not in NAMED)
    assert summary.cell(rows[ordinary["school_unit_code"]], 2).value == ordinary["name"]  # untouched


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+46 8 1", "'+46 8 1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("   =A1", "'   =A1"),
        ("\t1", "'\t1"),
        ("\r1", "'\r1"),
        ("Skola-Nord", "Skola-Nord"),
        ("1 + 1 = 2", "1 + 1 = 2"),
        ("", ""),
        ("   ", "   "),
    ],
)
def test_safe_text_prefixes_only_what_a_spreadsheet_would_evaluate(text, shown):
    assert safe_text(text) == shown


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="libreoffice is not installed")
def test_libreoffice_resaving_the_workbook_as_csv_yields_no_formula(workbook, tmp_path):
    src = tmp_path / "a.xlsx"
    shutil.copy(workbook, src)
    subprocess.run(
        ["libreoffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path), str(src)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    with (tmp_path / "a.csv").open(encoding="utf-8", newline="") as f:
        fields = [v for row in csv.reader(f) for v in row]
    names = {v for v in fields if v.startswith("'")}
    assert {"'" + e for e in EVIL} <= names
    assert not [v for v in fields if v[:1] in ("\t", "\r") or v.lstrip().startswith(("=", "+", "@")) or (v.startswith("-") and not v[1:].replace(",", "").replace(".", "").isdigit())]


def test_reconciliation_tells_pots_from_budgets_and_fixed_grants(data, workbook):
    wb = openpyxl.load_workbook(workbook)
    pots = wb["Avstämning"]
    kind = {pots.cell(r, 1).value: pots.cell(r, 3).value for r in range(2, 2 + len(data["pots"]))}
    assert kind["Socioekonomisk ersättning"] == "pott — fördelas exakt och ska stämma på öret"
    assert kind["Modersmålsersättning"] == "budget — betalas per elev, skillnaden är en prognosavvikelse"
    assert kind["Profilbidrag"].startswith("fast bidrag")
    assert kind["RSU-pott per skolområde: överföringar mellan skolor"].startswith("överföring")
    lines = {pots.cell(r, 1).value: pots.cell(r, 6).value for r in range(3 + len(data["pots"]), pots.max_row + 1)}
    exact = next(t for t in lines if t.startswith("Potter och överföringar"))
    assert "alla potter stämmer på öret" in exact and lines[exact] == 0
    budget = next(t for t in lines if t.startswith("Budgetar"))
    gap = sum(p["difference_ore"] for p in data["pots"] if p["kind"] == "budget" and p["component"] != "profile_grants")
    assert gap > 0 and round(lines[budget] * 100) == gap  # a forecast gap, beside pots that reconcile
    assert "prognosavvikelse" in budget and "stämmer på öret" not in budget


def test_a_pot_off_by_an_ore_is_not_called_reconciled(data, tmp_path):
    d = copy.deepcopy(data)
    socio = next(p for p in d["pots"] if p["component"] == "socioeconomic")
    socio["distributed_ore"] -= 1
    socio["difference_ore"] += 1
    write_allocation_xlsx(d, tmp_path / "b.xlsx")
    pots = openpyxl.load_workbook(tmp_path / "b.xlsx")["Avstämning"]
    texts = [pots.cell(r, 1).value for r in range(3 + len(d["pots"]), pots.max_row + 1)]
    exact = next(t for t in texts if t.startswith("Potter och överföringar"))
    assert "alla potter stämmer" not in exact and "1 av" in exact and "Socioekonomisk ersättning" in exact


def test_a_comparison_adds_before_and_difference_in_kronor(result, tmp_path):
    inputs = make_register(3_000, 20, seed=3, extra_codes=NAMED)
    schools = inputs.schools.with_columns(pl.col("name").str.to_uppercase())
    other = run(load_model(MODEL), AllocationInput(inputs.pupils, schools, inputs.index, inputs.decisions, inputs.rsu_groups))
    d = compare(result, other).to_dict()
    write_allocation_xlsx(d, tmp_path / "c.xlsx")
    summary = openpyxl.load_workbook(tmp_path / "c.xlsx")["Sammanställning"]
    assert [summary.cell(6, c).value for c in (11, 12)] == ["Före (kr)", "Skillnad (kr)"]
    assert summary.cell(7, 11).number_format == MONEY and summary.cell(7, 12).number_format == MONEY
