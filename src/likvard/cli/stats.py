"""``likvard valueadded``, ``index`` and ``expected``: the statistics on files or the demo.

This module does the I/O (reading CSV, writing JSON and charts); ``likvard.workflows`` fits.
The home municipality whose residents the index is about is the model's (``--model``), or
``--municipality CODE`` for any of Sweden's municipalities. User mistakes end in one readable
paragraph on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import DEFAULT_MODEL, demo_notice, t

if TYPE_CHECKING:  # the statistics stack (Polars, SciPy) is imported when a command runs, not for --help
    import polars as pl

    from likvard.engine.stats import StatsInputError

EXIT_USER_ERROR = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"{t('Fel', 'Error')}: {message}", err=True)
    return typer.Exit(EXIT_USER_ERROR)


def read_pupil_csv(path: Path) -> tuple[pl.DataFrame, str]:
    """Read any pupil-level CSV as text columns; detect BOM and the Swedish Excel dialect.

    Returns the frame and a description of the dialect. The Swedish dialect (``;`` between
    fields, decimal comma) is recognised by the header line having more ``;`` than ``,``; its
    numbers are turned into dot decimals (spaces as thousands separators are dropped).
    """
    import polars as pl

    from likvard.engine.stats import StatsInputError

    if not path.is_file():
        raise StatsInputError(f"file not found: {path}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")  # Excel's "CSV" on Swedish Windows
    header = text.split("\n", 1)[0]
    swedish = header.count(";") > header.count(",")
    sep = ";" if swedish else ","
    try:
        df = pl.read_csv(io.StringIO(text), separator=sep, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise StatsInputError(f"{path} could not be read as CSV: {exc}") from exc
    df = df.rename({c: c.strip() for c in df.columns})
    if swedish:
        df = df.with_columns(
            pl.col(c)
            .str.replace_all(r"[\s\u00a0]", "")
            .str.replace(",", ".", literal=True)
            .str.replace("\u2212", "-", literal=True)  # typographic minus from Excel/Word
            .alias(c)
            for c in df.columns
        )
        return df, "semicolon-separated, decimal comma"
    return df, "comma-separated"


def _user_error(err: StatsInputError, file_rows: bool) -> str:
    msg = str(err)
    if file_rows and err.rows:
        lines = ", ".join(str(r + 2) for r in err.rows)  # header is line 1
        msg += f" — in the file: line(s) {lines}"
    return msg


def _write(path: Path, payload: dict[str, Any]) -> None:
    """JSON written whole or not at all; a missing directory is refused, not created."""
    from .common import UserError, write_json

    try:
        write_json(path, payload)
    except UserError as err:
        raise _fail(str(err)) from None


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _where(df: Any, conditions: list[str]) -> Any:
    """Keep the rows where every ``COLUMN=VALUE`` holds (values compared as text)."""
    import polars as pl

    for condition in conditions:
        column, eq, value = condition.partition("=")
        column = column.strip()
        if not eq or not column:
            raise _fail(f"--where {condition!r}: " + t("skriv det som KOLUMN=VÄRDE, t.ex. --where grade=9", "write it as COLUMN=VALUE, e.g. --where grade=9"))
        if column not in df.columns:
            raise _fail(f"--where {condition!r}: " + t("filen har ingen kolumn {c!r} (den har: {cs})", "the file has no column {c!r} (it has: {cs})").format(c=column, cs=", ".join(df.columns)))
        df = df.filter(pl.col(column) == value.strip())
    return df


def _complete(df: Any, columns: list[str]) -> tuple[Any, int]:
    """Rows with a value in every column the model reads, and how many others were left out."""
    import polars as pl

    present = [c for c in columns if c in df.columns]  # a missing column is the fit's message
    kept = df.filter(pl.all_horizontal([pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "") for c in present])) if present else df
    return kept, df.height - kept.height


def valueadded(
    csv: Annotated[Path, typer.Option("--csv", help=t("CSV-fil på elevnivå", "pupil-level CSV file"))],
    outcome: Annotated[str, typer.Option(help=t("kolumnen med utfallet, t.ex. merit_value", "outcome column, e.g. merit_value"))],
    group: Annotated[str, typer.Option(help=t("kolumnen med gruppen, t.ex. school_unit_code", "group column, e.g. school_unit_code"))],
    covariates: Annotated[str, typer.Option(help=t("kommaseparerade kolumner med förklaringsvariabler; inga: nollmodellen, vars ICC säger hur stor del av utfallet som ligger mellan grupperna", "comma-separated covariate columns; none: the null model, whose ICC says how much of the outcome lies between groups"))] = "",
    where: Annotated[list[str] | None, typer.Option("--where", help=t("behåll bara rader där KOLUMN=VÄRDE, t.ex. --where grade=9 --where year=2024 (kan upprepas)", "keep only rows where COLUMN=VALUE, e.g. --where grade=9 --where year=2024 (repeatable)"))] = None,
    drop_missing: Annotated[bool, typer.Option("--drop-missing", help=t("utelämna rader som saknar ett värde modellen läser (fullständiga fall) och säg hur många", "leave out rows lacking a value the model reads (complete cases), and say how many"))] = False,
    ml: Annotated[bool, typer.Option("--ml", help=t("maximum likelihood i stället för REML", "maximum likelihood instead of REML"))] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help=t("skriv resultatet som JSON", "write results as JSON"))] = None,
) -> None:
    """Fit a random-intercept model (value added) to any pupil-level CSV."""
    from likvard.engine.stats import StatsInputError, fit_random_intercept

    covs = [c.strip() for c in covariates.split(",") if c.strip()]
    try:
        df, dialect = read_pupil_csv(csv)
        df = _where(df, where or [])
        df, dropped = _complete(df, [outcome, *covs, group]) if drop_missing else (df, 0)
        fit = fit_random_intercept(df, outcome, covs, group, method="ML" if ml else "REML")
    except StatsInputError as err:
        hint = "" if where else t(" (ett register har alla årskurser: --where grade=9 behåller eleverna i årskurs 9, som har utfall)", " (a register holds every grade: --where grade=9 keeps the year-9 pupils, who have outcomes)")
        hint += "" if drop_missing else t("; --drop-missing utelämnar rader utan värde", "; --drop-missing leaves out rows without a value")
        raise _fail(_user_error(err, file_rows=True) + hint) from None
    typer.echo(f"{csv} ({dialect}, {df.height} " + t("rader", "rows") + (", " + t("där", "where") + " " + f" {t('och', 'and')} ".join(where) if where else "") + ")")
    if dropped:
        typer.echo(t("{n} rader utelämnade: de saknar {cols} (bara fullständiga fall)", "{n} rows left out: they lack {cols} (complete cases only)").format(n=dropped, cols=", ".join([outcome, *covs, group])))
    typer.echo(fit.summary())
    total = fit.group_variance + fit.residual_variance
    typer.echo(t("intraklasskorrelation (ICC): {icc:.4f}", "intraclass correlation (ICC): {icc:.4f}").format(icc=fit.group_variance / total) if total > 0 else t("intraklasskorrelation: odefinierad", "intraclass correlation: undefined"))
    g = fit.groups
    typer.echo("\n" + t("gruppeffekter (empirisk Bayes, {lvl:.0%} intervall), de första 10 av {n}:", "group effects (empirical Bayes, {lvl:.0%} intervals), first 10 of {n}:").format(lvl=fit.level, n=g.height))
    for row in g.head(10).iter_rows(named=True):
        typer.echo(
            f"  {row['group']:<16} n={row['n']:<6} effect {row['effect']:>10.4f}  "
            f"[{row['lower']:.4f}, {row['upper']:.4f}]"
        )
    if json_out is not None:
        _write(json_out, valueadded_json(fit))
        typer.echo(f"{t('skrev', 'wrote')} {json_out}")


def valueadded_json(fit: Any) -> dict[str, Any]:
    """The JSON document of ``valueadded`` (also used by tests to compare with the engine)."""
    return {
        "method": fit.method,
        "outcome": fit.outcome,
        "group_column": fit.group,
        "n_obs": fit.n_obs,
        "converged": fit.converged,
        "log_likelihood": fit.loglik,
        "fixed": {n: float(v) for n, v in zip(fit.names, fit.fixed, strict=True)},
        "fixed_se": {n: float(v) for n, v in zip(fit.names, fit.fixed_se, strict=True)},
        "group_variance": fit.group_variance,
        "residual_variance": fit.residual_variance,
        "interval": fit.interval,
        "level": fit.level,
        "groups": [
            {
                "group": r["group"],
                "n": int(r["n"]),
                "effect": r["effect"],
                "se": r["se"],
                "lower": r["lower"],
                "upper": r["upper"],
            }
            for r in fit.groups.iter_rows(named=True)
        ],
    }


def _register(demo: bool, data: Path | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pupils and schools of the demo municipality or of a register directory."""
    if demo == (data is not None):
        raise _fail(t("ange antingen --demo eller --data KATALOG (ett register i importformatet, docs/formats.md)", "give either --demo or --data DIR (a register in the import format, docs/formats.md)"))
    if data is not None:
        from likvard.data.register import InputError, read_dir

        try:
            register = read_dir(data)
        except InputError as err:
            shown = "; ".join(str(p) for p in err.problems[:10])
            raise _fail(t("{n} fel i indata, inget beräknades: {shown}", "{n} problem{s} in the input, nothing was computed: {shown}").format(n=len(err.problems), s="" if len(err.problems) == 1 else "s", shown=shown)) from None
        return register.pupils, register.schools
    from likvard.workflows import demo_inputs

    demo_notice(1)
    inputs = demo_inputs()
    return inputs.pupils, inputs.schools


