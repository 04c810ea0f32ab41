"""Imports on the upload page: the whole file checked first, all or nothing, content hashes,
pseudonyms, and what an import replaced in the audit log."""

import re

import pytest
from django.urls import reverse

from likvard.web.audit.models import AuditEntry
from likvard.web.imports.models import ImportedFile, Snapshot
from likvard.web.results.models import PublishedStatistic
from likvard.web.schools.models import School

# every test here imports: afterwards nothing in the database, var/ or the temp directory may
# hold a personal identity number in clear
pytestmark = pytest.mark.usefixtures("nothing_in_clear")

HEADER = "year,pupil_id,school_unit_code,school_form,grade,home_municipality,gender\n"
FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[2] / "src" / "likvard" / "data" / "fixtures" / "skolverket"
NATIONAL = FIXTURES / "Grundskola - Slutbetyg årskurs 9, samtliga elever 2025 Skolenhet.csv"


def luhn(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return nine + str((10 - total % 10) % 10)


def rows(n: int, code: str = "37416253") -> str:
    out = []
    for i in range(n):
        number = luhn(f"1203{(i % 28) + 1:02d}{100 + i:03d}")
        out.append(f"2024,{number[:6]}-{number[6:]},{code},gr,7,0180,female")
    return "\n".join(out) + "\n"


def _upload(name, content, content_type="text/csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def _post(client, kind, *files, **extra):
    return client.post(reverse("imports:upload"), {"kind": kind, "file": list(files), **extra})


def _register_2024():
    return Snapshot.objects.get(kind="pupils", year=2024, replaced_by__isnull=True)


def test_a_register_with_personal_identity_numbers_is_stored_with_pseudonyms_only(login, db):
    before = _register_2024()
    content = (HEADER + rows(30)).encode()
    page = _post(login("controller"), "register", _upload("elever.csv", content))
    assert page.status_code == 200 and "Importerat" in page.content.decode()
    snapshot = _register_2024()
    assert snapshot.pk != before.pk and snapshot.rows == 30
    frame = snapshot.frame()
    assert frame["pupil_id"].str.starts_with("ps-").all()
    assert b"1203" not in bytes(snapshot.content)  # no birth dates or numbers in the stored blob
    before.refresh_from_db()
    assert before.replaced_by_id == snapshot.pk  # the demo's 2024 register is kept, marked replaced
    entry = AuditEntry.objects.filter(action="import_register").first()
    assert entry.before == {"pupils": {"2024": before.rows}} and entry.after == {"pupils": {"2024": 30}}
    again = _post(login("controller"), "register", _upload("samma.csv", content)).content.decode()
    assert "redan importerad" in again and not ImportedFile.objects.filter(filename="samma.csv").exists()


def test_a_file_with_errors_shows_every_problem_and_imports_nothing(login, db):
    bad = HEADER + rows(5) + "2024,120315-1234,37416253,gr,12,0180,female\n2024,abc,99999999,gr,7,0180,female\n"
    before = _register_2024().pk
    page = _post(login("controller"), "register", _upload("fel.csv", bad.encode())).content.decode()
    assert "ingenting har importerats" in page
    assert "kontrollsiffra" in page and "120315-1234" not in page  # a mistyped number is not echoed
    assert "ingen årskurs" in page and "finns inte i skolregistret" in page
    assert _register_2024().pk == before and not ImportedFile.objects.filter(filename="fel.csv").exists()


def test_a_personal_identity_number_outside_the_pupil_id_is_refused_without_echoing_it(login, db):
    number = luhn("120315123")
    text = "year,pupil_id,school_unit_code,school_form,grade,home_municipality,residential_area\n" + f"2024,p1,37416253,gr,7,0180,{number[:2]} {number[2:6]}-{number[6:]}\n"
    page = _post(login("controller"), "register", _upload("elever.csv", text.encode())).content.decode()
    assert "ingenting har importerats" in page and "residential_area" in page and "personnummer" in page
    assert number not in page and number[:6] not in page


def test_the_pseudonym_is_the_same_for_every_spelling_of_a_number(login, db):
    number = luhn("120315123")
    client = login("controller")
    _post(client, "register", _upload("a.csv", f"{HEADER}2024,{number},37416253,gr,7,0180,female\n".encode()))
    first = set(_register_2024().frame()["pupil_id"])
    _post(client, "register", _upload("b.csv", f"{HEADER}2024,20{number[:6]}-{number[6:]},37416253,gr,8,0180,female\n".encode()))
    second = set(_register_2024().frame()["pupil_id"])
    assert len(first) == 1 and first == second


def test_samordningsnummer_and_interim_numbers_are_pupil_ids_pseudonymised_too(login, db):
    coordination = luhn("120375123")  # 15 March 2012, day + 60
    text = f"{HEADER}2024,{coordination[:6]}-{coordination[6:]},37416253,gr,7,0180,female\n2024,20150312-TF12,37416253,gr,7,0180,male\n2024,elev-17,37416253,gr,7,0180,male\n"
    page = _post(login("controller"), "register", _upload("elever.csv", text.encode())).content.decode()
    assert "Importerat" in page, page[-2000:]
    ids = sorted(_register_2024().frame()["pupil_id"])
    assert ids[0] == "elev-17" and all(i.startswith("ps-") for i in ids[1:]) and len(set(ids)) == 3


def test_the_analyst_may_import_too(login, db):
    page = _post(login("analyst"), "register", _upload("elever.csv", (HEADER + rows(3)).encode()))
    assert page.status_code == 200 and "Importerat" in page.content.decode()
    assert login("principal").post(reverse("imports:upload"), {"kind": "register"}).status_code == 403


def _without_published_statistics():
    """The demo imports Skolverket's files itself; these tests start from none."""
    PublishedStatistic.objects.all().delete()
    ImportedFile.objects.filter(kind="skolverket").delete()


def test_skolverkets_national_export_takes_its_school_year_from_the_file(login, db):
    _without_published_statistics()
    renamed = _upload("export.csv", NATIONAL.read_bytes())  # the name says nothing about the year
    page = _post(login("analyst"), "skolverket", renamed).content.decode()
    assert "Importerat" in page
    merit = PublishedStatistic.objects.get(school__school_unit_code="37416253", indicator="merit_value", period="2024/25")
    assert merit.value == 202.7 and merit.published == "202,7" and merit.marker == ""
    assert PublishedStatistic.objects.filter(indicator="share_eligible_vocational", marker="~100", value=100.0).exists()
    assert PublishedStatistic.objects.filter(marker="..", value__isnull=True).exists()
    outside = School.objects.filter(municipality_code="1480")
    assert not outside.exists() and "hoppades över" in page  # not every school of Sweden


def test_a_malformed_results_export_names_line_and_column_and_imports_nothing(login, db):
    text = NATIONAL.read_bytes().decode("utf-8-sig").replace("Rinkebyskolan;37416253;Stockholm;0180;Kommunal;Stockholms kommun;2120000142;51;43,1;74,5;202,7", "Rinkebyskolan;37416253;Stockholm;0180;Kommunal;Stockholms kommun;2120000142;51;43,1;74,5;tvåhundra")
    line_no = next(i for i, line in enumerate(text.splitlines(), start=1) if "tvåhundra" in line)
    before = PublishedStatistic.objects.count()
    page = _post(login("controller"), "skolverket", _upload("export.csv", ("\ufeff" + text).encode())).content.decode()
    assert "ingenting har importerats" in page and f'<td class="num">{line_no}</td>' in page and "Genomsnittligt meritvärde" in page
    assert PublishedStatistic.objects.count() == before


def test_a_school_unit_never_seen_is_created_and_a_changed_one_audited(login, db):
    unit = (FIXTURES / "planned-educations-v4" / "37416253.school-unit.json").read_bytes()
    outside = unit.replace(b'"37416253"', b'"12345678"').replace(b'"0180"', b'"2583"').replace(b"Rinkebyskolan", b"Haparanda nya skola")
    outside = re.sub(rb'"wgs84_(Lat|Long)": "[^"]*",', b"", outside)  # no coordinates, as real responses often have
    _without_published_statistics()
    School.objects.filter(school_unit_code="37416253").update(name="Rinkeby skola", school_forms="")
    page = _post(login("controller"), "skolverket", _upload("a.json", outside, "application/json"), _upload("b.json", unit, "application/json")).content.decode()
    assert "Importerat" in page, page[-2000:]
    new = School.objects.get(school_unit_code="12345678")
    assert new.name == "Haparanda nya skola" and new.operator == "other_municipality" and new.lat is None
    rinkeby = School.objects.get(school_unit_code="37416253")
    assert rinkeby.name == "Rinkebyskolan" and rinkeby.school_forms == "gr,gran"
    change = AuditEntry.objects.filter(action="update_school", target__contains="37416253").first()  # the newest
    assert change.before["name"] == "Rinkeby skola" and change.after["name"] == "Rinkebyskolan"
    shown = page.split("Ändrade skolor")[1].split("</table>")[0]  # the page shows it too
    assert "<td>name</td><td>Rinkeby skola</td><td>Rinkebyskolan</td>" in shown


def test_planned_educations_statistics_are_kept_as_published(login, db):
    _without_published_statistics()
    stats = FIXTURES / "planned-educations-v4" / "37416253.statistics-gr.json"
    _post(login("controller"), "skolverket", _upload(stats.name, stats.read_bytes(), "application/json"))
    values = dict(PublishedStatistic.objects.filter(school__school_unit_code="37416253", indicator="merit_value").values_list("period", "value"))
    assert values == {"2020/21": 197.0, "2021/22": 199.6, "2022/23": 205.9, "2023/24": 208.6, "2024/25": 202.7}
    again = stats.read_bytes().replace(b'"generatedAt": "', b'"generatedAt": "1999-')  # a later download of the same figures
    page = _post(login("controller"), "skolverket", _upload(stats.name, again, "application/json")).content.decode()
    assert "redan importerad" in page


def _workbook(header: list[str], body: list[list[object]]) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in body:
        sheet.append(row)
    for _ in range(3):  # formatted empty rows after the data, as Excel leaves them
        sheet.append([None] * len(header))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_an_excel_register_is_imported_with_codes_excel_turned_into_numbers(login, db):
    header = HEADER.strip().split(",")
    body = []
    for line in rows(12).splitlines():
        year, pid, code, form, grade, municipality, gender = line.split(",")
        body.append([int(year), pid, int(code), form, int(grade), int(municipality), gender])  # 0180 → 180 in Excel
    page = _post(login("controller"), "register", _upload("elever.xlsx", _workbook(header, body), XLSX))
    assert page.status_code == 200 and "Importerat" in page.content.decode(), page.content.decode()[-2000:]
    frame = _register_2024().frame()
    assert frame.height == 12 and set(frame["home_municipality"]) == {"0180"} and set(frame["grade"]) == {"7"}


def test_an_excel_register_with_errors_names_excel_rows_and_imports_nothing(login, db):
    header = HEADER.strip().split(",")
    good = [[2024, "p1", "37416253", "gr", "7", "0180", "female"]]
    body = [*good, [None] * 7, [2024, "p2", "37416253", "gr", "12", "0180", "female"]]  # an empty row 3, a bad row 4
    before = _register_2024().pk
    page = _post(login("controller"), "register", _upload("fel.xlsx", _workbook(header, body), XLSX)).content.decode()
    assert "ingenting har importerats" in page
    assert re.search(r"<td>fel\.xlsx</td><td class=\"num\">4</td><td>grade</td>", page), page[-3000:]
    assert re.search(r"<td>fel\.xlsx</td><td class=\"num\">3</td><td>year</td>", page)  # the empty row's cells are reported
    assert _register_2024().pk == before


def test_a_file_that_is_not_excel_is_refused_with_a_message(login, db):
    page = _post(login("controller"), "register", _upload("elever.xlsx", b"year,school\n2024,x\n", XLSX)).content.decode()
    assert "ingenting har importerats" in page and "Excel" in page
    assert not ImportedFile.objects.filter(filename="elever.xlsx").exists()


def test_a_baseline_is_imported_for_its_year_and_read_by_runs(login, db, tmp_path):
    """baseline.csv (each school's per-pupil funding of the base year) is a snapshot of the
    year it applies to; the run's inputs carry it for a model's floor and cap."""
    from likvard.web.imports import snapshots
    from likvard.web.imports.actions import import_kind
    from likvard.web.schools.models import School

    codes = list(School.objects.order_by("school_unit_code").values_list("school_unit_code", flat=True)[:3])
    path = tmp_path / "baseline.csv"
    path.write_text("school_unit_code,per_pupil\n" + "".join(f"{c},{60_000 + i}.50\n" for i, c in enumerate(codes)), encoding="utf-8")
    missing_year = import_kind(None, "baseline", [path])
    assert missing_year.problems and "ange året basårets pengar per elev gäller" in str(missing_year.problems[0])
    done = import_kind(None, "baseline", [path], year=2024)
    assert not done.problems, done.problems
    inputs = snapshots.inputs(snapshots.for_year(2024), "test")
    assert dict(inputs.baseline.iter_rows()) == {c: (60_000 + i) * 100 + 50 for i, c in enumerate(codes)}
    bad = tmp_path / "bad" / "baseline.csv"
    bad.parent.mkdir()
    bad.write_text("school_unit_code,per_pupil\n12345678,10\n", encoding="utf-8")
    refused = import_kind(None, "baseline", [bad], year=2024)
    assert refused.problems and "12345678" in str(refused.problems[0]) and "rad 2" in str(refused.problems[0])


def test_another_funders_data_with_attributes_and_a_baseline_run_through_the_web_as_from_files(db):
    """England's NFF example through the importer: the schools' and pupils' attr_ columns and
    the baseline are stored, and the run on stored data pays every school what the run on the
    files pays it, to the öre."""
    from pathlib import Path

    from likvard.data.register import read_dir
    from likvard.engine.allocation import load_model, run
    from likvard.web.allocation.actions import run_year
    from likvard.web.imports.actions import import_kind
    from likvard.web.imports.models import Snapshot
    from likvard.web.schools.models import School

    example = Path(__file__).resolve().parents[2] / "examples" / "england-nff"
    Snapshot.objects.all().delete()  # a municipality with only this data (rolled back after the test)
    outcome = import_kind(None, "data", [example / "data"], year=2024)
    assert not outcome.problems, outcome.problems
    attributes = School.objects.get(school_unit_code="90000003").attributes
    assert set(attributes) == {"attr_phase", "attr_distance_km", "attr_cost_area"} and attributes["attr_phase"] == "primary"
    stored = run_year(None, 2024, model_dir=str(example / "model"))
    files = run(load_model(example / "model"), read_dir(example / "data"))
    expected = dict(zip(files.schools["school_unit_code"].to_list(), files.schools["total_ore"].to_list(), strict=True))
    got = {a.school.school_unit_code: a.total_ore for a in stored.schools.select_related("school")}
    assert got == expected and len(got) == 12
    assert stored.reconciled and stored.summary["unallocated"] == []


def test_the_same_year_free_file_for_another_year_is_a_new_import_not_a_duplicate(db, tmp_path):
    """RSU groups carry no year: the demo imports the same list for 2021–2024, and a user who
    does so for a new year must not be told it is already imported."""
    from likvard.web.allocation.models import AllocationRun
    from likvard.web.imports import snapshots
    from likvard.web.imports.actions import import_kind

    assert [s.year for s in snapshots.current("rsu_groups")] == [2021, 2022, 2023, 2024]
    # so the demo's earlier runs pay the RSU pots and reconcile, like the budget year's
    assert all(r.reconciled for r in AllocationRun.objects.filter(kind="run"))
    content = Snapshot.objects.get(pk=snapshots.current("rsu_groups", [2024])[0].pk).frame()
    path = tmp_path / "rsu_groups.csv"
    path.write_text(content.select("group_id", "area", "host_school_unit_code", "places", (content["budgeted_cost_ore"] // 100).alias("budgeted_cost")).write_csv(), encoding="utf-8")
    first = import_kind(None, "rsu", [path], year=2025)
    assert not first.problems and first.duplicate_of is None, first.problems
    again = import_kind(None, "rsu", [path], year=2025)
    assert again.duplicate_of is not None  # the same file for the same year is a duplicate
    assert [s.year for s in snapshots.current("rsu_groups")] == [2021, 2022, 2023, 2024, 2025]
