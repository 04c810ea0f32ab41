"""Skolverket's files read as downloaded, markers kept apart, problems with line and column."""

from pathlib import Path

import polars as pl
import pytest

from likvard.data.planned_educations import read_planned_educations
from likvard.data.problems import Problem
from likvard.data.skolverket_results import read_results_csv

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
    # Windows-1252 is now read (Swedish Excel's "CSV (semikolonavgränsad)"); bytes that are
    # neither UTF-8 nor Windows-1252 (0x81 is undefined in Windows-1252) are still a problem
    garbled = CSV.read_bytes().decode("utf-8-sig").encode("cp1252") + b"\x81\n"
    frame, problems = read_results_csv(garbled, "garbled.csv")
    assert frame.height == 0 and problems[0].file == "garbled.csv" and "UTF-8" in problems[0].message


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


# --- many files at once: one vocabulary, the national CSV's dialects, zips, content hashes ----

import io  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402

from likvard.data.skolverket import content_hash, read_skolverket  # noqa: E402
from likvard.data.skolverket_published import (  # noqa: E402
    MARKER_LABELS,
    PUBLISHED_SCHEMA,
    SCHOOLS_SCHEMA,
    parse_published,
    statistics_frame,
)

RINKEBY = "37416253"
STATS_FILE = PLANNED / f"{RINKEBY}.statistics-gr.json"
UNIT_FILE = PLANNED / f"{RINKEBY}.school-unit.json"


def _text() -> str:
    return CSV.read_bytes().decode("utf-8-sig")


def _stored(body: dict, generated_at: str = "2026-04-21T10:25:54.795Z") -> bytes:
    doc = {"generatedAt": generated_at, "url": "https://api.skolverket.se/planned-educations/v4/school-units/x", "acceptHeader": "application/vnd.skolverket.plannededucations.api.v4.hal+json", "json": {"status": "OK", "message": "Success", "body": body}}
    return json.dumps(doc, indent=4).encode()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_the_school_year_comes_from_the_valt_lasar_line_not_the_file_name(tmp_path):
    renamed = tmp_path / "Grundskola - Slutbetyg årskurs 9, samtliga elever 2021 Skolenhet.csv"
    renamed.write_bytes(CSV.read_bytes())
    frame, problems = read_results_csv(renamed)
    assert problems == [] and frame["period"].unique().to_list() == ["2024/25"]
    data = read_skolverket([renamed])
    assert data.problems == () and data.statistics["period"].unique().to_list() == ["2024/25"]
    # the same file with another year on its Valt läsår line is that year, whatever its name
    (tmp_path / "export-2025.csv").write_text(_text().replace("Valt läsår: 2024/25", "Valt läsår: 2022/23"), encoding="utf-8")
    frame, _ = read_results_csv(tmp_path / "export-2025.csv")
    assert frame["period"].unique().to_list() == ["2022/23"]


def test_a_csv_without_the_valt_lasar_line_is_a_problem_naming_the_file():
    text = _text().replace("Valt läsår: 2024/25", "")
    frame, problems = read_results_csv(text.encode(), "slutbetyg 2025.csv")
    assert [(p.file, p.row, p.column) for p in problems] == [("slutbetyg 2025.csv", None, None)]
    assert "Valt läsår" in problems[0].message
    assert frame["period"].null_count() == frame.height > 0  # never guessed from the name
    data = read_skolverket([("slutbetyg 2025.csv", text.encode())])
    assert [p.file for p in data.problems] == ["slutbetyg 2025.csv"] and data.statistics.height == 0


def test_swedish_excel_dialects_read_to_the_same_frame(tmp_path):
    text = _text()
    variants = {
        "utf8-bom.csv": CSV.read_bytes(),
        "utf8-no-bom.csv": text.encode("utf-8"),
        "cp1252.csv": text.encode("cp1252"),  # "CSV (semikolonavgränsad)" from Swedish Excel
        "tab.csv": text.replace(";", "\t").encode("utf-8-sig"),
        "cp1252-tab-crlf.txt": text.replace(";", "\t").replace("\n", "\r\n").encode("cp1252"),
    }
    assert b"\xe5" in variants["cp1252.csv"]  # å as one Windows-1252 byte: not valid UTF-8
    reference, problems = read_results_csv(CSV)
    assert problems == [] and reference.height == 1714
    for name, content in variants.items():
        (tmp_path / name).write_bytes(content)
        frame, problems = read_results_csv(tmp_path / name)
        assert problems == [], name
        assert frame.equals(reference), name
        assert frame.filter(pl.col("school_unit_code") == "82520504")["name"].item() == "Åkerboskolan"
    reference_stats = read_skolverket([CSV]).statistics
    for name in variants:
        assert read_skolverket([tmp_path / name]).statistics.equals(reference_stats), name


