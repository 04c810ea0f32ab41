"""Health, deploy checks, the pages' content, the API with personal tokens."""

import os
import subprocess
import sys

from django.contrib.auth import get_user_model
from django.urls import reverse
from typer.testing import CliRunner

from likvard.web.accounts.models import ApiToken
from likvard.web.allocation.models import AllocationRun
from likvard.web.demo import RINKEBYSKOLAN


def test_healthz_says_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LIKVARD_DEMO", "LIKVARD_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(LIKVARD_SECRET_KEY="x" * 20 + "production-secret-key-for-the-check-0123456789", LIKVARD_ALLOWED_HOSTS="likvard.example.se", LIKVARD_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LIKVARD_DEMO", "LIKVARD_DEBUG", "LIKVARD_SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env["LIKVARD_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-m", "django", "check"], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "LIKVARD_SECRET_KEY" in out.stderr


def test_the_principal_sees_rinkebyskolan_and_its_statement(login, db):
    client = login("principal")
    page = client.get(reverse("schools:list")).content.decode()
    assert "Rinkebyskolan" in page and page.count('scope="row"') == 1
    statement = client.get(reverse("allocation:statement", kwargs={"code": RINKEBYSKOLAN, "year": 2024})).content.decode()
    assert "basbelopp" in statement and "Socioekonomisk ersättning" in statement
    assert 'lang="sv"' in statement


def test_the_statement_pdf_downloads(login, db):
    response = login("principal").get(reverse("allocation:statement_pdf", kwargs={"code": RINKEBYSKOLAN, "year": 2024}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_controller_downloads_the_run_as_xlsx(login, db):
    run = AllocationRun.objects.filter(kind="run").first()
    response = login("controller").get(reverse("allocation:xlsx", kwargs={"run_id": run.pk}))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body[:2] == b"PK"  # a zip: xlsx


def test_school_list_filters_by_operator_and_search(login, db):
    client = login("controller")
    page = client.get(reverse("schools:list"), {"q": "Rinkeby", "operator": "municipal"}).content.decode()
    assert "Rinkebyskolan" in page and "Vasa Real" not in page


def test_the_api_works_with_a_personal_token_and_keeps_only_its_hash(client, db):
    user = get_user_model().objects.get(username="rektor")
    result = CliRunner().invoke(__import__("likvard.cli", fromlist=["app"]).app, ["token", "rektor"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("lkv_")
    assert not ApiToken.objects.filter(digest=token).exists()
    assert ApiToken.objects.filter(user=user, digest=ApiToken.hash(token)).exists()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    schools = client.get("/api/v1/schools", **headers).json()
    assert [s["school_unit_code"] for s in schools] == [RINKEBYSKOLAN]
    st = client.get(f"/api/v1/schools/{RINKEBYSKOLAN}/statement?year=2024", **headers).json()
    assert st["school_unit_code"] == RINKEBYSKOLAN and sum(ln["amount_ore"] for ln in st["lines"]) == st["total_ore"]
    assert client.get("/api/v1/schools/52863414/statement?year=2024", **headers).status_code == 404
    assert client.get("/api/v1/schools", HTTP_AUTHORIZATION="Bearer lkv_wrong").status_code == 401


def test_the_openapi_document_lists_the_endpoints(login, db):
    doc = login("analyst").get("/api/v1/openapi.json").json()  # signed-in users only (test_accounts)
    assert {"/api/v1/schools", "/api/v1/schools/{school_unit_code}", "/api/v1/schools/{school_unit_code}/statement", "/api/v1/schools/{school_unit_code}/statistics", "/api/v1/allocation/runs/{run_id}/reconciliation"} <= set(doc["paths"])


def test_the_reconciliation_api_matches_the_run(login, db):
    run = AllocationRun.objects.filter(kind="run").first()
    data = login("committee").get(f"/api/v1/allocation/runs/{run.pk}/reconciliation").json()
    assert data["reconciled"] is True
    socio = next(p for p in data["pots"] if p["id"] == "socioeconomic")
    assert socio["distributed_ore"] == socio["amount_ore"] == 150_020_000_000


def test_the_reconciliation_page_speaks_swedish_to_the_committee(login, db):
    run = AllocationRun.objects.filter(kind="run").first()
    page = login("committee").get(reverse("allocation:reconciliation", kwargs={"run_id": run.pk})).content.decode()
    assert "pott (fördelas exakt)" in page and "budget (per elev)" in page
    assert "<td>pot</td>" not in page and "<td>budget</td>" not in page
    assert "alla potter stämmer på öret" in page


def test_failed_logins_are_logged_without_the_password(client, db, caplog):
    with caplog.at_level("WARNING", logger="likvard.security"):
        client.post(reverse("login"), {"username": "rektor", "password": "fel-losenord-123"})
    assert any("login failed" in r.getMessage() for r in caplog.records)
    assert not any("fel-losenord-123" in r.getMessage() for r in caplog.records)


def test_the_school_page_shows_expected_results_and_value_added(login, db):
    page = login("principal").get(reverse("schools:detail", kwargs={"code": RINKEBYSKOLAN})).content.decode()
    assert "Resultat jämfört med förväntat" in page and "Meritvärde" in page
    assert "förväntat" in page and ("klart över förväntat" in page or "klart under förväntat" in page or "som förväntat" in page)
    from likvard.web.results.models import ResultEstimate

    row = ResultEstimate.objects.get(school__school_unit_code=RINKEBYSKOLAN, year=2024, outcome="merit_value")
    assert f"{row.actual:.1f}".replace(".", ",") in page and f"{row.expected:.1f}".replace(".", ",") in page
    lower, upper = row.lower, row.upper
    assert (row.flag == "clearly above") == (lower > 0) and (row.flag == "clearly below") == (upper < 0)


def test_every_page_carries_a_content_security_policy_without_inline_scripts(login, db):
    import re
    from pathlib import Path

    page = login("analyst").get(reverse("results:results"))
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-eval'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    templates = Path(__file__).resolve().parents[2] / "src" / "likvard" / "web" / "templates"
    inline = [
        f"{t.name}: {m.group(0)[:60]}"
        for t in templates.rglob("*.html")
        for m in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", t.read_text(encoding="utf-8"))
    ]
    assert not inline, inline  # json_script's data blocks are rendered, not written in templates


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read_even_without_login(client, db, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    big = client.post(reverse("imports:upload"), data=b"x" * 10, content_type="text/plain", CONTENT_LENGTH=str(150 * 1024 * 1024))
    assert big.status_code == 413 and "för stor" in big.content.decode()
    small = client.post(reverse("imports:upload"), data=b"x" * 10, content_type="text/plain")
    assert small.status_code == 302  # the limit passed: on to the login, as any anonymous request


def test_the_run_page_runs_the_year_on_stored_data_for_the_controller_only(login, db):
    from likvard.web.allocation.models import AllocationRun

    before = AllocationRun.objects.filter(kind="run").count()
    assert login("analyst").post(reverse("allocation:runs"), {"year": "2024"}).status_code == 403
    bad = login("controller").post(reverse("allocation:runs"), {"year": "99999999999999999999"})
    assert bad.status_code == 200 and "mellan 2000 och 2100" in bad.content.decode()
    empty = login("controller").post(reverse("allocation:runs"), {"year": "2031"}).content.decode()
    assert 'role="alert"' in empty and "elevregist" in empty  # no register for 2031: said, not a 500
    response = login("controller").post(reverse("allocation:runs"), {"year": "2024"})
    assert response.status_code == 302 and AllocationRun.objects.filter(kind="run").count() == before + 1
    run = AllocationRun.objects.filter(kind="run").first()
    assert run.reconciled and run.index_source == "estimated" and run.index_fit is not None
    assert run.index_fit == AllocationRun.objects.filter(kind="run").exclude(pk=run.pk).first().index_fit  # the stored index model, re-applied
    assert {s.kind for s in run.snapshots.all()} == {"pupils", "decisions", "rsu_groups"}


def test_a_missing_likvard_home_is_a_clear_message_not_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["LIKVARD_HOME"] = str(tmp_path / "finns-inte")
    out = subprocess.run([sys.executable, "-m", "likvard.cli", "run", "--year", "2024"], env=env, capture_output=True, text=True)
    assert out.returncode == 2 and "LIKVARD_HOME" in out.stderr and "finns-inte" in out.stderr and "Traceback" not in out.stderr


def test_the_committee_starts_on_aggregates_and_never_sees_a_draft_scenario(login, db):
    import re

    from likvard.money import parse_money

    client = login("committee")
    assert client.get(reverse("home")).url == reverse("allocation:overview")
    page = client.get(reverse("allocation:overview")).content.decode()
    run = AllocationRun.objects.filter(kind="run").first()
    by_area = page.split('id="by-area"')[1].split("</table>")[0]
    totals = [parse_money(m.replace("\u00a0", " ")) for m in re.findall(r'<td class="num">([-−\d\u00a0 ,]+kr)</td><td class="num">[^<]*</td></tr>', by_area)]
    assert totals and sum(totals) == run.total_ore  # every school's money in exactly one area row (or "–")
    assert "Rinkebyskolan" not in page and "per elev" in page.lower()
    draft = AllocationRun.objects.filter(kind="comparison").first()
    assert client.get(reverse("allocation:reconciliation", kwargs={"run_id": draft.pk})).status_code == 404
    assert client.get(f"/api/v1/allocation/runs/{draft.pk}/reconciliation").status_code == 404
    assert login("controller").get(reverse("allocation:reconciliation", kwargs={"run_id": draft.pk})).status_code == 200


def test_the_reconciliation_page_tells_pots_from_budgets_and_fixed_grants(login, db):
    run = AllocationRun.objects.filter(kind="run").first()
    page = login("committee").get(reverse("allocation:reconciliation", kwargs={"run_id": run.pk})).content.decode()
    assert "fast bidrag (namngivna skolor)" in page and "prognosavvikelse" in page
    profile = page.split(">Profilbidrag</th>")[1].split("</tr>")[0]
    assert "fast bidrag" in profile and "budget (per elev)" not in profile


def test_every_role_lands_on_a_page_it_may_see_after_logging_in(client, db):
    """The committee once landed on a 403 (the school list) right after logging in."""
    for username, start in (("namnd", "allocation:overview"), ("rektor", "schools:list"), ("ekonom", "schools:list")):
        client.logout()
        page = client.post(reverse("login"), {"username": username, "password": "demo"}, follow=True)
        assert page.status_code == 200 and page.redirect_chain[-1][0] == reverse(start), (username, page.redirect_chain)


def _options(page: str, select: str) -> list[str]:
    import re

    block = re.search(rf'<select id="{select}" name="{select}">(.*?)</select>', page, re.S)
    return [] if block is None else [t for t in re.findall(r"<option[^>]*>([^<]*)</option>", block.group(1)) if t != "Alla"]


def test_the_area_chief_is_offered_only_the_filters_of_the_own_area(login, db):
    from likvard.web.schools.models import School

    own = School.objects.get(school_unit_code=RINKEBYSKOLAN)
    mine = School.objects.filter(area=own.area)
    page = login("area_chief").get(reverse("schools:list")).content.decode()
    assert _options(page, "area") == []  # one area is no choice
    districts = _options(page, "district")
    assert districts and set(districts) == set(mine.exclude(district="").values_list("district", flat=True))
    elsewhere = set(School.objects.exclude(area=own.area).exclude(district="").values_list("district", flat=True)) - set(districts)
    assert elsewhere and not elsewhere & set(districts)
    operators = {o for o in mine.values_list("operator", flat=True)}
    shown = _options(page, "operator")
    assert len(shown) == len(operators) or (len(operators) == 1 and shown == [])
    city = login("analyst").get(reverse("schools:list")).content.decode()
    assert len(_options(city, "area")) > 1 and len(_options(city, "operator")) >= 2


def test_a_hidden_group_hides_its_number_of_pupils_too(login, db):
    import re

    from likvard.web.results.models import ResultEstimate

    row = ResultEstimate.objects.get(school__school_unit_code=RINKEBYSKOLAN, year=2024, outcome="merit_value")
    row.suppressed, row.pupils = True, 7
    row.save()
    page = login("principal").get(reverse("schools:detail", kwargs={"code": RINKEBYSKOLAN})).content.decode()
    cells = re.search(r"<td>2024</td><th scope=\"row\">Meritvärde</th><td class=\"num\">[^<]*</td><td class=\"num\">([^<]*)</td>", page)
    assert cells is not None and cells.group(1) == ".."
    results = login("principal").get(reverse("results:results"), {"year": 2024}).content.decode()
    pupils = re.search(r"Rinkebyskolan</a></th><td>[^<]*</td>\s*<td class=\"num\">([^<]*)</td>", results)
    assert pupils is not None and pupils.group(1) == ".."


def test_the_reconciliation_says_nothing_is_unpaid_and_lists_what_is(login, db):
    run = AllocationRun.objects.filter(kind="run").first()
    page = login("controller").get(reverse("allocation:reconciliation", kwargs={"run_id": run.pk})).content.decode()
    assert "Allt i indata är betalt av någon komponent" in page and "Obetalt:" not in page
    run.summary = {**run.summary, "unallocated": [
        {"kind": "grant", "record": "Hillelskolan", "school_unit_code": "", "count": 1, "reason": "skolregistret har ingen skola med det namnet", "reason_en": "the school register has no school of that name", "component": "profile_grants"},
        {"kind": "decision", "record": "p-hemlig-pseudonym", "school_unit_code": RINKEBYSKOLAN, "count": 1, "reason": "eleven är inte folkbokförd i kommunen", "component": ""},
    ]}
    run.save(update_fields=["summary"])
    page = login("committee").get(reverse("allocation:reconciliation", kwargs={"run_id": run.pk})).content.decode()
    assert "Obetalt: poster i indata som ingen komponent betalade" in page and "Hillelskolan" in page and "skolregistret har ingen skola" in page
    assert "p-hemlig-pseudonym" not in page  # the pupil a decision concerns is not shown
    from django.conf import settings

    english = login("committee")
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = english.get(reverse("allocation:reconciliation", kwargs={"run_id": run.pk})).content.decode()
    assert "the school register has no school of that name" in page and "skolregistret har ingen skola" not in page


def test_a_declared_pupil_attribute_survives_the_import_and_pays_in_the_stored_run(db):
    """The demo's register goes through the importer like a user's own: its attr_needs_group
    column is kept in the snapshots, and the run on stored data pays by it."""
    from likvard.web.allocation.models import SchoolAllocation

    run = AllocationRun.objects.filter(kind="run").first()
    groups = {}
    for a in SchoolAllocation.objects.filter(run=run):
        for ln in a.lines:
            if ln["component"] == "gyan_needs_supplement":
                groups[ln["line"]] = groups.get(ln["line"], 0) + ln["quantity"]
    assert set(groups) == {"behovsgrupp 2", "behovsgrupp 3", "behovsgrupp 4"} and sum(groups.values()) > 200
