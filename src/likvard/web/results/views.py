"""The results page: expected against actual and value added for the schools a user may see,
beside Skolverket's published figure of the same year."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext, gettext_lazy

from likvard.web import display
from likvard.web.accounts.scoping import may_list_schools, visible_schools
from likvard.web.accounts.views import deny

from .models import PublishedStatistic, ResultEstimate
from .published import MARKERS, period_of

OUTCOME_LABELS = {"merit_value": gettext_lazy("Meritvärde"), "eligible_vocational": gettext_lazy("Behörighet till yrkesprogram")}
PUBLISHED_OF = {"merit_value": "merit_value", "eligible_vocational": "share_eligible_vocational"}
FLAG_LABELS = {"clearly above": gettext_lazy("klart över förväntat"), "clearly below": gettext_lazy("klart under förväntat"), "as expected": gettext_lazy("som förväntat")}
ADJUST_LABELS = {
    "none": gettext_lazy("Ingen (varje skola för sig)"),
    "holm": gettext_lazy("Holm (alla skolor i kommunen)"),
    "bonferroni": gettext_lazy("Bonferroni (alla skolor i kommunen)"),
}


def _judge(estimates: list[ResultEstimate], outcome: str, adjust: str) -> dict[int, dict[str, Any]]:
    """Intervals and flags for the stored estimates under a multiplicity rule (the engine's
    ``flag_schools``, with the display rounding). The family is every estimated school of the
    municipality, whoever looks; suppressed schools are not judged."""
    from likvard.engine.stats import flag_schools

    shown = [e for e in estimates if not e.suppressed and e.shrunken is not None and e.se is not None]
    if not shown:
        return {}
    shrunken = np.array([e.shrunken for e in shown], dtype=float)
    se = np.array([e.se for e in shown], dtype=float)
    lo, hi, flag = flag_schools(shrunken, se, outcome=outcome, adjust=adjust)  # type: ignore[arg-type]
    return {e.school_id: {"lower": float(lo[i]), "upper": float(hi[i]), "flag": str(flag[i]), "shrunken": float(shrunken[i])} for i, e in enumerate(shown)}


def _choice(value: str, choices: dict[str, Any], default: str) -> str:
    return value if value in choices else default


@login_required
def results(request: HttpRequest) -> HttpResponse:
    """Why only visible schools, charts included: a chart's tooltip names every dot, so a chart
    of all schools would show a principal or an area chief schools outside their scope."""
    if not may_list_schools(request.user):
        deny(request, "results")
    import polars as pl

    from likvard.exports.charts import actual_expected_spec, caterpillar_spec

    outcome = _choice(request.GET.get("outcome", ""), OUTCOME_LABELS, "merit_value")
    adjust = _choice(request.GET.get("adjust", ""), ADJUST_LABELS, "none")
    years = list(ResultEstimate.objects.order_by("-year").values_list("year", flat=True).distinct())
    asked = request.GET.get("year", "")
    year = int(asked) if asked.isascii() and asked.isdigit() and int(asked) in years else (years[0] if years else None)
    visible = {s.pk: s for s in visible_schools(request.user)}
    areas = sorted({s.area for s in visible.values() if s.area})
    area = _choice(request.GET.get("area", ""), dict.fromkeys(areas), "")
    everyone = list(ResultEstimate.objects.filter(year=year, outcome=outcome))
    judged = _judge(everyone, outcome, adjust)
    published = {
        p.school_id: p for p in PublishedStatistic.objects.filter(indicator=PUBLISHED_OF[outcome], period=period_of(year or 0), school_id__in=list(visible))
    }
    rows, figures = [], []
    for e in everyone:
        school = visible.get(e.school_id)
        if school is None:
            continue
        p = published.get(e.school_id)
        hidden = p is not None and p.marker in (".", "..")
        j = None if hidden else judged.get(e.school_id)
        number = {f: display.result_number(getattr(e, f), outcome, suppressed=e.suppressed, difference=f in display.DIFFERENCES) for f in ("actual", "expected", "shrunken")}
        if hidden:
            number = dict.fromkeys(number, p.marker)  # type: ignore[union-attr]
        rows.append({
            "school": school, "e": e, "published": p.published if p else "",
            # A group Skolverket hides (..), or one under ten pupils, hides its size too: the
            # count of a small group is itself what the suppression protects.
            "pupils": display.SUPPRESSED if e.suppressed or (p is not None and p.marker == "..") else e.pupils,
            "flag": FLAG_LABELS[j["flag"]] if j else "..", "code": j["flag"] if j else "..",
            "highlight": bool(area) and school.area == area, **number,
            **{f: display.result_number(j[f], outcome, difference=True) if j else ".." for f in ("lower", "upper")},
            "sort": j["shrunken"] if j else float("-inf"),
        })
        if j:
            figures.append({
                "school_unit_code": school.school_unit_code, "outcome": outcome, "suppressed": False, "pupils": e.pupils,
                **{f: float(getattr(e, f)) for f in ("actual", "expected", "value_added")},
                **{f: j[f] for f in ("lower", "upper", "flag", "shrunken")},
            })
    rows.sort(key=lambda r: (-r["sort"], r["school"].name))
    counts = {label: sum(1 for r in rows if r["code"] == flag) for flag, label in FLAG_LABELS.items()}
    charts = {}
    if figures:
        table = pl.DataFrame(figures)
        names = pl.DataFrame(
            {"school_unit_code": [s.school_unit_code for s in visible.values()], "name": [s.name for s in visible.values()], "area": [s.area or None for s in visible.values()]},
            schema={"school_unit_code": pl.String, "name": pl.String, "area": pl.String},
        )
        language = "en" if (get_language() or "sv").startswith("en") else "sv"
        title = f"{OUTCOME_LABELS[outcome]}: {gettext('förädlingsvärde med Bonferroni-justerade intervall')}" if adjust == "bonferroni" else None
        charts = {
            "caterpillar": caterpillar_spec(table, outcome=outcome, schools=names, language=language, area=area or None, title=title),  # type: ignore[arg-type]
            "scatter": actual_expected_spec(table, outcome=outcome, schools=names, area=area or None, language=language),  # type: ignore[arg-type]
        }
    return render(
        request,
        "results/results.html",
        {
            "rows": rows, "year": year, "period": period_of(year) if year else "", "years": years, "outcome": outcome, "outcomes": OUTCOME_LABELS,
            "adjust": adjust, "adjusts": ADJUST_LABELS, "family": len(judged), "markers": MARKERS,
            "outcome_label": OUTCOME_LABELS[outcome], "areas": areas, "area": area, "counts": counts, "charts": charts,
            "area_label": display.words()["area"],
        },
    )
