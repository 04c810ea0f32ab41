"""Every URL and API endpoint × every role × own / same-area / other school → the expected
status. The routes are read from the URL configuration, so a new view without a rule here
fails the first test."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from likvard.web.allocation.models import AllocationRun, Scenario

ROLES = ("controller", "analyst", "area_chief", "principal", "committee", "admin")

ALL = ("controller", "analyst", "admin")


def walk(patterns, ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, f"{ns}:{p.namespace}".strip(":") if p.namespace else ns)
        elif isinstance(p, URLPattern):
            yield f"{ns}:{p.name}".strip(":")


def school_scoped(role, relation):
    if role is None:
        return 302
    if role in ALL:
        return 200
    if role == "area_chief":
        return 200 if relation in ("own", "same_area") else 404
    if role == "principal":
        return 200 if relation == "own" else 404
    return 404


def api_school_scoped(role, relation):
    return 401 if role is None else school_scoped(role, relation)


RULES = {
    # name: (kind, expected(role, relation))
    "home": ("plain", lambda r, _: 302),
    "healthz": ("plain", lambda r, _: 200),
    "login": ("plain", lambda r, _: 200),
    "logout": ("plain", lambda r, _: 405),  # logging out is a POST
    "password_change": ("plain", lambda r, _: 302 if r is None else 200),
    "password_change_done": ("plain", lambda r, _: 302 if r is None else 200),
    "account": ("plain", lambda r, _: 302 if r is None else 200),  # anyone signed in: their own page
    "token_revoke": ("plain", lambda r, _: 302 if r is None else 405),  # revoking is a POST
    "set_language": ("plain", lambda r, _: 302),
    "schools:list": ("plain", lambda r, _: 302 if r is None else (403 if r == "committee" else 200)),
    "schools:detail": ("school", school_scoped),
    "allocation:statement": ("school", school_scoped),
    "allocation:statement_pdf": ("school", school_scoped),
    "allocation:overview": ("plain", lambda r, _: 302 if r is None else (200 if r in (*ALL, "committee") else 403)),
    "allocation:runs": ("plain", lambda r, _: 302 if r is None else (200 if r in (*ALL, "committee") else 403)),
    "allocation:reconciliation": ("run", lambda r, _: 302 if r is None else (200 if r in (*ALL, "committee") else 403)),
    "allocation:xlsx": ("run", lambda r, _: 302 if r is None else (200 if r in ALL else 403)),
    "allocation:models": ("plain", lambda r, _: 302 if r is None else (200 if r in ALL else 403)),
    "allocation:sweep": ("plain", lambda r, _: 302 if r is None else (200 if r in ALL else 403)),
    "allocation:scenario": ("scenario", lambda r, _: 302 if r is None else (200 if r in ALL else 403)),
    "allocation:comparison": ("comparison", lambda r, _: 302 if r is None else (200 if r in ALL else 403)),
    "audit:log": ("plain", lambda r, _: 302 if r is None else (200 if r in ("controller", "admin") else 403)),
    "results:results": ("plain", lambda r, _: 302 if r is None else (403 if r == "committee" else 200)),
    "imports:upload": ("plain", lambda r, _: 302 if r is None else (200 if r in ALL else 403)),
    "api:api-root": ("plain", lambda r, _: 404),
    "api:openapi-json": ("plain", lambda r, _: 401 if r is None else 200),
    "api:openapi-view": ("plain", lambda r, _: 302 if r is None else 200),  # the docs page
    "api:schools": ("plain", lambda r, _: 401 if r is None else (403 if r == "committee" else 200)),
    "api:school": ("api_school", api_school_scoped),
    "api:statement": ("api_school", api_school_scoped),
    "api:statistics": ("api_school", api_school_scoped),
    "goals:plan": ("plain", lambda r, _: 302 if r is None else 200),  # the plan and the city's figures: anyone with a role
    "goals:indicator": ("indicator", lambda r, _: 302 if r is None else 200),  # school rows scoped (tests/web/test_goals.py)
    "goals:targets": ("plain", lambda r, _: 302 if r is None else (403 if r == "committee" else 200)),
    "goals:report": ("plain", lambda r, _: 302 if r is None else 200),  # the committee's report: every role reads it, the central roles edit it
    "goals:report_pdf": ("plain", lambda r, _: 302 if r is None else 200),
    "goals:report_docx": ("plain", lambda r, _: 302 if r is None else 200),
    "interventions:catalogue": ("plain", lambda r, _: 302 if r is None else (403 if r == "committee" else 200)),
    "interventions:detail": ("intervention", lambda r, _: 302 if r is None else (403 if r == "committee" else 200)),  # assignments scoped (tests/web/test_intervention_page.py)
    "interventions:report": ("plain", lambda r, _: 302 if r is None else (403 if r == "committee" else 200)),  # the schools a user may see
    "interventions:report_pdf": ("plain", lambda r, _: 302 if r is None else (403 if r == "committee" else 200)),
    "interventions:report_docx": ("plain", lambda r, _: 302 if r is None else (403 if r == "committee" else 200)),
    "dialogues:overview": ("plain", lambda r, _: 302 if r is None else (403 if r == "committee" else 200)),
    "dialogues:dialogue": ("school", school_scoped),
    "goals:ambition": ("plain", lambda r, _: 302 if r is None else (200 if r in (*ALL, "area_chief") else 403)),
    "support:applications": ("plain", lambda r, _: 302 if r is None else (403 if r == "committee" else 200)),  # the schools a user may see
    "support:new": ("plain", lambda r, _: 302 if r is None else (200 if r in ("principal", "admin") else 403)),
    "support:detail": ("application", school_scoped),
    "api:applications": ("plain", lambda r, _: 401 if r is None else (403 if r == "committee" else 200)),
    "api:goals": ("plain", lambda r, _: 401 if r is None else 200),
    "api:indicator_outcomes": ("indicator", lambda r, _: 401 if r is None else 200),
    "api:school_targets": ("api_school", api_school_scoped),
    "api:reconciliation": ("run", lambda r, _: 401 if r is None else (200 if r in (*ALL, "committee") else 403)),
}


def test_every_route_has_an_access_rule():
    names = set(walk(get_resolver().url_patterns))
    assert names == set(RULES), f"routes without a rule: {names - set(RULES)}; rules without a route: {set(RULES) - names}"


def _url(name, kind, code, run_id):
    if kind == "school":
        kwargs = {"code": code}
        if name not in ("schools:detail", "dialogues:dialogue"):
            kwargs["year"] = 2024
        return reverse(name, kwargs=kwargs)
    if kind == "application":  # an application of the school (own, same area, other)
        from likvard.web.schools.models import School
        from likvard.web.support.models import Application

        school = School.objects.get(school_unit_code=code)
        a = Application.objects.filter(school=school).first() or Application.objects.create(school=school, pupil_id="demo-x", need="x", amount_asked_ore=100, start="2024-01-01", end="2024-06-30")
        return reverse(name, kwargs={"pk": a.pk})
    if kind == "api_school":
        url = reverse(name, kwargs={"school_unit_code": code})
        return url + ("?year=2024" if name == "api:statement" else "")
    if kind == "run":
        return reverse(name, kwargs={"run_id": run_id})
    if kind == "indicator":
        return reverse(name, kwargs={"key": "gr9_merit_value"})
    if kind == "intervention":
        from likvard.web.interventions.models import Intervention

        return reverse(name, kwargs={"intervention_id": Intervention.objects.get(key="ksbs").pk})
    if kind == "scenario":
        return reverse(name, kwargs={"scenario_id": Scenario.objects.first().pk})
    if kind == "comparison":
        return reverse(name, kwargs={"run_id": AllocationRun.objects.filter(kind="comparison").first().pk})
    return reverse(name)


@pytest.mark.parametrize("role", (None, *ROLES))
@pytest.mark.parametrize("name", sorted(RULES))
def test_access(name, role, login, schools, db):
    kind, expected = RULES[name]
    client = login(role)
    run_id = AllocationRun.objects.filter(kind="run").first().pk
    relations = ("own", "same_area", "other") if kind in ("school", "api_school", "application") else (None,)
    for relation in relations:
        url = _url(name, kind, schools.get(relation) if relation else None, run_id)
        status = client.get(url).status_code
        assert status == expected(role, relation), f"{name} {url} as {role} ({relation}): {status}"


def test_a_principal_of_another_school_sees_only_that_school(client, schools, db):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="rektor2"))
    assert client.get(reverse("schools:detail", kwargs={"code": schools["own"]})).status_code == 404
    page = client.get(reverse("schools:list")).content.decode()
    assert "Rinkebyskolan" not in page


def test_a_user_without_a_role_sees_nothing(client, schools, db):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="utomstaende"))
    assert client.get(reverse("schools:list")).status_code == 403
    assert client.get(reverse("schools:detail", kwargs={"code": schools["own"]})).status_code == 404
