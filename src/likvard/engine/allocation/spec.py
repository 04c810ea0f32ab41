"""The allocation model as data: TOML files → frozen, validated specs.

Why: the council's and the committee's rules change every year; a controller must be able to
read, change and version them without touching code, and every rule must cite the plan's line
it comes from. A model is a directory of TOML files (``model.toml`` with ``[model]`` plus any
number of files with ``[[component]]`` tables). Everything is checked on load: unknown keys,
missing amounts, overlapping grade bands, negative amounts and pots that cannot be met are
rejected with a message naming the file, the component and the key (docs/model-format.md).
This module holds the model's shape and its assembly; ``keys`` reads a table with located
messages, ``kind_keys`` holds each kind's rows and reader.
"""

from __future__ import annotations

import copy
import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args

from .errors import ModelError
from .inputs import OPERATORS, SCHOOL_FORMS
from .keys import Keys
from .kind_keys import PARSERS, Band, Flag, Grant, MeritBand, Part, ValueRate

__all__ = [
    "POST_KINDS", "Attribute", "Band", "CentralItem", "Component", "Frame", "Grant", "Labels", "MeritBand", "Model", "Part",
    "ValueRate", "build_model", "load_model", "planned_amount", "with_overrides",
]

Role = Literal["home_municipality", "organiser"]
Funding = Literal["municipal", "state_grant"]
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


# ---------------------------------------------------------------------------------------------
# Specs


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
    #: ``share_of``: a share per band label of the component it is a share of (else ``share``).
    band_shares: tuple[tuple[str, Decimal], ...] = ()
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
    #: ``per_pupil``: only pupils whose declared pupil attribute has one of these values
    #: (``pupils = {attribute, values}``; anpassad gymnasieskola's individual programmes).
    pupil_attribute: str = ""
    pupil_values: tuple[str, ...] = ()
    #: A declared school flag the school must have to be paid (resource schools' and SU groups'
    #: conditions, L3682–3685, L3691–3694); a register without the column pays as if every
    #: school had it.
    condition: str = ""


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


assert set(PARSERS) == set(get_args(Kind))


def _component(raw: Mapping[str, Any], file: str) -> Component:
    cid = raw.get("id") if isinstance(raw, Mapping) else None
    if not isinstance(cid, str) or not cid.replace("_", "").isalnum() or not cid[:1].isalpha():
        raise ModelError("varje komponent behöver ett id (bokstäver, siffror, _)", file=file, key="id")
    k = Keys(raw, file, cid)
    k.used.add("id")
    c: dict[str, Any] = {
        "id": cid,
        "file": file,
        "kind": k.choice("kind", PARSERS),
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
        # a declared school flag: only schools meeting the plan's conditions are paid
        "condition": k.text("condition", default=""),
    }
    c["vat"] = k.flag("vat", c["role"] == "home_municipality" and c["funding"] == "municipal")
    if k.has("schools"):  # only schools of a type: schools = { attribute = "phase", values = ["primary"] }
        t = k.table("schools")
        c["school_attribute"] = t.text("attribute")
        c["school_values"] = tuple(str(v) for v in t.strings("values", ()))
        if not c["school_values"]:
            raise t.error("values", "ange vilka värden som gäller, t.ex. [\"primary\"]")
        t.done()
    PARSERS[c["kind"]](k, c)
    k.done()
    return Component(**c)


def _frame(raw: Mapping[str, Any], file: str, ids: set[str]) -> Frame:
    fid = raw.get("id", "") if isinstance(raw, Mapping) else ""
    k = Keys(raw, file, f"frame {fid}")
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
            if target.pupil_attribute:  # the share is counted on the cells, which hold no pupil attributes
                raise ModelError(f"{c.of!r} väljer elever efter ett attribut (pupils): en andel av den kan inte räknas", file=c.file, component=c.id, key="of")
        if c.kind == "pooled_premium":
            for ref in c.pupil_money_from:
                if ref not in by_id or by_id[ref].kind not in ("per_pupil", "share_of"):
                    raise ModelError(f"{ref!r} är ingen elevpeng-komponent", file=c.file, component=c.id, key="pupil_money_from")
                if by_id[ref].pupil_attribute:
                    raise ModelError(f"{ref!r} väljer elever efter ett attribut (pupils) och kan inte föras vidare", file=c.file, component=c.id, key="pupil_money_from")
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
    k = Keys(raw, file, f"attribute {name}")
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
        if c.pupil_attribute:
            _check_filter(model, names, c.pupil_attribute, c.pupil_values, "pupil", "pupils", "elevattribut", where)
        if c.condition:
            if c.condition not in names:
                raise ModelError(f"attributet {c.condition!r} är inte deklarerat", key="condition", **where)
            a = model.attribute(c.condition)
            if a.of != "school" or a.type != "flag":
                raise ModelError(f"condition ska vara ett skolattribut av typen flag; {a.name!r} är {a.of}, {a.type}", key="condition", **where)
        if c.school_attribute:
            _check_filter(model, names, c.school_attribute, c.school_values, "school", "schools", "skolattribut", where)
        for other in c.counted:
            if other not in order:
                raise ModelError(f"okänd komponent {other!r}", key="of", **where)
            if order[other] >= order[c.id]:
                raise ModelError(f"{other!r} måste stå före {c.id!r} i modellen (den räknas av den)", key="of", **where)


def _check_filter(model: Model, names: list[str], attribute: str, values: tuple[str, ...], of: str, key: str, word: str, where: dict[str, Any]) -> None:
    """A ``pupils`` or ``schools`` filter names a declared flag or band of its table, and only
    values that attribute allows."""
    if attribute not in names:
        raise ModelError(f"attributet {attribute!r} är inte deklarerat", key=key, **where)
    a = model.attribute(attribute)
    if a.of != of or a.type == "number":
        raise ModelError(f"{key}.attribute ska vara ett {word} av typen flag eller band; {a.name!r} är {a.of}, {a.type}", key=key, **where)
    allowed = set(a.values) if a.type == "band" else {"0", "1"}
    for value in values:
        if value not in allowed:
            raise ModelError(f"{value!r} är inget värde av {a.name!r} ({', '.join(sorted(allowed))})", key=key, **where)


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
    k = Keys(h, file, "", "model")
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
