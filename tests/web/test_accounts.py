"""Logins are throttled and audited, passwords are chosen well, sessions end, API tokens can be
listed, revoked and let expire, and the API's documentation is for signed-in users only."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from typer.testing import CliRunner

from likvard.web.accounts.actions import AccountError, add_user, issue_token
from likvard.web.accounts.models import ApiToken
from likvard.web.audit.models import AuditEntry

PASSWORD = "ett-riktigt-bra-lösenord"


def _cli():
    return __import__("likvard.cli", fromlist=["app"]).app


@pytest.fixture
def person(db):
    """A user of their own (a controller), so that locking them out touches no one else."""
    user = get_user_model().objects.create_user("karin.lind", password=PASSWORD)
    from likvard.web.accounts.models import Profile

    Profile.objects.create(user=user, role="controller")
    return user


def _login(client, username, password, address="127.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _logged_in(client):
    return "_auth_user_id" in client.session


# --- throttling and lockout ---


def test_thirty_wrong_passwords_then_the_right_one_is_refused_and_the_audit_log_says_why(client, person):
    for i in range(30):
        _login(client, "karin.lind", f"fel-lösenord-{i}")
    response = _login(client, "karin.lind", PASSWORD)
    assert response.status_code == 429 and not _logged_in(client)
    page = response.content.decode()
    assert "Inloggningen är spärrad" in page and "För många misslyckade inloggningar" in page
    assert f"Försök igen om {settings.AXES_COOLOFF_TIME.seconds // 60} minuter" in page
    entries = AuditEntry.objects.filter(target="karin.lind")
    assert entries.filter(action="locked_out").count() == 1  # the lockout, once, when it began
    assert entries.filter(action="login_failed").count() == 31  # every failure, the right password during the lockout too
    assert not any("fel-lösenord" in str((e.target, e.before, e.after)) or PASSWORD in str((e.target, e.before, e.after)) for e in AuditEntry.objects.all())


def test_the_lockout_begins_at_the_configured_number_of_failures(client, person):
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "karin.lind", f"fel-{i}").status_code == 200
    assert _login(client, "karin.lind", "fel-igen").status_code == 429
    assert AuditEntry.objects.filter(action="locked_out", target="karin.lind").exists()


def test_the_lockout_page_speaks_english_when_english_is_chosen(client, person):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for i in range(settings.AXES_FAILURE_LIMIT):
        response = _login(client, "karin.lind", f"wrong-{i}")
    page = response.content.decode()
    assert response.status_code == 429 and "Login is blocked" in page and "Too many failed logins" in page
    assert "spärrad" not in page


def test_a_lockout_does_not_spill_over_to_another_account_from_another_address(person):
    get_user_model().objects.create_user("olle.berg", password=PASSWORD)
    attacker, other = Client(), Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, "karin.lind", f"fel-{i}", address="10.0.0.1")
    assert _login(other, "olle.berg", PASSWORD, address="10.0.0.2").status_code == 302 and _logged_in(other)
    # the account is locked from any address, and the address for any account
    assert _login(Client(), "karin.lind", PASSWORD, address="10.0.0.2").status_code == 429
    assert _login(Client(), "olle.berg", PASSWORD, address="10.0.0.1").status_code == 429


def test_the_test_clients_login_and_force_login_still_work(client, person):
    assert client.login(username="karin.lind", password=PASSWORD) is True
    assert client.get(reverse("account")).status_code == 200
    other = Client()
    other.force_login(person)
    assert other.get(reverse("account")).status_code == 200


def test_a_denied_page_and_a_denied_api_call_are_in_the_audit_log(login, db):
    client = login("principal")
    assert client.get(reverse("audit:log")).status_code == 403
    denied = AuditEntry.objects.filter(action="access_denied", user__username="rektor")
    assert denied.filter(target__contains="/logg/").exists()
    assert login("committee").get("/api/v1/schools").status_code == 403
    assert AuditEntry.objects.filter(action="access_denied", user__username="namnd", target__contains="/api/v1/schools").exists()


def test_the_audit_log_names_the_security_events_in_swedish(login, person):
    _login(Client(), "karin.lind", "fel")
    page = login("controller").get(reverse("audit:log")).content.decode()
    assert "Misslyckad inloggning: karin.lind" in page


# --- passwords and sessions ---


@pytest.mark.parametrize("password", ["kort-ord", "qwertyqwerty", "123456789012345", "karin.lindqvist1"])
def test_a_short_common_numeric_or_name_like_password_is_refused_by_add_user(password, db):
    with pytest.raises(AccountError):
        add_user(None, "karin.lindqvist", role="analyst", password=password)
    assert not get_user_model().objects.filter(username="karin.lindqvist").exists()


def test_a_good_password_is_accepted_by_add_user(db):
    user = add_user(None, "karin.lindqvist", role="analyst", password=PASSWORD)
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("password", ["kort-ord", "qwertyqwerty"])
def test_the_password_change_form_refuses_a_short_or_common_password(client, person, password):
    client.force_login(person)
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": password, "new_password2": password})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_the_password_change_page_lists_the_rules_and_says_the_tokens_go(client, person):
    client.force_login(person)
    page = client.get(reverse("password_change")).content.decode()
    assert 'aria-describedby="id_new_password1_helptext"' in page and 'id="id_new_password1_helptext"' in page
    assert "minst 12 tecken" in page and "återkallas dina API-nycklar" in page


def test_the_session_ends_when_the_browser_closes_and_its_age_is_the_setting(client, person):
    response = _login(client, "karin.lind", PASSWORD)
    assert response.status_code == 302 and _logged_in(client)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 8 * 3600


def test_the_session_hours_and_the_lockout_come_from_the_environment(tmp_path):
    env = {**os.environ, "LIKVARD_HOME": str(tmp_path), "LIKVARD_SESSION_HOURS": "2", "LIKVARD_LOGIN_FAILURES": "4", "LIKVARD_LOCKOUT_MINUTES": "30"}
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SESSION_COOKIE_AGE, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.seconds)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["7200", "4", "1800"], out.stderr


# --- API tokens ---


def test_tokens_are_issued_listed_and_revoked_on_the_command_line_and_a_revoked_one_is_refused(client, person):
    runner = CliRunner()
    issued = runner.invoke(_cli(), ["token", "karin.lind", "--expires-days", "30"])
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]
    row = ApiToken.objects.get(digest=ApiToken.hash(token))
    assert row.prefix == token[:12] and token[12:] not in row.prefix
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/schools", **headers).status_code == 200

    listed = runner.invoke(_cli(), ["token", "--list", "karin.lind"])
    assert listed.exit_code == 0, listed.output
    line = next(ln for ln in listed.output.splitlines() if ln.split()[0] == str(row.pk))
    assert f"{row.prefix}…" in line and timezone.localtime(row.expires_at).strftime("%Y-%m-%d") in line and token not in listed.output

    revoked = runner.invoke(_cli(), ["token", "--revoke", str(row.pk)])
    assert revoked.exit_code == 0, revoked.output
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert client.get("/api/v1/schools", **headers).status_code == 401
    relisted = runner.invoke(_cli(), ["token", "--list", "karin.lind"]).output
    assert timezone.localtime(row.revoked_at).strftime("%Y-%m-%d %H:%M") in relisted
    assert AuditEntry.objects.filter(action="issue_token", target__startswith="karin.lind").exists()
    assert AuditEntry.objects.filter(action="revoke_token", target=f"karin.lind {row.prefix}…").exists()


def test_revoking_a_token_that_does_not_exist_is_a_clear_error(db):
    result = CliRunner().invoke(_cli(), ["token", "--revoke", "999999"])
    assert result.exit_code == 2 and "999999" in result.output


def test_an_expired_token_is_refused(client, person):
    token = issue_token(None, person, expires_days=1)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/schools", **headers).status_code == 200
    ApiToken.objects.filter(digest=ApiToken.hash(token)).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/schools", **headers).status_code == 401


def test_changing_the_password_revokes_the_users_tokens(client, person):
    token = issue_token(None, person)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/schools", **headers).status_code == 200
    client.force_login(person)
    new = "ett-annat-bra-lösenord"
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert ApiToken.objects.get(digest=ApiToken.hash(token)).revoked_at is not None
    assert Client().get("/api/v1/schools", **headers).status_code == 401
    assert AuditEntry.objects.filter(action="revoke_tokens_password", target="karin.lind").exists()
    assert client.get(reverse("account")).status_code == 200  # still signed in after the change


def test_deactivating_a_user_revokes_their_tokens(client, person):
    token = issue_token(None, person)
    person.is_active = False
    person.save()
    assert ApiToken.objects.get(digest=ApiToken.hash(token)).revoked_at is not None
    assert AuditEntry.objects.filter(action="revoke_tokens_deactivated", target="karin.lind").exists()
    assert client.get("/api/v1/schools", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_a_hash_upgrade_at_login_does_not_revoke_tokens(client, person):
    """Django re-hashes a password at login when the hasher's work factor changed: no change."""
    from django.contrib.auth.hashers import make_password

    token = issue_token(None, person)
    person.password = make_password(PASSWORD, hasher="pbkdf2_sha1")
    person.save()
    assert _login(client, "karin.lind", PASSWORD).status_code == 302
    person.refresh_from_db()
    assert person.password.startswith("pbkdf2_sha256$")  # upgraded
    assert ApiToken.objects.get(digest=ApiToken.hash(token)).revoked_at is None


