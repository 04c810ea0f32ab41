"""The import format: round trip, and every kind of bad row reported with file, row, column."""

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from likvard.data.register import InputError, read_dir, read_files, write_dir
from likvard.data.synthetic_register import make_register


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("register")
    write_dir(make_register(600, 12, seed=4), d)
    return d


def test_write_then_read_gives_the_same_tables(files):
    original = make_register(600, 12, seed=4)
    back = read_dir(files)
    for name in ("pupils", "schools", "index", "decisions", "rsu_groups"):
        a = getattr(original, name)
        b = getattr(back, name)
        assert a.columns == b.columns
        assert a.equals(b), name


def _copy_with(files: Path, tmp_path: Path, file: str, edit) -> Path:
    d = tmp_path / "copy"
    d.mkdir()
    for f in files.iterdir():
        (d / f.name).write_bytes(f.read_bytes())
    lines = (d / file).read_text(encoding="utf-8").splitlines()
    edit(lines)
    (d / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


def _set(lines: list[str], row: int, column: str, value: str) -> None:
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "words"),
    [
        ("pupils.csv", 5, "grade", "X", "ingen årskurs"),
        ("pupils.csv", 6, "school_unit_code", "12345678", "finns inte i schools.csv"),
        ("pupils.csv", 7, "school_unit_code", "12AB", "skolenhetskod"),
        ("pupils.csv", 8, "merit_value_year9", "400", "större än 340"),
        ("pupils.csv", 9, "special_group_share", "abc", "inte en andel"),
        ("pupils.csv", 10, "home_municipality", "180", "kommunkod"),
        ("pupils.csv", 11, "guardian_income_decile", "11", "större än 10"),
        ('decisions.csv', 2, "amount", '"12,345"', "öre"),
        ("decisions.csv", 3, "amount", "mycket", "inte ett belopp"),
        ("schools.csv", 3, "operator", "privat", "giltigt värde"),
        ("rsu_groups.csv", 2, "places", "-1", "mindre än 0"),
    ],
)
def test_a_bad_value_is_reported_with_file_row_and_column(files, tmp_path, file, row, column, value, words):
    d = _copy_with(files, tmp_path, file, lambda lines: _set(lines, row, column, value))
    with pytest.raises(InputError) as err:
        read_dir(d)
    hits = [p for p in err.value.problems if p.file == file and p.column == column and p.row == row]
    assert hits, err.value.problems
    assert words in hits[0].message or words in str(hits[0])


def test_a_duplicate_pupil_in_the_same_year_is_reported(files, tmp_path):
    def dup(lines):
        lines.append(lines[1])

    d = _copy_with(files, tmp_path, "pupils.csv", dup)
    with pytest.raises(InputError) as err:
        read_dir(d)
    assert any(p.column == "pupil_id" and "flera gånger" in p.message for p in err.value.problems)


def test_missing_and_unknown_columns_are_reported_on_the_header_row(files, tmp_path):
    def rename(lines):
        lines[0] = lines[0].replace("grade", "grad")

    d = _copy_with(files, tmp_path, "pupils.csv", rename)
    with pytest.raises(InputError) as err:
        read_dir(d)
    cols = {(p.row, p.column) for p in err.value.problems}
    assert (1, "grade") in cols and (1, "grad") in cols


def test_the_swedish_excel_dialect_is_read(files, tmp_path):
    """Semicolons, decimal commas and a BOM, as Excel saves "CSV UTF-8" in a Swedish locale."""
    d = tmp_path / "excel"
    d.mkdir()
    for f in files.iterdir():
        if f.suffix != ".csv":
            continue
        table = pl.read_csv(f, infer_schema=False)
        if f.name == "school_index.csv":
            table = table.with_columns(pl.col("index").str.replace(".", ",", literal=True))
        (d / f.name).write_text("\ufeff" + table.write_csv(separator=";"), encoding="utf-8")
    back = read_dir(d)
    original = read_dir(files)
    assert back.pupils.equals(original.pupils)
    assert back.schools.equals(original.schools)
    assert (back.index["index"] - original.index["index"]).abs().max() < 1e-9


def test_problems_are_collected_for_the_whole_file_not_just_the_first(files, tmp_path):
    def many(lines):
        for r in range(2, 40):
            _set(lines, r, "grade", "Q")

    d = _copy_with(files, tmp_path, "pupils.csv", many)
    with pytest.raises(InputError) as err:
        read_dir(d)
    assert len([p for p in err.value.problems if p.column == "grade"]) >= 38


