"""The ``likvard`` command.

Why: analysts and controllers work on files too, not only in the browser. The CLI calls the
engine directly. A user error (a bad file, a bad model, a pot that cannot be met) ends with
exit status 2 and a one-paragraph message, never a traceback, and writes no output file.
Help texts are Swedish when the locale is Swedish (``LANG=sv_SE.UTF-8`` or
``LIKVARD_LANG=sv``), English otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from likvard.money import MoneyError, format_ore


def _swedish() -> bool:
    lang = os.environ.get("LIKVARD_LANG") or os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return lang.lower().startswith("sv")


def t(sv: str, en: str) -> str:
    """Pick the Swedish or English text for help and messages."""
    return sv if _swedish() else en


app = typer.Typer(
    help=t(
        "Likvärd: resursfördelning, index och resultat för en kommuns skolor.",
        "Likvärd: resource allocation, index and results for a municipality's schools.",
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_MODEL = "models/stockholm-2024"


class UserError(Exception):
    """Something the user can fix; shown as one paragraph, exit status 2."""


def fail(message: str) -> NoReturn:
    typer.echo(f"{t('Fel', 'Error')}: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn every error a user can cause into a one-paragraph message and exit status 2."""
    from likvard.engine.allocation import AllocationError, ModelError
    from likvard.engine.stats import StatsInputError

    handled: tuple[type[BaseException], ...] = (
        UserError, ModelError, AllocationError, MoneyError, StatsInputError, FileNotFoundError, IsADirectoryError, PermissionError,
    )
    try:
        from likvard.data.register import InputError

        handled = (*handled, InputError)
    except ImportError:  # pragma: no cover - the reader module is part of the package
        pass
    try:
        yield
    except handled as exc:
        fail(_message(exc))


def _message(exc: BaseException) -> str:
    problems = getattr(exc, "problems", None)
    if problems:
        shown = [str(p) for p in problems[:20]]
        more = len(problems) - len(shown)
        tail = t(f" … och {more} problem till.", f" … and {more} more problems.") if more > 0 else ""
        return t(f"{len(problems)} problem i indata, inget har skrivits: ", f"{len(problems)} problems in the input, nothing was written: ") + "; ".join(shown) + tail
    if isinstance(exc, FileNotFoundError):
        return t(f"filen finns inte: {exc.filename or exc}", f"file not found: {exc.filename or exc}")
    return str(exc)


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same directory, so a failure leaves no file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    _write_atomic(path, lambda p: p.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8"))


def _write_xlsx(path: Path, data: dict[str, Any]) -> None:
    from likvard.reports.xlsx import write_allocation_xlsx

    _write_atomic(path, lambda p: write_allocation_xlsx(data, p))


def load_inputs(
    demo: bool,
    seed: int,
    data_dir: Path | None,
    pupils: Path | None,
    schools: Path | None,
    index: Path | None = None,
    decisions: Path | None = None,
    rsu_groups: Path | None = None,
    *,
    year: int | None = None,
    interim_index: bool = False,
) -> Any:
    """The run's inputs: the demo municipality (with the estimated index unless
    ``interim_index``), a directory in the import format, or files."""
    if demo:
        if data_dir or pupils or schools:
            raise UserError(t("ange antingen --demo eller indatafiler, inte båda", "give either --demo or input files, not both"))
        from likvard.pipeline import demo_inputs

        return demo_inputs(seed=seed, year=year or 2024, estimated_index=not interim_index)
    from likvard.data import register

    if data_dir is not None:
        return register.read_dir(data_dir)
    if pupils is None or schools is None:
        raise UserError(t("ange --demo, --data KATALOG eller både --pupils och --schools", "give --demo, --data DIR or both --pupils and --schools"))
    return register.read_files(pupils=pupils, schools=schools, index=index, decisions=decisions, rsu_groups=rsu_groups)


DemoOpt = Annotated[bool, typer.Option("--demo", help=t("Kör på demokommunen (syntetiska elever).", "Run on the demo municipality (synthetic pupils)."))]
SeedOpt = Annotated[int, typer.Option("--seed", help=t("Slumpfrö för demokommunen.", "Seed of the demo municipality."))]
DataOpt = Annotated[Path | None, typer.Option("--data", help=t("Katalog med indatafiler (docs/formats.md).", "Directory with input files (docs/formats.md)."))]
PupilsOpt = Annotated[Path | None, typer.Option("--pupils", help=t("Elevregister (CSV).", "Pupil register (CSV)."))]
SchoolsOpt = Annotated[Path | None, typer.Option("--schools", help=t("Skolregister (CSV).", "School list (CSV)."))]
IndexOpt = Annotated[Path | None, typer.Option("--index", help=t("Index per skola och år (CSV).", "Index per school and year (CSV)."))]
DecisionsOpt = Annotated[Path | None, typer.Option("--decisions", help=t("Individuella beslut (CSV).", "Individual decisions (CSV)."))]
RsuOpt = Annotated[Path | None, typer.Option("--rsu-groups", help=t("RSU-grupper (CSV).", "RSU groups (CSV)."))]
ModelOpt = Annotated[Path, typer.Option("--model", help=t("Modellkatalog (TOML-filer).", "Model directory (TOML files)."))]
YearOpt = Annotated[int | None, typer.Option("--year", help=t("Budgetår (standard: modellens år).", "Budget year (default: the model's year)."))]
JsonOpt = Annotated[Path | None, typer.Option("--json", help=t("Skriv resultatet som JSON.", "Write the result as JSON."))]
XlsxOpt = Annotated[Path | None, typer.Option("--xlsx", help=t("Skriv resultatet som Excel-arbetsbok.", "Write the result as an Excel workbook."))]
InterimOpt = Annotated[bool, typer.Option("--interim-index", help=t("Demokommunen: använd det enkla interimsindexet i stället för det skattade.", "Demo: use the simple interim index instead of the estimated one."))]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help=t("Ändra en modellnyckel, t.ex. socioeconomic.base_amount=3000.", "Change a model key, e.g. socioeconomic.base_amount=3000."))]


