"""Goal follow-up: every indicator's outcomes by period, level and gender, with status, trend
and the ambition check — the one place the CLI, the web pages, the API and the reports get
them from.

Where outcomes come from (``source``): Skolverket's published school statistics for the
indicators the plan maps to them (``statistic``/``grade``); the pupil register for the split
by gender of the register's outcomes (merit value, eligibility); imported tables (surveys,
sick leave, budget; the demo's survey is synthetic and says so); forms. Areas and the city
are the pupil-weighted means of the municipality's *own* schools (``aggregate``), unless a
table gives the area's or city's figure itself, which then wins.

Status compares a city or area figure with the plan's annual target (the council's when the
committee set none), a school's with the school's own target for that period when it set one,
else the plan's (docs/methods/indicators.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from likvard.data.outcomes import OUTCOME_SCHEMA, TARGET_SCHEMA
from likvard.data.plan import Indicator, Plan
from likvard.engine.indicators import (
    AmbitionFlag,
    aggregate,
    ambition_flags,
    period_sort_key,
    status,
    trend,
)

__all__ = ["GoalData", "all_outcomes", "ambition", "grade9_pupils", "indicator_series", "plan_dict", "report_period", "school_outcomes", "school_year", "walk_goals"]

#: Register columns that give an indicator's split by gender, by the plan's ``statistic``.
REGISTER_OUTCOMES = {"merit_value": (pl.col("merit_value"), 1.0), "share_eligible_vocational": (pl.col("eligible_vocational").cast(pl.Float64), 100.0)}
GENDER_OF_REGISTER = {"female": "flickor", "male": "pojkar", "f": "flickor", "m": "pojkar", "flicka": "flickor", "pojke": "pojkar"}
MIN_PUPILS = 10
_SCHOOL_COLUMNS = [c for c in OUTCOME_SCHEMA if c != "level"]


def school_year(year: int) -> str:
    """The school year a register year's results belong to (2024 → "2024/25"), the
    convention of the results pages."""
    return f"{year}/{(year + 1) % 100:02d}"


def report_period(plan_year: int, indicator: Indicator, periods: list[str]) -> str | None:
    """The period a plan year's report shows for an indicator: the latest period of the data
    that ends in or before the plan year (a school year ending in spring of the plan year,
    the calendar year itself, its latest tertial)."""
    eligible = [p for p in periods if _end_year(p) <= plan_year]
    return max(eligible, key=period_sort_key) if eligible else None


def _end_year(period: str) -> int:
    year, _ = period_sort_key(period)
    return year + 1 if "/" in period else year


@dataclass(frozen=True)
class GoalData:
    """What the follow-up reads, for one municipality and plan."""

    plan: Plan
    municipality: str
    schools: pl.DataFrame  # the school register: school_unit_code, name, operator, municipality_code, area
    statistics: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"school_unit_code": pl.String, "indicator": pl.String, "period": pl.String, "value": pl.Float64}))
    outcomes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=OUTCOME_SCHEMA))  # imported
    targets: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=TARGET_SCHEMA))
    register: pl.DataFrame | None = None  # pupils (year, school_unit_code, grade, gender, outcome columns)
    #: expected results: school_unit_code, indicator (the plan's key), period, expected
    expected: pl.DataFrame | None = None
    #: year-9 pupils per school and school year from the register (school_unit_code, period,
    #: pupils): the weight where Skolverket publishes no pupil count (earlier years)
    grade9_pupils: pl.DataFrame | None = None

    def own_schools(self) -> pl.DataFrame:
        return self.schools.filter((pl.col("operator") == "municipal") & (pl.col("municipality_code") == self.municipality))


def _published(data: GoalData) -> pl.DataFrame:
    """School rows from Skolverket's statistics, with the year-9 pupils as weight."""
    frames = []
    pupils9 = data.statistics.filter(pl.col("indicator") == "pupils_grade9").select("school_unit_code", "period", pl.col("value").cast(pl.Int64).alias("pupils"))
    for ind in data.plan.indicators:
        name = ind.published_indicator
        if name is None:
            continue
        rows = data.statistics.filter(pl.col("indicator") == name).select("school_unit_code", "period", "value")
        if ind.grade == 9:
            rows = rows.join(pupils9, on=["school_unit_code", "period"], how="left")
            if data.grade9_pupils is not None:
                register = data.grade9_pupils.select("school_unit_code", "period", pl.col("pupils").cast(pl.Int64).alias("_register"))
                rows = rows.join(register, on=["school_unit_code", "period"], how="left").with_columns(pl.coalesce("pupils", "_register").alias("pupils")).drop("_register")
        else:
            rows = rows.with_columns(pl.lit(None, dtype=pl.Int64).alias("pupils"))
        frames.append(rows.with_columns(pl.lit(ind.key).alias("indicator"), pl.lit("").alias("gender"), pl.lit("skolverket").alias("source")))
    return pl.concat(frames) if frames else pl.DataFrame()