def test_a_school_list_row_error_names_the_file(files, tmp_path):
    d = _copy_with(files, tmp_path, "schools.csv", lambda lines: _set(lines, 2, "school_forms", '"gr,xx"'))
    with pytest.raises(InputError) as err:
        read_dir(d)
    assert str(err.value.problems[0]).startswith("schools.csv, rad 2, kolumn school_forms")


def test_the_reader_is_columnar_and_fast_enough_for_a_big_file(tmp_path):
    big = make_register(200_000, 300, seed=2, years=(2024,))
    write_dir(big, tmp_path)
    back = read_dir(tmp_path)
    assert back.pupils.height == 200_000
    assert back.pupils.filter(pl.col("school_form") == "gy").height == big.pupils.filter(pl.col("school_form") == "gy").height


# --- added: money notations, more problem types, README, the demo through the format ----------


def _with_decisions(files: Path, tmp_path: Path, rows: list[str], sep: str = ",") -> Path:
    d = tmp_path / "money"
    d.mkdir()
    for f in files.iterdir():
        if f.name != "decisions.csv":
            (d / f.name).write_bytes(f.read_bytes())
    pupils = pl.read_csv(files / "pupils.csv", infer_schema=False).head(len(rows))
    header = sep.join(["year", "pupil_id", "kind", "amount", "extensive"])
    body = [sep.join([y, pid, "individual_support", amount, "1"]) for (y, pid), amount in zip(pupils.select("year", "pupil_id").iter_rows(), rows, strict=True)]
    (d / "decisions.csv").write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    return d


def test_amounts_in_swedish_and_plain_notation_become_exact_ore(files, tmp_path):
    notations = ['"11 486 kr"', "147000", "147000.50", '"1,5 tkr"', '"147 000,05"', "80100 kr"]
    back = read_dir(_with_decisions(files, tmp_path, notations))
    assert back.decisions["amount_ore"].to_list() == [1_148_600, 14_700_000, 14_700_050, 150_000, 14_700_005, 8_010_000]
    assert back.decisions.schema["amount_ore"] == pl.Int64


def test_semicolon_files_take_decimal_comma_amounts(files, tmp_path):
    back = read_dir(_with_decisions(files, tmp_path, ["147 000,50", "12,5", "9"], sep=";"))
    assert back.decisions["amount_ore"].to_list() == [14_700_050, 1_250, 900]


@pytest.mark.parametrize(
    ("amount", "words"),
    [("", "saknas"), ("-500", "negativt"), ("12.345", "öre"), ("tolv", "inte ett belopp")],
)
def test_bad_amounts_name_row_and_column(files, tmp_path, amount, words):
    d = _with_decisions(files, tmp_path, ["100", amount, "200"])
    with pytest.raises(InputError) as err:
        read_dir(d)
    hits = [p for p in err.value.problems if (p.file, p.row, p.column) == ("decisions.csv", 3, "amount")]
    assert hits and words in hits[0].message, err.value.problems


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "words"),
    [
        ("schools.csv", 4, "municipality_code", "18000", "kommunkod"),
        ("schools.csv", 5, "school_unit_code", "1234567", "skolenhetskod"),
        ("pupils.csv", 4, "special_group_share", "150", "större än 100"),
        ("pupils.csv", 6, "guardian_income_decile", "0", "mindre än 1"),
        ("pupils.csv", 7, "merit_value", "-5", "mindre än 0"),
        ("pupils.csv", 8, "mother_tongue", "ja", "giltigt värde"),
        ("pupils.csv", 9, "year", "tjugo", "årtal"),
        ("school_index.csv", 2, "index", "hög", "indexvärde"),
        ("decisions.csv", 4, "pupil_id", "nobody", "finns inte i pupils.csv"),
        ("rsu_groups.csv", 2, "host_school_unit_code", "87654321", "finns inte i schools.csv"),
    ],
)
def test_more_bad_values_are_reported_with_file_row_and_column(files, tmp_path, file, row, column, value, words):
    d = _copy_with(files, tmp_path, file, lambda lines: _set(lines, row, column, value))
    with pytest.raises(InputError) as err:
        read_dir(d)
    hits = [p for p in err.value.problems if (p.file, p.row, p.column) == (file, row, column)]
    assert hits and words in hits[0].message, err.value.problems
    assert str(hits[0]).startswith(f"{file}, rad {row}, kolumn {column}: ")


def test_a_grade_that_does_not_fit_the_school_form(files, tmp_path):
    def gy_grade_9(lines):
        header = lines[0].split(",")
        for r, line in enumerate(lines[1:], start=2):
            if line.split(",")[header.index("school_form")] == "gy":
                _set(lines, r, "grade", "9")
                return

    d = _copy_with(files, tmp_path, "pupils.csv", gy_grade_9)
    with pytest.raises(InputError) as err:
        read_dir(d)
    assert any(p.column == "grade" and "gymnasieskolan" in p.message for p in err.value.problems)


