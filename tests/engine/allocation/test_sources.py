"""Every figure of the 2024 model stands in the plan's lines its component cites.

Why: 10 of 27 components once cited lines that hold another rule (the audit of issue 9). For
each component that is not illustrative, every amount, budget and share it holds must appear in
the lines of seed 000 its ``source`` names, in any unit the plan writes it in (``147,0 tkr`` =
``147 000 kr``, ``25 procent`` = ``25 %``). A figure the plan does not state — a sum, or a
reading of the text — is named in the component's ``derived`` or ``interpreted`` list, with a note.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from likvard.engine.allocation import load_model
from likvard.money import MoneyError, parse_money, parse_share

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "docs" / "sources" / "000_f6e850c53b3cb5d6.txt"
SHARED = ROOT.parent / "shared" / "seeds" / "000_f6e850c53b3cb5d6.txt"
MODEL = ROOT / "models" / "stockholm-2024"

#: Keys whose values are amounts or shares the plan must state.
FIGURES = {
    "amount", "budget", "base_amount", "share", "min_share", "surcharge", "deduction_max",
    "deduction_share", "per_pupil", "per_employee",
}
NUMBER = re.compile(r"(?<![\d,])\d{1,3}(?:[ \u00a0]\d{3})+(?:,\d+)?(?![\d])|(?<![\d,])\d+(?:,\d+)?(?![\d])")
UNITS = {"kr": Decimal(100), "tkr": Decimal(100_000), "mnkr": Decimal(100_000_000), "mdkr": Decimal(100_000_000_000)}


def _lines(source: str) -> list[tuple[int, int]]:
    return [(int(a), int(b or a)) for a, b in re.findall(r"L(\d{3,5})(?:[–-](\d{3,5}))?", source)]


def _numbers(text: str) -> set[Decimal]:
    """Numbers as the plan writes them ("11 486", "1 500,2"), and each group alone: a table
    row "Årskurs 4–6 336 349" holds two figures, 336 and 349."""
    grouped = {Decimal(m.replace("\u00a0", "").replace(" ", "").replace(",", ".")) for m in NUMBER.findall(text)}
    single = {Decimal(m.replace(",", ".")) for m in re.findall(r"(?<![\d,])\d+(?:,\d+)?(?![\d,])", text)}
    return grouped | single


def _stated(value: str, text: str) -> bool:
    """``value`` (an amount or a share as the model file writes it) is one of the numbers of
    ``text`` read in some unit."""
    numbers = _numbers(text)
    if "%" in value or re.fullmatch(r"0,\d+", value.strip()):
        share = parse_share(value) * 100
        return share in numbers
    try:
        ore = parse_money(value)
    except MoneyError:
        return False
    return any(Decimal(ore) == n * unit for n in numbers for unit in UNITS.values())


def _figures(component: dict[str, Any]) -> list[tuple[str, str]]:
    """(key path, value) of every figure in a component, lists included."""
    out = []
    for key, value in component.items():
        if key in FIGURES and isinstance(value, str | int):
            out.append((key, str(value)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    out += [(f"{key}.{i}.{k}", str(v)) for k, v in item.items() if k in FIGURES and isinstance(v, str | int)]
    return out


def _components() -> list[dict[str, Any]]:
    model = load_model(MODEL)
    return [c for doc in model.raw.values() for c in [*doc.get("component", []), *doc.get("frame", [])]]


def test_the_plan_kept_in_the_repository_is_the_seed():
    if not SHARED.exists():
        pytest.skip("the shared seeds are not beside this clone")
    assert SEED.read_bytes() == SHARED.read_bytes()


@pytest.mark.parametrize("component", [c for c in _components() if not c.get("illustrative")], ids=lambda c: c["id"])
def test_every_figure_stands_in_the_cited_lines(component):
    plan = SEED.read_text(encoding="utf-8").splitlines()
    cited = _lines(component.get("source", ""))
    assert cited, f"{component['id']}: source cites no lines"
    text = "\n".join(line for a, b in cited for line in plan[a - 1 : b])
    exempt = set(component.get("derived", [])) | set(component.get("interpreted", []))
    if exempt:
        assert component.get("note"), f"{component['id']}: derived or interpreted figures need a note that says how"
    missing = [(k, v) for k, v in _figures(component) if k not in exempt and not _stated(v, text)]
    assert not missing, f"{component['id']} cites {component['source']!r}, which does not state {missing}"


def test_a_figure_outside_the_cited_lines_is_found():
    """The check itself can fail: 11 486 kr is not in the IT charge's lines."""
    plan = SEED.read_text(encoding="utf-8").splitlines()
    assert _stated("11 486 kr", "\n".join(plan[3610:3614]))
    assert not _stated("11 486 kr", "\n".join(plan[4094:4115]))
    assert _stated("80 100 kr", "upp till 80,1 tkr per elev") and _stated("25 %", "ett påslag om 25 procent")


def _central_items() -> list[tuple[str, int, dict[str, Any], set[str]]]:
    frames = [f for doc in load_model(MODEL).raw.values() for f in doc.get("frame", [])]
    return [(f["id"], i, item, set(f.get("derived", [])) | set(f.get("interpreted", []))) for f in frames for i, item in enumerate(f.get("central", []))]


@pytest.mark.parametrize("frame,i,item,exempt", _central_items(), ids=lambda v: v if isinstance(v, str) else str(v) if isinstance(v, int) else "")
def test_every_central_item_stands_in_its_own_lines(frame, i, item, exempt):
    """A frame's central item (money kept by the office) cites its own lines: its amount must
    stand there, not only somewhere in the frame's range."""
    if f"central.{i}.amount" in exempt:
        return
    plan = SEED.read_text(encoding="utf-8").splitlines()
    cited = _lines(item.get("source", ""))
    assert cited, f"{frame} central {i}: source cites no lines"
    text = "\n".join(line for a, b in cited for line in plan[a - 1 : b])
    assert _stated(str(item["amount"]), text), f"{frame} central {i} ({item['label']}) cites {item['source']!r}, which does not state {item['amount']}"
