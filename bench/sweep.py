"""Benchmark: 1 000 scenarios of the demo against one full run, in the same process.

The sweep of issue 9's done-when: ``socioeconomic.base_amount`` 1 000–2 996 kr in steps of 4
(500 values) × ``mother_tongue.amount`` 11 000 and 11 480 kr. The demo is loaded and its index
prepared first (not timed). Then one full run, and the sweep (its own context and base run
included), each best of N. Target: the sweep ≤ 10 s. The ratio to one run says how many full
runs the 1 000 scenarios cost.

    .venv/bin/python bench/sweep.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from likvard.engine.allocation import load_model, parse_vary, run, sweep
from likvard.workflows import demo_inputs, prepare_index

ROOT = Path(__file__).resolve().parents[1]
VARY = ("socioeconomic.base_amount=1000:2996:4", "mother_tongue.amount=11000:11480:480")


def best(repeat: int, call) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    model = load_model(ROOT / "models" / "stockholm-2024")
    inputs, _ = prepare_index(model, demo_inputs(), model.year)
    varied = [parse_vary(v) for v in VARY]
    one = best(args.repeat, lambda: run(model, inputs))
    many = best(args.repeat, lambda: sweep(model, inputs, varied))
    n = len(sweep(model, inputs, varied).values)
    print(f"one full run:              {one:7.3f} s")
    print(f"sweep of {n} scenarios:  {many:7.3f} s   {many / one:6.1f}× one run, {many / n * 1000:.2f} ms per scenario (target ≤ 10 s)")
    print(f"1 000 full runs would take about {one * n:.0f} s")


if __name__ == "__main__":
    main()
