"""A school's statement as a typed object: the one shape JSON, web, PDF, XLSX and API share.

Why typed: the statement is what a principal or an independent school's organiser reads to
answer "why did my school get this amount?"; every output must show the same lines, the same
amounts and the same explanation. The explanation is rendered here and nowhere else, from the
line's template and its numbers (quantity, rate, amount), so a stored run explains itself the
same way years later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from likvard.money import format_ore

__all__ = ["Language", "Statement", "StatementLine", "explain", "format_quantity"]

Language = Literal["sv", "en"]

#: The statement's Swedish wording in English, longest phrases first. Why a phrase table and
#: not a template per line kind: the components write their explanations with the model's own
#: labels and amounts in them (a municipality's band "åk F–3", its RSU group), which stay as
#: they are; only the words around them are the engine's and need translating.
_ENGLISH = tuple(
    (re.compile(rf"(?<![\w-]){re.escape(sv)}(?![\w-])"), en)
    for sv, en in (
        ("av schablonen finansierar lokaler, administration m.m. centralt", "of the standard amount funds premises, administration etc. centrally"),
        ("påfyllnad till miniminivån för", "top-up to the minimum level for"),
        ("klumpsumma per skola", "lump sum per school"),
        ("glesbygdstillägg", "sparsity supplement"),
        ("områdeskostnad", "area cost"),
        ("övriga komponenter", "other components"),
        ("miniminivå", "minimum level"),
        ("mot basåret", "against the base year"),
        ("elever av högst", "pupils of at most"),
        ("basår", "base year"),
        ("i år", "this year"),
        ("faktor", "factor"),
        ("golv", "floor"),
        ("tak", "cap"),
        ("betalas till hemskolan, som för det vidare till RSU-gruppen", "paid to the home school, which passes it on to the RSU group"),
        ("fristående skola, utanför potterna", "independent school, outside the pots"),
        ("för skolor med samma driftsform i samma", "for schools of the same operator type in the same"),
        ("för skolor med samma driftsform", "for schools of the same operator type"),
        ("för fristående skolor utanför kommunen", "for independent schools outside the municipality"),
        ("ny skola eller färre än", "a new school or fewer than"),
        ("individuellt bedömda beslut, sammanlagt", "individually assessed decisions, in all"),
        ("individuellt bedömt beslut, sammanlagt", "individually assessed decision, in all"),
        ("indexviktad elev", "index-weighted pupil"),
        ("RSU-elev", "RSU pupil"),
        ("anställd", "employee"),
        ("plats", "place"),
        ("beslut om omfattande stöd", "decisions on extensive support"),
        ("som också har tilläggsbelopp (högst", "who also have an individual support amount (at most"),
        ("elever, meritvärdesviktade till", "pupils, weighted by merit value to"),
        ("RSU-premie till områdets pott", "RSU premium to the area's pot"),
        ("andel av områdets RSU-pott", "share of the area's RSU pot"),
        ("elever i RSU-grupp på", "pupils in the RSU group at"),
        ("RSU-elever från", "RSU pupils from"),
        ("indexviktade elever", "index-weighted pupils"),
        ("glidande medelvärde", "moving average"),
        ("genomsnittligt index", "average index"),
        ("kommunens genomsnitt", "the municipality's average"),
        ("skolans index", "the school's index"),
        ("fast bidrag till", "fixed grant to"),
        ("momskompensation", "VAT compensation"),
        ("avräkning för", "deduction for"),
        ("fördelat på", "divided among"),
        ("indexandel", "index share"),
        ("basbelopp", "base amount"),
        ("skolpeng", "pupil money"),
        ("RSU-bidrag", "RSU grant"),
        ("RSU-avgift", "RSU fee"),
        ("andel av", "share of"),
        ("anställda", "employees"),
        ("platser", "places"),
        ("påslag", "surcharge"),
        ("avgift", "charge"),
        ("beslut", "decisions"),
        ("för grupp", "for group"),
        ("elever", "pupils"),
        ("elev", "pupil"),
        ("för", "for"),
        ("på", "on"),
        ("av", "of"),
        ("åk", "grade"),
    )
)


#: The plural phrases of the templates and their singular, for a quantity of exactly one.
_SINGULAR = (
    ("{q} individuellt bedömda beslut", "{q} individuellt bedömt beslut"),
    ("{q} indexviktade elever", "{q} indexviktad elev"),
    ("{q} RSU-elever", "{q} RSU-elev"),
    ("{q} elever", "{q} elev"),
    ("{q} anställda", "{q} anställd"),
    ("{q} platser", "{q} plats"),
)


def in_english(text: str) -> str:
    """A statement line's Swedish explanation with the engine's words in English."""
    for pattern, english in _ENGLISH:
        text = pattern.sub(english, text)
    return text


def format_quantity(q: float | None) -> str:
    """Swedish quantity: whole numbers grouped, others with one decimal and a comma."""
    if q is None:
        return ""
    if float(q).is_integer():
        return format_ore(int(q) * 100, unit="").strip()
    return f"{q:,.1f}".replace(",", "\u00a0").replace(".", ",")


def explain(template: str, quantity: float | None, rate_ore: int | None, amount_ore: int, detail: str | None, line: str, language: Language = "sv") -> str:
    """Render a line's plain-language explanation ("412 elever × 2 000 kr basbelopp", in
    English "412 pupils × 2 000 kr base amount")."""
    if quantity == 1:
        for plural, singular in _SINGULAR:
            template = template.replace(plural, singular)
    text = template.format(
        q=format_quantity(quantity),
        r=format_ore(rate_ore) if rate_ore is not None else "",
        a=format_ore(amount_ore),
        detail=detail or "",
        line=line,
    )
    return in_english(text) if language == "en" else text


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

    def explanation_in(self, language: Language) -> str:
        return explain(self.template, self.quantity, self.rate_ore, self.amount_ore, self.detail, self.line, language)

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
        """The JSON shape of the CLI and the API: the rendered explanation instead of its parts."""
        shown = {k: v for k, v in self.stored().items() if k not in ("template", "detail")}
        return {**shown, "explanation": self.explanation}

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


def render_explanations(lines: pl.DataFrame) -> pl.Series:
    """Every line's Swedish explanation at once, the same text ``explain`` gives line by line.

    Why columnar: rendering 125 000 lines one call at a time cost five times the run itself
    (issue 9, item 6). Each distinct quantity, rate and shown amount is formatted once by the
    same functions ``explain`` uses and mapped back by hash, and the templates are filled as
    columns. Templates hold only ``{q}``, ``{r}``, ``{a}``, ``{detail}`` and
    ``{line}``, with ``{{``/``}}`` for literal braces.
    """
    quantity = pl.col("quantity")
    # Quantities, rates and (where a template shows it) amounts repeat: each distinct value is
    # formatted once in Python, exactly as ``explain`` does, and mapped back by hash.
    q_texts = {q: format_quantity(q) for q in lines["quantity"].drop_nulls().unique().to_list()}
    q_text = quantity.replace_strict(q_texts, default="", return_dtype=pl.String).fill_null("")
    r_texts = {r: format_ore(r) for r in lines["rate_ore"].drop_nulls().unique().to_list()}
    r_text = pl.col("rate_ore").replace_strict(r_texts, default="", return_dtype=pl.String).fill_null("")
    shows_amount = lines["template"].str.contains("{a}", literal=True)
    a_texts = {a: format_ore(a) for a in lines.filter(shows_amount)["amount_ore"].unique().to_list()}
    a_text = pl.col("amount_ore").replace_strict(a_texts, default="", return_dtype=pl.String)
    singular = {}
    for template in lines["template"].unique().to_list():
        one = template
        for plural, single in _SINGULAR:
            one = one.replace(plural, single)
        if one != template:
            singular[template] = one
    template = pl.when(quantity == 1).then(pl.col("template").replace(singular)).otherwise(pl.col("template")) if singular else pl.col("template")
    braces = bool(lines["template"].str.contains("{{", literal=True).any() or lines["template"].str.contains("}}", literal=True).any())
    text = template.str.replace_all("{{", "\x00", literal=True).str.replace_all("}}", "\x01", literal=True) if braces else template
    distinct = lines["template"].unique()
    for field, value in (
        ("{q}", q_text),
        ("{r}", r_text),
        ("{a}", a_text),
        ("{detail}", pl.col("detail").fill_null("")),
        ("{line}", pl.col("line")),
    ):
        if distinct.str.contains(field, literal=True).any():  # only the fields some template has
            text = text.str.replace_all(field, value, literal=True)
    if braces:
        text = text.str.replace_all("\x00", "{", literal=True).str.replace_all("\x01", "}", literal=True)
    return lines.select(text.alias("explanation"))["explanation"]
