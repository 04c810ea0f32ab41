"""The intervention catalogue and the support report: what each school got, when, from whom
and what is planned (seed 004's question), for the schools a user may see."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy

from likvard.web.accounts.scoping import ALL_SCHOOLS, may_list_schools, role_of, visible_schools
from likvard.web.accounts.views import deny
from likvard.web.downloads import attachment
from likvard.workflows.interventions import support_report

from .models import Intervention
from .reading import stored_catalogue

#: The schools seed 004 asks about: the report's default selection where the user sees them.
SEED_004 = ("82110758", "87838841", "37416253", "46581319", "51341279")
STATUS_LABELS = {"offered": gettext_lazy("Erbjuden"), "planned": gettext_lazy("Planerad"), "ongoing": gettext_lazy("Pågår"), "finished": gettext_lazy("Avslutad")}


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """Every intervention with purpose, target group, content, provider, responsible unit,
    cost, evaluable goal and evaluation plan (seed 003's list), and how many schools had it."""
    if not may_list_schools(request.user):
        deny(request, "interventions")
    visible = list(visible_schools(request.user).values_list("pk", flat=True))
    rows = []
    for i in Intervention.objects.filter(retired=False):
        schools = i.assignments.filter(retired=False, school_id__in=visible).values("school").distinct().count()
        rows.append({"i": i, "schools": schools})
    return render(request, "interventions/catalogue.html", {"rows": rows})


@login_required
def detail(request: HttpRequest, intervention_id: int) -> HttpResponse:
    """One intervention: its catalogue fields, its assignments to the schools the user may see,
    and its estimated effect on each outcome with the checks and caveats
    (docs/methods/effects.md). Retired interventions keep their page; an unknown id is 404."""
    from .effects import effects_for

    if not may_list_schools(request.user):
        deny(request, "interventions")
    i = get_object_or_404(Intervention, pk=intervention_id)
    visible = visible_schools(request.user)
    names = dict(visible.values_list("school_unit_code", "name"))
    rows = []
    for a in i.assignments.filter(school__in=visible).select_related("school").order_by("school__name", "start"):
        rows.append({"a": a, "period": str(a.start) if a.start == a.end else f"{a.start}–{a.end}", "status": STATUS_LABELS.get(a.status, a.status)})
    current = i.assignments.filter(retired=False)
    span = current.aggregate(first=Min("start"), last=Max("end"))
    effects = effects_for(i, names) if not i.retired else None
    return render(request, "interventions/detail.html", {
        "i": i, "rows": rows, "first": span["first"], "last": span["last"], "effects": effects, "file": i.file,
        "matches": _matches(i) if effects and role_of(request.user) in ALL_SCHOOLS else [],
    })


def _matches(i: Intervention) -> list[dict[str, Any]]:
    """Each participating school and the schools it is compared with in the merit-value
    estimate (transparency: the reader can see what "comparable" meant). Only for the roles
    that see every school: the comparison schools are other schools."""
    from likvard.web.schools.models import School

    from .effects import estimates

    found = estimates(i.key).get("merit_value", {})
    pairs = found.get("matches") or {}
    names = dict(School.objects.filter(school_unit_code__in={c for t, cs in pairs.items() for c in (t, *cs)}).values_list("school_unit_code", "name"))
    return [{"school": names.get(t, t), "comparisons": [names.get(c, c) for c in cs]} for t, cs in sorted(pairs.items(), key=lambda kv: names.get(kv[0], kv[0]))]


def _years(request: HttpRequest) -> tuple[int, int]:
    def year(name: str, default: int) -> int:
        raw = request.GET.get(name, "")
        return int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100 else default

    first, last = year("from", 2021), year("to", 2025)
    return (first, last) if first <= last else (last, first)


def _report(request: HttpRequest) -> tuple[dict[str, Any], list[Any], list[str]]:
    if not may_list_schools(request.user):
        deny(request, "support report")
    visible = {s.school_unit_code: s for s in visible_schools(request.user).order_by("name")}
    asked = [c for c in request.GET.getlist("school") if c in visible]
    if not asked:
        asked = [c for c in SEED_004 if c in visible] or list(visible)[:5]
    first, last = _years(request)
    cat = stored_catalogue([visible[c].pk for c in asked])
    doc = support_report(cat, asked, first, last, {c: visible[c].name for c in asked})
    return doc, list(visible.values()), asked


@login_required
def report(request: HttpRequest) -> HttpResponse:
    doc, choices, asked = _report(request)
    for s in doc["schools"]:
        for i in s["interventions"]:
            i["status_label"] = STATUS_LABELS.get(i["status"], i["status"])
            i["period"] = str(i["start"]) if i["start"] == i["end"] else f"{i['start']}–{i['end']}"
    query = "&".join([f"school={c}" for c in asked] + [f"from={doc['from']}", f"to={doc['to']}"])
    return render(request, "interventions/report.html", {"doc": doc, "choices": choices, "asked": set(asked), "query": query})


@login_required
def report_download(request: HttpRequest, fmt: str) -> HttpResponse:
    from likvard.exports.support import support_docx, support_pdf

    doc, _, _ = _report(request)
    name = f"centralt-stod-{doc['from']}-{doc['to']}"
    return attachment(support_pdf(doc) if fmt == "pdf" else support_docx(doc), f"{name}.{fmt}")
