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


def test_band_counts_by_cell_and_by_class_table_count_every_pupil_of_every_band(model, register) -> None:
    """``band_counts`` sends each cell straight to its band when every class is in one band at
    most, and takes the class × band product when a class is in several (a table the model
    validation refuses, but the count must stay right): both give the pupils a brute-force
    count over the register gives, leisure bands counting only pupils in that leisure form."""
    from likvard.engine.allocation.kind_keys import Band
    from likvard.engine.allocation.kinds.base import band_counts
    from likvard.engine.allocation.run import build_context

    ctx = build_context(model, register, 2024)
    cells = ctx.cells.filter(pl.col("school_form") == "gr")
    pupils = register.pupils.filter((pl.col("year") == 2024) & (pl.col("school_form") == "gr"))
    single = (Band("gr", ("F", "1", "2"), 1, "låg"), Band("gr", ("3", "4", "5", "6", "7", "8", "9"), 2, "hög"), Band("gr", ("F", "1", "2", "3"), 3, "fritids", leisure="fritidshem"))
    overlapping = (*single, Band("gr", ("2", "3", "4"), 4, "mitten"))
    for bands in (single, overlapping):
        counted = band_counts(ctx, cells, bands)
        for i, band in enumerate(bands):
            mine = pupils.filter(pl.col("grade").is_in(list(band.grades)))
            if band.leisure:
                mine = mine.filter(pl.col("leisure") == band.leisure)
            expected = dict(mine.group_by("school_unit_code").len().iter_rows())
            got = dict(counted.filter(pl.col("band") == i).select("school_unit_code", "n").iter_rows())
            assert got == expected, band.label
        assert counted["school_unit_code"].is_sorted()
