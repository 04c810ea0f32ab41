"""``likvard interventions report``: what central support schools got, when and from whom
(seed 004's question), on the demo or a data directory's ``interventions.toml``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import demo_notice, fail, t, user_errors, write_bytes, write_json

group = typer.Typer(help=t("Insatskatalogen och stödet till skolorna.", "The intervention catalogue and the support schools got."), no_args_is_help=True)


def report_cmd(
    schools: Annotated[str, typer.Option("--schools", help=t("Skolenhetskoder, kommaseparerade.", "School unit codes, comma-separated."))],
    first: Annotated[int, typer.Option("--from", help=t("Första året.", "First year."))] = 2021,
    last: Annotated[int, typer.Option("--to", help=t("Sista året.", "Last year."))] = 2025,
    demo: Annotated[bool, typer.Option("--demo", help=t("Demokommunen.", "The demo municipality."))] = False,
    data: Annotated[Path | None, typer.Option("--data", help=t("Katalog med register och interventions.toml.", "Directory with the register and interventions.toml."))] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help=t("Skriv resultatet som JSON.", "Write the result as JSON."))] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help=t("Skriv rapporten som PDF.", "Write the report as PDF."))] = None,
    docx: Annotated[Path | None, typer.Option("--docx", help=t("Skriv rapporten som Word-dokument.", "Write the report as a Word document."))] = None,
) -> None:
    """Per school every intervention in the years asked: name, provider, start, end, status."""
    import polars as pl

    from likvard.data.interventions import DEMO_CATALOGUE, read_interventions
    from likvard.workflows.interventions import support_report, with_synthetic_history

    if demo == (data is not None):
        fail(t("ange antingen --demo eller --data KATALOG", "give either --demo or --data DIR"))
    codes = [c.strip() for c in schools.split(",") if c.strip()]
    with user_errors():
        if data is not None:
            from likvard.data.register import read_dir

            register = read_dir(data)
            school_frame = register.schools
            catalogue = read_interventions(data / "interventions.toml")
        else:
            from likvard.workflows import demo_inputs

            demo_notice(1)
            school_frame = demo_inputs().schools
            own = school_frame.filter(pl.col("operator") == "municipal").select("school_unit_code", "name").rows()
            catalogue = with_synthetic_history(read_interventions(DEMO_CATALOGUE), own)
        names = dict(school_frame.select("school_unit_code", "name").iter_rows())
        unknown = [c for c in codes if c not in names]
        if unknown:
            fail(t(f"skolenheterna finns inte i skolregistret: {', '.join(unknown)}", f"not in the school register: {', '.join(unknown)}"))
        doc = support_report(catalogue, codes, min(first, last), max(first, last), names)
        if json_out:
            write_json(json_out, doc)
        from likvard.exports.support import support_docx, support_pdf

        write_bytes(pdf, lambda: support_pdf(doc))
        write_bytes(docx, lambda: support_docx(doc))
    for s in doc["schools"]:
        typer.echo(f"{s['name']} ({s['school_unit_code']}): {len(s['interventions'])} {t('insatser', 'interventions')}")
        for i in s["interventions"]:
            period = str(i["start"]) if i["start"] == i["end"] else f"{i['start']}–{i['end']}"
            typer.echo(f"  {period:<10} {i['name'][:60]:<60} {i['provider'][:30]}")
    for path in (json_out, pdf, docx):
        if path:
            typer.echo(f"{t('Skrev', 'Wrote')} {path}")


group.command("report", help=t("Stödet per skola och år (insats, utförare, period, status).", "The support per school and year (intervention, provider, period, status)."))(report_cmd)


def effect_cmd(
    intervention: Annotated[str, typer.Option("--intervention", help=t("Insatsens nyckel (key) i katalogen.", "The intervention's key in the catalogue."))],
    outcome: Annotated[str, typer.Option("--outcome", help=t("merit_value, eligible eller all_subjects.", "merit_value, eligible or all_subjects."))] = "merit_value",
    demo: Annotated[bool, typer.Option("--demo", help=t("Demokommunen.", "The demo municipality."))] = False,
    data: Annotated[Path | None, typer.Option("--data", help=t("Katalog med register, interventions.toml och skolverket/.", "Directory with the register, interventions.toml and skolverket/."))] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help=t("Skriv resultatet som JSON.", "Write the result as JSON."))] = None,
) -> None:
    """The intervention's effect on an outcome: the participating schools' change against
    comparable schools that did not take part (difference-in-differences), with caveats."""
    from likvard.data.interventions import DEMO_CATALOGUE, read_interventions
    from likvard.engine.stats import StatsInputError
    from likvard.workflows.interventions import EFFECT_OUTCOMES, effect_panel, intervention_effect

    if demo == (data is not None):
        fail(t("ange antingen --demo eller --data KATALOG", "give either --demo or --data DIR"))
    if outcome not in EFFECT_OUTCOMES:
        fail(t(f"--outcome ska vara ett av {', '.join(EFFECT_OUTCOMES)}, inte {outcome!r}", f"--outcome must be one of {', '.join(EFFECT_OUTCOMES)}, not {outcome!r}"))
    with user_errors():
        from likvard.data.skolverket import read_skolverket

        if data is not None:
            from likvard.data.register import read_dir

            index = read_dir(data).index
            catalogue = read_interventions(data / "interventions.toml")
            sources = sorted((data / "skolverket").iterdir()) if (data / "skolverket").is_dir() else []
        else:
            import polars as pl

            from likvard.data.demo import PLANNED_DIR, RESULTS_CSV
            from likvard.workflows import demo_inputs
            from likvard.workflows.interventions import with_synthetic_history

            demo_notice(1)
            inputs = demo_inputs()
            index = inputs.index
            own = inputs.schools.filter(pl.col("operator") == "municipal").select("school_unit_code", "name").rows()
            catalogue = with_synthetic_history(read_interventions(DEMO_CATALOGUE), own)
            sources = [PLANNED_DIR, RESULTS_CSV]
        if intervention not in {i.key for i in catalogue.interventions}:
            fail(t(f"insatsen {intervention!r} finns inte i katalogen (nycklar: {', '.join(sorted(i.key for i in catalogue.interventions))})",
                   f"no intervention {intervention!r} in the catalogue (keys: {', '.join(sorted(i.key for i in catalogue.interventions))})"))
        statistics = read_skolverket(sources).statistics
        try:
            found = intervention_effect(catalogue, intervention, effect_panel(statistics, index, outcome))
        except StatsInputError as err:
            fail(str(err))
        result = found["result"]
        doc = {"intervention": intervention, "outcome": outcome, **found["doc"]}
        if json_out:
            write_json(json_out, doc)
    interval = (t(f"{result.level:.0%} intervall {result.lower:+.1f} till {result.upper:+.1f}", f"{result.level:.0%} interval {result.lower:+.1f} to {result.upper:+.1f}")
                if doc.get("lower") is not None else t("inget intervall", "no interval"))
    typer.echo(t(f"Effekt på {outcome}: {result.estimate:+.1f} ({interval}); {result.treated_schools} deltagande och {result.comparison_schools} jämförelseskolor.",
                 f"Effect on {outcome}: {result.estimate:+.1f} ({interval}); {result.treated_schools} participating and {result.comparison_schools} comparison schools."))
    for caveat in doc["caveats"] if t("sv", "en") == "sv" else doc.get("caveats_en") or doc["caveats"]:
        typer.echo(f"  {t('Obs', 'Note')}: {caveat}")
    if json_out:
        typer.echo(f"{t('Skrev', 'Wrote')} {json_out}")


def register(app: typer.Typer) -> None:
    app.command("effect", help=t("En insats effekt på ett resultat (skillnad-i-skillnader), med förbehåll.", "An intervention's effect on an outcome (difference-in-differences), with caveats."))(effect_cmd)
    app.add_typer(group, name="interventions", help=t("Insatskatalogen och stödet till skolorna.", "The intervention catalogue and the support schools got."))
