"""Scenario comparison: what a change does to each school before the committee decides.

Why: a controller must show, per school and per component, who gains and who loses from a
proposal (e.g. raising the socioeconomic base amount), and that a pot's differences sum to
exactly zero when only its split changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from .result import AllocationResult


@dataclass(frozen=True)
class Comparison:
    """``diff`` has school × component rows with ``before_ore``, ``after_ore``, ``diff_ore``."""

    before: AllocationResult
    after: AllocationResult
    diff: pl.DataFrame

    def per_school(self) -> pl.DataFrame:
        """Total difference per school, largest gain first (ties by school code)."""
        return (
            self.diff.group_by("school_unit_code")
            .agg(pl.col("before_ore").sum(), pl.col("after_ore").sum(), pl.col("diff_ore").sum())
            .sort(["diff_ore", "school_unit_code"], descending=[True, False])
        )

    def per_component(self) -> pl.DataFrame:
        """Sum of differences per component (zero for a pot whose split alone changed)."""
        return (
            self.diff.group_by("component")
            .agg(pl.col("before_ore").sum(), pl.col("after_ore").sum(), pl.col("diff_ore").sum())
            .sort("component")
        )

    def to_dict(self) -> dict[str, Any]:
        """The CLI's comparison JSON: the ``after`` run's shape plus per-school ``diff_ore``."""
        out = self.after.to_dict()
        out["baseline"] = {"model": self.before.model.id, "overrides": [{"key": k, "value": v} for k, v in self.before.model.overrides]}
        by_school: dict[str, dict[str, int]] = {}
        for row in self.diff.iter_rows(named=True):
            by_school.setdefault(row["school_unit_code"], {})[row["component"]] = row["diff_ore"]
        before_total = {r["school_unit_code"]: r["before_ore"] for r in self.per_school().iter_rows(named=True)}
        known = {s["school_unit_code"] for s in out["schools"]}
        for s in out["schools"]:
            diffs = by_school.get(s["school_unit_code"], {})
            s["diff_ore"] = {k: v for k, v in sorted(diffs.items()) if v}
            s["diff_total_ore"] = sum(diffs.values())
            s["before_total_ore"] = before_total.get(s["school_unit_code"], 0)
        for code, diffs in sorted(by_school.items()):
            if code not in known:  # a school that only the baseline paid
                out["schools"].append({"school_unit_code": code, "lines": [], "total_ore": 0, "diff_ore": {k: v for k, v in diffs.items() if v}, "diff_total_ore": sum(diffs.values()), "before_total_ore": before_total.get(code, 0)})
        out["components_diff"] = [
            {"component": r["component"], "before_ore": r["before_ore"], "after_ore": r["after_ore"], "diff_ore": r["diff_ore"]}
            for r in self.per_component().iter_rows(named=True)
        ]
        ranked = self.per_school()
        out["winners"] = [r["school_unit_code"] for r in ranked.filter(pl.col("diff_ore") > 0).iter_rows(named=True)]
        out["losers"] = [r["school_unit_code"] for r in ranked.filter(pl.col("diff_ore") < 0).sort("diff_ore").iter_rows(named=True)]
        return out


def compare(before: AllocationResult, after: AllocationResult) -> Comparison:
    """Difference by school and component between two runs (after − before)."""
    a = before.by_component().rename({"amount_ore": "before_ore"})
    b = after.by_component().rename({"amount_ore": "after_ore"})
    diff = (
        a.join(b, on=["school_unit_code", "component"], how="full", coalesce=True)
        .with_columns(pl.col("before_ore").fill_null(0), pl.col("after_ore").fill_null(0))
        .with_columns((pl.col("after_ore") - pl.col("before_ore")).alias("diff_ore"))
        .sort(["school_unit_code", "component"])
    )
    return Comparison(before, after, diff)
