"""A committee's goal plan read from its TOML file: goals, indicators, activities.

Why a file: the plan is reference data the analysts today copy by hand from the budget
document every year; as data it is versioned by plan year, imported like every other input
(the demo's 2024 plan goes through the same reader as a municipality's own), and each item
keeps the line of the source document it was transcribed from. The format is documented in
``docs/formats.md`` (section "plan.toml"); ``plans/stockholm-2024/plan.toml`` is an example.

Problems name the file, the line of the item's ``[[goal]]``/``[[indicator]]``/``[[activity]]``
header and the key, and nothing is imported from a plan with a problem.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .problems import Problem
from .register import InputError
from .tables import Upload, source_name

__all__ = ["LEVELS", "STATISTICS", "Activity", "Goal", "Indicator", "Plan", "read_plan"]

GoalLevel = Literal["direction", "area", "committee"]
#: The goal levels, top down: KF:s inriktningsmål, KF:s mål för verksamhetsområdet, nämndmål.
LEVELS: tuple[GoalLevel, ...] = ("direction", "area", "committee")
_PARENT: dict[str, str | None] = {"direction": None, "area": "direction", "committee": "area"}
#: Indicators Likvärd computes from Skolverket's published school statistics (the indicator
#: names ``likvard.data.skolverket`` gives them), by the plan's ``statistic`` and ``grade``.
STATISTICS: dict[tuple[str, int], str] = {
    ("merit_value", 9): "merit_value",
    ("share_all_subjects", 9): "share_all_subjects",
    ("share_all_subjects", 6): "ratioOfPupilsIn6thGradeWithAllSubjectsPassed",
    ("share_eligible_vocational", 9): "share_eligible_vocational",
}


@dataclass(frozen=True)
class Goal:
    code: str
    level: GoalLevel
    text: str
    parent: str | None = None
    numbered: bool = True
    expected_results: tuple[str, ...] = ()
    line: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        """A goal is identified by level and code: an unnumbered nämndmål carries its area
        goal's code, as the plan itself refers to it ("nämndmål 3.4")."""
        return (self.level, self.code)


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    goal: str
    goal_level: GoalLevel
    unit: str
    periodicity: Literal["year", "tertial"]
    direction: Literal["higher", "lower"]
    by_gender: bool
    level: Literal["city", "school"]
    source: str
    target: float | None = None
    council_target: float | None = None
    target_text: str = ""
    council_target_text: str = ""
    plus_minus: bool = False
    statistic: str | None = None
    grade: int | None = None
    line: int | None = None

    @property
    def published_indicator(self) -> str | None:
        """Skolverket's indicator this one is computed from, if any."""
        if self.statistic is None or self.grade is None:
            return None
        return STATISTICS.get((self.statistic, self.grade))


@dataclass(frozen=True)
class Activity:
    text: str
    start: dt.date
    end: dt.date
    goal: str
    goal_level: GoalLevel
    lead: str
    line: int | None = None
    number: int = 0  # position in the plan (1-based): activities have no code of their own


@dataclass(frozen=True)
class Plan:
    year: int
    organisation: str
    source: str
    goals: tuple[Goal, ...]
    indicators: tuple[Indicator, ...]
    activities: tuple[Activity, ...]
    file: str = "plan.toml"
    #: The municipality code the plan is for (``[plan] municipality``), "" when not given.
    municipality: str = ""
    _goal_index: dict[tuple[str, str], Goal] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._goal_index.update({g.key: g for g in self.goals})

    def goal(self, level: str, code: str) -> Goal | None:
        return self._goal_index.get((level, code))

    def indicator(self, key: str) -> Indicator | None:
        return next((i for i in self.indicators if i.key == key), None)

    def counts(self) -> dict[str, int]:
        return {level: sum(g.level == level for g in self.goals) for level in LEVELS} | {"indicators": len(self.indicators), "activities": len(self.activities)}


