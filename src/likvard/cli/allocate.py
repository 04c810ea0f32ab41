"""``likvard allocate``, ``compare`` and ``demo-data``: the allocation on files or the demo.

The commands read their inputs (the demo, a directory in the import format, or files) and
hand them to ``likvard.workflows``; the workflow does the index step and the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from likvard.money import format_ore

from .common import DEFAULT_MODEL, UserError, demo_notice, t, user_errors, write_json, write_xlsx


def load_inputs(
    demo: bool,
    seed: int,
    data_dir: Path | None,
    pupils: Path | None,
    schools: Path | None,
    index: Path | None = None,
    decisions: Path | None = None,
    rsu_groups: Path | None = None,
) -> Any:
    """The run's inputs: the demo municipality, a directory in the import format, or files."""
    if demo:
        if data_dir or pupils or schools:
            raise UserError(t("ange antingen --demo eller indatafiler, inte båda", "give either --demo or input files, not both"))
        from likvard.workflows import demo_inputs

        demo_notice(seed)
        return demo_inputs(seed)
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
IndexSourceOpt = Annotated[
    str,
    typer.Option(
        "--index-source",
        help=t(
            "auto (importerat index om det finns, annars skattat ur registret), imported eller estimated.",
            "auto (the imported index when there is one, else estimated from the register), imported or estimated.",
        ),
    ),
]


def other_year_notice(model_year: int, year: int | None) -> None:
    """A run of one year's model on another year's register is allowed (what-if) but said."""
    if year is not None and year != model_year:
        typer.echo(t(f"Obs: modellen gäller {model_year}; den används här på registret för {year}.",
                     f"Note: the model is {model_year}'s; it is used here on the register of {year}."), err=True)


def index_mode(demo: bool, interim_index: bool, index_source: str) -> Any:
    """The workflow's index mode: the demo estimates its index unless the interim one is asked for."""
    if index_source not in ("auto", "imported", "estimated"):
        raise UserError(t(f"--index-source ska vara auto, imported eller estimated, inte {index_source!r}", f"--index-source must be auto, imported or estimated, not {index_source!r}"))
    if demo and index_source == "auto":
        return "imported" if interim_index else "estimated"
    return index_source
SetOpt = Annotated[list[str] | None, typer.Option("--set", help=t("Ändra en modellnyckel, t.ex. socioeconomic.base_amount=3000.", "Change a model key, e.g. socioeconomic.base_amount=3000."))]


