"""Write the register of the small-municipality example (data/): deterministic, seed 20.

Twenty schools of "Småby kommun" (code 9002, synthetic), grundskola and anpassad grundskola,
with three years of register and index, and individual support decisions. Every pupil and
school is invented.

    python examples/small-municipality/make_data.py
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl

from likvard.data.register import write_dir
from likvard.data.synthetic_register import make_register

OUT = Path(__file__).resolve().parent / "data"


def main(out: Path = OUT) -> None:
    full = make_register(2_400, 24, seed=20, municipality="9002")
    schools = full.schools.filter(~pl.col("school_forms").str.contains("gy")).head(20).with_columns(pl.col("name").str.replace("Skola", "Småby skola"))
    codes = schools["school_unit_code"]
    pupils = full.pupils.filter(pl.col("school_unit_code").is_in(codes.implode()) & pl.col("school_form").is_in(["gr", "gran"])).with_columns(
        pl.lit("none").alias("special_group"), pl.lit(0, dtype=pl.Int16).alias("special_group_share"), pl.lit(None, dtype=pl.String).alias("rsu_group")
    )
    decisions = full.decisions.join(pupils.select("year", "pupil_id"), on=["year", "pupil_id"], how="semi")
    index = full.index.filter(pl.col("school_unit_code").is_in(codes.implode()))
    inputs = dataclasses.replace(
        full, pupils=pupils, schools=schools, index=index, decisions=decisions, rsu_groups=full.rsu_groups.head(0), source="Småby kommun (syntetisk): exempel för en liten kommun"
    )
    write_dir(inputs, out)


if __name__ == "__main__":
    main()
