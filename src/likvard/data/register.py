"""The documented import format (docs/formats.md): read, validate, write.

Why: a controller imports a register extract from the pupil register and a school list; a bad
row must be reported with file, row and column, the whole file is checked before anything is
used, and nothing half-read reaches the engine. Reading (encodings, delimiters, Excel, files
held in memory) is ``likvard.data.tables``; this module says what each column may hold.
Validation is columnar: every check is a Polars expression, run on a column's distinct values
where it looks at one value at a time (``_Checker``), so a national file of a million rows is
checked in about a second; only the reported problems (at most ``MAX_PROBLEMS`` per check) are
formatted in Python.

A message may show a code, number or choice it refuses (``'13' är ingen årskurs``) but never
the value of a free-text column (``TEXT_COLUMNS``), nor any value that looks like a personal
identity number: those are named by file, row and column only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from likvard.engine.allocation.inputs import (
    ATTRIBUTE_PREFIX,
    BASELINE_SCHEMA,
    DECISION_SCHEMA,
    GENDERS,
    GRADES_GR,
    GRADES_GY,
    INDEX_SCHEMA,
    LEISURE,
    OPERATORS,
    PUPIL_SCHEMA,
    RSU_GROUP_SCHEMA,
    SCHOOL_FORMS,
    SCHOOL_SCHEMA,
    SPECIAL_GROUPS,
    AllocationInput,
    conform,
    empty,
)
from likvard.money import MoneyError, parse_money

from .problems import Problem
from .tables import Source, Table, Upload, looks_like_identity_number, read_table, source_name

__all__ = [
    "FILES",
    "MAX_PROBLEMS",
    "PUPIL_ID_MAX_CHARS",
    "TEXT_COLUMNS",
    "InputError",
    "Problem",
    "Source",
    "Upload",
    "read_dir",
    "read_files",
    "read_schools",
    "read_text_table",
    "read_xlsx",
    "text_columns",
    "write_dir",
    "xlsx_to_csv",
]

MAX_PROBLEMS = 50
FILES = ("pupils.csv", "schools.csv", "school_index.csv", "decisions.csv", "rsu_groups.csv")
PUPIL_ID_MAX_CHARS = 64

#: The free-text columns of each table: any text may stand there, so the importer scans them for
#: personal identity numbers and a message never shows their values. Every other column holds
#: a code, a number or one of a few choices, checked here against its pattern.
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "pupils": ("pupil_id", "rsu_group", "programme", "residential_area"),
    "schools": ("name", "organiser", "district", "area"),
    "index": (),
    "decisions": ("pupil_id",),
    "rsu_groups": ("group_id", "area"),
    "baseline": (),
}
_TABLE_OF_FILE = {"pupils.csv": "pupils", "schools.csv": "schools", "school_index.csv": "index", "school_index": "index", "decisions.csv": "decisions", "rsu_groups.csv": "rsu_groups", "baseline.csv": "baseline"}


def text_columns(schema_name: str) -> tuple[str, ...]:
    """The free-text columns of a table, by its name (``pupils``, ``schools``, ``index``,
    ``decisions``, ``rsu_groups``) or its file's (``pupils.csv``, ``school_index.csv`` …)."""
    table = _TABLE_OF_FILE.get(schema_name, schema_name)
    if table not in TEXT_COLUMNS:
        raise KeyError(f"unknown table {schema_name!r}; known: {', '.join(TEXT_COLUMNS)}")
    return TEXT_COLUMNS[table]


class InputError(ValueError):
    """Input files that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]) + (" …" if len(problems) > 5 else ""))


# --------------------------------------------------------------------------------------------
# reading raw text (thin wrappers over likvard.data.tables, for existing callers)


def read_text_table(path: Source | str, problems: list[Problem]) -> tuple[pl.DataFrame, str] | None:
    """All columns as text with ``_row``, and the CSV delimiter ("," for a workbook)."""
    table = read_table(Path(path) if isinstance(path, str) else path, problems)
    return None if table is None else (table.frame, table.separator)


def read_xlsx(path: Source | str, problems: list[Problem]) -> pl.DataFrame | None:
    """The first sheet of an Excel workbook as text columns with ``_row`` (header in row 1)."""
    got = read_text_table(path, problems)
    return None if got is None else got[0]


def xlsx_to_csv(path: Source | str, target: Path, problems: list[Problem]) -> Path | None:
    """Write the workbook's first sheet as CSV (UTF-8, comma) for the CSV-only steps."""
    frame = read_xlsx(path, problems)
    if frame is None:
        return None
    frame.drop("_row").write_csv(target)
    return target


