"""Changing the goal follow-up: importing a plan, outcomes and targets, a principal's target,
an activity's status, a report's analysis text. Each is atomic, takes the actor first and
writes an audit row (architecture §4)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction

from likvard.data.outcomes import read_outcomes, read_targets
from likvard.data.plan import Plan as PlanData
from likvard.data.plan import read_plan
from likvard.data.problems import Problem
from likvard.data.register import InputError
from likvard.data.tables import Upload
from likvard.web.audit.actions import record
from likvard.web.imports.actions import ImportOutcome, guarded
from likvard.web.imports.models import ImportedFile
from likvard.web.schools.models import School

from .models import Activity, AnalysisText, Goal, Indicator, Outcome, Plan, SchoolTarget

__all__ = ["enter_outcome", "import_goal_file", "import_outcomes", "import_plan", "import_targets", "save_text", "set_activity_status", "set_target"]


def _upload(source: Path | Upload) -> Upload:
    return source if isinstance(source, Upload) else Upload(Path(source).name, Path(source).read_bytes())


def _one(kind: str, sources: Iterable[Path | Upload], outcome: ImportOutcome) -> Upload | None:
    files = list(sources)
    if len(files) != 1:
        outcome.problems.append(Problem(kind, None, None, f"ange en fil för {kind} (fick {len(files)})"))
        return None
    try:
        return _upload(files[0])
    except OSError:
        outcome.problems.append(Problem(Path(str(files[0])).name, None, None, "filen finns inte eller kan inte läsas"))
        return None


def _file(actor: Any, kind: str, upload: Upload, rows: int) -> ImportedFile:
    user = actor if getattr(actor, "pk", None) is not None else None
    return ImportedFile.objects.create(sha256=hashlib.sha256(upload.content).hexdigest(), kind=kind, filename=upload.name[:255], rows=rows, uploaded_by=user)


def _summarise(f: ImportedFile, summary: dict[str, Any]) -> None:
    f.summary = summary
    f.save(update_fields=["summary"])


def _default_municipality() -> str:
    """The municipality of the installation's allocation model (``LIKVARD_MODEL_DIR``)."""
    from django.conf import settings

    from likvard.workflows import load_model

    return load_model(settings.MODEL_DIR).municipality


def import_plan(actor: Any, sources: Iterable[Path | Upload]) -> ImportOutcome:
    """A year's plan (plan.toml). Importing the same year again updates the items it still
    holds and retires the others; nothing is deleted."""
    outcome = ImportOutcome("plan")
    upload = _one("plan", sources, outcome)
    if upload is None:
        return outcome
    try:
        data = read_plan(upload)
    except InputError as err:
        outcome.problems.extend(err.problems)
        return outcome

    def store() -> None:
        f = _file(actor, "plan", upload, len(data.goals) + len(data.indicators) + len(data.activities))
        plan, counts = _store_plan(data, f)
        outcome.files.append(f)
        outcome.summary = counts
        _summarise(f, counts)
        record(actor, "import_plan", f"{plan} ({upload.name})", after=counts)

    return guarded(outcome, store)


