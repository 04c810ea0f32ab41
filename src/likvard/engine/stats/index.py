"""The socioeconomic index (rules-2024.md §5, L3739–3766), SCB style.

A logistic regression of *not* being eligible for upper-secondary vocational programmes on the
pupil's background is fitted on reference cohorts (grade-9 pupils of the last N years with
known outcomes). Each pupil's predicted risk is averaged per school; the school's index is that
mean over the municipality's pupil mean, × 100. Everything the model learned on the reference
cohorts — coefficients, category coding, centring, the areas' and schools' background shares —
is stored in the frozen ``IndexModel`` and re-applied unchanged to any year, so an index for
2024 and one recomputed for 2022 rest on the same weights. ``IndexModel.to_dict()`` writes all of
it as plain JSON types and ``IndexModel.from_dict`` reads it back, so a run can store the model it
used and a later run re-apply it (``apply_index_model``) to the bit.

The home municipality (whose resident pupils form the cohorts) is a parameter, never a
constant: a controller in Göteborg passes "1480". See docs/methods/index.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from likvard.engine.stats.design import INTERCEPT, FloatArray
from likvard.engine.stats.errors import StatsInputError
from likvard.engine.stats.logistic import (
    LogisticFit,
    as_bool,
    as_float,
    as_int,
    as_list,
    as_str,
    as_strs,
    fit_logistic,
    take,
)

MIN_PUPILS = 10
#: Fewest grade-9 reference pupils (with outcomes) the logistic model is fitted on.
MIN_COHORT = 50
#: Version of the ``IndexModel.to_dict`` format; ``from_dict`` refuses any other.
INDEX_MODEL_VERSION = 1
#: The index and its moving average are rounded to this many decimals. Why: Polars' parallel
#: aggregations may add the same risks in a different order from one process to the next, so
#: the last bits of an unrounded index vary between runs; the allocation must not (money is
#: apportioned by these weights, and a run must be reproducible to the öre and the byte).
INDEX_DECIMALS = 6
#: "Arrived recently": immigrated fewer than this many years before the register year.
RECENT_YEARS = 4

BACKGROUND = (
    "arrival_year",
    "guardian_education",
    "economic_assistance",
    "single_guardian",
    "guardian_income_decile",
    "residential_area",
)


#: Every feature ``IndexEncoding.raw_features`` knows how to build.
KNOWN_FEATURES = (
    "born_abroad",
    "arrived_recently",
    "education_compulsory",
    "education_upper_secondary",
    "education_unknown",
    "economic_assistance",
    "single_guardian",
    "income_decile",
    "residential_environment",
    "school_environment",
    "female",
)


def _disadvantaged() -> pl.Expr:
    """Low education (pre-upper-secondary) or low income (decile 1–3) in the home.

    The one background marker whose share describes an area or a school; nulls count as not
    disadvantaged, so a missing value never raises a share.
    """
    return (
        (pl.col("guardian_education") == 0).fill_null(False)
        | (pl.col("guardian_income_decile") <= 3).fill_null(False)
    ).cast(pl.Float64)


@dataclass(frozen=True)
class IndexEncoding:
    """How raw background columns become model features; learned on the reference cohorts."""

    features: tuple[str, ...]
    means: tuple[float, ...]  # centring of each feature (reference-cohort means)
    area_shares: tuple[tuple[str, float], ...]
    school_shares: tuple[tuple[str, float], ...]
    default_share: float  # the municipality's share, for unknown or small areas/schools
    education_unknown: bool  # whether the reference cohort had missing education
    include_gender: bool
    recent_years: int = RECENT_YEARS

    def raw_features(self, pupils: pl.DataFrame) -> pl.DataFrame:
        """Uncentred features, one column per entry of ``features`` (columnar, no loops)."""
        missing = [c for c in (*BACKGROUND, "year", "school_unit_code") if c not in pupils.columns]
        if missing:
            raise StatsInputError(f"pupil table lacks column(s): {', '.join(missing)}")
        areas = pl.DataFrame(
            {
                "residential_area": [a for a, _ in self.area_shares],
                "residential_share": [s for _, s in self.area_shares],
            },
            schema={"residential_area": pl.String, "residential_share": pl.Float64},
        )
        schools = pl.DataFrame(
            {
                "school_unit_code": [a for a, _ in self.school_shares],
                "school_share": [s for _, s in self.school_shares],
            },
            schema={"school_unit_code": pl.String, "school_share": pl.Float64},
        )
        base = pupils.select(
            *BACKGROUND,
            "year",
            "school_unit_code",
            *(["gender"] if self.include_gender else []),
        ).with_columns(
            pl.col("residential_area").cast(pl.String), pl.col("school_unit_code").cast(pl.String)
        )
        base = base.join(areas, on="residential_area", how="left", maintain_order="left").join(
            schools, on="school_unit_code", how="left", maintain_order="left"
        )
        edu = pl.col("guardian_education")
        arrived = pl.col("arrival_year")
        cols: dict[str, pl.Expr] = {
            "born_abroad": arrived.is_not_null().cast(pl.Float64),
            "arrived_recently": ((pl.col("year") - arrived) < self.recent_years)
            .fill_null(False)
            .cast(pl.Float64),
            "education_compulsory": (edu == 0).fill_null(False).cast(pl.Float64),
            "education_upper_secondary": (edu == 1).fill_null(False).cast(pl.Float64),
            "education_unknown": edu.is_null().cast(pl.Float64),
            "economic_assistance": pl.col("economic_assistance").fill_null(False).cast(pl.Float64),
            "single_guardian": pl.col("single_guardian").fill_null(False).cast(pl.Float64),
            "income_decile": pl.col("guardian_income_decile").cast(pl.Float64),
            "residential_environment": pl.col("residential_share").fill_null(self.default_share),
            "school_environment": pl.col("school_share").fill_null(self.default_share),
        }
        if self.include_gender:
            cols["female"] = (pl.col("gender") == "female").fill_null(False).cast(pl.Float64)
        out = base.select(**{f: cols[f] for f in self.features})
        # A missing income decile is put at the reference mean: it then adds nothing.
        if "income_decile" in self.features:
            i = self.features.index("income_decile")
            out = out.with_columns(pl.col("income_decile").fill_null(self.means[i]))
        return out

    def design(self, pupils: pl.DataFrame) -> FloatArray:
        """Centred features with the intercept first, as the coefficients expect."""
        raw = self.raw_features(pupils).to_numpy().astype(np.float64)
        centred = raw - np.asarray(self.means)
        return np.column_stack([np.ones(raw.shape[0]), centred])

    def to_dict(self) -> dict[str, object]:
        """The encoding as plain JSON types (shares as ``{code: share}`` in sorted order)."""
        return {
            "features": list(self.features),
            "means": [float(v) for v in self.means],
            "area_shares": {a: float(v) for a, v in self.area_shares},
            "school_shares": {c: float(v) for c, v in self.school_shares},
            "default_share": float(self.default_share),
            "education_unknown": bool(self.education_unknown),
            "include_gender": bool(self.include_gender),
            "recent_years": int(self.recent_years),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object], *, where: str = "encoding") -> IndexEncoding:
        """Rebuild an encoding written by ``to_dict``; a missing or wrong key is named."""
        features = take(d, "features", where, as_strs)
        unknown = [f for f in features if f not in KNOWN_FEATURES]
        if unknown:
            raise StatsInputError(
                f"stored model: {where}.features has unknown feature(s) {', '.join(unknown)}",
                column=f"{where}.features",
            )
        means = take(d, "means", where, lambda v: tuple(as_float(x) for x in as_list(v)))
        if len(means) != len(features):
            raise StatsInputError(
                f"stored model: {where}.means must have one entry per feature ({len(features)})",
                column=f"{where}.means",
            )
        return cls(
            features=features,
            means=means,
            area_shares=take(d, "area_shares", where, _as_shares),
            school_shares=take(d, "school_shares", where, _as_shares),
            default_share=take(d, "default_share", where, as_float),
            education_unknown=take(d, "education_unknown", where, as_bool),
            include_gender=take(d, "include_gender", where, as_bool),
            recent_years=take(d, "recent_years", where, as_int),
        )


def _as_shares(v: object) -> tuple[tuple[str, float], ...]:
    if not isinstance(v, Mapping):
        raise TypeError(f"must be an object of code: share, not {type(v).__name__}")
    return tuple((as_str(k), as_float(x)) for k, x in v.items())


def _shares(frame: pl.DataFrame, key: str) -> tuple[tuple[str, float], ...]:
    """Share of disadvantaged pupils per key, for keys with at least MIN_PUPILS pupils."""
    agg = (
        frame.filter(pl.col(key).is_not_null())
        .group_by(key)
        .agg(pl.len().alias("n"), _disadvantaged().mean().alias("share"))
        .filter(pl.col("n") >= MIN_PUPILS)
        .sort(key)
    )
    return tuple(zip(agg[key].cast(pl.String).to_list(), agg["share"].to_list(), strict=True))


@dataclass(frozen=True)
class IndexModel:
    """A fitted index model: the encoding plus the logistic fit, both frozen.

    ``home_municipality`` is the code whose resident pupils the model was fitted on; it is
    re-applied with the model (``school_index`` indexes that municipality's residents).
    """

    encoding: IndexEncoding
    fit: LogisticFit
    reference_years: tuple[int, ...]
    home_municipality: str

    def to_dict(self) -> dict[str, object]:
        """What the model learned, as plain JSON types, to be stored with a run.

        Top-level keys: ``version``, ``home_municipality``, ``reference_years``, ``encoding``
        (``IndexEncoding.to_dict``) and ``fit`` (``LogisticFit.to_dict``). ``from_dict`` of
        ``json.loads(json.dumps(d))`` gives a model whose index is equal to the bit.
        """
        return {
            "version": INDEX_MODEL_VERSION,
            "home_municipality": self.home_municipality,
            "reference_years": [int(y) for y in self.reference_years],
            "encoding": self.encoding.to_dict(),
            "fit": self.fit.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> IndexModel:
        """Rebuild a stored model; an unknown version or a missing key is a StatsInputError."""
        version = take(d, "version", "", as_int)
        if version != INDEX_MODEL_VERSION:
            raise StatsInputError(
                f"stored model: index model format version {version} is not known "
                f"(this Likvärd reads version {INDEX_MODEL_VERSION})",
                column="version",
            )
        encoding = IndexEncoding.from_dict(take(d, "encoding", "", _as_mapping))
        fit = LogisticFit.from_dict(take(d, "fit", "", _as_mapping))
        if fit.names != (INTERCEPT, *encoding.features):
            raise StatsInputError(
                "stored model: fit.names must be the intercept followed by encoding.features",
                column="fit.names",
            )
        years = take(d, "reference_years", "", lambda v: tuple(as_int(y) for y in as_list(v)))
        return cls(
            encoding=encoding,
            fit=fit,
            reference_years=years,
            home_municipality=take(d, "home_municipality", "", as_str),
        )

    def predict_risk(self, pupils: pl.DataFrame) -> FloatArray:
        """Each pupil's predicted risk of not being eligible, with the stored encoding."""
        return self.fit.predict(self.encoding.design(pupils))

    def summary(self) -> str:
        years = ", ".join(str(y) for y in self.reference_years)
        return (
            f"Socioeconomic index model, reference cohorts {years} "
            f"(grade 9, resident in {self.home_municipality}); outcome: NOT eligible for "
            "vocational programmes\n" + self.fit.summary()
        )


def reference_years(pupils: pl.DataFrame, year: int, n_years: int = 3) -> tuple[int, ...]:
    """The last ``n_years`` years up to ``year`` in which grade-9 outcomes are known."""
    known = (
        pupils.filter(
            (pl.col("grade") == "9")
            & (pl.col("year") <= year)
            & pl.col("eligible_vocational").is_not_null()
        )
        .get_column("year")
        .unique()
        .sort(descending=True)
        .to_list()
    )
    if not known:
        raise StatsInputError(f"no grade-9 outcomes (eligible_vocational) up to {year}")
    return tuple(sorted(int(y) for y in known[:n_years]))


def _as_mapping(v: object) -> Mapping[str, object]:
    if not isinstance(v, Mapping):
        raise TypeError(f"must be an object, not {type(v).__name__}")
    return v


def _residents(pupils: pl.DataFrame, home: str) -> pl.DataFrame:
    return pupils.filter((pl.col("home_municipality") == home) & (pl.col("school_form") == "gr"))


def _grade9_by_home(pupils: pl.DataFrame, years: Sequence[int]) -> pl.DataFrame:
    """Grade-9 pupils in grundskola with outcomes in ``years`` per home municipality, most first.

    Ties are broken by the smaller code, so the choice never depends on row order.
    """
    if "home_municipality" not in pupils.columns:
        raise StatsInputError("pupil table lacks column: home_municipality", column="home_municipality")
    return (
        pupils.filter(
            (pl.col("grade") == "9")
            & (pl.col("school_form") == "gr")
            & pl.col("year").is_in([int(y) for y in years])
            & pl.col("eligible_vocational").is_not_null()
            & pl.col("home_municipality").is_not_null()
        )
        .group_by(pl.col("home_municipality").cast(pl.String))
        .agg(pl.len().alias("pupils"))
        .sort(["pupils", "home_municipality"], descending=[True, False])
    )


def modal_home_municipality(pupils: pl.DataFrame, years: Sequence[int]) -> str:
    """The municipality where most grade-9 pupils (with outcomes) of ``years`` live.

    Why a fallback at all: callers that do not yet pass the model's municipality keep working.
    A register holds the municipality's own pupils and a few from its neighbours (attending its
    schools), so the most common home is the municipality itself.
    """
    counts = _grade9_by_home(pupils, years)
    if counts.height == 0:
        raise StatsInputError(
            f"no grade-9 pupils with outcomes and a home municipality in {list(years)}",
            column="home_municipality",
        )
    return str(counts.item(0, "home_municipality"))


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _too_few(pupils: pl.DataFrame, years: Sequence[int], home: str, found: int) -> StatsInputError:
    """The error for a thin cohort: which code was used and where the pupils actually live."""
    counts = _grade9_by_home(pupils, years).filter(pl.col("home_municipality") != home)
    text = f"only {found} grade-9 pupils resident in {home} with outcomes in {list(years)}"
    if counts.height == 0:
        return StatsInputError(f"{text}; too few to fit (at least {MIN_COHORT} are needed)", column="home_municipality")
    other = str(counts.item(0, "home_municipality"))
    n_other = int(counts.item(0, "pupils"))
    if n_other > found:
        return StatsInputError(
            f"{text}; the register's grade-9 pupils live mostly in {other} ({_thousands(n_other)}) "
            f"— give that municipality (--municipality {other})",
            column="home_municipality",
        )
    return StatsInputError(
        f"{text}; too few to fit (at least {MIN_COHORT} are needed; the most common other home "
        f"municipality is {other} with {_thousands(n_other)})",
        column="home_municipality",
    )


def learn_encoding(
    pupils: pl.DataFrame,
    years: Sequence[int],
    *,
    include_gender: bool = False,
    home_municipality: str | None = None,
) -> tuple[IndexEncoding, pl.DataFrame]:
    """Learn the encoding on the reference years; also return the grade-9 reference cohort.

    Area and school shares are computed on all resident pupils (every grade) of the reference
    years, which makes them steadier than grade 9 alone; areas/schools with fewer than 10 such
    pupils get the municipality's share. Centring means come from the grade-9 cohort.
    ``home_municipality`` None means ``modal_home_municipality(pupils, years)``.
    """
    home = home_municipality if home_municipality is not None else modal_home_municipality(pupils, years)
    ref_all = _residents(pupils, home).filter(pl.col("year").is_in(list(years)))
    cohort = ref_all.filter((pl.col("grade") == "9") & pl.col("eligible_vocational").is_not_null())
    if cohort.height < MIN_COHORT:
        raise _too_few(pupils, years, home, cohort.height)
    default = float(ref_all.select(_disadvantaged().mean()).item())
    features = [
        "born_abroad",
        "arrived_recently",
        "education_compulsory",
        "education_upper_secondary",
    ]
    edu_unknown = bool(cohort.get_column("guardian_education").null_count() > 0)
    if edu_unknown:
        features.append("education_unknown")
    features += [
        "economic_assistance",
        "single_guardian",
        "income_decile",
        "residential_environment",
        "school_environment",
    ]
    if include_gender:
        features.append("female")
    decile = cohort.get_column("guardian_income_decile").cast(pl.Float64).drop_nulls()
    decile_mean = float(decile.mean()) if decile.len() else 5.5  # type: ignore[arg-type]
    provisional = IndexEncoding(
        features=tuple(features),
        # Only the decile's entry matters here: it is what a missing decile is filled with.
        means=tuple(decile_mean if f == "income_decile" else 0.0 for f in features),
        area_shares=_shares(ref_all, "residential_area"),
        school_shares=_shares(ref_all, "school_unit_code"),
        default_share=default,
        education_unknown=edu_unknown,
        include_gender=include_gender,
    )
    means = tuple(float(v) for v in provisional.raw_features(cohort).mean().row(0))
    encoding = IndexEncoding(
        features=provisional.features,
        means=means,
        area_shares=provisional.area_shares,
        school_shares=provisional.school_shares,
        default_share=default,
        education_unknown=edu_unknown,
        include_gender=include_gender,
    )
    return encoding, cohort


def fit_index_model(
    pupils: pl.DataFrame,
    year: int,
    *,
    n_reference_years: int = 3,
    include_gender: bool = False,
    home_municipality: str | None = None,
) -> IndexModel:
    """Fit the index on the reference cohorts for ``year`` (grade 9, resident pupils).

    ``home_municipality`` is the code whose residents form the cohorts (the allocation model's
    ``municipality``); callers should pass it. None means the municipality where most grade-9
    pupils (with outcomes) of the reference years live (``modal_home_municipality``), kept for
    callers that do not pass it yet. The model records the code it was fitted on.
    """
    years = reference_years(pupils, year, n_reference_years)
    home = home_municipality if home_municipality is not None else modal_home_municipality(pupils, years)
    encoding, cohort = learn_encoding(
        pupils, years, include_gender=include_gender, home_municipality=home
    )
    X = encoding.design(cohort)
    y = (~cohort.get_column("eligible_vocational")).cast(pl.Float64).to_numpy()
    fit = fit_logistic(y, X, [INTERCEPT, *encoding.features])
    return IndexModel(
        encoding=encoding,
        fit=fit,
        reference_years=years,
        home_municipality=home,
    )


def school_index(
    model: IndexModel,
    pupils: pl.DataFrame,
    years: Sequence[int],
) -> pl.DataFrame:
    """Index per school and year, its 3-year moving average and its quartile.

    index = mean predicted risk of the school's resident pupils / mean over all resident pupils
    of the municipality that year × 100; only schools with ≥ 10 resident pupils get a row.
    moving_average = mean of the indices the school has among the year and the two before
    (years the school lacks are skipped, not counted as zero). quartile: per year, on the
    moving average, cut at the schools' quartiles (each school counts once; 4 = highest).
    Both figures are rounded to ``INDEX_DECIMALS`` so that every run gives the same bytes.
    """
    wanted = sorted(set(int(y) for y in years) | {int(y) - k for y in years for k in (1, 2)})
    res = _residents(pupils, model.home_municipality).filter(pl.col("year").is_in(wanted))
    if res.height == 0:
        raise StatsInputError(
            f"no pupils in grundskola resident in {model.home_municipality} (the index model's "
            f"home municipality) in {', '.join(map(str, years))}",
            column="home_municipality",
        )
    res = res.with_columns(pl.Series("risk", model.predict_risk(res)))
    per_year = (
        res.group_by("school_unit_code", "year")
        .agg(pl.len().alias("pupils"), pl.col("risk").mean().alias("risk"))
        .join(
            res.group_by("year").agg(pl.col("risk").mean().alias("municipal")),
            on="year",
        )
        .filter(pl.col("pupils") >= MIN_PUPILS)
        .with_columns((pl.col("risk") / pl.col("municipal") * 100.0).round(INDEX_DECIMALS).alias("index"))
        .sort("school_unit_code", "year")
    )
    lagged = [
        per_year.select(
            "school_unit_code", (pl.col("year") + k).alias("year"), pl.col("index").alias("lag")
        )
        for k in (0, 1, 2)
    ]
    moving = (
        pl.concat(lagged)
        .group_by("school_unit_code", "year")
        .agg(pl.col("lag").sort().mean().round(INDEX_DECIMALS).alias("moving_average"))
    )
    out = (
        per_year.filter(pl.col("year").is_in([int(y) for y in years]))
        .join(moving, on=["school_unit_code", "year"], how="left")
        .select(
            pl.col("school_unit_code").cast(pl.String),
            pl.col("year").cast(pl.Int32),
            pl.col("index").cast(pl.Float64),
            pl.col("pupils").cast(pl.Int32),
            pl.col("moving_average").cast(pl.Float64),
        )
    )
    return _with_quartiles(out).sort("year", "school_unit_code")


def apply_index_model(model: IndexModel, pupils: pl.DataFrame, years: Sequence[int]) -> pl.DataFrame:
    """Re-apply a stored (or just fitted) model unchanged to ``years``: ``school_index``.

    The public name for a run that indexes new years with the model stored with an earlier
    one (``IndexModel.from_dict``); nothing is refitted, the home municipality is the model's.
    """
    return school_index(model, pupils, years)


def _with_quartiles(frame: pl.DataFrame) -> pl.DataFrame:
    q = [0.25, 0.5, 0.75]
    cuts = frame.group_by("year").agg(
        *[pl.col("moving_average").quantile(v, interpolation="linear").alias(f"q{i}")
          for i, v in enumerate(q)]
    )
    return (
        frame.join(cuts, on="year")
        .with_columns(
            (
                1
                + (pl.col("moving_average") > pl.col("q0")).cast(pl.Int8)
                + (pl.col("moving_average") > pl.col("q1")).cast(pl.Int8)
                + (pl.col("moving_average") > pl.col("q2")).cast(pl.Int8)
            ).alias("quartile")
        )
        .drop("q0", "q1", "q2")
    )


@dataclass(frozen=True)
class IndexResult:
    """The model fitted for a year and the index frame (INDEX_SCHEMA + moving_average, quartile)."""

    year: int
    model: IndexModel
    table: pl.DataFrame

    def summary(self) -> str:
        t = self.table.filter(pl.col("year") == self.year)
        lo = float(t["index"].min()) if t.height else float("nan")  # type: ignore[arg-type]
        hi = float(t["index"].max()) if t.height else float("nan")  # type: ignore[arg-type]
        return (
            f"{self.model.summary()}\n\nIndex {self.year}: {t.height} schools with ≥ "
            f"{MIN_PUPILS} resident pupils; index range {lo:.1f}–{hi:.1f}; quartile-4 schools: {(t['quartile'] == 4).sum()}"
        )


def compute_index(
    pupils: pl.DataFrame,
    year: int,
    *,
    n_reference_years: int = 3,
    include_gender: bool = False,
    home_municipality: str | None = None,
) -> IndexResult:
    """Fit on the reference cohorts for ``year`` and compute that year's index table.

    ``home_municipality``: as in ``fit_index_model`` (None = the modal home of the reference
    years' grade-9 pupils; pass the model's municipality).
    """
    model = fit_index_model(
        pupils,
        year,
        n_reference_years=n_reference_years,
        include_gender=include_gender,
        home_municipality=home_municipality,
    )
    return IndexResult(year=year, model=model, table=school_index(model, pupils, [year]))