def _print_summary(data: dict[str, Any]) -> None:
    model = data["model"]
    typer.echo(f"{model['name']} — {t('år', 'year')} {model['year']} ({model['id']})")
    if data.get("data_source"):
        typer.echo(f"{t('Data', 'Data')}: {data['data_source']}")
    if model.get("illustrative_components"):
        typer.echo(t("Exempelvärden (saknas i källorna): ", "Illustrative amounts (not in the sources): ") + ", ".join(model["illustrative_components"]))
    typer.echo("")
    typer.echo(f"{t('Pott', 'Pot'):<58} {t('Belopp', 'Amount'):>20} {t('Fördelat', 'Distributed'):>20} {t('Skillnad', 'Difference'):>16}")
    for p in data["pots"]:
        typer.echo(f"{p['label'][:58]:<58} {format_ore(p['amount_ore']):>20} {format_ore(p['distributed_ore']):>20} {format_ore(p['difference_ore']):>16}")
    typer.echo("")
    typer.echo(f"{t('Skolor', 'Schools')}: {len(data['schools'])}; {t('summa', 'total')} {format_ore(data['total_ore'])}; "
               + (t("alla potter stämmer på öret", "every pot reconciles to the öre") if data["reconciled"] else t("AVSTÄMNINGEN STÄMMER INTE", "RECONCILIATION FAILED")))


@app.command("allocate", help=t("Fördela årets pengar till skolorna och skriv varje skolas beräkning.", "Allocate the year's money to schools and write each school's statement."))
def allocate_cmd(
    demo: DemoOpt = False,
    seed: SeedOpt = 1,
    data: DataOpt = None,
    pupils: PupilsOpt = None,
    schools: SchoolsOpt = None,
    index: IndexOpt = None,
    decisions: DecisionsOpt = None,
    rsu_groups: RsuOpt = None,
    model: ModelOpt = Path(DEFAULT_MODEL),
    year: YearOpt = None,
    json_out: JsonOpt = None,
    xlsx_out: XlsxOpt = None,
    set_: SetOpt = None,
    interim_index: InterimOpt = False,
) -> None:
    from likvard.engine.allocation import load_model, run, with_overrides

    with user_errors():
        spec = load_model(model)
        if set_:
            spec = with_overrides(spec, set_)
        inputs = load_inputs(demo, seed, data, pupils, schools, index, decisions, rsu_groups, year=year, interim_index=interim_index)
        result = run(spec, inputs, year)
        out = result.to_dict()
        if json_out:
            _write_json(json_out, out)
        if xlsx_out:
            _write_xlsx(xlsx_out, out)
    _print_summary(out)
    for path in (json_out, xlsx_out):
        if path:
            typer.echo(f"{t('Skrev', 'Wrote')} {path}")


