"""Runs, statements, reconciliation, the run as Excel, models, scenarios and comparisons.

Views hold no orchestration: they check access, call an action or a reader, and render.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext

from likvard.engine.allocation import AllocationError, ModelError
from likvard.web import display
from likvard.web.accounts.scoping import (
    may_download_run,
    may_run,
    may_see_aggregates,
    may_view_models,
    visible_schools,
)
from likvard.web.accounts.views import deny
from likvard.web.downloads import attachment
from likvard.web.imports import snapshots
from likvard.workflows import WorkflowError

from . import actions, reading
from .amounts import changed_amounts, editable_amounts
from .comparison import reason_texts, signed_money
from .models import AllocationRun, Scenario


def _year(text: str | None, default: int) -> int | None:
    """A year from a form or query (2000–2100), the default when empty, None when invalid."""
    if not text:
        return default
    try:
        year = int(text)
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


@login_required
def runs(request: HttpRequest) -> HttpResponse:
    """The runs on stored data; a controller runs the year here on the current snapshots."""
    if not may_see_aggregates(request.user):
        deny(request, "runs")
    from django.conf import settings

    from likvard.workflows import load_model

    model = load_model(settings.MODEL_DIR)
    error = ""
    if request.method == "POST":
        if not may_run(request.user):
            deny(request, "run allocation")
        year = _year(request.POST.get("year"), model.year)
        if year is None:
            error = gettext("Ange ett år mellan 2000 och 2100.")
        else:
            try:
                run = actions.run_year(request.user, year)
                return redirect("allocation:reconciliation", run_id=run.pk)
            except (WorkflowError, AllocationError, ModelError) as exc:
                error = str(exc)
    years = sorted({s.year for s in snapshots.current("pupils")}, reverse=True)
    return render(
        request,
        "allocation/runs.html",
        {"runs": AllocationRun.objects.filter(kind="run")[:50], "model": model, "years": years, "register": snapshots.current("pupils"), "error": error},
    )


def _school_or_404(request: HttpRequest, code: str) -> Any:
    return get_object_or_404(visible_schools(request.user), school_unit_code=code)


def _statement(request: HttpRequest, code: str, year: int) -> tuple[Any, AllocationRun, Any]:
    school = _school_or_404(request, code)
    run = reading.latest_run(year)
    st = reading.statement(run, code) if run else None
    if run is None or st is None:
        raise Http404
    return school, run, st


@login_required
def statement(request: HttpRequest, code: str, year: int) -> HttpResponse:
    school, run, st = _statement(request, code, year)
    language = get_language() or "sv"
    return render(request, "allocation/statement.html", {"school": school, "statement": display.statement(st, language), "run": run, "model": run.summary.get("model", {})})


@login_required
def statement_pdf(request: HttpRequest, code: str, year: int) -> HttpResponse:
    _, run, st = _statement(request, code, year)
    from likvard.exports.pdf import statement_pdf as render_pdf

    sources = {c["id"]: c["source"] for c in run.summary.get("components", [])}
    pdf = render_pdf(st, {**run.summary["model"], "data_source": run.data_source}, sources, labels=run.summary.get("labels"))
    return attachment(pdf, f"resursfordelning-{year}-{code}.pdf")


def _visible_run(request: HttpRequest, run_id: int) -> AllocationRun:
    """A run the user may see aggregates of: the year's runs for everyone with aggregates; a
    scenario's comparison (a draft) only for those who work with models."""
    runs = AllocationRun.objects.all() if may_view_models(request.user) else AllocationRun.objects.filter(kind="run")
    return get_object_or_404(runs, pk=run_id)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The committee's start page: the year's run in aggregates only — totals per area and per
    organiser type, money per pupil by need quartile — and its reconciliation."""
    if not may_see_aggregates(request.user):
        deny(request, "overview")
    from django.db.models import Count, Sum

    from likvard.web.schools.models import OPERATORS

    run = reading.latest_run()
    rows: dict[str, list[dict[str, Any]]] = {}
    if run is not None:
        allocations = run.schools.all()
        operators = dict(OPERATORS)
        for key, field in (("area", "school__area"), ("operator", "school__operator"), ("quartile", "need_quartile")):
            groups = allocations.values(field).annotate(total=Sum("total_ore"), pupils=Sum("pupils"), schools=Count("id")).order_by(field)
            rows[key] = [
                {
                    "name": (operators.get(g[field], g[field]) if key == "operator" else g[field]) or gettext("utan område"),
                    "schools": g["schools"],
                    "pupils": g["pupils"],
                    "total": display.money(g["total"]),
                    "per_pupil": display.money(g["total"] // g["pupils"]) if g["pupils"] else "–",
                }
                for g in groups
                if key != "quartile" or g[field] is not None
            ]
    return render(request, "allocation/overview.html", {"run": run, "rows": rows, "total": display.money(run.total_ore) if run else "", "labels": display.words(run)})


@login_required
def reconciliation(request: HttpRequest, run_id: int) -> HttpResponse:
    if not may_see_aggregates(request.user):
        deny(request, "reconciliation")
    run = _visible_run(request, run_id)
    pots = [
        dict(p, amount=display.money(p["amount_ore"]), distributed=display.money(p["distributed_ore"]), difference=display.money(p["difference_ore"]))
        for p in reading.pot_dicts(run)
    ]
    gap = sum(p["difference_ore"] for p in pots if p["kind"] == "budget")
    kinds = {"pupils": gettext("Elever"), "decision": gettext("Beslut"), "rsu_place": gettext("RSU-plats"), "grant": gettext("Fast bidrag")}
    # what no component paid, in aggregate: the pupil a decision concerns is not named here
    english = get_language() == "en"
    unallocated = [
        dict(u, kind_label=kinds.get(u["kind"], u["kind"]), shown=u["record"] if u["kind"] in ("grant", "pupils") else "", reason=(u.get("reason_en") or u["reason"]) if english else u["reason"])
        for u in run.summary.get("unallocated", [])
    ]
    # granted support applications the run could not pay (the pupil is not in the year's register)
    unallocated += [
        {"kind_label": gettext("Beviljad ansökan"), "shown": gettext("ansökan %(id)s") % {"id": a["application"]}, "school_unit_code": a["school_unit_code"], "count": 1, "reason": a.get("reason_en", a["reason"]) if english else a["reason"]}
        for a in run.summary.get("support_left_out", [])
    ]
    context = {"run": run, "pots": pots, "total": display.money(run.total_ore), "budget_gap": display.money(gap), "snapshots": run.snapshots.all().order_by("kind", "year"), "unallocated": unallocated}
    return render(request, "allocation/reconciliation.html", context)


@login_required
def run_xlsx(request: HttpRequest, run_id: int) -> HttpResponse:
    if not may_download_run(request.user):
        deny(request, "run workbook")
    run = get_object_or_404(AllocationRun, pk=run_id)
    from likvard.exports.xlsx import write_allocation_xlsx

    buffer = io.BytesIO()  # in memory: a download leaves nothing behind on disk
    write_allocation_xlsx(reading.run_dict(run), buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=f"resursfordelning-{run.year}-{run.pk}.xlsx")


#: The model file's component kinds (docs/model-format.md) as a controller reads them.
KIND_LABELS = {
    "per_pupil": gettext_lazy("belopp per elev (årskurs, skolform, program)"),
    "share_of": gettext_lazy("andel av schablonen"),
    "per_flagged_pupil": gettext_lazy("belopp per elev med markering"),
    "fixed_grant": gettext_lazy("fast bidrag per skola"),
    "index_pot": gettext_lazy("pott efter index"),
    "pupil_pot": gettext_lazy("pott per elev"),
    "individual": gettext_lazy("individuellt beslutade belopp"),
    "composite": gettext_lazy("sammansatt belopp med avdrag"),
    "pooled_premium": gettext_lazy("premie och avgift i gemensam pott"),
    "charge": gettext_lazy("avgift"),
    "merit_pot": gettext_lazy("pott efter meritvärde"),
}


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    if not may_view_models(request.user):
        deny(request, "models")
    from django.conf import settings

    from likvard.workflows import load_model

    model = load_model(settings.MODEL_DIR)
    if request.method == "POST":
        if not may_run(request.user):
            deny(request, "create scenario")
        year = _year(request.POST.get("year"), model.year) or model.year
        name = request.POST.get("name", "").strip()[:200] or f"Scenario {year}"
        scenario = actions.create_scenario(request.user, name, year)
        return redirect("allocation:scenario", scenario_id=scenario.pk)
    components = [{"id": c.id, "label": c.label, "kind": KIND_LABELS.get(c.kind, c.kind), "source": c.source, "illustrative": c.illustrative, "file": c.file} for c in model.components]
    return render(request, "allocation/models.html", {"model": model, "components": components, "scenarios": Scenario.objects.filter(retired=False), "may_edit": may_run(request.user)})


@login_required
def scenario_detail(request: HttpRequest, scenario_id: int) -> HttpResponse:
    if not may_view_models(request.user):
        deny(request, "scenario")
    scenario = get_object_or_404(Scenario, pk=scenario_id)
    error = error_key = notice = detail = ""
    posted: dict[str, str] = {}
    if request.method == "POST":
        if not may_run(request.user):
            deny(request, "edit scenario")
        action = request.POST.get("action")
        try:
            if action == "amounts":
                posted = {k.removeprefix("amount:"): v for k, v in request.POST.items() if k.startswith("amount:")}
                changes = changed_amounts(actions.model_of(scenario), posted)
                if not changes:
                    notice = gettext("Inga belopp ändrades.")
                else:
                    actions.set_model_values(request.user, scenario, changes)
                    labels = {f.key: f"{g.label}, {f.label.lower()}" for g in editable_amounts(actions.model_of(scenario)) for f in g.fields}
                    messages.success(request, ngettext("Sparat: %(what)s.", "Sparat %(n)d belopp: %(what)s.", len(changes)) % {"n": len(changes), "what": "; ".join(f"{labels.get(k, k)} {v}" for k, v in changes.items())})
                    return redirect("allocation:scenario", scenario_id=scenario.pk)
            elif action == "run":
                result = actions.run_scenario(request.user, scenario)
                return redirect("allocation:comparison", run_id=result.pk)
            else:
                key, value = request.POST.get("key", "").strip(), request.POST.get("value", "").strip()
                actions.set_model_values(request.user, scenario, {key: value})
                messages.success(request, gettext("Sparat: %(key)s = %(value)s.") % {"key": key, "value": value})
                return redirect("allocation:scenario", scenario_id=scenario.pk)
        except ModelError as exc:
            error, detail = str(exc), exc.detail
            if action == "amounts":
                error_key = ".".join(p for p in (exc.component, exc.key.replace("[", ".").replace("]", "")) if p)
        except (AllocationError, WorkflowError) as exc:
            error = str(exc)
    model = actions.model_of(scenario)
    socio = next((c for c in model.components if c.kind == "index_pot" and c.funding == "municipal"), None)
    changed = {o.partition("=")[0] for o in scenario.overrides}
    groups = [
        {
            "group": g,
            "fields": [
                {"f": f, "name": f"amount:{f.key}", "id": "f-" + f.key.replace(".", "-"), "value": posted.get(f.key, f.value), "changed": f.key in changed, "invalid": bool(error_key) and f.key == error_key}
                for f in g.fields
            ],
        }
        for g in editable_amounts(model)
    ]
    named = next((f"{g['group'].label}, {x['f'].label}" for g in groups for x in g["fields"] if x["invalid"]), "")
    if named:  # the form's own words, not the model file's name and keys
        error = f"{named}: {detail}"
    return render(
        request,
        "allocation/scenario.html",
        {
            "scenario": scenario,
            "model": model,
            "error": error,
            "notice": notice,
            "groups": groups,
            "amounts_error": bool(error) and request.POST.get("action") == "amounts",
            "key_error": bool(error) and request.POST.get("action") == "set",
            "run_error": bool(error) and request.POST.get("action") == "run",
            "error_field": next((x["id"] for g in groups for x in g["fields"] if x["invalid"]), ""),
            "key": request.POST.get("key", "socioeconomic.base_amount"),
            "value": request.POST.get("value", ""),
            "base_amount": display.money(socio.base_amount_ore) if socio else "",
            "runs": scenario.runs.all(),
            "may_edit": may_run(request.user),
        },
    )


@login_required
def comparison(request: HttpRequest, run_id: int) -> HttpResponse:
    if not may_view_models(request.user):
        deny(request, "comparison")
    run = get_object_or_404(AllocationRun, pk=run_id, kind="comparison")
    labels = {c["id"]: c["label"] for c in run.summary.get("components", [])}
    changes = [dict(c, component_label=labels.get(c["component"], c["component"])) for c in run.summary.get("changes", [])]
    rows = []
    for a in run.schools.select_related("school").exclude(diff_total_ore=0).exclude(diff_total_ore__isnull=True):
        before = a.before_total_ore or 0
        rows.append({
            "code": a.school.school_unit_code, "name": a.school.name, "index": a.index,
            "before": display.money(before), "after": display.money(before + a.diff_total_ore),
            "diff": signed_money(a.diff_total_ore), "diff_ore": a.diff_total_ore,
            "reasons": reason_texts(a.diff_ore, labels, changes),
        })
    rows.sort(key=lambda r: (-r["diff_ore"], r["code"]))
    touched = {k for a in run.schools.all() for k, v in a.diff_ore.items() if v}
    per_component = [
        dict(c, label=labels.get(c["component"], c["component"]), diff=display.money(c["diff_ore"]), redistributed=c["diff_ore"] == 0)
        for c in run.summary.get("components_diff", [])
        if c["component"] in touched or c["diff_ore"]
    ]
    chart = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": gettext("Skillnad per skola mot skolans socioekonomiska index"),
        # The container carries role="img" and a text alternative (the table below has the same
        # figures); ARIA roles on each of ~300 points would only make screen readers recite them.
        "config": {"aria": False},
        "width": "container",
        "height": 320,
        "data": {"values": [{"skola": r["name"], "index": r["index"], "skillnad_kr": r["diff_ore"] / 100} for r in rows if r["index"] is not None]},
        "mark": {"type": "point", "filled": True, "size": 40, "aria": False},
        "encoding": {
            "x": {"field": "index", "type": "quantitative", "title": gettext("Socioekonomiskt index (glidande medelvärde)")},
            "y": {"field": "skillnad_kr", "type": "quantitative", "title": gettext("Skillnad (kr)")},
            "color": {"condition": {"test": "datum.skillnad_kr >= 0", "value": "#005a9c"}, "value": "#b35900"},
            "tooltip": [{"field": "skola"}, {"field": "index", "format": ".1f"}, {"field": "skillnad_kr", "format": ",.0f"}],
        },
    }
    return render(
        request,
        "allocation/comparison.html",
        {"chart": chart, "run": run, "rows": rows, "changes": changes, "winners": len(run.summary.get("winners", [])), "losers": len(run.summary.get("losers", [])), "per_component": per_component, "overrides": run.overrides},
    )


#: A sweep on the web stays small enough to answer while the user waits (about a second).
SWEEP_MAX_VALUES = 500


@login_required
def sweep(request: HttpRequest) -> HttpResponse:
    """One amount varied over a range, and a chosen school's or a need quartile's money against
    it (issue 9, item 5). The curve a controller shows the committee: what each value of the
    base amount would give Rinkebyskolan, or the schools with the highest need."""
    if not may_view_models(request.user):
        deny(request, "sweep")
    from django.conf import settings

    from likvard.engine.allocation import parse_vary
    from likvard.workflows import load_model

    model = load_model(settings.MODEL_DIR)
    amounts = [(f.key, f"{g.label}, {f.label.lower()}", f.value) for g in editable_amounts(model) for f in g.fields]
    keys = {key: label for key, label, _ in amounts}
    # each amount with its value in the model, so the range can be chosen around it
    fields = [(key, gettext("%(label)s (nu %(value)s)") % {"label": label, "value": value}) for key, label, value in amounts]
    schools = list(visible_schools(request.user).order_by("name").values_list("school_unit_code", "name"))
    form = {k: request.GET.get(k, "").strip() for k in ("key", "from", "to", "step", "school")}
    error = ""
    chart = rows = None
    summary = ""
    if form["key"]:
        try:
            if form["key"] not in keys:
                raise ModelError(gettext("Välj ett belopp i listan."))
            vary = parse_vary(f"{form['key']}={form['from']}:{form['to']}:{form['step']}")
            if len(vary.values) > SWEEP_MAX_VALUES:
                raise ModelError(gettext("Högst %(n)d värden åt gången: välj ett större steg.") % {"n": SWEEP_MAX_VALUES})
            result = actions.run_sweep(model.year, [vary])
        except (ModelError, AllocationError, WorkflowError) as exc:
            error = str(exc)
        else:
            chart, rows, summary = _sweep_curve(request, result, form["school"] or "q4", keys[form["key"]])
    # before a first sweep: the socioeconomic base amount, whose default range (1 000–3 000 kr) fits it
    selected = form["key"] or next((key for key in keys if key.endswith(".base_amount")), "")
    return render(
        request,
        "allocation/sweep.html",
        {"fields": fields, "selected": selected, "schools": schools, "form": form, "error": error, "chart": chart, "rows": rows, "summary": summary, "max_values": SWEEP_MAX_VALUES},
    )


def _sweep_curve(request: HttpRequest, result: Any, target: str, label: str) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """The chosen school's total, or a need quartile's money per pupil, per varied value."""
    import numpy as np

    from likvard.web.allocation.models import SchoolAllocation

    index = {code: i for i, code in enumerate(result.schools)}
    visible = set(visible_schools(request.user).values_list("school_unit_code", flat=True))
    latest = reading.latest_run()  # the need quartiles and pupils of the year's run
    facts = {a.school.school_unit_code: a for a in SchoolAllocation.objects.filter(run=latest).select_related("school")} if latest else {}
    if target.startswith("q") and target[1:] in "1234":
        members = [c for c, a in facts.items() if a.need_quartile == int(target[1:]) and c in visible and c in index]
        pupils = sum(facts[c].pupils for c in members) or 1
        values = result.totals[:, [index[c] for c in members]].sum(axis=1) // pupils if members else np.zeros(len(result.values), dtype=np.int64)
        what = gettext("Skolor i behovskvartil %(q)s, per elev") % {"q": target[1:]}
    else:
        if target not in visible or target not in index:
            raise Http404
        values = result.totals[:, index[target]]
        what = facts[target].school.name if target in facts else target
    xs = [v[0] for v in result.values]
    data = [{"värde": float(x.replace(",", ".")), "kr": int(y) / 100} for x, y in zip(xs, values.tolist(), strict=True)]
    chart = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": f"{what}: {label}",
        "config": {"aria": False},
        "width": "container",
        "height": 280,
        "data": {"values": data},
        "mark": {"type": "line", "point": len(data) <= 40, "aria": False},
        "encoding": {
            "x": {"field": "värde", "type": "quantitative", "title": label},
            "y": {"field": "kr", "type": "quantitative", "title": gettext("Kronor"), "scale": {"zero": False}},
            "tooltip": [{"field": "värde"}, {"field": "kr", "format": ",.0f"}],
        },
    }
    shown = {x: actions.shown_value(x, label) for x in xs}  # "1 000 kr", or a share as written
    step = max(1, len(xs) // 10)
    rows = [{"value": shown[x], "money": display.money(int(y))} for x, y in list(zip(xs, values.tolist(), strict=True))[::step]]
    if (len(xs) - 1) % step:
        rows.append({"value": shown[xs[-1]], "money": display.money(int(values[-1]))})
    summary = gettext("%(what)s: %(first)s vid %(x0)s, %(last)s vid %(x1)s (%(n)d värden)") % {
        "what": what, "first": display.money(int(values[0])), "x0": shown[xs[0]], "last": display.money(int(values[-1])), "x1": shown[xs[-1]], "n": len(xs),
    }
    return chart, rows, summary
