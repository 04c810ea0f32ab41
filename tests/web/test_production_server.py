"""`likvard serve --workers N`: the production posture behind gunicorn, over real HTTP.

Checks what a deployment depends on: the pre-fork server starts from the CLI, the health check
answers over plain HTTP (load balancers), everything else redirects to HTTPS unless the proxy
says the request was HTTPS, and static files come from the app itself (no CDN).
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.slow


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    home = tmp_path_factory.mktemp("prod")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIKVARD_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(LIKVARD_HOME=str(home), LIKVARD_SECRET_KEY=secrets.token_urlsafe(50), LIKVARD_PSEUDONYM_KEY=secrets.token_urlsafe(32))
    log = (home / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "likvard.cli", "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/healthz", timeout=2).read() == b"ok":
                break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    else:
        proc.kill()
        raise AssertionError((home / "serve.log").read_text())
    if proc.poll() is not None:
        raise AssertionError((home / "serve.log").read_text())
    yield url, home
    proc.terminate()
    proc.wait(timeout=15)


def _get(url: str, **headers: str):
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        return opener.open(urllib.request.Request(url, headers=headers), timeout=10)
    except urllib.error.HTTPError as err:
        return err


def test_gunicorn_serves_health_over_http_and_redirects_the_rest(production) -> None:
    url, home = production
    health = _get(url + "/healthz")
    assert health.status == 200 and health.read() == b"ok"
    plain = _get(url + "/konto/logga-in/")
    assert plain.status == 301 and plain.headers["Location"].startswith("https://")
    behind_proxy = _get(url + "/konto/logga-in/", **{"X-Forwarded-Proto": "https"})
    body = behind_proxy.read().decode()
    assert behind_proxy.status == 200 and 'lang="sv"' in body and "Logga in" in body
    assert behind_proxy.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in behind_proxy.headers["Set-Cookie"]
    css = _get(url + "/static/likvard/likvard.css", **{"X-Forwarded-Proto": "https"})
    assert css.status == 200 and b"{" in css.read()
    assert "Booting worker" in (home / "serve.log").read_text()


def test_unknown_page_in_production_is_a_plain_404_without_debug_details(production) -> None:
    url, _ = production
    missing = _get(url + "/finns-inte/", **{"X-Forwarded-Proto": "https"})
    text = missing.read().decode()
    assert missing.status == 404 and "Traceback" not in text and "URLconf" not in text
