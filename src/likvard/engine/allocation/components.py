"""One function per component kind: spec + context → statement lines and pot checks.

Why columnar: a national register has 1.1 M pupils; every kind works on the pupil *cells*
(pupils counted once by school, form, grade and the flags the rules use) or on small pupil
subsets, with Polars joins and group-bys — no loops over pupils. Pots are split with
``money.apportion`` over integer weights in school-code order, so they reconcile to the öre
and do not depend on input row order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import polars as pl

from likvard.money import apportion, format_ore, format_percent, scale_ore

from .errors import AllocationError
from .spec import Band, Component, Grant, Model

#: Columns of every statement line.
LINE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "school_unit_code": pl.String,
    "component": pl.String,
    "line": pl.String,
    "quantity": pl.Float64,
    "rate_ore": pl.Int64,
    "amount_ore": pl.Int64,
    "template": pl.String,
    "detail": pl.String,
}

#: Index values are turned into integer weights with this many decimals kept.
INDEX_SCALE = 10_000

T = TypeVar("T")


@dataclass(frozen=True)
class PotCheck:
    """One reconciliation row: what a pot or budget is, and what the run paid out of it."""

    id: str
    label: str
    amount_ore: int
    distributed_ore: int
    kind: str  # "pot" (must be exact), "budget" (planned, paid by rate), "fixed_grant" (a budget of named grants), "transfer" (sums to 0)
    component: str
    note: str = ""

    @property
    def difference_ore(self) -> int:
        return self.amount_ore - self.distributed_ore


@dataclass(frozen=True)
class Unallocated:
    """One input record (or one group of pupils) that no component paid."""

    kind: str  # "pupils", "decision", "rsu_place", "grant"
    record: str  # what it is: a pupil pseudonym, a school's name, "gr åk 4"
    school_unit_code: str
    count: int
    reason: str
    component: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "record": self.record, "school_unit_code": self.school_unit_code, "count": self.count, "reason": self.reason, "component": self.component}


@dataclass(frozen=True)
class Context:
    """What every component may read. ``cells``: resident and other pupils counted by school,
    form, grade, leisure and flags, with the school's operator and resource-school mark."""

    model: Model
    year: int
    cells: pl.DataFrame
    pupils: pl.DataFrame
    schools: pl.DataFrame
    index: pl.DataFrame
    decisions: pl.DataFrame  # this year's, joined to their pupils (join_decisions)
    rsu_groups: pl.DataFrame
    placed: pl.DataFrame  # pupils in RSU groups (pupil_id, school_unit_code, school_form, grade, rsu_group, special_group)
    school_cols: pl.DataFrame  # school_unit_code, operator, resource_school
    upper_secondary: pl.DataFrame  # pupils in gy and gyan for the merit-based pots (school_unit_code, school_form, resident, merit_value_year9)
    #: Intermediate tables several components need (the cells of one selection, band counts),
    #: computed once per run by whichever component asks first (see ``shared``).
    _shared: dict[Hashable, Future[Any]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, once per run and key: components run side by side on a thread pool,
        so a second caller waits for the first caller's result instead of computing it again."""
        with self._lock:
            future = self._shared.get(key)
            owner = future is None
            if future is None:
                future = self._shared[key] = Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
                raise
        result: T = future.result()
        return result


@dataclass(frozen=True)
class Output:
    lines: pl.DataFrame
    pots: tuple[PotCheck, ...] = ()
    #: Per-school extra facts (index, quartile …) to show on the statement.
    school_facts: pl.DataFrame | None = None
    #: Records this component was meant to pay and could not (a named school not in the register).
    unallocated: tuple[Unallocated, ...] = ()


Compute = Callable[[Component, Context, dict[str, Output]], Output]


def _lines(df: pl.DataFrame) -> pl.DataFrame:
    """Bring a frame to LINE_SCHEMA (missing columns become null)."""
    cols = [
        (pl.col(n).cast(t) if n in df.columns else pl.lit(None, dtype=t).alias(n))
        for n, t in LINE_SCHEMA.items()
    ]
    return df.select(cols)


def empty_lines() -> pl.DataFrame:
    return pl.DataFrame(schema=LINE_SCHEMA)


def _selection(c: Component, residents: bool | None = None) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """What ``_select`` keeps: school forms, operators and whether only residents count."""
    return (c.school_forms, c.operators, c.residents_only if residents is None else residents)


def _select(c: Component, ctx: Context, *, residents: bool | None = None) -> pl.DataFrame:
    """The cells a component applies to: its school forms, operators and (by default) residents.
    Components with the same selection share one filtered table."""
    forms, operators, only_residents = key = _selection(c, residents)

    def select() -> pl.DataFrame:
        cond = pl.col("school_form").is_in(list(forms)) & pl.col("operator").is_in(list(operators))
        if only_residents:
            cond = cond & pl.col("resident")
        return ctx.cells.filter(cond)

    return ctx.shared(("select", *key), select)


def flag_column(c: Component) -> str:
    """The cells column that counts the pupils a component's flag selects (``n`` = all)."""
    if c.flag is None:
        return "n"
    if c.flag == "special_group_su":
        return f"f_su_{int(c.min_share * 100)}"
    return f"f_{c.flag}"


def flag_expr(c: Component) -> pl.Expr:
    """Pupil-level condition behind ``flag_column`` (used once, when the cells are counted)."""
    share = int(c.min_share * 100)
    if c.flag == "mother_tongue":
        return pl.col("mother_tongue").fill_null(False)
    if c.flag == "newcomer":
        return pl.col("newcomer").fill_null(False)
    if c.flag == "special_group_su":
        return (pl.col("special_group") == "su") & (pl.col("special_group_share") >= share)
    if c.flag == "special_group_rsu":
        return pl.col("special_group") == "rsu"
    if c.flag == "special_group_csu":
        return pl.col("special_group") == "csu"
    return pl.lit(True)


def _count(cells: pl.DataFrame, column: str) -> pl.DataFrame:
    """Pupils per school in a cells count column, schools with none left out, sorted by code."""
    return (
        cells.group_by("school_unit_code")
        .agg(pl.col(column).sum().cast(pl.Int64).alias("n"))
        .filter(pl.col("n") > 0)
        .sort("school_unit_code")
    )


def _bands_frame(bands: tuple[Band, ...]) -> pl.DataFrame:
    rows = [
        {"school_form": b.school_form, "grade": g, "band": i, "band_leisure": b.leisure, "band_programme": b.programme, "rate_ore": b.amount_ore, "band_label": b.label}
        for i, b in enumerate(bands)
        for g in b.grades
    ]
    return pl.DataFrame(
        rows,
        schema={
            "school_form": pl.String,
            "grade": pl.String,
            "band": pl.Int32,
            "band_leisure": pl.String,
            "band_programme": pl.String,
            "rate_ore": pl.Int64,
            "band_label": pl.String,
        },
    )


def _band_counts(cells: pl.DataFrame, bands: tuple[Band, ...]) -> pl.DataFrame:
    """Pupils per school and band (leisure bands count only pupils in that leisure form,
    programme bands only pupils on that programme)."""
    joined = cells.join(_bands_frame(bands), on=["school_form", "grade"], how="inner").filter(
        pl.col("band_programme").is_null() | (pl.col("band_programme") == pl.col("programme"))
    )
    count = (
        pl.when(pl.col("band_leisure") == "fritidshem")
        .then(pl.col("l_fritidshem"))
        .when(pl.col("band_leisure") == "fritidsklubb")
        .then(pl.col("l_fritidsklubb"))
        .otherwise(pl.col("n"))
    )
    return (
        joined.with_columns(count.alias("_count"))
        .group_by(["school_unit_code", "band"])
        .agg(
            pl.col("_count").sum().cast(pl.Int64).alias("n"),
            pl.col("rate_ore").first(),
            pl.col("band_label").first(),
            pl.col("operator").first(),  # one per school
        )
        .filter(pl.col("n") > 0)
        .sort(["school_unit_code", "band"])
    )


def _selected_band_counts(c: Component, ctx: Context) -> pl.DataFrame:
    """``_band_counts`` of a per-pupil component's own selection (shared with its share_of)."""
    return ctx.shared(("bands", *_selection(c), c.bands), lambda: _band_counts(_select(c, ctx), c.bands))


def _sorted_apportion(pot: int, df: pl.DataFrame, weight: str, key: str = "school_unit_code") -> pl.Series:
    """Apportion ``pot`` over ``df[weight]`` with rows sorted by ``key`` (returns in df order)."""
    order = df.with_row_index("_i").sort(key)
    parts = apportion(pot, order[weight].cast(pl.Int64).to_list())
    back = pl.DataFrame({"_i": order["_i"], "_part": pl.Series(parts, dtype=pl.Int64)}).sort("_i")
    return back["_part"]


def scale_ore_expr(expr: pl.Expr, factor: Decimal) -> pl.Expr:
    """``expr × factor`` rounded half-to-even to whole öre, in exact integer arithmetic
    (the columnar twin of ``money.scale_ore``)."""
    num, den = factor.as_integer_ratio()
    product = expr.cast(pl.Int64) * num
    q = product // den
    r = product - q * den  # 0 <= r < den (floor division)
    up = (2 * r > den) | ((2 * r == den) & (q % 2 == 1))
    return pl.when(up).then(q + 1).otherwise(q)


def _kr(ore: int) -> str:
    return format_ore(ore)


def _grouped(n: int) -> str:
    """A count in a generated text, grouped as Swedish writes it ("31 542")."""
    return format_ore(n * 100, unit="").strip()


# ---------------------------------------------------------------------------------------------


def per_pupil(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Per-pupil amounts by grade band and school form (schablon, L3414–3416), or by
    programme from a price list (upper secondary, L3427–3434)."""
    cells = _select(c, ctx)
    priced = {b.programme for b in c.bands if b.programme}
    if priced:
        forms = [b.school_form for b in c.bands if b.programme]
        missing = cells.filter(pl.col("school_form").is_in(forms) & ~pl.col("programme").is_in(list(priced)))
        if missing.height:
            raise AllocationError(
                f"{c.file}, komponent {c.id!r}, nyckel 'rates': programmet "
                f"{missing['programme'][0]!r} (skola {missing['school_unit_code'][0]}) saknar pris i prislistan"
            )
    counts = _selected_band_counts(c, ctx)
    lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.col("band_label").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        "rate_ore",
        (pl.col("n") * pl.col("rate_ore")).alias("amount_ore"),
        pl.lit("{q} elever {line} × {r}").alias("template"),
    )
    return Output(_lines(lines), _budget_check(c, lines))


def share_of(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Own schools are paid a share of the standard amount; the rest is kept centrally for
    premises, administration, IT and principals' salaries (at least 71 %, L3423–3425, L3917)."""
    base = ctx.model.component(c.of)
    # the operator is the school's, so counting first and then keeping c's operators is the
    # same as counting c's operators' cells
    counts = _selected_band_counts(base, ctx).filter(pl.col("operator").is_in(list(c.operators)))
    kept = Decimal(1) - c.share
    rates = {b.label: -scale_ore(b.amount_ore, kept) for b in base.bands}
    kept_pct = format_percent(kept)
    lines = counts.with_columns(
        pl.col("band_label").replace_strict(rates, return_dtype=pl.Int64).alias("rate_ore")
    ).select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.col("band_label").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        "rate_ore",
        (pl.col("n") * pl.col("rate_ore")).alias("amount_ore"),
        pl.lit(f"{{q}} elever {{line}} × {{r}} ({kept_pct} av schablonen finansierar lokaler, administration m.m. centralt)").alias("template"),
    )
    return Output(_lines(lines))


def index_pot(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Socioeconomic compensation (L3739–3766): a base amount per pupil, the rest of the pot by
    index-weighted pupil counts; index = moving average of the last years; schools under the
    minimum pupils or not in the data get their district's average for their operator form;
    independent schools outside the municipality get the average of all of them."""
    counts = _count(_select(c, ctx), "n").join(
        ctx.schools.select("school_unit_code", "operator", "district", "municipality_code"), on="school_unit_code", how="left"
    ).sort("school_unit_code")
    years = list(range(ctx.year - c.moving_average_years + 1, ctx.year + 1))
    idx = ctx.shared(
        ("index", tuple(years), c.min_pupils),
        lambda: ctx.index.filter(pl.col("year").is_in(years) & (pl.col("pupils") >= c.min_pupils) & pl.col("index").is_not_null())
        .group_by("school_unit_code")
        .agg(pl.col("index").mean().alias("index_ma"), pl.col("year").min().alias("first_year"), pl.col("year").max().alias("last_year"), pl.len().alias("index_years")),
    )
    counts = counts.join(idx, on="school_unit_code", how="left")
    inside = pl.col("municipality_code") == ctx.model.municipality
    own = inside & (pl.col("n") >= c.min_pupils) & pl.col("index_ma").is_not_null()
    counts = counts.with_columns(own.alias("own_index"))
    ref = counts.filter(pl.col("own_index"))
    by_group = ref.group_by(["district", "operator"]).agg(((pl.col("n") * pl.col("index_ma")).sum() / pl.col("n").sum()).alias("group_index"))
    by_operator = ref.group_by("operator").agg(((pl.col("n") * pl.col("index_ma")).sum() / pl.col("n").sum()).alias("operator_index"))
    outside = counts.filter(~inside & pl.col("index_ma").is_not_null())
    outside_n = float(outside["n"].sum()) if outside.height else 0.0
    outside_index = float((outside["n"] * outside["index_ma"]).sum()) / outside_n if outside_n else None
    counts = (
        counts.join(by_group, on=["district", "operator"], how="left")
        .join(by_operator, on="operator", how="left")
        .with_columns(
            pl.when(pl.col("own_index"))
            .then(pl.col("index_ma"))
            .when(~inside)
            .then(pl.lit(outside_index if outside_index is not None else 100.0))
            .when(pl.col("group_index").is_not_null())
            .then(pl.col("group_index"))
            .otherwise(pl.coalesce("operator_index", pl.lit(100.0)))
            .alias("index_used"),
            pl.when(pl.col("own_index"))
            .then(pl.lit("own"))
            .when(~inside)
            .then(pl.lit("outside_average" if outside_index is not None else "municipal_average"))
            .when(pl.col("group_index").is_not_null())
            .then(pl.lit("district_average"))
            .otherwise(pl.lit("operator_average"))
            .alias("index_basis"),
        )
        .with_columns((pl.col("index_used") * INDEX_SCALE).round(0).cast(pl.Int64).alias("index_e4"))
        .with_columns((pl.col("n").cast(pl.Int64) * pl.col("index_e4")).alias("weight"))
        .sort("school_unit_code")
    )
    pupils = int(counts["n"].sum())
    base_total = pupils * c.base_amount_ore
    rest = c.amount_ore - base_total
    if rest < 0:
        raise AllocationError(
            f"{c.file}, komponent {c.id!r}, nyckel 'base_amount': potten räcker inte — "
            f"{_grouped(pupils)} elever × {_kr(c.base_amount_ore)} = {_kr(base_total)} är mer än potten {_kr(c.amount_ore)}"
        )
    if counts.height:
        counts = counts.with_columns(_sorted_apportion(rest, counts, "weight").alias("index_ore"))
    else:
        counts = counts.with_columns(pl.lit(0, dtype=pl.Int64).alias("index_ore"))
    total_weight = int(counts["weight"].sum()) if counts.height else 0
    # kronor per index-weighted pupil (index 100 = one pupil), shown on the statement
    rate_per_weighted = round(rest * INDEX_SCALE * 100 / total_weight) if total_weight else 0
    basis_text = {
        "own": "skolans index {idx} (glidande medelvärde)",
        "district_average": "genomsnittligt index {idx} för skolor med samma driftsform i samma " + ctx.model.labels.district.lower() + " (ny skola eller färre än "
        + str(c.min_pupils)
        + " elever)",
        "operator_average": "genomsnittligt index {idx} för skolor med samma driftsform",
        "outside_average": "genomsnittligt index {idx} för fristående skolor utanför kommunen",
        "municipal_average": "kommunens genomsnitt {idx}",
    }
    details = [
        basis_text[b].format(idx=f"{v:.1f}".replace(".", ","))
        for b, v in zip(counts["index_basis"].to_list(), counts["index_used"].to_list(), strict=True)
    ]
    counts = counts.with_columns(pl.Series("detail", details, dtype=pl.String))
    base_lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("base").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        pl.lit(c.base_amount_ore, dtype=pl.Int64).alias("rate_ore"),
        (pl.col("n").cast(pl.Int64) * c.base_amount_ore).alias("amount_ore"),
        pl.lit("{q} elever × {r} basbelopp").alias("template"),
    )
    index_lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("index").alias("line"),
        (pl.col("n") * pl.col("index_e4") / (INDEX_SCALE * 100)).alias("quantity"),
        pl.lit(rate_per_weighted, dtype=pl.Int64).alias("rate_ore"),
        pl.col("index_ore").alias("amount_ore"),
        pl.lit("indexandel: {q} indexviktade elever × {r} ({detail})").alias("template"),
        "detail",
    )
    lines = _lines(pl.concat([_lines(base_lines), _lines(index_lines)])).sort(["school_unit_code", "line"])
    distributed = int(lines["amount_ore"].sum()) if lines.height else 0
    facts = counts.select(
        "school_unit_code",
        pl.col("index_used").alias(f"{c.id}_index"),
        pl.col("index_basis").alias(f"{c.id}_index_basis"),
        pl.col("n").alias(f"{c.id}_pupils"),
    )
    pot = PotCheck(c.id, c.label, c.amount_ore, distributed, "pot", c.id, f"basbelopp {_kr(c.base_amount_ore)}/elev, {_grouped(pupils)} elever")
    return Output(lines, (pot,), facts)


def pupil_pot(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """A pot shared per pupil in a grade range (e.g. Kunskapsbidraget F-3, 72 mnkr, L4278–4280)
    or per flagged pupil (CSU, L3699–3702)."""
    counts = _count(_select(c, ctx).filter(pl.col("grade").is_in(list(c.grades))), flag_column(c))
    if counts.height == 0:
        raise AllocationError(f"{c.file}, komponent {c.id!r}: inga elever att fördela potten {_kr(c.amount_ore)} på")
    counts = counts.with_columns(_sorted_apportion(c.amount_ore, counts, "n").alias("amount_ore"))
    pupils = int(counts["n"].sum())
    rate = round(c.amount_ore / pupils)
    lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("pot").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        pl.lit(rate, dtype=pl.Int64).alias("rate_ore"),
        "amount_ore",
        pl.lit(f"{{q}} elever: andel av {_kr(c.amount_ore)} fördelat på {_grouped(pupils)} elever (≈ {{r}}/elev)").alias("template"),
    )
    pot = PotCheck(c.id, c.label, c.amount_ore, int(lines["amount_ore"].sum()), "pot", c.id)
    return Output(_lines(lines), (pot,))


def per_flagged_pupil(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """A fixed amount per flagged pupil: mother tongue 11 486 kr (L3611), SU ≥ 75 % 81 670 kr
    (L3690–3692), RSU grant 147 000 kr paid to the home school (L3704–3707), newcomers."""
    cells = _select(c, ctx)
    if c.exclude_resource_schools:
        cells = cells.filter(~pl.col("resource_school"))
    counts = _count(cells, flag_column(c))
    suffix = " (betalas till hemskolan, som för det vidare till RSU-gruppen)" if c.flag == "special_group_rsu" else ""
    lines = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit(c.flag).alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        pl.lit(c.amount_ore, dtype=pl.Int64).alias("rate_ore"),
        (pl.col("n").cast(pl.Int64) * c.amount_ore).alias("amount_ore"),
        pl.lit("{q} elever × {r}" + suffix).alias("template"),
    )
    return Output(_lines(lines), _budget_check(c, lines))


def join_decisions(decisions: pl.DataFrame, pupils: pl.DataFrame, year: int, school_cols: pl.DataFrame) -> pl.DataFrame:
    """This year's individual decisions joined to the pupils they concern (done once per run)."""
    dec = decisions.filter(pl.col("kind") == "individual_support")
    wanted = pupils.select("pupil_id", "school_unit_code", "school_form", "resident")
    wanted = wanted.join(dec.select("pupil_id").unique(), on="pupil_id", how="semi").join(school_cols, on="school_unit_code", how="left")
    dec = dec.join(wanted, on="pupil_id", how="left")
    missing = dec.filter(pl.col("school_unit_code").is_null())
    if missing.height:
        raise AllocationError(
            f"beslut om tilläggsbelopp för {missing.height} elev(er) som inte finns i elevregistret {year}, "
            f"t.ex. {missing['pupil_id'][0]!r}"
        )
    return dec


def _decisions(c: Component, ctx: Context) -> pl.DataFrame:
    return ctx.decisions


def individual(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Individually assessed amounts (tilläggsbelopp/verksamhetsstöd) with a surcharge on
    extensive needs (+25 %, L3638–3643)."""
    cond = pl.col("school_form").is_in(list(c.school_forms)) & pl.col("operator").is_in(list(c.operators))
    if c.residents_only:
        cond = cond & pl.col("resident")
    dec = _decisions(c, ctx).filter(cond)
    dec = dec.with_columns(
        pl.when(pl.col("extensive")).then(scale_ore_expr(pl.col("amount_ore"), c.surcharge)).otherwise(0).alias("surcharge_ore")
    )
    per_school = (
        dec.group_by("school_unit_code")
        .agg(
            pl.len().alias("n"),
            pl.col("amount_ore").sum(),
            pl.col("extensive").sum().alias("n_ext"),
            pl.col("surcharge_ore").sum(),
            pl.col("amount_ore").filter(pl.col("extensive")).sum().alias("ext_ore"),
        )
        .sort("school_unit_code")
    )
    pct = format_percent(c.surcharge)
    granted = per_school.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("granted").alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
        "amount_ore",
        pl.lit("{q} individuellt bedömda beslut, sammanlagt {a}").alias("template"),
    )
    extra = per_school.filter(pl.col("n_ext") > 0).select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("surcharge").alias("line"),
        pl.col("n_ext").cast(pl.Float64).alias("quantity"),
        pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
        pl.col("surcharge_ore").alias("amount_ore"),
        pl.lit(f"påslag {pct} på {{q}} beslut om omfattande stöd").alias("template"),
    )
    lines = pl.concat([_lines(granted), _lines(extra)]).sort(["school_unit_code", "line"])
    return Output(lines, _budget_check(c, lines))


def composite(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Raised base amount for independent resource schools: 244 000 kr = structural grant
    162 330 + SU supplement 81 670, less up to 80 100 kr for a pupil who also has individual
    support, depending on its level (L3660–3678). Deduction = min(cap, share × amount)."""
    counts = _count(_select(c, ctx).filter(pl.col("resource_school")), "n")
    frames = []
    for i, part in enumerate(c.parts):
        frames.append(
            counts.select(
                "school_unit_code",
                pl.lit(c.id).alias("component"),
                pl.lit(f"part{i}").alias("line"),
                pl.col("n").cast(pl.Float64).alias("quantity"),
                pl.lit(part.amount_ore, dtype=pl.Int64).alias("rate_ore"),
                (pl.col("n").cast(pl.Int64) * part.amount_ore).alias("amount_ore"),
                pl.lit(f"{{q}} elever × {{r}} {part.label.lower()}").alias("template"),
            )
        )
    if ctx.decisions.height:
        dec = _decisions(c, ctx).filter(pl.col("resource_school") & pl.col("school_form").is_in(list(c.school_forms)))
        if c.residents_only:
            dec = dec.filter(pl.col("resident"))
        if dec.height:
            dec = dec.with_columns(
                (-pl.min_horizontal(pl.lit(c.deduction_max_ore), scale_ore_expr(pl.col("amount_ore"), c.deduction_share))).alias("ded")
            )
            per_school = dec.group_by("school_unit_code").agg(pl.col("pupil_id").n_unique().alias("n"), pl.col("ded").sum())
            frames.append(
                per_school.select(
                    "school_unit_code",
                    pl.lit(c.id).alias("component"),
                    pl.lit("deduction").alias("line"),
                    pl.col("n").cast(pl.Float64).alias("quantity"),
                    pl.lit(-c.deduction_max_ore, dtype=pl.Int64).alias("rate_ore"),
                    pl.col("ded").alias("amount_ore"),
                    pl.lit("avräkning för {q} elever som också har tilläggsbelopp (högst " + _kr(c.deduction_max_ore) + "/elev)").alias("template"),
                )
            )
    lines = pl.concat([_lines(f) for f in frames]).sort(["school_unit_code", "line"]) if frames else empty_lines()
    return Output(lines, _budget_check(c, lines))


def _pupil_money(ctx: Context, refs: tuple[str, ...], pupils: pl.DataFrame) -> pl.DataFrame:
    """Each given pupil's money under the referenced per-pupil and share components."""
    total = pupils.with_columns(pl.lit(0, dtype=pl.Int64).alias("money_ore"))
    for ref in refs:
        comp = ctx.model.component(ref)
        base = ctx.model.component(comp.of) if comp.kind == "share_of" else comp
        # the school band for every pupil, and the fritidshem or fritidsklubb band for a pupil
        # enrolled there: the home school passes on "skolpeng och i förekommande fall
        # fritidshemspeng" (L4198–4199)
        frame = _bands_frame(base.bands).select("school_form", "grade", "band_leisure", "rate_ore")
        if comp.kind == "share_of":
            kept = Decimal(1) - comp.share
            reduced = [-scale_ore(r, kept) for r in frame["rate_ore"].to_list()]
            frame = frame.with_columns(pl.Series("rate_ore", reduced, dtype=pl.Int64))
        school = frame.filter(pl.col("band_leisure").is_null()).drop("band_leisure")
        leisure = frame.filter(pl.col("band_leisure").is_not_null()).rename({"band_leisure": "leisure", "rate_ore": "leisure_ore"})
        total = (
            total.join(school, on=["school_form", "grade"], how="left")
            .join(leisure, on=["school_form", "grade", "leisure"], how="left")
            .with_columns((pl.col("money_ore") + pl.col("rate_ore").fill_null(0) + pl.col("leisure_ore").fill_null(0)).alias("money_ore"))
            .drop("rate_ore", "leisure_ore")
        )
    return total


def pooled_premium(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """RSU pool (L4179–4213): every own school pays a premium per pupil by grade band into its
    area's pot; the pot is shared equally per place among the area's RSU groups; the home school
    passes on the placed pupil's pupil money and RSU grant, and pays an equal fee per placed
    pupil that covers the gap between the group's budgeted cost and its income."""
    cells = _select(c, ctx).join(ctx.schools.select("school_unit_code", "area"), on="school_unit_code", how="left")
    counts = _band_counts(cells, c.bands).join(ctx.schools.select("school_unit_code", "area"), on="school_unit_code", how="left")
    no_area = counts.filter(pl.col("area").is_null())
    if no_area.height:
        raise AllocationError(f"{c.file}, komponent {c.id!r}: skolan {no_area['school_unit_code'][0]} saknar skolområde (area) för RSU-premien")
    premium = counts.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.concat_str([pl.lit("premium "), pl.col("band_label")]).alias("line"),
        pl.col("n").cast(pl.Float64).alias("quantity"),
        (-pl.col("rate_ore")).alias("rate_ore"),
        (-pl.col("n") * pl.col("rate_ore")).alias("amount_ore"),
        pl.concat_str([pl.lit("RSU-premie till områdets pott: {q} elever "), pl.col("band_label"), pl.lit(" × {r}")]).alias("template"),
        "area",
    )
    area_pots = premium.group_by("area").agg((-pl.col("amount_ore")).sum().alias("pot")).sort("area")
    groups = ctx.rsu_groups.sort("group_id")
    frames = [premium.drop("area")]
    pots: list[PotCheck] = []
    for area, pot in zip(area_pots["area"].to_list(), area_pots["pot"].to_list(), strict=True):
        g = groups.filter(pl.col("area") == area)
        if g.height == 0 or int(g["places"].sum()) == 0:
            pots.append(PotCheck(f"{c.id}:{area}", f"{c.label}, {area}", pot, 0, "pot", c.id, "området har inga RSU-platser: potten är inte fördelad"))
            continue
        shares = apportion(pot, g["places"].to_list())
        share_df = g.select("group_id", "host_school_unit_code", "places").with_columns(pl.Series("share", shares, dtype=pl.Int64))
        frames.append(
            share_df.select(
                pl.col("host_school_unit_code").alias("school_unit_code"),
                pl.lit(c.id).alias("component"),
                pl.concat_str([pl.lit("pot "), pl.col("group_id")]).alias("line"),
                pl.col("places").cast(pl.Float64).alias("quantity"),
                pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
                pl.col("share").alias("amount_ore"),
                pl.concat_str([pl.lit(f"andel av områdets RSU-pott ({area}) för grupp "), pl.col("group_id"), pl.lit(": {q} platser")]).alias("template"),
            )
        )
        pots.append(PotCheck(f"{c.id}:{area}", f"{c.label}, {area}", pot, sum(shares), "pot", c.id))
    # transfers and fee for placed pupils
    placed = ctx.placed.join(groups.select(pl.col("group_id").alias("rsu_group"), "host_school_unit_code"), on="rsu_group", how="left")
    placed = placed.filter(pl.col("host_school_unit_code").is_not_null())  # an unknown group: listed as unallocated
    placed = _pupil_money(ctx, c.pupil_money_from, placed.select("pupil_id", "school_unit_code", "school_form", "grade", "leisure", "rsu_group", "host_school_unit_code"))
    grant = ctx.model.component(c.rsu_grant_from).amount_ore if c.rsu_grant_from else 0
    placed = placed.with_columns(pl.lit(grant, dtype=pl.Int64).alias("grant_ore"))
    pot_share = pl.concat([f for f in frames[1:]]) if len(frames) > 1 else None
    fee_rows: list[pl.DataFrame] = []
    transfer_total = 0
    for row in groups.iter_rows(named=True):
        members = placed.filter(pl.col("rsu_group") == row["group_id"]).sort("pupil_id")
        income = int(members["money_ore"].sum()) + int(members["grant_ore"].sum()) + int(row["other_income_ore"] or 0)
        if pot_share is not None:
            income += int(pot_share.filter(pl.col("line") == f"pot {row['group_id']}")["amount_ore"].sum())
        gap = int(row["budgeted_cost_ore"]) - income
        if members.height == 0:
            continue
        fees = apportion(max(gap, 0), [1] * members.height)
        fee_rows.append(members.with_columns(pl.Series("fee_ore", fees, dtype=pl.Int64)))
    if fee_rows:
        fee = pl.concat(fee_rows)
        out = fee.group_by(["school_unit_code", "host_school_unit_code"]).agg(
            pl.len().alias("n"), pl.col("money_ore").sum(), pl.col("grant_ore").sum(), pl.col("fee_ore").sum()
        )
        # the host school by name in the explanation; braces escaped for str.format in explain()
        hosts = ctx.schools.select(
            pl.col("school_unit_code").alias("host_school_unit_code"),
            pl.concat_str([pl.col("name"), pl.lit(" ("), pl.col("school_unit_code"), pl.lit(")")])
            .str.replace_all("{", "{{", literal=True)
            .str.replace_all("}", "}}", literal=True)
            .alias("host_label"),
        )
        out = out.join(hosts, on="host_school_unit_code", how="left").with_columns(
            pl.coalesce("host_label", "host_school_unit_code").alias("host_label")
        )
        for col, what in (("money_ore", "skolpeng och fritidshemspeng"), ("grant_ore", "RSU-bidrag"), ("fee_ore", "RSU-avgift")):
            give = out.filter(pl.col(col) != 0)
            frames.append(
                give.select(
                    "school_unit_code",
                    pl.lit(c.id).alias("component"),
                    pl.concat_str([pl.lit(f"out {col} "), pl.col("host_school_unit_code")]).alias("line"),
                    pl.col("n").cast(pl.Float64).alias("quantity"),
                    pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
                    (-pl.col(col)).alias("amount_ore"),
                    pl.concat_str([pl.lit(f"{what} för {{q}} elever i RSU-grupp på "), pl.col("host_label")]).alias("template"),
                )
            )
            frames.append(
                give.select(
                    pl.col("host_school_unit_code").alias("school_unit_code"),
                    pl.lit(c.id).alias("component"),
                    pl.concat_str([pl.lit(f"in {col} "), pl.col("school_unit_code")]).alias("line"),
                    pl.col("n").cast(pl.Float64).alias("quantity"),
                    pl.lit(None, dtype=pl.Int64).alias("rate_ore"),
                    pl.col(col).alias("amount_ore"),
                    pl.concat_str([pl.lit(f"{what} för {{q}} RSU-elever från "), pl.col("school_unit_code")]).alias("template"),
                )
            )
            transfer_total += int(give[col].sum())
    lines = pl.concat([_lines(f) for f in frames]).sort(["school_unit_code", "line"])
    transfers = lines.filter(pl.col("line").str.starts_with("out ") | pl.col("line").str.starts_with("in "))
    pots.append(PotCheck(f"{c.id}:transfers", f"{c.label}: överföringar mellan skolor", 0, int(transfers["amount_ore"].sum()), "transfer", c.id, f"{_kr(transfer_total)} förs över från hemskolor till RSU-grupper"))
    return Output(lines, tuple(pots))


def fixed_grant(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Fixed grants to named schools: profile grants (L3721–3737), structural-deficit grants
    to appropriation units (L4021–4047). A grant names its school by code, or by name when the
    plan gives no code; a school the register lacks is listed as unallocated, not paid."""
    known = set(ctx.schools["school_unit_code"].to_list())
    by_name: dict[str, list[str]] = {}
    for code, name in ctx.schools.select("school_unit_code", "name").iter_rows():
        by_name.setdefault(" ".join(str(name).split()).casefold(), []).append(code)
    paid: list[tuple[str, Grant]] = []
    missing: list[Unallocated] = []
    for i, g in enumerate(c.grants):
        if g.school_unit_code:
            if g.school_unit_code not in known:
                raise AllocationError(
                    f"{c.file}, komponent {c.id!r}, nyckel 'grants[{i}].school_unit_code': "
                    f"skolenheten {g.school_unit_code} ({g.name}) finns inte i skolregistret"
                )
            paid.append((g.school_unit_code, g))
            continue
        codes = by_name.get(" ".join(g.name.split()).casefold(), [])
        if len(codes) == 1:
            paid.append((codes[0], g))
        else:
            why = "skolregistret har ingen skola med det namnet" if not codes else f"skolregistret har {len(codes)} skolor med det namnet: ange school_unit_code"
            missing.append(Unallocated("grant", g.name, "", 1, f"{why}; bidraget {_kr(g.amount_ore)} betalas inte ut", c.id))
    lines = pl.DataFrame(
        {
            "school_unit_code": [code for code, _ in paid],
            "component": [c.id] * len(paid),
            "line": ["grant"] * len(paid),
            "quantity": [1.0] * len(paid),
            "rate_ore": [g.amount_ore for _, g in paid],
            "amount_ore": [g.amount_ore for _, g in paid],
            "template": [f"fast bidrag till {g.name}" for _, g in paid],
        },
        schema_overrides={"school_unit_code": pl.String, "component": pl.String, "line": pl.String, "quantity": pl.Float64, "rate_ore": pl.Int64, "amount_ore": pl.Int64, "template": pl.String},
    ).sort("school_unit_code")
    return Output(_lines(lines), _budget_check(c, lines), unallocated=tuple(missing))


def charge(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Charges to own schools: IT cost per pupil and per employee (L4059–4071), psychologists
    per pupil in upper secondary (L4376–4389)."""
    def charged(table: pl.DataFrame, quantity: str, line: str, rate_ore: int, template: str) -> pl.DataFrame:
        return table.select(
            "school_unit_code",
            pl.lit(c.id).alias("component"),
            pl.lit(line).alias("line"),
            pl.col(quantity).cast(pl.Float64).alias("quantity"),
            pl.lit(-rate_ore, dtype=pl.Int64).alias("rate_ore"),
            (-pl.col(quantity).cast(pl.Int64) * rate_ore).alias("amount_ore"),
            pl.lit(template).alias("template"),
        )

    frames = []
    if c.per_pupil_ore:
        counts = _count(_select(c, ctx), "n")
        frames.append(charged(counts, "n", "per_pupil", c.per_pupil_ore, "avgift {q} elever × {r}"))
    if c.per_employee_ore:
        forms = "|".join(c.school_forms)
        staff = ctx.schools.filter(
            pl.col("operator").is_in(list(c.operators))
            & pl.col("school_forms").str.contains(f"(^|,)({forms})(,|$)")
            & pl.col("employees").is_not_null()
            & (pl.col("employees") > 0)
            & pl.col("school_unit_code").is_in(ctx.shared(("cell schools",), lambda: ctx.cells["school_unit_code"].unique().to_list()))
        ).sort("school_unit_code")
        frames.append(charged(staff, "employees", "per_employee", c.per_employee_ore, "avgift {q} anställda × {r}"))
    lines = pl.concat([_lines(f) for f in frames]).sort(["school_unit_code", "line"]) if frames else empty_lines()
    return Output(lines, _budget_check(c, lines))


def merit_pot(c: Component, ctx: Context, done: dict[str, Output]) -> Output:
    """Upper secondary: a pot shared by pupils weighted by their year-9 merit value, lower
    merit weighing more (socioeconomic money 98.4 mnkr and strukturtillägg 20 mnkr,
    L3855–3870). A pupil without a merit value weighs as the lowest band."""

    def merit_pupils() -> pl.DataFrame:  # shared by the merit pots with the same forms and residence rule
        source = ctx.upper_secondary if set(c.school_forms) <= {"gy", "gyan"} else ctx.pupils
        pupils = source.filter(pl.col("school_form").is_in(list(c.school_forms)))
        if c.residents_only:
            pupils = pupils.filter(pl.col("resident"))
        return pupils.select("school_unit_code", "programme", "merit_value_year9").join(ctx.school_cols, on="school_unit_code", how="left")

    pupils = ctx.shared(("merit", c.school_forms, c.residents_only), merit_pupils).filter(pl.col("operator").is_in(list(c.operators)))
    if c.price_list:
        # Seed 000 L3863–3871: the socioeconomic money goes to own schools and to independent
        # schools on programmes outside the common price list; schools on that list get the
        # strukturtillägg instead. Own schools are never on the common list.
        listed = (pl.col("operator") != "municipal") & pl.col("programme").is_in(list(ctx.model.common_price_list))
        pupils = pupils.filter(~listed if c.price_list == "exclude" else listed)
    weight: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for band in reversed(c.merit_bands):
        weight = pl.when(pl.col("merit_value_year9") < float(band.below)).then(pl.lit(int(band.weight * 1000))).otherwise(weight)
    weight = pl.when(pl.col("merit_value_year9").is_null()).then(pl.lit(int(c.merit_bands[0].weight * 1000))).otherwise(weight)
    per_school = (
        pupils.with_columns(weight.cast(pl.Int64).alias("w"))
        .group_by("school_unit_code")
        .agg(pl.len().alias("n"), pl.col("w").sum())
        .filter(pl.col("w") > 0)
        .sort("school_unit_code")
    )
    if per_school.height == 0:
        raise AllocationError(f"{c.file}, komponent {c.id!r}: inga elever med vikt att fördela potten på")
    per_school = per_school.with_columns(_sorted_apportion(c.amount_ore, per_school, "w").alias("amount_ore"))
    total_w = int(per_school["w"].sum())
    rate = round(c.amount_ore * 1000 / total_w)
    lines = per_school.select(
        "school_unit_code",
        pl.lit(c.id).alias("component"),
        pl.lit("pot").alias("line"),
        (pl.col("w") / 1000).alias("quantity"),
        pl.lit(rate, dtype=pl.Int64).alias("rate_ore"),
        "amount_ore",
        pl.concat_str([pl.col("n").cast(pl.String), pl.lit(" elever, meritvärdesviktade till {q} × {r}")]).alias("template"),
    )
    pot = PotCheck(c.id, c.label, c.amount_ore, int(lines["amount_ore"].sum()), "pot", c.id)
    return Output(_lines(lines), (pot,))


def _budget_check(c: Component, lines: pl.DataFrame) -> tuple[PotCheck, ...]:
    if c.budget_ore is None:
        return ()
    paid = int(lines["amount_ore"].sum()) if lines.height else 0
    if c.kind == "fixed_grant":
        return (PotCheck(c.id, c.label, c.budget_ore, paid, "fixed_grant", c.id, "budget för fasta bidrag till namngivna skolor"),)
    return (PotCheck(c.id, c.label, c.budget_ore, paid, "budget", c.id, "budget; utbetalas per elev eller beslut"),)


REGISTRY: dict[str, Compute] = {
    "per_pupil": per_pupil,
    "share_of": share_of,
    "index_pot": index_pot,
    "pupil_pot": pupil_pot,
    "per_flagged_pupil": per_flagged_pupil,
    "individual": individual,
    "composite": composite,
    "pooled_premium": pooled_premium,
    "fixed_grant": fixed_grant,
    "charge": charge,
    "merit_pot": merit_pot,
}
