"""Result dialogue pages: one school's dialogue of a year (prefilled with its money, index,
results against expected and goal outcomes), the list of the schools a user may see, and the
aggregate per area and, for the office, for the whole city: how many dialogues name each
development area and ask for each support, with the areas and schools behind each."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy

from likvard.web.accounts.scoping import ALL_SCHOOLS, role_of, visible_schools
from likvard.web.accounts.views import deny
from likvard.web.interventions.models import Intervention
from likvard.web.results.models import ResultEstimate
from likvard.web.schools.models import School

from .actions import FIELDS, DialogueLocked, current, lock, new_version, save
from .models import THEMES, Dialogue
from .summary import summarise

YEAR = 2024
LABELS = {
    "success_factors": gettext_lazy("Framgångsfaktorer"),
    "development_areas": gettext_lazy("Utvecklingsområden"),
    "support_text": gettext_lazy("Stöd som skolan önskar från central förvaltning"),
    "money_use": gettext_lazy("Hur den socioekonomiska ersättningen och Kunskapsbidraget användes och vad de gav"),
    "targets_comment": gettext_lazy("Skolans målvärden mot förra årets utfall"),
    "agreed_actions": gettext_lazy("Överenskomna åtgärder"),
    "chief_comment": gettext_lazy("Grundskolechefens kommentar"),
}
PRINCIPAL_FIELDS = ("success_factors", "development_areas", "support_text", "money_use", "targets_comment")
STATE_LABELS = {"draft": gettext_lazy("Utkast"), "completed": gettext_lazy("Kompletterad"), "locked": gettext_lazy("Låst")}


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year") or request.POST.get("year") or ""
    return int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100 else YEAR


def _facts(school: School, year: int) -> dict[str, Any]:
    """What the dialogue starts from: the school's money, index and results against expected."""
    from likvard.money import format_ore
    from likvard.web.allocation.reading import latest_run
    from likvard.web.display import indicator_number as number
    from likvard.web.display import result_number
    from likvard.web.goals.reading import current_plan, target_rows
    from likvard.web.results.views import OUTCOME_LABELS
    from likvard.workflows.money import SOCIOECONOMIC_KINDS

    def shown(e: ResultEstimate) -> dict[str, Any]:
        label = OUTCOME_LABELS.get(e.outcome, e.outcome)
        if e.suppressed:  # groups under 10 pupils
            return {"label": label, "text": result_number(None, e.outcome, suppressed=True)}
        return {"label": label, "text": f"{result_number(e.actual, e.outcome)}, {result_number(e.expected, e.outcome)}"}

    facts: dict[str, Any] = {"estimates": [shown(e) for e in ResultEstimate.objects.filter(school=school, year=year).order_by("-outcome")]}
    # the ambition check: the school's targets for the year against last year's outcomes
    plan = current_plan(str(year))
    if plan is not None and plan.year == year:
        facts["targets"] = [
            {"name": r.indicator.name, "period": r.last_period or "", "last": number(r.last, r.indicator.unit) if r.last_period else "–", "expected": number(r.expected, r.indicator.unit) if r.expected is not None else "–",
             "target": number(r.target, r.indicator.unit) if r.target is not None else "–", "below": r.below}
            for r in target_rows(plan, school)
        ]
    run = latest_run(year)
    row = run.schools.filter(school=school).first() if run is not None else None
    if row is not None:
        # the run's socioeconomically distributed pots, the municipality's and the state grant's
        # (Kunskapsbidraget) alike, by kind: not Stockholm's component ids
        socio_ids = {c["id"] for c in run.summary.get("components", []) if c.get("kind") in SOCIOECONOMIC_KINDS}
        socio = sum(int(ln.get("amount_ore") or 0) for ln in row.lines if ln.get("component") in socio_ids)
        facts.update(
            total=format_ore(row.total_ore), per_pupil=format_ore(row.per_pupil_ore) if row.per_pupil_ore is not None else "–",
            socioeconomic=format_ore(socio), index=f"{row.index:.1f}".replace(".", ",") if row.index is not None else "–", quartile=row.need_quartile or "–",
        )
    return facts