def test_statlig_is_a_state_school_and_region_a_municipal_one():
    lines = _lines()
    at = _line_of(lines, RINKEBY)
    lines[at - 1] = lines[at - 1].replace(";Kommunal;", ";Statlig;")
    gotland = _line_of(lines, "23656786")
    lines[gotland - 1] = lines[gotland - 1].replace(";Kommunal;", ";Region;")
    frame, problems = read_results_csv(_rewrite(lines), "export.csv")
    assert problems == []
    types = dict(zip(frame["school_unit_code"], frame["organiser_type"], strict=True))
    assert types[RINKEBY] == "state" and types["23656786"] == "municipal" and types["48000763"] == "independent"
    schools = read_skolverket([("export.csv", _rewrite(lines))]).schools
    operator = dict(zip(schools["school_unit_code"], schools["operator"], strict=True))
    assert operator[RINKEBY] == "state" and operator["23656786"] == "municipal"
    # and in a school-unit response
    body = json.loads(UNIT_FILE.read_bytes())["json"]["body"] | {"principalOrganizerType": "Statlig"}
    data = read_skolverket([("unit.json", _stored(body))])
    assert data.schools["operator"].to_list() == ["state"]


def test_rinkebyskolans_merit_values_from_the_real_directory():
    data = read_skolverket([PLANNED])
    assert data.problems == ()
    merit = data.statistics.filter((pl.col("school_unit_code") == RINKEBY) & (pl.col("indicator") == "merit_value")).sort("period")
    assert merit["period"].to_list() == ["2020/21", "2021/22", "2022/23", "2023/24", "2024/25"]
    assert merit["value"].to_list() == pytest.approx([197.0, 199.6, 205.9, 208.6, 202.7])
    assert merit["published"].to_list() == ["197,0", "199,6", "205,9", "208,6", "202,7"] and set(merit["marker"]) == {""}
    assert data.statistics.schema == pl.Schema(PUBLISHED_SCHEMA) and data.schools.schema == pl.Schema(SCHOOLS_SCHEMA)
    rinkeby = data.schools.filter(pl.col("school_unit_code") == RINKEBY).row(0, named=True)
    assert rinkeby["grades"] == "F,7,8,9" and rinkeby["school_forms"] == "gr,gran" and rinkeby["municipality_code"] == "0180"
    # every file listed once with its kind; statistics under one name per figure, the rest by API name
    assert data.files.height == 307 and data.files["name"].is_unique().all()
    assert dict(data.files.group_by("kind").len().iter_rows()) == {"school_unit": 155, "statistics": 152}
    indicators = set(data.statistics["indicator"])
    assert {"merit_value", "share_all_subjects", "share_eligible_vocational", "totalNumberOfPupils"} <= indicators
    assert not indicators & {"averageGradesMeritRating9thGrade", "ratioOfPupils9thGradeEligibleForNationalProgramYR"}


def test_reading_the_real_directory_and_the_csv_takes_about_a_second():
    start = time.perf_counter()
    data = read_skolverket([PLANNED, CSV])
    elapsed = time.perf_counter() - start
    assert data.problems == () and data.files.height == 308
    assert elapsed < 5.0, f"{elapsed:.2f} s"  # ~0.2 s measured; generous for a busy machine