# --- the user's own page ---


def test_the_account_page_shows_the_role_the_scope_and_the_tokens(login, db):
    rektor = get_user_model().objects.get(username="rektor")
    issue_token(None, rektor)
    row = ApiToken.objects.filter(user=rektor).first()
    page = login("principal").get(reverse("account")).content.decode()
    assert "<h1>Mitt konto</h1>" in page and "Rektor" in page and "Rinkebyskolan" in page
    assert f"{row.prefix}…" in page and f'name="token" value="{row.pk}"' in page
    assert 'aria-label="Återkalla nyckeln' in page and reverse("password_change") in page


def test_the_account_page_speaks_english_when_english_is_chosen(login, db):
    client = login("area_chief")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("account")).content.decode()
    assert "My account" in page and "Area chief" in page and "API tokens" in page and "Mitt konto" not in page


def test_the_account_page_revokes_the_users_own_token_only(login, client, db):
    rektor = get_user_model().objects.get(username="rektor")
    own = issue_token(None, rektor)
    others = issue_token(None, get_user_model().objects.get(username="ekonom"))
    client = login("principal")
    own_row, other_row = (ApiToken.objects.get(digest=ApiToken.hash(t)) for t in (own, others))
    assert client.post(reverse("token_revoke"), {"token": other_row.pk}).status_code == 404
    response = client.post(reverse("token_revoke"), {"token": own_row.pk}, follow=True)
    assert response.status_code == 200 and "är återkallad" in response.content.decode()
    own_row.refresh_from_db()
    other_row.refresh_from_db()
    assert own_row.revoked_at is not None and other_row.revoked_at is None


