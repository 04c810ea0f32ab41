"""The goal follow-up's inputs read from the database, as the workflow's ``GoalData``.

Why one reader: the pages, the API and the reports must show the same outcomes; they all take
``goal_data(plan)`` and give it to ``likvard.workflows.goals``. Skolverket's figures come from
``PublishedStatistic``, the split by gender from the fitted results (``ResultByGender``, the
register's outcomes), expected results from ``ResultEstimate``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from likvard.data.outcomes import OUTCOME_SCHEMA
from likvard.data.plan import Activity as ActivityData
from likvard.data.plan import Goal as GoalItem
from likvard.data.plan import Indicator as IndicatorData
from likvard.data.plan import Plan as PlanData
from likvard.engine.indicators import period_sort_key
from likvard.web.results.models import PublishedStatistic, ResultByGender, ResultEstimate
from likvard.web.schools.models import School
from likvard.workflows.goals import GoalData, all_outcomes, school_year

from .actions import frame_of_targets
from .models import Activity, Goal, Indicator, Outcome, Plan, SchoolTarget

__all__ = ["TargetRow", "current_plan", "goal_data", "plan_data", "result_indicators", "target_rows"]

#: The results pages' outcomes by the plan's ``statistic``.
RESULT_OUTCOMES = {"merit_value": "merit_value", "share_eligible_vocational": "eligible_vocational"}
_SCALE = {"merit_value": 1.0, "eligible_vocational": 100.0}
_GENDER = {"female": "flickor", "male": "pojkar"}


def current_plan(year: str | None = None) -> Plan | None:
    plans = Plan.objects.all()
    if year and year.isascii() and year.isdigit():
        return plans.filter(year=int(year)).first() or plans.first()
    return plans.first()


def plan_data(plan: Plan) -> PlanData:
    goals = list(Goal.objects.filter(plan=plan, retired=False).select_related("parent"))
    indicators = list(Indicator.objects.filter(plan=plan, retired=False).select_related("goal"))
    activities = list(Activity.objects.filter(plan=plan, retired=False).select_related("goal"))
    return PlanData(
        year=plan.year,
        organisation=plan.organisation,
        source=plan.source,
        goals=tuple(GoalItem(g.code, g.level, g.text, g.parent.code if g.parent else None, g.numbered, tuple(g.expected_results), g.line) for g in goals),  # type: ignore[arg-type]
        indicators=tuple(
            IndicatorData(
                key=i.key, name=i.name, goal=i.goal.code, goal_level=i.goal.level, unit=i.unit, periodicity=i.periodicity, direction=i.direction,  # type: ignore[arg-type]
                by_gender=i.by_gender, level=i.level, source=i.source, target=i.target, council_target=i.council_target,  # type: ignore[arg-type]
                target_text=i.target_text, council_target_text=i.council_target_text, plus_minus=i.plus_minus,
                statistic=i.statistic or None, grade=i.grade, line=i.line,
            )
            for i in indicators
        ),
        activities=tuple(ActivityData(a.text, a.start if isinstance(a.start, dt.date) else dt.date.fromisoformat(str(a.start)), a.end, a.goal.code, a.goal.level, a.lead, a.line, a.number) for a in activities),  # type: ignore[arg-type]
        municipality=plan.municipality_code,
    )


def _schools() -> pl.DataFrame:
    rows = School.objects.values_list("school_unit_code", "name", "operator", "municipality_code", "area")
    return pl.DataFrame(
        [(c, n, o, m, a or None) for c, n, o, m, a in rows],
        schema={"school_unit_code": pl.String, "name": pl.String, "operator": pl.String, "municipality_code": pl.String, "area": pl.String},
        orient="row",
    )


def goal_data(plan: Plan, data: PlanData | None = None, only: str | None = None) -> GoalData:
    """Everything the follow-up of ``plan`` reads; ``only``: one indicator's (its page)."""
    data = data or plan_data(plan)
    chosen = [i for i in data.indicators if only is None or i.key == only]
    wanted = sorted({i.published_indicator for i in chosen if i.published_indicator} | {"pupils_grade9"})
    stats = PublishedStatistic.objects.filter(indicator__in=wanted).values_list("school__school_unit_code", "indicator", "period", "value")
    statistics = pl.DataFrame(list(stats), schema={"school_unit_code": pl.String, "indicator": pl.String, "period": pl.String, "value": pl.Float64}, orient="row")
    stored = (Outcome.objects.filter(indicator=only) if only else Outcome.objects.all()).values_list("indicator", "period", "level", "school__school_unit_code", "area", "gender", "value", "pupils", "source")
    rows = [(k, p, lv, s, a or None, g, v, n, src) for k, p, lv, s, a, g, v, n, src in stored]
    rows += _gender_rows(data, only)
    outcomes = pl.DataFrame(rows, schema=OUTCOME_SCHEMA, orient="row")
    return GoalData(
        plan=data, municipality=plan.municipality_code, schools=_schools(), statistics=statistics, outcomes=outcomes,
        targets=frame_of_targets(), expected=_expected(data), grade9_pupils=_grade9_pupils(),
    )


