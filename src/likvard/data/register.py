"""The documented import format (docs/formats.md): read, validate, write.

Why: a controller imports a register extract from the pupil register and a school list; a bad
row must be reported with file, row and column, the whole file is checked before anything is
used, and nothing half-read reaches the engine. Validation is columnar (Polars expressions)
so a national file of a million rows is checked in about a second; only the reported problems
(at most ``MAX_PROBLEMS`` per check) are formatted in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from likvard.engine.allocation.inputs import (
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

__all__ = ["FILES", "MAX_PROBLEMS", "InputError", "Problem", "read_dir", "read_files", "read_text_table", "read_xlsx", "write_dir", "xlsx_to_csv"]

MAX_PROBLEMS = 50
FILES = ("pupils.csv", "schools.csv", "school_index.csv", "decisions.csv", "rsu_groups.csv")


class InputError(ValueError):
    """Input files that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]) + (" …" if len(problems) > 5 else ""))


# --------------------------------------------------------------------------------------------
# reading raw text


#: Code columns Excel turns into numbers (dropping leading zeros), with their width.
CODE_WIDTHS = {"school_unit_code": 8, "home_municipality": 4, "municipality_code": 4, "host_school_unit_code": 8}


def _cell_text(value: object, column: str) -> str:
    """An Excel cell as the text the CSV format would hold.

    Whole numbers lose Excel's ".0"; a code column stored as a number gets its leading zeros
    back (a municipality code 180 is "0180"), as Excel silently drops them.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and float(value).is_integer():
        text = str(int(value))
        width = CODE_WIDTHS.get(column)
        return text.zfill(width) if width and len(text) < width else text
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()


def read_xlsx(path: Path, problems: list[Problem]) -> pl.DataFrame | None:
    """The first sheet of an Excel workbook as text columns (header in row 1).

    Why: controllers keep register extracts in Excel; the rows keep Excel's numbering, so a
    problem names the row the user sees. Formulas count by their last computed value.
    """
    import zipfile

    from openpyxl import load_workbook

    name = path.name
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        problems.append(Problem(name, None, None, "filen finns inte"))
        return None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        problems.append(Problem(name, None, None, f"kan inte läsas som Excel-fil (.xlsx): {exc}"))
        return None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None or not any(v is not None for v in header_row):
            problems.append(Problem(name, 1, None, "första bladet saknar rubrikrad"))
            return None
        header = [str(v).strip() if v is not None else "" for v in header_row]
        while header and header[-1] == "":
            header.pop()
        if "" in header:
            problems.append(Problem(name, 1, None, f"tom kolumnrubrik i kolumn {header.index('') + 1}"))
            return None
        if len(set(header)) < len(header):
            problems.append(Problem(name, 1, None, "samma kolumnrubrik förekommer flera gånger"))
            return None
        table: list[list[str]] = []
        for values in rows:
            cells = list(values)[: len(header)] + [None] * max(0, len(header) - len(values))
            table.append([_cell_text(value, column) for column, value in zip(header, cells, strict=True)])
    finally:
        book.close()
    # Excel keeps formatted but empty rows after the data; they are not data. An empty row in
    # the middle stays, so row numbers are Excel's and its empty cells are reported.
    while table and not any(table[-1]):
        table.pop()
    frame = pl.DataFrame(table, schema={c: pl.String for c in header}, orient="row")
    return frame.with_row_index("_row", offset=2)


def xlsx_to_csv(path: Path, target: Path, problems: list[Problem]) -> Path | None:
    """Write the workbook's first sheet as CSV (UTF-8, comma) for the CSV-only steps."""
    frame = read_xlsx(path, problems)
    if frame is None:
        return None
    frame.drop("_row").write_csv(target)
    return target


