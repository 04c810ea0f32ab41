"""The demo municipality's decisions: individual support (tilläggsbelopp), upper secondary's
operational support (verksamhetsstöd) and the RSU groups.

Why a module of its own: these steps come after the pupils are made and calibrated
(``demo.build``) and only choose among them; they are the last draws from the generator's
random stream, so the pupils stay what they were whatever is changed here.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from likvard.data.demo_constants import AREAS, STOCKHOLM, YEARS
from likvard.engine.allocation.inputs import DECISION_SCHEMA, RSU_GROUP_SCHEMA, conform

__all__ = ["DECISIONS_2024", "GY_DECISIONS_2024", "rsu_groups", "support_decisions"]

#: Individual support decisions per year (2024; earlier years shrink with the pupils).
DECISIONS_2024 = {"pupils": 700, "total_kr": 94_000_000, "extensive_share": 0.3, "resource_share": 0.2, "special": 200}
#: Verksamhetsstöd for resident pupils of own upper-secondary schools: 25,7 mnkr in 2024
#: (seed 000 L4341–4342) over about 120 decisions.
GY_DECISIONS_2024 = {"pupils": 120, "total_kr": 25_700_000}


def _decision_rows(year: int, pupils: pl.Series, kr: np.ndarray, extensive: np.ndarray) -> pl.DataFrame:
    """One year's individual-support decisions: whole kronor per pupil, extensive or not."""
    return pl.DataFrame(
        {
            "year": np.full(pupils.len(), year, dtype=np.int32),
            "pupil_id": pupils,
            "kind": ["individual_support"] * pupils.len(),
            "amount_ore": kr * 100,
            "extensive": extensive,
        }
    )


def support_decisions(rng: np.random.Generator, pupils: pl.DataFrame, schools: pl.DataFrame) -> pl.DataFrame:
    """Individual support decisions (tilläggsbelopp): ≈ 700 resident pupils a year, ≈ 30 %
    extensive, about a fifth of the resource-school pupils among them, amounts in whole
    kronor scaled so that amount × (1 + 25 % for extensive) sums to ≈ 94 mnkr in 2024; and
    ≈ 120 verksamhetsstöd decisions for own upper-secondary schools' pupils (≈ 25,7 mnkr)."""
    resource = schools.filter(pl.col("resource_school")).select("school_unit_code")
    planned = schools.filter(pl.col("operator").is_in(["municipal", "independent"])).select("school_unit_code")  # the plan's 94 mnkr
    frames = []
    for year in YEARS:
        drift = 1.0 - 0.01 * (2024 - year)
        cand = pupils.filter((pl.col("year") == year) & (pl.col("home_municipality") == STOCKHOLM) & pl.col("school_form").is_in(["gr", "gran"])).join(planned, on="school_unit_code", how="semi")
        in_resource = cand.join(resource, on="school_unit_code", how="semi")
        rest = cand.join(resource, on="school_unit_code", how="anti")
        special = rest.filter(pl.col("special_group") != "none")
        ordinary = rest.filter(pl.col("special_group") == "none")
        n_resource = round(DECISIONS_2024["resource_share"] * in_resource.height)
        n_special = min(special.height, round(DECISIONS_2024["special"] * drift))
        n_ordinary = round(DECISIONS_2024["pupils"] * drift) - n_resource - n_special
        chosen = pl.concat(
            [
                in_resource.sample(n=n_resource, seed=int(rng.integers(0, 2**31))),
                special.sample(n=n_special, seed=int(rng.integers(0, 2**31))),
                ordinary.sample(n=n_ordinary, seed=int(rng.integers(0, 2**31))),
            ]
        )
        extensive = rng.random(chosen.height) < DECISIONS_2024["extensive_share"]
        raw = rng.gamma(2.2, 50_000, chosen.height)
        weight = np.where(extensive, 1.25, 1.0)
        kr = np.maximum(np.round(raw * DECISIONS_2024["total_kr"] * drift / (raw * weight).sum()), 1_000).astype(np.int64)
        frames.append(_decision_rows(year, chosen["pupil_id"], kr, extensive))
    # upper secondary's verksamhetsstöd, drawn after every grundskola decision (so those stay
    # what they were): resident pupils of own gy schools, no surcharge in the plan
    own_gy = schools.filter((pl.col("form") == "gy") & (pl.col("operator") == "municipal")).select("school_unit_code")
    for year in YEARS:
        drift = 1.0 - 0.01 * (2024 - year)
        cand = pupils.filter((pl.col("year") == year) & (pl.col("home_municipality") == STOCKHOLM) & (pl.col("school_form") == "gy")).join(own_gy, on="school_unit_code", how="semi")
        chosen = cand.sample(n=min(cand.height, round(GY_DECISIONS_2024["pupils"] * drift)), seed=int(rng.integers(0, 2**31)))
        raw = rng.gamma(2.2, 50_000, chosen.height)
        kr = np.maximum(np.round(raw * GY_DECISIONS_2024["total_kr"] * drift / raw.sum()), 1_000).astype(np.int64)
        frames.append(_decision_rows(year, chosen["pupil_id"], kr, np.zeros(chosen.height, dtype=bool)))
    return conform(pl.concat(frames), DECISION_SCHEMA).sort(["year", "pupil_id"])


def rsu_groups(pupils: pl.DataFrame, schools: pl.DataFrame) -> pl.DataFrame:
    """Two RSU groups per area, hosted by the area's largest own 7–9/F–9 school and its largest
    F–6 school; places = the pupils placed there in 2024; budgeted cost 700 000 kr per place."""
    placed = pupils.filter((pl.col("year") == 2024) & (pl.col("special_group") == "rsu")).group_by("rsu_group").len()
    places = dict(zip(placed["rsu_group"].to_list(), placed["len"].to_list(), strict=True))
    size = pupils.filter(pl.col("year") == 2024).group_by("school_unit_code").len()
    own = schools.filter((pl.col("operator") == "municipal") & (pl.col("form") == "gr") & pl.col("area").is_not_null()).join(size, on="school_unit_code", how="left")
    rows = []
    for area in AREAS:
        number = area.split()[1]
        in_area = own.filter(pl.col("area") == area).sort(["len", "school_unit_code"], descending=[True, False])
        hosts = in_area["school_unit_code"].to_list()[:2] or own["school_unit_code"].to_list()[:2]
        for suffix, host in zip(("a", "b"), hosts, strict=False):
            gid = f"RSU-{number}{suffix}"
            p = max(int(places.get(gid, 0)), 1)
            rows.append({"group_id": gid, "area": area, "host_school_unit_code": host, "places": p, "budgeted_cost_ore": p * 70_000_000, "other_income_ore": 0})
    return pl.DataFrame(rows, schema=RSU_GROUP_SCHEMA)
