"""Goal follow-up pages: the plan's hierarchy with each indicator's status, one indicator over
the years (city, areas, the schools a user may see), principals' targets, and the area
chief's ambition list.

Scoping as everywhere (``likvard.web.accounts.scoping``): everyone signed in sees the plan and
the city's figures (they are published in the committee's reports); areas and schools only as
far as ``visible_schools`` reaches.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext

from likvard.engine.indicators import period_sort_key
from likvard.web.accounts.scoping import ALL_SCHOOLS, may_see_aggregates, role_of, visible_schools
from likvard.web.accounts.views import deny
from likvard.web.display import indicator_number as number
from likvard.web.downloads import attachment
from likvard.web.schools.models import School
from likvard.workflows.goals import (
    all_outcomes,
    ambition,
    indicator_series,
    report_period,
    school_year,
    walk_goals,
)

from .actions import set_target
from .models import Activity, Goal, Indicator, Plan
from .reading import current_plan, goal_data, plan_data, result_indicators, target_rows

STATUS_LABELS = {
    "met": gettext_lazy("Uppfyllt"),
    "partly_met": gettext_lazy("Delvis uppfyllt"),
    "not_met": gettext_lazy("Ej uppfyllt"),
    "no_data": gettext_lazy("Uppgift saknas"),
    "no_target": gettext_lazy("Årsmål saknas"),
}
TREND_LABELS = {
    "improving": gettext_lazy("Förbättras"),
    "stable": gettext_lazy("Oförändrat"),
    "worsening": gettext_lazy("Försämras"),
    "too_short": gettext_lazy("För kort tidsserie"),
}
PERIOD_LABELS = {"T1": gettext_lazy("Tertialrapport 1"), "T2": gettext_lazy("Tertialrapport 2"), "year": gettext_lazy("Verksamhetsberättelse")}
LEVEL_LABELS = {"direction": gettext_lazy("KF:s inriktningsmål"), "area": gettext_lazy("KF:s mål för verksamhetsområdet"), "committee": gettext_lazy("Nämndmål")}
ACTIVITY_LABELS = {
    "planned": gettext_lazy("Planerad"), "ongoing": gettext_lazy("Pågår"), "done": gettext_lazy("Genomförd"),
    "postponed": gettext_lazy("Uppskjuten"), "cancelled": gettext_lazy("Avbruten"),
}
GENDER_LABELS = {"": gettext_lazy("Alla"), "flickor": gettext_lazy("Flickor"), "pojkar": gettext_lazy("Pojkar")}
SOURCE_LABELS = {
    "skolverket": gettext_lazy("Skolverket"),
    "register": gettext_lazy("elevregistret"),
    "import": gettext_lazy("importerad fil"),
    "synthetic": gettext_lazy("syntetisk (demo)"),
    "aggregate": gettext_lazy("viktat medelvärde av skolorna"),
    "form": gettext_lazy("inmatat"),
}


def _target_text(i: Indicator) -> str:
    if i.target is not None:
        return ("±" if i.plus_minus else "") + number(i.target, i.unit)
    return i.target_text or (gettext("inget årsmål") if not i.council_target_text else i.council_target_text)


def _no_plan(request: HttpRequest) -> HttpResponse:
    return render(request, "goals/no_plan.html", {})


@login_required
def plan_view(request: HttpRequest) -> HttpResponse:
    """The hierarchy: direction goals → area goals → committee goals, each with its
    indicators (target, the city's outcome of the report period, status, trend) and
    activities."""
    if role_of(request.user) is None:
        deny(request, "goal follow-up")
    plan = current_plan(request.GET.get("year"))
    if plan is None:
        return _no_plan(request)
    data = plan_data(plan)
    outcomes = all_outcomes(goal_data(plan, data))
    city = outcomes.filter((outcomes["level"] == "city") & (outcomes["gender"] == ""))
    by_indicator: dict[str, dict[str, float | None]] = {}
    for key, period, value in city.select("indicator", "period", "value").iter_rows():
        by_indicator.setdefault(key, {})[period] = value
    from likvard.engine.indicators import status, trend

    indicators: dict[int, list[dict[str, Any]]] = {}
    for ind in Indicator.objects.filter(plan=plan, retired=False).select_related("goal"):
        d = next(x for x in data.indicators if x.key == ind.key)
        series = by_indicator.get(ind.key, {})
        periods = sorted(series, key=period_sort_key)
        period = report_period(plan.year, d, periods)
        value = series.get(period) if period else None
        target = ind.target if ind.target is not None else ind.council_target
        st = status(value, target, d.direction, plus_minus=d.plus_minus).value
        tr = trend([series[p] for p in periods], d.direction).trend.value
        indicators.setdefault(ind.goal_id, []).append(
            {"i": ind, "target": _target_text(ind), "council": number(ind.council_target, ind.unit) if ind.council_target is not None else ind.council_target_text, "period": period or "–",
             "value": number(value, ind.unit) if period else "–", "status": st, "status_label": STATUS_LABELS[st], "trend": TREND_LABELS[tr], "periodicity": gettext("Tertial") if ind.periodicity == "tertial" else gettext("År")}
        )
    activities: dict[int, list[Activity]] = {}
    for a in Activity.objects.filter(plan=plan, retired=False):
        a.status_label = ACTIVITY_LABELS.get(a.status, a.status)  # type: ignore[attr-defined]
        activities.setdefault(a.goal_id, []).append(a)
    goals = list(Goal.objects.filter(plan=plan, retired=False))
    children: dict[int | None, list[Goal]] = {}
    for g in goals:
        children.setdefault(g.parent_id, []).append(g)

    def node(g: Goal) -> dict[str, Any]:
        return {"g": g, "label": LEVEL_LABELS[g.level], "indicators": indicators.get(g.pk, []), "activities": activities.get(g.pk, []), "children": [node(c) for c in children.get(g.pk, [])]}

    tree = [node(g) for g in children.get(None, []) if g.level == "direction"]
    counts = data.counts()
    summary = {k: sum(1 for rows in indicators.values() for r in rows if r["status"] == k) for k in STATUS_LABELS}
    return render(request, "goals/plan.html", {
        "plan": plan, "plans": Plan.objects.all(), "tree": tree, "counts": counts, "summary": [(STATUS_LABELS[k], n, k) for k, n in summary.items() if n],
        "status_rule": gettext("Uppfyllt: utfallet når årsmålet. Delvis uppfyllt: högst 5 % av målvärdet från det. Ej uppfyllt: längre ifrån. Staden = viktat medelvärde av kommunens egna skolor (antal elever), om inte en inläst fil anger stadens värde."),
    })


@login_required
def indicator_view(request: HttpRequest, key: str) -> HttpResponse:
    """One indicator: the city over the years (by gender where the plan asks), the areas and
    the schools the user may see, side by side with their targets and expected results."""
    if role_of(request.user) is None:
        deny(request, "goal follow-up")
    plan = current_plan(request.GET.get("year"))
    if plan is None:
        return _no_plan(request)
    ind = Indicator.objects.filter(plan=plan, key=key, retired=False).select_related("goal").first()
    if ind is None:
        raise Http404
    entry_errors: dict[str, str] = {}
    if request.method == "POST":
        if role_of(request.user) not in ALL_SCHOOLS:
            deny(request, "enter an outcome")
        entry_errors = _enter_outcome(request, ind)
        if not entry_errors:
            return redirect(f"{request.path}?year={plan.year}")
    data = goal_data(plan, only=key)
    s = indicator_series(data, key)
    periods: list[str] = s["periods"]
    d = s["indicator"]
    visible = {sc.school_unit_code: sc for sc in visible_schools(request.user)}
    role = role_of(request.user)
    if may_see_aggregates(request.user):
        areas = s["areas"]
    elif role == "area_chief":
        areas = {a: v for a, v in s["areas"].items() if a == request.user.profile.area}
    else:
        areas = {}
    from likvard.exports.charts import indicator_spec

    language = "en" if (get_language() or "sv").startswith("en") else "sv"
    target = d.target if d.target is not None else d.council_target
    chart_series = {}
    for gender, label in (("", gettext("Staden, alla")), ("flickor", gettext("Staden, flickor")), ("pojkar", gettext("Staden, pojkar"))):
        if gender in s["city"]:
            chart_series[label] = s["city"][gender]["values"]
    for a, v in list(areas.items())[:1] if role == "area_chief" else []:
        if "" in v:
            chart_series[a] = v[""]["values"]
    chart = indicator_spec(chart_series, periods, title=d.name, unit=d.unit, target=target, language=language) if periods else None

    def row(label: str, by_gender: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for gender in ("", "flickor", "pojkar"):
            g = by_gender.get(gender)
            if g is None:
                continue
            out.append({"label": label, "gender": GENDER_LABELS[gender], "values": [number(v, d.unit) for v in g["values"]], "status": STATUS_LABELS[g["status"][-1]] if g["status"] else "", "trend": TREND_LABELS[g["trend"]],
                        "weighted": g["weighted"], "sources": ", ".join(str(SOURCE_LABELS.get(x, x)) for x in g["source"])})
        return out

    city_rows = row(gettext("Staden"), s["city"])
    area_rows = [r for a, v in areas.items() for r in row(a, v)]
    last = periods[-1] if periods else None
    schools = []
    for sc in s["schools"]:
        school = visible.get(sc["school_unit_code"])
        if school is None:
            continue
        all_ = sc["series"].get("")
        if all_ is None:
            continue
        by = {g: sc["series"][g]["values"][-1] for g in ("flickor", "pojkar") if g in sc["series"]}
        schools.append({
            "school": school, "values": [number(v, d.unit) for v in all_["values"]], "target": number(all_["targets"][-1], d.unit) if all_["targets"] and all_["targets"][-1] is not None else "–",
            "expected": number(sc["expected"][-1], d.unit) if sc["expected"] and sc["expected"][-1] is not None else "–",
            # value added: the outcome against what the pupils' background predicts (results pages)
            "value_added": number(all_["values"][-1] - sc["expected"][-1]) if sc["expected"] and sc["expected"][-1] is not None and all_["values"][-1] is not None else "–",
            "status": STATUS_LABELS[all_["status"][-1]], "status_code": all_["status"][-1],
            "girls": number(by["flickor"], d.unit) if "flickor" in by else "", "boys": number(by["pojkar"], d.unit) if "pojkar" in by else "",
        })
    schools.sort(key=lambda r: r["school"].name)
    return render(request, "goals/indicator.html", {
        "plan": plan, "ind": ind, "d": d, "periods": periods, "last": last, "chart": chart, "city_rows": city_rows, "area_rows": area_rows, "schools": schools,
        "target": _target_text(ind), "by_gender": d.by_gender, "has_expected": any(r["expected"] != "–" for r in schools),
        "may_enter": role_of(request.user) in ALL_SCHOOLS, "entry_errors": entry_errors, "entry": request.POST if entry_errors else {},
        "first_entry_error": next(iter(entry_errors), ""),
    })


def _enter_outcome(request: HttpRequest, ind: Indicator) -> dict[str, str]:
    """Check the entry form (period, school, gender, value, pupils) and store it; the errors
    by field, nothing stored when there is one."""
    from likvard.data.outcomes import GENDERS, valid_period

    from .actions import enter_outcome

    errors: dict[str, str] = {}
    period = request.POST.get("period", "").strip()
    if not valid_period(period):
        errors["period"] = gettext("Skriv en period: 2024/25 (läsår), 2024 (år) eller 2024 T2 (tertial).")
    code = request.POST.get("school", "").strip()
    school = School.objects.filter(school_unit_code=code).first() if code else None
    if code and school is None:
        errors["school"] = gettext("Skolenheten finns inte i skolregistret.")
    gender = GENDERS.get(request.POST.get("gender", "").strip().lower())
    if gender is None:
        errors["gender"] = gettext("Välj alla, flickor eller pojkar.")
    raw = request.POST.get("value", "").strip().replace(",", ".").replace("−", "-")
    value = None
    if raw not in ("", ".."):
        try:
            value = float(raw)
        except ValueError:
            errors["value"] = gettext("Skriv ett tal, t.ex. 245,5 (eller .. för en uppgift som inte visas).")
        else:
            if value != value or abs(value) == float("inf"):
                errors["value"] = gettext("Skriv ett tal, t.ex. 245,5 (eller .. för en uppgift som inte visas).")
    pupils_raw = request.POST.get("pupils", "").strip()
    pupils = None
    if pupils_raw:
        if pupils_raw.isascii() and pupils_raw.isdigit():
            pupils = int(pupils_raw)
        else:
            errors["pupils"] = gettext("Antal elever ska vara ett heltal.")
    if errors:
        return errors
    enter_outcome(request.user, ind.key, period, value, school=school, gender=gender or "", pupils=pupils)
    messages.success(request, gettext("Sparat utfallet %(value)s för %(period)s.") % {"value": number(value, ind.unit), "period": period})
    return {}


@login_required
def targets_view(request: HttpRequest) -> HttpResponse:
    """A principal sets their school's targets for the plan year's school year, beside last
    year's outcome and the expected result; a target under last year's outcome is marked
    (the ambition shall keep rising, seed 001 L130–134)."""
    role = role_of(request.user)
    if role not in (*ALL_SCHOOLS, "principal", "area_chief"):
        deny(request, "goal targets")
    plan = current_plan(request.GET.get("year") or request.POST.get("year"))
    if plan is None:
        return _no_plan(request)
    visible = visible_schools(request.user)
    code = request.GET.get("school") or request.POST.get("school") or (request.user.profile.school_unit_code if role == "principal" else "")
    school = visible.filter(school_unit_code=code).first() if code else None
    may_edit = school is not None and (role == "principal" or role in ("admin", "analyst"))
    period = school_year(plan.year)
    indicators = result_indicators(plan)
    errors: dict[str, str] = {}
    if request.method == "POST" and school is not None:
        if not may_edit:
            deny(request, "set goal targets")
        changed = []
        for ind in indicators:
            raw = request.POST.get(f"target_{ind.key}", "").strip().replace(",", ".").replace("\u2212", "-")
            if raw == "":
                continue
            try:
                value = float(raw)
            except ValueError:
                errors[ind.key] = gettext("Skriv ett tal, t.ex. 245,5.")
                continue
            high = 100.0 if ind.unit == "%" else 340.0
            if not 0 <= value <= high:
                errors[ind.key] = gettext("Värdet ska ligga mellan 0 och %(high)s.") % {"high": number(high)}
                continue
            changed.append((ind, value))
        if not errors:
            for ind, value in changed:
                set_target(request.user, school, ind.key, period, value)
            messages.success(request, ngettext("Sparat %(n)s målvärde för %(school)s.", "Sparat %(n)s målvärden för %(school)s.", len(changed)) % {"n": len(changed), "school": school.name})
            return redirect(f"{request.path}?school={school.school_unit_code}&year={plan.year}")
    rows = []
    if school is not None:
        for r in target_rows(plan, school):
            ind = r.indicator
            rows.append({"i": ind, "last_period": r.last_period or "–", "last": number(r.last, ind.unit), "expected": number(r.expected, ind.unit) if r.expected is not None else "–",
                         "target": request.POST.get(f"target_{ind.key}", "") if errors else ("" if r.target is None else number(r.target).replace(" %", "")), "below": r.below, "error": errors.get(ind.key, ""), "plan_target": _target_text(ind)})
    choices = list(visible.order_by("name")) if role != "principal" else []
    return render(request, "goals/targets.html", {"plan": plan, "school": school, "rows": rows, "period": period, "may_edit": may_edit, "choices": choices, "first_error": next(iter(errors), "")})


@login_required
def ambition_view(request: HttpRequest) -> HttpResponse:
    """Targets below last year's outcome, for the result dialogues: an area chief sees their
    area's schools, the central roles every school (optionally one area)."""
    role = role_of(request.user)
    if role not in (*ALL_SCHOOLS, "area_chief"):
        deny(request, "ambition check")
    plan = current_plan(request.GET.get("year"))
    if plan is None:
        return _no_plan(request)
    areas = sorted({a for a in School.objects.exclude(area="").values_list("area", flat=True)})
    area = request.user.profile.area if role == "area_chief" else (request.GET.get("area") if request.GET.get("area") in areas else None)
    if role == "area_chief" and not area:
        deny(request, "ambition check without an area")
    data = goal_data(plan)
    flags = ambition(data, area=area)
    visible = {s.school_unit_code: s for s in visible_schools(request.user)}
    names = {i.key: i for i in Indicator.objects.filter(plan=plan)}
    rows = [
        {"school": visible[f.school_unit_code], "i": names.get(f.indicator), "target": number(f.target, names[f.indicator].unit if f.indicator in names else ""),
         "last": number(f.last_outcome, names[f.indicator].unit if f.indicator in names else ""), "last_period": f.last_period, "period": f.target_period,
         "expected": number(f.expected) if f.expected is not None else "–", "shortfall": number(f.shortfall)}
        for f in flags
        if f.school_unit_code in visible
    ]
    return render(request, "goals/ambition.html", {"plan": plan, "rows": rows, "area": area, "areas": areas if role != "area_chief" else [], "role": role})


def _report_doc(plan: Plan, period: str) -> dict[str, Any]:
    from likvard.workflows.goals import report

    from .models import AnalysisText

    statuses = {a.number: (a.status, a.comment) for a in Activity.objects.filter(plan=plan, retired=False)}
    texts = {t.goal_key: t.text for t in AnalysisText.objects.filter(plan=plan, period=period)}
    doc = report(goal_data(plan), period, activity_status=statuses, texts=texts)
    if period == "year":  # the annual report answers the money question (seed 001 R3); the tertials do not
        from likvard.web.results.views import money_report

        doc["money"] = money_report(plan.year)
    return doc


def _report_args(request: HttpRequest) -> tuple[Plan | None, str]:
    from likvard.workflows.goals import REPORT_PERIODS

    if role_of(request.user) is None:
        deny(request, "reports")
    plan = current_plan(request.GET.get("year") or request.POST.get("year"))
    period = request.GET.get("period") or request.POST.get("period") or "T2"
    return plan, period if period in REPORT_PERIODS else "T2"


@login_required
def report_view(request: HttpRequest) -> HttpResponse:
    """A tertial or annual report's draft: the figures per goal and the analyst's texts and
    activity statuses, which the central roles edit here (saved, audited) and which the PDF
    and the Word document carry."""
    from likvard.exports.report import number, target_text

    from .actions import save_text, set_activity_status
    from .models import ACTIVITY_STATUSES

    plan, period = _report_args(request)
    if plan is None:
        return _no_plan(request)
    may_edit = role_of(request.user) in ALL_SCHOOLS
    if request.method == "POST":
        if not may_edit:
            deny(request, "edit a report")
        doc = _report_doc(plan, period)
        nodes = {g["key"]: g for g, _ in walk_goals(doc["goals"])}
        keys = ["", *nodes]
        saved = 0
        for key in keys:
            field = f"text_{key}"
            if field in request.POST:
                text = request.POST[field].strip()[:20_000]
                current = doc["introduction"] if key == "" else nodes[key]["text_analysis"]
                if text != current:
                    save_text(request.user, plan, period, key, text)
                    saved += 1
        allowed = dict(ACTIVITY_STATUSES)
        for a in Activity.objects.filter(plan=plan, retired=False):
            status = request.POST.get(f"status_{a.number}")
            comment = request.POST.get(f"comment_{a.number}", a.comment).strip()[:2_000]
            if status in allowed and (status != a.status or comment != a.comment):
                set_activity_status(request.user, a, status, comment)
                saved += 1
        messages.success(request, ngettext("Sparat %(n)s ändring i rapporten.", "Sparat %(n)s ändringar i rapporten.", saved) % {"n": saved})
        return redirect(f"{request.path}?year={plan.year}&period={period}")
    doc = _report_doc(plan, period)
    rows = []
    for g, depth in walk_goals(doc["goals"]):
        rows.append({
            "g": g, "depth": depth, "heading": min(depth + 2, 4), "label": LEVEL_LABELS[g["level"]],
            "code": g["code"] if g["numbered"] or g["level"] != "committee" else "",
            "indicators": [{**i, "target_shown": target_text(i), "value_shown": number(i["value"], i["unit"]) if i["period"] else "–", "status_label": STATUS_LABELS[i["status"]], "trend_label": TREND_LABELS[i["trend"]],
                            "girls": number(i["genders"].get("flickor"), i["unit"]) if i["by_gender"] and i["period"] else "–", "boys": number(i["genders"].get("pojkar"), i["unit"]) if i["by_gender"] and i["period"] else "–"} for i in g["indicators"]],
            "activities": [{**a, "status_label": ACTIVITY_LABELS.get(a["status"], a["status"])} for a in g["activities"]],
            "analysis": g["level"] == "committee" or bool(g["indicators"]),
        })
    money = None
    if doc.get("money"):  # the annual report's "Pengar och resultat" (the PDF's figures, the page's words)
        from likvard.exports.report import model_groups, money_rows
        from likvard.web.results.views import MONEY_UNITS, OUTCOME_LABELS

        money = {
            "outcomes": [{"label": OUTCOME_LABELS[o["outcome"]], "unit": MONEY_UNITS[o["outcome"]], "rows": money_rows(o)} for o in doc["money"]["outcomes"] if o["outcome"] in OUTCOME_LABELS],
            "model_groups": model_groups(doc["money"]["notes"]),
        }
    return render(request, "goals/report.html", {
        "plan": plan, "period": period, "periods": PERIOD_LABELS, "title": f"{PERIOD_LABELS[period]} {plan.year}", "rows": rows, "doc": doc, "money": money,
        "summary": " · ".join(f"{STATUS_LABELS[k]} {n}" for k, n in doc["summary"].items() if n), "rule": gettext("Uppfyllt: utfallet når årsmålet. Delvis uppfyllt: högst 5 % av målvärdet från det. Ej uppfyllt: längre ifrån. Staden = viktat medelvärde av kommunens egna skolor (antal elever), om inte en inläst fil anger stadens värde."),
        "may_edit": may_edit, "statuses": list(ACTIVITY_LABELS.items()),
    })


@login_required
def report_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The report as a tagged PDF or an editable Word document."""
    from likvard.exports.report import PERIOD_TITLES, report_docx, report_pdf

    plan, period = _report_args(request)
    if plan is None:
        raise Http404
    doc = _report_doc(plan, period)
    name = f"{PERIOD_TITLES[period].lower().replace(' ', '-')}-{plan.year}".replace("ä", "a").replace("å", "a").replace("ö", "o")
    return attachment(report_pdf(doc) if fmt == "pdf" else report_docx(doc), f"{name}.{fmt}")
