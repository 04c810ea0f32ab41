"""Write the synthetic local authority of the NFF example (data/): deterministic, seed 2024.

Twelve schools of "Exempelshire" (eight primary, four secondary), about 4 000 pupils with the
NFF's pupil characteristics as attribute columns, each school's distance to the next school and
its cost area, and a baseline of per-pupil funding for the floor and cap. Every pupil and school
is invented. The English phases are written in the register's Swedish vocabulary: primary
(Reception–Year 6) is ``gr`` F–6, Key Stage 3 (Years 7–9) ``gr`` 7–9 and Key Stage 4
(Years 10–11) ``gy`` 1–2.

    python examples/england-nff/make_data.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "data"
LA = "9001"
IDACI = ("A", "B", "C", "D", "E", "F", "")


def main(out: Path = OUT) -> None:
    rng = np.random.default_rng(2024)
    out.mkdir(parents=True, exist_ok=True)
    schools = []
    for i in range(12):
        primary = i < 8
        code = f"9{i + 1:07d}"
        rural = i in (2, 5, 9)
        schools.append(
            {
                "school_unit_code": code,
                "name": f"{'Exempel Primary' if primary else 'Exempel Academy'} {i + 1} (synthetic)",
                "operator": "municipal" if i % 3 else "independent",
                "municipality_code": LA,
                "school_forms": "gr" if primary else "gr,gy",
                "attr_phase": "primary" if primary else "secondary",
                "attr_distance_km": f"{rng.uniform(4.0, 9.0) if rural else rng.uniform(0.4, 2.5):.1f}",
                "attr_cost_area": "fringe" if i in (0, 1, 8) else "none",
                "_size": (60 + 40 * i % 90 if rural else (470 if i == 7 else int(rng.integers(180, 420)))) if primary else (int(rng.integers(300, 520)) if rural else int(rng.integers(700, 1100))),
            }
        )
    pupils = []
    for s in schools:
        primary = s["attr_phase"] == "primary"
        need = rng.beta(2, 5) if s["school_unit_code"] != "90000008" else 0.0  # one large, affluent primary: the minimum level applies
        grades = [("gr", g) for g in ("F", "1", "2", "3", "4", "5", "6")] if primary else [("gr", "7"), ("gr", "8"), ("gr", "9"), ("gy", "1"), ("gy", "2")]
        for n in range(s["_size"]):
            form, grade = grades[n % len(grades)]
            fsm = rng.random() < 0.1 + 0.4 * need
            pupils.append(
                {
                    "year": 2024,
                    "pupil_id": f"nff-{s['school_unit_code']}-{n:04d}",
                    "school_unit_code": s["school_unit_code"],
                    "school_form": form,
                    "grade": grade,
                    "home_municipality": LA,
                    "attr_fsm": int(fsm),
                    "attr_fsm6": int(fsm or rng.random() < 0.08),
                    "attr_idaci": IDACI[min(6, int(rng.beta(2, 2) * 7 * (1.2 - need)))],
                    "attr_lpa": int(rng.random() < 0.15 + 0.3 * need),
                    "attr_eal": int(rng.random() < 0.1 + 0.2 * need),
                    "attr_mobile": int(rng.random() < 0.03 + 0.05 * need),
                }
            )
    with (out / "schools.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, [k for k in schools[0] if not k.startswith("_")])
        w.writeheader()
        w.writerows({k: v for k, v in s.items() if not k.startswith("_")} for s in schools)
    with (out / "pupils.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, list(pupils[0]))
        w.writeheader()
        w.writerows(pupils)
    # last year's funding per pupil: around this year's level, so that some schools meet the
    # floor and some the cap
    with (out / "baseline.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["school_unit_code", "per_pupil"])
        for s in schools:
            level = 5_600 if s["attr_phase"] == "primary" else 7_100
            w.writerow([s["school_unit_code"], f"{level * rng.uniform(0.9, 1.15):.2f}"])
    (out / "README.txt").write_text(
        "Exempelshire: a synthetic local authority for the NFF example (examples/england-nff)\n"
        "Every pupil and school is invented (make_data.py, seed 2024).\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
