"""Sweeps: the same run under many values of one or more amounts, exact and fast.

Why: a controller preparing a committee decision wants the whole curve — what each school gets
for every base amount between 1 000 and 3 000 kr — not one scenario. A full run per scenario
costs about a fifth of a second, and 1 000 of them over three minutes. A sweep counts the
pupils once (one context), runs the unchanged model once, and per scenario recomputes only the
components whose rules the scenario changes:
- a rate (per flagged pupil) is a multiplication of counts done once;
- a pot's amount or base amount is an apportionment over weights taken once from the base run;
- any other change runs that component alone on the shared context.

VAT compensation is then recomputed from the changed lines. Every scenario is exactly what a
full run of its model gives (``tests/engine/allocation/test_sweep.py`` checks that to the öre),
with no explanation texts made in the loop.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import polars as pl

from likvard.money import apportion

from .errors import AllocationError, ModelError
from .inputs import AllocationInput
from .kinds import REGISTRY
from .kinds.base import Context, Output, scale_ore_expr
from .run import build_context, compute
from .spec import Component, Model, with_overrides

__all__ = ["Sweep", "Vary", "parse_vary", "sweep"]

#: Scenarios a sweep may hold (a product of the varied values); more is a mistake, not a curve.
MAX_SCENARIOS = 20_000


@dataclass(frozen=True)
class Vary:
    """One varied key and its values, as text the model file would hold (kronor for amounts)."""

    key: str
    values: tuple[str, ...]


def parse_vary(text: str) -> Vary:
    """``socioeconomic.base_amount=1000:2996:4`` → the key and its values FROM, FROM+STEP, …
    up to and including TO. Plain numbers only (kronor for amounts, as ``--set`` reads them)."""
    key, eq, spec = text.partition("=")
    parts = spec.split(":")
    if not eq or not key.strip() or len(parts) != 3:
        raise ModelError(f"--vary {text!r}: skriv NYCKEL=FRÅN:TILL:STEG, t.ex. socioeconomic.base_amount=1000:3000:10")
    try:
        start, stop, step = (Decimal("".join(p.split()).replace(",", ".")) for p in parts)
    except InvalidOperation:
        raise ModelError(f"--vary {text!r}: FRÅN, TILL och STEG ska vara tal") from None
    if step <= 0 or stop < start:
        raise ModelError(f"--vary {text!r}: STEG ska vara positivt och TILL minst FRÅN")
    count = int((stop - start) / step) + 1
    if count > MAX_SCENARIOS:
        raise ModelError(f"--vary {text!r}: {count} värden är fler än {MAX_SCENARIOS}")
    values = tuple(_plain(start + i * step) for i in range(count))
    return Vary(key.strip(), values)


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Sweep:
    """Per scenario the varied values, every school's total and every pot's sum."""

    schools: tuple[str, ...]  # school unit codes, the order of every totals row
    varied: tuple[Vary, ...]
    values: tuple[tuple[str, ...], ...]  # per scenario, one value per varied key
    totals: np.ndarray  # scenarios × schools, öre (int64)
    pots: dict[str, np.ndarray]  # pot id → per scenario distributed öre
    pot_amounts: dict[str, np.ndarray]  # pot id → per scenario amount öre

    def to_dict(self) -> dict[str, Any]:
        return {
            "schools": list(self.schools),
            "vary": [{"key": v.key, "values": list(v.values)} for v in self.varied],
            "scenarios": [
                {
                    "values": dict(zip([v.key for v in self.varied], vals, strict=True)),
                    "totals_ore": [int(x) for x in self.totals[i]],
                    "pots": {p: {"amount_ore": int(self.pot_amounts[p][i]), "distributed_ore": int(self.pots[p][i])} for p in self.pots},
                }
                for i, vals in enumerate(self.values)
            ],
        }


def _per_school(lines: pl.DataFrame, index: dict[str, int], size: int) -> np.ndarray:
    out = np.zeros(size, dtype=np.int64)
    if lines.height:
        sums = lines.group_by("school_unit_code").agg(pl.col("amount_ore").sum())
        for code, amount in sums.iter_rows():
            out[index[code]] += amount
    return out


class _Kernels:
    """Per-school amounts of one component under a changed model, cached by the component's
    rules: 500 base amounts × 2 mother-tongue rates compute 500 + 2 kernels, not 1 000 runs."""

    def __init__(self, base: Model, ctx: Context, done: dict[str, Output], codes: Sequence[str]) -> None:
        self.base, self.ctx, self.done = base, ctx, done
        self.index = {c: i for i, c in enumerate(codes)}
        self.size = len(codes)
        self.cache: dict[Any, tuple[np.ndarray, int]] = {}
        self.base_amounts = {c.id: _per_school(done[c.id].lines, self.index, self.size) for c in base.components}
        self._weights: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def amounts(self, c: Component, model: Model, depends: tuple[Component, ...]) -> tuple[np.ndarray, int]:
        """(per-school amounts, the pot's amount) of ``c`` in ``model``."""
        key = (c, depends)
        if key not in self.cache:
            self.cache[key] = self._compute(c, model)
        return self.cache[key]

    def _compute(self, c: Component, model: Model) -> tuple[np.ndarray, int]:
        old = self.base.component(c.id)
        if c.kind == "per_flagged_pupil" and dataclasses.replace(c, amount_ore=old.amount_ore) == old and old.amount_ore:
            counts = self._quantities(c.id, "")
            return counts * c.amount_ore, c.amount_ore
        if c.kind in ("index_pot", "pupil_pot", "merit_pot") and dataclasses.replace(c, amount_ore=old.amount_ore, base_amount_ore=old.base_amount_ore) == old:
            return self._pot(c), c.amount_ore
        out = REGISTRY[c.kind](c, dataclasses.replace(self.ctx, model=model), {})
        return _per_school(out.lines, self.index, self.size), c.amount_ore

    def _quantities(self, cid: str, line: str) -> np.ndarray:
        lines = self.done[cid].lines
        if line:
            lines = lines.filter(pl.col("line") == line)
        out = np.zeros(self.size, dtype=np.int64)
        for code, q in lines.select("school_unit_code", "quantity").iter_rows():
            out[self.index[code]] += round(q)
        return out

    def _pot(self, c: Component) -> np.ndarray:
        """A pot's parts for a new amount (and base amount): the pupils and weights the base run
        apportioned over, in school-code order, apportioned anew."""
        if c.id not in self._weights:
            self._weights[c.id] = self._base_weights(c)
        pupils, weights = self._weights[c.id]
        base_part = pupils * c.base_amount_ore if c.kind == "index_pot" else np.zeros(self.size, dtype=np.int64)
        rest = c.amount_ore - int(base_part.sum())
        if rest < 0:
            raise AllocationError(f"komponent {c.id!r}: potten {c.amount_ore} öre räcker inte till basbeloppet för {int(pupils.sum())} elever")
        rows = np.flatnonzero(weights > 0)  # school-code order: codes are sorted
        parts = np.zeros(self.size, dtype=np.int64)
        parts[rows] = apportion(rest, [int(w) for w in weights[rows]])
        return base_part + parts

    def _base_weights(self, c: Component) -> tuple[np.ndarray, np.ndarray]:
        lines = self.done[c.id].lines
        if c.kind == "index_pot":
            pupils = self._quantities(c.id, "base")
            weights = np.zeros(self.size, dtype=np.int64)
            for code, q in lines.filter(pl.col("line") == "index").select("school_unit_code", "quantity").iter_rows():
                weights[self.index[code]] = round(q * 1_000_000)  # n × index × 10 000 / 1 000 000
        else:
            pupils = np.zeros(self.size, dtype=np.int64)
            scale = 1000 if c.kind == "merit_pot" else 1
            weights = np.zeros(self.size, dtype=np.int64)
            for code, q in lines.select("school_unit_code", "quantity").iter_rows():
                weights[self.index[code]] = round(q * scale)
        self._weights[c.id] = (pupils, weights)
        if not np.array_equal(self._pot(self.base.component(c.id)), self.base_amounts[c.id]):  # read back exactly?
            raise AssertionError(f"sweep: the weights read back for {c.id} do not reproduce the base run")
        return pupils, weights


def _dependents(model: Model, changed: set[str]) -> set[str]:
    """Components that read a changed component: a share of it, the RSU pool's pupil money."""
    out = set(changed)
    for c in model.components:
        if c.of in changed or set(c.pupil_money_from) & changed or c.rsu_grant_from in changed:
            out.add(c.id)
    return out


def _vat(base: np.ndarray, rate: Decimal) -> np.ndarray:
    """``base × rate`` rounded half-to-even to whole öre, by the run's own expression."""
    rounded: np.ndarray = pl.DataFrame({"base": base}).select(scale_ore_expr(pl.col("base"), rate))["base"].to_numpy()
    return rounded


def sweep(model: Model, inputs: AllocationInput, varied: Sequence[Vary], year: int | None = None) -> Sweep:
    """Every combination of the varied values (the first key varies slowest)."""
    year = model.year if year is None else year
    ctx = build_context(model, inputs, year)
    done = compute(ctx)
    codes = tuple(sorted(ctx.schools["school_unit_code"].to_list()))
    kernels = _Kernels(model, ctx, done, codes)
    base_total = sum((kernels.base_amounts[c.id] for c in model.components), np.zeros(len(codes), dtype=np.int64))
    independent = np.isin(np.array(codes), ctx.schools.filter(pl.col("operator") == "independent")["school_unit_code"].to_numpy())
    vat_ids = {c.id for c in model.components if c.vat}
    vat_base = sum((kernels.base_amounts[i] for i in vat_ids), np.zeros(len(codes), dtype=np.int64)) * independent
    combos = list(itertools.product(*[v.values for v in varied]))
    if len(combos) > MAX_SCENARIOS:
        raise ModelError(f"{len(combos)} scenarier är fler än {MAX_SCENARIOS}")
    pot_ids = [c.id for c in model.components if c.kind in ("index_pot", "pupil_pot", "merit_pot")]
    totals = np.zeros((len(combos), len(codes)), dtype=np.int64)
    pots = {p: np.zeros(len(combos), dtype=np.int64) for p in pot_ids}
    pot_amounts = {p: np.full(len(combos), model.component(p).amount_ore, dtype=np.int64) for p in pot_ids}
    for p in pot_ids:
        pots[p][:] = int(kernels.base_amounts[p].sum())
    for i, values in enumerate(combos):
        scenario = with_overrides(model, [f"{v.key}={value}" for v, value in zip(varied, values, strict=True)])
        changed = {c.id for c in scenario.components if c != model.component(c.id)}
        total = base_total.copy()
        vat_now = vat_base.copy()
        for cid in sorted(_dependents(scenario, changed)):
            c = scenario.component(cid)
            depends = tuple(scenario.component(d) for d in sorted({c.of, *c.pupil_money_from, c.rsu_grant_from} - {""}))
            amounts, amount = kernels.amounts(c, scenario, depends)
            delta = amounts - kernels.base_amounts[cid]
            total += delta
            if c.vat:
                vat_now += delta * independent
            if cid in pots:
                pots[cid][i] = int(amounts.sum())
                pot_amounts[cid][i] = amount
        totals[i] = total + _vat(vat_now, scenario.vat_rate)
    return Sweep(codes, tuple(varied), tuple(combos), totals, pots, pot_amounts)