def header_lines(text: str, table: str) -> list[int]:
    """The 1-based lines of every ``[[table]]`` header, in order (tomllib gives no lines)."""
    pattern = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]\s*(#.*)?$")
    return [i for i, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]


class _Checker:
    """Reads one item's keys, collecting a located problem for each wrong one."""

    def __init__(self, file: str, row: int | None, item: Mapping[str, Any], what: str, problems: list[Problem]) -> None:
        self.file, self.row, self.item, self.what, self.problems = file, row, item, what, problems

    def bad(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.row, key, f"{self.what}: {message}"))

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.item.get(key)
        if value is None:
            if required:
                self.bad(key, "saknas")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.bad(key, "ska vara en text")
            return ""
        return " ".join(value.split())

    def choice(self, key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.item.get(key, default)
        if value not in allowed:
            self.bad(key, f"{value!r} är inget av {', '.join(allowed)}" if value is not None else f"saknas (ett av {', '.join(allowed)})")
            return allowed[0]
        return str(value)

    def number(self, key: str) -> float | None:
        value = self.item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.bad(key, f"{value!r} är inget tal (skriv 80, inte \"80 %\"; en text hör till {key}_text)")
            return None
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.item.get(key, default)
        if not isinstance(value, bool):
            self.bad(key, "ska vara true eller false")
            return default
        return value

    def date(self, key: str) -> dt.date:
        value = self.item.get(key)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        self.bad(key, "ska vara ett datum, t.ex. 2024-01-01" if value is not None else "saknas (ett datum, t.ex. 2024-01-01)")
        return dt.date(1900, 1, 1)

    def integer(self, key: str) -> int | None:
        value = self.item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.bad(key, "ska vara ett positivt heltal")
            return None
        return value


def read_plan(source: Path | str | Upload) -> Plan:
    """The plan in a TOML file (path or upload); raises ``InputError`` listing every problem."""
    name = source_name(source if not isinstance(source, str) else Path(source))
    problems: list[Problem] = []
    try:
        raw = source.content if isinstance(source, Upload) else Path(source).read_bytes()
    except OSError:
        raise InputError([Problem(name, None, None, "filen finns inte eller kan inte läsas")]) from None
    try:
        text = raw.decode("utf-8-sig")
        doc = tomllib.loads(text)
    except UnicodeDecodeError:
        raise InputError([Problem(name, None, None, "filen är inte UTF-8")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(name, getattr(exc, "lineno", None), None, f"ingen giltig TOML: {exc}")]) from None
    head = doc.get("plan")
    if not isinstance(head, dict):
        raise InputError([Problem(name, None, "plan", "tabellen [plan] med year, organisation och source saknas")])
    top = _Checker(name, None, head, "[plan]", problems)
    year = head.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        top.bad("year", "ska vara planens år, t.ex. 2024")
        year = 0
    organisation, src = top.text("organisation"), top.text("source", required=False)
    municipality = top.text("municipality", required=False)
    if municipality and not (len(municipality) == 4 and municipality.isdigit()):
        top.bad("municipality", f"{municipality!r} är ingen kommunkod (4 siffror, t.ex. 0180)")

    goals: list[Goal] = []
    for i, (row, item) in enumerate(_items(doc, "goal", text, name, problems), start=1):
        c = _Checker(name, row, item, f"mål nr {i}", problems)
        level = c.choice("level", LEVELS)
        code = c.text("code")
        parent = c.text("parent", required=False) or None
        if _PARENT[level] is None and parent:
            c.bad("parent", "ett inriktningsmål har inget överordnat mål")
        if _PARENT[level] is not None and not parent:
            c.bad("parent", "saknas (koden för målet ovanför)")
        results = item.get("expected_results", [])
        if not isinstance(results, list) or not all(isinstance(r, str) for r in results):
            c.bad("expected_results", "ska vara en lista med texter")
            results = []
        goals.append(Goal(code, level, c.text("text"), parent, c.flag("numbered", True), tuple(" ".join(r.split()) for r in results), c.integer("line")))  # type: ignore[arg-type]
    keys = {g.key for g in goals}
    rows = dict(zip(range(len(goals)), header_lines(text, "goal"), strict=False))
    for i, g in enumerate(goals):
        if sum(1 for h in goals if h.key == g.key) > 1:
            problems.append(Problem(name, rows.get(i), "code", f"målet {g.code} ({g.level}) finns mer än en gång"))
        up = _PARENT[g.level]
        if up is not None and g.parent and (up, g.parent) not in keys:
            problems.append(Problem(name, rows.get(i), "parent", f"målet {g.code}: det överordnade målet {g.parent} ({up}) finns inte i planen"))

    indicators: list[Indicator] = []
    for i, (row, item) in enumerate(_items(doc, "indicator", text, name, problems), start=1):
        c = _Checker(name, row, item, f"indikator nr {i}", problems)
        key = c.text("key")
        goal, goal_level = c.text("goal"), c.choice("goal_level", LEVELS)
        if goal and (goal_level, goal) not in keys:
            c.bad("goal", f"målet {goal} ({goal_level}) finns inte i planen")
        statistic, grade = c.text("statistic", required=False) or None, c.integer("grade")
        if statistic is not None and (statistic, grade) not in STATISTICS:
            c.bad("statistic", f"{statistic!r} i årskurs {grade} räknas inte fram ur Skolverkets statistik (möjliga: {', '.join(f'{s} (grade = {g})' for s, g in STATISTICS)})")
            statistic = None
        indicators.append(
            Indicator(
                key=key, name=c.text("name"), goal=goal, goal_level=goal_level,  # type: ignore[arg-type]
                unit=c.text("unit", required=False), periodicity=c.choice("periodicity", ("year", "tertial")),  # type: ignore[arg-type]
                direction=c.choice("direction", ("higher", "lower")), by_gender=c.flag("by_gender", False),  # type: ignore[arg-type]
                level=c.choice("level", ("school", "city")), source=c.text("source", required=False),  # type: ignore[arg-type]
                target=c.number("target"), council_target=c.number("council_target"),
                target_text=c.text("target_text", required=False), council_target_text=c.text("council_target_text", required=False),
                plus_minus=c.flag("plus_minus", False), statistic=statistic, grade=grade, line=c.integer("line"),
            )
        )
    seen: set[str] = set()
    irows = header_lines(text, "indicator")
    for i, ind in enumerate(indicators):
        if ind.key in seen:
            problems.append(Problem(name, irows[i] if i < len(irows) else None, "key", f"indikatorn {ind.key!r} finns mer än en gång"))
        seen.add(ind.key)

    activities: list[Activity] = []
    for i, (row, item) in enumerate(_items(doc, "activity", text, name, problems), start=1):
        c = _Checker(name, row, item, f"aktivitet nr {i}", problems)
        goal, goal_level = c.text("goal"), c.choice("goal_level", LEVELS)
        if goal and (goal_level, goal) not in keys:
            c.bad("goal", f"målet {goal} ({goal_level}) finns inte i planen")
        start, end = c.date("start"), c.date("end")
        if end < start:
            c.bad("end", f"slutdatumet {end} ligger före startdatumet {start}")
        activities.append(Activity(c.text("text"), start, end, goal, goal_level, c.text("lead", required=False), c.integer("line"), i))  # type: ignore[arg-type]
    if problems:
        raise InputError(problems)
    return Plan(year, organisation, src, tuple(goals), tuple(indicators), tuple(activities), name, municipality)


def _items(doc: Mapping[str, Any], table: str, text: str, name: str, problems: list[Problem]) -> list[tuple[int | None, Mapping[str, Any]]]:
    items = doc.get(table, [])
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        problems.append(Problem(name, None, table, f"skriv varje post som [[{table}]]"))
        return []
    lines = header_lines(text, table)
    return [(lines[i] if i < len(lines) else None, item) for i, item in enumerate(items)]
