"""How figures look on the pages: Swedish money, quantities, results and published markers.

One place for every app, so a merit value reads "202,7" and a suppressed group ".." on the
school page, the results page and in the statement alike.
"""

from __future__ import annotations

from typing import Any

from likvard.engine.allocation import Statement, format_quantity
from likvard.money import format_ore

SUPPRESSED = ".."


def money(ore: int | None) -> str:
    return "" if ore is None else format_ore(ore)


def words(run: Any = None) -> dict[str, str]:
    """The municipality's name, sender and words for district and area: as the run recorded
    them, else the configured model's."""
    if run is not None and run.summary.get("labels"):
        return dict(run.summary["labels"])
    from django.conf import settings

    from likvard.workflows import load_model

    m = load_model(settings.MODEL_DIR).labels
    return {"municipality_name": m.municipality_name, "sender": m.sender, "district": m.district, "area": m.area}


#: The fields of a result that are differences (actual − expected and its interval): for
#: eligibility they are percentage points, not per cent (issue 8, item 13).
DIFFERENCES = ("value_added", "shrunken", "lower", "upper")


def result_number(value: float | None, outcome: str, *, suppressed: bool = False, difference: bool = False) -> str:
    """Merit value with one decimal; eligibility in per cent, and its differences in percentage
    points (procentenheter); ``..`` for a group under 10."""
    from django.utils.translation import gettext

    if suppressed:
        return SUPPRESSED
    if value is None:
        return "–"
    if outcome == "eligible_vocational":
        unit = "\u00a0" + gettext("p.e.") if difference else "\u00a0%"
        return f"{value * 100:.1f}".replace(".", ",").replace("-", "\u2212") + unit
    return f"{value:.1f}".replace(".", ",").replace("-", "\u2212")


def indicator_number(value: float | None, unit: str = "") -> str:
    """An indicator's figure as the plan writes it: decimal comma, one decimal, a real minus;
    ``..`` when hidden (the goal pages and the result dialogue)."""
    if value is None:
        return SUPPRESSED
    text = f"{value:.1f}".replace(".", ",").replace("-", "−")
    return f"{text} %" if unit == "%" else text


def statement(st: Statement, language: str = "sv") -> dict[str, Any]:
    """A statement's lines with their figures formatted, the first line of a component marked,
    the explanation in the page's language."""
    lines = []
    previous = None
    for ln in st.lines:
        lines.append(
            {
                "component": ln.component,
                "label": ln.label,
                "explanation": ln.explanation_in("en" if language.startswith("en") else "sv"),
                "first": ln.component != previous,
                "amount": format_ore(ln.amount_ore),
                "rate": money(ln.rate_ore),
                "qty": format_quantity(ln.quantity),
            }
        )
        previous = ln.component
    return {
        "school_unit_code": st.school_unit_code,
        "name": st.name,
        "pupils": st.pupils,
        "index": st.index,
        "index_basis": st.index_basis,
        "need_quartile": st.need_quartile,
        "lines": lines,
        "total": format_ore(st.total_ore),
        "per_pupil": money(st.per_pupil_ore),
    }
