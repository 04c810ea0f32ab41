"""The allocation model as data: TOML files → frozen, validated specs.

Why: the council's and the committee's rules change every year; a controller must be able to
read, change and version them without touching code, and every rule must cite the plan's line
it comes from. A model is a directory of TOML files (``model.toml`` with ``[model]`` plus any
number of files with ``[[component]]`` tables). Everything is checked on load: unknown keys,
missing amounts, overlapping grade bands, negative amounts and pots that cannot be met are
rejected with a message naming the file, the component and the key (docs/model-format.md).
"""

from __future__ import annotations

import copy
import hashlib
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args

from likvard.money import MoneyError, parse_money, parse_share

from .errors import ModelError
from .inputs import GRADES_GR, GRADES_GY, LEISURE, OPERATORS, SCHOOL_FORMS

Role = Literal["home_municipality", "organiser"]
Funding = Literal["municipal", "state_grant"]
Flag = Literal["mother_tongue", "newcomer", "special_group_su", "special_group_rsu", "special_group_csu"]
Kind = Literal[
    "per_pupil",
    "share_of",
    "index_pot",
    "pupil_pot",
    "per_flagged_pupil",
    "individual",
    "composite",
    "pooled_premium",
    "fixed_grant",
    "charge",
    "merit_pot",
    "per_attribute",
    "lump_sum",
    "sparsity",
    "area_cost",
    "minimum_per_pupil",
    "funding_floor",
]
#: Kinds that read other components' amounts for the same school: they run after the rest, in
#: the model's order (a minimum level tops up what the others paid; a floor compares it).
POST_KINDS = ("area_cost", "minimum_per_pupil", "funding_floor")
AttributeType = Literal["flag", "band", "number"]

_ALL_GRADES = {"gr": GRADES_GR, "gran": GRADES_GR, "gy": GRADES_GY, "gyan": GRADES_GY}


# ---------------------------------------------------------------------------------------------
# Specs


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
class Attribute:
    """A pupil or school attribute the model declares: read from the register's column
    ``attr_<name>`` (pupils.csv or schools.csv), checked against its type and values."""

    name: str
    of: str  # "pupil" or "school"
    type: str  # AttributeType
    values: tuple[str, ...] = ()
    label: str = ""
    #: A register without the column is an error; with ``required = false`` the attribute is
    #: missing for everyone, and the pupils a component would have paid by it are listed as
    #: unallocated (a register of a municipality without anpassad gymnasieskola has no needs group).
    required: bool = True

    @property
    def column(self) -> str:
        return f"attr_{self.name}"


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


@dataclass(frozen=True)
class Component:
    """Fields every component has; ``params`` holds the kind's own, already validated."""

    id: str
    kind: Kind
    label: str
    source: str
    file: str
    role: Role = "home_municipality"
    funding: Funding = "municipal"
    illustrative: bool = False
    vat: bool = True
    school_forms: tuple[str, ...] = ("gr",)
    operators: tuple[str, ...] = OPERATORS
    residents_only: bool = True
    budget_ore: int | None = None
    note: str = ""
    derived: tuple[str, ...] = ()
    interpreted: tuple[str, ...] = ()
    # kind-specific
    bands: tuple[Band, ...] = ()
    parts: tuple[Part, ...] = ()
    grants: tuple[Grant, ...] = ()
    merit_bands: tuple[MeritBand, ...] = ()
    amount_ore: int = 0
    base_amount_ore: int = 0
    share: Decimal = Decimal(1)
    min_share: Decimal = Decimal(0)
    of: str = ""
    flag: Flag | None = None
    grades: tuple[str, ...] = ()
    min_pupils: int = 0
    moving_average_years: int = 1
    surcharge: Decimal = Decimal(0)
    deduction_max_ore: int = 0
    deduction_share: Decimal = Decimal(1)
    per_pupil_ore: int = 0
    per_employee_ore: int = 0
    pupil_money_from: tuple[str, ...] = ()
    rsu_grant_from: str = ""
    exclude_resource_schools: bool = False
    #: Upper secondary: "" (every programme), "exclude" (pupils of other organisers on a
    #: programme of the model's common price list do not count) or "only" (only those count).
    #: Own schools are never on the common list (their programpeng is their own, L3431–3434).
    price_list: str = ""
    # the open rule language (docs/model-format.md, "Rules for any funder")
    attribute: str = ""
    values: tuple[ValueRate, ...] = ()
    counted: tuple[str, ...] = ()  # the components a post-kind reads (default: all before it)
    floor: Decimal = Decimal(0)
    cap: Decimal | None = None
    max_pupils: int = 0
    distance: Decimal = Decimal(0)
    school_attribute: str = ""  # the component applies only to schools of this type …
    school_values: tuple[str, ...] = ()  # … whose attribute has one of these values


