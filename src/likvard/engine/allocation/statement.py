"""A school's statement as a typed object: the one shape JSON, web, PDF, XLSX and API share.

Why typed: the statement is what a principal or an independent school's organiser reads to
answer "why did my school get this amount?"; every output must show the same lines, the same
amounts and the same explanation. The explanation is rendered here and nowhere else, from the
line's template and its numbers (quantity, rate, amount), so a stored run explains itself the
same way years later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from likvard.money import format_ore

__all__ = ["Statement", "StatementLine", "explain", "format_quantity"]


def format_quantity(q: float | None) -> str:
    """Swedish quantity: whole numbers grouped, others with one decimal and a comma."""
    if q is None:
        return ""
    if float(q).is_integer():
        return format_ore(int(q) * 100, unit="").strip()
    return f"{q:,.1f}".replace(",", "\u00a0").replace(".", ",")


def explain(template: str, quantity: float | None, rate_ore: int | None, amount_ore: int, detail: str | None, line: str) -> str:
    """Render a line's plain-Swedish explanation ("412 elever × 2 000 kr basbelopp")."""
    if quantity == 1:
        template = template.replace("{q} elever", "{q} elev")
    return template.format(
        q=format_quantity(quantity),
        r=format_ore(rate_ore) if rate_ore is not None else "",
        a=format_ore(amount_ore),
        detail=detail or "",
        line=line,
    )


@dataclass(frozen=True)
class StatementLine:
    """One line: which rule (component, line), how many (quantity), at what rate, how much."""

    component: str
    label: str
    line: str
    quantity: float | None
    rate_ore: int | None
    amount_ore: int
    template: str
    detail: str | None = None

    @property
    def explanation(self) -> str:
        return explain(self.template, self.quantity, self.rate_ore, self.amount_ore, self.detail, self.line)

    def stored(self) -> dict[str, Any]:
        """The line's own data (no rendered text), as a run keeps it."""
        return {
            "component": self.component,
            "label": self.label,
            "line": self.line,
            "quantity": self.quantity,
            "rate_ore": self.rate_ore,
            "amount_ore": self.amount_ore,
            "template": self.template,
            "detail": self.detail,
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the CLI and the API (with the rendered explanation)."""
        return {
            "component": self.component,
            "label": self.label,
            "line": self.line,
            "quantity": self.quantity,
            "rate_ore": self.rate_ore,
            "amount_ore": self.amount_ore,
            "explanation": self.explanation,
        }

    @classmethod
    def from_stored(cls, d: Mapping[str, Any]) -> StatementLine:
        return cls(
            component=str(d["component"]),
            label=str(d["label"]),
            line=str(d["line"]),
            quantity=None if d["quantity"] is None else float(d["quantity"]),
            rate_ore=None if d["rate_ore"] is None else int(d["rate_ore"]),
            amount_ore=int(d["amount_ore"]),
            template=str(d["template"]),
            detail=d.get("detail"),
        )


@dataclass(frozen=True)
class Statement:
    """A school's statement in a run: its profile, pupils, index and lines, and the total."""

    school_unit_code: str
    name: str
    operator: str
    municipality_code: str
    district: str | None
    area: str | None
    synthetic: bool
    pupils: int
    index: float | None
    index_basis: str | None
    need_quartile: int | None
    lines: tuple[StatementLine, ...]

    @property
    def total_ore(self) -> int:
        return sum(ln.amount_ore for ln in self.lines)

    @property
    def per_pupil_ore(self) -> int | None:
        return self.total_ore // self.pupils if self.pupils else None

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON shape of one school."""
        return {
            "school_unit_code": self.school_unit_code,
            "name": self.name,
            "operator": self.operator,
            "municipality_code": self.municipality_code,
            "district": self.district,
            "area": self.area,
            "synthetic": self.synthetic,
            "pupils": self.pupils,
            "index": self.index,
            "index_basis": self.index_basis,
            "need_quartile": self.need_quartile,
            "lines": [ln.to_dict() for ln in self.lines],
            "total_ore": self.total_ore,
            "per_pupil_ore": self.per_pupil_ore,
        }
