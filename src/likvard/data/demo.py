"""The demo municipality: real Stockholm school units, synthetic pupils.

Why: the brief forbids real pupil data, yet analysts and controllers need a municipality that
behaves like Stockholm to learn and test the system on. The schools are the **real** school
units of Skolverket's published files (codes, names, organiser type; copied unchanged into
``fixtures/skolverket/``); districts and school areas are assigned by the demo from the
published coordinates (``synthetic_location``); schools the sources lack (most F–6 schools,
upper-secondary schools, Hillelskolan …) are invented and marked ``synthetic``. Every pupil is
synthetic. Deterministic from a seed. The municipality's years, districts and areas are in
``demo_constants``; the decision steps (individual and operational support, RSU groups) in
``demo_decisions``.

Calibration (rules-2024.md §9 and seed 002): 2024 Stockholm-resident volumes are exact for
grundskola F–9 (102 360), fritidshem (39 193), fritidsklubb (15 000), anpassad grundskola
(1 330), gymnasieskola (30 172) and anpassad gymnasieskola (470); mother-tongue pupils 25 100,
newcomers 1 500, SU ≥ 75 % 1 185, resource-school pupils 779 (15 resource schools), CSU 300,
RSU 170 in 14 groups; individual support ≈ 94 mnkr incl. the 25 % surcharge over 700 pupils.
Own grundskolor: 143, ≈ 77 400 pupils of whom ≈ 75 700 residents (school choice tuned by
``LOCAL_SHARE``/``INDEPENDENT_PULL``, within 1 %). Each real Stockholm school's 2024 year-9
cohort has its published size (Antal elever; a shortfall is filled with pupils from
neighbouring municipalities) and its published merit value (mean over pupils with merit ≥ 10)
and vocational eligibility; for 2021–2023 the planned-educations series (2021/22 ↔ 2021 …)
where published. Outcomes = a moderate background effect (the interim logit below, scaled by
``MERIT_BACKGROUND``) + the home small area's share of disadvantaged pupils + ability + a school
effect. Families' need is pulled towards that of the 7–9 school they choose (which follows its
published results; ``SCHOOL_PULL``) and small areas are sorted by need, so that the estimated
index model (``likvard index --demo``) gives the residential and school environment positive
weights, as SCB-style indices do.

**Interim index** (until the index estimated from the register replaces it, see
``likvard.pipeline``): a fixed logistic risk of *not* becoming eligible,
``logit p = −3.7 + 2.2·(1.1·born abroad + 0.9·arrived within 4 years + 0.9·guardians
pre-upper-secondary − 0.6·guardians tertiary + 0.8·economic assistance + 0.4·single guardian −
0.12·(income decile − 5.5))``; school index = mean risk of the school's Stockholm-resident
grundskola pupils / the municipality's mean risk of them × 100, per year, for schools with ≥ 10
such pupils. With money per pupil = 2 000 kr + k·index and the 2024 pot (1 500.2 mnkr over
102 360 pupils, average 14 656 kr), seed 1 gives ≈ 2 800 to ≈ 61 400 kr per pupil in 2024
(index ≈ 6–469; seed 002: ~1 900–53 000).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from likvard.data.demo_constants import AREA_OF, DISTRICTS, STOCKHOLM, YEARS
from likvard.data.demo_decisions import rsu_groups, support_decisions
from likvard.data.planned_educations import read_planned_educations
from likvard.data.skolverket_results import read_results_csv
from likvard.engine.allocation.inputs import (
    INDEX_SCHEMA,
    PUPIL_SCHEMA,
    SCHOOL_SCHEMA,
    AllocationInput,
    conform,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "skolverket"
RESULTS_CSV = FIXTURES / "Grundskola - Slutbetyg årskurs 9, samtliga elever 2025 Skolenhet.csv"
PLANNED_DIR = FIXTURES / "planned-educations-v4"

#: Schools the model names by code (profile and structural-deficit grants).
PROFILE_SCHOOLS = {
    "Vasa Real": "52863414",
    "Hillelskolan": "99000001",
    "Kungliga Svenska Balettskolan": "63321041",
    "Adolf Fredriks musikklasser": "99648792",
    "Adolf Fredriks musikklasser Farsta": "99000002",
}
STRUCTURAL_DEFICIT_SCHOOLS = {"Kärrtorps gymnasium": "99000003", "Betty Petterssons gymnasium": "99000004"}
NEW_SCHOOL = "99000005"
STATE_SCHOOL = "99000006"
#: Independent resource schools in the demo (real ones from the sources, the rest synthetic).
N_RESOURCE_SCHOOLS = 15
#: School choice: share of families choosing an own school in their home district (+15 points
#: at the highest need) and the pull of independent schools among the others; tuned so that
#: own grundskolor teach ≈ 75 700 Stockholm residents (rules-2024.md §9).
LOCAL_SHARE = 0.58
INDEPENDENT_PULL = 2.5
#: Neighbouring municipalities pupils in Stockholm's schools come from (Nacka, Huddinge, Solna, Sundbyberg, Järfälla).
NEIGHBOURS = ("0182", "0126", "0184", "0183", "0123")
OUTSIDE_MUNICIPALITIES = ("0184", "0183", "0182", "0162", "0160", "0126")
PROGRAMMES = {"BA": 3, "BF": 3, "EE": 5, "EK": 14, "ES": 4, "FT": 3, "HA": 2, "HT": 2, "HU": 1, "IN": 1, "NA": 18, "NB": 2, "SA": 17, "TE": 11, "VF": 2, "VO": 3, "IB": 2, "IM": 7}

VOLUMES_2024 = {
    "gr": 102_360,
    "fritidshem": 39_193,
    "fritidsklubb": 15_000,
    "gran": 1_330,
    "gy": 30_172,
    "gyan": 470,
    "mother_tongue": 25_100,
    "newcomer": 1_500,
    "su": 1_185,
    "resource": 779,
    "csu": 300,
    "rsu": 170,
}
GRADES = ("F", "1", "2", "3", "4", "5", "6", "7", "8", "9")


#: Skolverket shows "~100" when 1–4 pupils are not eligible; kept apart from real values.
NEAR_ALL = -100.0


@dataclass(frozen=True)
class PublishedResult:
    pupils: int | None
    merit: float | None
    eligible: float | None  # share 0–1; "~100" → 0.97


def _num(text: str) -> float | None:
    text = text.strip()
    if text in ("", ".", ".."):
        return None
    if text == "~100":
        return NEAR_ALL
    return float(text.replace(",", ".").replace(" ", ""))


@lru_cache(maxsize=1)
def published() -> tuple[pl.DataFrame, dict[tuple[str, int], PublishedResult]]:
    """Stockholm's school units from the Skolverket files, and published year-9 results by
    (school, register year): the CSV (2024/25) and the planned-educations series (2020/21–)."""
    rows: dict[str, dict[str, object]] = {}
    results: dict[tuple[str, int], PublishedResult] = {}
    outside: list[dict[str, object]] = []
    neighbours: list[dict[str, object]] = []
    frame, problems = read_results_csv(RESULTS_CSV)
    assert not problems, problems  # the shipped fixture is known to be clean
    for r in frame.iter_rows(named=True):
        code = r["school_unit_code"]
        entry = {"school_unit_code": code, "name": r["name"], "operator": r["organiser_type"], "organiser": r["organiser"], "municipality_code": r["municipality_code"], "grades": ("7", "8", "9"), "lat": None, "lon": None}
        elig = NEAR_ALL / 100 if r["share_eligible_vocational_status"] == "near_all" else (r["share_eligible_vocational"] / 100 if r["share_eligible_vocational"] is not None else None)
        results[(code, 2024)] = PublishedResult(r["pupils"] or None, r["merit_value"], elig)  # "~100" → -1.0
        if r["municipality_code"] == STOCKHOLM:
            rows[code] = entry
        elif r["municipality_code"] in OUTSIDE_MUNICIPALITIES and r["organiser_type"] == "independent":
            outside.append(entry)
        elif r["municipality_code"] in NEIGHBOURS and r["organiser_type"] == "municipal" and len(neighbours) < 3:
            neighbours.append({**entry, "operator": "other_municipality"})  # paid by the rules for other municipalities' schools
    planned = read_planned_educations(PLANNED_DIR)
    assert not planned.problems, planned.problems  # the shipped fixtures are known to be clean
    for u in planned.schools.iter_rows(named=True):
        code = u["school_unit_code"]
        entry = rows.get(code, {"school_unit_code": code, "name": u["name"], "organiser": u["organiser"]})
        grades = tuple(u["grades"].split(",")) if u["grades"] else ()
        entry.update(
            operator=u["operator"],
            municipality_code=u["municipality_code"] or STOCKHOLM,
            grades=tuple(g for g in GRADES if g in grades) or ("7", "8", "9"),
            lat=u["lat"],
            lon=u["lon"],
            gran="gran" in u["school_forms"].split(","),
        )
        rows[code] = entry
    wanted = {"averageGradesMeritRating9thGrade": "merit", "ratioOfPupils9thGradeEligibleForNationalProgramYR": "eligible"}
    periods = {f"{y}/{str(y + 1)[2:]}": y for y in YEARS[:-1]}
    series: dict[tuple[str, int], dict[str, float | None]] = {}
    for code, indicator, period, value in planned.statistics.filter(pl.col("indicator").is_in(list(wanted)) & pl.col("period").is_in(list(periods))).select("school_unit_code", "indicator", "period", "value").iter_rows():
        series.setdefault((code, periods[period]), {})[wanted[indicator]] = _num(value or "")
    for key, v in series.items():
        m, e = v.get("merit"), v.get("eligible")
        if m is not None or e is not None:
            results[key] = PublishedResult(None, m, e / 100 if e is not None else None)
    schools = pl.DataFrame(list(rows.values()) + outside[:8] + neighbours, infer_schema_length=None)
    return schools, results


def _district(lat: float | None, lon: float | None, code: str) -> str:
    names = list(DISTRICTS)
    if lat is None or lon is None:
        return names[int(code) % len(names)]
    d = [((lat - c[0]) ** 2 + ((lon - c[1]) * 0.5) ** 2, n) for n, c in DISTRICTS.items()]
    return min(d)[1]


def _codes(rng: np.random.Generator, taken: set[str], n: int) -> list[str]:
    """Synthetic school unit codes: 99 followed by six digits, never a real code."""
    out: list[str] = []
    while len(out) < n:
        code = f"99{rng.integers(100_000, 999_999):06d}"
        if code not in taken:
            taken.add(code)
            out.append(code)
    return out


def _schools(rng: np.random.Generator) -> pl.DataFrame:
    real, _results = published()
    records = []
    for r in real.iter_rows(named=True):
        inside = r["municipality_code"] == STOCKHOLM
        district = _district(r["lat"], r["lon"], r["school_unit_code"]) if inside else None
        name = r["name"]
        lowered = name.lower()
        records.append(
            {
                "school_unit_code": r["school_unit_code"],
                "name": name,
                "operator": r["operator"],
                "organiser": r["organiser"] or ("Stockholms kommun" if r["operator"] == "municipal" else ""),
                "municipality_code": r["municipality_code"],
                "district": district,
                "area": AREA_OF[district] if district is not None and r["operator"] == "municipal" else None,
                "grades": r["grades"],
                "gran": bool(r.get("gran")) and r["operator"] == "municipal",
                "resource_school": r["operator"] == "independent" and any(w in lowered for w in ("resurs", "magelungen", "vintertull", "distra", "stefanskolan", "vanadis")),
                "ib": "international" in lowered,
                "synthetic": False,
                "synthetic_location": True,
            }
        )
    taken = {r["school_unit_code"] for r in records} | set(PROFILE_SCHOOLS.values()) | set(STRUCTURAL_DEFICIT_SCHOOLS.values()) | {NEW_SCHOOL, STATE_SCHOOL}

    def add(code: str, name: str, operator: str, district: str, grades: tuple[str, ...], **extra: object) -> None:
        records.append(
            {
                "school_unit_code": code,
                "name": name,
                "operator": operator,
                "organiser": extra.pop("organiser", None) or ("Stockholms kommun" if operator == "municipal" else f"{name} AB (syntetisk)"),
                "municipality_code": STOCKHOLM,
                "district": district,
                "area": AREA_OF[district] if operator == "municipal" else None,
                "grades": grades,
                "gran": False,
                "resource_school": False,
                "ib": False,
                "synthetic": True,
                "synthetic_location": True,
                **extra,
            }
        )

    own_gr = sum(1 for r in records if r["operator"] == "municipal" and r["municipality_code"] == STOCKHOLM)
    districts = list(DISTRICTS)
    n_own_f6 = max(0, 143 - own_gr - 2)
    for i, code in enumerate(_codes(rng, taken, n_own_f6)):
        d = districts[i % len(districts)]
        add(code, f"{d.split('-')[0]}skolan {i // len(districts) + 1} F-6 (syntetisk)", "municipal", d, GRADES[:7], gran=(i % 9 == 0))
    for i, code in enumerate(_codes(rng, taken, 40)):
        d = districts[(i * 5) % len(districts)]
        add(code, f"Friskolan {d.split('-')[0]} {i + 1} F-6 (syntetisk)", "independent", d, GRADES[:7])
    # more independent resource schools (Stockholm has ~15; the sources name 8 of them)
    for i, code in enumerate(_codes(rng, taken, N_RESOURCE_SCHOOLS - sum(1 for r in records if r["resource_school"]))):
        d = districts[(i * 4 + 1) % len(districts)]
        add(code, f"Resursskolan {d.split('-')[0]} (syntetisk)", "independent", d, GRADES[1:], resource_school=True)
    # Schools the plan names whose codes the published files lack: the demo's stand-ins carry
    # the plan's name (the model finds them by it) and a demo code, and are marked synthetic.
    add(PROFILE_SCHOOLS["Hillelskolan"], "Hillelskolan", "independent", "Östermalm", GRADES)
    add(PROFILE_SCHOOLS["Adolf Fredriks musikklasser Farsta"], "Adolf Fredriks musikklasser Farsta", "municipal", "Farsta", GRADES[4:])
    add(NEW_SCHOOL, "Nya Hagastaden skola F-3 (syntetisk, öppnad 2024)", "municipal", "Norrmalm", GRADES[:4], opened_year=2024)
    # a state school (specialskola): the seed has no rule of its own for it (docs/decisions/0004)
    add(STATE_SCHOOL, "Statens specialskola (syntetisk)", "state", "Östermalm", GRADES[1:], organiser="Specialpedagogiska skolmyndigheten (syntetisk)")
    # upper secondary
    gy_codes = _codes(rng, taken, 60)
    for name, code in STRUCTURAL_DEFICIT_SCHOOLS.items():
        add(code, name, "municipal", "Skarpnäck" if "Kärrtorp" in name else "Hägersten-Liljeholmen", (), form="gy")
    for i, code in enumerate(gy_codes):
        operator = "municipal" if i < 30 else "independent"
        d = districts[(i * 3) % len(districts)]
        add(code, f"{'Stadens' if operator == 'municipal' else 'Fristående'} gymnasium {d.split('-')[0]} {i + 1} (syntetisk)", operator, d, (), form="gy", gyan=(operator == "municipal" and i % 6 == 0))
    df = pl.DataFrame(records, infer_schema_length=None)
    return df.with_columns(
        pl.col("form").fill_null("gr") if "form" in df.columns else pl.lit("gr").alias("form"),
        pl.col("gyan").fill_null(False) if "gyan" in df.columns else pl.lit(False).alias("gyan"),
    ).sort("school_unit_code")


def _need(schools: pl.DataFrame, results: dict[tuple[str, int], PublishedResult]) -> np.ndarray:
    """A school's need 0–1: from its published merit value where known, else its district's."""
    need = []
    for r in schools.iter_rows(named=True):
        base = DISTRICTS[r["district"]][2] if r["district"] else 0.35
        pub = results.get((r["school_unit_code"], 2024))
        if pub is not None and pub.merit is not None:
            base = float(np.clip((275 - pub.merit) / 90, 0, 1))
        need.append(base)
    return np.array(need)


def _top_k(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Exactly ``k`` indices drawn without replacement with probability ∝ weight (Gumbel top-k)."""
    k = min(k, int((weights > 0).sum()))
    keys = np.where(weights > 0, np.log(np.maximum(weights, 1e-300)) + rng.gumbel(size=weights.size), -np.inf)
    return np.argpartition(-keys, k - 1)[:k] if k else np.array([], dtype=int)