_HIDDEN = "värdet"


class _Checker:
    """The checks of one table, collected and then run together (``finish``).

    Why: a check is one Polars expression, and most look at one column's value only (a code's
    pattern, a choice, a number's range). Those run on the column's distinct values, a few
    hundred where the file has a million rows; the rows are looked up only for values that
    fail. Checks across rows (duplicates, a pupil missing from the register) run on the rows,
    all in one pass.
    """

    def __init__(self, table: Table, problems: list[Problem], text: tuple[str, ...]) -> None:
        self.df = table.frame
        self.file = table.name
        self.decimal_comma = table.decimal_comma
        self.problems = problems
        self.text = frozenset(text)
        self._pending: list[tuple[str, pl.Expr, Callable[[str], str], tuple[str, ...] | None]] = []

    def columns(self, required: tuple[str, ...], optional: tuple[str, ...], notices: list[Problem] | None = None, ignore_unknown: bool = False) -> bool:
        ok = True
        for c in required:
            if c not in self.df.columns:
                self.problems.append(Problem(self.file, 1, c, "kolumnen saknas"))
                ok = False
        known = set(required) | set(optional) | {"_row"}
        # ``attr_…`` columns are attributes a model may declare ([[attribute]]): kept as text,
        # checked by the model that reads them; any other unknown column is a typo until shown not to be
        unknown = [c for c in self.df.columns if c not in known and not c.startswith(ATTRIBUTE_PREFIX)]
        for c in unknown:
            if ignore_unknown:
                if notices is not None:
                    notices.append(Problem(self.file, 1, c, "okänd kolumn, ignoreras"))
            else:
                self.problems.append(Problem(self.file, 1, c, "okänd kolumn (stavfel?)"))
                ok = False
        if ignore_unknown and unknown:
            self.df = self.df.drop(unknown)
        missing = [c for c in optional if c not in self.df.columns]
        if missing:
            self.df = self.df.with_columns([pl.lit("").alias(c) for c in missing])
        return ok

    def known_school(self, column: str, schools: pl.DataFrame | None, schools_file: str, only: pl.Expr | None = None) -> None:
        """Codes in ``column`` must be in the school list (checked where ``only`` holds)."""
        if schools is None:
            return
        unknown = ~pl.col(column).is_in(schools.get_column("school_unit_code").implode())
        self.bad(column, unknown if only is None else only & unknown, lambda v: f"skolenheten {v} finns inte i {schools_file}")

    def bad(self, column: str, mask: pl.Expr, message: Callable[[str], str], *, over: tuple[str, ...] = (), rows: bool = False) -> None:
        """Report the rows where ``mask`` holds. ``message`` gets the value to show: quoted, or
        "värdet" for a free-text column or a value that looks like a personal identity number.

        ``mask`` may use ``column`` and the columns in ``over`` and is then checked on their
        distinct values; with ``rows=True`` it is checked row by row (duplicates, lookups).
        """
        self._pending.append((column, mask, message, None if rows else (column, *over)))

    def finish(self) -> None:
        """Run the collected checks and append their problems, in the order they were added."""
        if not self._pending:
            return
        keyed = {keys for _, _, _, keys in self._pending if keys is not None}
        singles = sorted({k[0] for k in keyed if len(k) == 1})
        distinct: dict[tuple[str, ...], pl.DataFrame] = {}
        if singles:  # every column's distinct values, in one pass
            values = self.df.lazy().select([pl.col(c).unique().implode() for c in singles]).collect().row(0)
            distinct.update({(c,): pl.DataFrame({c: v}, schema={c: self.df.schema[c]}) for c, v in zip(singles, values, strict=True)})
        for several in keyed:
            if len(several) > 1:
                distinct[several] = self.df.select(several).unique()
        failing: dict[int, pl.DataFrame] = {}
        for keyset, frame in distinct.items():
            checks = [(i, mask) for i, (_, mask, _, k) in enumerate(self._pending) if k == keyset]
            got = frame.lazy().select([pl.struct(keyset).filter(mask).implode().alias(f"_fail{i}") for i, mask in checks]).collect().row(0)
            failing.update({i: pl.Series(bad).struct.unnest() for (i, _), bad in zip(checks, got, strict=True) if bad})
        lookups: list[pl.Expr] = []  # per check: the rows to report (a list in one row)
        for i, (column, mask, _, keys) in enumerate(self._pending):
            if keys is not None:
                if i not in failing:
                    continue
                bad = failing[i]
                if len(keys) == 1:
                    mask = pl.col(column).is_in(bad.get_column(column).implode())
                else:  # the rows with a failing combination
                    mask = pl.struct(keys).is_in(bad.select(pl.struct(keys)).to_series().implode())
            hit = pl.col("_row") if column in self.text else pl.struct(pl.col("_row"), pl.col(column).alias("_value"))
            lookups.append(hit.filter(mask).head(MAX_PROBLEMS).implode().alias(f"_check{i}"))
        if not lookups:
            self._pending = []
            return
        found = dict(zip([e.meta.output_name() for e in lookups], self.df.lazy().select(lookups).collect().row(0), strict=True))
        for i, (column, _, message, _) in enumerate(self._pending):
            hits = found.get(f"_check{i}", [])
            for hit in hits:
                if column in self.text:
                    self.problems.append(Problem(self.file, int(hit), column, message(_HIDDEN)))
                    continue
                value = hit["_value"] or ""
                shown = _HIDDEN if looks_like_identity_number(value) else repr(value)
                self.problems.append(Problem(self.file, int(hit["_row"]), column, message(shown)))
        self._pending = []

    def number(self, column: str, dtype: pl.DataType | type[pl.DataType], lo: float | None, hi: float | None, required: bool, what: str, *, above: float | None = None) -> None:
        """A number in [lo, hi] (and > ``above``); integer types take whole numbers only, float
        types finite ones; a ``;`` or tab file may use a decimal comma."""
        text = pl.col(column)
        if self.decimal_comma:
            text = text.str.replace(",", ".", literal=True)
        value = text.cast(dtype, strict=False)
        empty_ = pl.col(column) == ""
        if required:
            self.bad(column, empty_, lambda v: "värde saknas")
        self.bad(column, ~empty_ & value.is_null(), lambda v: f"{v} är inte {what}")
        if dtype == pl.Float64:
            self.bad(column, value.is_not_null() & ~value.is_finite(), lambda v: f"{v} är inte ett ändligt tal")
            value = pl.when(value.is_finite()).then(value)
        if lo is not None:
            self.bad(column, value.is_not_null() & (value < lo), lambda v: f"{v} är mindre än {lo:g}")
        if above is not None:
            self.bad(column, value.is_not_null() & (value <= above), lambda v: f"{v} ska vara större än {above:g}")
        if hi is not None:
            self.bad(column, value.is_not_null() & (value > hi), lambda v: f"{v} är större än {hi:g}")

    def choice(self, column: str, allowed: tuple[str, ...], required: bool = True) -> None:
        empty_ = pl.col(column) == ""
        if required:
            self.bad(column, empty_, lambda v: "värde saknas")
        self.bad(column, ~empty_ & ~pl.col(column).is_in(list(allowed)), lambda v: f"{v} är inget giltigt värde ({', '.join(allowed)})")

    def boolean(self, column: str) -> None:
        self.choice(column, ("0", "1"), required=False)

    def digits(self, column: str, n: int, required: bool = True, what: str = "kod") -> None:
        empty_ = pl.col(column) == ""
        if required:
            self.bad(column, empty_, lambda v: "värde saknas")
        self.bad(column, ~empty_ & ~pl.col(column).str.contains(f"^\\d{{{n}}}$"), lambda v: f"{v} är ingen {what} ({n} siffror)")