def _grade9_pupils() -> pl.DataFrame:
    """The register's year-9 pupils per school and school year, as the fitted results counted
    them (the weight of Skolverket's figures for the years it publishes no pupil count)."""
    rows = ResultEstimate.objects.filter(outcome="merit_value").values_list("school__school_unit_code", "year", "pupils")
    return pl.DataFrame([(c, school_year(y), n) for c, y, n in rows], schema={"school_unit_code": pl.String, "period": pl.String, "pupils": pl.Int64}, orient="row")


def _gender_rows(data: PlanData, only: str | None = None) -> list[tuple[object, ...]]:
    """The fitted results by gender as school outcomes (source ``register``); a hidden group
    (fewer than 10 pupils, or its other half) has no value."""
    by_outcome = {RESULT_OUTCOMES[i.statistic]: i for i in data.indicators if i.by_gender and i.statistic in RESULT_OUTCOMES and i.grade == 9 and only in (None, i.key)}
    rows: list[tuple[object, ...]] = []
    for r in ResultByGender.objects.filter(outcome__in=list(by_outcome)).values("school__school_unit_code", "school__area", "year", "outcome", "gender", "pupils", "suppressed", "actual"):
        gender = _GENDER.get(r["gender"])
        if gender is None:
            continue
        value = None if r["suppressed"] or r["actual"] is None else float(r["actual"]) * _SCALE[r["outcome"]]
        rows.append((by_outcome[r["outcome"]].key, school_year(r["year"]), "school", r["school__school_unit_code"], r["school__area"] or None, gender, value, r["pupils"], "register"))
    return rows


def _expected(data: PlanData) -> pl.DataFrame:
    by_outcome = {RESULT_OUTCOMES[i.statistic]: i for i in data.indicators if i.statistic in RESULT_OUTCOMES and i.grade == 9}
    rows = [
        (r["school__school_unit_code"], by_outcome[r["outcome"]].key, school_year(r["year"]), None if r["suppressed"] or r["expected"] is None else float(r["expected"]) * _SCALE[r["outcome"]])
        for r in ResultEstimate.objects.filter(outcome__in=list(by_outcome)).values("school__school_unit_code", "outcome", "year", "suppressed", "expected")
    ]
    return pl.DataFrame(rows, schema={"school_unit_code": pl.String, "indicator": pl.String, "period": pl.String, "expected": pl.Float64}, orient="row")


def result_indicators(plan: Plan) -> list[Indicator]:
    """The indicators a school sets a target for: the knowledge results Likvärd computes."""
    data = plan_data(plan)
    keys = {i.key for i in data.indicators if i.published_indicator}
    return list(Indicator.objects.filter(plan=plan, retired=False, key__in=keys))


@dataclass(frozen=True)
class TargetRow:
    """One result indicator of a school: its latest outcome before the plan's school year, the
    expected result then, the school's target for the year, and whether the target lies under
    that outcome (the ambition shall keep rising, seed 001 L130–134)."""

    indicator: Indicator
    last_period: str | None
    last: float | None
    expected: float | None
    target: float | None
    below: bool


def target_rows(plan: Plan, school: School) -> list[TargetRow]:
    """The targets page's and the result dialogue's rows for ``school`` in ``plan``'s year."""
    period = school_year(plan.year)
    data = goal_data(plan)
    outcomes = all_outcomes(data)
    mine = outcomes.filter((pl.col("school_unit_code") == school.school_unit_code) & (pl.col("gender") == "") & (pl.col("level") == "school"))
    expected = {} if data.expected is None else {(k, p): e for c, k, p, e in data.expected.iter_rows() if c == school.school_unit_code}
    targets = {t.indicator: t.target for t in SchoolTarget.objects.filter(school=school, period=period)}
    rows = []
    for ind in result_indicators(plan):
        earlier = sorted(
            ((p, v) for k, p, v in mine.select("indicator", "period", "value").iter_rows() if k == ind.key and v is not None and period_sort_key(p) < period_sort_key(period)),
            key=lambda x: period_sort_key(x[0]),
        )
        last_period, last_value = earlier[-1] if earlier else (None, None)
        t = targets.get(ind.key)
        below = t is not None and last_value is not None and ((t < last_value) if ind.direction == "higher" else (t > last_value))
        rows.append(TargetRow(ind, last_period, last_value, expected.get((ind.key, last_period)) if last_period else None, t, below))
    return rows
