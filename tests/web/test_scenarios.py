"""Scenarios: copy the model, change an amount (validated like the CLI), run, compare; every
change in the audit log."""

from django.urls import reverse

from likvard.web.allocation.models import AllocationRun, Scenario
from likvard.web.audit.models import AuditEntry


def test_the_controllers_scenario_run_moves_money_and_sums_to_zero_per_pot(db):
    from likvard.web.allocation.reading import run_dict

    run = AllocationRun.objects.filter(kind="comparison").first()
    data = run_dict(run)
    assert data["model"]["overrides"] == [{"key": "socioeconomic.base_amount", "value": "3000"}]
    socio = next(c for c in data["components_diff"] if c["component"] == "socioeconomic")
    assert socio["diff_ore"] == 0
    assert data["winners"] and data["losers"]


def test_the_comparison_shows_before_after_and_why_in_words(login, db):
    import html
    import re

    from likvard.money import parse_money

    run = AllocationRun.objects.filter(kind="comparison").first()
    page = html.unescape(login("controller").get(reverse("allocation:comparison", kwargs={"run_id": run.pk})).content.decode()).replace("\u00a0", " ")
    assert "Socioekonomisk ersättning, basbelopp per elev: 2 000 kr → <strong>3 000 kr</strong>" in page
    assert "<th scope=\"col\" class=\"num\">Efter</th>" in page
    rows = re.findall(r'<td class="num">([^<]*)</td><td class="num">([^<]*)</td><td class="num">([^<]*)</td><td>(.*?)</td></tr>', page)
    assert len(rows) > 10
    for before, after, diff, why in rows:
        def ore(text: str) -> int:
            return parse_money(text.replace("\u2212", "-").lstrip("+"))

        assert ore(after) == ore(before) + ore(diff)
        assert "Socioekonomisk ersättning" in why and "eftersom basbelopp per elev ändrades från 2 000 kr till 3 000 kr" in why
        assert diff.startswith(("+", "\u2212"))