def _store_plan(data: PlanData, f: ImportedFile) -> tuple[Plan, dict[str, int]]:
    municipality = data.municipality or _default_municipality()
    plan, _ = Plan.objects.update_or_create(year=data.year, municipality_code=municipality, defaults={"organisation": data.organisation, "source": data.source, "file": f})
    goals: dict[tuple[str, str], Goal] = {}
    for position, g in enumerate(data.goals):  # top down: a parent is stored before its children
        parent = goals.get((_parent_level(g.level), g.parent or "")) if g.parent else None
        goals[g.key], _ = Goal.objects.update_or_create(
            plan=plan, level=g.level, code=g.code,
            defaults={"parent": parent, "text": g.text, "numbered": g.numbered, "expected_results": list(g.expected_results), "line": g.line, "position": position, "retired": False},
        )
    for position, i in enumerate(data.indicators):
        Indicator.objects.update_or_create(
            plan=plan, key=i.key,
            defaults={
                "name": i.name, "goal": goals[(i.goal_level, i.goal)], "unit": i.unit, "target": i.target, "council_target": i.council_target,
                "target_text": i.target_text, "council_target_text": i.council_target_text, "plus_minus": i.plus_minus,
                "periodicity": i.periodicity, "direction": i.direction, "by_gender": i.by_gender, "level": i.level, "source": i.source,
                "statistic": i.statistic or "", "grade": i.grade, "line": i.line, "position": position, "retired": False,
            },
        )
    for a in data.activities:
        Activity.objects.update_or_create(
            plan=plan, number=a.number,
            defaults={"goal": goals[(a.goal_level, a.goal)], "text": a.text, "start": a.start, "end": a.end, "lead": a.lead, "line": a.line, "retired": False},
        )
    retired = {
        "goals": Goal.objects.filter(plan=plan, retired=False).exclude(pk__in=[g.pk for g in goals.values()]).update(retired=True),
        "indicators": Indicator.objects.filter(plan=plan, retired=False).exclude(key__in=[i.key for i in data.indicators]).update(retired=True),
        "activities": Activity.objects.filter(plan=plan, retired=False).exclude(number__in=[a.number for a in data.activities]).update(retired=True),
    }
    return plan, {**data.counts(), **{f"retired_{k}": v for k, v in retired.items()}}


def _parent_level(level: str) -> str:
    return {"area": "direction", "committee": "area"}.get(level, "")


def _plan_keys() -> list[str]:
    return sorted(set(Indicator.objects.values_list("key", flat=True)))


def import_outcomes(actor: Any, sources: Iterable[Path | Upload], *, synthetic: bool = False) -> ImportOutcome:
    """Outcomes (outcomes.csv/.xlsx) of the plans' indicators; a row for the same indicator,
    period, level, school or area and gender replaces the stored one."""
    outcome = ImportOutcome("outcomes")
    upload = _one("outcomes", sources, outcome)
    if upload is None:
        return outcome
    keys = _plan_keys()
    if not keys:
        outcome.problems.append(Problem(upload.name, None, None, "importera planen (plan.toml) först: utfallen hör till dess indikatorer"))
        return outcome
    schools = {s.school_unit_code: (s.pk, s.area) for s in School.objects.all()}
    try:
        frame = read_outcomes(upload, keys, {c: a or None for c, (_, a) in schools.items()}, synthetic=synthetic)
    except InputError as err:
        outcome.problems.extend(err.problems)
        return outcome

    def store() -> None:
        f = _file(actor, "outcomes", upload, frame.height)
        rows = [
            Outcome(
                indicator=r["indicator"], period=r["period"], level=r["level"], school_id=schools[r["school_unit_code"]][0] if r["school_unit_code"] else None,
                area=r["area"] or "", gender=r["gender"], value=r["value"], pupils=r["pupils"], source=r["source"], file=f,
                scope=r["school_unit_code"] or (r["area"] if r["level"] == "area" else "") or "",
            )
            for r in frame.iter_rows(named=True)
        ]
        Outcome.objects.bulk_create(rows, batch_size=2_000, update_conflicts=True, unique_fields=["indicator", "period", "level", "scope", "gender"], update_fields=["value", "pupils", "source", "file", "school", "area"])
        outcome.files.append(f)
        outcome.summary = {"outcomes": frame.height, "indicators": frame["indicator"].n_unique(), "synthetic": synthetic}
        _summarise(f, outcome.summary)
        record(actor, "import_outcomes", upload.name, after=outcome.summary)

    return guarded(outcome, store)


