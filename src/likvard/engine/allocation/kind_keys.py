"""The keys of each component kind: its rows (grade bands, grants, parts, merit bands, rows by an
attribute's value) and one reader per kind that checks them into a component's fields.

Why apart from ``spec``: the model's shape (frames, components, the model) is one thing, and
what each kind's table may hold is another that grows with every kind a funder needs; the
compute of each kind lives in ``kinds/``, one module per kind (docs/model-format.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, get_args

from likvard.money import format_percent

from .inputs import GRADES_GR, GRADES_GY, LEISURE, SCHOOL_FORMS
from .keys import Keys

__all__ = ["PARSERS", "Band", "Flag", "Grant", "MeritBand", "Part", "ValueRate", "parse_grades"]

Flag = Literal["mother_tongue", "newcomer", "special_group_su", "special_group_rsu", "special_group_csu"]

ALL_GRADES = {"gr": GRADES_GR, "gran": GRADES_GR, "gy": GRADES_GY, "gyan": GRADES_GY}


@dataclass(frozen=True)
class Band:
    """A per-pupil amount for one grade band (and school form, optionally a leisure form)."""

    school_form: str
    grades: tuple[str, ...]
    amount_ore: int
    label: str
    leisure: str | None = None
    programme: str | None = None


@dataclass(frozen=True)
class ValueRate:
    """A rule row keyed by an attribute's value: an amount per pupil (``per_attribute``), a
    factor (``area_cost``), or only the value (a school type a ``lump_sum`` is for)."""

    value: str
    amount_ore: int = 0
    factor: Decimal = Decimal(1)
    label: str = ""
    school_form: str = ""  # per_attribute: the row applies to pupils of this form …
    grades: tuple[str, ...] = ()  # … and these grades (empty: the component's forms, every grade)


@dataclass(frozen=True)
class Part:
    label: str
    amount_ore: int


@dataclass(frozen=True)
class Grant:
    school_unit_code: str
    name: str
    amount_ore: int


@dataclass(frozen=True)
class MeritBand:
    """Pupils whose year-9 merit value is below ``below`` weigh ``weight``."""

    below: Decimal
    weight: Decimal


def parse_grades(text: str, school_form: str, keys: Keys, key: str) -> tuple[str, ...]:
    """``"F-3"`` → ("F", "1", "2", "3"); ``"7–9"``; ``"5"``; ranges within the school form."""
    grades = ALL_GRADES[school_form]
    cleaned = text.replace("–", "-").replace(" ", "").upper()
    lo, _, hi = cleaned.partition("-")
    hi = hi or lo
    if lo not in grades or hi not in grades:
        raise keys.error(key, f"{text!r} är inget årskursintervall i {school_form} ({grades[0]}–{grades[-1]})")
    i, j = grades.index(lo), grades.index(hi)
    if j < i:
        raise keys.error(key, f"{text!r}: intervallet är baklänges")
    return tuple(grades[i : j + 1])


def _bands(keys: Keys, key: str, default_form: str, leisure_ok: bool) -> tuple[Band, ...]:
    bands: list[Band] = []
    for table in keys.tables(key):
        form = table.choice("school_form", SCHOOL_FORMS, default=default_form)
        programme = table.text("programme", default="") or None if leisure_ok else None
        grade_text = table.text("grades", default="1-3" if programme else None)
        grades = parse_grades(grade_text, form, table, "grades")
        leisure = None
        if leisure_ok and table.has("leisure"):
            leisure = table.choice("leisure", LEISURE[1:])
        amount = table.need_money("amount")
        label = table.text("label", default=f"program {programme}" if programme else f"åk {grade_text}")
        table.done()
        band = Band(form, grades, amount, label, leisure, programme)
        for other in bands:
            if (
                other.school_form == form
                and other.leisure == leisure
                and other.programme == programme
                and set(other.grades) & set(grades)
            ):
                raise table.error("grades", f"årskursintervallet {grade_text!r} överlappar {other.label!r}")
        bands.append(band)
    return tuple(bands)




def _per_pupil(k: Keys, c: dict[str, Any]) -> None:
    c["bands"] = _bands(k, "rates", c["school_forms"][0], leisure_ok=True)
    if k.has("pupils"):  # only pupils with an attribute value: pupils = { attribute = "x", values = [true] }
        t = k.table("pupils")
        c["pupil_attribute"] = t.text("attribute")
        values = t.get("values")
        if not isinstance(values, list) or not values or not all(isinstance(v, str | int) for v in values):
            raise t.error("values", "ange vilka värden som gäller, t.ex. [true] eller [\"1\", \"2\"]")
        # a flag's true/false as the "1"/"0" a flag attribute's value is compared as
        c["pupil_values"] = tuple(("1" if v else "0") if isinstance(v, bool) else str(v) for v in values)
        t.done()


def _share_of(k: Keys, c: dict[str, Any]) -> None:
    c["of"] = k.text("of")
    c["share"] = k.share_value("share")
    c["min_share"] = k.share_value("min_share", Decimal(0))
    if c["share"] < c["min_share"]:
        raise k.error("share", f"{format_percent(c['share'])} är lägre än regelns minsta andel {format_percent(c['min_share'])}")
    # a share per band of the component it is a share of (by the band's label): the plan pays
    # anpassad grundskola 86,8–93,8 % by grade and needs group, its leisure supplement 92,2 %
    shares: list[tuple[str, Decimal]] = []
    for table in k.tables("shares") if k.has("shares") else []:
        band, share = table.text("band"), table.share_value("share")
        table.done()
        if share < c["min_share"]:
            raise table.error("share", f"{format_percent(share)} är lägre än regelns minsta andel {format_percent(c['min_share'])}")
        if band in dict(shares):
            raise table.error("band", f"bandet {band!r} har redan en andel")
        shares.append((band, share))
    c["band_shares"] = tuple(shares)


def _index_pot(k: Keys, c: dict[str, Any]) -> None:
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    c["base_amount_ore"] = k.need_money("base_amount")
    c["min_pupils"] = k.integer("min_pupils", default=10, minimum=1)
    c["moving_average_years"] = k.integer("moving_average_years", default=3, minimum=1)


def _pupil_pot(k: Keys, c: dict[str, Any]) -> None:
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    form = c["school_forms"][0]
    c["grades"] = parse_grades(k.text("grades", default="F-9" if form in ("gr", "gran") else "1-3"), form, k, "grades")
    if k.has("flag"):
        c["flag"] = k.choice("flag", get_args(Flag))
    c["min_share"] = k.share_value("min_share", Decimal(0))


def _per_flagged_pupil(k: Keys, c: dict[str, Any]) -> None:
    c["flag"] = k.choice("flag", get_args(Flag))
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    c["min_share"] = k.share_value("min_share", Decimal(0))
    c["exclude_resource_schools"] = k.flag("exclude_resource_schools", False)


def _individual(k: Keys, c: dict[str, Any]) -> None:
    c["surcharge"] = k.share_value("surcharge", Decimal(0))


def _composite(k: Keys, c: dict[str, Any]) -> None:
    parts = []
    for t in k.tables("parts"):
        parts.append(Part(t.text("label"), t.need_money("amount", allow_zero=False)))
        t.done()
    c["parts"] = tuple(parts)
    total = k.need_money("amount", allow_zero=False)
    if total != sum(p.amount_ore for p in parts):
        raise k.error("amount", "summan av delarna (parts) är inte lika med beloppet")
    c["amount_ore"] = total
    c["deduction_max_ore"] = k.need_money("deduction_max")
    c["deduction_share"] = k.share_value("deduction_share", Decimal(1))
    if c["deduction_max_ore"] > total:
        raise k.error("deduction_max", "avräkningen kan inte vara större än beloppet")


def _pooled_premium(k: Keys, c: dict[str, Any]) -> None:
    c["bands"] = _bands(k, "premiums", c["school_forms"][0], leisure_ok=False)
    c["pupil_money_from"] = k.strings("pupil_money_from", ())
    c["rsu_grant_from"] = k.text("rsu_grant_from", default="")


def _fixed_grant(k: Keys, c: dict[str, Any]) -> None:
    grants = []
    for t in k.tables("grants"):
        # The school unit code when it is known; otherwise the school is found by its name in
        # the school register, and a run whose register lacks it says so (never an invented code).
        code = t.text("school_unit_code", default="")
        if code and not (len(code) == 8 and code.isdigit()):
            raise t.error("school_unit_code", f"{code!r} är ingen skolenhetskod (8 siffror)")
        grants.append(Grant(code, t.text("school"), t.need_money("amount", allow_zero=False)))
        t.done()
    keys = [g.school_unit_code or g.name.casefold() for g in grants]
    if len(set(keys)) != len(keys):
        raise k.error("grants", "samma skola förekommer två gånger")
    c["grants"] = tuple(grants)


def _charge(k: Keys, c: dict[str, Any]) -> None:
    c["per_pupil_ore"] = k.money("per_pupil", required=False) or 0
    c["per_employee_ore"] = k.money("per_employee", required=False) or 0
    if not c["per_pupil_ore"] and not c["per_employee_ore"]:
        raise k.error("per_pupil", "en avgift behöver per_pupil och/eller per_employee")


def _merit_pot(k: Keys, c: dict[str, Any]) -> None:
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    bands = []
    for t in k.tables("weights"):
        bands.append(MeritBand(t.decimal("below"), t.decimal("weight")))
        t.done()
    if [b.below for b in bands] != sorted({b.below for b in bands}):
        raise k.error("weights", "gränserna (below) ska vara stigande och olika")
    c["merit_bands"] = tuple(bands)
    c["price_list"] = k.choice("price_list", ("", "exclude", "only"), default="")


def _values(k: Keys, key: str, *, amount: bool = False, factor: bool = False, forms: tuple[str, ...] = ()) -> tuple[ValueRate, ...]:
    rows: list[ValueRate] = []
    for t in k.tables(key):
        value = t.get("value")
        if isinstance(value, bool):
            value = "1" if value else "0"
        if not isinstance(value, str | int):
            raise t.error("value", "ett värde (text, tal eller true/false) behövs")
        form = ""
        grades: tuple[str, ...] = ()
        if forms:  # rows by school form and grades: primary and secondary rates of one factor
            form = t.choice("school_form", forms, default=forms[0])
            grades = parse_grades(t.text("grades"), form, t, "grades") if t.has("grades") else ALL_GRADES[form]
        row = ValueRate(str(value), t.need_money("amount") if amount else 0, t.decimal("factor") if factor else Decimal(1), t.text("label", default=str(value)), form, grades)
        t.done()
        for other in rows:
            overlap = (not row.grades and not other.grades) or bool(set(other.grades) & set(row.grades))
            if other.value == row.value and other.school_form == row.school_form and overlap:
                raise t.error("value", f"värdet {row.value!r} förekommer två gånger för samma elever")
        rows.append(row)
    return tuple(rows)


def _per_attribute(k: Keys, c: dict[str, Any]) -> None:
    c["attribute"] = k.text("attribute")
    c["values"] = _values(k, "rates", amount=True, forms=c["school_forms"])


def _lump_sum(k: Keys, c: dict[str, Any]) -> None:
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    c["min_pupils"] = k.integer("min_pupils", default=1, minimum=1)
    c["max_pupils"] = k.integer("max_pupils", default=0)
    if k.has("attribute"):  # the schools of a type: the same filter as ``schools = {attribute, values}``
        if c.get("school_attribute"):
            raise k.error("attribute", "ange skoltypen antingen med attribute och values eller med schools, inte båda")
        c["school_attribute"] = k.text("attribute")
        c["school_values"] = tuple(v.value for v in _values(k, "values"))


def _sparsity(k: Keys, c: dict[str, Any]) -> None:
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    c["attribute"] = k.text("attribute")
    c["distance"] = k.decimal("distance")
    c["max_pupils"] = k.integer("max_pupils", minimum=1)


def _area_cost(k: Keys, c: dict[str, Any]) -> None:
    c["attribute"] = k.text("attribute")
    c["values"] = _values(k, "factors", factor=True)
    c["counted"] = k.strings("of", ())


def _minimum_per_pupil(k: Keys, c: dict[str, Any]) -> None:
    c["bands"] = _bands(k, "levels", c["school_forms"][0], leisure_ok=False)
    c["counted"] = k.strings("of", ())


def _funding_floor(k: Keys, c: dict[str, Any]) -> None:
    c["floor"] = k.signed_share("floor")
    c["cap"] = k.signed_share("cap") if k.has("cap") else None
    c["counted"] = k.strings("of", ())
    if c["cap"] is not None and c["cap"] < c["floor"]:
        raise k.error("cap", "taket kan inte vara lägre än golvet")


PARSERS: dict[str, Callable[[Keys, dict[str, Any]], None]] = {
    "per_pupil": _per_pupil,
    "share_of": _share_of,
    "index_pot": _index_pot,
    "pupil_pot": _pupil_pot,
    "per_flagged_pupil": _per_flagged_pupil,
    "individual": _individual,
    "composite": _composite,
    "pooled_premium": _pooled_premium,
    "fixed_grant": _fixed_grant,
    "charge": _charge,
    "merit_pot": _merit_pot,
    "per_attribute": _per_attribute,
    "lump_sum": _lump_sum,
    "sparsity": _sparsity,
    "area_cost": _area_cost,
    "minimum_per_pupil": _minimum_per_pupil,
    "funding_floor": _funding_floor,
}