def _by_gender(data: GoalData) -> pl.DataFrame:
    """The register's outcomes by gender per school and year; both genders hidden when either
    has fewer than 10 pupils (one could otherwise be derived from the published total)."""
    reg = data.register
    if reg is None or reg.height == 0 or "gender" not in reg.columns:
        return pl.DataFrame()
    frames = []
    for ind in data.plan.indicators:
        if not ind.by_gender or ind.statistic not in REGISTER_OUTCOMES or ind.grade is None:
            continue
        expr, scale = REGISTER_OUTCOMES[ind.statistic]
        column = expr.meta.root_names()[0]
        if column not in reg.columns:
            continue
        g = (
            reg.filter((pl.col("grade") == str(ind.grade)) & pl.col(column).is_not_null())
            .with_columns(pl.col("gender").str.to_lowercase().replace_strict(GENDER_OF_REGISTER, default=None).alias("gender"))
            .filter(pl.col("gender").is_not_null())
            .group_by("school_unit_code", "year", "gender")
            .agg((expr.mean() * scale).alias("value"), pl.len().cast(pl.Int64).alias("pupils"))
        )
        smallest = g.group_by("school_unit_code", "year").agg(pl.col("pupils").min().alias("_min"), pl.len().alias("_groups"))
        g = g.join(smallest, on=["school_unit_code", "year"]).with_columns(
            pl.when((pl.col("_min") < MIN_PUPILS) | (pl.col("_groups") < 2)).then(None).otherwise(pl.col("value")).alias("value")
        )
        frames.append(
            g.select(
                "school_unit_code",
                pl.col("year").map_elements(school_year, return_dtype=pl.String).alias("period"),
                "value",
                "pupils",
                pl.lit(ind.key).alias("indicator"),
                "gender",
                pl.lit("register").alias("source"),
            )
        )
    return pl.concat(frames) if frames else pl.DataFrame()


def grade9_pupils(register: pl.DataFrame) -> pl.DataFrame:
    """Year-9 pupils per school and school year in a register (the weights of ``GoalData``)."""
    return (
        register.filter(pl.col("grade") == "9")
        .group_by("school_unit_code", "year")
        .agg(pl.len().cast(pl.Int64).alias("pupils"))
        .select("school_unit_code", pl.col("year").map_elements(school_year, return_dtype=pl.String).alias("period"), "pupils")
    )


def all_outcomes(data: GoalData) -> pl.DataFrame:
    """Every outcome (``OUTCOME_SCHEMA`` plus ``weighted``, ``groups``, ``hidden``), schools
    of the register and the municipality's areas and city, sorted by indicator, level,
    school, gender and period."""
    codes = data.schools.select("school_unit_code", "area")
    school_rows = [f for f in (_published(data), _by_gender(data)) if f.height]
    imported = data.outcomes
    schools = pl.concat(
        [
            *[f.join(codes, on="school_unit_code", how="inner").select(_SCHOOL_COLUMNS) for f in school_rows],
            imported.filter(pl.col("level") == "school").select(_SCHOOL_COLUMNS),
        ],
        how="vertical_relaxed",
    ).with_columns(pl.lit("school").alias("level"))
    own = data.own_schools().select("school_unit_code")
    mine = schools.join(own, on="school_unit_code", how="semi")
    keys = ["indicator", "period", "gender"]
    city = aggregate(mine, keys).with_columns(pl.lit("city").alias("level"), pl.lit(None, dtype=pl.String).alias("area"))
    area = aggregate(mine.filter(pl.col("area").is_not_null()), [*keys, "area"]).with_columns(pl.lit("area").alias("level"))
    given = imported.filter(pl.col("level") != "school")
    computed = pl.concat([city, area], how="diagonal_relaxed").with_columns(
        pl.lit(None, dtype=pl.String).alias("school_unit_code"), pl.lit("aggregate").alias("source")
    )
    # a figure the municipality imported for an area or the city wins over the computed mean
    computed = computed.join(given.select("indicator", "period", "gender", "level", "area"), on=["indicator", "period", "gender", "level", "area"], how="anti", nulls_equal=True)
    out = pl.concat([schools.with_columns(pl.lit(True).alias("weighted"), pl.lit(1).alias("groups"), pl.lit(0).alias("hidden")), given, computed], how="diagonal_relaxed")
    out = out.with_columns(pl.col("value").cast(pl.Float64), pl.col("pupils").cast(pl.Int64))
    return out.select([*OUTCOME_SCHEMA, "weighted", "groups", "hidden"]).sort(["indicator", "level", "school_unit_code", "gender", "period"], nulls_last=False)