def test_markers_and_cirka_are_kept_as_published_with_the_number():
    st = read_skolverket([PLANNED]).statistics
    assert set(st["marker"]) == {"", "..", ".", "~100", "*", "cirka"} == {""} | set(MARKER_LABELS)
    pupils = st.filter((pl.col("school_unit_code") == "10230535") & (pl.col("indicator") == "totalNumberOfPupils") & (pl.col("period") == "2025/26")).row(0, named=True)
    assert pupils["published"] == "cirka 230" and pupils["value"] == 230.0 and pupils["marker"] == "cirka"
    near = st.filter(pl.col("marker") == "~100")
    assert set(near["published"]) == {"~100"} and (near["value"] == 100.0).all()
    for marker in ("..", ".", "*"):
        rows = st.filter(pl.col("marker") == marker)
        assert rows.height > 0 and set(rows["published"]) == {marker} and rows["value"].null_count() == rows.height
    plain = st.filter(pl.col("marker") == "")
    assert plain["value"].null_count() == 0
    assert MARKER_LABELS[".."] == "färre än 10 elever" and MARKER_LABELS["."] == "uppgift saknas" and MARKER_LABELS["cirka"] == "avrundat värde"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("202,7", (202.7, "")),
        ("74.5", (74.5, "")),
        ("1 234,5", (1234.5, "")),
        ("~100", (100.0, "~100")),
        ("cirka 460", (460.0, "cirka")),
        ("..", (None, "..")),
        (".", (None, ".")),
        ("*", (None, "*")),
        ("", (None, ".")),
        (None, (None, ".")),
    ],
)
def test_a_published_text_is_a_number_and_a_marker(text, expected):
    assert parse_published(text) == expected


def test_one_name_per_figure_whichever_source_published_it():
    frame = statistics_frame(
        [
            {"school_unit_code": RINKEBY, "indicator": "averageGradesMeritRating9thGrade", "period": "2023/24", "published": "208,6"},
            {"school_unit_code": RINKEBY, "indicator": "Genomsnittligt meritvärde (17 ämnen)", "period": "2024/25", "published": "202,7"},
            {"school_unit_code": RINKEBY, "indicator": "Antal elever", "period": "2024/25", "published": "51"},
            {"school_unit_code": RINKEBY, "indicator": "certifiedTeachersQuota", "period": "2024/25", "published": "*"},
        ]
    )
    assert frame.schema == pl.Schema(PUBLISHED_SCHEMA)
    assert frame["indicator"].to_list() == ["merit_value", "merit_value", "pupils_grade9", "certifiedTeachersQuota"]
    assert frame["value"].to_list() == [208.6, 202.7, 51.0, None] and frame["marker"].to_list() == ["", "", "", "*"]
    with pytest.raises(ValueError, match="x202"):
        statistics_frame([{"school_unit_code": RINKEBY, "indicator": "merit_value", "period": "2024/25", "published": "x202"}])


def test_a_value_that_is_neither_number_nor_marker_is_a_problem_not_an_exception():
    body = {"schoolUnit": RINKEBY, "averageGradesMeritRating9thGrade": [{"value": "tvåhundra", "valueType": "EXISTS", "timePeriod": "2024/25"}, {"value": "202,7", "valueType": "EXISTS", "timePeriod": "2023/24"}]}
    data = read_skolverket([("stats.json", _stored(body))])
    assert [(p.file, p.column) for p in data.problems] == [("stats.json", "averageGradesMeritRating9thGrade")]
    assert "tvåhundra" in data.problems[0].message and data.statistics["period"].to_list() == ["2023/24"]


def test_a_zip_of_the_directory_gives_the_same_data_as_the_directory():
    archive = _zip({f"planned-educations-v4/{p.name}": p.read_bytes() for p in sorted(PLANNED.glob("*.json"))})
    from_dir = read_skolverket([PLANNED])
    from_zip = read_skolverket([("skolverket.zip", archive)])
    assert from_zip.problems == () and from_zip.statistics.height > 10_000
    assert from_zip.schools.equals(from_dir.schools) and from_zip.statistics.equals(from_dir.statistics)
    assert from_zip.files["content_hash"].equals(from_dir.files["content_hash"])
    assert from_zip.files["name"][0] == "skolverket.zip/planned-educations-v4/10230535.school-unit.json"


def test_a_zip_on_disk_and_a_malformed_member_named_inside_the_archive(tmp_path):
    path = tmp_path / "archive.zip"
    path.write_bytes(_zip({"member.json": b"{not json", f"{RINKEBY}.school-unit.json": UNIT_FILE.read_bytes(), "readme.txt": b"ignored"}))
    data = read_skolverket([path])
    assert [p.file for p in data.problems] == ["archive.zip/member.json"]
    assert data.schools["school_unit_code"].to_list() == [RINKEBY]
    assert data.files["name"].to_list() == [f"archive.zip/{RINKEBY}.school-unit.json"]  # readme.txt skipped
    broken = read_skolverket([("broken.zip", b"PK\x03\x04 not really a zip")])
    assert [p.file for p in broken.problems] == ["broken.zip"] and broken.files.height == 0


