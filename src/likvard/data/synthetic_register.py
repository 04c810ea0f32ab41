"""A plain synthetic register of any size, for property tests and benchmarks.

Why: the engine's guarantees (pots to the öre, order independence, equal terms) must hold for
any municipality, and its speed must be measured at national scale (1.1 M pupils, 5 000
schools). This generator makes such registers quickly and deterministically from a seed; it
does not try to look like Stockholm (that is ``likvard.data.demo``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from likvard.engine.allocation.inputs import (
    DECISION_SCHEMA,
    INDEX_SCHEMA,
    PUPIL_SCHEMA,
    RSU_GROUP_SCHEMA,
    SCHOOL_SCHEMA,
    AllocationInput,
    conform,
)

_GR = np.array(["F", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
_PROGRAMMES = np.array(["BA", "EK", "NA", "SA", "TE", "VO", "IM", "ES"])
DISTRICTS = [f"Distrikt {i}" for i in range(1, 15)]


#: Schools the 2024 plan names for fixed grants without a school unit code: a register's
#: school with one of these demo codes carries the plan's name, which the model finds it by.
NAMED_BY_PLAN = {
    "99000001": "Hillelskolan",
    "99000002": "Adolf Fredriks musikklasser Farsta",
    "99000003": "Kärrtorps gymnasium",
    "99000004": "Betty Petterssons gymnasium",
}


def make_register(
    n_pupils: int = 5_000,
    n_schools: int = 60,
    *,
    seed: int = 0,
    years: tuple[int, ...] = (2022, 2023, 2024),
    municipality: str = "0180",
    extra_codes: tuple[str, ...] = (),
) -> AllocationInput:
    """Pupils spread over schools (10 % gy, 1 % gran), a third independent, a few outside the
    municipality, an index per school and year, decisions and two RSU groups per area.
    ``extra_codes`` adds own schools with those codes (e.g. for fixed grants in a model)."""
    rng = np.random.default_rng(seed)
    codes = np.array(sorted({f"{x:08d}" for x in rng.choice(10**8 - 1, n_schools * 2, replace=False)})[:n_schools])
    codes = np.concatenate([codes, np.array(extra_codes, dtype=codes.dtype)]) if extra_codes else codes
    s = len(codes)
    operator = np.where(rng.random(s) < 0.33, "independent", "municipal")
    form = np.where(np.arange(s) % 10 == 9, "gy", "gr")
    if s >= 20:  # at least one own and one independent upper-secondary school
        operator[9], operator[19] = "municipal", "independent"
    outside = (operator == "independent") & (rng.random(s) < 0.1) & (form == "gr")
    gran = (form == "gr") & (operator == "municipal") & (rng.random(s) < 0.15)
    district = np.array(DISTRICTS)[rng.integers(0, len(DISTRICTS), s)]
    area = np.array([f"Område {(DISTRICTS.index(d)) // 2 + 1}" for d in district])
    need = rng.gamma(2.0, 50.0, s)  # the school's true need, drives index and flags
    schools = pl.DataFrame(
        {
            "school_unit_code": codes,
            "name": [NAMED_BY_PLAN.get(c, f"Skola {c}") for c in codes],
            "operator": operator,
            "organiser": np.where(operator == "municipal", "Kommunen", "Friskolan AB"),
            "municipality_code": np.where(outside, "0184", municipality),
            "district": [None if o else d for o, d in zip(outside, district, strict=True)],
            "area": [a if op == "municipal" else None for op, a in zip(operator, area, strict=True)],
            "school_forms": np.where(gran, "gr,gran", form),
            "resource_school": (operator == "independent") & (form == "gr") & (rng.random(s) < 0.08),
            "ib": rng.random(s) < 0.03,
            "opened_year": [max(years) if x < 0.02 else None for x in rng.random(s)],
            "employees": rng.integers(15, 120, s),
            "synthetic": np.ones(s, dtype=bool),
            "synthetic_location": np.ones(s, dtype=bool),
        }
    )
    schools = conform(schools, SCHOOL_SCHEMA)
    frames = []
    size = rng.dirichlet(np.ones(s) * 3.0)
    for year in years:
        n = n_pupils
        school_i = rng.choice(s, n, p=size)
        sf = form[school_i].copy()
        sf[(sf == "gr") & gran[school_i] & (rng.random(n) < 0.05)] = "gran"
        grade = np.where(np.isin(sf, ["gy", "gyan"]), rng.integers(1, 4, n).astype(str), _GR[rng.integers(0, 10, n)])
        p_need = np.clip(need[school_i] / 400, 0, 0.9)
        special = np.where(rng.random(n) < 0.012, "su", "none")
        special = np.where((special == "none") & (operator[school_i] == "municipal") & (rng.random(n) < 0.003), "csu", special)
        special = np.where((special == "none") & (operator[school_i] == "municipal") & (sf == "gr") & (rng.random(n) < 0.002), "rsu", special)
        own_gr = np.flatnonzero((operator[school_i] == "municipal") & (sf == "gr") & (special == "none"))
        if own_gr.size:  # at least one pupil in a central special group (CSU)
            special[own_gr[0]] = "csu"
        gr_low = np.isin(grade, ["F", "1", "2", "3"])
        leisure = np.where((sf == "gr") & gr_low & (rng.random(n) < 0.8), "fritidshem", "none")
        mid = np.isin(grade, ["4", "5", "6"]) & (sf == "gr")
        leisure = np.where(mid & (rng.random(n) < 0.4), np.where(rng.random(n) < 0.5, "fritidshem", "fritidsklubb"), leisure)
        area_i = area[school_i]
        frames.append(
            pl.DataFrame(
                {
                    "year": np.full(n, year),
                    "school_unit_code": codes[school_i],
                    "school_form": sf,
                    "grade": grade,
                    "home_municipality": np.where(rng.random(n) < 0.97, municipality, "0182"),
                    "gender": np.where(rng.random(n) < 0.49, "female", "male"),
                    "leisure": leisure,
                    "mother_tongue": rng.random(n) < 0.1 + p_need * 0.4,
                    "newcomer": rng.random(n) < 0.01 + p_need * 0.03,
                    "special_group": special,
                    "special_group_share": np.where(special != "none", rng.integers(50, 101, n), 0),
                    "rsu_group": np.char.add(np.char.replace(area_i.astype(str), "Område ", "RSU-"), "a"),
                    "programme": _PROGRAMMES[rng.integers(0, len(_PROGRAMMES), n)],
                    "merit_value_year9": np.clip(rng.normal(230 - need[school_i] * 0.3, 50), 0, 340),
                }
            ).with_columns(
                pl.format("p{}-{}", pl.col("year"), pl.int_range(pl.len()).cast(pl.String).str.zfill(7)).alias("pupil_id"),
                pl.when(pl.col("special_group") == "rsu").then(pl.col("rsu_group")).alias("rsu_group"),
                pl.when(pl.col("school_form") == "gy").then(pl.col("programme")).alias("programme"),
                pl.when(pl.col("school_form") == "gy").then(pl.col("merit_value_year9")).alias("merit_value_year9"),
            )
        )
    pupils = conform(pl.concat(frames, how="diagonal_relaxed"), PUPIL_SCHEMA)
    index_rows = []
    for year in years:
        drift = rng.normal(0, 5, s)
        counts = pupils.filter((pl.col("year") == year) & (pl.col("home_municipality") == municipality)).group_by("school_unit_code").len()
        cnt = dict(zip(counts["school_unit_code"].to_list(), counts["len"].to_list(), strict=True))
        for i, code in enumerate(codes):
            if cnt.get(code, 0) >= 10:
                index_rows.append({"school_unit_code": code, "year": year, "index": float(max(need[i] + drift[i], 1.0)), "pupils": cnt[code]})
    index = pl.DataFrame(index_rows, schema=INDEX_SCHEMA)
    # normalise to a pupil-weighted mean of 100 per year
    index = index.with_columns((pl.col("index") * 100 / ((pl.col("index") * pl.col("pupils")).sum() / pl.col("pupils").sum()).over("year")).alias("index"))
    last = pupils.filter(pl.col("year") == max(years))
    sample = last.filter((pl.col("school_form") == "gr") & (pl.col("home_municipality") == municipality)).sample(n=max(1, last.height // 150), seed=seed)  # the home municipality decides
    decisions = conform(
        sample.select(
            "year",
            "pupil_id",
            pl.lit("individual_support").alias("kind"),
            (pl.lit(100) * pl.Series(rng.integers(2_000, 30_000, sample.height) * 10)).alias("amount_ore"),
            pl.Series(rng.random(sample.height) < 0.3).alias("extensive"),
        ),
        DECISION_SCHEMA,
    )
    own = schools.filter((pl.col("operator") == "municipal") & pl.col("school_forms").str.contains("gr"))
    groups = []
    for a in sorted(set(own["area"].drop_nulls().to_list())):
        hosts = own.filter(pl.col("area") == a)["school_unit_code"].to_list()
        groups.append({"group_id": a.replace("Område ", "RSU-") + "a", "area": a, "host_school_unit_code": hosts[0], "places": 8, "budgeted_cost_ore": 8 * 60_000_000, "other_income_ore": 0})
    rsu = pl.DataFrame(groups, schema=RSU_GROUP_SCHEMA)
    return AllocationInput(pupils=pupils, schools=schools, index=index, decisions=decisions, rsu_groups=rsu, source=f"syntetiskt register, seed {seed}")