def _target_for(ind: Indicator, targets: dict[tuple[str, str, str], float], school: str | None, period: str) -> float | None:
    if school is not None and (ind.key, period, school) in targets:
        return targets[(ind.key, period, school)]
    return ind.target if ind.target is not None else ind.council_target


def _targets(data: GoalData) -> dict[tuple[str, str, str], float]:
    return {(k, p, s): float(t) for k, p, s, t in data.targets.select("indicator", "period", "school_unit_code", "target").iter_rows()}


def indicator_series(data: GoalData, key: str, outcomes: pl.DataFrame | None = None) -> dict[str, Any]:
    """One indicator for its page and the reports: the city's and areas' series by period
    and gender with status and trend, and every school's outcomes, targets and expected."""
    ind = data.plan.indicator(key)
    if ind is None:
        raise KeyError(key)
    rows = (all_outcomes(data) if outcomes is None else outcomes).filter(pl.col("indicator") == key)
    targets = _targets(data)
    periods = sorted(set(rows["period"].to_list()), key=period_sort_key)

    # one pass over the rows: (level, school, area) → gender → period → row
    grouped: dict[tuple[str, str | None, str | None], dict[str, dict[str, dict[str, Any]]]] = {}
    for r in rows.iter_rows(named=True):
        where = (r["level"], r["school_unit_code"] if r["level"] == "school" else None, r["area"] if r["level"] == "area" else None)
        grouped.setdefault(where, {}).setdefault(r["gender"], {})[r["period"]] = r

    def series(level: str, school: str | None = None, area: str | None = None) -> dict[str, Any]:
        found = grouped.get((level, school, area), {})
        by_gender: dict[str, dict[str, Any]] = {}
        for gender in ("", "flickor", "pojkar"):
            g = found.get(gender)
            if not g:
                continue
            values = [g[p]["value"] if p in g else None for p in periods]
            tr = trend(values, ind.direction)
            goals = [_target_for(ind, targets, school, p) for p in periods]
            by_gender[gender] = {
                "values": values,
                "pupils": [g[p]["pupils"] if p in g else None for p in periods],
                "status": [status(v, t, ind.direction, plus_minus=ind.plus_minus).value for v, t in zip(values, goals, strict=True)],
                "targets": goals,
                "trend": tr.trend.value,
                "slope": tr.slope,
                "weighted": all(g[p]["weighted"] is not False for p in g),
                "source": sorted({g[p]["source"] for p in g}),
            }
        return by_gender

    areas = sorted({a for (level, _, a) in grouped if level == "area" and a})
    expected: dict[tuple[str, str], float] = {}
    if data.expected is not None:
        expected = {(s, p): float(e) for s, p, e in data.expected.filter(pl.col("indicator") == key).select("school_unit_code", "period", "expected").iter_rows() if e is not None}
    names = dict(data.schools.select("school_unit_code", "name").iter_rows())
    school_codes = sorted({c for (level, c, _) in grouped if level == "school" and c})
    schools = []
    for code in school_codes:
        s = series("school", school=code)
        schools.append({"school_unit_code": code, "name": names.get(code, code), "series": s, "expected": [expected.get((code, p)) for p in periods]})
    return {"indicator": ind, "periods": periods, "city": series("city"), "areas": {a: series("area", area=a) for a in areas}, "schools": schools}