def _municipality(municipality: str | None, model: Path) -> str:
    """``--municipality`` when given (4 digits), else the model's municipality."""
    if municipality is not None:
        if not (len(municipality) == 4 and municipality.isdigit()):
            raise _fail(t("--municipality ska vara en kommunkod med 4 siffror (t.ex. 0180, 1480), inte {m!r}", "--municipality must be a 4-digit municipality code (e.g. 0180, 1480), not {m!r}").format(m=municipality))
        return municipality
    from likvard.engine.allocation import ModelError
    from likvard.workflows import load_model

    try:
        return load_model(model).municipality
    except ModelError as err:
        raise _fail(str(err)) from None


def _frame_rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    rows = df.to_dicts()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, float):
                r[k] = _finite(v)
    return rows


DataOption = Annotated[Path | None, typer.Option("--data", help=t("en katalog med registret i importformatet (docs/formats.md)", "a register directory in the import format (docs/formats.md)"))]
MunicipalityOption = Annotated[str | None, typer.Option("--municipality", help=t("indexets hemkommun (4 siffror; förval: modellens)", "home municipality of the index (4 digits; default: the model's)"))]
ModelOption = Annotated[Path, typer.Option("--model", help=t("fördelningsmodellen vars kommun är förvalet", "the allocation model whose municipality is the default"))]


