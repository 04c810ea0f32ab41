"""End to end in Debian's Chromium: `likvard serve --demo` in a subprocess, driven by
Playwright. Screenshots of the main pages go to tests/_artifacts/ (not committed)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(LIKVARD_HOME=str(home), LIKVARD_MODEL_DIR=str(Path(__file__).resolve().parents[2] / "models" / "stockholm-2024"))
    log = (home / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "likvard.cli", "serve", "--demo", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/healthz", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise AssertionError((home / "serve.log").read_text())
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield b
        b.close()


def _login(page, url, username):
    page.goto(url + "/konto/logga-in/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill("demo")
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state("networkidle")


def test_the_principal_sees_only_rinkebyskolan_and_gets_404_elsewhere(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "/konto/logga-in/")
    page.screenshot(path=str(ARTIFACTS / "login.png"), full_page=True)
    _login(page, server, "rektor")
    rows = page.locator("tbody th[scope=row]")
    assert rows.count() == 1 and "Rinkebyskolan" in rows.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "schools-principal.png"), full_page=True)
    rows.first.get_by_role("link").click()
    page.screenshot(path=str(ARTIFACTS / "school-rinkebyskolan.png"), full_page=True)
    page.get_by_role("link", name="Visa").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Resursfördelning 2024: Rinkebyskolan")
    assert page.get_by_text("basbelopp").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "statement-rinkebyskolan.png"), full_page=True)
    page.goto(server + "/resultat/")
    page.wait_for_selector("#caterpillar svg .mark-rule, #caterpillar svg .mark-symbol", timeout=20_000)
    chart = page.locator("#caterpillar svg").bounding_box()
    assert chart is not None and 40 <= chart["height"] <= 200, chart  # one school: sized to it, no empty band
    page.screenshot(path=str(ARTIFACTS / "results-principal.png"), full_page=True)
    response = page.goto(server + "/fordelning/skolor/52863414/berakning/2024/")
    assert response.status == 404
    assert "Sidan finns inte" in page.content()


def test_the_controller_sees_every_school_and_the_reconciliation(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, server, "ekonom")
    assert page.locator("tbody th[scope=row]").count() > 300
    page.screenshot(path=str(ARTIFACTS / "schools-controller.png"))
    page.get_by_role("link", name="Avstämning av potterna").click()
    page.wait_for_load_state("networkidle")
    assert "alla potter stämmer på öret" in page.content()
    page.screenshot(path=str(ARTIFACTS / "reconciliation.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Hela körningen som Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_keyboard_users_can_skip_to_the_content(server, browser):
    page = browser.new_page()
    _login(page, server, "rektor")
    page.goto(server + "/skolor/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.outerHTML")
    assert "Hoppa till innehållet" in focused, focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_controller_changes_the_base_amount_in_a_scenario_and_compares(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, server, "ekonom")
    page.get_by_role("link", name="Modeller och scenarier").click()
    page.get_by_label("Nytt scenario (kopia av modellen)").fill("Basbelopp 3 000 kr")
    page.get_by_role("button", name="Skapa scenario").click()
    page.wait_for_load_state("networkidle")
    base = page.get_by_role("group", name="Socioekonomisk ersättning", exact=True).get_by_label("Basbelopp per elev")
    assert base.input_value() == "2 000 kr"
    base.fill("tre tusen")
    page.get_by_role("button", name="Spara beloppen").click()
    assert "inte ett belopp" in page.get_by_role("alert").inner_text()
    base = page.get_by_role("group", name="Socioekonomisk ersättning", exact=True).get_by_label("Basbelopp per elev")
    assert base.get_attribute("aria-invalid") == "true"
    # The failing field has the focus and is on screen, though the form is long.
    assert page.evaluate("document.activeElement.id") == "f-socioeconomic-base_amount"
    box = base.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900
    page.screenshot(path=str(ARTIFACTS / "scenario-error.png"), full_page=False)
    base.fill("3 000 kr")
    page.get_by_role("button", name="Spara beloppen").click()
    page.wait_for_load_state("networkidle")
    assert "socioeconomic.base_amount=3 000 kr" in page.content()
    assert "Sparat: Socioekonomisk ersättning, basbelopp per elev 3 000 kr." in page.get_by_role("status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "scenario.png"), full_page=False)
    page.get_by_role("button", name="Kör och jämför med modellen").click()
    page.wait_for_load_state("networkidle", timeout=120_000)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Jämförelse med modellen")
    text = page.content()
    assert "skolor får mer" in text and "skolor får mindre" in text
    page.wait_for_selector("#chart svg .mark-symbol path", timeout=20_000)  # vega-embed drew the points
    assert page.locator("#chart svg .mark-symbol path").count() > 100
    assert page.get_by_role("columnheader", name="Efter").is_visible()
    assert "eftersom basbelopp per elev ändrades från 2\u00a0000\u00a0kr till 3\u00a0000\u00a0kr" in page.locator("tbody").last.inner_text()
    page.screenshot(path=str(ARTIFACTS / "comparison.png"), full_page=False)
    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ner som Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("link", name="Ändringslogg").click()
    assert "socioeconomic.base_amount" in page.content()
    # the sweep: the base amount from 1 000 to 3 000 kr, Rinkebyskolan's money as a curve
    page.goto(server + "/fordelning/svep/")
    page.get_by_label("Belopp").select_option("socioeconomic.base_amount")
    page.get_by_label("Från (kr eller andel)").fill("1000")
    page.get_by_label("Till").fill("3000")
    page.get_by_label("Steg").fill("100")
    page.get_by_label("Visa").select_option(label="Rinkebyskolan")
    page.get_by_role("button", name="Kör svepet").click()
    page.wait_for_selector("#chart svg .mark-line path", timeout=20_000)
    assert page.locator("tbody tr").count() == 11 and "Rinkebyskolan:" in page.get_by_role("heading", level=2).inner_text()
    page.screenshot(path=str(ARTIFACTS / "sweep.png"), full_page=True)


def test_an_import_with_errors_shows_them_and_imports_nothing(server, browser, tmp_path):
    bad = tmp_path / "elever.csv"
    bad.write_text("year,pupil_id,school_unit_code,school_form,grade,home_municipality\n2024,p1,37416253,gr,12,0180\n2024,p2,12345678,gr,7,0180\n", encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, server, "ekonom")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("Elevregister (pupils)").check()
    page.get_by_label("Filer att importera", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Kontrollera och importera").click()
    page.wait_for_load_state("networkidle")
    alert = page.locator("div[role=alert]").inner_text()
    assert "ingenting har importerats" in alert and "ingen årskurs" in alert and "12345678" in alert
    assert "elever.csv" not in page.locator("table").last.inner_text()  # nothing in the list of imported files
    page.screenshot(path=str(ARTIFACTS / "import-errors.png"), full_page=True)


WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, "resultTypes": ["violations"]}


def _axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA rules on the page as rendered (axe-playwright-python)."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options=WCAG_21_AA)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result.response["violations"]
    ]


def test_the_main_pages_pass_axe_wcag_21_aa(server, browser):
    """Swedish public-sector law (DOS-lagen) requires WCAG 2.1 AA; axe-core checks what can be
    checked automatically on every main page, for the roles that see it."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    found: dict[str, list[str]] = {}
    blocked: list[str] = []  # anything the Content-Security-Policy refused
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)

    def check(name: str, url: str | None = None) -> None:
        if url is not None:
            page.goto(server + url)
        page.wait_for_load_state("networkidle")
        violations = _axe_violations(page)
        if violations:
            found[name] = violations

    check("login", "/konto/logga-in/")
    _login(page, server, "ekonom")
    check("schools", "/skolor/")
    check("school", "/skolor/37416253/")
    check("statement", "/fordelning/skolor/37416253/berakning/2024/")
    page.goto(server + "/resultat/?area=Grundskoleområde 1 (Rinkeby-Kista, Spånga-Tensta)")
    page.wait_for_selector("#caterpillar svg .mark-rule", timeout=20_000)
    page.wait_for_selector("#scatter svg .mark-text", timeout=20_000)  # the area's schools named
    assert page.locator("tr.highlight").count() >= 5
    page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=False)
    check("results")
    check("models", "/fordelning/modeller/")
    page.screenshot(path=str(ARTIFACTS / "models.png"), full_page=False)
    page.get_by_label("Nytt scenario (kopia av modellen)").fill("Tillgänglighetskontroll")
    page.get_by_role("button", name="Skapa scenario").click()
    check("scenario")
    page.get_by_role("button", name="Kör och jämför med modellen").click()
    page.wait_for_load_state("networkidle", timeout=120_000)
    page.wait_for_selector("#chart svg", timeout=20_000)
    check("comparison")
    page.goto(server + "/skolor/")
    page.get_by_role("link", name="Avstämning av potterna").click()
    check("reconciliation")
    check("audit log", "/logg/")
    check("runs", "/fordelning/korningar/")
    page.screenshot(path=str(ARTIFACTS / "audit-log.png"), full_page=False)
    check("import", "/import/")
    check("password change", "/konto/losenord/")
    check("goals", "/mal/")
    page.goto(server + "/mal/indikator/gr9_merit_value/")
    page.wait_for_selector("#indicator-chart svg .mark-rule", timeout=20_000)  # the target line drawn
    page.screenshot(path=str(ARTIFACTS / "indicator.png"), full_page=False)
    check("indicator")
    check("targets", "/mal/malvarden/?school=37416253")
    check("ambition", "/mal/ambition/")
    check("report", "/mal/rapport/?period=T2")
    check("interventions", "/insatser/")
    check("support report", "/insatser/stod/")
    page.goto(server + "/insatser/")
    page.get_by_role("link", name="Kommunal samverkan för bästa skola (KSBS)").click()
    page.wait_for_selector("#effect-merit_value")
    page.screenshot(path=str(ARTIFACTS / "intervention.png"), full_page=False)
    check("intervention")
    check("dialogues", "/dialoger/")
    check("dialogue", "/dialoger/37416253/")
    check("not found", "/skolor/00000000/")
    page.goto(server + "/skolor/37416253/")
    page.get_by_label("Språk").select_option("en")
    page.get_by_role("button", name="Byt").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Results compared with expected").is_visible()
    check("school (English)")
    check("statement (English)", "/fordelning/skolor/37416253/berakning/2024/")
    assert not found, "\n".join(f"{k}: {v}" for k, vs in found.items() for v in vs)
    assert not blocked, blocked