def school_outcomes(data: GoalData, code: str) -> list[dict[str, Any]]:
    """Every school-level indicator's outcomes for one school (the ``likvard outcomes`` JSON)."""
    rows = all_outcomes(data).filter((pl.col("level") == "school") & (pl.col("school_unit_code") == code))
    targets = _targets(data)
    out = []
    for ind in data.plan.indicators:
        mine = rows.filter(pl.col("indicator") == ind.key)
        if ind.level != "school" and mine.height == 0:
            continue
        outcomes = []
        for r in sorted(mine.iter_rows(named=True), key=lambda r: (period_sort_key(r["period"]), r["gender"])):
            item: dict[str, Any] = {"period": r["period"], "value": r["value"], "pupils": r["pupils"], "source": r["source"]}
            if r["gender"]:
                item["gender"] = r["gender"]
            item["status"] = status(r["value"], _target_for(ind, targets, code, r["period"]), ind.direction, plus_minus=ind.plus_minus).value
            outcomes.append(item)
        out.append({"key": ind.key, "name": ind.name, "unit": ind.unit, "target": ind.target, "direction": ind.direction, "outcomes": outcomes})
    return out


def ambition(data: GoalData, area: str | None = None, outcomes: pl.DataFrame | None = None) -> list[AmbitionFlag]:
    """Schools whose target is below their outcome of the year before (for an area chief:
    their area's schools only)."""
    rows = (all_outcomes(data) if outcomes is None else outcomes).filter((pl.col("level") == "school") & (pl.col("gender") == ""))
    targets = data.targets
    if area is not None:
        in_area = data.schools.filter(pl.col("area") == area).select("school_unit_code")
        targets = targets.join(in_area, on="school_unit_code", how="semi")
    expected = data.expected if data.expected is not None else pl.DataFrame(schema={"school_unit_code": pl.String, "indicator": pl.String, "period": pl.String, "expected": pl.Float64})
    rows = rows.join(expected.select("school_unit_code", "indicator", "period", "expected"), on=["school_unit_code", "indicator", "period"], how="left")
    directions = {i.key: i.direction for i in data.plan.indicators}
    return ambition_flags(targets.select("school_unit_code", "indicator", "period", "target"), rows.select("school_unit_code", "indicator", "period", "value", "expected"), directions)


def plan_dict(plan: Plan) -> dict[str, Any]:
    """The ``likvard plan`` JSON: goals, indicators, activities (docs/cli.md)."""
    return {
        "year": plan.year,
        "organisation": plan.organisation,
        "source": plan.source,
        "counts": plan.counts(),
        "goals": [
            {"code": g.code, "level": g.level, "text": g.text, "parent": g.parent, "numbered": g.numbered, "expected_results": list(g.expected_results), "line": g.line}
            for g in plan.goals
        ],
        "indicators": [
            {
                "key": i.key, "name": i.name, "unit": i.unit, "target": i.target, "target_text": i.target_text or None,
                "council_target": i.council_target if i.council_target is not None else (i.council_target_text or None),
                "periodicity": i.periodicity, "direction": i.direction, "by_gender": i.by_gender, "level": i.level,
                "source": i.source, "goal": i.goal, "goal_level": i.goal_level, "line": i.line,
            }
            for i in plan.indicators
        ],
        "activities": [
            {"number": a.number, "text": a.text, "start": a.start.isoformat(), "end": a.end.isoformat(), "goal": a.goal, "goal_level": a.goal_level, "lead": a.lead, "line": a.line}
            for a in plan.activities
        ],
    }


#: A report's periods: the first and second tertial reports and the annual report
#: (verksamhetsberättelse).
REPORT_PERIODS = ("T1", "T2", "year")


def _shown_period(plan_year: int, ind: Indicator, period: str, periods: list[str]) -> str | None:
    """The period a report shows: a tertial indicator's own tertial (the year's figure in the
    annual report, else its last tertial); any other the plan year's report period."""
    if ind.periodicity == "tertial":
        wanted = [f"{plan_year} {period}"] if period in ("T1", "T2") else [str(plan_year), f"{plan_year} T2"]
        return next((p for p in wanted if p in periods), None)
    return report_period(plan_year, ind, [p for p in periods if " T" not in p])