@dataclass(frozen=True)
class CentralItem:
    label: str
    amount_ore: int
    source: str


@dataclass(frozen=True)
class Frame:
    """A council appropriation that several components share (e.g. strukturersättning)."""

    id: str
    label: str
    amount_ore: int
    components: tuple[str, ...]
    central: tuple[CentralItem, ...]
    source: str
    file: str


@dataclass(frozen=True)
class Labels:
    """The municipality's own words for its divisions and its office, shown in every output.

    Why data: Stockholm says "Stadsdelsområde" and "Grundskoleområde"; Göteborg has
    "stadsområden", a small municipality no districts at all. Nothing in the code may assume one.
    """

    municipality_name: str = ""
    sender: str = "Utbildningsförvaltningen"
    district: str = "Stadsdel"
    area: str = "Skolområde"


@dataclass(frozen=True)
class Model:
    id: str
    year: int
    name: str
    municipality: str
    source: str
    vat_rate: Decimal
    components: tuple[Component, ...]
    frames: tuple[Frame, ...] = ()
    labels: Labels = field(default_factory=Labels)
    #: The programmes of the regional common price list (Storsthlm's, L3431–3434) that
    #: independent schools and other municipalities' schools are paid by; components with
    #: ``price_list`` select their pupils by it.
    common_price_list: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    directory: str = ""
    #: The raw TOML documents by file name; overrides are applied to these and re-validated.
    raw: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False, compare=False)
    overrides: tuple[tuple[str, str], ...] = ()
    #: SHA-256 over the model's files as read (name and bytes, in name order): the version a
    #: run records, so a statement can always be traced to the exact rules it was paid under.
    version: str = ""

    def attribute(self, name: str) -> Attribute:
        for a in self.attributes:
            if a.name == name:
                return a
        raise KeyError(name)

    def component(self, component_id: str) -> Component:
        for c in self.components:
            if c.id == component_id:
                return c
        raise KeyError(component_id)

    @property
    def illustrative(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.components if c.illustrative)


# ---------------------------------------------------------------------------------------------
# Reading keys with messages that name the place


