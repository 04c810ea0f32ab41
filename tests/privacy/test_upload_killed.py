"""An upload full of personal identity numbers, the server killed (SIGKILL) while it imports:
nothing readable is left on disk — not in the temporary directory, not in LIKVARD_HOME.

Why a real server and a real kill: a clean shutdown would run ``finally`` blocks and delete
temporary files; a killed process runs nothing. Only an import that never writes the upload
to disk passes. SQLite on purpose: its database is a file, scanned too. The test holds the
database's write lock while it uploads, so the server has read, checked and pseudonymised the
file and waits to store it when it is killed — the moment a temporary copy would still exist.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from likvard.data.personal_identity import count_identity_numbers

pytestmark = pytest.mark.slow


def with_check(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return nine + str((10 - total % 10) % 10)


def _register(n: int) -> bytes:
    """``n`` pupils whose ids are valid, distinct personnummer (constructed test numbers)."""
    rows = ["year,pupil_id,school_unit_code,school_form,grade,home_municipality,gender"]
    for i in range(n):
        serial, rest = i % 1000, i // 1000
        number = with_check(f"12{1 + rest // 28:02d}{1 + rest % 28:02d}{serial:03d}")
        rows.append(f"2024,{number[:6]}-{number[6:]},37416253,gr,7,0180,female")
    return ("\n".join(rows) + "\n").encode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(url: str, username: str, password: str) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "/konto/logga-in/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
    opener.open(urllib.request.Request(url + "/konto/logga-in/", form, headers={"Referer": url + "/konto/logga-in/"}))
    return opener, "; ".join(f"{c.name}={c.value}" for c in jar)


def _wait_until_up(url: str, tries: int) -> None:
    for _ in range(tries):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)


def _scan(*directories: Path) -> dict[str, int]:
    found = {}
    for directory in directories:
        for path in directory.rglob("*"):
            if path.is_file():
                n = count_identity_numbers(path.read_bytes())
                if n:
                    found[str(path)] = n
    return found


def test_a_server_killed_mid_import_leaves_no_identity_number_on_disk(tmp_path):
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIKVARD_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(
        LIKVARD_HOME=str(home), TMPDIR=str(tmp), LIKVARD_DEMO="1", LIKVARD_PASSWORD="ett-långt-lösenord-för-test",
        LIKVARD_PSEUDONYM_KEY="kill-test-pseudonym-key-0123456789abcdef", LIKVARD_MODEL_DIR=str(Path(__file__).resolve().parents[2] / "models" / "stockholm-2024"),
    )
    schools = tmp_path / "schools.csv"
    schools.write_text("school_unit_code,name,operator,municipality_code,school_forms\n37416253,Rinkebyskolan,municipal,0180,gr\n", encoding="utf-8")
    cli = [sys.executable, "-m", "likvard.cli"]
    subprocess.run([*cli, "import", "schools", str(schools)], env=env, cwd=home, check=True, capture_output=True)
    subprocess.run([*cli, "user", "add", "ekonom", "--role", "controller"], env=env, cwd=home, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, 300)
        opener, cookies = _login(url, "ekonom", env["LIKVARD_PASSWORD"])
        page = opener.open(url + "/import/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        content = _register(137_000)  # ≈ 6 MB (a Stockholm year): more than Django keeps in memory by default
        boundary = "----likvard-test-boundary"
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'.encode(),
                f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nregister\r\n'.encode(),
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="elever.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode(),
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        head = (
            f"POST /import/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookies}\r\nReferer: {url}/import/\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        lock = sqlite3.connect(home / "var" / "likvard.sqlite3", isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # the import will wait for this before it stores anything
        try:
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(head + body)  # the whole upload is with the server
                time.sleep(3)  # it reads, checks and pseudonymises, then waits for the lock
                server.send_signal(signal.SIGKILL)
                server.wait(timeout=10)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert count_identity_numbers(content) == 137_000  # the scan finds them where they are
        assert _scan(tmp, home) == {}
    finally:
        if server.poll() is None:
            server.kill()


def _files(directory: Path) -> set[str]:
    return {str(p) for p in directory.rglob("*") if p.is_file()}


def test_a_server_killed_mid_download_leaves_no_file_behind(tmp_path):
    """The run's workbook and a statement PDF, both half sent when the server is killed: the
    temporary directory holds no file it did not hold before (both are built in memory)."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIKVARD_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(LIKVARD_HOME=str(home), TMPDIR=str(tmp), LIKVARD_DEMO="1", LIKVARD_MODEL_DIR=str(Path(__file__).resolve().parents[2] / "models" / "stockholm-2024"))
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "likvard.cli", "serve", "--demo", "--port", str(port)], env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, 600)
        opener, cookies = _login(url, "ekonom", "demo")
        runs = opener.open(url + "/fordelning/korningar/").read().decode()
        workbook = "/fordelning/korningar/{}/excel/".format(re.search(r'href="/fordelning/korningar/(\d+)/avstamning/"', runs).group(1))
        school = "37416253"  # Rinkebyskolan, in every demo run
        before = _files(tmp)
        sockets = []
        for path in (workbook, f"/fordelning/skolor/{school}/berakning/2024/pdf/"):
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(120)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookies}\r\n\r\n".encode())
            head = s.recv(4096)  # the download has begun
            assert head.startswith(b"HTTP/1.1 200"), (path, head[:200])
            sockets.append(s)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        for s in sockets:
            s.close()
        assert _files(tmp) - before == set()
    finally:
        if server.poll() is None:
            server.kill()
