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


#: Outcomes an effect can be estimated on: Skolverket's published school figures.
EFFECT_OUTCOMES = {"merit_value": "merit_value", "eligible": "share_eligible_vocational", "all_subjects": "share_all_subjects"}


def effect_panel(statistics: Any, index: Any, outcome: str) -> Any:
    """A school × year panel for ``estimate_effect``: Skolverket's figure of ``outcome`` per
    school and school year, dated by its spring (2023/24 → 2024, when the grades are set), and
    the school's socioeconomic index (its mean over the years the index table holds, for
    matching)."""
    import polars as pl

    name = EFFECT_OUTCOMES[outcome]
    values = statistics.filter(pl.col("indicator") == name).select(
        "school_unit_code", (pl.col("period").str.slice(0, 4).cast(pl.Int64) + 1).alias("year"), pl.col("value").alias("outcome")
    )
    mean_index = index.group_by("school_unit_code").agg(pl.col("index").mean())
    # unweighted: Skolverket publishes the pupil count for the latest year only, and a weight
    # present in one year and missing in the others would tilt the contrast
    return values.with_columns(pl.lit(None, dtype=pl.Int64).alias("pupils")).join(mean_index, on="school_unit_code", how="left").sort("school_unit_code", "year")


def treated_schools(catalogue: Catalogue, key: str) -> dict[str, int]:
    """The schools that took part in an intervention and the first year they did."""
    out: dict[str, int] = {}
    for a in catalogue.assignments:
        if a.intervention == key and a.status in ("ongoing", "finished"):
            out[a.school_unit_code] = min(out.get(a.school_unit_code, a.start), a.start)
    return out


def intervention_effect(catalogue: Catalogue, key: str, panel: Any) -> dict[str, Any]:
    """``estimate_effect`` for an intervention, leaving out (and naming) the schools whose
    results start no earlier than their participation: without a year before, their change
    cannot be measured. Says so when any participation is synthetic (the demo)."""
    import polars as pl

    from likvard.engine.stats import estimate_effect

    treated = treated_schools(catalogue, key)
    first = dict(panel.filter(pl.col("outcome").is_not_null()).group_by("school_unit_code").agg(pl.col("year").min()).iter_rows())
    kept = {c: y for c, y in treated.items() if c in first and first[c] < y}
    left_out = sorted(set(treated) - set(kept))
    synthetic = any(a.synthetic for a in catalogue.assignments if a.intervention == key and a.school_unit_code in kept)
    notes, notes_en = [], []
    if left_out:
        named = f"{', '.join(left_out[:10])}{' …' if len(left_out) > 10 else ''}"
        notes.append(f"{len(left_out)} skolor utelämnades: deras resultat börjar inte före deltagandet ({named}).")
        notes_en.append(f"{len(left_out)} schools were left out: their results do not begin before they took part ({named}).")
    if synthetic:
        notes.append("Deltagandet är syntetiskt (demo): skattningen visar bara metoden, inte någon verklig insats effekt.")
        notes_en.append("The participation is synthetic (demo): the estimate shows only the method, not the effect of any real intervention.")
    result = estimate_effect(panel, kept)
    doc = result.to_dict()
    doc["caveats"] = list(doc.get("caveats", [])) + notes
    doc["caveats_en"] = list(doc.get("caveats_en", [])) + notes_en
    return {"result": result, "doc": doc, "left_out": left_out, "synthetic": synthetic}
