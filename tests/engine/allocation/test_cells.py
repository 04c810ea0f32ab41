"""The pupil cells: the coded path (integer codes and bincounts) gives exactly the cells of the
general path (a group-by over the text keys), and hands over to it for any value outside its
vocabularies instead of miscounting it."""

import polars as pl
import pytest

from likvard.engine.allocation.run import (
    _CELL_KEYS,
    _coded_cells,
    _count_columns,
    _grouped_cells,
    organisers,
)


def _inputs(model, register):
    pupils = register.pupils.filter(pl.col("year") == 2024)
    pupils = pupils.with_columns((pl.col("home_municipality") == model.municipality).alias("resident"))
    schools = organisers(register.schools, model.municipality).sort("school_unit_code")
    school_cols = schools.select("school_unit_code", "operator", "resource_school").with_columns(pl.col("resource_school").fill_null(False))
    return pupils, school_cols


def _sorted(cells: pl.DataFrame) -> pl.DataFrame:
    return cells.sort(_CELL_KEYS, nulls_last=True)


def test_the_coded_cells_are_the_grouped_cells(model, register) -> None:
    pupils, school_cols = _inputs(model, register)
    counts = _count_columns(model)
    coded = _coded_cells(pupils, school_cols, counts)
    grouped = _grouped_cells(pupils, school_cols, counts)
    assert coded is not None and sorted(coded.columns) == sorted(grouped.columns)
    # the classes may be numbered differently; each is one (form, grade, programme) combination
    assert _sorted(coded.drop("class")).equals(_sorted(grouped.select(coded.columns).drop("class")))
    for cells in (coded, grouped):
        combos = cells.select("class", "school_form", "grade", "programme").unique()
        assert combos["class"].n_unique() == combos.height == cells["class"].max() + 1


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("grade", "10"),  # two bytes: not a grade
        ("grade", "0"),  # one byte outside F and 1–9
        ("grade", None),
        ("school_form", "grx"),
        ("school_form", "GR"),
        ("school_form", None),
        ("school_unit_code", "00000000"),  # not in the school register
    ],
)
def test_a_value_outside_the_vocabularies_goes_to_the_general_path(model, register, column, value) -> None:
    pupils, school_cols = _inputs(model, register)
    pupils = pupils.with_columns(pl.when(pl.int_range(pl.len()) == 7).then(pl.lit(value, dtype=pl.String)).otherwise(pl.col(column)).alias(column))
    assert _coded_cells(pupils, school_cols, _count_columns(model)) is None
