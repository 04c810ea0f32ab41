"""The rules reference of a model, as Markdown: every frame and component with its kind, its
amounts as the model file writes them, whom it pays, and the plan's lines it cites.

Why generated: the reference must say what the model pays, and a hand-written summary drifts
from the model file (the audit of issue 9 found ten wrong citations in the model and gaps in
the summary). ``docs/rules-2024.md`` is this module's output for ``models/stockholm-2024``,
and a test fails when the two differ.

    python -m likvard.exports.rules models/stockholm-2024 > docs/rules-2024.md
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from likvard.engine.allocation import OPERATORS, load_model
from likvard.engine.allocation.spec import Component

__all__ = ["rules_markdown"]

#: The keys of a component that are figures, in the order the reference shows them.
_FIGURES = ("amount", "base_amount", "budget", "share", "min_share", "surcharge", "deduction_max", "deduction_share", "per_pupil", "per_employee", "floor", "cap")
_OPERATOR_WORDS = {"municipal": "egen regi", "independent": "fristående", "other_municipality": "andra kommuner", "state": "staten"}


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _figures(raw: dict[str, Any]) -> str:
    parts = [f"{k} {raw[k]}" for k in _FIGURES if k in raw]
    for key in ("rates", "levels", "grants", "parts", "premiums", "weights", "factors", "shares"):
        for item in raw.get(key, []) if isinstance(raw.get(key), list) else []:
            if isinstance(item, dict) and "below" in item:
                parts.append(f"meritvärde under {item['below']}: vikt {item.get('weight', '')}")
            elif isinstance(item, dict):
                name = item.get("label") or item.get("school") or item.get("band") or item.get("value") or item.get("grades") or item.get("programme") or item.get("below") or ""
                value = item.get("amount") or item.get("factor") or item.get("weight") or item.get("share") or ""
                parts.append(f"{name}: {value}".strip(": "))
    return "; ".join(_cell(p) for p in parts) or "–"


def _conditions(c: Component) -> str:
    """Whom a component counts beyond its school forms and organisers: residence, the pupils'
    flag, the schools and pupils of a type, the schools' conditions, the funder."""
    parts = ["folkbokförda elever" if c.residents_only else "alla elever"]
    if c.flag:
        parts.append(f"flagga {c.flag}" + (f" (minst {c.min_share * 100:.0f} %)" if c.flag == "special_group_su" else ""))
    if c.exclude_resource_schools:
        parts.append("utom resursskolor")
    if c.school_attribute:
        parts.append(f"skolor med attr_{c.school_attribute} = {' eller '.join(c.school_values)}")
    if c.pupil_attribute:
        parts.append(f"elever med attr_{c.pupil_attribute} = {' eller '.join(c.pupil_values)}")
    if c.condition:
        parts.append(f"villkor: skolor med attr_{c.condition} = 1 (utan kolumnen alla)")
    if c.funding != "municipal":
        parts.append("statsbidrag" if c.funding == "state_grant" else c.funding)
    return "; ".join(parts)


def rules_markdown(directory: str | Path) -> str:
    """The reference of the model in ``directory``."""
    model = load_model(directory)
    raw_by_id: dict[str, dict[str, Any]] = {}
    frames: list[dict[str, Any]] = []
    for doc in model.raw.values():
        for comp in doc.get("component", []):
            raw_by_id[comp["id"]] = dict(comp)
        frames.extend(dict(f) for f in doc.get("frame", []))
    lines = [
        f"# Regler: {model.name}",
        "",
        "Genererad ur modellfilerna (`python -m likvard.exports.rules MODELLKATALOG`): ändra modellen, inte den här filen.",
        f"Källa: {model.source}. L = rad i planen (docs/sources/). *Exempelvärde* = beloppet saknas i källorna.",
        "",
        "## Ramar",
        "",
        "| ram | belopp | komponenter | centralt | källa |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in frames:
        central = "; ".join(f"{c.get('label', '')}: {c.get('amount', '')}" for c in f.get("central", []))
        lines.append(f"| {_cell(f.get('label', f['id']))} | {_cell(f.get('amount', ''))} | {_cell(', '.join(f.get('components', [])))} | {_cell(central) or '–'} | {_cell(f.get('source', ''))} |")
    lines += ["", "## Komponenter", "", "| komponent | typ | belopp | skolformer | huvudmän | villkor | källa |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for c in model.components:
        raw = raw_by_id.get(c.id, {})
        who = "alla" if set(c.operators) == set(OPERATORS) else ", ".join(_OPERATOR_WORDS.get(o, o) for o in c.operators)
        label = f"{c.label} (`{c.id}`)" + (" *exempelvärde*" if c.illustrative else "")
        lines.append(f"| {_cell(label)} | {c.kind} | {_figures(raw)} | {', '.join(c.school_forms)} | {who} | {_cell(_conditions(c))} | {_cell(c.source)} |")
    if model.attributes:
        lines += ["", "## Attribut", "", "| attribut | gäller | typ | värden | obligatoriskt |", "| --- | --- | --- | --- | --- |"]
        for a in model.attributes:
            lines.append(f"| {_cell(a.label)} (`attr_{a.name}`) | {a.of} | {a.type} | {', '.join(a.values) or '–'} | {'ja' if a.required else 'nej'} |")
    notes = [(c.id, c.note) for c in model.components if c.note]
    if notes:
        lines += ["", "## Anmärkningar", ""]
        lines += [f"- `{cid}`: {_cell(note)}" for cid, note in notes]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(rules_markdown(sys.argv[1] if len(sys.argv) > 1 else "models/stockholm-2024"))