RISK_SCALE = 2.2
RISK_INTERCEPT = -3.7
#: Year-9 merit = 262 − MERIT_BACKGROUND × (the interim index's logit of the pupil's background)
#: − AREA_EFFECT × (share of disadvantaged pupils in the home area) + MERIT_ABILITY × ability
#: + noise + the school's calibration shift. The background effect is deliberately moderate:
#: given the published results of Stockholm's high-need schools, only then is there room for a
#: positive environment effect (at the interim formula's full strength the fitted index model
#: gives the residential and school environment negative weights).
MERIT_BACKGROUND = 5.0
MERIT_ABILITY = 40.0
AREA_EFFECT = 20.0
#: Each family's need is pulled this far towards the need of the 7–9 school it will choose
#: (which follows the school's published results), so that composition tracks published results.
SCHOOL_PULL = 0.4
#: Small areas: 12 per district; families sorted into them by need (with this much noise).
AREAS_PER_DISTRICT = 12
AREA_NOISE = 0.1


def _logit(arrived_abroad: np.ndarray, recent: np.ndarray, edu: np.ndarray, assist: np.ndarray, single: np.ndarray, decile: np.ndarray) -> np.ndarray:
    """The interim index's logit of not becoming eligible (module docstring)."""
    logit: np.ndarray = RISK_INTERCEPT + RISK_SCALE * (1.1 * arrived_abroad + 0.9 * recent + 0.9 * (edu == 0) - 0.6 * (edu == 2) + 0.8 * assist + 0.4 * single - 0.12 * (decile - 5.5))
    return logit


