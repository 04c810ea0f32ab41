"""The intervention catalogue and the support report on the demo, scoped like every page."""

from __future__ import annotations

import io
import re

from django.urls import reverse

from likvard.web.demo import RINKEBYSKOLAN
from likvard.web.interventions.models import Assignment, Intervention
from likvard.web.schools.models import School

FIVE = ("82110758", "87838841", "37416253", "46581319", "51341279")


def test_the_demo_holds_seed_004s_items_and_a_synthetic_history_marked_so(db):
    seed = Assignment.objects.filter(school__school_unit_code__in=FIVE)
    assert seed.exists() and not seed.filter(synthetic=True).exists()
    others = Assignment.objects.exclude(school__school_unit_code__in=FIVE)
    assert others.exists() and not others.filter(synthetic=False).exists()
    assert Intervention.objects.filter(retired=False).count() >= 5


def test_the_support_report_shows_the_five_schools_to_the_analyst_and_only_the_own_to_the_principal(login, db):
    page = login("analyst").get(reverse("interventions:report"), {"from": 2021, "to": 2025}).content.decode()
    headings = re.findall(r"<h2>(.*?) \((\d{8})\)</h2>", page)
    assert [code for _, code in headings] == list(FIVE)
    rinkeby = Assignment.objects.filter(school__school_unit_code=RINKEBYSKOLAN, retired=False).select_related("intervention")
    for a in rinkeby:
        assert a.intervention.name in page
    principal = login("principal").get(reverse("interventions:report"), {"school": FIVE}).content.decode()
    assert [code for _, code in re.findall(r"<h2>(.*?) \((\d{8})\)</h2>", principal)] == [RINKEBYSKOLAN]
    word = login("area_chief").get(reverse("interventions:report_docx"), {"school": [RINKEBYSKOLAN]})
    from docx import Document

    cells = {c.text for t in Document(io.BytesIO(word.content)).tables for row in t.rows for c in row.cells}
    assert {a.intervention.name for a in rinkeby} <= cells
    pdf = login("analyst").get(reverse("interventions:report_pdf"))
    assert pdf.content.startswith(b"%PDF") and 'filename="centralt-stod-2021-2025.pdf"' in pdf["Content-Disposition"]


def test_the_catalogue_counts_only_the_schools_a_user_sees(login, db):
    page = login("principal").get(reverse("interventions:catalogue")).content.decode()
    counts = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', page)]
    assert counts and max(counts) <= 1  # a principal sees one school
    own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    assert sum(counts) == Intervention.objects.filter(assignments__school=own, assignments__retired=False, retired=False).distinct().count()
