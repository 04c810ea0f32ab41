"""An intervention's effect on the schools' results, for its page (issue 11, item 4).

The estimate is the workflow's ``intervention_effect`` (stacked difference-in-differences with
matched comparison schools, docs/methods/effects.md) on the stored data: Skolverket's published
figures (merit value, eligibility for the vocational programmes, passed in all subjects) and the
value added in merit value that the result fits stored, each school's socioeconomic index from
the year runs, and the stored catalogue. This module builds those inputs, runs the estimate per
outcome and turns each into what the page shows: the figures in Swedish notation, the
pre-trend and balance in words, and the caveats.

Why a cache: the inputs are the whole municipality's results, read for every page view. They
change only on an import, a run or a result fit, so the estimates are kept per intervention
under a key made of what they rest on (the newest id and the count of each table read): a new
import gives a new key, and nothing stale is ever shown.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils.translation import get_language, gettext, gettext_lazy

from likvard.engine.stats import StatsInputError
from likvard.engine.stats.effects import MAX_STD_DIFF
from likvard.web.allocation.models import AllocationRun, SchoolAllocation
from likvard.web.results.models import PublishedStatistic, ResultEstimate

from .models import Assignment, Intervention
from .reading import stored_catalogue

__all__ = ["OUTCOMES", "THIN", "effects_for", "estimates", "inputs_key"]

#: The outcomes an effect is estimated on: the workflow's three published figures and the
#: value added in merit value (actual minus expected from the register, stored by the result
#: fits). Label, unit of the effect, and what the figure is.
OUTCOMES: dict[str, dict[str, Any]] = {
    "merit_value": {"label": gettext_lazy("Meritvärde åk 9"), "unit": gettext_lazy("meritpoäng"), "source": gettext_lazy("Skolverkets publicerade siffror")},
    "eligible": {"label": gettext_lazy("Behörighet till yrkesprogram"), "unit": gettext_lazy("procentenheter"), "source": gettext_lazy("Skolverkets publicerade siffror")},
    "all_subjects": {"label": gettext_lazy("Godkänt i alla ämnen åk 9"), "unit": gettext_lazy("procentenheter"), "source": gettext_lazy("Skolverkets publicerade siffror")},
    "value_added": {
        "label": gettext_lazy("Värdetillskott i meritvärde"),
        "unit": gettext_lazy("meritpoäng"),
        "source": gettext_lazy("skolans meritvärde minus det förväntade utifrån elevernas bakgrund (registret)"),
    },
}
#: The caveats that make the evidence thin: the page says so at the top, before any number.
THIN = frozenset({"few_treated", "single_treated", "few_comparison", "short_pre_period", "pre_trend", "pre_trend_not_checked", "poor_balance"})
#: The register year a value added belongs to, as the year of the spring its grades were set
#: (register year 2024 is school year 2024/25, graded in spring 2025): the dating of
#: ``effect_panel`` for Skolverket's figures.
SPRING_OFFSET = 1
CACHE_SECONDS = 24 * 3600


def inputs_key() -> str:
    """What the estimates rest on: the newest id and the count of every table read."""
    parts = []
    for model in (PublishedStatistic, ResultEstimate, SchoolAllocation, Assignment, Intervention):
        agg = model.objects.aggregate(n=Count("pk"), last=Max("pk"))
        parts.append(f"{agg['n']}.{agg['last']}")
    return "likvard-effects:" + ":".join(parts)


def _frames() -> dict[str, Any]:
    """The panels per outcome, from the database (once per key, see ``estimates``)."""
    import polars as pl

    from likvard.workflows.interventions import EFFECT_OUTCOMES, effect_panel

    stats = pl.DataFrame(
        list(PublishedStatistic.objects.filter(indicator__in=list(EFFECT_OUTCOMES.values()), value__isnull=False).values_list("school__school_unit_code", "indicator", "period", "value")),
        schema={"school_unit_code": pl.String, "indicator": pl.String, "period": pl.String, "value": pl.Float64},
        orient="row",
    )
    # the index of each year's newest run (the one the schools' statements show)
    runs = {}
    for run_id, year in AllocationRun.objects.filter(kind="run").order_by("-created_at", "-id").values_list("pk", "year"):
        runs.setdefault(year, run_id)
    index = pl.DataFrame(
        list(SchoolAllocation.objects.filter(run_id__in=list(runs.values()), index__isnull=False).values_list("school__school_unit_code", "index")),
        schema={"school_unit_code": pl.String, "index": pl.Float64},
        orient="row",
    )
    panels = {name: effect_panel(stats, index, name) for name in EFFECT_OUTCOMES}
    va = pl.DataFrame(
        list(ResultEstimate.objects.filter(outcome="merit_value", suppressed=False, value_added__isnull=False).values_list("school__school_unit_code", "year", "value_added")),
        schema={"school_unit_code": pl.String, "year": pl.Int64, "outcome": pl.Float64},
        orient="row",
    )
    mean_index = index.group_by("school_unit_code").agg(pl.col("index").mean())
    # unweighted like the published figures, so that every row of the page is per school
    panels["value_added"] = (
        va.with_columns((pl.col("year") + SPRING_OFFSET).alias("year"), pl.lit(None, dtype=pl.Int64).alias("pupils"))
        .join(mean_index, on="school_unit_code", how="left")
        .sort("school_unit_code", "year")
    )
    return panels


def _one(catalogue: Any, key: str, panel: Any) -> dict[str, Any]:
    import polars as pl

    from likvard.workflows.interventions import intervention_effect, treated_schools

    treated = treated_schools(catalogue, key)
    if not treated:
        return {"error": "none_treated"}
    first = dict(panel.filter(pl.col("outcome").is_not_null()).group_by("school_unit_code").agg(pl.col("year").min()).iter_rows())
    if not any(c in first and first[c] < y for c, y in treated.items()):
        return {"error": "none_before", "treated": len(treated)}
    try:
        found = intervention_effect(catalogue, key, panel)
    except StatsInputError as err:
        return {"error": "input", "detail": str(err)}
    doc = found["doc"]
    n_engine = len(doc["caveat_codes"])
    return {
        "doc": {k: v for k, v in doc.items() if k not in ("caveats", "matches")},
        "caveats": doc["caveats"][:n_engine],  # the engine's sentences (no school named)
        "caveats_en": doc.get("caveats_en", [])[:n_engine],
        "left_out": found["left_out"],
        "synthetic": found["synthetic"],
        "matches": doc["matches"],
    }


def estimates(key: str) -> dict[str, dict[str, Any]]:
    """Per outcome the estimate for intervention ``key`` as plain data (cached, see above):
    ``doc`` (EffectEstimate.to_dict without caveats and matches), ``caveats`` (the engine's
    Swedish sentences), ``left_out`` (the schools without a result before their start),
    ``synthetic``, ``matches``; or ``error`` when no estimate can be made."""
    cache_key = f"{inputs_key()}:{key}"
    found = cache.get(cache_key)
    if found is None:
        catalogue = stored_catalogue()
        panels = _frames()
        found = {name: _one(catalogue, key, panels[name]) for name in OUTCOMES}
        cache.set(cache_key, found, CACHE_SECONDS)
    return found


def _num(value: float | None, digits: int = 1, *, sign: bool = False) -> str:
    """Swedish notation: decimal comma, a real minus sign; "–" for none."""
    if value is None or not math.isfinite(value):
        return "–"
    if round(value, digits) == 0:
        value = 0.0  # never "−0,0"
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return text.replace(".", ",").replace("-", "\u2212")


def _pre_trend(doc: dict[str, Any], codes: list[str], unit: str) -> dict[str, Any]:
    if doc["pre_trend"] is None:
        return {"ok": None, "text": gettext("Kunde inte prövas (för få år före insatsen)")}
    per_year = _num(doc["pre_trend"], 1, sign=True)
    if "pre_trend" in codes:
        return {"ok": False, "text": gettext("Avviker: %(x)s %(unit)s per år före insatsen") % {"x": per_year, "unit": unit}}
    if doc["pre_trend_p"] is None:
        return {"ok": None, "text": gettext("Kunde inte prövas (en deltagande skola)")}
    return {"ok": True, "text": gettext("Ingen säker skillnad (%(x)s %(unit)s per år)") % {"x": per_year, "unit": unit}}


def _balance(doc: dict[str, Any]) -> list[dict[str, Any]]:
    labels = {"index": gettext("socioekonomiskt index"), "pre_outcome": gettext("resultat före insatsen")}
    return [
        {"label": labels[k], "value": _num(v, 2, sign=True), "poor": abs(v) > MAX_STD_DIFF}
        for k, v in doc["balance"].items()
        if k in labels
    ]


def effects_for(intervention: Intervention, names: dict[str, str]) -> dict[str, Any]:
    """What the page shows: per outcome the figures and caveats, and whether the evidence is
    thin anywhere. ``names`` are the schools the user may see (code → name): a left-out school
    is named only when the user sees it, counted otherwise."""
    rows = []
    thin = synthetic = False
    for name, found in estimates(intervention.key).items():
        meta = OUTCOMES[name]
        row: dict[str, Any] = {"key": name, "label": meta["label"], "unit": meta["unit"], "source": meta["source"]}
        if "error" in found:
            if found["error"] == "none_treated":
                row["error"] = gettext("Ingen skola har deltagit i insatsen (pågående eller avslutad), så det finns ingen effekt att skatta.")
            elif found["error"] == "none_before":
                row["error"] = gettext("Ingen av de %(n)s deltagande skolorna har resultat från åren före deltagandet, så förändringen går inte att mäta.") % {"n": found["treated"]}
            else:
                row["error"] = gettext("Effekten går inte att skatta med det här underlaget.")
                row["detail"] = found.get("detail", "")
            rows.append(row)
            continue
        doc = found["doc"]
        codes = list(doc["caveat_codes"])
        notes = []
        if found["left_out"]:
            seen = [names[c] for c in found["left_out"] if c in names]
            n = len(found["left_out"])
            text = gettext("%(n)s skolor med insatsen ingår inte: deras resultat börjar inte före deltagandet.") % {"n": n}
            if seen:
                text += " " + gettext("Av dem ser du: %(names)s.") % {"names": ", ".join(seen)}
            notes.append(text)
        row.update(
            estimate=_num(doc["estimate"], 1, sign=True),
            lower=_num(doc["lower"], 1, sign=True),
            upper=_num(doc["upper"], 1, sign=True),
            has_interval=doc["lower"] is not None,
            level=round(doc["level"] * 100),
            treated=doc["treated_schools"],
            comparison=doc["comparison_schools"],
            pre_trend=_pre_trend(doc, codes, str(meta["unit"])),
            balance=_balance(doc),
            caveats=found.get("caveats_en") or found["caveats"] if get_language() == "en" else found["caveats"],
            notes=notes,
            codes=codes,
            thin=bool(THIN & set(codes)),
            raw=doc,
        )
        thin = thin or row["thin"]
        synthetic = synthetic or found["synthetic"]
        rows.append(row)
    # each caveat once, with the outcomes it holds for when not all of them
    done = [r for r in rows if "error" not in r]
    grouped: dict[tuple[str, bool], list[str]] = {}
    for r in done:
        for text in r["caveats"]:
            grouped.setdefault((text, True), []).append(str(r["label"]))
        for text in r["notes"]:
            grouped.setdefault((text, False), []).append(str(r["label"]))
    caveats = [{"text": text, "engine": engine, "outcomes": [] if len(labels) == len(done) else labels} for (text, engine), labels in grouped.items()]
    return {"rows": rows, "thin": thin, "synthetic": synthetic, "estimated": bool(done), "caveats": caveats}