@login_required
def dialogue(request: HttpRequest, code: str) -> HttpResponse:
    role = role_of(request.user)
    school = visible_schools(request.user).filter(school_unit_code=code).first()
    if school is None:
        raise Http404
    year = _year(request)
    d = current(school, year)
    may_draft = role == "principal" or role in ("admin", "analyst")
    may_complete = role in ("area_chief", "admin")
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if not (may_draft or may_complete):
            deny(request, "edit a dialogue")
        try:
            if action == "new_version" and d is not None and may_complete:
                new_version(request.user, d)
                messages.success(request, gettext("En ny version är skapad."))
            elif action == "lock" and d is not None and may_complete:
                lock(request.user, d)
                messages.success(request, gettext("Resultatdialogen är låst."))
            else:
                allowed = FIELDS if may_complete else PRINCIPAL_FIELDS
                values = {f: request.POST.get(f, "").strip() for f in allowed if f in request.POST}
                support = [int(x) for x in request.POST.getlist("support") if x.isdigit() and Intervention.objects.filter(pk=int(x), retired=False).exists()]
                save(request.user, school, year, values, request.POST.getlist("themes"), support, complete=action == "complete" and may_complete)
                messages.success(request, gettext("Resultatdialogen är sparad.") if action != "complete" else gettext("Resultatdialogen är kompletterad."))
        except DialogueLocked as exc:
            messages.error(request, str(exc))
        return redirect(f"{request.path}?year={year}")
    locked = d is not None and d.state == "locked"
    return render(request, "dialogues/dialogue.html", {
        "school": school, "year": year, "d": d, "labels": LABELS, "themes": THEMES, "chosen": set(d.themes) if d else set(),
        "support": Intervention.objects.filter(retired=False), "requested": set(d.support_requested.values_list("pk", flat=True)) if d else set(),
        "principal_fields": [{"name": f, "label": LABELS[f], "value": getattr(d, f) if d else ""} for f in PRINCIPAL_FIELDS],
        "chief_fields": [{"name": f, "label": LABELS[f], "value": getattr(d, f) if d else ""} for f in ("agreed_actions", "chief_comment")], "may_draft": may_draft and not locked, "may_complete": may_complete and not locked,
        "may_version": may_complete and locked, "locked": locked, "state": STATE_LABELS[d.state] if d else gettext("Ingen dialog ännu"),
        "versions": Dialogue.objects.filter(school=school, year=year).order_by("-version"), "facts": _facts(school, year),
    })


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The dialogues of the schools a user may see, and per area how many name each theme and
    ask for each support, with the schools behind each (the latest version of each)."""
    role = role_of(request.user)
    if role not in (*ALL_SCHOOLS, "area_chief", "principal"):
        deny(request, "dialogues")
    year = _year(request)
    schools = list(visible_schools(request.user).filter(operator="municipal").order_by("area", "name"))
    latest: dict[int, Dialogue] = {}
    for d in Dialogue.objects.filter(school__in=schools, year=year).prefetch_related("support_requested").order_by("school", "-version"):
        latest.setdefault(d.school_id, d)
    summary = summarise(schools, latest)
    rows = [{"school": s, "d": latest.get(s.pk), "state": STATE_LABELS[latest[s.pk].state] if s.pk in latest else gettext("Ingen dialog ännu")} for s in schools]
    years = sorted({YEAR, year, *Dialogue.objects.values_list("year", flat=True).distinct()}, reverse=True)
    return render(request, "dialogues/overview.html", {
        "year": year, "years": years, "rows": rows, "summary": summary["areas"], "show_summary": role != "principal",
        # the office (the roles that see every school) also sees the whole city
        "city": summary["city"] if role in ALL_SCHOOLS else None,
    })
