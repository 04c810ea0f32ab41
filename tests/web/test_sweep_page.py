"""The sweep page: one amount over a range, a school's money against it."""

import html
import re

from django.urls import reverse

from likvard.web.allocation.models import AllocationRun, SchoolAllocation
from likvard.web.demo import RINKEBYSKOLAN


def _table(page: str) -> list[tuple[str, str]]:
    body = page.split("<tbody>")[-1].split("</tbody>")[0]
    return [(v, html.unescape(m).replace("\u00a0", " ")) for v, m in re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">([^<]*)</td></tr>", body)]


def test_the_curve_passes_through_the_run_at_the_models_own_value(login, db):
    from likvard.money import format_ore

    page = login("controller").get(reverse("allocation:sweep"), {"key": "socioeconomic.base_amount", "from": "1000", "to": "3000", "step": "1000", "school": RINKEBYSKOLAN}).content.decode()
    rows = _table(page)
    rows = [(v.replace("\u00a0", " ").removesuffix(" kr").replace(" ", ""), m) for v, m in rows]
    assert [v for v, _ in rows] == ["1000", "2000", "3000"]
    run = AllocationRun.objects.filter(kind="run").first()
    own = SchoolAllocation.objects.get(run=run, school__school_unit_code=RINKEBYSKOLAN)
    assert dict(rows)["2000"] == format_ore(own.total_ore).replace("\u00a0", " ")  # the model's 2 000 kr is the run
    assert dict(rows)["1000"] != dict(rows)["3000"]  # a high-need school gains from a lower base amount
    assert 'id="chart-spec"' in page and "Rinkebyskolan" in page


def test_a_quartile_a_bad_range_and_a_principal(login, db):
    client = login("analyst")
    page = client.get(reverse("allocation:sweep"), {"key": "mother_tongue.amount", "from": "11000", "to": "12000", "step": "500", "school": "q4"}).content.decode()
    assert "behovskvartil 4, per elev" in page.lower() and len(_table(page)) == 3
    bad = client.get(reverse("allocation:sweep"), {"key": "mother_tongue.amount", "from": "12000", "to": "11000", "step": "5", "school": "q4"})
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode() and "--vary" in bad.content.decode()
    many = client.get(reverse("allocation:sweep"), {"key": "mother_tongue.amount", "from": "1", "to": "1000", "step": "1", "school": "q4"})
    assert "Högst 500 värden" in many.content.decode()
    assert login("principal").get(reverse("allocation:sweep")).status_code == 403


def test_the_form_shows_each_amounts_value_and_starts_on_the_base_amount(login, db):
    """Before a first sweep the range 1 000–3 000 kr is offered for the amount it fits, and every
    amount says its value in the model, so a range can be chosen around it."""
    page = html.unescape(login("controller").get(reverse("allocation:sweep")).content.decode()).replace("\u00a0", " ")
    selected = re.findall(r'<option value="([^"]+)" selected>([^<]*)</option>', page)
    assert selected[0][0] == "socioeconomic.base_amount" and selected[0][1].endswith("(nu 2 000 kr)")
    assert '<option value="mother_tongue.amount">' in page and "(nu 11 486 kr)" in page
    assert 'id="chart-spec"' not in page  # nothing is run before the user asks
