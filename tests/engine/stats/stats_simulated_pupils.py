"""A small simulated municipality for the statistics tests, with known truth.

Pupil columns follow PUPIL_SCHEMA (likvard.engine.allocation.inputs). Backgrounds cluster by
residential area, schools recruit mostly from nearby areas, and the grade-9 outcomes follow
known models: eligibility from a logistic model on the index encoding, merit value from a
random-intercept model with known school effects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from likvard.engine.allocation.inputs import PUPIL_SCHEMA, conform

N_SCHOOLS = 60
N_AREAS = 40
YEARS = (2021, 2022, 2023, 2024)
GRADES = ("7", "8", "9")


@dataclass(frozen=True)
class Municipality:
    pupils: pl.DataFrame
    school_effects: dict[str, float]  # true merit school effects


def school_code(j: np.ndarray) -> np.ndarray:
    return np.char.add("1", np.char.zfill((j * 37 + 1000).astype(str), 7))


def simulate_background(seed: int = 7, per_cell: int = 32) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    area_level = rng.normal(0, 1, N_AREAS)  # higher = more disadvantaged
    frames = []
    for year in YEARS:
        n = N_SCHOOLS * len(GRADES) * per_cell
        area = rng.integers(0, N_AREAS, n)
        lvl = area_level[area] + rng.normal(0, 1, n)
        # Schools recruit mostly from the pupil's own area group.
        school = (area * N_SCHOOLS // N_AREAS + rng.integers(-1, 2, n)) % N_SCHOOLS
        born_abroad = rng.random(n) < 1 / (1 + np.exp(-(lvl - 1.2)))
        arrival = np.where(born_abroad, year - rng.integers(0, 14, n), -1)
        edu = np.clip(np.round(1.2 - 0.6 * lvl + rng.normal(0, 0.6, n)), 0, 2).astype(int)
        decile = np.clip(np.round(5.5 - 2.0 * lvl + rng.normal(0, 1.5, n)), 1, 10).astype(int)
        frames.append(
            pl.DataFrame(
                {
                    "year": np.full(n, year),
                    "pupil_id": [f"p{year}-{i}" for i in range(n)],
                    "school_unit_code": school_code(school),
                    "school_form": "gr",
                    "grade": np.array(GRADES)[np.arange(n) % len(GRADES)],
                    "home_municipality": np.where(rng.random(n) < 0.95, "0180", "0184"),
                    "gender": np.where(rng.random(n) < 0.5, "female", "male"),
                    "arrival_year": pl.Series(arrival).replace(-1, None),
                    "guardian_education": edu,
                    "economic_assistance": rng.random(n) < 1 / (1 + np.exp(-(lvl - 1.5))),
                    "single_guardian": rng.random(n) < 0.25 + 0.05 * (lvl > 0),
                    "guardian_income_decile": decile,
                    "residential_area": np.char.add("A", area.astype(str)),
                }
            )
        )
    return conform(pl.concat(frames), PUPIL_SCHEMA)


#: True index coefficients on the centred encoding (intercept first).
TRUE_INDEX = {
    "(Intercept)": -1.4,
    "born_abroad": 0.4,
    "arrived_recently": 1.0,
    "education_compulsory": 1.1,
    "education_upper_secondary": 0.5,
    "economic_assistance": 0.6,
    "single_guardian": 0.3,
    "income_decile": -0.12,
    "residential_environment": 1.0,
    "school_environment": 0.8,
}
MERIT_TAU = 15.0
MERIT_SIGMA = 40.0


def simulate(seed: int = 3, per_cell: int = 32) -> Municipality:
    """Background plus grade-9 outcomes from the known models (reference years 2022–2024)."""
    from likvard.engine.stats.index import learn_encoding

    rng = np.random.default_rng(seed + 1000)
    pupils = simulate_background(seed, per_cell)
    grade9 = pl.col("grade") == "9"
    pupils = pupils.with_columns(
        pl.when(grade9).then(True).otherwise(None).alias("eligible_vocational")
    )
    encoding, _ = learn_encoding(pupils, (2022, 2023, 2024), home_municipality="0180")
    X = encoding.design(pupils)
    beta = np.array([TRUE_INDEX[k] for k in ("(Intercept)", *encoding.features)])
    risk = 1 / (1 + np.exp(-(X @ beta)))
    not_eligible = rng.random(pupils.height) < risk
    codes = np.unique(pupils["school_unit_code"].to_numpy())
    effects = rng.normal(0, MERIT_TAU, codes.shape[0])
    u = dict(zip(codes.tolist(), effects.tolist(), strict=True))
    u_pupil = pupils["school_unit_code"].replace_strict(u, return_dtype=pl.Float64).to_numpy()
    merit = 225 - 45 * (X @ beta - beta[0]) / 2 + u_pupil + rng.normal(0, MERIT_SIGMA, pupils.height)
    pupils = pupils.with_columns(
        pl.when(grade9).then(pl.Series(~not_eligible)).otherwise(None).alias("eligible_vocational"),
        pl.when(grade9).then(pl.Series(merit)).otherwise(None).alias("merit_value"),
    )
    return Municipality(pupils=pupils, school_effects=u)
