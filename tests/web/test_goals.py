"""The goal follow-up pages on the demo: the plan's hierarchy, an indicator (scoped like every
other page), principals' targets and the area chief's ambition list; plan re-imports retire
what a plan no longer holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.urls import reverse

from likvard.data.tables import Upload
from likvard.web.audit.models import AuditEntry
from likvard.web.demo import RINKEBYSKOLAN
from likvard.web.goals.actions import import_outcomes, import_plan
from likvard.web.goals.models import Indicator, Outcome, Plan, SchoolTarget
from likvard.web.schools.models import School

PLAN = "plans/stockholm-2024/plan.toml"


def _school_rows(page: str) -> set[str]:
    return set(re.findall(r'<th scope="row"><a href="/skolor/(\d{8})/">', page))


def test_the_plan_page_shows_every_goal_and_indicator_with_the_citys_status(login, db):
    page = login("committee").get(reverse("goals:plan")).content.decode()
    assert "3 inriktningsmål, 15 mål för verksamhetsområdet, 19 nämndmål, 60 indikatorer och 48 aktiviteter" in page
    assert len(set(re.findall(r'href="/mal/indikator/([a-z0-9_]+)/', page))) == 60
    row = re.search(r"Meritvärde i årskurs 9</a></th>(.*?)</tr>", page, re.S).group(1)
    assert "252,0" in row and "2023/24" in row  # the 2024 report shows spring 2024's results
    assert re.search(r"status-(met|partly_met|not_met)", row)


def test_the_indicator_page_is_scoped_to_the_schools_a_user_may_see(login, db, schools):
    url = reverse("goals:indicator", args=["gr9_merit_value"])
    analyst = login("analyst").get(url).content.decode()
    spec = json.loads(re.search(r'<script id="indicator-spec" type="application/json">(.*?)</script>', analyst, re.S).group(1))
    city = [v for v in spec["data"]["values"] if v["series"] == "Staden, alla"]
    assert [v["period"] for v in city] == ["2020/21", "2021/22", "2022/23", "2023/24", "2024/25"]
    assert spec["layer"][1]["data"]["values"] == [{"target": 252.0}]  # the target as a rule
    girls = [v["period"] for v in spec["data"]["values"] if v["series"] == "Staden, flickor"]
    assert girls == ["2021/22", "2022/23", "2023/24", "2024/25"]  # the register's years, fitted by the demo
    everyone = _school_rows(analyst)
    assert RINKEBYSKOLAN in everyone and schools["other"] in everyone and len(everyone) > 100
    assert "197,0" in analyst and "202,7" in analyst  # Rinkebyskolan's first and last year
    from likvard.web.results.models import ResultEstimate

    expected = ResultEstimate.objects.get(school__school_unit_code=RINKEBYSKOLAN, year=2024, outcome="merit_value").expected
    row = re.search(rf'<a href="/skolor/{RINKEBYSKOLAN}/">Rinkebyskolan</a></th>(.*?)</tr>', analyst, re.S).group(1)
    shown = f"{expected:.1f}".replace(".", ","), f"{202.7 - expected:.1f}".replace(".", ",").replace("-", "−")
    assert f'<td class="num">{shown[0]}</td><td class="num">{shown[1]}</td>' in row  # expected and value added beside the outcome
    principal = login("principal").get(url).content.decode()
    assert _school_rows(principal) == {RINKEBYSKOLAN}
    assert "Grundskoleområde" not in principal  # no area rows for a principal
    chief = login("area_chief").get(url).content.decode()
    area = School.objects.get(school_unit_code=RINKEBYSKOLAN).area
    assert _school_rows(chief) <= set(School.objects.filter(area=area).values_list("school_unit_code", flat=True))
    assert schools["same_area"] in _school_rows(chief) or not Outcome.objects.exists()
    assert schools["other"] not in _school_rows(chief)


def test_a_principal_sets_their_schools_targets_and_a_low_one_is_marked(login, db, schools):
    client = login("principal")
    url = reverse("goals:targets")
    own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    response = client.post(url, {"school": RINKEBYSKOLAN, "year": "2024", "target_gr9_merit_value": "190,5"}, follow=True)
    page = response.content.decode()
    assert SchoolTarget.objects.get(school=own, indicator="gr9_merit_value", period="2024/25").target == 190.5
    assert "Sparat 1 målvärde för Rinkebyskolan" in page
    assert "Under förra årets utfall" in page  # 190,5 < 208,6 (2023/24)
    row = re.search(r'<label for="target_gr9_merit_value">.*?</tr>', page, re.S).group(0)
    assert "208,6 %" not in row and re.search(r"208,6 \(2023/24\)</td><td class=\"num\">\d{3},\d</td>", row)  # beside its expected result
    assert AuditEntry.objects.filter(action="set_target", target__contains="gr9_merit_value").exists()
    bad = client.post(url, {"school": RINKEBYSKOLAN, "year": "2024", "target_gr9_merit_value": "mycket"}).content.decode()
    assert 'aria-invalid="true"' in bad and "Skriv ett tal" in bad and "autofocus" in bad
    assert SchoolTarget.objects.get(school=own, indicator="gr9_merit_value", period="2024/25").target == 190.5
    other = School.objects.get(school_unit_code=schools["other"])
    client.post(url, {"school": other.school_unit_code, "year": "2024", "target_gr9_merit_value": "300"})
    assert not SchoolTarget.objects.filter(school=other, target=300).exists()  # not their school
    assert login("committee").get(url).status_code == 403


def test_the_area_chief_sees_the_ambition_list_of_their_area_only(login, db):
    area = School.objects.get(school_unit_code=RINKEBYSKOLAN).area
    chief = login("area_chief").get(reverse("goals:ambition")).content.decode()
    listed = set(re.findall(r"\?school=(\d{8})", chief))
    in_area = set(School.objects.filter(area=area).values_list("school_unit_code", flat=True))
    assert listed and listed <= in_area  # the demo plants some in every area
    analyst = login("analyst").get(reverse("goals:ambition")).content.decode()
    everyone = set(re.findall(r"\?school=(\d{8})", analyst))
    assert listed < everyone and everyone - in_area
    for code in everyone:  # every listed target is under the school's outcome of the year before
        assert SchoolTarget.objects.filter(school__school_unit_code=code).exists()
    assert login("committee").get(reverse("goals:ambition")).status_code == 403
    assert login("principal").get(reverse("goals:ambition")).status_code == 403


def test_importing_a_plan_again_retires_what_it_no_longer_holds(db):
    text = Path(PLAN).read_text(encoding="utf-8")
    without = re.sub(r'\[\[indicator\]\]\nkey = "sick_leave"\n.*?(?=\n\[\[)', "", text, count=1, flags=re.S)
    assert without != text
    outcome = import_plan(None, [Upload("plan.toml", without.encode())])
    assert outcome.ok, outcome.problems
    plan = Plan.objects.get(year=2024)
    assert Indicator.objects.filter(plan=plan).count() == 60  # never deleted
    assert Indicator.objects.get(plan=plan, key="sick_leave").retired
    assert outcome.summary["retired_indicators"] == 1 and outcome.summary["indicators"] == 59


def test_a_bad_outcomes_file_names_the_row_and_changes_nothing(db):
    before = Outcome.objects.count()
    outcome = import_outcomes(None, [Upload("enkat.csv", b"indicator,period,school_unit_code,value\ngr5_safe,2024,37416253,91\ngr5_safe,2024,37416253,mycket\n")])
    assert not outcome.ok and str(outcome.problems[0]) == "enkat.csv, rad 3, kolumn value: är inget tal (tomt eller .. för en uppgift som inte visas)"
    assert Outcome.objects.count() == before


def test_the_api_gives_the_plan_and_an_indicators_outcomes_scoped_like_the_pages(login, db, schools):
    client = login("principal")
    plan = client.get("/api/v1/goals").json()
    assert plan["counts"]["indicators"] == 60 and len(plan["activities"]) == 48
    doc = client.get("/api/v1/indicators/gr9_merit_value/outcomes").json()
    assert doc["periods"] == ["2020/21", "2021/22", "2022/23", "2023/24", "2024/25"] and doc["target"] == 252.0
    assert [s["school_unit_code"] for s in doc["schools"]] == [RINKEBYSKOLAN] and doc["areas"] == {}
    assert doc["schools"][0]["series"][""]["values"] == [197.0, 199.6, 205.9, 208.6, 202.7]
    assert client.get(f"/api/v1/schools/{schools['other']}/targets").status_code == 404
    own = client.get(f"/api/v1/schools/{RINKEBYSKOLAN}/targets").json()
    assert any(t["indicator"] == "gr9_merit_value" and t["period"] == "2024/25" for t in own)
    analyst = login("analyst").get("/api/v1/indicators/gr9_merit_value/outcomes").json()
    assert len(analyst["schools"]) > 100 and len(analyst["areas"]) == 7


def test_the_t2_report_is_written_on_the_page_and_carried_into_pdf_and_word(login, db):
    import io

    from docx import Document

    from likvard.web.goals.models import Activity

    client = login("analyst")
    url = reverse("goals:report")
    page = client.get(url, {"year": 2024, "period": "T2"}).content.decode()
    assert "Tertialrapport 2 2024" in page and len(set(re.findall(r'href="/mal/indikator/([a-z0-9_]+)/', page))) == 60
    assert "2024 T2" in page  # the tertial indicators show their tertial
    first = Activity.objects.order_by("number").first()
    response = client.post(url, {"year": "2024", "period": "T2", "text_committee:1.2.1": "Resultaten förbättras i ytterstaden.", f"status_{first.number}": "ongoing", f"comment_{first.number}": "Utredning pågår"}, follow=True)
    assert "Sparat 2 ändringar i rapporten" in response.content.decode()
    first.refresh_from_db()
    assert (first.status, first.comment) == ("ongoing", "Utredning pågår")
    assert AuditEntry.objects.filter(action="save_report_text").exists() and AuditEntry.objects.filter(action="set_activity_status").exists()
    word = client.get(reverse("goals:report_docx"), {"year": 2024, "period": "T2"})
    assert word["Content-Disposition"] == 'attachment; filename="tertialrapport-2-2024.docx"'
    document = Document(io.BytesIO(word.content))
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    names = set(Indicator.objects.filter(plan__year=2024, retired=False).values_list("name", flat=True))
    rows = [row.cells[0].text for t in document.tables if t.rows[0].cells[0].text == "Indikator" for row in t.rows[1:]]
    assert len(rows) == 60 and set(rows) == names  # every indicator of the plan (two share a name)
    paragraphs = [p.text for p in document.paragraphs]
    assert "Resultaten förbättras i ytterstaden." in paragraphs and "Pågår – Utredning pågår" in cells
    assert any(p.style.name.startswith("Heading") and p.text.startswith("Nämndmål 1.2.1") for p in document.paragraphs)
    pdf = client.get(reverse("goals:report_pdf"), {"year": 2024, "period": "T2"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf.content)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
        struct = subprocess.run(["pdfinfo", "-struct", f.name], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Tagged:\s+yes", info) and "Title:           Tertialrapport 2 2024" in info
    assert "H1" in struct and "Table" in struct  # headings and tables are tagged, not drawn
    assert login("committee").post(url, {"year": "2024", "period": "T2", "text_": "x"}).status_code == 403


def test_an_analyst_enters_the_citys_sick_leave_and_a_wrong_value_is_refused(login, db):
    client = login("analyst")
    url = reverse("goals:indicator", args=["sick_leave"])
    bad = client.post(url + "?year=2024", {"period": "2024/2025", "value": "fem"}).content.decode()
    assert 'id="entry-period" name="period" value="2024/2025"' in bad and "Skriv en period" in bad and "Skriv ett tal" in bad
    assert not Outcome.objects.filter(indicator="sick_leave", source="form").exists()
    page = client.post(url + "?year=2024", {"period": "2025 T1", "value": "4,9"}, follow=True).content.decode()
    stored = Outcome.objects.get(indicator="sick_leave", period="2025 T1", level="city")
    assert (stored.value, stored.source) == (4.9, "form") and "Sparat utfallet 4,9" in page
    assert AuditEntry.objects.filter(action="enter_outcome", target__startswith="sick_leave 2025 T1 city").exists()
    assert "2025 T1" in page  # the new period in the series
    assert login("principal").post(url, {"period": "2025 T1", "value": "1"}).status_code == 403


def test_the_report_page_speaks_english_when_asked(login, db):
    client = login("committee")
    client.cookies["django_language"] = "en"
    page = client.get(reverse("goals:report"), {"year": 2024, "period": "year"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Annual report 2024</h1>" in page and "Partly met" in page and "Delvis uppfyllt" not in page
    assert "Planned" in page  # the activities' status
