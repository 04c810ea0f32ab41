"""Skolverket's files read as downloaded, markers kept apart, problems with line and column."""

from pathlib import Path

import polars as pl
import pytest

from likvard.data.problems import Problem
from likvard.data.skolverket import read_planned_educations, read_results_csv

FIXTURES = Path(__file__).resolve().parents[2] / "src" / "likvard" / "data" / "fixtures" / "skolverket"
CSV = FIXTURES / "Grundskola - Slutbetyg årskurs 9, samtliga elever 2025 Skolenhet.csv"


def test_the_national_export_is_read_with_its_markers():
    frame, problems = read_results_csv(CSV.read_bytes(), CSV.name)
    assert problems == []
    assert frame.height == 1714  # every school unit row, no preamble, no footnotes
    rinkeby = frame.filter(frame["school_unit_code"] == "37416253").row(0, named=True)
    assert rinkeby["merit_value"] == 202.7 and rinkeby["share_eligible_vocational"] == 74.5 and rinkeby["pupils"] == 51
    assert rinkeby["organiser_type"] == "municipal"
    statuses = set(frame["share_eligible_vocational_status"].to_list())
    assert {"exists", "suppressed", "no_data", "near_all"} <= statuses
    near = frame.filter(frame["share_eligible_vocational_status"] == "near_all")
    assert (near["share_eligible_vocational"] == 100.0).all()


def test_a_non_number_is_reported_with_line_and_column():
    text = CSV.read_bytes().decode("utf-8-sig").replace(";202,7", ";x202")
    _, problems = read_results_csv(text.encode(), "export.csv")
    assert len(problems) == text.count(";x202") >= 1  # every bad row, not only the first
    for p in problems:
        assert p.file == "export.csv" and p.column == "Genomsnittligt meritvärde (17 ämnen)" and p.row is not None
        assert "x202" in text.splitlines()[p.row - 1]


def test_a_file_that_is_not_the_export_is_refused():
    _, problems = read_results_csv(b"a;b;c\n1;2;3\n", "other.csv")
    assert problems and "Skola" in problems[0].message


def test_planned_educations_responses():
    kind, rows, problems = read_planned_educations((FIXTURES / "planned-educations-v4" / "37416253.statistics-gr.json").read_bytes())
    assert kind == "statistics" and not problems
    merit = [r for r in rows if r["indicator"] == "averageGradesMeritRating9thGrade"]
    assert {r["period"] for r in merit} >= {"2020/21", "2024/25"}
    kind, fields, problems = read_planned_educations((FIXTURES / "planned-educations-v4" / "37416253.school-unit.json").read_bytes())
    assert kind == "school_unit" and fields["name"] == "Rinkebyskolan" and fields["operator"] == "municipal"
    kind, _, problems = read_planned_educations(b"{not json", "bad.json")
    assert kind == "" and problems[0].file == "bad.json"


# --- added: path API, every problem type, the planned-educations directory --------------------



PLANNED = FIXTURES / "planned-educations-v4"
HEADER_LINE = 6  # five preamble lines before the header


def _lines() -> list[str]:
    return CSV.read_bytes().decode("utf-8-sig").splitlines()


def _rewrite(lines: list[str]) -> bytes:
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def _line_of(lines: list[str], code: str) -> int:
    return next(i for i, line in enumerate(lines, start=1) if f";{code};" in line)


def test_a_path_reads_the_same_as_the_bytes_and_gives_every_column():
    by_path, problems = read_results_csv(CSV)
    by_bytes, _ = read_results_csv(CSV.read_bytes(), CSV.name)
    assert problems == [] and by_path.equals(by_bytes)
    expected = {
        "school_unit_code", "name", "municipality", "municipality_code", "organiser_type", "organiser", "organiser_orgnr",
        "pupils", "share_all_subjects", "share_eligible_vocational", "merit_value",
    }
    assert expected <= set(by_path.columns)
    assert {f"{c}_status" for c in ("pupils", "share_all_subjects", "share_eligible_vocational", "merit_value")} <= set(by_path.columns)
    assert set(by_path["organiser_type"].unique().to_list()) == {"municipal", "independent"}
    # ".." (fewer than 10) and "." (no data) stay apart and both give null
    sup = by_path.filter(pl.col("merit_value_status") == "suppressed")
    nod = by_path.filter(pl.col("share_all_subjects_status") == "no_data")
    assert sup.height > 0 and sup["merit_value"].null_count() == sup.height
    assert nod.height > 0 and nod["share_all_subjects"].null_count() == nod.height
    small = by_path.filter(pl.col("pupils_status") == "suppressed")
    assert small.height > 0 and small["pupils"].null_count() == small.height
    assert by_path.schema["pupils"] == pl.Int32 and by_path.schema["merit_value"] == pl.Float64


