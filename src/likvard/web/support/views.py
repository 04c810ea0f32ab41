"""Support application pages: the list a user may see, a principal's application (a renewal
when the pupil has had a grant), and one application with the office's decision and what it
pays in the allocation per budget year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy

from likvard.money import MoneyError, format_ore, format_percent, parse_money, scale_ore
from likvard.web.accounts.scoping import role_of, visible_schools
from likvard.web.accounts.views import deny
from likvard.workflows.support import MAX_MONTHS, months, year_share

from .actions import ApplicationProblems, apply, grant, previous_grant, pupil_of, refuse
from .models import Application

STATE_LABELS = {"submitted": gettext_lazy("Inkommen"), "granted": gettext_lazy("Beviljad"), "refused": gettext_lazy("Avslagen")}
FIELD_LABELS = {
    "pupil": gettext_lazy("Elev"),
    "need": gettext_lazy("Elevens behov"),
    "amount": gettext_lazy("Belopp"),
    "start": gettext_lazy("Från och med"),
    "end": gettext_lazy("Till och med"),
    "use_report": gettext_lazy("Hur det tidigare stödet användes"),
    "results_report": gettext_lazy("Vad det tidigare stödet gav"),
    "note": gettext_lazy("Motivering"),
    "state": gettext_lazy("Status"),
    "school": gettext_lazy("Skola"),
}


def may_apply(user: Any) -> bool:
    return role_of(user) in ("principal", "admin")


def may_decide(user: Any) -> bool:
    """The office decides: controllers (and administrators)."""
    return role_of(user) in ("controller", "admin")


def _visible(user: Any) -> Any:
    return Application.objects.filter(school__in=visible_schools(user)).select_related("school", "renewal_of")


def _date(text: str | None, field: str, problems: list[tuple[str, str]]) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip()) if (text or "").strip() else None
    except ValueError:
        problems.append((field, gettext("ange datumet som ÅÅÅÅ-MM-DD")))
        return None


def _amount(text: str | None, problems: list[tuple[str, str]]) -> int | None:
    if not (text or "").strip():
        return None
    try:
        return parse_money(str(text))
    except MoneyError as exc:
        problems.append(("amount", str(exc)))
        return None


def _shown(problems: list[tuple[str, str]]) -> list[str]:
    return [f"{FIELD_LABELS.get(f, f)}: {text}" for f, text in problems]


@login_required
def applications(request: HttpRequest) -> HttpResponse:
    """The applications of the schools the user may see, newest first."""
    if not visible_schools(request.user).exists():
        deny(request, "support applications")
    state = request.GET.get("state", "")
    rows = _visible(request.user)
    if state in STATE_LABELS:
        rows = rows.filter(state=state)
    shown = [
        {"a": a, "state": STATE_LABELS[a.state], "asked": format_ore(a.amount_asked_ore), "granted": format_ore(a.granted_amount_ore) if a.granted_amount_ore is not None else "–"}
        for a in rows[:500]
    ]
    return render(request, "support/applications.html", {"rows": shown, "state": state, "states": list(STATE_LABELS.items()), "may_apply": may_apply(request.user)})


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """A principal's application for a pupil of their school."""
    if not may_apply(request.user):
        deny(request, "apply for support")
    schools = list(visible_schools(request.user).order_by("name"))
    problems: list[tuple[str, str]] = []
    values = {k: request.POST.get(k, "") for k in ("need", "use_report", "results_report", "amount", "start", "end", "school")}
    renewal = None
    if request.method == "POST":
        chosen = [s for s in schools if s.school_unit_code == values["school"]] if values["school"] else schools[:1] if len(schools) == 1 else []
        school = chosen[0] if chosen else None
        start, end = _date(values["start"], "start", problems), _date(values["end"], "end", problems)
        amount = _amount(values["amount"], problems)
        if school is None:
            problems.append(("school", gettext("välj en av dina skolor")))
        if not problems and school is not None:
            try:
                application = apply(request.user, school, request.POST.get("pupil", ""), values, amount, start, end, extensive_asked=request.POST.get("extensive") == "on")
            except ApplicationProblems as exc:
                problems = exc.problems
            else:
                messages.success(request, gettext("Ansökan är inskickad."))
                return redirect("support:detail", pk=application.pk)
        if school is not None and any(f in ("use_report", "results_report") for f, _ in problems):
            try:
                renewal = previous_grant(school, pupil_of(request.POST.get("pupil", "")))
            except ApplicationProblems:
                renewal = None
    context = {"schools": schools, "values": values, "problems": _shown(problems), "renewal": renewal, "max_months": MAX_MONTHS}
    return render(request, "support/new.html", context, status=400 if problems else 200)


def _surcharge() -> Decimal:
    """The configured model's surcharge on extensive support (25 % in Stockholm 2024, seed 000
    L3638–3643): what the run will add, shown beside a grant."""
    from django.conf import settings

    from likvard.workflows import load_model

    kinds = [c for c in load_model(settings.MODEL_DIR).components if c.kind == "individual"]
    return kinds[0].surcharge if kinds else Decimal(0)


def _payments(a: Application, surcharge: Decimal) -> list[dict[str, str]]:
    """What a grant pays per budget year: its part of the amount, and the surcharge when the
    needs are extensive (the run applies the model's surcharge to the same amount)."""
    if a.state != "granted" or a.granted_start is None or a.granted_end is None or a.granted_amount_ore is None:
        return []
    out = []
    for year in range(a.granted_start.year, a.granted_end.year + 1):
        part = year_share(a.granted_amount_ore, a.granted_start, a.granted_end, year)
        extra = scale_ore(part, surcharge) if a.extensive else 0
        out.append({"year": str(year), "part": format_ore(part), "surcharge": format_ore(extra) if a.extensive else "–", "total": format_ore(part + extra)})
    return out


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One application, its renewal chain and the office's decision."""
    a = get_object_or_404(_visible(request.user), pk=pk)
    problems: list[tuple[str, str]] = []
    if request.method == "POST":
        if not may_decide(request.user):
            deny(request, "decide support")
        try:
            if request.POST.get("action") == "refuse":
                refuse(request.user, a, request.POST.get("note", ""))
                messages.success(request, gettext("Ansökan är avslagen."))
            else:
                start, end = _date(request.POST.get("start"), "start", problems), _date(request.POST.get("end"), "end", problems)
                amount = _amount(request.POST.get("amount"), problems)
                if not problems:
                    grant(request.user, a, amount, start, end, extensive=request.POST.get("extensive") == "on", note=request.POST.get("note", ""))
                    messages.success(request, gettext("Ansökan är beviljad: beloppet ingår i nästa körning av resursfördelningen."))
        except ApplicationProblems as exc:
            problems = exc.problems
        if not problems:
            return redirect("support:detail", pk=a.pk)
        a.refresh_from_db()
    context = {
        "a": a,
        "state": STATE_LABELS[a.state],
        "asked": format_ore(a.amount_asked_ore),
        "granted": format_ore(a.granted_amount_ore) if a.granted_amount_ore is not None else "",
        "asked_months": months(a.start, a.end),
        "payments": _payments(a, surcharge := _surcharge()),
        "surcharge": format_percent(surcharge),
        "renewals": list(a.renewals.all()),
        "may_decide": may_decide(request.user) and a.state == "submitted",
        "problems": _shown(problems),
        "max_months": MAX_MONTHS,
        "asked_kr": f"{a.amount_asked_ore // 100}",
    }
    return render(request, "support/detail.html", context, status=400 if problems else 200)
