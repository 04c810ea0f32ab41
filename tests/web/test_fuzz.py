"""No 5xx from user input: every GET route with malformed query values, the forms with
out-of-range values (hypothesis, derandomised: the same examples on every run)."""

import pytest
from django.urls import get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from likvard.web.allocation.models import AllocationRun, Scenario

NASTY = st.sampled_from(["-5", "0", "99999999999999999999", "²", "%", "' OR 1=1 --", "..", "2024", "1e309", "NaN", "\u0000", "é" * 130, "../../etc", "<script>"])
VALUES = NASTY | st.text(max_size=30)
PARAMS = ("year", "outcome", "area", "adjust", "q", "district", "operator", "quartile", "kind", "indicator", "page", "next")
QUERIES = st.dictionaries(st.sampled_from(PARAMS), VALUES, max_size=4)
FUZZ = settings(max_examples=6, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _routes():
    from test_access_matrix import walk

    # the downloads read no query values (and take seconds each): their inputs are the path's
    skip = {"logout", "set_language", "api:api-root", "token_revoke", "allocation:xlsx", "allocation:statement_pdf", "goals:report_pdf", "goals:report_docx", "interventions:report_pdf", "interventions:report_docx"}
    return sorted(set(walk(get_resolver().url_patterns)) - skip)


def _url(name, run, comparison, scenario):
    from test_access_matrix import RULES
    from test_access_matrix import _url as url_of

    return url_of(name, RULES[name][0], "37416253", run)  # the access matrix's kind of path


@pytest.mark.parametrize("name", _routes())
def test_no_get_route_answers_5xx_to_malformed_query_values(name, login, db):
    client = login("controller")
    run = AllocationRun.objects.filter(kind="run").first().pk
    url = _url(name, run, None, None)

    @FUZZ
    @given(query=QUERIES)
    def check(query):
        status = client.get(url, query).status_code
        assert status < 500, (url, query, status)

    check()


def test_no_form_answers_5xx_to_out_of_range_values(login, db):
    client = login("controller")
    scenario = Scenario.objects.first()

    @FUZZ
    @given(year=VALUES, name=VALUES, value=VALUES, kind=VALUES)
    def check(year, name, value, kind):
        responses = [
            client.post(reverse("allocation:models"), {"name": name, "year": year}),
            client.post(reverse("allocation:runs"), {"year": year}),
            client.post(reverse("allocation:scenario", kwargs={"scenario_id": scenario.pk}), {"action": "amounts", "amount:socioeconomic.base_amount": value}),
            client.post(reverse("allocation:scenario", kwargs={"scenario_id": scenario.pk}), {"action": "set", "key": name, "value": value}),
            client.post(reverse("imports:upload"), {"kind": kind, "year": year, "file": _file(name)}),
        ]
        assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]

    check()


def _file(name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile((name or "x").replace("\u0000", "")[:150] + ".csv", b"year,pupil_id\n2024,x\n", content_type="text/csv")
