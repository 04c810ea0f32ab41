"""Register import: the whole file checked first, all or nothing, SHA-256, pseudonyms."""

import re

from django.urls import reverse

from likvard.web.imports.models import ImportedFile, PupilRecord

HEADER = "year,personal_id,school_unit_code,school_form,grade,home_municipality,gender\n"


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


def test_a_valid_file_is_imported_with_pseudonyms_only(login, db):
    content = (HEADER + rows(30)).encode()
    page = login("controller").post(reverse("import"), {"file": _upload("elever.csv", content)})
    assert page.status_code == 200 and "Importerat" in page.content.decode()
    assert PupilRecord.objects.filter(year=2024).count() == 30
    stored = PupilRecord.objects.first()
    assert stored.pupil_id.startswith("ps-")
    every = " ".join(PupilRecord.objects.values_list("pupil_id", flat=True)) + str(list(PupilRecord.objects.values_list("fields", flat=True)))
    assert "1203" not in every  # no birth dates or numbers kept
    again = login("controller").post(reverse("import"), {"file": _upload("samma.csv", content)})
    assert "redan importerad" in again.content.decode()
    assert ImportedFile.objects.count() == 1


def test_a_file_with_errors_shows_every_problem_and_imports_nothing(login, db):
    bad = HEADER + rows(5) + "2024,120315-1234,37416253,gr,12,0180,female\n2024,abc,99999999,gr,7,0180,female\n"
    page = login("controller").post(reverse("import"), {"file": _upload("fel.csv", bad.encode())}).content.decode()
    assert "ingenting har importerats" in page
    assert "kontrollsiffran" in page and "inte ett personnummer" in page
    assert "ingen årskurs" in page and "finns inte i skolregistret" in page
    assert PupilRecord.objects.count() == 0 and ImportedFile.objects.count() == 0


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_the_pseudonym_is_stable_across_imports(login, db):
    number = luhn("120315123")
    content1 = f"{HEADER}2024,{number},37416253,gr,7,0180,female\n" + rows(3)
    login("controller").post(reverse("import"), {"file": _upload("a.csv", content1.encode())})
    first = set(PupilRecord.objects.values_list("pupil_id", flat=True))
    content2 = f"{HEADER}2024,20{number[:6]}-{number[6:]},37416253,gr,8,0180,female\n"
    login("controller").post(reverse("import"), {"file": _upload("b.csv", content2.encode())})
    second = set(PupilRecord.objects.values_list("pupil_id", flat=True))
    assert len(second) == 1 and second <= first  # the same child, written two ways, one pseudonym


FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[2] / "src" / "likvard" / "data" / "fixtures" / "skolverket"


def test_skolverkets_results_export_is_imported_as_published(login, db):
    from likvard.web.imports.models import PublishedStatistic

    path = FIXTURES / "Grundskola - Slutbetyg årskurs 9, samtliga elever 2025 Skolenhet.csv"
    page = login("controller").post(reverse("import"), {"kind": "skolverket", "file": _upload(path.name, path.read_bytes())}).content.decode()
    assert "Importerat" in page
    merit = PublishedStatistic.objects.get(school_unit_code="37416253", indicator="merit_value")
    assert merit.value == "202.7" and merit.status == "exists" and merit.period == "2024/25"
    assert PublishedStatistic.objects.filter(indicator="share_eligible_vocational", status="near_all").exists()
    assert PublishedStatistic.objects.filter(status="suppressed").exists()


def test_a_malformed_results_export_names_line_and_column_and_imports_nothing(login, db):
    from likvard.web.imports.models import PublishedStatistic

    path = FIXTURES / "Grundskola - Slutbetyg årskurs 9, samtliga elever 2025 Skolenhet.csv"
    text = path.read_bytes().decode("utf-8-sig").replace("Rinkebyskolan;37416253;Stockholm;0180;Kommunal;Stockholms kommun;2120000142;51;43,1;74,5;202,7", "Rinkebyskolan;37416253;Stockholm;0180;Kommunal;Stockholms kommun;2120000142;51;43,1;74,5;tvåhundra")
    lines = text.splitlines()
    line_no = next(i for i, line in enumerate(lines, start=1) if "tvåhundra" in line)
    page = login("controller").post(reverse("import"), {"kind": "skolverket", "file": _upload("export.csv", ("\ufeff" + text).encode())}).content.decode()
    assert "ingenting har importerats" in page and f"<td class=\"num\">{line_no}</td>" in page and "Genomsnittligt meritvärde" in page
    assert PublishedStatistic.objects.count() == 0


def test_planned_educations_statistics_and_school_units_are_imported(login, db):
    from likvard.web.imports.models import PublishedStatistic
    from likvard.web.schools.models import School

    stats = FIXTURES / "planned-educations-v4" / "37416253.statistics-gr.json"
    login("controller").post(reverse("import"), {"kind": "skolverket", "file": _upload(stats.name, stats.read_bytes())})
    row = PublishedStatistic.objects.get(school_unit_code="37416253", indicator="averageGradesMeritRating9thGrade", period="2024/25")
    assert row.value == "202,7" and row.status == "EXISTS"
    unit = FIXTURES / "planned-educations-v4" / "37416253.school-unit.json"
    School.objects.filter(school_unit_code="37416253").update(school_forms="")
    login("controller").post(reverse("import"), {"kind": "skolverket", "file": _upload(unit.name, unit.read_bytes())})
    assert School.objects.get(school_unit_code="37416253").school_forms == "gr,gran"


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


def test_an_excel_register_is_imported_with_codes_excel_turned_into_numbers(login, db):
    header = HEADER.strip().split(",")
    body = []
    for line in rows(12).splitlines():
        year, pid, code, form, grade, municipality, gender = line.split(",")
        body.append([int(year), pid, int(code), form, int(grade), int(municipality), gender])  # 0180 → 180 in Excel
    page = login("controller").post(reverse("import"), {"file": _upload("elever.xlsx", _workbook(header, body))})
    assert page.status_code == 200 and "Importerat" in page.content.decode(), page.content.decode()[-2000:]
    assert PupilRecord.objects.count() == 12
    assert set(PupilRecord.objects.values_list("home_municipality", flat=True)) == {"0180"}
    assert set(PupilRecord.objects.values_list("grade", flat=True)) == {"7"}


def test_an_excel_register_with_errors_names_excel_rows_and_imports_nothing(login, db):
    header = HEADER.strip().split(",")
    good = [[2024, luhn("120301101")[:6] + "-" + luhn("120301101")[6:], "37416253", "gr", "7", "0180", "female"]]
    body = [*good, [None] * 7, [2024, "abc", "37416253", "gr", "12", "0180", "female"]]  # an empty row 3, a bad row 4
    page = login("controller").post(reverse("import"), {"file": _upload("fel.xlsx", _workbook(header, body))}).content.decode()
    assert "ingenting har importerats" in page
    assert re.search(r"<td>fel\.xlsx</td><td class=\"num\">4</td><td>personal_id</td>", page), page[-3000:]
    assert re.search(r"<td>fel\.xlsx</td><td class=\"num\">3</td><td>year</td>", page)  # the empty row's cells are reported
    assert PupilRecord.objects.count() == 0 and ImportedFile.objects.count() == 0


def test_a_file_that_is_not_excel_is_refused_with_a_message(login, db):
    page = login("controller").post(reverse("import"), {"file": _upload("elever.xlsx", b"year,school\n2024,x\n")}).content.decode()
    assert "kan inte läsas som Excel-fil" in page and "ingenting har importerats" in page
    assert ImportedFile.objects.count() == 0
