"""Effect of a support intervention on school results: stacked difference-in-differences.

See docs/methods/effects.md. In short: for each school that took part we build one *stack*,
the school and its comparison schools (never supported) over the panel's years, "pre" being the
years before the school's start and "post" its start year and after. The stacks are fitted
together with school×stack and year×stack fixed effects and **one** treatment coefficient.

Why stacks and not a plain two-way fixed-effects regression on the whole panel: with staggered
starts, plain TWFE also compares late starters with early starters that are already supported,
so a change in the early starters' effect enters with a negative weight and the coefficient can
even take the wrong sign (Goodman-Bacon 2021). In a stack a supported school is only ever
compared with schools that are never supported, over the same calendar years; the coefficient
is a weighted mean of these clean 2×2-style contrasts.

Why our own least squares: a few hundred schools and at most ten years fit in milliseconds with
NumPy, and the engine must not depend on statsmodels (it is the yardstick in the tests, to
1e-8). The school×stack effects are removed by (weighted) demeaning, the year×stack effects as
explicit dummies — exact by Frisch–Waugh–Lovell, so coefficient, residuals and the clustered
sandwich are those of the regression with every dummy written out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from likvard.engine.stats.design import FloatArray, IntArray, require_columns
from likvard.engine.stats.errors import StatsInputError

Comparison = Literal["matched", "all"]
BoolArray = npt.NDArray[np.bool_]

COLUMNS = ("school_unit_code", "year", "outcome", "pupils", "index")
TREATMENT_COLUMNS = ("school_unit_code", "start_year")

# Caveat thresholds (docs/methods/effects.md, "Caveats"). Module constants so that the method
# note, the tests and the interface quote one number.
#: Below this many supported schools the interval is too short: coverage of the 95 % interval
#: 90 % with 3, 92–93 % with 5–7, 94 % with 10 and 96 % with 15–20 (1 000 simulated panels
#: each, MC SE ≈ 0.8 percentage points; docs/methods/effects.md, "Few schools").
MIN_TREATED = 10
#: Below this many the estimate is *very* uncertain (the interval may miss by far more).
VERY_FEW_TREATED = 5
MIN_COMPARISON = 10
PRE_TREND_ALPHA = 0.10
MAX_STD_DIFF = 0.25

CAVEAT_CODES = (
    "few_treated",
    "single_treated",
    "short_pre_period",
    "pre_trend",
    "pre_trend_not_checked",
    "poor_balance",
    "few_comparison",
    "interval_includes_zero",
    "treated_not_in_panel",
    "treated_without_post",
)

_BALANCE_LABELS = {"index": "socioekonomiskt index", "pre_outcome": "resultat före insatsen"}
_BALANCE_LABELS_EN = {"index": "socioeconomic index", "pre_outcome": "results before the intervention"}


@dataclass(frozen=True)
class EffectEstimate:
    """The estimated effect, its interval, the checks behind it and the caveats to print.

    ``estimate`` is in the outcome's unit (merit points, share, …) per school-year after the
    start; ``lower``/``upper`` the ``level`` interval from the t distribution with ``df``
    = G − 1 degrees of freedom (G schools, the clusters). ``pre_trend`` is the supported schools'
    extra change per year before their start (outcome units per year) and ``pre_trend_p`` its
    two-sided p-value; both None when no supported school has two pre-years with results (the
    p-value also with a single supported school).
    ``balance`` holds standardised differences (supported minus comparison, in pooled standard
    deviations) under the keys ``index`` and ``pre_outcome`` (a key is absent when it cannot be
    computed). ``caveats`` are Swedish sentences for the reader, ``caveat_codes`` the same in
    the same order as stable codes (``CAVEAT_CODES``). With a single supported school ``se``,
    ``lower`` and ``upper`` are NaN (None in ``to_dict``): a clustered SE cannot be had then.
    ``matches`` maps every supported school to its comparison schools, so that a reader can see
    who the school was compared with.
    """

    estimate: float
    se: float
    lower: float
    upper: float
    level: float
    treated_schools: int
    comparison_schools: int
    pre_trend: float | None
    pre_trend_p: float | None
    balance: dict[str, float]
    caveats: tuple[str, ...]
    caveat_codes: tuple[str, ...]
    weighted: bool
    method: str
    df: int = 0
    pre_trend_se: float | None = None
    matches: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``caveats`` in English, in the same order (the web and the CLI show the reader's language).
    caveats_en: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Plain JSON types (floats, ints, strings, lists, None), for storage and the web."""
        def num(v: float) -> float | None:
            return float(v) if math.isfinite(v) else None

        return {
            "estimate": float(self.estimate),
            "se": num(self.se),
            "lower": num(self.lower),
            "upper": num(self.upper),
            "level": float(self.level),
            "df": int(self.df),
            "treated_schools": int(self.treated_schools),
            "comparison_schools": int(self.comparison_schools),
            "pre_trend": None if self.pre_trend is None else float(self.pre_trend),
            "pre_trend_se": None if self.pre_trend_se is None else float(self.pre_trend_se),
            "pre_trend_p": None if self.pre_trend_p is None else float(self.pre_trend_p),
            "balance": {k: float(v) for k, v in self.balance.items()},
            "caveats": list(self.caveats),
            "caveat_codes": list(self.caveat_codes),
            "caveats_en": list(self.caveats_en),
            "weighted": bool(self.weighted),
            "method": self.method,
            "matches": {k: list(v) for k, v in self.matches.items()},
        }

    def summary(self) -> str:
        """A few readable lines for the CLI and logs (the caveats in Swedish, as shown)."""
        interval = (
            f"(SE {self.se:.4g}), {self.level:.0%} interval {self.lower:.4g} to "
            f"{self.upper:.4g}, t with {self.df} df"
            if math.isfinite(self.se)
            else "(no SE or interval: one supported school)"
        )
        lines = [
            f"Effect {self.estimate:.4g} {interval}",
            f"{self.treated_schools} supported and {self.comparison_schools} comparison schools; "
            f"{'weighted by pupils' if self.weighted else 'unweighted'}",
        ]
        if self.pre_trend is not None and self.pre_trend_p is not None:
            lines.append(f"pre-trend {self.pre_trend:.4g} per year (p = {self.pre_trend_p:.3f})")
        if self.balance:
            lines.append(
                "balance (std. diff.): "
                + ", ".join(f"{k} {v:+.2f}" for k, v in self.balance.items())
            )
        lines.append(self.method)
        lines.extend(f"- {c}" for c in self.caveats)
        return "\n".join(lines)