def report(data: GoalData, period: str, *, activity_status: dict[int, tuple[str, str]] | None = None, texts: dict[str, str] | None = None, outcomes: pl.DataFrame | None = None) -> dict[str, Any]:
    """A tertial (``T1``, ``T2``) or annual (``year``) report of the plan: per goal, top down,
    its indicators (target, the city's outcome of the period shown, status, trend, the series
    for a chart, girls and boys where the plan asks) and its activities, with the analyst's
    texts (``texts``: ``"level:code"`` → text, ``""`` for the report as a whole)."""
    if period not in REPORT_PERIODS:
        raise ValueError(f"period must be one of {', '.join(REPORT_PERIODS)}, not {period!r}")
    plan = data.plan
    rows = (all_outcomes(data) if outcomes is None else outcomes).filter(pl.col("level") == "city")
    city: dict[tuple[str, str], dict[str, float | None]] = {}
    for key, gender, p, value in rows.select("indicator", "gender", "period", "value").iter_rows():
        city.setdefault((key, gender), {})[p] = value
    statuses = activity_status or {}
    texts = texts or {}
    summary = dict.fromkeys(("met", "partly_met", "not_met", "no_data", "no_target"), 0)

    def indicator_item(ind: Indicator) -> dict[str, Any]:
        series = city.get((ind.key, ""), {})
        periods = sorted(series, key=period_sort_key)
        shown = _shown_period(plan.year, ind, period, periods)
        upto = [p for p in periods if shown is not None and period_sort_key(p) <= period_sort_key(shown) and (" T" in p) == (" T" in shown)]
        value = series.get(shown) if shown else None
        target = ind.target if ind.target is not None else ind.council_target
        st = status(value, target, ind.direction, plus_minus=ind.plus_minus)
        summary[st.value] += 1
        genders = {g: city.get((ind.key, g), {}).get(shown) if shown else None for g in ("flickor", "pojkar")} if ind.by_gender else {}
        return {
            "key": ind.key, "name": ind.name, "unit": ind.unit, "target": target, "target_text": ind.target_text or ind.council_target_text,
            "council_target": ind.council_target, "plus_minus": ind.plus_minus, "periodicity": ind.periodicity, "direction": ind.direction,
            "period": shown, "value": value, "status": st.value, "trend": trend([series[p] for p in upto], ind.direction).trend.value,
            "series": {"periods": upto, "values": [series[p] for p in upto]}, "by_gender": ind.by_gender, "genders": genders, "source": ind.source,
        }

    def activity_item(a: Any) -> dict[str, Any]:
        st, comment = statuses.get(a.number, ("planned", ""))
        return {"number": a.number, "text": a.text, "start": a.start.isoformat(), "end": a.end.isoformat(), "lead": a.lead, "status": st, "comment": comment}

    def node(g: Any) -> dict[str, Any]:
        key = f"{g.level}:{g.code}"
        children = [c for c in plan.goals if c.parent == g.code and c.level == {"direction": "area", "area": "committee"}.get(g.level)]
        return {
            "key": key, "code": g.code, "level": g.level, "text": g.text, "numbered": g.numbered, "expected_results": list(g.expected_results),
            "indicators": [indicator_item(i) for i in plan.indicators if (i.goal_level, i.goal) == (g.level, g.code)],
            "activities": [activity_item(a) for a in plan.activities if (a.goal_level, a.goal) == (g.level, g.code)],
            "text_analysis": texts.get(key, ""),
            "children": [node(c) for c in children],
        }

    goals = [node(g) for g in plan.goals if g.level == "direction"]
    return {
        "year": plan.year, "period": period, "organisation": plan.organisation, "municipality": data.municipality,
        "goals": goals, "summary": summary, "introduction": texts.get("", ""), "indicators": len(plan.indicators),
    }


def walk_goals(goals: list[dict[str, Any]], depth: int = 0) -> list[tuple[dict[str, Any], int]]:
    """A report's goal nodes top down (direction, its area goals, their committee goals), each
    with its depth: the one order the page, the PDF and the Word document follow."""
    out: list[tuple[dict[str, Any], int]] = []
    for g in goals:
        out.append((g, depth))
        out.extend(walk_goals(g["children"], depth + 1))
    return out


def report_indicators(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every indicator item of a report, in the plan's order of goals."""
    return [i for g, _ in walk_goals(doc["goals"]) for i in g["indicators"]]