def index(
    demo: Annotated[bool, typer.Option("--demo", help=t("använd demokommunen", "use the demo municipality"))] = False,
    data: DataOption = None,
    year: Annotated[int, typer.Option(help=t("registrets år", "register year"))] = 2024,
    json_out: Annotated[Path | None, typer.Option("--json", help=t("skriv resultatet som JSON", "write results as JSON"))] = None,
    municipality: MunicipalityOption = None,
    model: ModelOption = Path(DEFAULT_MODEL),
) -> None:
    """Socioeconomic index per school: fit on reference cohorts, index, moving average, quartile."""
    from likvard.workflows import WorkflowError, fit_index

    home = _municipality(municipality, model)
    pupils = _register(demo, data)[0]
    try:
        result = fit_index(pupils, year, home)
    except WorkflowError as err:
        raise _fail(str(err)) from None
    typer.echo(result.summary())
    if json_out is not None:
        payload = {
            "year": year,
            "municipality": home,
            "reference_years": list(result.model.reference_years),
            "coefficients": _frame_rows(result.model.fit.table()),
            "schools": _frame_rows(result.table),
        }
        _write(json_out, payload)
        typer.echo(f"{t('skrev', 'wrote')} {json_out}")


def expected(
    demo: Annotated[bool, typer.Option("--demo", help=t("använd demokommunen", "use the demo municipality"))] = False,
    data: DataOption = None,
    year: Annotated[int, typer.Option(help=t("registrets år", "register year"))] = 2024,
    adjust: Annotated[str, typer.Option(help=t("none, bonferroni eller holm (justering för många skolor)", "none, bonferroni or holm"))] = "none",
    json_out: Annotated[Path | None, typer.Option("--json", help=t("skriv resultatet som JSON", "write results as JSON"))] = None,
    charts: Annotated[Path | None, typer.Option("--charts", help=t("skriv diagrammen som SVG i den här katalogen", "write the charts as SVG into this directory"))] = None,
    area: Annotated[str | None, typer.Option(help=t("skolområde att markera i diagrammen faktiskt mot förväntat", "school area to highlight in the actual-vs-expected charts"))] = None,
    language: Annotated[str, typer.Option(help=t("diagrammens språk: sv eller en", "language of the charts: sv or en"))] = "sv",
    municipality: MunicipalityOption = None,
    model: ModelOption = Path(DEFAULT_MODEL),
) -> None:
    """Expected results and value added per school (merit value and eligibility)."""
    from likvard.exports.charts import TEXTS
    from likvard.workflows import WorkflowError, fit_year

    if adjust not in ("none", "bonferroni", "holm"):
        raise _fail(t("--adjust ska vara none, bonferroni eller holm, inte {a!r}", "--adjust must be none, bonferroni or holm, not {a!r}").format(a=adjust))
    if language not in TEXTS:
        raise _fail(t("--language ska vara sv eller en, inte {a!r}", "--language must be sv or en, not {a!r}").format(a=language))
    home = _municipality(municipality, model)
    pupils, schools = _register(demo, data)
    if area is not None and area not in set(schools.get_column("area").drop_nulls().to_list()):
        known = ", ".join(sorted(set(schools.get_column("area").drop_nulls().to_list())))
        raise _fail(t("--area {a!r} är inget skolområde i skollistan (kända: {k})", "--area {a!r} is not a school area in the school list (known: {k})").format(a=area, k=known))
    try:
        result = fit_year(pupils, year, home, adjust=adjust).expected
    except WorkflowError as err:
        raise _fail(str(err)) from None
    typer.echo(result.summary())
    if json_out is not None:
        table, gender = result.published()
        payload = {
            "year": year,
            "municipality": home,
            "level": result.level,
            "adjust": result.adjust,
            "schools": _frame_rows(table),
            "by_gender": _frame_rows(gender),
        }
        _write(json_out, payload)
        typer.echo(f"{t('skrev', 'wrote')} {json_out}")
    if charts is not None:
        for path in _write_charts(result.table, schools, charts, area, language):
            typer.echo(f"{t('skrev', 'wrote')} {path}")