def import_targets(actor: Any, sources: Iterable[Path | Upload]) -> ImportOutcome:
    """Schools' annual targets (targets.csv/.xlsx), e.g. collected from the principals."""
    outcome = ImportOutcome("targets")
    upload = _one("targets", sources, outcome)
    if upload is None:
        return outcome
    ids = dict(School.objects.values_list("school_unit_code", "pk"))
    try:
        frame = read_targets(upload, _plan_keys(), set(ids))
    except InputError as err:
        outcome.problems.extend(err.problems)
        return outcome

    def store() -> None:
        f = _file(actor, "targets", upload, frame.height)
        rows = [SchoolTarget(indicator=r["indicator"], period=r["period"], school_id=ids[r["school_unit_code"]], target=r["target"]) for r in frame.iter_rows(named=True)]
        SchoolTarget.objects.bulk_create(rows, batch_size=2_000, update_conflicts=True, unique_fields=["indicator", "period", "school"], update_fields=["target"])
        outcome.files.append(f)
        outcome.summary = {"targets": frame.height}
        _summarise(f, outcome.summary)
        record(actor, "import_targets", upload.name, after=outcome.summary)

    return guarded(outcome, store)


def import_goal_file(actor: Any, kind: str, sources: Iterable[Path | Upload]) -> ImportOutcome:
    """``likvard import plan|outcomes|targets FILE`` and the upload page."""
    if kind == "plan":
        return import_plan(actor, sources)
    if kind == "outcomes":
        return import_outcomes(actor, sources)
    return import_targets(actor, sources)


@transaction.atomic
def set_target(actor: Any, school: School, indicator: str, period: str, target: float | None) -> SchoolTarget | None:
    """A principal's target for their school (None removes it)."""
    current = SchoolTarget.objects.filter(school=school, indicator=indicator, period=period).first()
    before = current.target if current else None
    if target is None:
        if current:
            current.delete()
        record(actor, "set_target", f"{school.school_unit_code} {indicator} {period}", before=before, after=None)
        return None
    obj, _ = SchoolTarget.objects.update_or_create(school=school, indicator=indicator, period=period, defaults={"target": target, "set_by": actor if getattr(actor, "pk", None) else None})
    record(actor, "set_target", f"{school.school_unit_code} {indicator} {period}", before=before, after=target)
    return obj


@transaction.atomic
def enter_outcome(actor: Any, indicator: str, period: str, value: float | None, *, school: School | None = None, area: str = "", gender: str = "", pupils: int | None = None) -> Outcome:
    """An outcome entered on the indicator page (source ``form``): the city's when neither a
    school nor an area is given. It replaces a stored one for the same key."""
    level = "school" if school else ("area" if area else "city")
    scope = school.school_unit_code if school else area
    before = Outcome.objects.filter(indicator=indicator, period=period, level=level, scope=scope, gender=gender).values("value", "source").first()
    obj, _ = Outcome.objects.update_or_create(
        indicator=indicator, period=period, level=level, scope=scope, gender=gender,
        defaults={"school": school, "area": area if level == "area" else (school.area if school else ""), "value": value, "pupils": pupils, "source": "form", "file": None},
    )
    record(actor, "enter_outcome", f"{indicator} {period} {level} {scope or 'staden'} {gender or 'alla'}", before=before, after={"value": value, "pupils": pupils})
    return obj


@transaction.atomic
def set_activity_status(actor: Any, activity: Activity, status: str, comment: str = "") -> Activity:
    before = {"status": activity.status, "comment": activity.comment}
    activity.status, activity.comment = status, comment
    activity.save(update_fields=["status", "comment"])
    record(actor, "set_activity_status", f"{activity.plan} aktivitet {activity.number}", before=before, after={"status": status, "comment": comment})
    return activity


@transaction.atomic
def save_text(actor: Any, plan: Plan, period: str, goal_key: str, text: str) -> AnalysisText:
    obj, _ = AnalysisText.objects.get_or_create(plan=plan, period=period, goal_key=goal_key)
    before = obj.text
    obj.text, obj.updated_by = text, actor if getattr(actor, "pk", None) else None
    obj.save()
    record(actor, "save_report_text", f"{plan} {period} {goal_key or 'rapport'}", before=before, after=text)
    return obj


def frame_of_targets() -> pl.DataFrame:
    rows = SchoolTarget.objects.values_list("indicator", "period", "school__school_unit_code", "target")
    return pl.DataFrame(list(rows), schema={"indicator": pl.String, "period": pl.String, "school_unit_code": pl.String, "target": pl.Float64}, orient="row")
