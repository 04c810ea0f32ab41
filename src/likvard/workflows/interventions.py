"""What central support schools got, when and from whom (seed 004's question at a click), and
the demo's synthetic history of support for schools the seed does not cover.

Framework-free: the CLI reads a catalogue file, the web builds the same ``Catalogue`` from the
database, and both call ``support_report``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from likvard.data.interventions import Assignment, Catalogue

__all__ = ["STATUS_LABELS", "support_report", "with_synthetic_history"]

STATUS_LABELS = {"offered": "erbjuden", "planned": "planerad", "ongoing": "pågår", "finished": "avslutad"}


def support_report(catalogue: Catalogue, schools: list[str], first: int, last: int, names: dict[str, str] | None = None) -> dict[str, Any]:
    """Per school (in the order asked) every intervention whose period overlaps ``first``–
    ``last``: name, provider, start, end, status, sorted by start and name."""
    by_key = {i.key: i for i in catalogue.interventions}
    names = names or {}
    out = []
    for code in schools:
        rows = [a for a in catalogue.assignments if a.school_unit_code == code and a.start <= last and a.end >= first]
        rows.sort(key=lambda a: (a.start, by_key[a.intervention].name))
        out.append({
            "school_unit_code": code,
            "name": names.get(code) or next((a.school for a in rows if a.school), code),
            "interventions": [
                {
                    "key": a.intervention, "name": by_key[a.intervention].name, "provider": by_key[a.intervention].provider,
                    "start": a.start, "end": a.end, "status": a.status, "note": a.note, "synthetic": a.synthetic or by_key[a.intervention].synthetic,
                }
                for a in rows
            ],
        })
    return {"from": first, "to": last, "source": catalogue.source, "schools": out}


def with_synthetic_history(catalogue: Catalogue, schools: list[tuple[str, str]], seed: int = 1, share: float = 0.4) -> Catalogue:
    """The demo: about ``share`` of the given own schools (those the source does not cover) get
    one to three of the catalogue's interventions over 2021–2025, each assignment marked
    synthetic. Deterministic for a seed."""
    rng = np.random.default_rng([seed, 4004])
    covered = {a.school_unit_code for a in catalogue.assignments}
    keys = [i.key for i in catalogue.interventions]
    extra: list[Assignment] = []
    for code, name in sorted(schools):
        if code in covered or rng.random() >= share or not keys:
            continue
        for key in rng.choice(keys, size=int(rng.integers(1, 4)), replace=False):
            start = int(rng.integers(2021, 2026))
            end = int(min(start + rng.integers(0, 3), 2025))
            status = "planned" if start == 2025 else ("ongoing" if end == 2025 else "finished")
            extra.append(Assignment(str(key), code, name, start, end, status, "syntetisk (demo)", None, True))
    return replace(catalogue, assignments=catalogue.assignments + tuple(extra))
