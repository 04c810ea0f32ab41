"""An allocation's result: the lines, pots and unallocated records of a run, and what is made
of them — each school's statement, the reconciliation, the CLI's and the API's JSON.

Why apart from ``run``: the run counts and computes; this is what a controller, a principal and
the committee read afterwards, and what stored runs are rebuilt into (docs/formats.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import polars as pl

from .kinds.base import PotCheck, Unallocated, empty_lines
from .spec import Model, planned_amount
from .statement import Statement, StatementLine, render_explanations

#: The line VAT compensation is paid on (docs/decisions/0003).
VAT_COMPONENT = "vat_compensation"


@dataclass(frozen=True)
class AllocationResult:
    """A finished run. ``lines`` has LINE_SCHEMA plus nothing else; ``schools`` one row per
    school in the run (profile, pupils, total); ``pots`` the reconciliation."""

    model: Model
    year: int
    lines: pl.DataFrame
    schools: pl.DataFrame
    pots: tuple[PotCheck, ...]
    source: str = ""
    #: Input records no component paid, with the reason (empty when everything is paid).
    unallocated: tuple[Unallocated, ...] = ()

    @property
    def reconciled(self) -> bool:
        """Every pot is paid out to the öre and every transfer sums to zero."""
        return all(p.difference_ore == 0 for p in self.pots if p.kind in ("pot", "transfer"))

    def total_ore(self) -> int:
        return int(self.lines["amount_ore"].sum())

    def by_component(self) -> pl.DataFrame:
        """School × component amounts (long format)."""
        return self.lines.group_by(["school_unit_code", "component"]).agg(pl.col("amount_ore").sum()).sort(["school_unit_code", "component"])

    def statement(self, school_unit_code: str) -> Statement:
        """One school's statement."""
        rows = self.schools.filter(pl.col("school_unit_code") == school_unit_code)
        if rows.height == 0:
            raise KeyError(school_unit_code)
        lines = self.lines.filter(pl.col("school_unit_code") == school_unit_code)
        return _statement(rows.row(0, named=True), lines, self.model)

    def statements(self) -> list[Statement]:
        """Every school's statement, in school unit code order."""
        by_school = self.lines.partition_by("school_unit_code", as_dict=True, maintain_order=True)
        return [_statement(row, by_school.get((row["school_unit_code"],), empty_lines()), self.model) for row in self.schools.iter_rows(named=True)]

    def model_dict(self) -> dict[str, Any]:
        """The model as the JSON describes it (id, year, name, source, illustrative, overrides)."""
        return {
            "id": self.model.id,
            "year": self.year,
            "name": self.model.name,
            "source": self.model.source,
            "version": self.model.version,
            "municipality": self.model.municipality,
            "illustrative_components": list(self.model.illustrative),
            "overrides": [{"key": k, "value": v} for k, v in self.model.overrides],
            "vat_rate": str(self.model.vat_rate),
        }

    def labels_dict(self) -> dict[str, str]:
        """The municipality's name, sender and words for district and area (the model's)."""
        labels = self.model.labels
        return {"municipality_name": labels.municipality_name, "sender": labels.sender, "district": labels.district, "area": labels.area}

    def components_dict(self) -> list[dict[str, Any]]:
        """Every component (and VAT compensation) with its label, kind and source."""
        return [
            {"id": c.id, "label": c.label, "kind": c.kind, "role": c.role, "funding": c.funding, "source": c.source, "illustrative": c.illustrative}
            for c in self.model.components
        ] + [{"id": VAT_COMPONENT, "label": "Momskompensation", "kind": "vat", "role": "home_municipality", "funding": "municipal", "source": "L3676–3678", "illustrative": False}]

    def reconciliation(self) -> dict[str, Any]:
        """Pots and frames with what was paid, and whether everything balances."""
        frames: list[dict[str, Any]] = []
        paid = self.lines.group_by("component").agg(pl.col("amount_ore").sum())
        paid_by = dict(zip(paid["component"].to_list(), paid["amount_ore"].to_list(), strict=True))
        for f in self.model.frames:
            central = sum(i.amount_ore for i in f.central)
            parts: list[dict[str, Any]] = [
                {"component": cid, "planned_ore": planned_amount(self.model.component(cid)), "distributed_ore": int(paid_by.get(cid, 0))}
                for cid in f.components
            ]
            frames.append(
                {
                    "id": f.id,
                    "label": f.label,
                    "amount_ore": f.amount_ore,
                    "source": f.source,
                    "components": parts,
                    "central": [{"label": i.label, "amount_ore": i.amount_ore, "source": i.source} for i in f.central],
                    "planned_ore": sum(p["planned_ore"] for p in parts) + central,
                    "distributed_ore": sum(p["distributed_ore"] for p in parts) + central,
                }
            )
        return {
            "reconciled": self.reconciled,
            "pots": [pot_dict(p) for p in self.pots],
            "frames": frames,
            "total_ore": self.total_ore(),
        }

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON: model, pots, schools with lines and totals."""
        return {
            "model": self.model_dict(),
            "labels": self.labels_dict(),
            "data_source": self.source,
            "components": self.components_dict(),
            "pots": [pot_dict(p) for p in self.pots],
            "reconciled": self.reconciled,
            "total_ore": self.total_ore(),
            "unallocated": [u.to_dict() for u in self.unallocated],
            "schools": self.schools_dicts(),
        }

    def schools_dicts(self) -> list[dict[str, Any]]:
        """Every school's statement in the JSON shape of ``Statement.to_dict``, built from the
        columns: the explanations rendered at once (``render_explanations``, in a thread while
        the line dicts are made). The same JSON as the statements give one by one (tested), at
        a fraction of the cost for a national register."""
        labels = {c.id: c.label for c in self.model.components}
        labels[VAT_COMPONENT] = "Momskompensation"
        lines = self.lines
        # the explanations are rendered by Polars (outside the GIL) while Python builds the line
        # dicts from the other columns, and then added as each dict's last key: the two halves
        # take about as long, so on two cores to_dict costs about one of them
        with ThreadPoolExecutor(max_workers=1) as pool:
            explained = pool.submit(lambda: render_explanations(lines).to_list())
            # column lists zipped into dict literals: about twice as fast as DataFrame.to_dicts;
            # the few components' labels are looked up, not made as a column and converted
            columns = [lines[c].to_list() for c in ("component", "line", "quantity", "rate_ore", "amount_ore")]
            with _no_gc():
                rows = [
                    {"component": c, "label": labels.get(c, c), "line": ln, "quantity": q, "rate_ore": r, "amount_ore": a}
                    for c, ln, q, r, a in zip(*columns, strict=True)
                ]
                for row, text in zip(rows, explained.result(), strict=True):
                    row["explanation"] = text
        with _no_gc():
            # lines are sorted by school: each school's lines are one slice of the rows
            spans = lines.with_row_index("_i").group_by("school_unit_code", maintain_order=True).agg(pl.col("_i").first().alias("start"), pl.len().alias("n"))
            by_school = {code: rows[start : start + n] for code, start, n in spans.iter_rows()}
            out = []
            for row in self.schools.iter_rows(named=True):
                mine = by_school.get(row["school_unit_code"], [])
                total = int(row["total_ore"])
                pupils = int(row["pupils"] or 0)
                out.append({
                    "school_unit_code": row["school_unit_code"],
                    "name": row["name"],
                    "operator": row["operator"],
                    "municipality_code": row["municipality_code"],
                    "district": row["district"],
                    "area": row["area"],
                    "synthetic": bool(row["synthetic"]),
                    "pupils": pupils,
                    "index": row.get("index"),
                    "index_basis": row.get("index_basis"),
                    "need_quartile": row.get("need_quartile"),
                    "lines": mine,
                    "total_ore": total,
                    "per_pupil_ore": total // pupils if pupils else None,
                })
        return out


@contextmanager
def _no_gc() -> Iterator[None]:
    """No cyclic garbage collection while a block makes many dicts that hold no cycles: the
    collector would otherwise walk all live objects again and again (about a fifth of
    ``to_dict`` for a national register). Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def pot_dict(p: PotCheck) -> dict[str, Any]:
    return {
        "id": p.id,
        "label": p.label,
        "kind": p.kind,
        "component": p.component,
        "amount_ore": p.amount_ore,
        "distributed_ore": p.distributed_ore,
        "difference_ore": p.difference_ore,
        "note": p.note,
    }


def _statement(row: Mapping[str, Any], lines: pl.DataFrame, model: Model) -> Statement:
    labels = {c.id: c.label for c in model.components}
    labels[VAT_COMPONENT] = "Momskompensation"
    return Statement(
        school_unit_code=row["school_unit_code"],
        name=row["name"],
        operator=row["operator"],
        municipality_code=row["municipality_code"],
        district=row["district"],
        area=row["area"],
        synthetic=bool(row["synthetic"]),
        pupils=int(row["pupils"] or 0),
        index=row.get("index"),
        index_basis=row.get("index_basis"),
        need_quartile=row.get("need_quartile"),
        lines=tuple(
            StatementLine(
                component=ln["component"],
                label=labels.get(ln["component"], ln["component"]),
                line=ln["line"],
                quantity=ln["quantity"],
                rate_ore=ln["rate_ore"],
                amount_ore=ln["amount_ore"],
                template=ln["template"],
                detail=ln["detail"],
            )
            for ln in lines.iter_rows(named=True)
        ),
    )