def _write_charts(table: pl.DataFrame, schools: pl.DataFrame, out: Path, area: str | None, language: str) -> list[Path]:
    """Both charts for both outcomes as SVG (value added with intervals; actual vs expected)."""
    from likvard.exports.charts import actual_expected_spec, caterpillar_spec, render

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for outcome in ("merit_value", "eligible_vocational"):
        specs = {
            f"value-added-{outcome}.svg": caterpillar_spec(table, outcome=outcome, schools=schools, language=language, area=area),  # type: ignore[arg-type]
            f"actual-expected-{outcome}.svg": actual_expected_spec(table, outcome=outcome, schools=schools, area=area, language=language),  # type: ignore[arg-type]
        }
        for name, spec in specs.items():
            path = out / name
            path.write_text(str(render(spec, "svg")), encoding="utf-8")
            written.append(path)
    return written


def register(app: typer.Typer) -> None:
    """Add the statistics commands to the main ``likvard`` app, their help in the locale's language."""
    from .common import t

    app.command("valueadded", help=t("Anpassa en modell med slumpmässigt intercept (förädlingsvärde) till valfri CSV på elevnivå.", "Fit a random-intercept model (value added) to any pupil-level CSV."))(valueadded)
    app.command("index", help=t("Socioekonomiskt index per skola: skattat på referensårskullar, index, glidande medelvärde, kvartil.", "Socioeconomic index per school: fit on reference cohorts, index, moving average, quartile."))(index)
    app.command("expected", help=t("Förväntade resultat och förädlingsvärde per skola (meritvärde och behörighet).", "Expected results and value added per school (merit value and eligibility)."))(expected)