def _typed(df: pl.DataFrame, schema: dict[str, pl.DataType | type[pl.DataType]], decimal_comma: bool) -> pl.DataFrame:
    cols = []
    for name, dtype in schema.items():
        if name not in df.columns:
            continue
        if df.schema[name] != pl.String:
            cols.append(pl.col(name).cast(dtype).alias(name))
            continue
        c = pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name))
        if dtype == pl.Boolean:
            cols.append((c == "1").alias(name))
        elif dtype in (pl.Float64,) and decimal_comma:
            cols.append(c.str.replace(",", ".", literal=True).cast(dtype, strict=False).alias(name))
        else:
            cols.append(c.cast(dtype, strict=False).alias(name))  # bad values are already problems
    return df.with_columns(cols)


def _open(
    source: Source,
    problems: list[Problem],
    table: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    *,
    notices: list[Problem] | None = None,
    ignore_unknown: bool = False,
) -> _Checker | None:
    """A table read and its header checked; None when it cannot be read or its columns are wrong."""
    got = read_table(source, problems)
    if got is None:
        return None
    ch = _Checker(got, problems, TEXT_COLUMNS[table])
    return ch if ch.columns(required, optional, notices, ignore_unknown) else None


# --------------------------------------------------------------------------------------------
# the tables

_PUPIL_REQUIRED = ("year", "pupil_id", "school_unit_code", "school_form", "grade", "home_municipality")
_PUPIL_OPTIONAL = tuple(c for c in PUPIL_SCHEMA if c not in _PUPIL_REQUIRED)
_SCHOOL_REQUIRED = ("school_unit_code", "name", "operator", "municipality_code", "school_forms")
_SCHOOL_OPTIONAL = tuple(c for c in SCHOOL_SCHEMA if c not in _SCHOOL_REQUIRED)
#: The register years a file may hold.
YEARS = (2000, 2100)