def test_the_controller_imports_the_municipalitys_files_runs_the_year_and_the_api_agrees(server, browser, tmp_path):
    """Issue 7 in the browser: the demo's files with half of one school's 2024 pupils dropped
    are uploaded as one import, the year is run on them, and the API statement shows the edited
    count. Last in the file: it replaces the server's register."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from likvard.data.register import write_dir
    from likvard.workflows import demo_inputs
    from test_own_data import _halve_one_school

    write_dir(demo_inputs(1), tmp_path)
    code, expected = _halve_one_school(tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, server, "ekonom")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("En hel katalog i importformatet", exact=False).check()
    page.get_by_label("Filer att importera", exact=True).set_input_files([str(tmp_path / f) for f in ("schools.csv", "pupils.csv", "school_index.csv", "decisions.csv", "rsu_groups.csv")])
    page.get_by_role("button", name="Kontrollera och importera").click()
    page.wait_for_load_state("networkidle", timeout=120_000)
    status = page.locator("div[role=status]").first.inner_text()
    assert "Importerat" in status and "pupils.csv" in status, page.content()[-3000:]
    page.screenshot(path=str(ARTIFACTS / "import-done.png"), full_page=True)
    page.get_by_role("link", name="Körningar").click()
    page.get_by_role("button", name="Kör på importerade uppgifter").click()
    page.wait_for_load_state("networkidle", timeout=120_000)
    assert "alla potter stämmer på öret" in page.content()
    page.screenshot(path=str(ARTIFACTS / "run-reconciliation.png"), full_page=True)
    api = page.request.get(f"{server}/api/v1/schools/{code}/statement?year=2024").json()
    assert api["pupils"] == expected


def test_the_analyst_writes_the_t2_report_and_downloads_it_as_pdf(server, browser, tmp_path):
    """The T2 report as a page the analyst writes in, and as the PDF the committee gets: the
    text written on the page is in the PDF, which renders to an image (pdftoppm)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, server, "analytiker")
    page.goto(server + "/mal/rapport/?year=2024&period=T2")
    assert page.get_by_role("heading", name="Tertialrapport 2 2024", level=1).is_visible()
    assert page.locator("a[href^='/mal/indikator/']").count() == 60  # every indicator of the plan
    text = "Meritvärdet i årskurs 9 steg till 2024/25 men når ännu inte årsmålet."
    page.get_by_label("Sammanfattning (fritext)").fill(text)
    page.get_by_role("button", name="Spara rapporten").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("status").inner_text().startswith("Sparat 1 ändring i rapporten")
    assert page.get_by_label("Sammanfattning (fritext)").input_value() == text
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
    # the PDF is drawn when asked (seconds on a busy machine): the click waits as long as the download
    with page.expect_download(timeout=300_000) as download:
        page.get_by_role("link", name="Ladda ned som PDF").click(timeout=300_000)
    pdf = tmp_path / "t2.pdf"
    download.value.save_as(pdf)
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Tertialrapport 2 2024" in words and "Meritvärdet i årskurs 9 steg" in words
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    image = next(tmp_path.glob("page*.png"))
    assert image.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    image.replace(ARTIFACTS / "report-t2-page1.png")


