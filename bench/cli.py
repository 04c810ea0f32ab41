"""Benchmark: the command line as a user meets it, whole processes against `python -c pass`.

Prints, for `likvard --help` and `likvard allocate --demo` (the demo cached under var/cache, as
after its first build), the best of N wall-clock times and their ratio to starting Python
itself in the same run. Targets (issue 8): `--help` ≤ 0.5 s, `allocate --demo` ≤ 3 s.

    .venv/bin/python bench/cli.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best(args: list[str], repeat: int, env: dict[str, str], cwd: Path) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(args, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="likvard-bench-cli-"))
    env = {**os.environ, "LIKVARD_HOME": str(home), "LIKVARD_MODEL_DIR": str(ROOT / "models" / "stockholm-2024")}
    likvard = [sys.executable, "-m", "likvard.cli"]
    out = home / "a.json"
    t = time.perf_counter()
    subprocess.run([*likvard, "allocate", "--demo", "--json", str(out)], env=env, cwd=home, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"first allocate --demo (builds and caches the demo): {time.perf_counter() - t:6.2f} s")
    floor = best([sys.executable, "-c", "pass"], args.repeat, env, home)
    helped = best([*likvard, "--help"], args.repeat, env, home)
    allocated = best([*likvard, "allocate", "--demo", "--json", str(out)], args.repeat, env, home)
    print(f"python -c pass:                 {floor:6.3f} s")
    print(f"likvard --help:                 {helped:6.3f} s   {helped / floor:6.1f}× (target ≤ 0.5 s)")
    print(f"likvard allocate --demo cached: {allocated:6.3f} s   {allocated / floor:6.1f}× (target ≤ 3 s)")


if __name__ == "__main__":
    main()