def read_text_table(path: Path, problems: list[Problem]) -> tuple[pl.DataFrame, str] | None:
    """All columns as text, with the delimiter detected from the header line (CSV), or the
    first sheet of an Excel workbook (.xlsx)."""
    name = path.name
    if path.suffix.lower() == ".xlsx":
        frame = read_xlsx(path, problems)
        return None if frame is None else (frame, ",")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(name, None, None, "filen finns inte"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(name, None, None, "filen är inte UTF-8 (spara som CSV UTF-8)"))
        return None
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    try:
        df = pl.read_csv(text.encode("utf-8"), separator=sep, infer_schema=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        problems.append(Problem(name, None, None, f"kan inte läsas som CSV: {str(exc).splitlines()[0]}"))
        return None
    df = df.rename({c: c.strip() for c in df.columns}).with_columns(pl.all().fill_null("").str.strip_chars())
    return df.with_row_index("_row", offset=2), sep


class _Checker:
    def __init__(self, df: pl.DataFrame, file: str, sep: str, problems: list[Problem]) -> None:
        self.df = df
        self.file = file
        self.decimal_comma = sep == ";"
        self.problems = problems

    def columns(self, required: tuple[str, ...], optional: tuple[str, ...]) -> bool:
        ok = True
        for c in required:
            if c not in self.df.columns:
                self.problems.append(Problem(self.file, 1, c, "kolumnen saknas"))
                ok = False
        known = set(required) | set(optional) | {"_row"}
        for c in self.df.columns:
            if c not in known:
                self.problems.append(Problem(self.file, 1, c, "okänd kolumn (stavfel?)"))
                ok = False
        for c in optional:
            if c not in self.df.columns:
                self.df = self.df.with_columns(pl.lit("").alias(c))
        return ok

    def known_school(self, column: str, schools: pl.DataFrame | None, schools_file: str, only: pl.Expr | None = None) -> None:
        """Codes in ``column`` must be in the school list (checked where ``only`` holds)."""
        if schools is None:
            return
        unknown = ~pl.col(column).is_in(schools["school_unit_code"].to_list())
        self.bad(column, unknown if only is None else only & unknown, lambda v: f"skolenheten {v} finns inte i {schools_file}")

    def bad(self, column: str, mask: pl.Expr, message: Callable[[str], str]) -> None:
        rows = self.df.filter(mask).select("_row", column).head(MAX_PROBLEMS)
        for row, value in rows.iter_rows():
            self.problems.append(Problem(self.file, int(row), column, message(value)))

    def number(self, column: str, dtype: pl.DataType | type[pl.DataType], lo: float | None, hi: float | None, required: bool, what: str) -> None:
        text = pl.col(column)
        if self.decimal_comma:
            text = text.str.replace(",", ".", literal=True)
        value = text.cast(dtype, strict=False)
        empty_ = pl.col(column) == ""
        if required:
            self.bad(column, empty_, lambda v: "värde saknas")
        self.bad(column, ~empty_ & value.is_null(), lambda v: f"{v!r} är inte {what}")
        if lo is not None:
            self.bad(column, value.is_not_null() & (value < lo), lambda v: f"{v!r} är mindre än {lo:g}")
        if hi is not None:
            self.bad(column, value.is_not_null() & (value > hi), lambda v: f"{v!r} är större än {hi:g}")

    def choice(self, column: str, allowed: tuple[str, ...], required: bool = True) -> None:
        empty_ = pl.col(column) == ""
        if required:
            self.bad(column, empty_, lambda v: "värde saknas")
        self.bad(column, ~empty_ & ~pl.col(column).is_in(list(allowed)), lambda v: f"{v!r} är inget giltigt värde ({', '.join(allowed)})")

    def boolean(self, column: str) -> None:
        self.choice(column, ("0", "1"), required=False)

    def digits(self, column: str, n: int, required: bool = True, what: str = "kod") -> None:
        empty_ = pl.col(column) == ""
        if required:
            self.bad(column, empty_, lambda v: "värde saknas")
        self.bad(column, ~empty_ & ~pl.col(column).str.contains(f"^\\d{{{n}}}$"), lambda v: f"{v!r} är ingen {what} ({n} siffror)")


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


def _open(path: Path, problems: list[Problem], required: tuple[str, ...], optional: tuple[str, ...]) -> _Checker | None:
    """A table read and its header checked; None when it cannot be read or its columns are wrong."""
    got = read_text_table(path, problems)
    if got is None:
        return None
    df, sep = got
    ch = _Checker(df, path.name, sep, problems)
    return ch if ch.columns(required, optional) else None


# --------------------------------------------------------------------------------------------
# the tables

_PUPIL_REQUIRED = ("year", "pupil_id", "school_unit_code", "school_form", "grade", "home_municipality")
_PUPIL_OPTIONAL = tuple(c for c in PUPIL_SCHEMA if c not in _PUPIL_REQUIRED)
_SCHOOL_REQUIRED = ("school_unit_code", "name", "operator", "municipality_code", "school_forms")
_SCHOOL_OPTIONAL = tuple(c for c in SCHOOL_SCHEMA if c not in _SCHOOL_REQUIRED)


def _schools(path: Path, problems: list[Problem]) -> pl.DataFrame | None:
    ch = _open(path, problems, _SCHOOL_REQUIRED, _SCHOOL_OPTIONAL)
    if ch is None:
        return None
    ch.digits("school_unit_code", 8, what="skolenhetskod")
    ch.bad("school_unit_code", pl.col("school_unit_code").is_duplicated() & (pl.col("school_unit_code") != ""), lambda v: f"skolenheten {v} förekommer flera gånger")
    ch.bad("name", pl.col("name") == "", lambda v: "namn saknas")
    ch.choice("operator", OPERATORS)
    ch.digits("municipality_code", 4, what="kommunkod")
    forms_ok = pl.col("school_forms").str.split(",").list.eval(pl.element().str.strip_chars().is_in(list(SCHOOL_FORMS))).list.all()
    ch.bad("school_forms", ~forms_ok, lambda v: f"{v!r}: skolformer ska vara {', '.join(SCHOOL_FORMS)} (kommaseparerade)")
    for b in ("resource_school", "ib", "synthetic", "synthetic_location"):
        ch.boolean(b)
    ch.number("opened_year", pl.Int32, 1900, 2100, False, "ett årtal")
    ch.number("employees", pl.Int32, 0, None, False, "ett heltal")
    typed = _typed(ch.df, SCHOOL_SCHEMA, ch.decimal_comma)
    return conform(typed.with_columns(pl.col("school_forms").str.replace_all(" ", "")), SCHOOL_SCHEMA)


def _pupils(path: Path, schools: pl.DataFrame | None, problems: list[Problem], schools_file: str) -> pl.DataFrame | None:
    ch = _open(path, problems, _PUPIL_REQUIRED, _PUPIL_OPTIONAL)
    if ch is None:
        return None
    ch.number("year", pl.Int32, 2000, 2100, True, "ett årtal")
    ch.bad("pupil_id", pl.col("pupil_id") == "", lambda v: "elev-id saknas")
    ch.bad("pupil_id", pl.col("pupil_id").str.contains(r"^\d{6,8}[-+]?\d{4}$"), lambda v: "ser ut som ett personnummer: använd pseudonymer (docs/formats.md)")
    dup = pl.struct("year", "pupil_id").is_duplicated() & (pl.col("pupil_id") != "")
    ch.bad("pupil_id", dup, lambda v: f"eleven {v!r} förekommer flera gånger samma år")
    ch.digits("school_unit_code", 8, what="skolenhetskod")
    ch.known_school("school_unit_code", schools, schools_file, only=pl.col("school_unit_code").str.contains(r"^\d{8}$"))
    ch.choice("school_form", SCHOOL_FORMS)
    gr = pl.col("school_form").is_in(["gr", "gran"])
    gy = pl.col("school_form").is_in(["gy", "gyan"])
    ch.bad("grade", gr & ~pl.col("grade").is_in(list(GRADES_GR)), lambda v: f"{v!r} är ingen årskurs i grundskolan (F, 1–9)")
    ch.bad("grade", gy & ~pl.col("grade").is_in(list(GRADES_GY)), lambda v: f"{v!r} är ingen årskurs i gymnasieskolan (1–3)")
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
    typed = _typed(ch.df, PUPIL_SCHEMA, ch.decimal_comma)
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
    errors: dict[str, str] = {}
    for value in slow_values:  # distinct unusual values only
        try:
            parsed[value] = parse_money(value)
        except MoneyError as exc:
            errors[value] = str(exc)
    if required:
        ch.bad(column, pl.col(column) == "", lambda v: "belopp saknas")
    if errors:
        ch.bad(column, pl.col(column).is_in(list(errors)), lambda v: errors[v])
    ore = df.select(
        pl.when(pl.col("_fast")).then(pl.col("_ore")).otherwise(pl.col(column).replace_strict(parsed, default=None, return_dtype=pl.Int64)).alias(f"{column}_ore")
    ).to_series()
    negative = [v for v, o in parsed.items() if o < 0]
    if negative:
        ch.bad(column, pl.col(column).is_in(negative), lambda v: f"{v!r}: negativt belopp")
    return ore


def _decisions(path: Path, pupils: pl.DataFrame | None, problems: list[Problem], pupils_file: str) -> pl.DataFrame | None:
    ch = _open(path, problems, ("year", "pupil_id", "kind", "amount"), ("extensive",))
    if ch is None:
        return None
    ch.number("year", pl.Int32, 2000, 2100, True, "ett årtal")
    ch.choice("kind", ("individual_support",))
    ch.boolean("extensive")
    if pupils is not None:
        known = pupils.select(pl.col("year").cast(pl.String), "pupil_id")
        missing = ch.df.join(known, on=["year", "pupil_id"], how="anti")
        ids = set(missing["_row"].to_list())
        ch.bad("pupil_id", pl.col("_row").is_in(list(ids)), lambda v: f"eleven {v!r} finns inte i {pupils_file} det året")
    amounts = _money_column(ch, "amount", True)
    typed = _typed(ch.df.with_columns(amounts), DECISION_SCHEMA, ch.decimal_comma)
    return conform(typed, DECISION_SCHEMA)


def _rsu(path: Path, schools: pl.DataFrame | None, problems: list[Problem], schools_file: str) -> pl.DataFrame | None:
    ch = _open(path, problems, ("group_id", "area", "host_school_unit_code", "places", "budgeted_cost"), ("other_income",))
    if ch is None:
        return None
    ch.bad("group_id", pl.col("group_id").is_duplicated(), lambda v: f"gruppen {v!r} förekommer flera gånger")
    ch.digits("host_school_unit_code", 8, what="skolenhetskod")
    ch.known_school("host_school_unit_code", schools, schools_file)
    ch.number("places", pl.Int32, 0, None, True, "ett heltal")
    cost = _money_column(ch, "budgeted_cost", True)
    other = _money_column(ch, "other_income", False)
    typed = _typed(ch.df.with_columns(cost, other.fill_null(0)), RSU_GROUP_SCHEMA, ch.decimal_comma)
    return conform(typed, RSU_GROUP_SCHEMA)


def _index(path: Path, schools: pl.DataFrame | None, problems: list[Problem], schools_file: str) -> pl.DataFrame | None:
    ch = _open(path, problems, ("school_unit_code", "year", "index"), ("pupils",))
    if ch is None:
        return None
    ch.digits("school_unit_code", 8, what="skolenhetskod")
    ch.known_school("school_unit_code", schools, schools_file)
    ch.number("year", pl.Int32, 2000, 2100, True, "ett årtal")
    ch.number("index", pl.Float64, 0, None, True, "ett indexvärde")
    ch.number("pupils", pl.Int32, 0, None, False, "ett heltal")
    ch.bad("school_unit_code", pl.struct("school_unit_code", "year").is_duplicated(), lambda v: f"skolenheten {v} har flera index samma år")
    return conform(_typed(ch.df, INDEX_SCHEMA, ch.decimal_comma), INDEX_SCHEMA)


def read_files(
    *,
    pupils: Path,
    schools: Path,
    index: Path | None = None,
    decisions: Path | None = None,
    rsu_groups: Path | None = None,
    source: str = "",
) -> AllocationInput:
    """Read and validate the files; raise ``InputError`` listing every problem found."""
    problems: list[Problem] = []
    school_table = _schools(Path(schools), problems)
    schools_file, pupils_file = Path(schools).name, Path(pupils).name  # named in messages
    pupil_table = _pupils(Path(pupils), school_table, problems, schools_file)
    index_table = _index(Path(index), school_table, problems, schools_file) if index else None
    decision_table = _decisions(Path(decisions), pupil_table, problems, pupils_file) if decisions else None
    rsu_table = _rsu(Path(rsu_groups), school_table, problems, schools_file) if rsu_groups else None
    if problems or school_table is None or pupil_table is None:
        raise InputError(problems or [Problem(str(pupils), None, None, "kunde inte läsas")])
    return AllocationInput(
        pupils=pupil_table,
        schools=school_table,
        index=index_table if index_table is not None else empty(INDEX_SCHEMA),
        decisions=decision_table if decision_table is not None else empty(DECISION_SCHEMA),
        rsu_groups=rsu_table if rsu_table is not None else empty(RSU_GROUP_SCHEMA),
        source=source or f"filer i {Path(pupils).parent}",
    )


def read_dir(path: str | Path) -> AllocationInput:
    """Read a directory written in the import format (``pupils.csv``, ``schools.csv`` and the
    optional ``school_index.csv``, ``decisions.csv``, ``rsu_groups.csv``)."""
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
        source=source,
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
    lines = [inputs.source or "Likvärd import format"]
    if "syntet" in inputs.source.lower():
        lines.append("Alla elever i de här filerna är syntetiska (påhittade); skolenheterna är verkliga där inget annat anges.")
    lines.append("Format: docs/formats.md")
    (d / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