@dataclass(frozen=True)
class _Grid:
    """The panel as dense school × year arrays (NaN = no value); small by construction."""

    labels: list[str]
    years: IntArray
    y: FloatArray
    w: FloatArray  # ones when unweighted
    index: FloatArray
    weighted: bool
    weight_note: str


@dataclass(frozen=True)
class _Stack:
    treated: int
    start: int
    comps: IntArray


@dataclass(frozen=True)
class _Fit:
    beta: float
    se: float
    df: int
    clusters: int


def _fmt_sv(x: float) -> str:
    """Two significant digits, decimal comma: 1,2 / 0,023 / 12 (how the sentences show it)."""
    a = abs(x)
    if a == 0 or not math.isfinite(a):
        return "0"
    digits = max(0, 1 - math.floor(math.log10(a)))
    return f"{round(a, digits):.{digits}f}".replace(".", ",")


def _numeric(panel: pl.DataFrame, name: str) -> FloatArray:
    """A numeric column as float64 with NaN for null; text is refused, not guessed."""
    s = panel.get_column(name)
    if not (s.dtype.is_numeric() or s.dtype == pl.Null):
        raise StatsInputError(
            f"column {name!r} is not numeric (type {s.dtype}); encode it as numbers first",
            column=name,
        )
    out = s.cast(pl.Float64).fill_null(float("nan")).to_numpy().astype(np.float64, copy=True)
    bad = np.flatnonzero(np.isinf(out))
    if bad.size:
        raise StatsInputError(
            f"column {name!r} holds an infinite value in row {int(bad[0])} (0-based)",
            column=name,
            rows=tuple(int(r) for r in bad[:5]),
        )
    return out