def test_a_wrong_header_names_the_header_line_and_the_column():
    lines = _lines()
    lines[HEADER_LINE - 1] = lines[HEADER_LINE - 1].replace("Antal elever", "Antal")
    frame, problems = read_results_csv(_rewrite(lines), "export.csv")
    assert frame.height == 0
    assert Problem("export.csv", HEADER_LINE, "Antal elever", "kolumnen saknas") in problems


def test_a_bad_school_unit_code_is_reported_on_its_line():
    lines = _lines()
    at = _line_of(lines, "37416253")
    lines[at - 1] = lines[at - 1].replace(";37416253;", ";3741625X;")
    frame, problems = read_results_csv(_rewrite(lines), "export.csv")
    assert [(p.row, p.column) for p in problems] == [(at, "Skol-enhetskod")]
    assert "3741625X" in problems[0].message
    assert "37416253" not in frame["school_unit_code"].to_list()


def test_bad_municipality_code_and_organiser_type_are_reported():
    lines = _lines()
    at = _line_of(lines, "37416253")
    lines[at - 1] = lines[at - 1].replace(";0180;Kommunal;", ";180;Statens;")
    _, problems = read_results_csv(_rewrite(lines), "export.csv")
    assert {(p.row, p.column) for p in problems} == {(at, "Kommun-kod"), (at, "Typ av huvudman")}


def test_a_missing_or_non_utf8_file_is_a_problem_not_a_traceback(tmp_path):
    frame, problems = read_results_csv(tmp_path / "nope.csv")
    assert frame.height == 0 and problems[0].file == "nope.csv" and "kan inte läsas" in problems[0].message
    latin = CSV.read_bytes().decode("utf-8-sig").encode("latin-1", errors="replace")
    _, problems = read_results_csv(latin, "latin.csv")
    assert problems and "UTF-8" in problems[0].message


def test_problem_reads_as_one_line():
    assert str(Problem("pupils.csv", 12, "grade", "'X' är ingen årskurs (F, 1–9)")) == "pupils.csv, rad 12, kolumn grade: 'X' är ingen årskurs (F, 1–9)"
    assert str(Problem("schools.csv", None, None, "filen finns inte")) == "schools.csv: filen finns inte"


def test_the_planned_educations_directory_as_tidy_frames():
    pe = read_planned_educations(PLANNED)
    assert pe.problems == []
    assert pe.schools.height == len(list(PLANNED.glob("*.school-unit.json")))
    assert pe.schools["school_unit_code"].is_unique().all()
    rinkeby = pe.schools.filter(pl.col("school_unit_code") == "37416253").row(0, named=True)
    assert rinkeby["name"] == "Rinkebyskolan" and rinkeby["operator"] == "municipal" and rinkeby["municipality_code"] == "0180"
    assert rinkeby["grades"] == "F,7,8,9" and "gran" in rinkeby["school_forms"] and 59.3 < rinkeby["lat"] < 59.5
    assert set(pe.schools["operator"].unique().to_list()) == {"municipal", "independent"}
    st = pe.statistics
    assert st.columns == ["school_unit_code", "indicator", "period", "value", "value_number", "value_type"]
    merit = st.filter((pl.col("school_unit_code") == "37416253") & (pl.col("indicator") == "averageGradesMeritRating9thGrade"))
    assert dict(zip(merit["period"], merit["value_number"], strict=True))["2024/25"] == pytest.approx(202.7)
    assert {"EXISTS", "OMITTED_DUE_TO_BASED_ON_FEW_PUPILS", "MISSING"} <= set(st["value_type"].unique().to_list())
    omitted = st.filter(pl.col("value_type") == "OMITTED_DUE_TO_BASED_ON_FEW_PUPILS")
    assert omitted["value_number"].null_count() == omitted.height


def test_a_bad_file_in_the_directory_is_reported_and_the_rest_read(tmp_path):
    for name in ("37416253.school-unit.json", "37416253.statistics-gr.json"):
        (tmp_path / name).write_bytes((PLANNED / name).read_bytes())
    (tmp_path / "12345678.school-unit.json").write_text("{broken", encoding="utf-8")
    pe = read_planned_educations(tmp_path)
    assert [p.file for p in pe.problems] == ["12345678.school-unit.json"]
    assert pe.schools["school_unit_code"].to_list() == ["37416253"] and pe.statistics.height > 0
    missing = read_planned_educations(tmp_path / "nowhere")
    assert missing.problems and missing.schools.height == 0