def print_summary(data: dict[str, Any]) -> None:
    """The run's reconciliation: pots and transfers must be exact to the öre; a budget's
    difference is a forecast gap (issue 8, item 12)."""
    model = data["model"]
    typer.echo(f"{model['name']} — {t('år', 'year')} {model['year']} ({model['id']})")
    if data.get("data_source"):
        typer.echo(f"{t('Data', 'Data')}: {data['data_source']}")
    if model.get("illustrative_components"):
        typer.echo(t("Exempelvärden (saknas i källorna): ", "Illustrative amounts (not in the sources): ") + ", ".join(model["illustrative_components"]))
    typer.echo("")
    words = {"pot": t("pott", "pot"), "budget": t("budget", "budget"), "transfer": t("överföring", "transfer"), "fixed_grant": t("fast bidrag", "fixed grant")}
    typer.echo(f"{t('Pott', 'Pot'):<52} {t('Typ', 'Kind'):<12} {t('Belopp', 'Amount'):>20} {t('Fördelat', 'Distributed'):>20} {t('Skillnad', 'Difference'):>16}")
    for p in data["pots"]:
        kind = words.get(p["kind"], p["kind"])
        typer.echo(f"{p['label'][:52]:<52} {kind:<12} {format_ore(p['amount_ore']):>20} {format_ore(p['distributed_ore']):>20} {format_ore(p['difference_ore']):>16}")
    exact = [p for p in data["pots"] if p["kind"] in ("pot", "transfer")]
    gap = sum(p["difference_ore"] for p in data["pots"] if p["kind"] == "budget")
    typer.echo("")
    typer.echo(f"{t('Skolor', 'Schools')}: {len(data['schools'])}; {t('summa', 'total')} {format_ore(data['total_ore'])}")
    if all(p["difference_ore"] == 0 for p in exact):
        typer.echo(t(f"Potter och överföringar ({len(exact)}): alla potter stämmer på öret.", f"Pots and transfers ({len(exact)}): every pot reconciles to the öre."))
    else:
        typer.echo(t("POTTERNA STÄMMER INTE på öret: ", "THE POTS DO NOT RECONCILE to the öre: ") + "; ".join(p["label"] for p in exact if p["difference_ore"]))
    typer.echo(t(f"Budgetar (betalas per elev eller beslut): sammanlagt {format_ore(gap)} kvar mot budget — en prognosavvikelse, inget fel.",
                 f"Budgets (paid per pupil or decision): {format_ore(gap)} left against budget in all — a forecast gap, not an error."))
    left = data.get("unallocated", [])
    if left:
        typer.echo(t(f"OBETALT: {len(left)} poster i indata som ingen komponent betalade:", f"UNPAID: {len(left)} input records no component paid:"))
        for u in left[:20]:
            where = f" ({u['school_unit_code']})" if u["school_unit_code"] else ""
            typer.echo(f"  {u['kind']} {u['record']}{where}: {t(u['reason'], u.get('reason_en') or u['reason'])}")
        if len(left) > 20:
            typer.echo(t(f"  … och {len(left) - 20} till (se JSON-filens unallocated)", f"  … and {len(left) - 20} more (see the JSON's unallocated)"))
    else:
        typer.echo(t("Allt i indata är betalt av någon komponent (inget obetalt).", "Every input record is paid by some component (nothing unallocated)."))


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
    index_source: IndexSourceOpt = "auto",
) -> None:
    from likvard.workflows import allocate, scenario_model

    with user_errors():
        spec = scenario_model(model, set_ or ())
        other_year_notice(spec.year, year)
        inputs = load_inputs(demo, seed, data, pupils, schools, index, decisions, rsu_groups)
        mode = index_mode(demo, interim_index, index_source)
        out = allocate(spec, inputs, year, index=mode, index_file=index.name if index else "school_index.csv").result.to_dict()
        if json_out:
            write_json(json_out, out)
        if xlsx_out:
            write_xlsx(xlsx_out, out)
    print_summary(out)
    for path in (json_out, xlsx_out):
        if path:
            typer.echo(f"{t('Skrev', 'Wrote')} {path}")


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
    index_source: IndexSourceOpt = "auto",
) -> None:
    from likvard.workflows import compare_models, load_model, scenario_model

    with user_errors():
        if not set_ and model_b is None:
            raise UserError(t("ange --set eller --model-b: annars finns inget att jämföra", "give --set or --model-b: otherwise there is nothing to compare"))
        before_model = load_model(model)
        after_model = scenario_model(model_b or model, set_ or ())
        other_year_notice(after_model.year, year)
        inputs = load_inputs(demo, seed, data, pupils, schools, index, decisions, rsu_groups)
        mode = index_mode(demo, interim_index, index_source)
        comparison, _ = compare_models(before_model, after_model, inputs, year, index=mode, index_file=index.name if index else "school_index.csv")
        out = comparison.to_dict()
        if json_out:
            write_json(json_out, out)
        if xlsx_out:
            write_xlsx(xlsx_out, out)
    typer.echo(t("Skillnad per komponent (efter − före):", "Difference per component (after − before):"))
    labels = {c["id"]: c["label"] for c in out.get("components", [])}
    for c in out["components_diff"]:
        if c["diff_ore"]:
            typer.echo(f"  {labels.get(c['component'], c['component'])[:48]:<48} {format_ore(c['diff_ore']):>20}")
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