def _grid(panel: pl.DataFrame) -> _Grid:
    require_columns(panel, COLUMNS)
    for name in ("school_unit_code", "year"):
        nulls = panel.get_column(name).is_null().arg_true().to_list()
        if nulls:
            raise StatsInputError(
                f"column {name!r} has missing values in row(s) {nulls[:5]} (0-based)",
                column=name,
                rows=tuple(nulls[:5]),
            )
    year_col = panel.get_column("year")
    if not year_col.dtype.is_integer():
        raise StatsInputError(f"column 'year' must hold whole years, not {year_col.dtype}", column="year")
    codes = panel.get_column("school_unit_code").cast(pl.String).to_numpy()
    labels_arr, s_idx = np.unique(codes, return_inverse=True)
    years, t_idx = np.unique(year_col.cast(pl.Int64).to_numpy(), return_inverse=True)
    n_s, n_t = labels_arr.shape[0], years.shape[0]
    cell = s_idx * n_t + t_idx
    _, first, counts = np.unique(cell, return_index=True, return_counts=True)
    if (counts > 1).any():
        row = int(first[np.flatnonzero(counts > 1)[0]])
        raise StatsInputError(
            f"school {codes[row]} has more than one row for {int(year_col[row])}; "
            "give one row per school and year",
            column="school_unit_code",
            rows=(row,),
        )
    outcome = _numeric(panel, "outcome")
    pupils = _numeric(panel, "pupils")
    index = _numeric(panel, "index")
    y = np.full((n_s, n_t), np.nan)
    y[s_idx, t_idx] = outcome
    ix = np.full((n_s, n_t), np.nan)
    ix[s_idx, t_idx] = index
    has_y = np.isfinite(outcome)
    known = has_y & np.isfinite(pupils)
    bad = np.flatnonzero(known & (pupils <= 0))
    if bad.size:
        raise StatsInputError(
            f"column 'pupils' must be positive where there is an outcome; row(s) "
            f"{bad[:5].tolist()} (0-based) hold {pupils[bad[0]]:g}",
            column="pupils",
            rows=tuple(int(r) for r in bad[:5]),
        )
    w = np.ones((n_s, n_t))
    n_missing = int((has_y & ~known).sum())
    # Weighted only when every school-year with a result has its pupils: weighting some rows
    # and not others would mix two estimands (per pupil, per school) without saying so.
    weighted = bool(known.any()) and n_missing == 0
    if weighted:
        w[s_idx[has_y], t_idx[has_y]] = pupils[has_y]
        note = "weighted by pupils"
    elif known.any():
        note = f"unweighted (pupils missing for {n_missing} school-year(s) with a result)"
    else:
        note = "unweighted (no pupil counts given)"
    return _Grid(
        labels=[str(v) for v in labels_arr.tolist()],
        years=years.astype(np.int64),
        y=y,
        w=w,
        index=ix,
        weighted=weighted,
        weight_note=note,
    )


def _treatment_mapping(treated: Mapping[str, int] | pl.DataFrame) -> dict[str, int]:
    """The treatment table as {school: start year}, refusing ambiguous or non-year starts."""
    if isinstance(treated, pl.DataFrame):
        require_columns(treated, TREATMENT_COLUMNS)
        pairs = list(
            zip(
                treated.get_column("school_unit_code").cast(pl.String).to_list(),
                treated.get_column("start_year").to_list(),
                strict=True,
            )
        )
    else:
        pairs = list(treated.items())
    out: dict[str, int] = {}
    for code, start in pairs:
        if code is None:
            raise StatsInputError("the treatment table has a school without a code", column="school_unit_code")
        if isinstance(start, bool) or not isinstance(start, int | np.integer):
            raise StatsInputError(
                f"start year of school {code} must be a whole year, not {start!r}", column="start_year"
            )
        key = str(code)
        if key in out and out[key] != int(start):
            raise StatsInputError(
                f"school {key} has two start years ({out[key]} and {int(start)}); give one",
                column="start_year",
            )
        out[key] = int(start)
    return out