class _Keys:
    """Reads one TOML table, remembering which keys were used, to reject the unknown ones."""

    def __init__(self, raw: Mapping[str, Any], file: str, component: str, prefix: str = "") -> None:
        if not isinstance(raw, Mapping):
            raise ModelError("förväntade en tabell", file=file, component=component, key=prefix)
        self.raw = raw
        self.file = file
        self.component = component
        self.prefix = prefix
        self.used: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str, message: str) -> ModelError:
        return ModelError(message, file=self.file, component=self.component, key=self._name(key))

    def has(self, key: str) -> bool:
        return key in self.raw

    def get(self, key: str, required: bool = True) -> Any:
        self.used.add(key)
        if key not in self.raw:
            if required:
                raise self.error(key, "saknas")
            return None
        return self.raw[key]

    def text(self, key: str, default: str | None = None) -> str:
        value = self.get(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if not isinstance(value, str):
            raise self.error(key, f"ska vara text, inte {value!r}")
        return value

    def choice(self, key: str, choices: Iterable[str], default: str | None = None) -> str:
        value = self.text(key, default)
        allowed = tuple(choices)
        if value not in allowed:
            raise self.error(key, f"{value!r} är inget giltigt värde ({', '.join(allowed)})")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"ska vara true eller false, inte {value!r}")
        return value

    def integer(self, key: str, default: int | None = None, minimum: int = 0) -> int:
        value = self.get(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"ska vara ett heltal, inte {value!r}")
        if value < minimum:
            raise self.error(key, f"får inte vara mindre än {minimum}")
        return value

    def money(self, key: str, required: bool = True, allow_zero: bool = True) -> int | None:
        value = self.get(key, required=required)
        if value is None:
            return None
        if isinstance(value, float):
            raise self.error(key, f"skriv beloppet som text, t.ex. \"{value} kr\" (decimaltal i TOML är inte exakta)")
        try:
            ore = parse_money(value)
        except MoneyError as exc:
            raise self.error(key, str(exc)) from None
        if ore < 0:
            raise self.error(key, "belopp får inte vara negativa")
        if ore == 0 and not allow_zero:
            raise self.error(key, "beloppet saknas (0 kr)")
        return ore

    def need_money(self, key: str, allow_zero: bool = True) -> int:
        ore = self.money(key, required=True, allow_zero=allow_zero)
        assert ore is not None
        return ore

    def share_value(self, key: str, default: Decimal | None = None) -> Decimal:
        value = self.get(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if isinstance(value, float):
            raise self.error(key, f"skriv andelen som text, t.ex. \"{value * 100:g} %\"")
        try:
            share = parse_share(value)
        except MoneyError as exc:
            raise self.error(key, str(exc)) from None
        if share < 0 or share > 1:
            raise self.error(key, f"{value!r} ligger inte mellan 0 och 100 %")
        return share

    def signed_share(self, key: str) -> Decimal:
        """A share that may be negative (a floor of −0,5 %), between −100 % and 100 %."""
        value = self.get(key)
        text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else None
        if text is None:
            raise self.error(key, f"skriv andelen som text, t.ex. \"0,5 %\", inte {value!r}")
        negative = text[:1] in ("-", "\u2212")
        try:
            share = parse_share(text[1:] if negative else text)
        except MoneyError as exc:
            raise self.error(key, str(exc)) from None
        if share > 1:
            raise self.error(key, f"{value!r} ligger inte mellan −100 och 100 %")
        return -share if negative else share

    def decimal(self, key: str) -> Decimal:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.error(key, f"ska vara ett tal (heltal eller text), inte {value!r}")
        try:
            number = Decimal(str(value).replace(",", ".").replace(" ", ""))
        except ArithmeticError:
            raise self.error(key, f"{value!r} är inget tal") from None
        if not number.is_finite() or number < 0:
            raise self.error(key, f"{value!r} ska vara ett icke-negativt tal")
        return number

    def strings(self, key: str, default: tuple[str, ...], allowed: Iterable[str] | None = None) -> tuple[str, ...]:
        value = self.get(key, required=False)
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
            raise self.error(key, "ska vara en lista med text")
        if allowed is not None:
            ok = tuple(allowed)
            for v in value:
                if v not in ok:
                    raise self.error(key, f"{v!r} är inget giltigt värde ({', '.join(ok)})")
        return tuple(value)

    def table(self, key: str) -> _Keys:
        value = self.get(key)
        if not isinstance(value, Mapping):
            raise self.error(key, "ska vara en tabell, t.ex. { attribute = \"phase\", values = [\"primary\"] }")
        return _Keys(value, self.file, self.component, self._name(key))

    def tables(self, key: str) -> list[_Keys]:
        value = self.get(key)
        if not isinstance(value, list) or not value:
            raise self.error(key, "ska vara en lista med tabeller ([[...]]), minst en")
        return [_Keys(v, self.file, self.component, f"{self._name(key)}[{i}]") for i, v in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise self.error(unknown[0], "okänd nyckel (stavfel?)")


def parse_grades(text: str, school_form: str, keys: _Keys, key: str) -> tuple[str, ...]:
    """``"F-3"`` → ("F", "1", "2", "3"); ``"7–9"``; ``"5"``; ranges within the school form."""
    grades = _ALL_GRADES[school_form]
    cleaned = text.replace("–", "-").replace(" ", "").upper()
    lo, _, hi = cleaned.partition("-")
    hi = hi or lo
    if lo not in grades or hi not in grades:
        raise keys.error(key, f"{text!r} är inget årskursintervall i {school_form} ({grades[0]}–{grades[-1]})")
    i, j = grades.index(lo), grades.index(hi)
    if j < i:
        raise keys.error(key, f"{text!r}: intervallet är baklänges")
    return tuple(grades[i : j + 1])


def _bands(keys: _Keys, key: str, default_form: str, leisure_ok: bool) -> tuple[Band, ...]:
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


# ---------------------------------------------------------------------------------------------
# One parser per kind (the registry from kind to its reader; compute lives in kinds/, one module per kind)


def _per_pupil(k: _Keys, c: dict[str, Any]) -> None:
    c["bands"] = _bands(k, "rates", c["school_forms"][0], leisure_ok=True)


def _share_of(k: _Keys, c: dict[str, Any]) -> None:
    c["of"] = k.text("of")
    c["share"] = k.share_value("share")
    c["min_share"] = k.share_value("min_share", Decimal(0))
    if c["share"] < c["min_share"]:
        raise k.error("share", f"{c['share'] * 100:g} % är lägre än regelns minsta andel {c['min_share'] * 100:g} %")


def _index_pot(k: _Keys, c: dict[str, Any]) -> None:
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    c["base_amount_ore"] = k.need_money("base_amount")
    c["min_pupils"] = k.integer("min_pupils", default=10, minimum=1)
    c["moving_average_years"] = k.integer("moving_average_years", default=3, minimum=1)


def _pupil_pot(k: _Keys, c: dict[str, Any]) -> None:
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    form = c["school_forms"][0]
    c["grades"] = parse_grades(k.text("grades", default="F-9" if form in ("gr", "gran") else "1-3"), form, k, "grades")
    if k.has("flag"):
        c["flag"] = k.choice("flag", get_args(Flag))
    c["min_share"] = k.share_value("min_share", Decimal(0))


def _per_flagged_pupil(k: _Keys, c: dict[str, Any]) -> None:
    c["flag"] = k.choice("flag", get_args(Flag))
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    c["min_share"] = k.share_value("min_share", Decimal(0))
    c["exclude_resource_schools"] = k.flag("exclude_resource_schools", False)


def _individual(k: _Keys, c: dict[str, Any]) -> None:
    c["surcharge"] = k.share_value("surcharge", Decimal(0))


def _composite(k: _Keys, c: dict[str, Any]) -> None:
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


def _pooled_premium(k: _Keys, c: dict[str, Any]) -> None:
    c["bands"] = _bands(k, "premiums", c["school_forms"][0], leisure_ok=False)
    c["pupil_money_from"] = k.strings("pupil_money_from", ())
    c["rsu_grant_from"] = k.text("rsu_grant_from", default="")


def _fixed_grant(k: _Keys, c: dict[str, Any]) -> None:
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


def _charge(k: _Keys, c: dict[str, Any]) -> None:
    c["per_pupil_ore"] = k.money("per_pupil", required=False) or 0
    c["per_employee_ore"] = k.money("per_employee", required=False) or 0
    if not c["per_pupil_ore"] and not c["per_employee_ore"]:
        raise k.error("per_pupil", "en avgift behöver per_pupil och/eller per_employee")


def _merit_pot(k: _Keys, c: dict[str, Any]) -> None:
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    bands = []
    for t in k.tables("weights"):
        bands.append(MeritBand(t.decimal("below"), t.decimal("weight")))
        t.done()
    if [b.below for b in bands] != sorted({b.below for b in bands}):
        raise k.error("weights", "gränserna (below) ska vara stigande och olika")
    c["merit_bands"] = tuple(bands)
    c["price_list"] = k.choice("price_list", ("", "exclude", "only"), default="")


def _values(k: _Keys, key: str, *, amount: bool = False, factor: bool = False, forms: tuple[str, ...] = ()) -> tuple[ValueRate, ...]:
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
            grades = parse_grades(t.text("grades"), form, t, "grades") if t.has("grades") else _ALL_GRADES[form]
        row = ValueRate(str(value), t.need_money("amount") if amount else 0, t.decimal("factor") if factor else Decimal(1), t.text("label", default=str(value)), form, grades)
        t.done()
        for other in rows:
            overlap = (not row.grades and not other.grades) or bool(set(other.grades) & set(row.grades))
            if other.value == row.value and other.school_form == row.school_form and overlap:
                raise t.error("value", f"värdet {row.value!r} förekommer två gånger för samma elever")
        rows.append(row)
    return tuple(rows)


def _per_attribute(k: _Keys, c: dict[str, Any]) -> None:
    c["attribute"] = k.text("attribute")
    c["values"] = _values(k, "rates", amount=True, forms=c["school_forms"])


def _lump_sum(k: _Keys, c: dict[str, Any]) -> None:
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    c["min_pupils"] = k.integer("min_pupils", default=1, minimum=1)
    c["max_pupils"] = k.integer("max_pupils", default=0)
    if k.has("attribute"):  # the schools of a type: the same filter as ``schools = {attribute, values}``
        if c.get("school_attribute"):
            raise k.error("attribute", "ange skoltypen antingen med attribute och values eller med schools, inte båda")
        c["school_attribute"] = k.text("attribute")
        c["school_values"] = tuple(v.value for v in _values(k, "values"))


def _sparsity(k: _Keys, c: dict[str, Any]) -> None:
    c["amount_ore"] = k.need_money("amount", allow_zero=False)
    c["attribute"] = k.text("attribute")
    c["distance"] = k.decimal("distance")
    c["max_pupils"] = k.integer("max_pupils", minimum=1)


def _area_cost(k: _Keys, c: dict[str, Any]) -> None:
    c["attribute"] = k.text("attribute")
    c["values"] = _values(k, "factors", factor=True)
    c["counted"] = k.strings("of", ())


def _minimum_per_pupil(k: _Keys, c: dict[str, Any]) -> None:
    c["bands"] = _bands(k, "levels", c["school_forms"][0], leisure_ok=False)
    c["counted"] = k.strings("of", ())


def _funding_floor(k: _Keys, c: dict[str, Any]) -> None:
    c["floor"] = k.signed_share("floor")
    c["cap"] = k.signed_share("cap") if k.has("cap") else None
    c["counted"] = k.strings("of", ())
    if c["cap"] is not None and c["cap"] < c["floor"]:
        raise k.error("cap", "taket kan inte vara lägre än golvet")


_PARSERS: dict[str, Callable[[_Keys, dict[str, Any]], None]] = {
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
assert set(_PARSERS) == set(get_args(Kind))


def _component(raw: Mapping[str, Any], file: str) -> Component:
    cid = raw.get("id") if isinstance(raw, Mapping) else None
    if not isinstance(cid, str) or not cid.replace("_", "").isalnum() or not cid[:1].isalpha():
        raise ModelError("varje komponent behöver ett id (bokstäver, siffror, _)", file=file, key="id")
    k = _Keys(raw, file, cid)
    k.used.add("id")
    c: dict[str, Any] = {
        "id": cid,
        "file": file,
        "kind": k.choice("kind", _PARSERS),
        "label": k.text("label"),
        "source": k.text("source"),
        "role": k.choice("role", get_args(Role), default="home_municipality"),
        "funding": k.choice("funding", get_args(Funding), default="municipal"),
        "illustrative": k.flag("illustrative", False),
        "school_forms": k.strings("school_forms", ("gr",), SCHOOL_FORMS),
        "operators": k.strings("operators", OPERATORS, OPERATORS),
        "residents_only": k.flag("residents_only", True),
        "budget_ore": k.money("budget", required=False),
        "note": k.text("note", default=""),
        # figures the plan does not state as such: a sum of its figures, or a reading of its
        # text; each needs a note that says how (tests/engine/allocation/test_sources.py)
        "derived": k.strings("derived", ()),
        "interpreted": k.strings("interpreted", ()),
    }
    c["vat"] = k.flag("vat", c["role"] == "home_municipality" and c["funding"] == "municipal")
    if k.has("schools"):  # only schools of a type: schools = { attribute = "phase", values = ["primary"] }
        t = k.table("schools")
        c["school_attribute"] = t.text("attribute")
        c["school_values"] = tuple(str(v) for v in t.strings("values", ()))
        if not c["school_values"]:
            raise t.error("values", "ange vilka värden som gäller, t.ex. [\"primary\"]")
        t.done()
    _PARSERS[c["kind"]](k, c)
    k.done()
    return Component(**c)


def _frame(raw: Mapping[str, Any], file: str, ids: set[str]) -> Frame:
    fid = raw.get("id", "") if isinstance(raw, Mapping) else ""
    k = _Keys(raw, file, f"frame {fid}")
    fid = k.text("id")
    k.strings("derived", ())  # read by the source check (tests/engine/allocation/test_sources.py)
    k.text("note", default="")
    central = []
    if k.has("central"):
        for t in k.tables("central"):
            central.append(CentralItem(t.text("label"), t.need_money("amount"), t.text("source", default="")))
            t.done()
    components = k.strings("components", ())
    for cid in components:
        if cid not in ids:
            raise k.error("components", f"okänd komponent {cid!r}")
    frame = Frame(fid, k.text("label"), k.need_money("amount", allow_zero=False), components, tuple(central), k.text("source"), file)
    k.done()
    return frame


POT_KINDS = ("index_pot", "pupil_pot", "merit_pot")


def planned_amount(c: Component) -> int:
    """What a component is planned to cost: its pot, else its budget, else its listed grants."""
    if c.kind in POT_KINDS:
        return c.amount_ore
    if c.budget_ore is not None:
        return c.budget_ore
    return sum(g.amount_ore for g in c.grants)


def _check_pots(model: Model) -> None:
    """Pots that cannot be met, and references between components."""
    by_id = {c.id: c for c in model.components}
    for c in model.components:
        if c.kind == "share_of":
            target = by_id.get(c.of)
            if target is None or target.kind != "per_pupil":
                raise ModelError(f"{c.of!r} är ingen komponent av typen per_pupil", file=c.file, component=c.id, key="of")
        if c.kind == "pooled_premium":
            for ref in c.pupil_money_from:
                if ref not in by_id or by_id[ref].kind not in ("per_pupil", "share_of"):
                    raise ModelError(f"{ref!r} är ingen elevpeng-komponent", file=c.file, component=c.id, key="pupil_money_from")
            if c.rsu_grant_from and (c.rsu_grant_from not in by_id or by_id[c.rsu_grant_from].flag != "special_group_rsu"):
                raise ModelError(f"{c.rsu_grant_from!r} är inget RSU-bidrag", file=c.file, component=c.id, key="rsu_grant_from")
        if c.kind == "fixed_grant" and c.budget_ore is not None:
            total = sum(g.amount_ore for g in c.grants)
            if total > c.budget_ore:
                raise ModelError("bidragen är större än budgeten: potten räcker inte", file=c.file, component=c.id, key="budget")
    for f in model.frames:
        parts = sum(planned_amount(by_id[cid]) for cid in f.components)
        parts += sum(i.amount_ore for i in f.central)
        if parts > f.amount_ore:
            raise ModelError(
                f"delarna ({parts // 100:,} kr) är större än ramen ({f.amount_ore // 100:,} kr): ramen räcker inte".replace(",", " "),
                file=f.file,
                component=f"frame {f.id}",
                key="amount",
            )


def _attribute(raw: Mapping[str, Any], file: str) -> Attribute:
    name = raw.get("name", "") if isinstance(raw, Mapping) else ""
    k = _Keys(raw, file, f"attribute {name}")
    name = k.text("name")
    if not name.replace("_", "").isalnum() or not name[:1].isalpha():
        raise k.error("name", "namnet får ha bokstäver, siffror och _ (kolumnen heter attr_<namn>)")
    kind = k.choice("type", get_args(AttributeType))
    values = k.strings("values", ()) if kind == "band" else ()
    if kind == "band" and not values:
        raise k.error("values", "ett band behöver sina värden, t.ex. [\"A\", \"B\", \"C\"]")
    attribute = Attribute(name, k.choice("of", ("pupil", "school"), default="pupil"), kind, values, k.text("label", default=name), k.flag("required", True))
    k.done()
    return attribute


#: What each kind of the open rule language needs of its attribute: its table and its types.
_ATTRIBUTE_USE = {
    "per_attribute": ("pupil", ("flag", "band")),
    "sparsity": ("school", ("number",)),
    "area_cost": ("school", ("band",)),
}


def _check_attributes(model: Model) -> None:
    """Every attribute a component reads is declared, on the right table and of a usable type;
    the values its rows name are values the attribute can take; the components a post-kind
    counts exist and come before it."""
    names = [a.name for a in model.attributes]
    if len(set(names)) != len(names):
        raise ModelError("två attribut har samma namn", key="attribute")
    order = {c.id: i for i, c in enumerate(model.components)}
    for c in model.components:
        where = {"file": c.file, "component": c.id}
        if c.attribute:
            if c.attribute not in names:
                raise ModelError(f"attributet {c.attribute!r} är inte deklarerat ([[attribute]] name = \"{c.attribute}\")", key="attribute", **where)
            a = model.attribute(c.attribute)
            table, types = _ATTRIBUTE_USE[c.kind]
            if a.of != table or a.type not in types:
                raise ModelError(f"{c.kind} läser ett attribut för {table} av typen {' eller '.join(types)}; {a.name!r} är {a.of}, {a.type}", key="attribute", **where)
            allowed = set(a.values) if a.type == "band" else {"0", "1"}
            for v in c.values:
                if v.value not in allowed:
                    raise ModelError(f"{v.value!r} är inget värde av {a.name!r} ({', '.join(sorted(allowed))})", key="values", **where)
        if c.school_attribute:
            if c.school_attribute not in names:
                raise ModelError(f"attributet {c.school_attribute!r} är inte deklarerat", key="schools", **where)
            a = model.attribute(c.school_attribute)
            if a.of != "school" or a.type == "number":
                raise ModelError(f"schools.attribute ska vara ett skolattribut av typen flag eller band; {a.name!r} är {a.of}, {a.type}", key="schools", **where)
            allowed = set(a.values) if a.type == "band" else {"0", "1"}
            for value in c.school_values:
                if value not in allowed:
                    raise ModelError(f"{value!r} är inget värde av {a.name!r} ({', '.join(sorted(allowed))})", key="schools", **where)
        for other in c.counted:
            if other not in order:
                raise ModelError(f"okänd komponent {other!r}", key="of", **where)
            if order[other] >= order[c.id]:
                raise ModelError(f"{other!r} måste stå före {c.id!r} i modellen (den räknas av den)", key="of", **where)


def build_model(
    raw_files: Mapping[str, Mapping[str, Any]], directory: str = "", overrides: tuple[tuple[str, str], ...] = (), version: str = ""
) -> Model:
    """Validate raw TOML documents (file name → document) into a Model."""
    header: tuple[str, Mapping[str, Any]] | None = None
    components: list[Component] = []
    attributes: list[Attribute] = []
    frame_raw: list[tuple[str, Mapping[str, Any]]] = []
    for file in sorted(raw_files):
        doc = raw_files[file]
        unknown = sorted(set(doc) - {"model", "component", "frame", "attribute"})
        if unknown:
            raise ModelError("okänd tabell (tillåtna: model, component, frame, attribute)", file=file, key=unknown[0])
        for raw in doc.get("attribute", []) if isinstance(doc.get("attribute", []), list) else []:
            attributes.append(_attribute(raw, file))
        if "model" in doc:
            if header is not None:
                raise ModelError(f"[model] finns redan i {header[0]}", file=file, key="model")
            header = (file, doc["model"])
        comps = doc.get("component", [])
        if not isinstance(comps, list):
            raise ModelError("skriv komponenter som [[component]]", file=file, key="component")
        for raw in comps:
            components.append(_component(raw, file))
        frames = doc.get("frame", [])
        if not isinstance(frames, list):
            raise ModelError("skriv ramar som [[frame]]", file=file, key="frame")
        frame_raw.extend((file, f) for f in frames)
    if header is None:
        raise ModelError("ingen fil har en [model]-tabell (id, year …)", file=directory or "modellen")
    file, h = header
    k = _Keys(h, file, "", "model")
    ids = [c.id for c in components]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        c = next(c for c in reversed(components) if c.id == dupes[0])
        raise ModelError("id:t används av två komponenter", file=c.file, component=c.id, key="id")
    frames = tuple(_frame(r, f, set(ids)) for f, r in frame_raw)
    municipality = k.text("municipality")
    if not (len(municipality) == 4 and municipality.isdigit()):
        raise k.error("municipality", f"{municipality!r} är ingen kommunkod (4 siffror, t.ex. \"0180\")")
    defaults = Labels()
    labels = Labels(
        municipality_name=k.text("municipality_name", default=defaults.municipality_name),
        sender=k.text("sender", default=defaults.sender),
        district=k.text("district_label", default=defaults.district),
        area=k.text("area_label", default=defaults.area),
    )
    model = Model(
        id=k.text("id"),
        year=k.integer("year", minimum=2000),
        name=k.text("name"),
        municipality=municipality,
        labels=labels,
        common_price_list=k.strings("common_price_list", ()),
        attributes=tuple(attributes),
        source=k.text("source"),
        vat_rate=k.share_value("vat_rate"),
        components=tuple(components),
        frames=frames,
        directory=directory,
        raw=raw_files,
        overrides=overrides,
        version=version,
    )
    k.done()
    if not components:
        raise ModelError("modellen har inga komponenter", file=directory or file)
    _check_attributes(model)
    for c in components:
        if c.price_list and not model.common_price_list:
            raise ModelError("price_list kräver att [model] anger common_price_list (programmen på den gemensamma prislistan)", file=c.file, component=c.id, key="price_list")
    _check_pots(model)
    return model


def load_model(directory: str | Path) -> Model:
    """Read every ``*.toml`` in ``directory`` (sorted by name) and validate them together."""
    path = Path(directory)
    if not path.is_dir():
        raise ModelError(f"modellkatalogen {str(path)!r} finns inte")
    raw: dict[str, Mapping[str, Any]] = {}
    digest = hashlib.sha256()
    for f in sorted(path.glob("*.toml")):
        content = f.read_bytes()
        digest.update(f.name.encode("utf-8") + b"\0" + content + b"\0")
        try:
            raw[f.name] = tomllib.loads(content.decode("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ModelError(f"ogiltig TOML: {exc}", file=f.name) from None
        except UnicodeDecodeError:
            raise ModelError("filen är inte UTF-8", file=f.name) from None
    if not raw:
        raise ModelError(f"inga .toml-filer i {str(path)!r}")
    return build_model(raw, str(path), version=digest.hexdigest())


def _set_path(doc: Any, parts: list[str], value: Any) -> bool:
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(doc, list):
            if not part.isdigit() or int(part) >= len(doc):
                return False
            if last:
                doc[int(part)] = value
                return True
            doc = doc[int(part)]
        elif isinstance(doc, dict):
            if last:
                doc[part] = value
                return True
            if part not in doc:
                return False
            doc = doc[part]
        else:
            return False
    return False


def with_overrides(model: Model, settings: Iterable[str]) -> Model:
    """Apply ``component.key=value`` settings (``socioeconomic.base_amount=3000``).

    The value is text, read as the key would be in the file (a bare number is kronor for
    amounts). Paths into lists use indices: ``rsu_pool.premiums.0.amount=70``. The result is
    validated exactly like a file, so a bad value gets the same message as in the file.
    """
    raw = copy.deepcopy({k: dict(v) for k, v in model.raw.items()})
    applied: list[tuple[str, str]] = list(model.overrides)
    for setting in settings:
        path, eq, value = setting.partition("=")
        if not eq or not path.strip():
            raise ModelError(f"{setting!r}: skriv inställningen som komponent.nyckel=värde")
        parts = path.strip().split(".")
        target_id, rest = parts[0], parts[1:]
        text = value.strip()
        parsed: Any = text
        if text.lower() in ("true", "false"):
            parsed = text.lower() == "true"
        elif text.lstrip("-").isdigit() and rest and rest[-1] in ("min_pupils", "moving_average_years", "year"):
            parsed = int(text)
        done = False
        if target_id == "model" and rest:
            for doc in raw.values():
                if "model" in doc:
                    doc["model"] = dict(doc["model"])
                    done = _set_path(doc["model"], rest, parsed)
        else:
            for doc in raw.values():
                for comp in [*doc.get("component", []), *doc.get("frame", [])]:
                    if isinstance(comp, dict) and comp.get("id") == target_id and rest:
                        if len(rest) == 1 and rest[0] not in comp:
                            comp[rest[0]] = parsed  # a new key: validation decides
                            done = True
                        else:
                            done = _set_path(comp, rest, parsed)
        if not done:
            raise ModelError(f"{path!r} finns inte i modellen", component=target_id, key=".".join(rest))
        applied.append((path.strip(), text))
    return build_model(raw, model.directory, tuple(applied), model.version)