def test_a_missing_required_file_is_reported(files, tmp_path):
    d = _copy_with(files, tmp_path, "pupils.csv", lambda lines: None)
    (d / "schools.csv").unlink()
    with pytest.raises(InputError) as err:
        read_dir(d)
    assert any(p.file == "schools.csv" and "finns inte" in p.message for p in err.value.problems)


def test_the_readme_says_when_the_data_are_synthetic(tmp_path):
    reg = make_register(50, 3, seed=1)
    synthetic = replace(reg, source="Demokommun (syntetiska elever), seed 1")
    write_dir(synthetic, tmp_path / "a")
    assert "syntetiska" in (tmp_path / "a" / "README.txt").read_text(encoding="utf-8").splitlines()[1]
    assert read_dir(tmp_path / "a").source == synthetic.source
    write_dir(replace(reg, source="Registerutdrag 2024"), tmp_path / "b")
    assert "syntetiska" not in (tmp_path / "b" / "README.txt").read_text(encoding="utf-8")


def test_the_demo_goes_through_the_format_unchanged(demo, tmp_path):
    write_dir(demo, tmp_path)
    back = read_dir(tmp_path)
    for name in ("pupils", "schools", "index", "decisions", "rsu_groups"):
        assert getattr(back, name).equals(getattr(demo, name)), name
    assert back.source == demo.source


def _as_workbook(csv: Path, target: Path, numeric: tuple[str, ...] = ()) -> Path:
    """The CSV's table as the first sheet of a workbook; ``numeric`` columns as numbers."""
    from openpyxl import Workbook

    table = pl.read_csv(csv, infer_schema=False)
    book = Workbook()
    sheet = book.active
    sheet.append(table.columns)
    for row in table.iter_rows():
        sheet.append([int(v) if c in numeric and v not in (None, "") else v for c, v in zip(table.columns, row, strict=True)])
    book.save(target)
    return target


def test_every_file_may_be_an_excel_workbook_with_codes_turned_into_numbers(files, tmp_path):
    """Controllers keep extracts in Excel, which stores 0180 as 180: the codes come back."""
    original = read_dir(files)
    pupils = _as_workbook(files / "pupils.csv", tmp_path / "pupils.xlsx", numeric=("year", "school_unit_code", "home_municipality"))
    schools = _as_workbook(files / "schools.csv", tmp_path / "schools.xlsx", numeric=("municipality_code",))
    back = read_files(pupils=pupils, schools=schools)
    assert back.pupils.equals(original.pupils)
    assert back.schools.equals(original.schools)
    assert set(back.pupils["home_municipality"].unique().to_list()) >= {"0180"}


def test_a_bad_cell_in_a_workbook_names_the_excel_row(files, tmp_path):
    from openpyxl import load_workbook

    path = _as_workbook(files / "pupils.csv", tmp_path / "pupils.xlsx")
    book = load_workbook(path)
    book.active["E7"] = "13"  # grade column of sheet row 7
    assert book.active["E1"].value == "grade"
    book.save(path)
    with pytest.raises(InputError) as err:
        read_files(pupils=path, schools=files / "schools.csv")
    assert [(p.file, p.row, p.column) for p in err.value.problems] == [("pupils.xlsx", 7, "grade")]
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError) as err:
        read_files(pupils=tmp_path / "broken.xlsx", schools=files / "schools.csv")
    assert "kan inte läsas som Excel-fil" in str(err.value) and "broken.xlsx" in str(err.value)


# --- issue 7: one reader for every import, organiser types, ignored columns, privacy ----------


def test_the_register_in_swedish_excels_windows_1252_dialect_reads_like_the_utf8_files(files, tmp_path):
    """"CSV (semikolonavgränsad)" from a Swedish Excel: Windows-1252, semicolons, decimal commas."""
    from likvard.data.register import read_schools

    d = tmp_path / "cp1252"
    d.mkdir()
    for f in files.iterdir():
        if f.suffix != ".csv":
            continue
        table = pl.read_csv(f, infer_schema=False)
        if f.name == "schools.csv":
            table = table.with_columns(pl.col("name").str.replace("Skola", "Skolan vid Åsö gärde"))
        if f.name == "school_index.csv":
            table = table.with_columns(pl.col("index").str.replace(".", ",", literal=True))
        (d / f.name).write_bytes(table.write_csv(separator=";").encode("cp1252"))
    back = read_dir(d)
    original = read_dir(files)
    assert back.pupils.equals(original.pupils)
    assert back.schools["name"].to_list() == [n.replace("Skola", "Skolan vid Åsö gärde") for n in original.schools["name"].to_list()]
    assert (back.index["index"] - original.index["index"]).abs().max() < 1e-9
    assert read_schools(d / "schools.csv", []) is not None