def test_the_principal_drafts_a_dialogue_the_area_chief_locks_it_and_the_area_summary_shows_the_request(server, browser):
    principal = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(principal, server, "rektor")
    principal.goto(server + "/dialoger/37416253/?year=2024")
    principal.get_by_label("Framgångsfaktorer").fill("Tydlig struktur och gemensam planering.")
    principal.get_by_label("Läsa och skriva").check()
    principal.get_by_label("Kommunal samverkan för bästa skola (KSBS)", exact=False).first.check()
    principal.get_by_role("button", name="Spara", exact=True).click()
    principal.wait_for_load_state("networkidle")
    assert principal.get_by_role("status").inner_text().startswith("Resultatdialogen är sparad")
    chief = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(chief, server, "grundskolechef")
    chief.goto(server + "/dialoger/37416253/?year=2024")
    assert chief.locator("#success_factors").inner_text() == "Tydlig struktur och gemensam planering."  # the principal's part, read-only here
    chief.get_by_label("Överenskomna åtgärder").fill("Läsfrämjande arbete i åk 4–6.")
    chief.get_by_role("button", name="Spara som kompletterad").click()
    chief.wait_for_load_state("networkidle")
    chief.get_by_role("button", name="Lås dialogen").click()
    chief.wait_for_load_state("networkidle")
    assert "Låst" in chief.locator("main").inner_text() and chief.get_by_role("button", name="Skapa ny version").is_visible()
    chief.goto(server + "/dialoger/?year=2024")
    support = chief.locator("table", has=chief.locator("caption", has_text="Önskat stöd")).first
    assert "Rinkebyskolan" in support.inner_text()
    chief.screenshot(path=str(ARTIFACTS / "dialogues-area.png"), full_page=False)


def test_the_support_report_for_seed_004s_five_schools_downloads_as_pdf(server, browser, tmp_path):
    """Seed 004's question at a click: the five schools' central support 2021–2025 on a page
    and as the PDF a politician gets, rendered to an image (pdftoppm)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, server, "analytiker")
    page.goto(server + "/insatser/stod/?from=2021&to=2025")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert [h.split(" (")[0] for h in headings] == ["Hagsätraskolan", "Hässelbygårdsskolan", "Rinkebyskolan", "Lillholmsskolan", "Grimstaskolan"]
    page.screenshot(path=str(ARTIFACTS / "support-report.png"), full_page=False)
    with page.expect_download(timeout=300_000) as download:
        page.get_by_role("link", name="Ladda ned som PDF").click(timeout=300_000)
    pdf = tmp_path / "stod.pdf"
    download.value.save_as(pdf)
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Centralt stöd till skolorna 2021–2025" in words and "Kommunal samverkan för bästa skola (KSBS)" in words and "Grimstaskolan" in words
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    image = next(tmp_path.glob("page*.png"))
    assert image.stat().st_size > 10_000
    image.replace(ARTIFACTS / "support-report-page1.png")
