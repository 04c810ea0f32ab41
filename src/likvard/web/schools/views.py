"""The school list and the school page. Every school goes through ``visible_schools``;
outside it: 404."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext, gettext_lazy

from likvard.web import display
from likvard.web.accounts.scoping import may_list_schools, visible_schools
from likvard.web.accounts.views import deny
from likvard.web.allocation.models import SchoolAllocation
from likvard.web.allocation.reading import latest_run
from likvard.web.results.models import PublishedStatistic, ResultByGender, ResultEstimate
from likvard.web.results.published import MARKERS, period_of, published_table

from .models import OPERATORS

OUTCOME_LABELS = {"merit_value": gettext_lazy("Meritvärde"), "eligible_vocational": gettext_lazy("Behörighet till yrkesprogram")}
#: The published indicator that is the same figure as each register outcome.
PUBLISHED_OF = {"merit_value": "merit_value", "eligible_vocational": "share_eligible_vocational"}


@login_required
def school_list(request: HttpRequest) -> HttpResponse:
    if not may_list_schools(request.user):
        deny(request, "school list")
    visible = visible_schools(request.user)
    schools = visible
    q = request.GET.get("q", "").strip()
    if q:
        schools = schools.filter(Q(name__icontains=q) | Q(school_unit_code__startswith=q))
    for name in ("district", "area", "operator"):
        value = request.GET.get(name, "")
        if value:
            schools = schools.filter(**{name: value})
    run = latest_run()
    facts = {a.school_id: a for a in SchoolAllocation.objects.filter(run=run).only("school_id", "pupils", "total_ore", "need_quartile", "index")} if run else {}
    quartile = request.GET.get("quartile", "")
    rows = []
    for school in schools:
        f = facts.get(school.pk)
        if quartile and str(f.need_quartile if f else "") != quartile:
            continue
        rows.append({"school": school, "pupils": f.pupils if f else None, "total": display.money(f.total_ore) if f else "", "quartile": f.need_quartile if f else None})
    # Filters offer only what the user's own schools have: an area chief sees their area's
    # districts and operators, not the city's, and a choice of one is no choice (issue 8, 19).
    present = set(visible.values_list("operator", flat=True))
    own = set(visible.values_list("pk", flat=True))
    quartiles = sorted({str(f.need_quartile) for f in facts.values() if f.need_quartile and f.school_id in own})
    return render(
        request,
        "schools/list.html",
        {
            "rows": rows,
            "q": q,
            "districts": sorted({d for d in visible.values_list("district", flat=True) if d}),
            "areas": sorted({a for a in visible.values_list("area", flat=True) if a}),
            "operators": [(value, label) for value, label in OPERATORS if value in present],
            "quartiles": quartiles,
            "selected": {k: request.GET.get(k, "") for k in ("district", "area", "operator", "quartile")},
            "run": run,
            "labels": display.words(run),
        },
    )


def _results(school: Any, published: dict[tuple[str, str], PublishedStatistic]) -> list[dict[str, Any]]:
    """Expected against actual per year and outcome. Where Skolverket publishes no figure for
    the year (``.``) or hides it (``..``), no register figure is shown either: a synthetic or
    unpublished number must not stand where the official statistics have none."""
    rows = []
    for r in ResultEstimate.objects.filter(school=school).order_by("-year", "outcome"):
        p = published.get((PUBLISHED_OF[r.outcome], period_of(r.year)))
        hidden = r.suppressed or (p is not None and p.marker in (".", ".."))
        shown = {f: display.result_number(getattr(r, f), r.outcome, suppressed=r.suppressed, difference=f in display.DIFFERENCES) for f in ("actual", "expected", "shrunken", "lower", "upper")}
        if hidden and not r.suppressed:
            shown = dict.fromkeys(shown, p.marker if p else display.SUPPRESSED)
        small = r.suppressed or (p is not None and p.marker == "..")  # the size of a hidden group is hidden too
        rows.append({"r": r, "outcome": OUTCOME_LABELS.get(r.outcome, r.outcome), "published": p.published if p else "", "hidden": hidden, "flag": "" if hidden else r.flag, "pupils": display.SUPPRESSED if small else r.pupils, **shown})
    return rows


@login_required
def school_detail(request: HttpRequest, code: str) -> HttpResponse:
    school = get_object_or_404(visible_schools(request.user), school_unit_code=code)
    allocations = SchoolAllocation.objects.filter(school=school, run__kind="run").select_related("run").order_by("-run__year", "-run__created_at")
    runs = [{"run": a.run, "total": display.money(a.total_ore), "per_pupil": display.money(a.per_pupil_ore)} for a in allocations]
    run = latest_run()
    latest = next((a for a in allocations if run and a.run_id == run.pk), None)
    stats = list(PublishedStatistic.objects.filter(school=school))
    by_key = {(s.indicator, s.period): s for s in stats}
    genders = {"female": gettext("Flickor"), "male": gettext("Pojkar")}
    by_gender = [
        {"r": r, "outcome": OUTCOME_LABELS.get(r.outcome, r.outcome), "gender": genders.get(r.gender, r.gender),
         **{f: display.result_number(getattr(r, f), r.outcome, suppressed=r.suppressed, difference=f in display.DIFFERENCES) for f in ("actual", "expected", "value_added")}}
        for r in ResultByGender.objects.filter(school=school).order_by("-year", "outcome", "gender")
    ]
    return render(
        request,
        "schools/detail.html",
        {
            "school": school,
            "runs": runs,
            "latest": latest,
            "run": run,
            "published": published_table(stats),
            "markers": MARKERS,
            "results": _results(school, by_key),
            "by_gender": by_gender,
            "labels": display.words(run),
        },
    )