@app.command("compare", help=t("Jämför två modeller eller en modell med ändringar: skillnad per skola och komponent.", "Compare two models, or a model with changes: difference per school and component."))
def compare_cmd(
    demo: DemoOpt = False,
    seed: SeedOpt = 1,
    data: DataOpt = None,
    pupils: PupilsOpt = None,
    schools: SchoolsOpt = None,
    index: IndexOpt = None,
    decisions: DecisionsOpt = None,
    rsu_groups: RsuOpt = None,
    model: ModelOpt = Path(DEFAULT_MODEL),
    model_b: Annotated[Path | None, typer.Option("--model-b", help=t("Modellen att jämföra med (standard: samma modell med --set).", "The model to compare with (default: the same model with --set)."))] = None,
    year: YearOpt = None,
    json_out: JsonOpt = None,
    xlsx_out: XlsxOpt = None,
    set_: SetOpt = None,
    interim_index: InterimOpt = False,
) -> None:
    from likvard.engine.allocation import compare, load_model, run, with_overrides

    with user_errors():
        before_model = load_model(model)
        after_model = load_model(model_b) if model_b else before_model
        if set_:
            after_model = with_overrides(after_model, set_)
        if after_model is before_model:
            raise UserError(t("ange --set eller --model-b: annars finns inget att jämföra", "give --set or --model-b: otherwise there is nothing to compare"))
        inputs = load_inputs(demo, seed, data, pupils, schools, index, decisions, rsu_groups, year=year, interim_index=interim_index)
        comparison = compare(run(before_model, inputs, year), run(after_model, inputs, year))
        out = comparison.to_dict()
        if json_out:
            _write_json(json_out, out)
        if xlsx_out:
            _write_xlsx(xlsx_out, out)
    typer.echo(t("Skillnad per komponent (efter − före):", "Difference per component (after − before):"))
    for c in out["components_diff"]:
        if c["diff_ore"]:
            typer.echo(f"  {c['component']:<32} {format_ore(c['diff_ore']):>20}")
    ranked = comparison.per_school()
    names = dict(zip(comparison.after.schools["school_unit_code"].to_list(), comparison.after.schools["name"].to_list(), strict=True))
    typer.echo(t(f"Vinnare: {len(out['winners'])} skolor, förlorare: {len(out['losers'])} skolor.", f"Winners: {len(out['winners'])} schools, losers: {len(out['losers'])} schools."))
    for label, rows in ((t("Störst ökning", "Largest gains"), ranked.head(5)), (t("Störst minskning", "Largest losses"), ranked.tail(5).reverse())):
        typer.echo(f"{label}:")
        for r in rows.iter_rows(named=True):
            typer.echo(f"  {r['school_unit_code']} {names.get(r['school_unit_code'], '')[:40]:<40} {format_ore(r['diff_ore']):>18}")
    for path in (json_out, xlsx_out):
        if path:
            typer.echo(f"{t('Skrev', 'Wrote')} {path}")


@app.command("demo-data", help=t("Skriv demokommunens register och skolor som filer i importformatet.", "Write the demo municipality's register and schools as files in the import format."))
def demo_data_cmd(
    out: Annotated[Path, typer.Option("--out", help=t("Katalog att skriva till.", "Directory to write to."))],
    seed: SeedOpt = 1,
) -> None:
    from likvard.data.demo import build
    from likvard.data.register import write_dir

    with user_errors():
        inputs = build(seed=seed)
        write_dir(inputs, out)
    typer.echo(t(f"Skrev demokommunen (seed {seed}) till {out}: {inputs.pupils.height} elevrader, {inputs.schools.height} skolor.",
                 f"Wrote the demo municipality (seed {seed}) to {out}: {inputs.pupils.height} pupil rows, {inputs.schools.height} schools."))


def _register_optional() -> None:
    """Commands of other modules (statistics, web) register themselves when present."""
    for module in ("likvard.cli_stats", "likvard.web.cli"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        register = getattr(mod, "register", None)
        if register is not None:
            register(app)


_register_optional()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
