"""Benchmark: the goal follow-up's pages rendered server-side on the demo.

Loads the demo into a fresh SQLite database in a temporary directory (the same load as
``likvard serve --demo``), then renders, in this process with Django's test client as the
analyst (who sees every school): the indicator page of a results indicator (Meritvärde i
årskurs 9: 344 schools' rows, five school years, girls and boys), a survey indicator's page
and the plan page. The baseline is ``/healthz`` rendered the same way in the same run.
Target: the results indicator's page ≤ 300 ms.

    .venv/bin/python bench/goals.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="likvard-bench-goals-")
    os.environ.update(LIKVARD_HOME=home, LIKVARD_DEMO="1", DJANGO_SETTINGS_MODULE="likvard.web.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from likvard.web.demo import load_demo

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    load_demo()
    print(f"demo loaded in {time.perf_counter() - t:.1f} s")
    client = Client()
    client.force_login(get_user_model().objects.get(username="analytiker"))

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    base = best(lambda: get("/healthz"), args.repeat)
    print(f"baseline /healthz: {base * 1000:7.1f} ms")
    for label, url in (("results indicator (Meritvärde åk 9)", "/mal/indikator/gr9_merit_value/"), ("survey indicator (trygghet åk 5)", "/mal/indikator/gr5_safe/"), ("plan page (60 indicators)", "/mal/"), ("ambition list", "/mal/ambition/")):
        seconds = best(lambda url=url: get(url), args.repeat)
        print(f"{label:38s} {seconds * 1000:7.1f} ms   {seconds / base:6.1f}x baseline" + ("   (target <= 300 ms)" if "results" in label else ""))


if __name__ == "__main__":
    main()