def test_a_bad_value_shows_the_cli_message_and_changes_nothing(login, db):
    scenario = Scenario.objects.first()
    before = list(scenario.overrides)
    audit_before = AuditEntry.objects.count()
    page = login("controller").post(reverse("allocation:scenario", kwargs={"scenario_id": scenario.pk}), {"key": "socioeconomic.base_amount", "value": "tre tusen", "action": "set"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "base_amount" in text and "inte ett belopp" in text and 'role="alert"' in text
    scenario.refresh_from_db()
    assert scenario.overrides == before
    assert AuditEntry.objects.count() == audit_before


def test_a_change_is_audited_with_who_before_and_after(login, db):
    scenario = Scenario.objects.first()
    login("controller").post(reverse("allocation:scenario", kwargs={"scenario_id": scenario.pk}), {"key": "mother_tongue.amount", "value": "12 000 kr", "action": "set"})
    scenario.refresh_from_db()
    assert "mother_tongue.amount=12 000 kr" in scenario.overrides
    entry = AuditEntry.objects.filter(action="set_value").first()
    assert entry.user.username == "ekonom" and entry.target.endswith("mother_tongue.amount")
    assert entry.before == {"value": "11 486 kr"} and entry.after == {"value": "12 000 kr"}
    log = login("controller").get(reverse("audit:log")).content.decode()
    assert "mother_tongue.amount" in log
    assert "Ändrade: scenario" in log and "<td>11 486 kr</td><td>12 000 kr</td>" in log  # readable, not a dict
    assert "{&#x27;value&#x27;" not in log and "set_value" not in log


def test_an_analyst_may_look_but_not_change(login, db):
    scenario = Scenario.objects.first()
    client = login("analyst")
    assert client.get(reverse("allocation:scenario", kwargs={"scenario_id": scenario.pk})).status_code == 200
    assert client.post(reverse("allocation:scenario", kwargs={"scenario_id": scenario.pk}), {"key": "socioeconomic.base_amount", "value": "1", "action": "set"}).status_code == 403


def test_a_model_can_be_copied_to_a_new_year_and_running_it_without_a_register_says_why(login, db):
    client = login("controller")
    response = client.post(reverse("allocation:models"), {"name": "Modell 2025", "year": "2025"})
    scenario = Scenario.objects.get(name="Modell 2025")
    assert response.status_code == 302 and scenario.year == 2025
    assert "model.year=2025" in scenario.overrides and "model.id=stockholm-2025" in scenario.overrides
    from likvard.web.allocation.actions import model_of

    assert model_of(scenario).year == 2025 and model_of(scenario).id == "stockholm-2025"
    page = client.post(reverse("allocation:scenario", kwargs={"scenario_id": scenario.pk}), {"action": "run"})
    assert page.status_code == 200 and "inga elever för år 2025" in page.content.decode()
    assert AuditEntry.objects.filter(action="create_scenario", after__year=2025).exists()


def _amount_form(page: str) -> dict[str, str]:
    """The amounts form's fields as a browser would post them (name → value)."""
    import html
    import re

    return {html.unescape(m.group(1)): html.unescape(m.group(2)) for m in re.finditer(r'name="(amount:[^"]+)" value="([^"]*)"', page)}


def test_the_amounts_form_lists_every_component_with_its_source_and_saves_changes_together(login, db):
    scenario = Scenario.objects.create(name="Belopp", year=2024, overrides=[])
    url = reverse("allocation:scenario", kwargs={"scenario_id": scenario.pk})
    client = login("controller")
    page = client.get(url).content.decode()
    fields = _amount_form(page)
    assert fields["amount:mother_tongue.amount"] == "11 486 kr"
    assert fields["amount:socioeconomic.base_amount"] == "2 000 kr"
    assert fields["amount:standard_amount.rates.0.amount"] == "95 000 kr"
    assert fields["amount:profile_grants.grants.2.amount"] == "8,8 mnkr"  # Kungliga Svenska Balettskolan
    assert "L3611–3614" in page and "<legend>Modersmålsersättning" in page  # the source citation
    assert '<label for="f-mother_tongue-amount">' in page
    audit_before = AuditEntry.objects.count()
    fields["amount:mother_tongue.amount"] = "12 000 kr"
    fields["amount:standard_amount.rates.0.amount"] = " 96 000  kr "
    response = client.post(url, {**fields, "action": "amounts"})
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert sorted(scenario.overrides) == ["mother_tongue.amount=12 000 kr", "standard_amount.rates.0.amount=96 000 kr"]
    assert AuditEntry.objects.count() == audit_before + 2
    page = client.get(url).content.decode()
    assert _amount_form(page)["amount:mother_tongue.amount"] == "12 000 kr" and "ändrat" in page
    confirmation = page.split('<div class="messages" role="status">')[1].split("</div>")[0]
    assert "Sparat 2 belopp:" in confirmation and "Modersmålsersättning, belopp 12 000 kr" in confirmation
    assert "mother_tongue" not in confirmation  # the form's words, not the model file's keys
    assert '<div class="messages"' not in client.get(url).content.decode()  # shown once


def test_one_bad_amount_saves_none_and_marks_the_field(login, db):
    scenario = Scenario.objects.create(name="Fel", year=2024, overrides=[])
    url = reverse("allocation:scenario", kwargs={"scenario_id": scenario.pk})
    client = login("controller")
    fields = _amount_form(client.get(url).content.decode())
    fields["amount:mother_tongue.amount"] = "12 000 kr"  # valid, but must not be saved alone
    fields["amount:socioeconomic.base_amount"] = "−5 kr"
    audit_before = AuditEntry.objects.count()
    page = client.post(url, {**fields, "action": "amounts"})
    text = page.content.decode()
    assert page.status_code == 200 and 'role="alert"' in text and "socioeconomic" in text
    alert = text.split('id="amounts-error">')[1].split("</p>")[0]
    assert "Socioekonomisk ersättning, Basbelopp per elev:" in alert and ".toml" not in alert  # the form's words
    assert 'id="f-socioeconomic-base_amount" name="amount:socioeconomic.base_amount" value="−5 kr" inputmode="decimal" autocomplete="off" aria-invalid="true" aria-describedby="f-socioeconomic-base_amount-error" autofocus>' in text
    assert text.count("autofocus") == 1  # the failing field, and only it, takes the focus
    scenario.refresh_from_db()
    assert scenario.overrides == [] and AuditEntry.objects.count() == audit_before
    unchanged = client.post(url, {**_amount_form(client.get(url).content.decode()), "action": "amounts"})
    assert "Inga belopp ändrades." in unchanged.content.decode()


def test_only_model_editors_may_post_amounts(login, db):
    scenario = Scenario.objects.create(name="Skydd", year=2024, overrides=[])
    url = reverse("allocation:scenario", kwargs={"scenario_id": scenario.pk})
    assert login("analyst").post(url, {"amount:mother_tongue.amount": "1 kr", "action": "amounts"}).status_code == 403
    scenario.refresh_from_db()
    assert scenario.overrides == []