def read_schools(source: Source | str, problems: list[Problem], notices: list[Problem] | None = None) -> pl.DataFrame | None:
    """The school list, validated; None with ``problems`` when it cannot be used. Columns the
    format does not know are left out, each with a notice in ``notices``."""
    ch = _open(_source(source), problems, "schools", _SCHOOL_REQUIRED, _SCHOOL_OPTIONAL, notices=notices, ignore_unknown=True)
    if ch is None:
        return None
    ch.digits("school_unit_code", 8, what="skolenhetskod")
    ch.bad("school_unit_code", pl.col("school_unit_code").is_duplicated() & (pl.col("school_unit_code") != ""), lambda v: f"skolenheten {v} förekommer flera gånger", rows=True)
    ch.bad("name", pl.col("name") == "", lambda v: "namn saknas")
    ch.choice("operator", OPERATORS)
    ch.digits("municipality_code", 4, what="kommunkod")
    forms_ok = pl.col("school_forms").str.split(",").list.eval(pl.element().str.strip_chars().is_in(list(SCHOOL_FORMS))).list.all()
    ch.bad("school_forms", ~forms_ok, lambda v: f"{v}: skolformer ska vara {', '.join(SCHOOL_FORMS)} (kommaseparerade)")
    for b in ("resource_school", "ib", "synthetic", "synthetic_location"):
        ch.boolean(b)
    ch.number("opened_year", pl.Int32, 1900, 2100, False, "ett årtal")
    ch.number("employees", pl.Int32, 0, None, False, "ett heltal")
    ch.finish()
    typed = _attribute_text(_typed(ch.df, SCHOOL_SCHEMA, ch.decimal_comma))
    return conform(typed.with_columns(pl.col("school_forms").str.replace_all(" ", "")), SCHOOL_SCHEMA)


def _attribute_text(df: pl.DataFrame) -> pl.DataFrame:
    """``attr_…`` columns as text with empty cells as null: the model that declares one types
    and checks it (``engine.allocation.run.typed_attributes``)."""
    extra = [c for c in df.columns if c.startswith(ATTRIBUTE_PREFIX)]
    return df.with_columns([pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c) for c in extra]) if extra else df