def _cohort_features(grid: _Grid, start: int) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Per school: mean outcome before ``start``, mean index (pre-years, else all years),
    and the number of years with a result before and from ``start``."""
    pre = grid.years < start
    ok = np.isfinite(grid.y)
    n_pre = ok[:, pre].sum(axis=1)
    n_post = ok[:, ~pre].sum(axis=1)
    pre_mean = np.where(n_pre > 0, np.where(ok, grid.y, 0.0)[:, pre].sum(axis=1) / np.maximum(n_pre, 1), np.nan)
    ix_ok = np.isfinite(grid.index)
    ix0 = np.where(ix_ok, grid.index, 0.0)
    n_ix_pre = ix_ok[:, pre].sum(axis=1)
    n_ix_all = ix_ok.sum(axis=1)
    ix_pre = ix0[:, pre].sum(axis=1) / np.maximum(n_ix_pre, 1)
    ix_all = ix0.sum(axis=1) / np.maximum(n_ix_all, 1)
    ix = np.where(n_ix_pre > 0, ix_pre, np.where(n_ix_all > 0, ix_all, np.nan))
    return pre_mean, ix, n_pre.astype(np.int64), n_post.astype(np.int64)


def _sd(v: FloatArray) -> float:
    v = v[np.isfinite(v)]
    s = float(np.std(v, ddof=1)) if v.shape[0] > 1 else 0.0
    return s if s > 0 else 1.0


def _match(
    grid: _Grid,
    treated: list[tuple[int, int]],
    never: IntArray,
    comparison: Comparison,
    n_matches: int,
    cache: dict[int, tuple[FloatArray, FloatArray, IntArray, IntArray]],
) -> tuple[list[_Stack], int]:
    """One stack per treated school; returns the stacks and how many picks reused a school.

    Matched: nearest never-supported schools on (index, pre-period mean outcome), each
    standardised by its standard deviation among the candidates. Picks go round by round (every
    school's first match, then every school's second, …) so that no school takes all the good
    matches, hardest-to-match school first within a round; a candidate is used once while
    unused candidates remain, after that it may be reused (the clustering by school keeps the
    standard error honest about the reuse).
    """
    cands: list[IntArray] = []
    dists: list[FloatArray] = []
    for t, start in treated:
        if start not in cache:
            cache[start] = _cohort_features(grid, start)
        pre_mean, ix, n_pre, n_post = cache[start]
        if comparison == "all":
            pool = never[(n_pre[never] + n_post[never]) > 0]
            cands.append(pool)
            dists.append(np.zeros(pool.shape[0]))
            continue
        pool = never[(n_pre[never] > 0) & (n_post[never] > 0)]
        use_index = bool(np.isfinite(ix[t]))
        if use_index:
            pool = pool[np.isfinite(ix[pool])]
        d2 = ((pre_mean[pool] - pre_mean[t]) / _sd(pre_mean[pool])) ** 2
        if use_index:
            d2 = d2 + ((ix[pool] - ix[t]) / _sd(ix[pool])) ** 2
        cands.append(pool)
        dists.append(np.sqrt(d2))
    if comparison == "all":
        return [_Stack(t, s, c) for (t, s), c in zip(treated, cands, strict=True)], 0

    used = np.zeros(len(grid.labels), dtype=bool)
    mine = [np.zeros(p.shape[0], dtype=bool) for p in cands]
    nearest = [float(d.min()) if d.size else math.inf for d in dists]
    order = sorted(range(len(treated)), key=lambda k: (-nearest[k], grid.labels[treated[k][0]]))
    reused = 0
    for _ in range(n_matches):
        for k in order:
            pool, d = cands[k], dists[k]
            free = ~used[pool] & ~mine[k]
            if not free.any():
                free = ~mine[k]
                if not free.any():
                    continue
                reused += 1
            j = int(np.argmin(np.where(free, d, np.inf)))
            mine[k][j] = True
            used[pool[j]] = True
    stacks = [
        _Stack(t, s, np.sort(pool[m]).astype(np.int64))
        for (t, s), pool, m in zip(treated, cands, mine, strict=True)
    ]
    return stacks, reused


@dataclass(frozen=True)
class _Rows:
    """The stacked long data: one row per (stack, school, year) with a result."""

    y: FloatArray
    w: FloatArray
    d: FloatArray  # treatment indicator
    z: FloatArray  # treated × (year − start), for the pre-trend
    pre: BoolArray
    cluster: IntArray  # school (panel position)
    unit: IntArray  # school × stack
    year: IntArray  # position of the year in the panel's years
    stack: IntArray
    treated_row: BoolArray


def _stack_rows(grid: _Grid, stacks: list[_Stack]) -> _Rows:
    parts: dict[str, list[np.ndarray]] = {k: [] for k in _Rows.__dataclass_fields__}
    offset = 0
    for k, st in enumerate(stacks):
        members = np.concatenate([[st.treated], st.comps]).astype(np.int64)
        sub = grid.y[members]
        r, c = np.nonzero(np.isfinite(sub))
        yr = grid.years[c]
        is_t = r == 0
        parts["y"].append(sub[r, c])
        parts["w"].append(grid.w[members][r, c])
        parts["d"].append((is_t & (yr >= st.start)).astype(np.float64))
        parts["z"].append(np.where(is_t, yr - st.start, 0).astype(np.float64))
        parts["pre"].append(yr < st.start)
        parts["cluster"].append(members[r])
        parts["unit"].append(offset + r)
        parts["year"].append(c.astype(np.int64))
        parts["stack"].append(np.full(r.shape[0], k, dtype=np.int64))
        parts["treated_row"].append(is_t)
        offset += members.shape[0]
    return _Rows(**{k: np.concatenate(v) for k, v in parts.items()})


def _dense(codes: IntArray) -> tuple[IntArray, int]:
    uniq, inv = np.unique(codes, return_inverse=True)
    return inv.astype(np.int64), int(uniq.shape[0])


def _fit(
    y: FloatArray,
    x: FloatArray,
    w: FloatArray,
    cluster: IntArray,
    unit: IntArray,
    stack: IntArray,
    year: IntArray,
    n_years: int,
    what: str | None,
) -> _Fit | None:
    """WLS of y on x with school×stack (``unit``) and year×stack fixed effects; CR1 standard
    error clustered by school. None when x has no variation left after the fixed effects, or
    when there are too few rows or schools and ``what`` is None (the pre-trend is then simply
    not checked); with ``what`` given that is an error naming it.

    Small-sample factor G/(G−1)·(N−1)/(N−K) with K = every parameter: x, the school×stack
    effects and the identified year×stack effects — what Stata's ``regress`` with the dummies
    written out and statsmodels' ``cov_type="cluster"`` use. Why count the school×stack effects
    although they are nested in the clusters (``xtreg, fe`` and ``reghdfe`` do not): with four
    schools per stack the year×stack effects take a quarter of every school's variation, more
    than K/N without them says; in our simulations the interval covered 93 % without them and
    95 % with them (docs/methods/effects.md).

    How: y and x are demeaned within unit (weighted), which removes the unit effects exactly.
    The year×stack effects are then solved from their normal equations, which have a closed
    form because every unit lies in one stack: for stack k, with s_u the weighted shares of
    unit u's rows per year and W_u its total weight, A'A = diag(year weights) − Σ_u W_u s_u s_u'
    and A'b = the year sums of w·b̃ (the s_u term vanishes since b̃ sums to zero in a unit).
    One small symmetric eigen-problem per stack, batched; its null space (the level already
    carried by the unit effects, and years a stack lacks) is dropped, and what remains is the
    rank counted in K. Exact Frisch–Waugh–Lovell: coefficient, residuals and sandwich are
    those of the regression with every dummy written out.
    """
    n = y.shape[0]
    unit, n_units = _dense(unit)
    cl, n_clusters = _dense(cluster)
    st, n_stacks = _dense(stack)
    sw_unit = np.bincount(unit, weights=w, minlength=n_units)
    stack_of_unit = np.zeros(n_units, dtype=np.int64)
    stack_of_unit[unit] = st

    def within(v: FloatArray) -> FloatArray:
        m = np.bincount(unit, weights=w * v, minlength=n_units) / sw_unit
        out: FloatArray = v - m[unit]
        return out

    b = np.column_stack([within(y), within(x)])  # (n, 2)
    unit_year = np.bincount(unit * n_years + year, weights=w, minlength=n_units * n_years)
    share = unit_year.reshape(n_units, n_years) / sw_unit[:, None]
    cell = st * n_years + year
    cell_w = np.bincount(cell, weights=w, minlength=n_stacks * n_years).reshape(n_stacks, n_years)
    outer = np.einsum("u,ui,uj->uij", sw_unit, share, share)
    gram = np.zeros((n_stacks, n_years, n_years))
    np.add.at(gram, stack_of_unit, outer)
    gram = -gram
    gram[:, np.arange(n_years), np.arange(n_years)] += cell_w
    rhs = np.stack(
        [np.bincount(cell, weights=w * b[:, j], minlength=n_stacks * n_years) for j in range(2)],
        axis=-1,
    ).reshape(n_stacks, n_years, 2)
    lam, vec = np.linalg.eigh(gram)
    top = np.max(np.abs(lam), axis=1, keepdims=True)
    keep = lam > 1e-10 * np.maximum(top, 1e-300)
    inv = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    coef = np.einsum("kij,kj,klj,klc->kic", vec, inv, vec, rhs)  # (stacks, years, 2)
    fitted = coef[st, year] - np.einsum("ui,uic->uc", share, coef[stack_of_unit])[unit]
    resid = b - fitted
    rank = int(keep.sum())
    ry, rx = resid[:, 0], resid[:, 1]
    sxx = float(w @ (rx * rx))
    if not sxx > 1e-10 * max(float(w @ (b[:, 1] * b[:, 1])), 1e-300):
        return None
    k = 1 + n_units + rank
    if n_clusters < 2 or n <= k:
        if what is None:
            return None
        raise StatsInputError(
            f"too few school-years ({n}) or schools ({n_clusters}) to estimate the {what}"
        )
    beta = float(w @ (rx * ry)) / sxx
    e = ry - beta * rx
    score = np.bincount(cl, weights=w * rx * e, minlength=n_clusters)
    cr0 = float(score @ score) / sxx**2
    factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    return _Fit(beta=beta, se=math.sqrt(cr0 * factor), df=n_clusters - 1, clusters=n_clusters)


def _std_diff(t: FloatArray, c: FloatArray) -> float | None:
    """(mean_t − mean_c) / √((s_t² + s_c²)/2); a group of one borrows the other's variance."""
    t, c = t[np.isfinite(t)], c[np.isfinite(c)]
    if t.size == 0 or c.size == 0:
        return None
    vt = float(np.var(t, ddof=1)) if t.size > 1 else math.nan
    vc = float(np.var(c, ddof=1)) if c.size > 1 else math.nan
    vt = vc if math.isnan(vt) else vt
    vc = vt if math.isnan(vc) else vc
    diff = float(t.mean() - c.mean())
    s = math.sqrt((vt + vc) / 2) if not math.isnan(vt) else math.nan
    if not s > 0:
        return 0.0 if diff == 0 else None
    return diff / s


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def estimate_effect(
    panel: pl.DataFrame,
    treated: Mapping[str, int] | pl.DataFrame,
    *,
    comparison: Comparison = "matched",
    n_matches: int = 3,
    level: float = 0.95,
    min_pre_years: int = 2,
) -> EffectEstimate:
    """Estimate the effect of a support intervention on ``outcome`` (docs/methods/effects.md).

    ``panel``: one row per school and year with ``school_unit_code``, ``year``, ``outcome``
    (null = hidden or missing; such school-years are left out), ``pupils`` (weights; if any
    school-year with a result lacks it, the fit is unweighted and ``method`` says so) and
    ``index``. ``treated``: {school: first year of support} or a frame with
    ``school_unit_code`` and ``start_year``. Comparison schools are the panel's schools that are
    not in ``treated``: the ``n_matches`` nearest of them per supported school (``"matched"``)
    or all of them (``"all"``).
    """
    if comparison not in ("matched", "all"):
        raise StatsInputError(f"comparison must be 'matched' or 'all', not {comparison!r}")
    if isinstance(n_matches, bool) or not isinstance(n_matches, int) or n_matches < 1:
        raise StatsInputError(f"n_matches must be a whole number ≥ 1, not {n_matches!r}")
    if not 0.0 < level < 1.0:
        raise StatsInputError(f"level must lie between 0 and 1, not {level!r}")
    if isinstance(min_pre_years, bool) or not isinstance(min_pre_years, int) or min_pre_years < 1:
        raise StatsInputError(f"min_pre_years must be a whole number ≥ 1, not {min_pre_years!r}")
    starts = _treatment_mapping(treated)
    if not starts:
        raise StatsInputError("no treated school given: the treatment table is empty")
    grid = _grid(panel)
    pos = {code: i for i, code in enumerate(grid.labels)}
    absent = sorted(code for code in starts if code not in pos)
    if len(absent) == len(starts):
        shown = ", ".join(absent[:5]) + (" …" if len(absent) > 5 else "")
        raise StatsInputError(
            f"no treated school is in the panel: none of the {len(starts)} treated school(s) "
            f"({shown}) has a row in it; check the school unit codes",
            column="school_unit_code",
        )
    present = sorted((pos[c], s) for c, s in starts.items() if c in pos)
    ok = np.isfinite(grid.y)
    kept: list[tuple[int, int]] = []
    no_post: list[str] = []
    short: list[str] = []
    for t, start in present:
        pre = grid.years < start
        n_pre = int(ok[t, pre].sum())
        if n_pre == 0:
            code = grid.labels[t]
            seen = grid.years[ok[t]]
            first = f"its first result is from {int(seen[0])}" if seen.size else "it has no result at all"
            raise StatsInputError(
                f"treated school {code} has no outcome before its start year {start} "
                f"({first}): without a pre-period its change cannot be measured",
                column="outcome",
            )
        if int(ok[t, ~pre].sum()) == 0:
            no_post.append(grid.labels[t])
            continue
        if n_pre < min_pre_years:
            short.append(grid.labels[t])
        kept.append((t, start))
    if not kept:
        raise StatsInputError(
            f"no treated school has a result from its start year on ({', '.join(no_post[:5])}): "
            "there is nothing after the start to compare"
        )
    treated_set = {pos[c] for c in starts if c in pos}
    never = np.array([i for i in range(len(grid.labels)) if i not in treated_set], dtype=np.int64)
    feats: dict[int, tuple[FloatArray, FloatArray, IntArray, IntArray]] = {}
    stacks, reused = _match(grid, kept, never, comparison, n_matches, feats)
    empty = [grid.labels[s.treated] for s in stacks if s.comps.size == 0]
    if empty:
        raise StatsInputError(
            f"no comparison school for treated school {empty[0]}: the panel has no school "
            "without support that has results both before and after its start year"
        )

    rows = _stack_rows(grid, stacks)
    n_years = int(grid.years.shape[0])
    main = _fit(
        rows.y, rows.d, rows.w, rows.cluster, rows.unit, rows.stack, rows.year, n_years, "effect"
    )
    if main is None:
        raise StatsInputError("the treatment is not identified: no treated school changes status in the data")
    from scipy import special  # only when a result is judged, as in expected.py

    # One supported school: its cluster's score is minus the sum of the others' (the normal
    # equation for D), so the clustered SE only measures the comparison schools and the interval
    # covered the truth in 78 % of simulations (0 width with one comparison school). No SE and
    # no interval is more honest than a narrow one.
    single = len(stacks) == 1
    se = math.nan if single else main.se
    q = float(special.stdtrit(main.df, 0.5 + level / 2))
    lower, upper = main.beta - q * se, main.beta + q * se

    # Pre-trend: years before each start, stacks whose treated school has ≥ 2 such results.
    n_pre_t = np.bincount(rows.stack, weights=(rows.pre & rows.treated_row).astype(np.float64), minlength=len(stacks))
    sel = rows.pre & (n_pre_t[rows.stack] >= 2)
    trend: _Fit | None = None
    if sel.any():
        trend = _fit(
            rows.y[sel], rows.z[sel], rows.w[sel], rows.cluster[sel], rows.unit[sel],
            rows.stack[sel], rows.year[sel], n_years, None,
        )
    trend_p: float | None = None
    if trend is not None and not single:
        tstat = trend.beta / trend.se if trend.se > 0 else math.inf
        trend_p = float(2.0 * special.stdtr(trend.df, -abs(tstat)))

    # Balance: each supported school against its own comparisons, over its own pre-years.
    bal_t: dict[str, list[float]] = {"index": [], "pre_outcome": []}
    bal_c: dict[str, list[FloatArray]] = {"index": [], "pre_outcome": []}
    for st in stacks:
        pre_mean, ix, _, _ = feats[st.start]
        bal_t["index"].append(float(ix[st.treated]))
        bal_t["pre_outcome"].append(float(pre_mean[st.treated]))
        bal_c["index"].append(ix[st.comps])
        bal_c["pre_outcome"].append(pre_mean[st.comps])
    balance: dict[str, float] = {}
    for key in ("index", "pre_outcome"):
        v = _std_diff(np.array(bal_t[key]), np.concatenate(bal_c[key]))
        if v is not None:
            balance[key] = v

    n_treated = len(stacks)
    comp_schools = np.unique(np.concatenate([s.comps for s in stacks]))
    n_comp = int(comp_schools.shape[0])
    codes: list[str] = []
    texts: list[str] = []

    texts_en: list[str] = []

    def caveat(code: str, text: str, english: str) -> None:
        codes.append(code)
        texts.append(text)
        texts_en.append(english)

    if n_treated < VERY_FEW_TREATED:
        caveat("few_treated", f"Få skolor deltog ({n_treated}): skattningen är mycket osäker.", f"Few schools took part ({n_treated}): the estimate is very uncertain.")
    elif n_treated < MIN_TREATED:
        caveat(
            "few_treated",
            f"Få skolor deltog ({n_treated}): skattningen är osäker, och intervallet är troligen "
            "något för smalt.",
            f"Few schools took part ({n_treated}): the estimate is uncertain, and the interval is probably somewhat too narrow.",
        )
    if single:
        caveat(
            "single_treated",
            "Bara en skola deltog. Då går det inte att beräkna hur säker skattningen är, och "
            "ingen säker effekt kan påvisas.",
            "Only one school took part. How certain the estimate is cannot then be computed, and no certain effect can be shown.",
        )
    if short:
        if n_treated == 1:
            who, them, who_en, them_en = "den deltagande skolan", "skolan", "the participating school", "the school"
        elif len(short) == n_treated:
            who, them, who_en, them_en = f"alla {n_treated} deltagande skolor", "skolorna", f"all {n_treated} participating schools", "the schools"
        else:
            who = f"{len(short)} av de {n_treated} deltagande skolorna"
            them = "skolan" if len(short) == 1 else "skolorna"
            who_en = f"{len(short)} of the {n_treated} participating schools"
            them_en = "the school" if len(short) == 1 else "the schools"
        caveat(
            "short_pre_period",
            f"För {who} finns resultat från färre än {min_pre_years} år före insatsen. "
            f"Då syns det inte hur {them} utvecklades innan, och jämförelsen blir osäkrare.",
            f"For {who_en} there are results from fewer than {min_pre_years} years before the intervention. "
            f"How {them_en} developed before cannot then be seen, and the comparison is less certain.",
        )
    if trend is not None and trend_p is not None and trend_p < PRE_TREND_ALPHA:
        size, size_en = _fmt_sv(trend.beta), _fmt_sv(trend.beta).replace(",", ".")
        if trend.beta > 0:
            how = f"steg de deltagande skolornas resultat snabbare än jämförelseskolornas (i genomsnitt {size} mer per år)"
            how_en = f"the participating schools' results rose faster than the comparison schools' ({size_en} more per year on average)"
        else:
            how = (
                "steg de deltagande skolornas resultat långsammare, eller sjönk snabbare, än "
                f"jämförelseskolornas (i genomsnitt {size} mindre per år)"
            )
            how_en = f"the participating schools' results rose more slowly, or fell faster, than the comparison schools' ({size_en} less per year on average)"
        caveat(
            "pre_trend",
            f"Redan före insatsen {how}. En del av skillnaden efteråt kan därför bero på annat "
            "än insatsen.",
            f"Already before the intervention {how_en}. Part of the difference afterwards may therefore be due to something other than the intervention.",
        )
    if trend is None:
        caveat(
            "pre_trend_not_checked",
            "Utvecklingen före insatsen gick inte att jämföra, eftersom ingen deltagande skola "
            "har resultat från minst två år före insatsen.",
            "The development before the intervention could not be compared, because no participating school has results from at least two years before it.",
        )
    poor = [k for k, v in balance.items() if abs(v) > MAX_STD_DIFF]
    if poor:
        what = " och ".join(_BALANCE_LABELS[k] for k in poor)
        what_en = " and ".join(_BALANCE_LABELS_EN[k] for k in poor)
        caveat(
            "poor_balance",
            f"Jämförelseskolorna skiljer sig från de deltagande skolorna i {what}. "
            "Jämförelsen bygger på att skolorna annars hade utvecklats på samma sätt, och det "
            "är mindre säkert när de är olika från början.",
            f"The comparison schools differ from the participating schools in {what_en}. "
            "The comparison assumes that the schools would otherwise have developed alike, which is less certain when they differ from the start.",
        )
    if n_comp < MIN_COMPARISON:
        caveat(
            "few_comparison",
            f"Bara {n_comp} {_plural(n_comp, 'skola', 'skolor')} utan insatsen fanns att "
            "jämföra med: skattningen är osäker.",
            f"Only {n_comp} {_plural(n_comp, 'school', 'schools')} without the intervention could be compared with: the estimate is uncertain.",
        )
    if not single and lower <= 0.0 <= upper:
        caveat("interval_includes_zero", "Intervallet innehåller noll: ingen säker effekt kan påvisas.", "The interval includes zero: no certain effect can be shown.")
    if absent:
        caveat(
            "treated_not_in_panel",
            f"{len(absent)} av de {len(starts)} skolor som deltog saknas i resultatunderlaget "
            "och ingår inte i skattningen.",
            f"{len(absent)} of the {len(starts)} schools that took part are missing from the results and are not in the estimate.",
        )
    if no_post:
        caveat(
            "treated_without_post",
            f"{len(no_post)} av de {len(starts)} skolor som deltog har ännu inga resultat från "
            "året då insatsen började eller senare och ingår inte i skattningen.",
            f"{len(no_post)} of the {len(starts)} schools that took part have no results yet from the year the intervention began or later and are not in the estimate.",
        )

    if comparison == "matched":
        design = (
            f"each with its {n_matches} nearest never-supported school(s) on index and "
            "pre-period mean outcome (standardised; without replacement"
            + (f", except {reused} reused pick(s)" if reused else "")
            + ")"
        )
    else:
        design = "each against all never-supported schools"
    method = (
        f"Stacked difference-in-differences: one stack per supported school ({n_treated}), "
        f"{design}; school×stack and year×stack fixed effects; {grid.weight_note}; "
        + (
            "no SE: one supported school"
            if single
            else f"SE clustered by school (CR1, {main.clusters} clusters), t interval with {main.df} df"
        )
    )
    return EffectEstimate(
        estimate=main.beta,
        se=se,
        lower=lower,
        upper=upper,
        level=level,
        treated_schools=n_treated,
        comparison_schools=n_comp,
        pre_trend=None if trend is None else trend.beta,
        pre_trend_p=trend_p,
        balance=balance,
        caveats=tuple(texts),
        caveat_codes=tuple(codes),
        caveats_en=tuple(texts_en),
        weighted=grid.weighted,
        method=method,
        df=main.df,
        pre_trend_se=None if trend is None or single else trend.se,
        matches={
            grid.labels[s.treated]: tuple(grid.labels[int(c)] for c in s.comps) for s in stacks
        },
    )