def test_files_held_in_memory_read_like_files_on_disk_and_messages_name_the_upload(files):
    from likvard.data.tables import Upload

    uploads = {k: Upload(f"uppladdad-{k}.csv", (files / f"{k}.csv").read_bytes()) for k in ("pupils", "schools")}
    back = read_files(pupils=uploads["pupils"], schools=uploads["schools"])
    assert back.pupils.equals(read_dir(files).pupils)
    lines = (files / "pupils.csv").read_text(encoding="utf-8").splitlines()
    _set(lines, 4, "grade", "Q")
    with pytest.raises(InputError) as err:
        read_files(pupils=Upload("elever 2024.csv", "\n".join(lines).encode()), schools=uploads["schools"])
    assert [(p.file, p.row, p.column) for p in err.value.problems] == [("elever 2024.csv", 4, "grade")]


def test_a_school_list_with_an_extra_column_is_read_with_a_notice(files, tmp_path):
    def extra(lines):
        lines[0] += ",telefon"
        for r in range(1, len(lines)):
            lines[r] += ",08-123 456"

    d = _copy_with(files, tmp_path, "schools.csv", extra)
    notices: list = []
    back = read_dir(d, notices=notices)
    assert back.schools.equals(read_dir(files).schools)
    assert [str(n) for n in notices] == ["schools.csv, rad 1, kolumn telefon: okänd kolumn, ignoreras"]


def test_an_extra_column_in_any_other_file_is_still_refused(files, tmp_path):
    def extra(lines):
        lines[0] += ",telefon"
        for r in range(1, len(lines)):
            lines[r] += ","

    d = _copy_with(files, tmp_path, "school_index.csv", extra)
    with pytest.raises(InputError) as err:
        read_dir(d)
    assert [(p.file, p.row, p.column) for p in err.value.problems] == [("school_index.csv", 1, "telefon")]


def test_a_school_list_alone_can_be_validated(files):
    from likvard.data.register import read_schools
    from likvard.engine.allocation.inputs import PUPIL_SCHEMA

    back = read_files(schools=files / "schools.csv")
    assert back.pupils.height == 0 and back.pupils.schema == pl.Schema(PUPIL_SCHEMA)
    assert back.schools.equals(read_dir(files).schools)
    problems: list = []
    assert read_schools(files / "schools.csv", problems).equals(back.schools) and problems == []


def test_pupils_are_checked_against_a_given_school_table(files):
    schools = read_dir(files).schools
    back = read_files(pupils=files / "pupils.csv", known_schools=schools.select("school_unit_code"))
    assert back.pupils.equals(read_dir(files).pupils)
    fewer = schools.select("school_unit_code").tail(-1)
    with pytest.raises(InputError) as err:
        read_files(pupils=files / "pupils.csv", known_schools=fewer)
    first = err.value.problems[0]
    assert (first.file, first.column) == ("pupils.csv", "school_unit_code") and "finns inte i skolregistret" in first.message
    with pytest.raises(InputError) as err:
        read_files(pupils=files / "pupils.csv")
    assert err.value.problems[0].file == "schools.csv" and "skollistan saknas" in err.value.problems[0].message


def test_a_school_index_without_pupils_is_refused_naming_file_and_column(files, tmp_path):
    def drop_pupils(lines):
        for r, line in enumerate(lines):
            lines[r] = line.rsplit(",", 1)[0]

    assert (files / "school_index.csv").read_text(encoding="utf-8").splitlines()[0].endswith(",pupils")
    d = _copy_with(files, tmp_path, "school_index.csv", drop_pupils)
    with pytest.raises(InputError) as err:
        read_dir(d)
    assert [str(p) for p in err.value.problems] == ["school_index.csv, rad 1, kolumn pupils: kolumnen saknas"]


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [("index", "0", "större än 0"), ("index", "-3", "större än 0"), ("index", "inf", "ändligt"), ("index", "NaN", "ändligt"), ("pupils", "", "saknas")],
)
def test_an_index_must_be_positive_and_finite_and_have_pupils(files, tmp_path, column, value, words):
    d = _copy_with(files, tmp_path, "school_index.csv", lambda lines: _set(lines, 3, column, value))
    with pytest.raises(InputError) as err:
        read_dir(d)
    hits = [p for p in err.value.problems if (p.file, p.row, p.column) == ("school_index.csv", 3, column)]
    assert hits and words in hits[0].message, err.value.problems