def test_a_zip_bomb_is_refused_quickly_with_a_problem():
    zeros = _zip({"bomb.json": bytes(50 * 1024 * 1024), f"{RINKEBY}.statistics-gr.json": STATS_FILE.read_bytes()})
    assert len(zeros) < 1024 * 1024  # 50 MB of zeros in well under 1 MB
    start = time.perf_counter()
    data = read_skolverket([("upload.zip", zeros)], max_bytes=1_000_000)
    assert time.perf_counter() - start < 2.0
    assert [p.file for p in data.problems] == ["upload.zip/bomb.json"] and "gränsen" in data.problems[0].message
    assert data.statistics.height > 0  # the honest member is still read
    # under a generous size limit the archive as a whole is refused for its ratio
    data = read_skolverket([("upload.zip", zeros)], max_bytes=100_000_000)
    assert [p.file for p in data.problems] == ["upload.zip"] and "gånger" in data.problems[0].message
    assert data.statistics.height == 0


def test_a_zip_member_that_lies_about_its_size_is_not_read_past_it():
    archive = bytearray(_zip({"a.json": STATS_FILE.read_bytes()}))
    # shrink the declared size in the central directory: reading stops there and fails its CRC
    info = zipfile.ZipFile(io.BytesIO(bytes(archive))).infolist()[0]
    central = archive.rfind(b"PK\x01\x02")
    archive[central + 24 : central + 28] = (100).to_bytes(4, "little")
    assert info.file_size > 100
    data = read_skolverket([("liar.zip", bytes(archive))])
    assert data.problems and data.problems[0].file.startswith("liar.zip") and data.statistics.height == 0


def test_the_content_hash_ignores_generated_at_and_layout_but_not_values():
    doc = json.loads(STATS_FILE.read_bytes())
    again = dict(doc, generatedAt="2030-01-01T00:00:00.000Z")
    relaid = json.dumps(dict(reversed(list(again.items()))), separators=(",", ":")).encode()
    original = content_hash(STATS_FILE.name, STATS_FILE.read_bytes())
    assert content_hash("x.json", relaid) == original
    assert content_hash("bare.json", json.dumps(doc["json"]).encode()) == original  # the API's bare response
    changed = json.loads(STATS_FILE.read_bytes())
    changed["json"]["body"]["averageGradesMeritRating9thGrade"][0]["value"] = "202,8"
    assert content_hash(STATS_FILE.name, json.dumps(changed).encode()) != original
    csv_bytes = CSV.read_bytes()
    assert content_hash("a.csv", csv_bytes.replace(b"\n", b"\r\n")) == content_hash("a.csv", csv_bytes)
    assert content_hash("a.csv", csv_bytes.replace(b"202,7", b"202,8")) != content_hash("a.csv", csv_bytes)
    data = read_skolverket([("one.json", STATS_FILE.read_bytes()), ("two.json", relaid)])
    assert data.files["content_hash"].to_list() == [original, original]


def test_later_sources_win_where_two_give_the_same_statistic():
    body = json.loads(STATS_FILE.read_bytes())["json"]["body"]
    newer = json.loads(json.dumps(body))
    for point in newer["averageGradesMeritRating9thGrade"]:
        if point["timePeriod"] == "2024/25":
            point["value"] = ".."
    first = read_skolverket([("old.json", _stored(body)), ("new.json", _stored(newer))]).statistics
    second = read_skolverket([("new.json", _stored(newer)), ("old.json", _stored(body))]).statistics
    key = (pl.col("indicator") == "merit_value") & (pl.col("period") == "2024/25")
    assert first.filter(key)["published"].to_list() == [".."] and second.filter(key)["published"].to_list() == ["202,7"]
    assert first.height == second.height == first.unique(["school_unit_code", "indicator", "period"]).height


