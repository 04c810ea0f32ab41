"""The results page: expected against actual and value added for the schools a user may see,
beside Skolverket's published figure of the same year."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.conf import settings
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


#: The unit of value added in the money section's chart and notes.
MONEY_UNITS = {"merit_value": gettext_lazy("meritpoäng"), "eligible_vocational": gettext_lazy("procentenheter")}


def money_runs(until: int | None = None) -> list[Any]:
    """The newest run of each year (the one the schools' statements show), oldest year first;
    scenario comparisons are not runs of a year."""
    from likvard.web.allocation.models import AllocationRun

    runs: dict[int, Any] = {}
    for run in AllocationRun.objects.filter(kind="run").order_by("-created_at", "-id").only("pk", "year", "model_id", "model_version", "model_name", "reconciled", "created_at"):
        if until is None or run.year <= until:
            runs.setdefault(run.year, run)
    return [runs[y] for y in sorted(runs)]


def run_notes(runs: list[Any]) -> list[dict[str, Any]]:
    """What each year's money rests on: the run, its model, and whether the model's own year
    differs from the run's (earlier years computed with today's rules on that year's register)."""
    from likvard.workflows import load_model

    current = load_model(settings.MODEL_DIR)
    notes = []
    for run in runs:
        model_year = current.year if run.model_version == current.version else None
        notes.append({
            "year": run.year, "run": run.pk, "model_id": run.model_id, "model_name": run.model_name, "reconciled": run.reconciled,
            "model_year": model_year, "other_model": model_year is not None and model_year != run.year, "unknown_model": model_year is None,
        })
    return notes


def money_question(outcome: str, *, until: int | None = None) -> tuple[Any, list[dict[str, Any]]]:
    """Socioeconomic money per pupil against value added for every school and year with both
    (``likvard.workflows.money``), from the stored runs and estimates, and the runs' notes.

    Whom it may be shown to is the caller's business: the city's figures are for everyone with
    a role (as the annual report), a school's row only within ``visible_schools``. A value added
    that Skolverket does not publish for the school and year (``..``, ``.``) is treated as
    suppressed here too, as in the results table."""
    import polars as pl

    from likvard.web.allocation.models import SchoolAllocation
    from likvard.workflows.money import (
        LINES_SCHEMA,
        VALUE_ADDED_SCHEMA,
        money_and_results,
        socioeconomic_components,
    )

    runs = money_runs(until)
    # each run's own model says which of its components are the socioeconomic money
    wanted = {c for r in runs for c in socioeconomic_components(r.summary.get("components", []))}
    years = {r.pk: r.year for r in runs}
    rows: list[tuple[int, str, int, str | None, int]] = []
    for run_id, code, pupils, lines in SchoolAllocation.objects.filter(run_id__in=list(years)).values_list("run_id", "school__school_unit_code", "pupils", "lines"):
        rows.append((years[run_id], code, pupils, None, 0))  # the school's pupils, with or without the components
        rows.extend((years[run_id], code, pupils, ln["component"], int(ln["amount_ore"])) for ln in lines if ln.get("component") in wanted)
    hidden = {
        (code, period)
        for code, period in PublishedStatistic.objects.filter(indicator=PUBLISHED_OF[outcome], marker__in=[".", ".."]).values_list("school__school_unit_code", "period")
    }
    estimates = ResultEstimate.objects.filter(outcome=outcome)
    if until is not None:
        estimates = estimates.filter(year__lte=until)
    va = [
        (year, code, outcome, pupils, bool(suppressed or (code, period_of(year)) in hidden), value)
        for year, code, pupils, suppressed, value in estimates.values_list("year", "school__school_unit_code", "pupils", "suppressed", "value_added")
    ]
    lines_table = pl.DataFrame(rows, schema=LINES_SCHEMA, orient="row")
    va_table = pl.DataFrame(va, schema=VALUE_ADDED_SCHEMA, orient="row")
    return money_and_results(lines_table, va_table, outcome=outcome, components=sorted(wanted)), run_notes(runs)


def money_report(until: int) -> dict[str, Any]:
    """The city's money-and-results figures up to ``until`` for the annual report (JSON-ready:
    the report document carries it to the PDF and the Word document). No school's row: the
    report is the committee's and goes out as it is."""
    outcomes = []
    notes: list[dict[str, Any]] = []
    for outcome in OUTCOME_LABELS:
        found, notes = money_question(outcome, until=until)
        data = found.to_dict()
        data.pop("schools")
        outcomes.append(data)
    return {"outcomes": outcomes, "notes": notes}


def _signed(value: float | None, outcome: str) -> str:
    if value is None:
        return display.SUPPRESSED
    text = display.result_number(value, outcome, difference=True)
    return text if text.startswith(("\u2212", "0,0")) else f"+{text}"


def _correlation(value: float | None) -> str:
    return "." if value is None else f"{value:.2f}".replace(".", ",").replace("-", "\u2212")


def money_context(outcome: str, visible: dict[int, Any]) -> dict[str, Any]:
    """The results page's section "Pengar och resultat": the city's summary (everyone who sees
    the page: the same figures as the annual report) and a row per visible school."""
    from likvard.exports.charts import indicator_spec
    from likvard.exports.report import kronor, model_groups, money_chart_words

    found, notes = money_question(outcome)
    if not found.years and not found.schools:
        return {"money": None}
    years = sorted({s.year for s in found.schools})
    summary = [
        {
            "year": y.year, "n": y.n, "correlation": _correlation(y.correlation),
            "quartiles": [{"q": q.quartile, "mean": display.SUPPRESSED if q.suppressed else _signed(q.mean_value_added, outcome), "range": f"{kronor(q.lowest_ore)[:-3]}–{kronor(q.highest_ore)}", "schools": q.schools} for q in y.quartiles],
            "change": {"n": y.change.n, "correlation": _correlation(y.change.correlation)} if y.change else None,
        }
        for y in found.years
    ]
    by_code = {s.school_unit_code: s for s in visible.values()}
    per_school: dict[str, dict[int, Any]] = {}
    for s in found.schools:
        if s.school_unit_code in by_code:
            per_school.setdefault(s.school_unit_code, {})[s.year] = s
    # only schools with a year 9 in some year: money without any result compares nothing
    per_school = {c: cells for c, cells in per_school.items() if any(s.result_pupils is not None or s.suppressed for s in cells.values())}
    school_rows = [
        {
            "school": by_code[code],
            "cells": [
                {
                    "money": kronor(cells[y].per_pupil_ore) if y in cells and cells[y].per_pupil_ore is not None else "–",
                    "va": (display.SUPPRESSED if cells[y].suppressed else _signed(cells[y].value_added, outcome) if cells[y].value_added is not None else "–") if y in cells else "–",
                }
                for y in years
            ],
        }
        for code, cells in sorted(per_school.items(), key=lambda kv: (by_code[kv[0]].name, kv[0]))
    ]
    chart = None
    shown = [y for y in found.years if y.quartiles]
    if shown:
        scale = 100.0 if outcome == "eligible_vocational" else 1.0
        labels = [gettext("Kvartil 1 (minst pengar per elev)"), gettext("Kvartil 2"), gettext("Kvartil 3"), gettext("Kvartil 4 (mest pengar per elev)")]
        series = {
            labels[i]: [None if y.quartiles[i].mean_value_added is None else round(y.quartiles[i].mean_value_added * scale, 2) for y in shown]
            for i in range(4)
        }
        language = "en" if (get_language() or "sv").startswith("en") else "sv"
        chart = indicator_spec(series, [str(y.year) for y in shown], title=gettext("Förädlingsvärde per kvartil av socioekonomisk ersättning per elev"), unit=str(MONEY_UNITS[outcome]), target=0.0, language=language, width=520, height=240)
        chart = money_chart_words(chart, gettext("år"), gettext("förädlingsvärde (%(unit)s)") % {"unit": MONEY_UNITS[outcome]}, gettext("kvartil"))
    return {
        "money": {
            "summary": summary, "years": years, "schools": school_rows, "notes": notes, "chart": chart, "unit": MONEY_UNITS[outcome],
            "model_groups": model_groups(notes), "open": len(school_rows) <= 30,
        }
    }


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
    money = money_context(outcome, visible)
    return render(
        request,
        "results/results.html",
        {
            **money,
            "rows": rows, "year": year, "period": period_of(year) if year else "", "years": years, "outcome": outcome, "outcomes": OUTCOME_LABELS,
            "adjust": adjust, "adjusts": ADJUST_LABELS, "family": len(judged), "markers": MARKERS,
            "outcome_label": OUTCOME_LABELS[outcome], "areas": areas, "area": area, "counts": counts, "charts": charts,
            "area_label": display.words()["area"],
        },
    )