def test_schools_of_other_municipalities_and_the_state_are_accepted_and_private_is_not(files, tmp_path):
    def organisers(lines):
        _set(lines, 2, "operator", "other_municipality")
        _set(lines, 3, "operator", "state")

    back = read_dir(_copy_with(files, tmp_path, "schools.csv", organisers))
    assert back.schools["operator"].to_list()[:2] == ["other_municipality", "state"]
    (tmp_path / "b").mkdir()
    d = _copy_with(files, tmp_path / "b", "schools.csv", lambda lines: _set(lines, 4, "operator", "private"))
    with pytest.raises(InputError) as err:
        read_dir(d)
    assert [(p.file, p.row, p.column) for p in err.value.problems] == [("schools.csv", 4, "operator")]
    assert "other_municipality" in err.value.problems[0].message and "state" in err.value.problems[0].message


def test_a_pupil_id_that_looks_like_a_personal_identity_number_is_left_to_the_importer(files, tmp_path):
    """The reader no longer refuses it: the import pseudonymises such ids before storing."""
    d = _copy_with(files, tmp_path, "pupils.csv", lambda lines: _set(lines, 12, "pupil_id", "200101011234"))
    assert read_dir(d).pupils["pupil_id"].to_list()[10] == "200101011234"
    from likvard.data.register import text_columns

    assert "pupil_id" in text_columns("pupils") and "pupil_id" in text_columns("decisions.csv")
    assert set(text_columns("schools")) == {"name", "organiser", "district", "area"}
    assert text_columns("school_index.csv") == ()


def test_messages_never_show_free_text_values_nor_identity_numbers(files, tmp_path):
    secret = "200101011234"

    def edit(lines):
        _set(lines, 3, "pupil_id", secret)
        lines.append(lines[2])  # the same pupil twice in the year
        _set(lines, 5, "pupil_id", "x" * 65)
        _set(lines, 6, "school_unit_code", "19900101-1234")  # an identity number in a code column
        _set(lines, 7, "grade", "Q")

    d = _copy_with(files, tmp_path, "pupils.csv", edit)
    with pytest.raises(InputError) as err:
        read_dir(d)
    found = {(p.row, p.column): p.message for p in err.value.problems}
    assert "flera gånger" in found[(3, "pupil_id")]
    assert "64 tecken" in found[(5, "pupil_id")]
    assert "skolenhetskod" in found[(6, "school_unit_code")]
    assert found[(7, "grade")].startswith("'Q' är ingen årskurs")  # a code is shown: it helps
    text = "\n".join(str(p) for p in err.value.problems)
    assert secret not in text and "19900101" not in text and "xxxx" not in text


def test_a_decision_for_an_unknown_pupil_does_not_show_the_id(files, tmp_path):
    d = _copy_with(files, tmp_path, "decisions.csv", lambda lines: _set(lines, 2, "pupil_id", "hemlig-elev"))
    with pytest.raises(InputError) as err:
        read_dir(d)
    assert [(p.file, p.row, p.column) for p in err.value.problems] == [("decisions.csv", 2, "pupil_id")]
    assert "hemlig-elev" not in str(err.value)


@pytest.mark.parametrize(("file", "column", "value"), [("pupils.csv", "year", "2024.0"), ("pupils.csv", "year", "1999"), ("decisions.csv", "year", "2101"), ("school_index.csv", "year", "2024.5")])
def test_years_are_whole_numbers_between_2000_and_2100(files, tmp_path, file, column, value):
    d = _copy_with(files, tmp_path, file, lambda lines: _set(lines, 2, column, value))
    with pytest.raises(InputError) as err:
        read_dir(d)
    assert any((p.file, p.row, p.column) == (file, 2, column) for p in err.value.problems), err.value.problems


def test_the_reading_wrappers_kept_for_existing_callers_still_work(files, tmp_path):
    from likvard.data.register import read_text_table, xlsx_to_csv

    frame, sep = read_text_table(files / "schools.csv", [])
    assert sep == "," and frame.columns[0] == "_row" and frame.height == read_dir(files).schools.height
    book = _as_workbook(files / "schools.csv", tmp_path / "schools.xlsx")
    target = xlsx_to_csv(book, tmp_path / "schools-from-excel.csv", [])
    assert target is not None and pl.read_csv(target, infer_schema=False).equals(pl.read_csv(files / "schools.csv", infer_schema=False).fill_null(""))