def _pupils(source: Source, schools: pl.DataFrame | None, problems: list[Problem], schools_file: str) -> pl.DataFrame | None:
    ch = _open(source, problems, "pupils", _PUPIL_REQUIRED, _PUPIL_OPTIONAL)
    if ch is None:
        return None
    ch.number("year", pl.Int32, *YEARS, True, "ett årtal")
    # A pupil_id that is a personal identity number is the importer's to pseudonymise
    # (likvard.data.personal_identity); here it is only an identifier, never shown.
    ch.bad("pupil_id", pl.col("pupil_id") == "", lambda v: "elev-id saknas", rows=True)
    ch.bad("pupil_id", pl.col("pupil_id").str.len_chars() > PUPIL_ID_MAX_CHARS, lambda v: f"elev-id är längre än {PUPIL_ID_MAX_CHARS} tecken", rows=True)
    dup = pl.struct("year", "pupil_id").is_duplicated() & (pl.col("pupil_id") != "")
    ch.bad("pupil_id", dup, lambda v: "eleven förekommer flera gånger samma år", rows=True)
    ch.digits("school_unit_code", 8, what="skolenhetskod")
    ch.known_school("school_unit_code", schools, schools_file, only=pl.col("school_unit_code").str.contains(r"^\d{8}$"))
    ch.choice("school_form", SCHOOL_FORMS)
    gr = pl.col("school_form").is_in(["gr", "gran"])
    gy = pl.col("school_form").is_in(["gy", "gyan"])
    ch.bad("grade", gr & ~pl.col("grade").is_in(list(GRADES_GR)), lambda v: f"{v} är ingen årskurs i grundskolan (F, 1–9)", over=("school_form",))
    ch.bad("grade", gy & ~pl.col("grade").is_in(list(GRADES_GY)), lambda v: f"{v} är ingen årskurs i gymnasieskolan (1–3)", over=("school_form",))
    ch.digits("home_municipality", 4, what="kommunkod")
    ch.choice("gender", GENDERS, required=False)
    ch.choice("leisure", LEISURE, required=False)
    ch.choice("special_group", SPECIAL_GROUPS, required=False)
    for b in ("mother_tongue", "newcomer", "economic_assistance", "single_guardian", "eligible_vocational"):
        ch.boolean(b)
    ch.number("special_group_share", pl.Int16, 0, 100, False, "en andel i procent (0–100)")
    ch.number("merit_value_year9", pl.Float64, 0, 340, False, "ett meritvärde")
    ch.number("merit_value", pl.Float64, 0, 340, False, "ett meritvärde")
    ch.number("arrival_year", pl.Int32, 1900, 2100, False, "ett årtal")
    ch.number("guardian_education", pl.Int8, 0, 2, False, "en utbildningsnivå (0, 1, 2)")
    ch.number("guardian_income_decile", pl.Int8, 1, 10, False, "en inkomstdecil (1–10)")
    ch.finish()
    typed = _attribute_text(_typed(ch.df, PUPIL_SCHEMA, ch.decimal_comma))
    typed = typed.with_columns(
        pl.col("leisure").fill_null("none"),
        pl.col("special_group").fill_null("none"),
        pl.col("special_group_share").fill_null(0),
        pl.col("mother_tongue").fill_null(False),
        pl.col("newcomer").fill_null(False),
    )
    return conform(typed, PUPIL_SCHEMA)


_MONEY_SEPARATORS = r"[\s\u00a0\u202f\u2009']"