def demo_data_cmd(
    out: Annotated[Path, typer.Option("--out", help=t("Katalog att skriva till.", "Directory to write to."))],
    seed: SeedOpt = 1,
) -> None:
    from likvard.data.demo import build
    from likvard.data.register import write_dir
    from likvard.data.skolverket import read_skolverket

    from .goals import DEFAULT_PLAN, _model_municipality

    with user_errors():
        inputs = build(seed=seed)
        write_dir(inputs, out)
        # the goal follow-up's files beside the register: plan, synthetic survey, targets, Skolverket
        from likvard.data.demo import PLANNED_DIR, RESULTS_CSV
        from likvard.data.demo_outcomes import write_goal_files

        write_goal_files(out, Path(DEFAULT_PLAN), inputs.schools, read_skolverket([PLANNED_DIR, RESULTS_CSV]).statistics, _model_municipality(), seed)
    typer.echo(t(f"Skrev demokommunen (seed {seed}) till {out}: {inputs.pupils.height} elevrader, {inputs.schools.height} skolor.",
                 f"Wrote the demo municipality (seed {seed}) to {out}: {inputs.pupils.height} pupil rows, {inputs.schools.height} schools."))


def sweep_cmd(
    vary: Annotated[list[str], typer.Option("--vary", help=t("Nyckel och värden: NYCKEL=FRÅN:TILL:STEG (TILL ingår), t.ex. socioeconomic.base_amount=1000:3000:10; kan upprepas (alla kombinationer).", "Key and values: KEY=FROM:TO:STEP (TO included), e.g. socioeconomic.base_amount=1000:3000:10; repeatable (every combination)."))],
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
    interim_index: InterimOpt = False,
    index_source: IndexSourceOpt = "auto",
) -> None:
    import time

    from likvard.engine.allocation import parse_vary
    from likvard.workflows import load_model, sweep_model

    with user_errors():
        spec = load_model(model)
        varied = [parse_vary(v) for v in vary]
        other_year_notice(spec.year, year)
        inputs = load_inputs(demo, seed, data, pupils, schools, index, decisions, rsu_groups)
        mode = index_mode(demo, interim_index, index_source)
        started = time.perf_counter()
        result = sweep_model(spec, inputs, varied, year, index=mode, index_file=index.name if index else "school_index.csv")
        seconds = time.perf_counter() - started
        if json_out:
            write_json(json_out, {"model": {"id": spec.id, "year": spec.year, "version": spec.version}, **result.to_dict()})
    n = len(result.values)
    typer.echo(t(f"{n} scenarier på {seconds:.1f} s, {len(result.schools)} skolor.", f"{n} scenarios in {seconds:.1f} s, {len(result.schools)} schools."))
    for v in result.varied:
        typer.echo(f"  {v.key}: {v.values[0]} … {v.values[-1]} ({len(v.values)} {t('värden', 'values')})")
    totals = result.totals.sum(axis=1)
    typer.echo(t(f"Summa per scenario: {format_ore(int(totals.min()))} – {format_ore(int(totals.max()))}.", f"Total per scenario: {format_ore(int(totals.min()))} – {format_ore(int(totals.max()))}."))
    for pot, paid in result.pots.items():
        exact = bool((paid == result.pot_amounts[pot]).all())
        typer.echo(f"  {pot}: {t('stämmer på öret i alla scenarier', 'exact to the öre in every scenario') if exact else t('STÄMMER INTE', 'DOES NOT RECONCILE')}")
    if json_out:
        typer.echo(f"{t('Skrev', 'Wrote')} {json_out}")


def register(app: typer.Typer) -> None:
    app.command("allocate", help=t("Fördela årets pengar till skolorna och skriv varje skolas beräkning.", "Allocate the year's money to schools and write each school's statement."))(allocate_cmd)
    app.command("compare", help=t("Jämför två modeller eller en modell med ändringar: skillnad per skola och komponent.", "Compare two models, or a model with changes: difference per school and component."))(compare_cmd)
    app.command("sweep", help=t("Kör modellen för många värden på ett eller flera belopp: varje skolas summa och varje potts fördelning per scenario.", "Run the model for many values of one or more amounts: every school's total and every pot's sum per scenario."))(sweep_cmd)
    app.command("demo-data", help=t("Skriv demokommunens register och skolor som filer i importformatet.", "Write the demo municipality's register and schools as files in the import format."))(demo_data_cmd)
