"""Benchmark: the full 2024 model on a synthetic national-scale register.

Prints the run time and its ratio to a floor measured in the same run: one vectorised pass
over every input column of the year's register (NumPy sums for numeric and boolean columns,
a byte-length pass for text columns). Machines here are shared and noisy, so only the ratio
is meaningful; the target is ≤ 10× the floor.

    .venv/bin/python bench/allocation.py [--pupils 1100000] [--schools 5000] [--repeat 5]

Each figure is the best of ``--repeat`` runs, with the median beside it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import polars as pl

from likvard.data.synthetic_register import make_register
from likvard.engine.allocation import load_model, run, with_overrides
from likvard.engine.allocation.inputs import AllocationInput

ROOT = Path(__file__).resolve().parents[1]
NAMED = ("52863414", "99000001", "63321041", "99648792", "99000002", "99000003", "99000004")


def floor_pass(pupils: pl.DataFrame) -> int:
    """Read every column that holds data once: the least any allocation over these inputs must
    do. Columns that are null throughout are left out: reading them is no work a run must do,
    and they would make the floor, and so the ratio, look better than it is."""
    acc = 0
    for name in pupils.columns:
        s = pupils[name]
        if s.null_count() == s.len():
            continue
        if s.dtype == pl.String:
            acc += int(s.str.len_bytes().sum() or 0)
        elif s.dtype == pl.Boolean:
            acc += int(np.sum(s.fill_null(False).to_numpy()))
        else:
            acc += int(np.nansum(s.fill_null(0).to_numpy()))
    return acc


def timings(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pupils", type=int, default=1_100_000)
    ap.add_argument("--schools", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    t = time.perf_counter()
    full = make_register(args.pupils, args.schools, seed=42, extra_codes=NAMED)
    # the year's register snapshot; earlier years enter only through the index table
    inputs = AllocationInput(full.pupils.filter(pl.col("year") == 2024), full.schools, full.index, full.decisions, full.rsu_groups)
    gen = time.perf_counter() - t
    # Stockholm's pots scaled to the national register (about ten times Stockholm's pupils)
    model = with_overrides(
        load_model(ROOT / "models" / "stockholm-2024"),
        [
            "structural_compensation.amount=25 555 mnkr",
            "socioeconomic.amount=15 002 mnkr",
            "state_grant.amount=4 010 mnkr",
            "state_grant_socioeconomic.amount=2 050 mnkr",
        ],
    )
    year_pupils = inputs.pupils
    floors = timings(lambda: floor_pass(year_pupils) + floor_pass(inputs.index) + floor_pass(inputs.schools), args.repeat)
    engines = timings(lambda: run(model, inputs, 2024), args.repeat)
    result = run(model, inputs, 2024)
    serialises = timings(result.to_dict, args.repeat)
    floor, engine, serialise = min(floors), min(engines), min(serialises)
    floor_med, engine_med, serialise_med = statistics.median(floors), statistics.median(engines), statistics.median(serialises)
    empty = [n for n in year_pupils.columns if year_pupils[n].null_count() == year_pupils.height]
    print(f"register: {year_pupils.height:,} pupils in 2024, {inputs.schools.height:,} schools, {len(model.components)} components (generated in {gen:.1f} s)")
    print(f"best of {args.repeat} (median in brackets)")
    print(f"floor (one pass over every input column): {floor * 1000:8.1f} ms   ({floor_med * 1000:.1f})")
    print(f"allocation run (all components, reconciled: {result.reconciled}): {engine * 1000:8.1f} ms   ({engine_med * 1000:.1f})")
    print(f"ratio run / floor: {engine / floor:6.1f}x   ({engine_med / floor_med:.1f}x)   (target <= 10x)")
    print(
        f"statement JSON for all schools (to_dict, explanations rendered): {serialise * 1000:8.1f} ms   ({serialise_med * 1000:.1f})   "
        f"{serialise / engine:4.2f}x the run (target <= 1x)"
    )
    print(f"the floor leaves out {len(empty)} all-null pupil columns: {', '.join(empty) or 'none'}")


if __name__ == "__main__":
    main()