def _money_column(ch: _Checker, column: str, required: bool) -> pl.Series:
    """Kronor text → öre, columnar: plain amounts (``147000``, ``147 000,50``, ``11 486 kr``) are
    converted with Polars expressions; anything else (units such as ``tkr``, signs, errors) goes
    through ``parse_money`` once per distinct value, so a problem gets its exact message."""
    norm = pl.col(column).str.replace_all(_MONEY_SEPARATORS, "").str.to_lowercase().str.replace(r"(kr|sek)\.?$", "")
    fast = norm.str.contains(r"^\d{1,15}([.,]\d{1,2})?$")
    whole = norm.str.extract(r"^(\d+)", 1).cast(pl.Int64, strict=False)
    frac = norm.str.extract(r"[.,](\d{1,2})$", 1).fill_null("").str.pad_end(2, "0").cast(pl.Int64, strict=False)
    df = ch.df.with_columns(pl.when(fast).then(whole * 100 + frac).alias("_ore"), fast.fill_null(False).alias("_fast"))
    slow_values = df.filter(~pl.col("_fast") & (pl.col(column) != ""))[column].unique().to_list()
    parsed: dict[str, int] = {}
    errors: dict[str, list[str]] = {}  # message with the value left out → the values
    for value in slow_values:  # distinct unusual values only
        try:
            parsed[value] = parse_money(value)
        except MoneyError as exc:
            errors.setdefault(str(exc).replace(repr(value), "\0"), []).append(value)
    if required:
        ch.bad(column, pl.col(column) == "", lambda v: "belopp saknas")
    for template, values in errors.items():
        ch.bad(column, pl.col(column).is_in(values), _filled(template))
    ore = df.select(
        pl.when(pl.col("_fast")).then(pl.col("_ore")).otherwise(pl.col(column).replace_strict(parsed, default=None, return_dtype=pl.Int64)).alias(f"{column}_ore")
    ).to_series()
    negative = [v for v, o in parsed.items() if o < 0]
    if negative:
        ch.bad(column, pl.col(column).is_in(negative), lambda v: f"{v}: negativt belopp")
    return ore


def _filled(template: str) -> Callable[[str], str]:
    """A message with the shown value put where ``parse_money`` had the value ("\0")."""
    return lambda v: template.replace("\0", v)


def _decisions(source: Source, pupils: pl.DataFrame | None, problems: list[Problem], pupils_file: str) -> pl.DataFrame | None:
    ch = _open(source, problems, "decisions", ("year", "pupil_id", "kind", "amount"), ("extensive",))
    if ch is None:
        return None
    ch.number("year", pl.Int32, *YEARS, True, "ett årtal")
    ch.choice("kind", ("individual_support",))
    ch.boolean("extensive")
    if pupils is not None:
        ids = ch.df.get_column("pupil_id").unique().implode()
        known = pupils.filter(pl.col("pupil_id").is_in(ids)).select(pl.col("year").cast(pl.String), "pupil_id")
        missing = ch.df.join(known, on=["year", "pupil_id"], how="anti")
        ch.bad("pupil_id", pl.col("_row").is_in(missing.get_column("_row").implode()), lambda v: f"eleven finns inte i {pupils_file} det året", rows=True)
    amounts = _money_column(ch, "amount", True)
    ch.finish()
    typed = _typed(ch.df.with_columns(amounts), DECISION_SCHEMA, ch.decimal_comma)
    return conform(typed, DECISION_SCHEMA)


def _rsu(source: Source, schools: pl.DataFrame | None, problems: list[Problem], schools_file: str) -> pl.DataFrame | None:
    ch = _open(source, problems, "rsu_groups", ("group_id", "area", "host_school_unit_code", "places", "budgeted_cost"), ("other_income",))
    if ch is None:
        return None
    ch.bad("group_id", pl.col("group_id") == "", lambda v: "grupp-id saknas", rows=True)
    ch.bad("group_id", pl.col("group_id").is_duplicated() & (pl.col("group_id") != ""), lambda v: "gruppen förekommer flera gånger", rows=True)
    ch.digits("host_school_unit_code", 8, what="skolenhetskod")
    ch.known_school("host_school_unit_code", schools, schools_file)
    ch.number("places", pl.Int32, 0, None, True, "ett heltal")
    cost = _money_column(ch, "budgeted_cost", True)
    other = _money_column(ch, "other_income", False)
    ch.finish()
    typed = _typed(ch.df.with_columns(cost, other.fill_null(0)), RSU_GROUP_SCHEMA, ch.decimal_comma)
    return conform(typed, RSU_GROUP_SCHEMA)


