"""The intervention catalogue and its assignments to schools, read from a TOML file.

Why a file: what central support each school got, when and from whom, is today answered by
hand (seed 004: 42 items for five schools, 2021–2025). As data it is imported like every other
input, versioned by content, and each item can cite the document it comes from. The format is in
``docs/formats.md`` ("interventions.toml"); ``interventions/stockholm-2021-2025/`` holds the
items seed 004 names. Problems name the file, the line of the item's ``[[…]]`` header and the key.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .plan import header_lines
from .problems import Problem
from .register import InputError
from .tables import Upload, source_name

__all__ = ["ASSIGNMENT_STATUSES", "DEMO_CATALOGUE", "Assignment", "Catalogue", "Intervention", "read_interventions"]

#: The demo's catalogue: the interventions seed 004 names for its five schools, 2021–2025.
DEMO_CATALOGUE = Path(os.environ.get("LIKVARD_INTERVENTIONS_FILE") or Path(__file__).resolve().parents[3] / "interventions" / "stockholm-2021-2025" / "interventions.toml")
#: An assignment's status (seed 003's and 004's words: erbjudits, pågår, planeras).
ASSIGNMENT_STATUSES = ("offered", "planned", "ongoing", "finished")


@dataclass(frozen=True)
class Intervention:
    key: str
    name: str
    purpose: str = ""
    content: str = ""
    provider: str = ""
    responsible: str = ""
    target_group: str = ""
    cost_kr: int | None = None
    goal: str = ""  # the evaluable goal (seed 003: measured from the start)
    baseline: str = ""
    evaluation: str = ""  # the evaluation plan: which outcome, when, against what
    synthetic: bool = False
    line: int | None = None


@dataclass(frozen=True)
class Assignment:
    intervention: str
    school_unit_code: str
    school: str
    start: int
    end: int
    status: str
    note: str = ""
    line: int | None = None
    synthetic: bool = False


@dataclass(frozen=True)
class Catalogue:
    source: str
    organisation: str
    interventions: tuple[Intervention, ...]
    assignments: tuple[Assignment, ...]
    file: str = "interventions.toml"


def _text(item: dict[str, Any], key: str, where: tuple[str, int | None, str], problems: list[Problem], *, required: bool = False) -> str:
    value = item.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(Problem(where[0], where[1], key, f"{where[2]}: {'saknas' if value in ('', None) else 'ska vara en text'}"))
        return ""
    return " ".join(value.split())


def read_interventions(source: Path | str | Upload) -> Catalogue:
    """The catalogue in a TOML file; raises ``InputError`` listing every problem."""
    name = source_name(source if not isinstance(source, str) else Path(source))
    try:
        raw = source.content if isinstance(source, Upload) else Path(source).read_bytes()
        text = raw.decode("utf-8-sig")
        doc = tomllib.loads(text)
    except OSError:
        raise InputError([Problem(name, None, None, "filen finns inte eller kan inte läsas")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(name, None, None, "filen är inte UTF-8")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(name, None, None, f"ingen giltig TOML: {exc}")]) from None
    problems: list[Problem] = []
    head = doc.get("catalogue", {})
    if not isinstance(head, dict):
        head = {}
    interventions: list[Intervention] = []
    for i, (row, item) in enumerate(zip(header_lines(text, "intervention"), doc.get("intervention", []), strict=False), start=1):
        where = (name, row, f"insats nr {i}")
        cost = item.get("cost_kr")
        if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int) or cost < 0):
            problems.append(Problem(name, row, "cost_kr", f"insats nr {i}: kostnaden ska vara ett helt antal kronor"))
            cost = None
        interventions.append(
            Intervention(
                key=_text(item, "key", where, problems, required=True), name=_text(item, "name", where, problems, required=True),
                purpose=_text(item, "purpose", where, problems), content=_text(item, "content", where, problems), provider=_text(item, "provider", where, problems),
                responsible=_text(item, "responsible", where, problems), target_group=_text(item, "target_group", where, problems), cost_kr=cost,
                goal=_text(item, "goal", where, problems), baseline=_text(item, "baseline", where, problems), evaluation=_text(item, "evaluation", where, problems),
                synthetic=bool(item.get("synthetic", False)), line=item.get("line") if isinstance(item.get("line"), int) else None,
            )
        )
    keys = [x.key for x in interventions]
    for k in {k for k in keys if keys.count(k) > 1}:
        problems.append(Problem(name, None, "key", f"insatsen {k!r} finns mer än en gång"))
    assignments: list[Assignment] = []
    for i, (row, item) in enumerate(zip(header_lines(text, "assignment"), doc.get("assignment", []), strict=False), start=1):
        where = (name, row, f"tilldelning nr {i}")
        key = _text(item, "intervention", where, problems, required=True)
        if key and key not in keys:
            problems.append(Problem(name, row, "intervention", f"tilldelning nr {i}: insatsen {key!r} finns inte i katalogen"))
        code = str(item.get("school_unit_code", ""))
        if not (len(code) == 8 and code.isdigit()):
            problems.append(Problem(name, row, "school_unit_code", f"tilldelning nr {i}: {code!r} är ingen skolenhetskod (8 siffror)"))
        start, end = item.get("start"), item.get("end")
        if not all(isinstance(y, int) and not isinstance(y, bool) and 2000 <= y <= 2100 for y in (start, end)):
            problems.append(Problem(name, row, "start", f"tilldelning nr {i}: start och end ska vara år, t.ex. 2022"))
            start = end = 0
        elif end < start:  # type: ignore[operator]
            problems.append(Problem(name, row, "end", f"tilldelning nr {i}: slutåret {end} ligger före startåret {start}"))
        status = item.get("status", "")
        if status not in ASSIGNMENT_STATUSES:
            problems.append(Problem(name, row, "status", f"tilldelning nr {i}: {status!r} är inget av {', '.join(ASSIGNMENT_STATUSES)}"))
        assignments.append(Assignment(
            key, code, _text(item, "school", where, problems), int(start or 0), int(end or 0), str(status), _text(item, "note", where, problems),
            item.get("line") if isinstance(item.get("line"), int) else None, bool(item.get("synthetic", False)),
        ))
    if problems:
        raise InputError(problems)
    return Catalogue(str(head.get("source", "")), str(head.get("organisation", "")), tuple(interventions), tuple(assignments), name)
