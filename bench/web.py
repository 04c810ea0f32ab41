"""Load test on loopback: 20 concurrent users against `likvard serve --demo`.

Starts the demo server in a subprocess (its own SQLite database in a temporary directory),
logs 20 virtual users in as the controller, and for a fixed number of requests each fetches a
school page and a statement through the API (personal token), then the goal follow-up's
indicator page of the merit value. Prints p50/p95/max latency and
the error rate for each, plus a baseline measured in the same run: the same users fetching
/healthz, so the ratio says what the pages cost beyond the server's own overhead.
Target: p95 ≤ 200 ms, 0 errors.

    .venv/bin/python bench/web.py [--users 20] [--requests 25]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODES = ["37416253", "82110758", "87838841", "46581319", "51341279", "52863414", "99648792", "63321041"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, port: int, workers: int = 0) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(LIKVARD_HOME=str(home), LIKVARD_MODEL_DIR=str(ROOT / "models" / "stockholm-2024"))
    proc = subprocess.Popen([sys.executable, "-m", "likvard.cli", "serve", "--demo", "--port", str(port), "--workers", str(workers)], env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start")


def token(home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(LIKVARD_HOME=str(home), LIKVARD_DEMO="1")
    out = subprocess.run([sys.executable, "-m", "likvard.cli", "token", "ekonom"], env=env, cwd=home, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def login(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/konto/logga-in/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode({"username": "ekonom", "password": "demo", "csrfmiddlewaretoken": csrf}).encode()
    req = urllib.request.Request(base + "/konto/logga-in/", data=data, headers={"Referer": base + "/konto/logga-in/"})
    opener.open(req).read()
    return opener


def load(base: str, users: int, per_user: int, make_request, think: float = 0.0) -> tuple[list[float], int]:
    """All users log in first (password hashing is deliberately slow and is not what is
    measured), then start together."""
    times: list[float] = []
    errors = 0
    lock = threading.Lock()
    openers = [login(base) for _ in range(users)]
    start = threading.Barrier(users)

    def user(i: int) -> None:
        nonlocal errors
        opener = openers[i]
        start.wait()
        for j in range(per_user):
            url, headers = make_request(i, j)
            t = time.perf_counter()
            try:
                with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as r:
                    r.read()
                    ok = r.status == 200
            except OSError:
                ok = False
            dt = time.perf_counter() - t
            with lock:
                times.append(dt)
                errors += 0 if ok else 1
            if think:
                time.sleep(random.uniform(0.5 * think, 1.5 * think))  # a user reads before the next click

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return times, errors


def describe(name: str, times: list[float], errors: int) -> float:
    q = statistics.quantiles(times, n=100)
    p95 = q[94] * 1000
    print(f"{name:<28} n={len(times):4d}  p50 {q[49] * 1000:7.1f} ms  p95 {p95:7.1f} ms  max {max(times) * 1000:7.1f} ms  errors {errors / len(times):.1%}")
    return p95


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--requests", type=int, default=25)
    ap.add_argument("--workers", type=int, default=0, help="0 = Django's threaded development server; N = gunicorn with N processes")
    ap.add_argument("--think", type=float, default=0.5, help="mean seconds between a user's requests (0 = back to back)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        port = free_port()
        proc = start_server(home, port, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            api_token = token(home)
            base_t, base_e = load(base, args.users, args.requests, lambda i, j: (base + "/healthz", {}), args.think)
            page_t, page_e = load(base, args.users, args.requests, lambda i, j: (f"{base}/skolor/{CODES[(i + j) % len(CODES)]}/", {}), args.think)
            api_t, api_e = load(base, args.users, args.requests, lambda i, j: (f"{base}/api/v1/schools/{CODES[(i + j) % len(CODES)]}/statement?year=2024", {"Authorization": f"Bearer {api_token}"}), args.think)
            # the goal follow-up's heaviest page: a results indicator, 344 schools × 5 years × 2 genders
            goal_t, goal_e = load(base, args.users, max(args.requests // 5, 2), lambda i, j: (f"{base}/mal/indikator/gr9_merit_value/", {}), args.think)
            server = f"gunicorn, {args.workers} processes x 4 threads" if args.workers else "Django runserver (threaded)"
            print(f"{args.users} concurrent users, {args.requests} requests each, think time {args.think} s on average, {server} on loopback, SQLite")
            b = describe("baseline /healthz", base_t, base_e)
            p = describe("school page", page_t, page_e)
            a = describe("statement API", api_t, api_e)
            g = describe("indicator page (merit value)", goal_t, goal_e)
            print(f"p95 ratio to baseline: school page {p / b:.1f}x, statement API {a / b:.1f}x, indicator page {g / b:.1f}x   (target p95 <= 200 ms, 0 errors; the indicator page's server-side render <= 300 ms: bench/goals.py)")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