def _baseline(source: Source, schools: pl.DataFrame | None, problems: list[Problem], schools_file: str) -> pl.DataFrame | None:
    """Each school's per-pupil funding of a baseline year (``per_pupil`` in kronor), for a
    year-on-year floor and cap (``funding_floor``)."""
    ch = _open(source, problems, "baseline", ("school_unit_code", "per_pupil"), ())
    if ch is None:
        return None
    ch.digits("school_unit_code", 8, what="skolenhetskod")
    ch.known_school("school_unit_code", schools, schools_file)
    ch.bad("school_unit_code", pl.col("school_unit_code").is_duplicated(), lambda v: f"skolenheten {v} förekommer flera gånger", rows=True)
    per_pupil = _money_column(ch, "per_pupil", True)
    ch.finish()
    return conform(ch.df.with_columns(per_pupil), BASELINE_SCHEMA)


def _index(source: Source, schools: pl.DataFrame | None, problems: list[Problem], schools_file: str) -> pl.DataFrame | None:
    # ``pupils`` is required: without it the socioeconomic pot cannot weigh the schools' need
    # and would silently become a flat per-pupil pot.
    ch = _open(source, problems, "index", ("school_unit_code", "year", "index", "pupils"), ())
    if ch is None:
        return None
    ch.digits("school_unit_code", 8, what="skolenhetskod")
    ch.known_school("school_unit_code", schools, schools_file)
    ch.number("year", pl.Int32, *YEARS, True, "ett årtal")
    ch.number("index", pl.Float64, None, None, True, "ett indexvärde", above=0)
    ch.number("pupils", pl.Int32, 0, None, True, "ett heltal")
    ch.bad("school_unit_code", pl.struct("school_unit_code", "year").is_duplicated(), lambda v: f"skolenheten {v} har flera index samma år", rows=True)
    ch.finish()
    return conform(_typed(ch.df, INDEX_SCHEMA, ch.decimal_comma), INDEX_SCHEMA)


def _source(source: Source | str) -> Source:
    return Path(source) if isinstance(source, str) else source


def _describe(source: Source) -> str:
    return f"uppladdad fil {source.name}" if isinstance(source, Upload) else f"filer i {source.parent}"


def read_files(
    *,
    pupils: Source | str | None = None,
    schools: Source | str | None = None,
    index: Source | str | None = None,
    decisions: Source | str | None = None,
    rsu_groups: Source | str | None = None,
    baseline: Source | str | None = None,
    source: str = "",
    notices: list[Problem] | None = None,
    known_schools: pl.DataFrame | None = None,
) -> AllocationInput:
    """Read and validate the files given (paths, or uploads held in memory); raise
    ``InputError`` listing every problem found. Tables not given come back empty.

    Pupils, school indices and RSU groups are checked against the school list: ``schools`` (a
    file) or ``known_schools`` (a table with ``school_unit_code``, e.g. the schools already in
    the database, named "skolregistret" in messages). Decisions are checked against ``pupils``
    when it is given. Unknown columns of the school list are ignored, each with a notice in
    ``notices``; any other file with an unknown column is refused.
    """
    if schools is not None and known_schools is not None:
        raise TypeError("give schools or known_schools, not both")
    given = [_source(s) for s in (pupils, schools, index, decisions, rsu_groups, baseline) if s is not None]
    problems: list[Problem] = []
    school_table: pl.DataFrame | None = None
    schools_file = "skolregistret"
    if schools is not None:
        schools_file = source_name(_source(schools))
        school_table = read_schools(schools, problems, notices)
    elif known_schools is not None:
        if "school_unit_code" not in known_schools.columns:
            raise ValueError("known_schools needs a school_unit_code column")
        school_table = conform(known_schools.with_columns(pl.col("school_unit_code").cast(pl.String)), SCHOOL_SCHEMA)
    elif pupils is not None:
        problems.append(Problem("schools.csv", None, None, "skollistan saknas: elevregistret kontrolleras mot skolenheterna i den"))
    pupil_table = pupils_file = None
    if pupils is not None:
        pupils_file = source_name(_source(pupils))
        pupil_table = _pupils(_source(pupils), school_table, problems, schools_file)
    index_table = _index(_source(index), school_table, problems, schools_file) if index is not None else None
    decision_table = _decisions(_source(decisions), pupil_table, problems, pupils_file or "pupils.csv") if decisions is not None else None
    rsu_table = _rsu(_source(rsu_groups), school_table, problems, schools_file) if rsu_groups is not None else None
    baseline_table = _baseline(_source(baseline), school_table, problems, schools_file) if baseline is not None else None
    failed = (schools is not None and school_table is None) or (pupils is not None and pupil_table is None)
    if problems or failed:
        raise InputError(problems or [Problem(source_name(given[0]), None, None, "kunde inte läsas")])
    return AllocationInput(
        pupils=pupil_table if pupil_table is not None else empty(PUPIL_SCHEMA),
        schools=school_table if school_table is not None else empty(SCHOOL_SCHEMA),
        index=index_table if index_table is not None else empty(INDEX_SCHEMA),
        decisions=decision_table if decision_table is not None else empty(DECISION_SCHEMA),
        rsu_groups=rsu_table if rsu_table is not None else empty(RSU_GROUP_SCHEMA),
        baseline=baseline_table if baseline_table is not None else empty(BASELINE_SCHEMA),
        source=source or (_describe(given[0]) if given else ""),
    )