def test_a_school_in_a_json_and_the_csv_takes_the_jsons_fields():
    data = read_skolverket([CSV, UNIT_FILE])
    assert data.problems == ()
    rinkeby = data.schools.filter(pl.col("school_unit_code") == RINKEBY).row(0, named=True)
    assert rinkeby["organiser"] == "STOCKHOLMS KOMMUN" and rinkeby["lat"] is not None and rinkeby["grades"] == "F,7,8,9"
    only_csv = data.schools.filter(pl.col("school_unit_code") == "48000763").row(0, named=True)
    assert only_csv == {"school_unit_code": "48000763", "name": "Oasens skola", "operator": "independent", "organiser": "Oasen Utbildningscenter AB", "municipality_code": "0604", "school_forms": None, "grades": None, "lat": None, "lon": None}
    assert data.schools.height == 1714 and dict(data.files.group_by("kind").len().iter_rows()) == {"results_csv": 1, "school_unit": 1}
    # the JSON lacks a municipality code: the CSV's fills it, the JSON's fields stay
    body = json.loads(UNIT_FILE.read_bytes())["json"]["body"]
    del body["geographicalAreaCode"]
    merged = read_skolverket([("unit.json", _stored(body)), CSV]).schools.filter(pl.col("school_unit_code") == RINKEBY).row(0, named=True)
    assert merged["municipality_code"] == "0180" and merged["organiser"] == "STOCKHOLMS KOMMUN"


OUTSIDE = {  # a school unit in Kiruna as the API describes one with few fields filled in
    "code": "71234567",
    "name": "Högalidsskolan",
    "principalOrganizerType": "Kommunal",
    "corporationName": "KIRUNA KOMMUN",
    "abroadSchool": False,
    "_links": {"self": {"href": "https://api.skolverket.se/planned-educations/v4/school-units/71234567"}},
}


@pytest.mark.parametrize(
    "extra",
    [
        {},  # no coordinates, no typeOfSchooling, no geographicalAreaCode
        {"typeOfSchooling": [{"code": "gr", "displayName": "Grundskolan", "schoolYears": []}], "wgs84_Lat": "", "wgs84_Long": None, "geographicalAreaCode": None},
        {"typeOfSchooling": None, "wgs84_Lat": "ej angivet", "geographicalAreaCode": "2584"},
    ],
)
def test_a_school_unit_outside_stockholm_without_coordinates_or_grades_reads_without_problems(extra):
    data = read_skolverket([("71234567.school-unit.json", _stored(OUTSIDE | extra))])
    assert data.problems == ()
    school = data.schools.row(0, named=True)
    assert school["school_unit_code"] == "71234567" and school["name"] == "Högalidsskolan" and school["operator"] == "municipal"
    assert school["lat"] is None and school["lon"] is None and school["grades"] is None
    assert school["municipality_code"] == extra.get("geographicalAreaCode")
    assert school["school_forms"] == ("gr" if extra.get("typeOfSchooling") else None)
    assert data.files.row(0, named=True)["kind"] == "school_unit"
    # the web import's single-response reader takes it too
    kind, fields, problems = read_planned_educations(_stored(OUTSIDE | extra), "71234567.school-unit.json")
    assert kind == "school_unit" and problems == [] and fields["grades"] == "" and fields["lat"] is None


def test_only_a_missing_or_invalid_school_unit_code_is_a_problem():
    no_code = {k: v for k, v in OUTSIDE.items() if k != "code"}
    data = read_skolverket([("a.json", _stored(OUTSIDE | {"code": "7123456"})), ("b.json", _stored(no_code)), ("c.json", _stored({"schoolUnit": 71234567}))])
    assert [(p.file, p.column) for p in data.problems] == [("a.json", "code"), ("b.json", "body"), ("c.json", "schoolUnit")]
    assert data.schools.height == 0 and data.files.height == 0


def test_a_malformed_json_gives_a_problem_naming_the_file(tmp_path):
    (tmp_path / f"{RINKEBY}.statistics-gr.json").write_bytes(STATS_FILE.read_bytes())
    (tmp_path / "12345678.school-unit.json").write_text('{"json": {"body": {"code": "12345678",', encoding="utf-8")
    data = read_skolverket([tmp_path, ("error.json", json.dumps({"status": "NOT_FOUND", "message": "Not found", "body": None}).encode())])
    assert [p.file for p in data.problems] == [f"{tmp_path.name}/12345678.school-unit.json", "error.json"]
    assert "JSON" in data.problems[0].message and "NOT_FOUND" in data.problems[1].message
    assert data.files["name"].to_list() == [f"{tmp_path.name}/{RINKEBY}.statistics-gr.json"] and data.statistics.height > 0
    missing = read_skolverket([tmp_path / "nowhere"])
    assert [p.file for p in missing.problems] == ["nowhere"] and missing.schools.height == 0
