"""The socioeconomic index's moving average (L3739–3766): the same bits whatever the order of
the index table's rows, so the rounded index that weighs the money never depends on it."""

import numpy as np
import polars as pl

from likvard.engine.allocation.kinds.index_pot import moving_average


def _index(seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        {"school_unit_code": f"{10000000 + s:08d}", "year": y, "index": float(rng.uniform(40, 260)), "pupils": int(rng.integers(0, 400))}
        for s in range(3000)
        for y in (2020, 2021, 2022, 2023, 2024)
    ]
    return pl.DataFrame(rows, schema={"school_unit_code": pl.String, "year": pl.Int32, "index": pl.Float64, "pupils": pl.Int64})


def test_the_moving_average_is_the_same_in_any_row_order_and_is_the_mean():
    index = _index(5)
    years, min_pupils = [2022, 2023, 2024], 20
    first = moving_average(index, years, min_pupils)
    for seed in (1, 2, 3):
        shuffled = index.sample(fraction=1.0, shuffle=True, seed=seed)
        assert moving_average(shuffled, years, min_pupils).equals(first)  # bit for bit
    kept = index.filter(pl.col("year").is_in(years) & (pl.col("pupils") >= min_pupils))
    expected = kept.group_by("school_unit_code").agg(pl.col("index").mean(), pl.len().alias("n"), pl.col("year").min().alias("lo"), pl.col("year").max().alias("hi")).sort("school_unit_code")
    got = first.sort("school_unit_code")
    assert got["school_unit_code"].equals(expected["school_unit_code"])
    assert np.allclose(got["index_ma"].to_numpy(), expected["index"].to_numpy(), rtol=0, atol=1e-12)
    assert got["index_years"].to_list() == expected["n"].to_list()
    assert got["first_year"].to_list() == expected["lo"].to_list() and got["last_year"].to_list() == expected["hi"].to_list()
    assert moving_average(index.head(0), years, min_pupils).height == 0