def test_revoking_on_the_account_page_needs_the_csrf_token(db):
    rektor = get_user_model().objects.get(username="rektor")
    issue_token(None, rektor)
    row = ApiToken.objects.filter(user=rektor).first()
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(rektor)
    assert forged.post(reverse("token_revoke"), {"token": row.pk}).status_code == 403
    row.refresh_from_db()
    assert row.revoked_at is None


# --- the API's documentation ---


def test_the_openapi_document_is_refused_anonymously_and_given_to_the_signed_in(client, login, person):
    assert client.get("/api/v1/openapi.json").status_code == 401
    token = issue_token(None, person)
    assert "/api/v1/schools" in Client().get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {token}").json()["paths"]
    assert "/api/v1/schools" in login("committee").get("/api/v1/openapi.json").json()["paths"]


def test_the_api_docs_page_lists_the_endpoints_from_the_app_itself(client, login, db):
    anonymous = client.get("/api/v1/docs")
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    page = login("analyst").get("/api/v1/docs").content.decode()
    assert "<code>GET /api/v1/schools</code>" in page and "/api/v1/schools/{school_unit_code}/statement" in page
    assert "<code>year</code>" in page and "<code>school_unit_code</code>" in page  # parameters
    assert "<script" not in page and "cdn" not in page.lower()
