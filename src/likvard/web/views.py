"""Pages. Every school page goes through ``visible_schools``; outside it: 404."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy

from likvard.engine.allocation.run import format_quantity
from likvard.money import format_ore
from likvard.web.accounts.scoping import (
    may_download_run,
    may_list_schools,
    may_see_aggregates,
    visible_schools,
)
from likvard.web.allocation.models import AllocationRun

log = logging.getLogger("likvard.security")


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    return redirect("schools:list")


def _latest_run(year: int | None = None) -> AllocationRun | None:
    runs = AllocationRun.objects.filter(scenario__isnull=True).defer("data")
    if year is not None:
        runs = runs.filter(year=year)
    return runs.first()


def _deny(request: HttpRequest, what: str) -> None:
    log.warning("access denied: user %s to %s", request.user.pk, what)
    raise PermissionDenied


@login_required
def school_list(request: HttpRequest) -> HttpResponse:
    if not may_list_schools(request.user):
        _deny(request, "school list")
    schools = visible_schools(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        schools = schools.filter(Q(name__icontains=q) | Q(school_unit_code__startswith=q))
    for field in ("district", "area", "operator"):
        value = request.GET.get(field, "")
        if value:
            schools = schools.filter(**{field: value})
    run = _latest_run()
    facts = {s["school_unit_code"]: s for s in run.data["schools"]} if run else {}
    quartile = request.GET.get("quartile", "")
    rows = []
    for school in schools:
        f = facts.get(school.school_unit_code, {})
        if quartile and str(f.get("need_quartile") or "") != quartile:
            continue
        rows.append({"school": school, "pupils": f.get("pupils"), "total": format_ore(f["total_ore"]) if f else "", "quartile": f.get("need_quartile"), "index": f.get("index")})
    visible = visible_schools(request.user)
    return render(
        request,
        "schools/list.html",
        {
            "rows": rows,
            "q": q,
            "districts": sorted({d for d in visible.values_list("district", flat=True) if d}),
            "areas": sorted({a for a in visible.values_list("area", flat=True) if a}),
            "selected": {k: request.GET.get(k, "") for k in ("district", "area", "operator", "quartile")},
            "run": run,
        },
    )


OUTCOME_LABELS = {"merit_value": gettext_lazy("Meritvärde"), "eligible_vocational": gettext_lazy("Behörighet till yrkesprogram")}
FLAG_LABELS = {"clearly above": gettext_lazy("klart över förväntat"), "clearly below": gettext_lazy("klart under förväntat"), "as expected": gettext_lazy("som förväntat")}


ADJUST_LABELS = {
    "none": gettext_lazy("Ingen (varje skola för sig)"),
    "holm": gettext_lazy("Holm (alla skolor i kommunen)"),
    "bonferroni": gettext_lazy("Bonferroni (alla skolor i kommunen)"),
}


def _judge(estimates: list[Any], outcome: str, adjust: str) -> dict[str, dict[str, Any]]:
    """Intervals and flags for the published estimates under a multiplicity rule.

    The stored interval is the per-school 95 % interval around the shrunken effect, so the
    effect is its midpoint and se its half-width / z(0.975); the engine's ``flag_schools``
    then applies the rule with the display rounding. Suppressed schools are not judged.
    """
    import numpy as np
    from scipy import stats

    from likvard.engine.stats.expected import flag_schools

    shown = [e for e in estimates if e.flag != ".." and e.lower not in ("..", "") and e.upper not in ("..", "")]
    if not shown:
        return {}
    lower = np.array([float(e.lower) for e in shown])
    upper = np.array([float(e.upper) for e in shown])
    shrunken = (lower + upper) / 2
    se = (upper - lower) / (2 * float(stats.norm.ppf(0.975)))
    lo, hi, flag = flag_schools(shrunken, se, outcome=outcome, adjust=adjust)  # type: ignore[arg-type]
    return {
        e.school_unit_code: {"lower": float(lo[i]), "upper": float(hi[i]), "flag": str(flag[i]), "shrunken": float(shrunken[i])}
        for i, e in enumerate(shown)
    }


@login_required
def results(request: HttpRequest) -> HttpResponse:
    """Expected against actual results and value added for the schools the user may see.

    Why only visible schools, charts included: a chart's tooltip names every dot, so a chart
    of all schools would show a principal or an area chief schools outside their scope.
    """
    if not may_list_schools(request.user):
        _deny(request, "results")
    import polars as pl
    from django.utils.translation import get_language

    from likvard.engine.stats.charts import actual_expected_spec, caterpillar_spec
    from likvard.web.allocation.models import ResultEstimate

    outcome = request.GET.get("outcome", "merit_value")
    if outcome not in OUTCOME_LABELS:
        outcome = "merit_value"
    years = list(ResultEstimate.objects.order_by("-year").values_list("year", flat=True).distinct())
    year = int(request.GET["year"]) if request.GET.get("year", "").isdigit() and int(request.GET["year"]) in years else (years[0] if years else None)
    visible = {s.school_unit_code: s for s in visible_schools(request.user)}
    areas = sorted({s.area for s in visible.values() if s.area})
    area = request.GET.get("area", "")
    if area not in areas:
        area = ""
    adjust = request.GET.get("adjust", "none")
    if adjust not in ADJUST_LABELS:
        adjust = "none"
    everyone = list(ResultEstimate.objects.filter(year=year, outcome=outcome))
    judged = _judge(everyone, outcome, adjust)  # the family is every published school
    rows = []
    figures = []
    for e in everyone:
        if e.school_unit_code not in visible:
            continue
        school = visible[e.school_unit_code]
        j = judged.get(e.school_unit_code)
        rows.append({
            "school": school,
            "e": e,
            "flag": FLAG_LABELS[j["flag"]] if j else "..",
            "code": j["flag"] if j else "..",
            "highlight": bool(area) and school.area == area,
            **{f: _result_number(getattr(e, f), outcome) for f in ("actual", "expected", "value_added")},
            **{f: _result_number(j[f], outcome) if j else ".." for f in ("lower", "upper")},
            "sort": j["shrunken"] if j else float("-inf"),
        })
        if j:
            figures.append({
                "school_unit_code": e.school_unit_code, "outcome": outcome, "suppressed": False, "pupils": e.pupils,
                **{f: float(getattr(e, f)) for f in ("actual", "expected", "value_added")},
                **{f: j[f] for f in ("lower", "upper", "flag", "shrunken")},
            })
    rows.sort(key=lambda r: (-r["sort"], r["school"].name))
    counts = {label: sum(1 for r in rows if r["code"] == flag) for flag, label in FLAG_LABELS.items()}
    charts = {}
    if figures:
        table = pl.DataFrame(figures)
        names = pl.DataFrame(
            {"school_unit_code": list(visible), "name": [s.name for s in visible.values()], "area": [s.area or None for s in visible.values()]},
            schema={"school_unit_code": pl.String, "name": pl.String, "area": pl.String},
        )
        language = "en" if (get_language() or "sv").startswith("en") else "sv"
        charts = {
            "caterpillar": caterpillar_spec(
                table, outcome=outcome, schools=names, language=language, area=area or None,
                title=f"{OUTCOME_LABELS[outcome]}: {gettext('förädlingsvärde med Bonferroni-justerade intervall')}" if adjust == "bonferroni" else None,
            ),  # type: ignore[arg-type]
            "scatter": actual_expected_spec(table, outcome=outcome, schools=names, area=area or None, language=language),  # type: ignore[arg-type]
        }
    return render(
        request,
        "schools/results.html",
        {
            "rows": rows, "year": year, "years": years, "outcome": outcome, "outcomes": OUTCOME_LABELS,
            "adjust": adjust, "adjusts": ADJUST_LABELS, "family": len(judged),
            "outcome_label": OUTCOME_LABELS[outcome], "areas": areas, "area": area, "counts": counts, "charts": charts,
        },
    )


def _school_or_404(request: HttpRequest, code: str) -> Any:
    return get_object_or_404(visible_schools(request.user), school_unit_code=code)


@login_required
def school_detail(request: HttpRequest, code: str) -> HttpResponse:
    school = _school_or_404(request, code)
    from likvard.web.allocation.models import Statement

    runs = []
    for row in Statement.objects.filter(school_unit_code=code, run__scenario__isnull=True).select_related("run").defer("run__data").order_by("run__year", "-run__created_at"):
        s = row.data
        runs.append({"run": row.run, "total": format_ore(s["total_ore"]), "per_pupil": format_ore(s["per_pupil_ore"]) if s.get("per_pupil_ore") is not None else ""})
    latest = _latest_run()
    statement = latest.statement(code) if latest else None
    from likvard.web.allocation.models import ResultEstimate

    labels = OUTCOME_LABELS
    results = [
        dict(outcome=labels.get(r.outcome, r.outcome), r=r, **{f: _result_number(getattr(r, f), r.outcome) for f in ("actual", "expected", "value_added", "lower", "upper")})
        for r in ResultEstimate.objects.filter(school_unit_code=code).order_by("-year", "outcome")
    ]
    from likvard.web.allocation.models import ResultByGender

    genders = {"female": gettext("Flickor"), "male": gettext("Pojkar")}
    by_gender = [
        dict(outcome=labels.get(r.outcome, r.outcome), gender=genders.get(r.gender, r.gender), r=r, **{f: _result_number(getattr(r, f), r.outcome) for f in ("actual", "expected", "value_added")})
        for r in ResultByGender.objects.filter(school_unit_code=code).order_by("-year", "outcome", "gender")
    ]
    return render(request, "schools/detail.html", {"school": school, "runs": runs, "statement": _display(statement) if statement else None, "run": latest, "results": results, "by_gender": by_gender})


def _result_number(text: str | float, outcome: str) -> str:
    """Swedish display: merit value with one decimal, eligibility in percent; ``..`` kept."""
    try:
        value = float(text)
    except ValueError:
        return text
    if outcome == "eligible_vocational":
        return f"{value * 100:.1f}".replace(".", ",").replace("-", "\u2212") + "\u00a0%"
    return f"{value:.1f}".replace(".", ",").replace("-", "\u2212")


def _display(statement: dict[str, Any]) -> dict[str, Any]:
    s = dict(statement)
    lines = []
    previous = None
    for ln in statement["lines"]:
        first = ln["component"] != previous
        previous = ln["component"]
        lines.append(
            dict(
                ln,
                first=first,
                amount=format_ore(ln["amount_ore"]),
                rate=format_ore(ln["rate_ore"]) if ln["rate_ore"] is not None else "",
                qty=format_quantity(ln["quantity"]),
            )
        )
    s["lines"] = lines
    s["total"] = format_ore(statement["total_ore"])
    s["per_pupil"] = format_ore(statement["per_pupil_ore"]) if statement.get("per_pupil_ore") is not None else ""
    return s


@login_required
def statement(request: HttpRequest, code: str, year: int) -> HttpResponse:
    school = _school_or_404(request, code)
    run = _latest_run(year)
    st = run.statement(code) if run else None
    if st is None:
        raise Http404
    return render(request, "schools/statement.html", {"school": school, "statement": _display(st), "run": run, "model": run.data["model"]})


@login_required
def statement_pdf(request: HttpRequest, code: str, year: int) -> HttpResponse:
    _school_or_404(request, code)
    run = _latest_run(year)
    st = run.statement(code) if run else None
    if st is None:
        raise Http404
    from likvard.reports.pdf import statement_pdf as render_pdf

    sources = {c["id"]: c["source"] for c in run.data.get("components", [])}
    pdf = render_pdf(st, {**run.data["model"], "data_source": run.data.get("data_source", "")}, sources)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="resursfordelning-{year}-{code}.pdf"'
    return response


@login_required
def reconciliation(request: HttpRequest, run_id: int) -> HttpResponse:
    if not may_see_aggregates(request.user):
        _deny(request, "reconciliation")
    run = get_object_or_404(AllocationRun, pk=run_id)
    pots = [dict(p, amount=format_ore(p["amount_ore"]), distributed=format_ore(p["distributed_ore"]), difference=format_ore(p["difference_ore"])) for p in run.data["pots"]]
    return render(request, "allocation/reconciliation.html", {"run": run, "pots": pots, "total": format_ore(run.total_ore)})


@login_required
def run_xlsx(request: HttpRequest, run_id: int) -> HttpResponse:
    if not may_download_run(request.user):
        _deny(request, "run workbook")
    run = get_object_or_404(AllocationRun, pk=run_id)
    from likvard.reports.xlsx import write_allocation_xlsx

    tmp = Path(tempfile.mkdtemp()) / "run.xlsx"
    write_allocation_xlsx(run.full_data(), tmp)
    return FileResponse(tmp.open("rb"), as_attachment=True, filename=f"resursfordelning-{run.year}-{run.pk}.xlsx")


# --- models, scenarios, comparison, audit ------------------------------------------------------

def _may_view_models(user: Any) -> bool:
    from likvard.web.accounts.scoping import role_of

    return role_of(user) in ("controller", "analyst", "admin")


def _may_edit_models(user: Any) -> bool:
    from likvard.web.accounts.scoping import role_of

    return role_of(user) in ("controller", "admin")


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    if not _may_view_models(request.user):
        _deny(request, "models")
    from django.conf import settings

    from likvard.engine.allocation import load_model
    from likvard.web.allocation.models import Scenario

    model = load_model(settings.MODEL_DIR)
    if request.method == "POST":
        if not _may_edit_models(request.user):
            _deny(request, "create scenario")
        from likvard.web.services import create_scenario

        try:
            year = int(request.POST.get("year") or model.year)
        except ValueError:
            year = model.year
        name = request.POST.get("name", "").strip() or f"Scenario {year}"
        scenario = create_scenario(request.user, name, year)
        return redirect("allocation:scenario", scenario_id=scenario.pk)
    components = [{"id": c.id, "label": c.label, "kind": KIND_LABELS.get(c.kind, c.kind), "source": c.source, "illustrative": c.illustrative, "file": c.file} for c in model.components]
    return render(request, "allocation/models.html", {"model": model, "components": components, "scenarios": Scenario.objects.filter(retired=False), "may_edit": _may_edit_models(request.user)})


@login_required
def scenario_detail(request: HttpRequest, scenario_id: int) -> HttpResponse:
    if not _may_view_models(request.user):
        _deny(request, "scenario")
    from likvard.engine.allocation import ModelError
    from likvard.web.allocation.models import Scenario
    from likvard.web.services import (
        changed_amounts,
        editable_amounts,
        run_scenario,
        scenario_model,
        set_model_value,
        set_model_values,
    )

    scenario = get_object_or_404(Scenario, pk=scenario_id)
    error = ""
    error_key = ""
    notice = ""
    posted: dict[str, str] = {}
    if request.method == "POST" and request.POST.get("action") == "amounts":
        if not _may_edit_models(request.user):
            _deny(request, "edit scenario")
        posted = {k.removeprefix("amount:"): v for k, v in request.POST.items() if k.startswith("amount:")}
        changes = changed_amounts(scenario_model(scenario), posted)
        if not changes:
            notice = gettext("Inga belopp ändrades.")
        else:
            try:
                set_model_values(request.user, scenario, changes)
                return redirect("allocation:scenario", scenario_id=scenario.pk)
            except ModelError as exc:
                error = str(exc)
                error_key = ".".join(p for p in (exc.component, exc.key.replace("[", ".").replace("]", "")) if p)
    elif request.method == "POST":
        if not _may_edit_models(request.user):
            _deny(request, "edit scenario")
        if request.POST.get("action") == "run":
            from likvard.engine.allocation import AllocationError

            try:
                result = run_scenario(request.user, scenario)
                return redirect("allocation:comparison", run_id=result.pk)
            except (AllocationError, ModelError) as exc:
                error = str(exc)
        else:
            try:
                set_model_value(request.user, scenario, request.POST.get("key", ""), request.POST.get("value", ""))
                return redirect("allocation:scenario", scenario_id=scenario.pk)
            except ModelError as exc:
                error = str(exc)
    model = scenario_model(scenario)
    socio = model.component("socioeconomic") if any(c.id == "socioeconomic" for c in model.components) else None
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
    return render(
        request,
        "allocation/scenario.html",
        {
            "scenario": scenario,
            "model": model,
            "error": error,
            "notice": notice,
            "groups": groups,
            "amounts_error": bool(posted) and bool(error),
            "error_field": next((x["id"] for g in groups for x in g["fields"] if x["invalid"]), ""),
            "key": request.POST.get("key", "socioeconomic.base_amount"),
            "value": request.POST.get("value", ""),
            "base_amount": format_ore(socio.base_amount_ore) if socio else "",
            "runs": scenario.runs.all(),
            "may_edit": _may_edit_models(request.user),
        },
    )


@login_required
def comparison(request: HttpRequest, run_id: int) -> HttpResponse:
    if not _may_view_models(request.user):
        _deny(request, "comparison")
    run = get_object_or_404(AllocationRun, pk=run_id)
    if not run.is_comparison:
        raise Http404
    labels = {c["id"]: c["label"] for c in run.data.get("components", [])}
    rows = []
    for s in run.data["schools"]:
        if not s.get("diff_total_ore"):
            continue
        reasons = [f"{labels.get(k, k)} {format_ore(v)}" for k, v in sorted(s["diff_ore"].items(), key=lambda kv: -abs(kv[1]))]
        rows.append({"code": s["school_unit_code"], "name": s.get("name", ""), "index": s.get("index"), "before": format_ore(s.get("before_total_ore", 0)), "diff": format_ore(s["diff_total_ore"]), "diff_ore": s["diff_total_ore"], "reasons": "; ".join(reasons)})
    rows.sort(key=lambda r: (-r["diff_ore"], r["code"]))
    touched = {k for s in run.data["schools"] for k, v in s.get("diff_ore", {}).items() if v}
    per_component = [
        dict(c, label=labels.get(c["component"], c["component"]), diff=format_ore(c["diff_ore"]), redistributed=c["diff_ore"] == 0)
        for c in run.data["components_diff"]
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
    return render(request, "allocation/comparison.html", {"chart": chart, "run": run, "rows": rows, "winners": len(run.data["winners"]), "losers": len(run.data["losers"]), "per_component": per_component, "overrides": run.data["model"]["overrides"]})


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
AUDIT_ACTIONS = {
    "create_scenario": gettext_lazy("Skapade scenario"),
    "set_value": gettext_lazy("Ändrade"),
    "run_scenario": gettext_lazy("Körde scenario"),
    "import_register": gettext_lazy("Importerade elevregister"),
    "import_skolverket": gettext_lazy("Importerade Skolverkets statistik"),
}


AUDIT_KEYS = {
    "run": gettext_lazy("körning"),
    "overrides": gettext_lazy("ändringar"),
    "name": gettext_lazy("namn"),
    "year": gettext_lazy("år"),
    "years": gettext_lazy("år"),
    "rows": gettext_lazy("rader"),
    "sha256": "SHA-256",
}


def _audit_text(value: Any) -> str:
    """Before/after of an audit entry as plain text ("value: 2 000 kr"), not a Python repr."""
    if value is None:
        return ""
    if isinstance(value, dict):
        if set(value) == {"value"}:
            return "" if value["value"] is None else str(value["value"])
        return "; ".join(f"{AUDIT_KEYS.get(k, k)}: {_audit_text(v) if isinstance(v, dict | list) else v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    return str(value)


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not _may_edit_models(request.user):
        _deny(request, "audit log")
    from likvard.web.allocation.models import AuditEntry

    entries = [
        {"e": e, "action": AUDIT_ACTIONS.get(e.action, e.action), "before": _audit_text(e.before), "after": _audit_text(e.after)}
        for e in AuditEntry.objects.select_related("user")[:500]
    ]
    return render(request, "allocation/audit.html", {"entries": entries})


@login_required
def register_import(request: HttpRequest) -> HttpResponse:
    if not _may_edit_models(request.user):
        _deny(request, "import")
    from likvard.web.imports.models import ImportedFile
    from likvard.web.imports.service import import_register

    context: dict[str, Any] = {"files": ImportedFile.objects.all()[:50]}
    if request.method == "POST" and request.FILES.get("file"):
        from likvard.web.imports.service import import_skolverket

        upload = request.FILES["file"]
        importer = import_skolverket if request.POST.get("kind") == "skolverket" else import_register
        result = importer(request.user, upload.name or "upload.csv", upload.read())
        context.update(problems=result.problems, duplicate=result.duplicate_of, imported=result.imported)
        context["files"] = ImportedFile.objects.all()[:50]
    return render(request, "imports/upload.html", context)