def read_dir(path: str | Path, *, notices: list[Problem] | None = None) -> AllocationInput:
    """Read a directory written in the import format (``pupils.csv``, ``schools.csv`` and the
    optional ``school_index.csv``, ``decisions.csv``, ``rsu_groups.csv``, ``baseline.csv``)."""
    d = Path(path)
    if not d.is_dir():
        raise InputError([Problem(str(d), None, None, "katalogen finns inte")])
    readme = d / "README.txt"
    source = readme.read_text(encoding="utf-8").splitlines()[0] if readme.exists() else f"filer i {d}"

    def opt(name: str) -> Path | None:
        return d / name if (d / name).exists() else None

    return read_files(
        pupils=d / "pupils.csv",
        schools=d / "schools.csv",
        index=opt("school_index.csv"),
        decisions=opt("decisions.csv"),
        rsu_groups=opt("rsu_groups.csv"),
        baseline=opt("baseline.csv"),
        source=source,
        notices=notices,
    )


def _text(df: pl.DataFrame) -> pl.DataFrame:
    cols = []
    for name, dtype in df.schema.items():
        if dtype == pl.Boolean:
            cols.append(pl.col(name).cast(pl.Int8).cast(pl.String).fill_null("").alias(name))
        elif dtype == pl.Float64:
            cols.append(pl.col(name).cast(pl.String).fill_null("").alias(name))  # shortest exact repr
        else:
            cols.append(pl.col(name).cast(pl.String).fill_null("").alias(name))
    return df.select(cols)


def _money_text(df: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """Öre columns as exact kronor text (``12345`` öre → ``"123.45"``), renamed without _ore."""
    out = df
    for c in columns:
        kr = pl.col(c) // 100
        ore = (pl.col(c) % 100).cast(pl.String).str.zfill(2)
        out = out.with_columns(pl.concat_str([kr.cast(pl.String), pl.lit("."), ore]).alias(c.removesuffix("_ore"))).drop(c)
    return out


def write_dir(inputs: AllocationInput, path: str | Path) -> None:
    """Write the import format (UTF-8, comma-separated, amounts in kronor)."""
    d = Path(path)
    d.mkdir(parents=True, exist_ok=True)
    _text(inputs.pupils).write_csv(d / "pupils.csv")
    _text(inputs.schools).write_csv(d / "schools.csv")
    if inputs.index.height:
        _text(inputs.index).write_csv(d / "school_index.csv")
    if inputs.decisions.height:
        _text(_money_text(inputs.decisions, ("amount_ore",))).write_csv(d / "decisions.csv")
    if inputs.rsu_groups.height:
        _text(_money_text(inputs.rsu_groups, ("budgeted_cost_ore", "other_income_ore"))).write_csv(d / "rsu_groups.csv")
    if inputs.baseline.height:
        _text(_money_text(inputs.baseline, ("per_pupil_ore",))).write_csv(d / "baseline.csv")
    lines = [inputs.source or "Likvärd import format"]
    if "syntet" in inputs.source.lower():
        lines.append("Alla elever i de här filerna är syntetiska (påhittade); skolenheterna är verkliga där inget annat anges.")
    lines.append("Format: docs/formats.md")
    (d / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