def _risk(arrived_abroad: np.ndarray, recent: np.ndarray, edu: np.ndarray, assist: np.ndarray, single: np.ndarray, decile: np.ndarray) -> np.ndarray:
    risk: np.ndarray = 1 / (1 + np.exp(-_logit(arrived_abroad, recent, edu, assist, single, decile)))
    return risk


def build(seed: int = 1) -> AllocationInput:
    """The demo municipality for the register years 2021–2024 (see the module docstring)."""
    rng = np.random.default_rng(seed)
    schools = _schools(rng)
    _, results = published()
    need = _need(schools, results)
    codes = schools["school_unit_code"].to_numpy()
    operator = schools["operator"].to_numpy()
    municipality = schools["municipality_code"].to_numpy()
    district = schools["district"].to_list()
    form = schools["form"].to_numpy()
    grades = schools["grades"].to_list()
    opened = schools["opened_year"].to_list() if "opened_year" in schools.columns else [None] * len(codes)
    resource = schools["resource_school"].to_numpy()
    # Relative size per grade: published year-9 cohort where known, else by kind of school.
    def default_size(o: str, m: str) -> float:
        return 14.0 if o == "independent" and m != STOCKHOLM else (58.0 if o == "municipal" else 30.0)

    size = np.array(
        [
            float(pub.pupils or 40) if (pub := results.get((c, 2024))) is not None else default_size(o, m)
            for c, o, m in zip(codes, operator, municipality, strict=True)
        ],
        dtype=float,
    )
    size = np.where(resource, 7.0, size)
    # --- children: one per resident pupil, birth cohorts 2003–2018, persistent over the years
    cohorts = np.arange(2003, 2019)
    per_cohort = 10_600
    n = per_cohort * len(cohorts)
    birth = np.repeat(cohorts, per_cohort)
    home_district_i = rng.choice(len(DISTRICTS), n, p=_district_weights(schools, size))
    # each family's own need: its district's, spread so that every district is mixed
    d_need = np.clip(np.array([v[2] for v in DISTRICTS.values()])[home_district_i] + rng.normal(0, 0.22, n), 0, 1)
    # --- 7–9 school choice (own district preferred, independents city-wide), then the family's
    # need pulled towards that school's: schools with weak published results teach the most
    # disadvantaged pupils, wherever they are
    school_district = np.array([list(DISTRICTS).index(d) if d else -1 for d in district])
    s79_i = _choose(rng, schools, home_district_i, school_district, size, need, lambda g: "9" in g, d_need)
    d_need = np.clip((1 - SCHOOL_PULL) * d_need + SCHOOL_PULL * need[s79_i] + rng.normal(0, 0.1, n), 0, 1)
    foreign = rng.random(n) < 0.05 + 0.85 * d_need
    arrival_age = np.where(foreign & (rng.random(n) < 0.25 + 0.35 * d_need), rng.integers(1, 15, n), -1)  # −1: born in Sweden
    edu = np.where(rng.random(n) < 0.02 + 0.6 * d_need**1.5, 0, np.where(rng.random(n) < 0.8 - 0.7 * d_need, 2, 1))
    assist = rng.random(n) < 0.005 + 0.5 * d_need**2
    single = rng.random(n) < 0.12 + 0.3 * d_need
    decile = np.clip(np.round(rng.normal(8.6 - 7.0 * d_need, 1.5)), 1, 10).astype(int)
    # small areas: within its district, a family lives among families of similar need
    sub = np.zeros(n, dtype=int)
    key = d_need + rng.normal(0, AREA_NOISE, n)
    for d in range(len(DISTRICTS)):
        members = np.flatnonzero(home_district_i == d)
        sub[members] = np.argsort(np.argsort(key[members], kind="stable"), kind="stable") * AREAS_PER_DISTRICT // max(members.size, 1)
    area_code = np.array([f"{i:02d}{j:02d}" for i, j in zip(home_district_i, sub, strict=True)])
    girl = rng.random(n) < 0.49
    ability = rng.normal(0, 1, n)
    # --- F–6 school choice
    f6_i = _choose(rng, schools, home_district_i, school_district, size, need, lambda g: "F" in g or "1" in g, d_need)

    gy_mask = form == "gy"
    gy_w = np.where(gy_mask, 1.0, 0.0)
    gy_i = rng.choice(len(codes), n, p=gy_w / gy_w.sum())
    # Children whose F–6 school ends before grade 6 (e.g. F-3) continue at a 7-9/F-9 school.
    frames = []
    for year in YEARS:
        g = year - birth - 6  # 0 = F … 9, 10–12 = gy1–3
        in_gr = (g >= 0) & (g <= 9)
        in_gy = (g >= 10) & (g <= 12)
        school = np.where(g <= 6, f6_i, s79_i)
        has_grade = np.array([GRADES[min(int(x), 9)] in grades[s] if 0 <= x <= 9 else False for x, s in zip(g, school, strict=True)])
        school = np.where(in_gr & ~has_grade, s79_i, school)
        school = np.where(in_gy, gy_i, school)
        new_closed = np.array([opened[s] is not None and opened[s] > year for s in school])
        school = np.where(new_closed, s79_i, school)
        keep = in_gr | in_gy
        idx = np.flatnonzero(keep)
        frames.append(
            pl.DataFrame(
                {
                    "year": np.full(idx.size, year, dtype=np.int32),
                    "child": idx,
                    "school_i": school[idx],
                    "g": g[idx],
                }
            )
        )
    panel = pl.concat(frames)
    pupils = _pupils(rng, panel, schools, codes, birth, arrival_age, edu, assist, single, decile, area_code, girl, ability, foreign, need)
    pupils = _fit_cohorts(rng, pupils, schools, results)
    pupils = _calibrate_results(rng, pupils, results)
    index = interim_index(pupils)
    decisions = support_decisions(rng, pupils, schools)
    rsu = rsu_groups(pupils, schools)
    school_table = conform(
        schools.with_columns(
            pl.when(pl.col("form") == "gy")
            .then(pl.when(pl.col("gyan")).then(pl.lit("gy,gyan")).otherwise(pl.lit("gy")))
            .otherwise(pl.when(pl.col("gran")).then(pl.lit("gr,gran")).otherwise(pl.lit("gr")))
            .alias("school_forms"),
        ),
        SCHOOL_SCHEMA,
    )
    counts = pupils.filter(pl.col("year") == 2024).group_by("school_unit_code").len()
    school_table = school_table.join(counts, on="school_unit_code", how="left").with_columns(
        (pl.col("len").fill_null(0) // 12 + 10).cast(pl.Int32).alias("employees")
    ).drop("len")
    return AllocationInput(
        pupils=pupils,
        schools=school_table,
        index=index,
        decisions=decisions,
        rsu_groups=rsu,
        source=f"Demokommun Stockholm (riktiga skolenheter, syntetiska elever), seed {seed}",
    )


def _district_weights(schools: pl.DataFrame, size: np.ndarray) -> np.ndarray:
    """Where families live: in proportion to the places of the district's own 7–9 schools,
    so that the schools' cohorts come out near their published sizes."""
    district = schools["district"].to_list()
    own = ((schools["operator"] == "municipal") & (schools["form"] == "gr")).to_numpy()
    upper = np.array(["9" in g for g in schools["grades"].to_list()])
    w = np.array([size[own & upper & np.array([d == name for d in district])].sum() for name in DISTRICTS]) + 20.0
    weights: np.ndarray = w / w.sum()
    return weights


def _match(rng: np.random.Generator, children: np.ndarray, child_need: np.ndarray, cand: np.ndarray, cand_need: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Assign ``children`` to the candidate schools so that families of higher need end up in
    schools of higher need (sorted matching with noise), each school in proportion to its
    capacity. This is what makes the demo's districts and schools segregated as Stockholm's."""
    order_c = children[np.argsort(child_need[children] + rng.normal(0, 0.08, children.size), kind="stable")]
    order_s = np.argsort(cand_need + rng.normal(0, 0.03, cand.size), kind="stable")
    cap = capacity[order_s] / capacity[order_s].sum()
    bounds = np.round(np.cumsum(cap) * children.size).astype(int)
    out = np.empty(children.size, dtype=int)
    start = 0
    for s_i, end in zip(order_s, bounds, strict=True):
        out[start:end] = cand[s_i]
        start = end
    position = np.empty(children.size, dtype=int)
    position[np.searchsorted(np.sort(children), order_c)] = np.arange(children.size)
    return out[position[np.searchsorted(np.sort(children), children)]]


def _choose(rng: np.random.Generator, schools: pl.DataFrame, home: np.ndarray, school_district: np.ndarray, size: np.ndarray, need: np.ndarray, offers: Callable[[tuple[str, ...]], bool], child_need: np.ndarray) -> np.ndarray:
    """Pick each child's school for a stage: most children go to an own school in their home
    district, matched by need; the others to any school offering the stage (independent
    schools recruit from lower-need families), matched city-wide."""
    grades = schools["grades"].to_list()
    operator = schools["operator"].to_numpy()
    inside = (schools["municipality_code"] == STOCKHOLM).to_numpy()
    resource = schools["resource_school"].to_numpy()
    # other municipalities' and the state's schools get their pupils afterwards (_elsewhere)
    ok = np.array([bool(g) and offers(g) for g in grades]) & (schools["form"] == "gr").to_numpy() & ~resource & np.isin(operator, ["municipal", "independent"])
    out = np.empty(home.size, dtype=int)
    local = rng.random(home.size) < LOCAL_SHARE + 0.15 * child_need
    for d in range(len(DISTRICTS)):
        members = np.flatnonzero((home == d) & local)
        cand = np.flatnonzero(ok & (school_district == d) & (operator == "municipal") & inside)
        if cand.size == 0:
            cand = np.flatnonzero(ok & (operator == "municipal") & inside)
        out[members] = _match(rng, members, child_need, cand, need[cand], size[cand])
    away = np.flatnonzero(~local)
    wide = np.flatnonzero(ok & (inside | (operator == "independent")))
    boost = np.where(operator[wide] == "independent", INDEPENDENT_PULL, 0.5)
    out[away] = _match(rng, away, child_need, wide, need[wide], size[wide] * boost)
    return out


def _pupils(
    rng: np.random.Generator,
    panel: pl.DataFrame,
    schools: pl.DataFrame,
    codes: np.ndarray,
    birth: np.ndarray,
    arrival_age: np.ndarray,
    edu: np.ndarray,
    assist: np.ndarray,
    single: np.ndarray,
    decile: np.ndarray,
    area_code: np.ndarray,
    girl: np.ndarray,
    ability: np.ndarray,
    foreign: np.ndarray,
    need: np.ndarray,
) -> pl.DataFrame:
    child = panel["child"].to_numpy()
    school_i = panel["school_i"].to_numpy()
    g = panel["g"].to_numpy()
    year = panel["year"].to_numpy()
    m = child.size
    arrival_year = np.where(arrival_age[child] >= 0, birth[child] + arrival_age[child], -1)
    arrival_year = np.where(arrival_year > year, -1, arrival_year)  # not yet arrived → treat as born here
    gy = g >= 10
    grade = np.where(gy, (g - 9).astype(str), np.array(GRADES)[np.clip(g, 0, 9)])
    school_form = np.where(gy, "gy", "gr")
    frame = pl.DataFrame(
        {
            "year": year.astype(np.int32),
            "pupil_id": np.char.add("demo-", np.char.zfill(child.astype(str), 7)),
            "school_unit_code": codes[school_i],
            "school_form": school_form,
            "grade": grade,
            "home_municipality": np.full(m, STOCKHOLM),
            "gender": np.where(girl[child], "female", "male"),
            "arrival_year": arrival_year,
            "guardian_education": edu[child].astype(np.int8),
            "economic_assistance": assist[child],
            "single_guardian": single[child],
            "guardian_income_decile": decile[child].astype(np.int8),
            "residential_area": area_code[child],
            "_ability": ability[child],
            "_foreign": foreign[child],
            "_need": need[school_i],
            "_child": child,
        }
    ).with_columns(pl.when(pl.col("arrival_year") < 0).then(None).otherwise(pl.col("arrival_year")).alias("arrival_year"))
    parts = []
    for y in YEARS:
        part = frame.filter(pl.col("year") == y)
        parts.append(_flags(rng, part, schools, y))
    pupils = pl.concat(parts, how="diagonal_relaxed")
    return pupils


def _flags(rng: np.random.Generator, part: pl.DataFrame, schools: pl.DataFrame, year: int) -> pl.DataFrame:
    """Per year: school forms gran/gyan, leisure, mother tongue, newcomers, special groups,
    programmes, year-9 merit for gy pupils, and non-resident pupils in own schools."""
    drift = 1.0 - 0.01 * (2024 - year)
    n = part.height
    gr = (part["school_form"] == "gr").to_numpy()
    gy = ~gr
    grade = part["grade"].to_numpy()
    foreign = part["_foreign"].to_numpy()
    arrival = part["arrival_year"].fill_null(-1).to_numpy()
    need = part["_need"].to_numpy()
    ability = part["_ability"].to_numpy()
    school_info = schools.select("school_unit_code", "operator", "gran", "gyan", "resource_school", "municipality_code")
    joined = part.select("school_unit_code").join(school_info, on="school_unit_code", how="left")
    own = (joined["operator"] == "municipal").to_numpy()
    resource = joined["resource_school"].fill_null(False).to_numpy()
    gran_ok = joined["gran"].fill_null(False).to_numpy() & gr & (grade != "F")
    gyan_ok = joined["gyan"].fill_null(False).to_numpy() & gy
    school_form = part["school_form"].to_numpy().copy()
    low_ability = np.exp(-2.0 * ability)
    school_form[_top_k(rng, np.where(gran_ok, low_ability, 0), int(VOLUMES_2024["gran"] * drift))] = "gran"
    school_form[_top_k(rng, np.where(gyan_ok, low_ability, 0), int(VOLUMES_2024["gyan"] * drift))] = "gyan"
    is_gr = school_form == "gr"
    # trim grundskola and gymnasieskola to the year's exact volume (pupils moved away)
    keep = np.ones(n, dtype=bool)
    for formname, target in (("gr", VOLUMES_2024["gr"]), ("gy", VOLUMES_2024["gy"])):
        members = np.flatnonzero(school_form == formname)
        want = round(target * drift)
        if members.size > want:
            keep[rng.choice(members, members.size - want, replace=False)] = False
    leisure = np.full(n, "none", dtype=object)
    low = np.isin(grade, ["F", "1", "2", "3"]) & is_gr & keep
    mid = np.isin(grade, ["4", "5", "6"]) & is_gr & keep
    fh_low = _top_k(rng, np.where(low, 1.0, 0), int(32_800 * drift))
    leisure[fh_low] = "fritidshem"
    fh_mid = _top_k(rng, np.where(mid, 1.0, 0), int((VOLUMES_2024["fritidshem"] - 32_800) * drift))
    leisure[fh_mid] = "fritidshem"
    klubb = _top_k(rng, np.where(mid & (leisure == "none"), 1.0, 0), int(VOLUMES_2024["fritidsklubb"] * drift))
    leisure[klubb] = "fritidsklubb"
    # the plan's volumes count pupils of own and independent schools (other municipalities'
    # and the state's schools are paid by other rules), so the flags go to those pupils
    planned = np.isin(joined["operator"].to_numpy(), ["municipal", "independent"])
    mother = np.zeros(n, dtype=bool)
    mother[_top_k(rng, np.where(is_gr & keep & planned, np.where(foreign, 1.0, 0.02), 0), int(VOLUMES_2024["mother_tongue"] * drift))] = True
    gy_mother = _top_k(rng, np.where(gy & keep & (school_form == "gy") & planned, np.where(foreign, 1.0, 0.02), 0), int(1_170 * drift))
    mother[gy_mother] = True
    newcomer = np.zeros(n, dtype=bool)
    recent = (arrival >= year - 3) & is_gr & keep & planned
    newcomer[_top_k(rng, np.where(recent, 1.0, 0), int(VOLUMES_2024["newcomer"] * drift))] = True
    special = np.full(n, "none", dtype=object)
    share = np.zeros(n, dtype=np.int16)
    weak = weak_first(ability, need)
    # pupils in resource schools: the year's number, the weakest, moved there (L3650–3685)
    movable = is_gr & keep & ~resource & ~np.isin(grade, ["F"]) & (joined["municipality_code"] == STOCKHOLM).to_numpy()
    to_resource = _top_k(rng, np.where(movable, weak_first(ability, need), 0), int(VOLUMES_2024["resource"] * drift))
    resource_codes = schools.filter(pl.col("resource_school"))["school_unit_code"].to_numpy()
    codes_now = part["school_unit_code"].to_numpy().copy()
    codes_now[to_resource] = resource_codes[rng.integers(0, resource_codes.size, to_resource.size)]
    resource = resource.copy()
    resource[to_resource] = True
    own = own & ~resource
    share[to_resource] = 100
    su = _top_k(rng, np.where(is_gr & keep & ~resource & planned, weak, 0), int(VOLUMES_2024["su"] * drift))
    special[su] = "su"
    share[su] = rng.integers(75, 101, su.size)
    su_low = _top_k(rng, np.where(is_gr & keep & ~resource & planned & (special == "none"), weak, 0), int(400 * drift))
    special[su_low] = "su"
    share[su_low] = rng.integers(30, 75, su_low.size)
    csu = _top_k(rng, np.where(is_gr & keep & own & (special == "none"), weak, 0), int(VOLUMES_2024["csu"] * drift))
    special[csu] = "csu"
    share[csu] = 100
    rsu = _top_k(rng, np.where(is_gr & keep & own & (special == "none") & ~np.isin(grade, ["F"]), weak, 0), int(VOLUMES_2024["rsu"] * drift))
    special[rsu] = "rsu"
    share[rsu] = 100
    spv = _top_k(rng, np.where(gy & keep & (school_form == "gy") & planned, weak, 0), int(120 * drift))
    special[spv] = "su"
    share[spv] = 100
    programme = np.full(n, None, dtype=object)
    names = np.array(list(PROGRAMMES))
    probs = np.array(list(PROGRAMMES.values()), dtype=float)
    programme[school_form == "gy"] = names[rng.choice(names.size, int((school_form == "gy").sum()), p=probs / probs.sum())]
    merit9 = np.where(school_form == "gy", np.clip(225 + 45 * ability - 60 * need, 0, 340), np.nan)
    # anpassad gymnasieskola's needs group 1–4 (grund- och tilläggsschablon, L3803–3806): the
    # weaker the pupil, the higher the group; drawn from a generator of its own so that the rest
    # of the demo is what it was without it
    group_rng = rng.spawn(1)[0]
    needs_group = np.full(n, None, dtype=object)
    gyan_rows = np.flatnonzero(school_form == "gyan")
    if gyan_rows.size:
        score = low_ability[gyan_rows] * group_rng.uniform(0.7, 1.3, gyan_rows.size)
        rank = np.argsort(np.argsort(score)) / gyan_rows.size  # 0 = the strongest
        needs_group[gyan_rows] = np.select([rank < 0.30, rank < 0.60, rank < 0.85], ["1", "2", "3"], "4")
    out = part.with_columns(
        pl.Series("school_unit_code", codes_now),
        pl.Series("school_form", school_form.astype(str)),
        pl.Series("leisure", leisure.astype(str)),
        pl.Series("mother_tongue", mother),
        pl.Series("newcomer", newcomer),
        pl.Series("special_group", special.astype(str)),
        pl.Series("special_group_share", share),
        pl.Series("programme", programme.tolist(), dtype=pl.String),
        pl.Series("attr_needs_group", needs_group.tolist(), dtype=pl.String),
        pl.Series("merit_value_year9", merit9).fill_nan(None),
    ).filter(pl.Series(keep))
    # RSU pupils get a group id of their area (assigned in demo_decisions.rsu_groups by area and number)
    out = out.join(schools.select("school_unit_code", "area"), on="school_unit_code", how="left").with_columns(
        pl.when(pl.col("special_group") == "rsu")
        .then(pl.concat_str([pl.lit("RSU-"), pl.col("area").str.extract(r"(\d+)"), pl.when(pl.col("_child") % 2 == 0).then(pl.lit("a")).otherwise(pl.lit("b"))]))
        .alias("rsu_group")
    ).drop("area")
    # pupils from other municipalities in own schools (1 700 in grundskola, L3945–3965)
    own_gr = out.join(schools.filter(pl.col("operator") == "municipal").select("school_unit_code"), on="school_unit_code", how="semi").filter(pl.col("school_form") == "gr")
    others = own_gr.sample(n=int(1_700 * drift), seed=int(rng.integers(0, 2**31)), with_replacement=True).with_columns(
        pl.format("demo-x{}-{}", pl.col("year"), pl.int_range(pl.len())).alias("pupil_id"),
        pl.lit(None, dtype=pl.Int64).alias("_child"),
        pl.Series("home_municipality", rng.choice(["0182", "0138", "0184", "0183", "0126"], int(1_700 * drift))),
        pl.lit(False).alias("mother_tongue"),
        pl.lit(False).alias("newcomer"),
        pl.lit("none").alias("special_group"),
        pl.lit(0, dtype=pl.Int16).alias("special_group_share"),
        pl.lit(None, dtype=pl.String).alias("rsu_group"),
    )
    # independent schools outside Stockholm: move a few hundred resident pupils there
    outside = schools.filter((pl.col("municipality_code") != STOCKHOLM) & (pl.col("operator") == "independent"))["school_unit_code"].to_list()
    movers = out.filter(
        (pl.col("school_form") == "gr") & (pl.col("special_group") == "none") & (pl.col("special_group_share") == 0) & pl.col("grade").is_in(["7", "8", "9"]) & (pl.col("_need") < 0.3)
    )
    movers = movers.sample(n=min(movers.height, int(650 * drift)), seed=int(rng.integers(0, 2**31)))
    moved = dict(zip(movers["pupil_id"].to_list(), rng.choice(outside, movers.height).tolist(), strict=True))
    out = out.with_columns(pl.col("pupil_id").replace_strict(moved, default=pl.col("school_unit_code"), return_dtype=pl.String).alias("school_unit_code"))
    out = _elsewhere(rng.spawn(1)[0], out, schools, drift)
    return pl.concat([out, others], how="diagonal_relaxed")


def _elsewhere(rng: np.random.Generator, out: pl.DataFrame, schools: pl.DataFrame, drift: float) -> pl.DataFrame:
    """Resident pupils in other municipalities' schools (about 60 each) and in the state's
    school (about 35), moved there after everything else is drawn: from a generator of their
    own (spawning does not advance ``rng``), so the rest of the demo is what it was without them."""
    targets = schools.filter(pl.col("operator").is_in(["other_municipality", "state"])).sort("school_unit_code")
    plain = (pl.col("school_form") == "gr") & (pl.col("special_group") == "none") & ~pl.col("mother_tongue") & ~pl.col("newcomer") & (pl.col("home_municipality") == STOCKHOLM)
    out_of_reach = schools.filter(pl.col("resource_school") | (pl.col("operator") != "municipal") & (pl.col("operator") != "independent")).select("school_unit_code")
    candidates = out.join(out_of_reach, on="school_unit_code", how="anti")  # resource-school pupils stay
    moved: dict[str, str] = {}
    for code, operator, grades in targets.select("school_unit_code", "operator", "grades").iter_rows():
        pool = candidates.filter(plain & pl.col("grade").is_in(list(grades)) & ~pl.col("pupil_id").is_in(list(moved)))
        n = min(pool.height, int((60 if operator == "other_municipality" else 35) * drift))
        for pupil in pool.sample(n=n, seed=int(rng.integers(0, 2**31)))["pupil_id"].to_list():
            moved[pupil] = code
    return out.with_columns(pl.col("pupil_id").replace_strict(moved, default=pl.col("school_unit_code"), return_dtype=pl.String).alias("school_unit_code"))


def _fit_cohorts(rng: np.random.Generator, pupils: pl.DataFrame, schools: pl.DataFrame, results: dict[tuple[str, int], PublishedResult]) -> pl.DataFrame:
    """2024 year-9 cohorts of the real Stockholm schools = their published size (Antal elever).

    Pupils above a school's published size (ordinary resident pupils, chosen at random) are
    moved to schools below theirs, lower-need families to lower-need schools; a deficit left
    after that is filled with pupils from neighbouring municipalities (copies of the school's
    own pupils' backgrounds, new pseudonyms), as Stockholm's schools do teach such pupils. As
    many non-resident pupils of other grades are dropped from own schools as are added to
    them here, so that own schools keep their number of non-resident pupils."""
    year = 2024
    eligible_schools = schools.filter((pl.col("municipality_code") == STOCKHOLM) & ~pl.col("resource_school") & ~pl.col("synthetic"))["school_unit_code"].to_list()
    target = {c: r.pupils for (c, y), r in results.items() if y == year and r.pupils and c in set(eligible_schools)}
    if not target:
        return pupils
    pupils = pupils.with_row_index("_pos")
    nine_mask = (pl.col("year") == year) & (pl.col("school_form") == "gr") & (pl.col("grade") == "9")
    nine = pupils.filter(nine_mask)
    counts = dict(nine.group_by("school_unit_code").len().iter_rows())
    target_df = pl.DataFrame({"school_unit_code": list(target), "target": list(target.values())}, schema={"school_unit_code": pl.String, "target": pl.Int64})
    movable = (
        nine.filter((pl.col("home_municipality") == STOCKHOLM) & (pl.col("special_group") == "none") & (pl.col("special_group_share") == 0))
        .join(target_df, on="school_unit_code", how="inner")
        .sort("_pos")
    )
    movable = movable.with_columns(pl.Series("_key", rng.random(movable.height)))
    movable = movable.with_columns(
        pl.col("_key").rank("ordinal").over("school_unit_code").alias("_rank"),
        pl.col("school_unit_code").replace_strict(counts, default=0, return_dtype=pl.Int64).alias("_count"),
    )
    pool = movable.filter(pl.col("_rank") <= pl.col("_count") - pl.col("target"))
    need_of = dict(zip(schools["school_unit_code"].to_list(), _need(schools, results).tolist(), strict=True))
    deficits = {c: t - counts.get(c, 0) for c, t in target.items() if t > counts.get(c, 0)}
    slots = np.array([c for c in sorted(deficits, key=lambda c: (need_of[c], c)) for _ in range(deficits[c])], dtype=object)
    # lower-need families (higher income decile) to lower-need schools
    order = np.argsort(-(pool["guardian_income_decile"].to_numpy().astype(float) + rng.normal(0, 1.5, pool.height)), kind="stable")
    positions = pool["_pos"].to_numpy()[order]
    n_move = min(positions.size, slots.size)
    # keep the slots' need order but fill a random subset when the pool is smaller
    chosen_slots = slots if n_move == slots.size else slots[np.sort(rng.choice(slots.size, n_move, replace=False))]
    new_school = pupils["school_unit_code"].to_numpy().copy()
    new_school[positions[:n_move]] = chosen_slots
    pupils = pupils.with_columns(pl.Series("school_unit_code", new_school))
    # fill what is left with pupils from neighbouring municipalities
    now = dict(pupils.filter(nine_mask).group_by("school_unit_code").len().iter_rows())
    left = {c: t - now.get(c, 0) for c, t in target.items() if t > now.get(c, 0)}
    if left:
        donors = pupils.filter(nine_mask & pl.col("school_unit_code").is_in(list(left)))
        per = donors.group_by("school_unit_code").agg(pl.col("_pos").sort()).sort("school_unit_code")
        picks: list[int] = []
        for code, positions_ in per.iter_rows():
            picks.extend(rng.choice(positions_, left[code], replace=True).tolist())
        empty = [c for c in left if c not in set(per["school_unit_code"].to_list())]
        if empty:  # a school with no pupil yet in grade 9: copy pupils of the same year and form
            any_nine = pupils.filter(nine_mask)["_pos"].to_numpy()
            for code in empty:
                picks.extend(rng.choice(any_nine, left[code], replace=False).tolist())
        codes_for = [c for c in per["school_unit_code"].to_list() for _ in range(left[c])] + [c for c in empty for _ in range(left[c])]
        extra = pupils[np.array(picks)].with_columns(
            pl.Series("school_unit_code", codes_for, dtype=pl.String),
            pl.format("demo-y{}-{}", pl.col("year"), pl.int_range(pl.len())).alias("pupil_id"),
            pl.Series("home_municipality", rng.choice(list(NEIGHBOURS), len(picks))),
            pl.lit(None, dtype=pl.Int64).alias("_child"),
            pl.lit(False).alias("mother_tongue"),
            pl.lit(False).alias("newcomer"),
            pl.lit("none").alias("leisure"),
        )
        own = set(schools.filter(pl.col("operator") == "municipal")["school_unit_code"].to_list())
        added_own = sum(1 for c in codes_for if c in own)
        if added_own:
            others = pupils.filter(
                (pl.col("year") == year) & (pl.col("home_municipality") != STOCKHOLM) & (pl.col("school_form") == "gr") & (pl.col("grade") != "9") & pl.col("school_unit_code").is_in(list(own))
            )["_pos"].to_numpy()
            drop = rng.choice(others, min(added_own, others.size), replace=False)
            pupils = pupils.filter(~pl.col("_pos").is_in(drop.tolist()))
        pupils = pl.concat([pupils, extra], how="vertical_relaxed")
    return pupils.drop("_pos")


def weak_first(ability: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Weights that favour pupils with low ability in high-need schools (special support)."""
    weights: np.ndarray = np.exp(-1.5 * ability) * (1 + need)
    return weights


def _calibrate_results(rng: np.random.Generator, pupils: pl.DataFrame, results: dict[tuple[str, int], PublishedResult]) -> pl.DataFrame:
    """Year-9 merit value and vocational eligibility from background + a school effect chosen
    so that each real school's cohort matches its published values (mean merit among pupils
    with merit ≥ 10; share eligible)."""
    nine = pupils.filter((pl.col("school_form") == "gr") & (pl.col("grade") == "9"))
    others = pupils.filter(~((pl.col("school_form") == "gr") & (pl.col("grade") == "9")))
    arrival = nine["arrival_year"].fill_null(-1).to_numpy()
    year = nine["year"].to_numpy()
    background = _logit(
        (arrival >= 0).astype(float),
        ((arrival >= 0) & (arrival >= year - 4)).astype(float),
        nine["guardian_education"].to_numpy(),
        nine["economic_assistance"].to_numpy().astype(float),
        nine["single_guardian"].to_numpy().astype(float),
        nine["guardian_income_decile"].to_numpy().astype(float),
    )
    # the home area's share of disadvantaged pupils (low education or income decile 1–3), per year
    residents = pupils.filter((pl.col("home_municipality") == STOCKHOLM) & (pl.col("school_form") == "gr")).with_columns(
        ((pl.col("guardian_education") == 0) | (pl.col("guardian_income_decile") <= 3)).cast(pl.Float64).alias("_dis")
    )
    area_share = residents.group_by("year", "residential_area").agg(pl.col("_dis").mean().alias("_area_share"))
    env = nine.select("year", "residential_area").join(area_share, on=["year", "residential_area"], how="left", maintain_order="left")
    city = float(residents["_dis"].mean())  # type: ignore[arg-type]
    area = env["_area_share"].fill_null(city).to_numpy()
    base = 262 - MERIT_BACKGROUND * background - AREA_EFFECT * area + MERIT_ABILITY * nine["_ability"].to_numpy() + rng.normal(0, 12, nine.height)
    merit = base.copy()
    eligible = np.zeros(nine.height, dtype=bool)
    keys = list(zip(nine["school_unit_code"].to_list(), year.tolist(), strict=True))
    groups: dict[tuple[str, int], list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    for key, members in groups.items():
        idx = np.array(members)
        pub = results.get(key)
        shift = 0.0
        if pub is not None and pub.merit is not None:
            for _ in range(30):
                m = np.clip(base[idx] + shift, 0, 340)
                m = np.where(m < 10, 0, m)
                current = m[m >= 10].mean() if (m >= 10).any() else 0.0
                shift += pub.merit - current
        m = np.clip(base[idx] + shift, 0, 340)
        merit[idx] = np.round(np.where(m < 10, 0, m) / 2.5) * 2.5  # sums of 10/12.5/15/17.5/20
        share = pub.eligible if pub is not None and pub.eligible is not None else float(np.clip((merit[idx].mean() - 80) / 160, 0.3, 0.99))
        if share < 0:  # "~100": one to four pupils not eligible
            n_eligible = idx.size - min(max(1, round(0.03 * idx.size)), 4, max(idx.size - 1, 0))
        else:
            n_eligible = round(share * idx.size)
        order = idx[np.argsort(-merit[idx], kind="stable")]
        eligible[order[:n_eligible]] = True
    nine = nine.with_columns(pl.Series("merit_value", merit), pl.Series("eligible_vocational", eligible))
    out = pl.concat([others, nine], how="diagonal_relaxed").drop("_ability", "_foreign", "_need", "_child")
    return conform(out, PUPIL_SCHEMA).sort(["year", "school_unit_code", "pupil_id"])


def interim_index(pupils: pl.DataFrame) -> pl.DataFrame:
    """The documented interim index (module docstring) per school and year."""
    res = pupils.filter((pl.col("home_municipality") == STOCKHOLM) & (pl.col("school_form") == "gr"))
    arrival = res["arrival_year"].fill_null(-1).to_numpy()
    year = res["year"].to_numpy()
    risk = _risk(
        (arrival >= 0).astype(float),
        ((arrival >= 0) & (arrival >= year - 4)).astype(float),
        res["guardian_education"].to_numpy(),
        res["economic_assistance"].to_numpy().astype(float),
        res["single_guardian"].to_numpy().astype(float),
        res["guardian_income_decile"].to_numpy().astype(float),
    )
    # the means are bincounts in row order, not a threaded group-by mean: a float sum in
    # another order differs in its last bits, and the demo must be the same in every process
    groups = res.select(pl.struct("school_unit_code", "year").rank("dense").cast(pl.Int64) - 1).to_series().to_numpy()
    years = res.select(pl.col("year").rank("dense").cast(pl.Int64) - 1).to_series().to_numpy()
    n = np.bincount(groups)
    school_risk = np.bincount(groups, weights=risk) / n
    city = np.bincount(years, weights=risk) / np.bincount(years)
    first = np.unique(groups, return_index=True)[1]  # one row of each school and year
    per = (
        res[first]
        .select("school_unit_code", "year")
        .with_columns(pl.Series("pupils", n), pl.Series("risk", school_risk), pl.Series("city", city[years[first]]))
        .filter(pl.col("pupils") >= 10)
        .with_columns((pl.col("risk") / pl.col("city") * 100).alias("index"))
    )
    return conform(per, INDEX_SCHEMA).sort(["year", "school_unit_code"])
