"""Joins the pieces: register → estimated index → allocation inputs.

Why here and not in the engine: the allocation engine takes an index table as input and the
statistics engine estimates one; neither should know the other. This module is the one place
that fits the socioeconomic index on the register's reference cohorts and hands it to the
allocation (issue: "the allocation engine's socioeconomic component uses this index").
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from likvard.engine.allocation.inputs import INDEX_SCHEMA, AllocationInput
from likvard.engine.stats.index import IndexModel, fit_index_model, school_index


def with_estimated_index(
    inputs: AllocationInput, year: int, *, moving_average_years: int = 3, n_reference_years: int = 3
) -> tuple[AllocationInput, IndexModel]:
    """Fit the index for ``year`` and replace the inputs' index table with the estimated one.

    One model, fitted on the reference cohorts for ``year``, is applied unchanged to the year
    and the years before it that the moving average needs, so the years are comparable.
    """
    model = fit_index_model(inputs.pupils, year, n_reference_years=n_reference_years)
    present = set(inputs.pupils.get_column("year").unique().to_list())
    years = [y for y in range(year - moving_average_years + 1, year + 1) if y in present]
    table = school_index(model, inputs.pupils, years)
    index = table.select([pl.col(c).cast(t) for c, t in INDEX_SCHEMA.items()])
    years_text = ", ".join(str(y) for y in model.reference_years)
    source = f"{inputs.source}; socioekonomiskt index skattat (logistisk modell, referensårskullar {years_text})"
    return replace(inputs, index=index, source=source), model


def demo_inputs(seed: int = 1, year: int = 2024, *, estimated_index: bool = True) -> AllocationInput:
    """The demo municipality, with the estimated index unless the interim one is asked for."""
    from likvard.data.demo import build

    inputs = build(seed=seed)
    if estimated_index:
        inputs, _ = with_estimated_index(inputs, year)
    return inputs
