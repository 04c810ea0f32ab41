"""Every amount of a model as form fields, grouped by component (the scenario page's form)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

#: The keys of a model file that hold amounts or shares a controller changes in a scenario,
#: with their labels in the interface (docs/model-format.md lists them all).
AMOUNT_KEYS = {
    "amount": gettext_lazy("Belopp"),
    "base_amount": gettext_lazy("Basbelopp per elev"),
    "budget": gettext_lazy("Budget"),
    "per_pupil": gettext_lazy("Per elev"),
    "per_employee": gettext_lazy("Per anställd"),
    "deduction_max": gettext_lazy("Högsta avdrag"),
    "deduction_share": gettext_lazy("Avdragets andel"),
    "min_share": gettext_lazy("Lägsta andel"),
    "share": gettext_lazy("Andel"),
    "surcharge": gettext_lazy("Påslag"),
    "vat_rate": gettext_lazy("Momssats"),
}


@dataclass(frozen=True)
class AmountField:
    """One amount of the model as a form field: ``key`` is the override path."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class AmountGroup:
    """A component's (or a frame's) amounts, with its source citation."""

    id: str
    label: str
    source: str
    illustrative: bool
    fields: list[AmountField]


def _shown(value: Any) -> str:
    return " ".join(str(value).replace("\u00a0", " ").split())


def editable_amounts(model: Any) -> list[AmountGroup]:
    """Every amount and share in the model, grouped by component, in file order.

    Why generic: the form must cover every rule of the model file, including components a
    municipality adds, without a form class per component kind. Items of lists (grade bands,
    grants, premiums) are labelled by their own label, school or grades.
    """
    groups = []
    for doc in model.raw.values():
        for comp in [*doc.get("frame", []), *doc.get("component", [])]:
            cid = comp.get("id", "")
            fields: list[AmountField] = []
            for key, value in comp.items():
                if key in AMOUNT_KEYS and isinstance(value, str | int | float) and not isinstance(value, bool):
                    fields.append(AmountField(f"{cid}.{key}", str(AMOUNT_KEYS[key]), _shown(value)))
                elif isinstance(value, list):
                    for i, item in enumerate(value):
                        if not isinstance(item, dict):
                            continue
                        name = item.get("label") or item.get("school") or item.get("grades") or item.get("programme") or f"{key} {i + 1}"
                        for ikey, ivalue in item.items():
                            if ikey in AMOUNT_KEYS and isinstance(ivalue, str | int | float) and not isinstance(ivalue, bool):
                                fields.append(AmountField(f"{cid}.{key}.{i}.{ikey}", f"{name}: {str(AMOUNT_KEYS[ikey]).lower()}", _shown(ivalue)))
            if fields:
                groups.append(AmountGroup(cid, comp.get("label", cid), comp.get("source", ""), bool(comp.get("illustrative")), fields))
    return groups


def changed_amounts(model: Any, posted: dict[str, str]) -> dict[str, str]:
    """The posted amounts that differ from the model's (whitespace ignored), by key."""
    current = {f.key: f.value for g in editable_amounts(model) for f in g.fields}
    return {k: _shown(v) for k, v in posted.items() if k in current and _shown(v) != current[k]}
