"""Benchmark: importing a register snapshot, and a run on stored data against a run on files.

1. Import: the demo municipality's 2024 register (≈ 137 000 pupils, one year) imported as a
   controller does it (``likvard.web.imports.actions.import_kind("register", …)``: read, check
   every row, scan every text column for personal identity numbers, pseudonymise, store the
   snapshot, audit). Floor, measured in the same run: reading the same file once with Polars
   (every column as text). Target: ≤ 20× the floor.
2. Run: the year's allocation on the stored demo data (``run_year``: load the snapshots, run,
   store every school's numbers) against ``likvard allocate --data`` on the same files (read
   the directory, run, the JSON). Target: ≤ 1.5×.

Machines here are shared and noisy: only the ratios mean something. The database is SQLite in
a temporary directory, or the one ``DATABASE_URL`` names.

    .venv/bin/python bench/import.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]


def best(fn, repeat: int) -> float:
    times = []
    for i in range(repeat):
        t = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t)
    return min(times)


def luhn(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return nine + str((10 - total % 10) % 10)


def identity_numbers(n: int) -> list[str]:
    """``n`` distinct, valid constructed personnummer (born 2008–2018): a register as schools
    deliver it, before pseudonymisation."""
    out = []
    for i in range(n):
        serial, rest = i % 1000, i // 1000
        number = luhn(f"{8 + rest // 336:02d}{1 + rest // 28 % 12:02d}{1 + rest % 28:02d}{serial:03d}")
        out.append(f"20{number[:6]}-{number[6:]}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="likvard-bench-"))
    os.environ.setdefault("LIKVARD_HOME", str(home))
    os.environ.setdefault("LIKVARD_DEMO", "1")
    os.environ.setdefault("LIKVARD_PSEUDONYM_KEY", "bench-only-pseudonym-key-0123456789abcdef")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "likvard.web.settings")
    os.environ.setdefault("LIKVARD_MODEL_DIR", str(ROOT / "models" / "stockholm-2024"))
    import django

    django.setup()
    from django.core.management import call_command

    from likvard.data.register import read_dir, write_dir
    from likvard.web.allocation.actions import run_year
    from likvard.web.imports.actions import import_kind
    from likvard.workflows import allocate, demo_inputs, load_model

    call_command("migrate", interactive=False, verbosity=0)
    data = home / "demo"
    write_dir(demo_inputs(1), data)
    year = pl.read_csv(data / "pupils.csv", infer_schema=False).filter(pl.col("year") == "2024")
    numbered = year.with_columns(pl.Series("pupil_id", identity_numbers(year.height)))
    files, with_numbers = [], []
    for i in range(args.repeat):  # a different file each time (one pupil's gender), or it is a duplicate
        for frame, target, name in ((year, files, "pupils"), (numbered, with_numbers, "numbered")):
            path = home / f"{name}-2024-{i}.csv"
            frame.with_columns(pl.when(pl.int_range(pl.len()) == i).then(pl.lit("male")).otherwise(pl.col("gender")).alias("gender")).write_csv(path)
            target.append(path)
    print(f"register snapshot: {year.height} pupils, {files[0].stat().st_size / 1e6:.1f} MB, database {django.db.connection.vendor}")

    floor = best(lambda i: pl.read_csv(files[i], infer_schema=False), args.repeat)
    outcome = import_kind(None, "schools", [data / "schools.csv"])
    assert outcome.ok, outcome.problems

    def one(paths: list[Path]):
        def run(i: int) -> None:
            done = import_kind(None, "register", [paths[i]])
            assert done.ok and done.files, done.problems

        return run

    imported = best(one(files), args.repeat)
    pseudonymised = best(one(with_numbers), args.repeat)
    print(f"floor (read the file once with Polars):  {floor * 1000:8.1f} ms")
    print(f"import (check, scan, store):              {imported * 1000:8.1f} ms   ratio {imported / floor:5.1f}× (target ≤ 20×)")
    print(f"import, pupil ids personnummer (+ pseudonymise): {pseudonymised * 1000:8.1f} ms   ratio {pseudonymised / floor:5.1f}×")

    outcome = import_kind(None, "data", [data])
    assert outcome.ok, outcome.problems
    model = load_model(os.environ["LIKVARD_MODEL_DIR"])
    on_files = best(lambda i: allocate(model, read_dir(data), 2024).result.to_dict(), args.repeat)
    stored = best(lambda i: run_year(None, 2024), args.repeat)
    print(f"allocate --data (read the files, run, JSON): {on_files * 1000:8.1f} ms")
    print(f"run on stored data (load, run, store):       {stored * 1000:8.1f} ms   ratio {stored / on_files:5.2f}× (target ≤ 1.5×)")


if __name__ == "__main__":
    sys.exit(main())
