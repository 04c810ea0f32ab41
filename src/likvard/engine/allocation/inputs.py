"""The allocation engine's inputs: column names and types of each table.

Why one module: the file readers (``likvard.data``), the demo generator, the web importer and
the engine all meet here, so a column has one name and one type everywhere
(docs/formats.md describes the same tables as files).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

#: School forms (skolformer): grundskola, anpassad grundskola, gymnasieskola,
#: anpassad gymnasieskola.
SCHOOL_FORMS = ("gr", "gran", "gy", "gyan")
#: Grades as text: F (förskoleklass) and 1–9 in gr/gran, 1–3 in gy/gyan.
GRADES_GR = ("F", "1", "2", "3", "4", "5", "6", "7", "8", "9")
GRADES_GY = ("1", "2", "3")
#: Who runs a school: the own municipality (egen regi), an independent organiser (fristående),
#: another municipality (interkommunal ersättning) or the state (specialskola, sameskola).
OPERATORS = ("municipal", "independent", "other_municipality", "state")
GENDERS = ("female", "male")
LEISURE = ("none", "fritidshem", "fritidsklubb")
SPECIAL_GROUPS = ("none", "su", "rsu", "csu")
STOCKHOLM = "0180"

#: One row per pupil and register year (the snapshot the budget year is computed on).
PUPIL_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "year": pl.Int32,
    "pupil_id": pl.String,  # keyed pseudonym, never a personal identity number
    "school_unit_code": pl.String,
    "school_form": pl.String,  # SCHOOL_FORMS
    "grade": pl.String,  # GRADES_GR / GRADES_GY
    "home_municipality": pl.String,  # 4-digit municipality code; "0180" = Stockholm
    "gender": pl.String,  # GENDERS
    "leisure": pl.String,  # LEISURE: fritidshem (6–9 / 10–12 år by grade), fritidsklubb
    "mother_tongue": pl.Boolean,  # eligible for mother-tongue tuition (L3611–3614)
    "newcomer": pl.Boolean,  # nyanländ (L3712–3719)
    "special_group": pl.String,  # SPECIAL_GROUPS (L3624–3710)
    "special_group_share": pl.Int16,  # percent of teaching in a special group, 0–100
    "rsu_group": pl.String,  # RSU group id when special_group == "rsu", else null
    "programme": pl.String,  # upper-secondary programme code (gy), else null
    "merit_value_year9": pl.Float64,  # the gy pupil's year-9 merit value (L3855–3868)
    # Background variables of the socioeconomic index (rules-2024.md §5, L3750–3753)
    "arrival_year": pl.Int32,  # year of immigration; null = born in Sweden
    "guardian_education": pl.Int8,  # 0 pre-upper-secondary, 1 upper-secondary, 2 tertiary
    "economic_assistance": pl.Boolean,  # a guardian receives economic assistance
    "single_guardian": pl.Boolean,  # family situation: lives with one guardian
    "guardian_income_decile": pl.Int8,  # 1–10, within the municipality
    "residential_area": pl.String,  # small-area code of the home (residential environment)
    # Year-9 outcomes of the school year that ends in spring of year + 1 (grade 9 only)
    "merit_value": pl.Float64,  # 0–340
    "eligible_vocational": pl.Boolean,  # behörig till yrkesprogram
}

#: One row per school unit.
SCHOOL_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "school_unit_code": pl.String,  # 8 digits (Skolverket)
    "name": pl.String,
    "operator": pl.String,  # OPERATORS
    "organiser": pl.String,  # huvudman's name
    "municipality_code": pl.String,  # where the school is; "0180" = Stockholm
    "district": pl.String,  # city district (stadsdelsnämndsområde); null outside Stockholm
    "area": pl.String,  # school area (grundskoleområde); own schools only
    "school_forms": pl.String,  # comma-separated SCHOOL_FORMS
    "resource_school": pl.Boolean,  # fristående resursskola (L3669–3697)
    "ib": pl.Boolean,  # international school with IB (mother tongue from 2024, L3613)
    "opened_year": pl.Int32,  # first year with pupils; null = long established
    "employees": pl.Int32,  # for the IT charge per employee (L4059–4071)
    "synthetic": pl.Boolean,  # the school itself is invented for the demo
    "synthetic_location": pl.Boolean,  # district/area assigned by the demo, not published
}

#: The socioeconomic index per school and year (100 = the municipality's average).
INDEX_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "school_unit_code": pl.String,
    "year": pl.Int32,
    "index": pl.Float64,
    "pupils": pl.Int32,  # resident pupils the index is computed on
}

#: Individually assessed amounts (tilläggsbelopp / verksamhetsstöd), one row per decision.
DECISION_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "year": pl.Int32,
    "pupil_id": pl.String,
    "kind": pl.String,  # "individual_support"
    "amount_ore": pl.Int64,
    "extensive": pl.Boolean,  # extensive support needs: +25 % surcharge (L3640–3643)
}

#: Regional special teaching groups (RSU) of own schools (L4179–4213).
RSU_GROUP_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "group_id": pl.String,
    "area": pl.String,
    "host_school_unit_code": pl.String,
    "places": pl.Int32,
    "budgeted_cost_ore": pl.Int64,
    "other_income_ore": pl.Int64,  # e.g. Kunskapsbidrag the area chief gives the group
}


#: A baseline for a year-on-year floor and cap: each school's per-pupil funding of the year
#: before (the NFF's minimum funding guarantee compares with it).
BASELINE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "school_unit_code": pl.String,
    "per_pupil_ore": pl.Int64,
}

#: Register columns a model may declare as attributes (``[[attribute]]``) start with this.
ATTRIBUTE_PREFIX = "attr_"


def empty(schema: dict[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    """An empty table with the given schema."""
    return pl.DataFrame(schema=schema)


@dataclass(frozen=True)
class AllocationInput:
    """Everything a run needs besides the model: all tables for one or more years."""

    pupils: pl.DataFrame
    schools: pl.DataFrame
    index: pl.DataFrame = field(default_factory=lambda: empty(INDEX_SCHEMA))
    decisions: pl.DataFrame = field(default_factory=lambda: empty(DECISION_SCHEMA))
    rsu_groups: pl.DataFrame = field(default_factory=lambda: empty(RSU_GROUP_SCHEMA))
    #: Where the inputs come from, shown in outputs (e.g. "demo municipality, seed 1, synthetic").
    source: str = ""
    #: Each school's per-pupil funding of a baseline run, for a year-on-year floor and cap.
    baseline: pl.DataFrame = field(default_factory=lambda: empty(BASELINE_SCHEMA))


def conform(df: pl.DataFrame, schema: dict[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    """Select and cast the schema's columns (missing optional columns become null). Columns
    named ``attr_…`` are kept as they are: a model may declare them as attributes."""
    cols = []
    for name, dtype in schema.items():
        if name in df.columns:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    cols += [pl.col(c) for c in df.columns if c.startswith(ATTRIBUTE_PREFIX) and c not in schema]
    return df.select(cols)
