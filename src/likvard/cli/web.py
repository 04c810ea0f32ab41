"""The database commands: ``import``, ``run``, ``user``, ``token`` and ``serve``.

They use the same database as ``likvard serve`` (``LIKVARD_HOME``/var or ``DATABASE_URL``) and
the same actions as the web, so what a controller imports on the command line is what the
browser shows and the other way round.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from .common import t, user_errors, write_json


def _django(demo: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "likvard.web.settings")
    if demo:
        os.environ["LIKVARD_DEMO"] = "1"
        # demo only: a fixed pseudonym key so that imports with personal identity numbers work
        os.environ.setdefault("LIKVARD_PSEUDONYM_KEY", "demo-only-pseudonym-key-not-for-real-data-0000")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        typer.echo(f"{t('Fel', 'Error')}: {exc}", err=True)
        raise typer.Exit(2) from None


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def serve(
    demo: Annotated[bool, typer.Option("--demo", help=t("Ladda demokommunen och demoanvändarna (lösenord demo).", "Load the demo municipality and the demo users (password demo)."))] = False,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[
        int,
        typer.Option("--workers", help=t("0 = Djangos trådade utvecklingsserver (demo); N > 0 = gunicorn med N processer (drift).", "0 = Django's threaded development server (demo); N > 0 = gunicorn with N processes (production)."), min=0),
    ] = 0,
) -> None:
    """Migrera databasen, (med --demo) ladda demokommunen och starta webbservern."""
    _django(demo)
    _migrate()
    if demo:
        from likvard.web.demo import load_demo

        run, users = load_demo()
        typer.echo(f"Demokommunen är laddad: körning {run.pk} ({run.model_id}, {run.year}), {run.schools.count()} skolor.")
        typer.echo("Demoanvändare (lösenord: demo):")
        for username, role, scope in users:
            typer.echo(f"  {username:<15} {role:<11} {scope}")
    typer.echo(f"Likvärd körs på http://{host}:{port}/  (Ctrl-C avslutar)")
    if workers:
        _gunicorn(host, port, workers)
    else:
        from django.core.management import call_command

        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)


def _gunicorn(host: str, port: int, workers: int) -> None:
    """The production server: gunicorn's pre-fork workers, each with a few threads.

    Why several processes: Django renders pages in Python, so one process serves one page at a
    time per core (the GIL); the threaded development server queues 20 busy users behind it
    (docs/performance.md). Uses gunicorn's documented custom-application API.
    """
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from likvard.web.wsgi import application

    connections.close_all()  # the workers are forked: none may inherit the parent's connection

    class LikvardServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings = {"bind": f"{host}:{port}", "workers": workers, "threads": 4, "worker_class": "gthread", "accesslog": None, "timeout": 120}
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> object:
            return application

    LikvardServer().run()


def token(
    username: Annotated[str | None, typer.Argument(help=t("Användaren som ska få (eller vars nycklar ska listas) en personlig API-nyckel.", "The user to issue a personal API token to (or whose tokens to list)."))] = None,
    expires_days: Annotated[int | None, typer.Option("--expires-days", min=1, help=t("Nyckeln slutar gälla efter så många dagar (standard: gäller tills den återkallas).", "The token stops working after this many days (default: until revoked)."))] = None,
    list_: Annotated[bool, typer.Option("--list", help=t("Lista användarens nycklar: id, början, skapad, går ut, återkallad.", "List the user's tokens: id, prefix, created, expires, revoked."))] = False,
    revoke: Annotated[int | None, typer.Option("--revoke", metavar="ID", help=t("Återkalla nyckeln med detta id (se --list).", "Revoke the token with this id (see --list)."))] = None,
) -> None:
    """Skapa, lista eller återkalla personliga API-nycklar (en ny visas en gång; bara dess hash sparas)."""
    if revoke is None and username is None:
        typer.echo(f"{t('Fel', 'Error')}: {t('ange en användare (eller --revoke ID)', 'give a user (or --revoke ID)')}", err=True)
        raise typer.Exit(2)
    if revoke is not None and (list_ or username is not None or expires_days is not None):
        typer.echo(f"{t('Fel', 'Error')}: {t('--revoke ID tar inget annat', '--revoke ID takes nothing else')}", err=True)
        raise typer.Exit(2)
    _django()
    _migrate()
    from django.contrib.auth import get_user_model
    from django.utils.timezone import localtime

    from likvard.web.accounts.actions import AccountError, issue_token, list_tokens, revoke_token
    from likvard.web.accounts.models import ApiToken

    if revoke is not None:
        row = ApiToken.objects.select_related("user").filter(pk=revoke).first()
        if row is None:
            typer.echo(f"{t('Fel', 'Error')}: {t('ingen nyckel med id', 'no token with id')} {revoke}", err=True)
            raise typer.Exit(2)
        changed = revoke_token(None, row)
        what = f"{row.prefix}… ({row.user.get_username()})"
        typer.echo(t(f"Nyckel {row.pk} {what} är återkallad.", f"Token {row.pk} {what} revoked.") if changed else t(f"Nyckel {row.pk} {what} var redan återkallad.", f"Token {row.pk} {what} was already revoked."))
        return
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        typer.echo(f"{t('Fel', 'Error')}: {t('användaren', 'the user')} {username!r} {t('finns inte', 'does not exist')}", err=True)
        raise typer.Exit(2)
    if list_:
        if expires_days is not None:
            typer.echo(f"{t('Fel', 'Error')}: {t('--list tar inte --expires-days', '--list does not take --expires-days')}", err=True)
            raise typer.Exit(2)
        rows = list(list_tokens(user))
        if not rows:
            typer.echo(t(f"{username} har inga API-nycklar.", f"{username} has no API tokens."))
            return
        never, no = t("aldrig", "never"), "–"
        typer.echo(f"{'id':>6}  {t('början', 'prefix'):<16} {t('skapad', 'created'):<16}  {t('går ut', 'expires'):<16}  {t('återkallad', 'revoked')}")
        for r in rows:
            expires = f"{localtime(r.expires_at):%Y-%m-%d %H:%M}" if r.expires_at else never
            revoked = f"{localtime(r.revoked_at):%Y-%m-%d %H:%M}" if r.revoked_at else no
            typer.echo(f"{r.pk:>6}  {r.prefix + '…':<16} {localtime(r.created_at):%Y-%m-%d %H:%M}  {expires:<16}  {revoked:<16}".rstrip())
        return
    try:
        typer.echo(issue_token(None, user, expires_days=expires_days))
    except AccountError as exc:
        typer.echo(f"{t('Fel', 'Error')}: {exc}", err=True)
        raise typer.Exit(2) from None


user_app = typer.Typer(help=t("Användare och roller.", "Users and roles."), no_args_is_help=True, rich_markup_mode=None)


@user_app.command("add", help=t("Skapa en användare med en roll (lösenord från LIKVARD_PASSWORD eller en fråga).", "Create a user with a role (password from LIKVARD_PASSWORD or a prompt)."))
def user_add(
    username: Annotated[str, typer.Argument(help=t("Användarnamn.", "User name."))],
    role: Annotated[str, typer.Option("--role", help="controller, analyst, area_chief, principal, committee, admin")],
    school: Annotated[str, typer.Option("--school", help=t("Rektorns skola (skolenhetskod).", "The principal's school (school unit code)."))] = "",
    area: Annotated[str, typer.Option("--area", help=t("Grundskolechefens skolområde.", "The area chief's school area."))] = "",
) -> None:
    """Skapa en användare med en roll (lösenord från LIKVARD_PASSWORD eller en fråga)."""
    _django()
    _migrate()
    import sys

    from likvard.web.accounts.actions import AccountError, add_user, check_scope

    try:
        check_scope(role, school, area)
        password = os.environ.get("LIKVARD_PASSWORD", "")
        if not password:
            if not sys.stdin.isatty():
                raise AccountError(t("ange lösenordet i LIKVARD_PASSWORD (ingen terminal att fråga i)", "give the password in LIKVARD_PASSWORD (no terminal to ask in)"))
            password = typer.prompt(t("Lösenord", "Password"), hide_input=True, confirmation_prompt=True)
        add_user(None, username, role=role, password=password, school=school, area=area)
    except AccountError as exc:
        typer.echo(f"{t('Fel', 'Error')}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(t(f"Användaren {username} ({role}) är skapad.", f"User {username} ({role}) created."))


def import_cmd(
    kind: Annotated[str, typer.Argument(help="data, schools, register, index, decisions, rsu, baseline, skolverket, plan, outcomes, targets")],
    paths: Annotated[list[Path], typer.Argument(help=t("Filer, kataloger eller zip-arkiv.", "Files, directories or zip archives."))],
    year: Annotated[int | None, typer.Option("--year", help=t("Året RSU-grupperna eller basårets pengar gäller (standard: registrets senaste år).", "The year RSU groups or a baseline apply to (default: the register's latest year)."))] = None,
) -> None:
    """Importera data till databasen: allt kontrolleras först, allt eller inget."""
    _django()
    _migrate()
    from likvard.web.imports.actions import import_kind

    outcome = import_kind(None, kind, paths, year=year)
    for notice in outcome.notices:
        typer.echo(f"{t('Obs', 'Note')}: {notice}")
    if outcome.problems:
        shown = outcome.problems[:20]
        more = len(outcome.problems) - len(shown)
        typer.echo(t(f"Fel: {len(outcome.problems)} problem, ingenting har importerats:", f"Error: {len(outcome.problems)} problems, nothing was imported:"), err=True)
        for p in shown:
            typer.echo(f"  {p}", err=True)
        if more:
            typer.echo(t(f"  … och {more} till.", f"  … and {more} more."), err=True)
        raise typer.Exit(2)
    if outcome.duplicate_of is not None:
        d = outcome.duplicate_of
        typer.echo(t(f"Redan importerat ({d.filename}, {d.uploaded_at:%Y-%m-%d %H:%M}): inget ändrades.", f"Already imported ({d.filename}, {d.uploaded_at:%Y-%m-%d %H:%M}): nothing changed."))
        return
    for f in outcome.files:
        typer.echo(t(f"Importerade {f.filename}: {f.rows} rader. {_summary(f.summary)}", f"Imported {f.filename}: {f.rows} rows. {_summary(f.summary)}"))
    for code, name, key, before, after in outcome.changed_schools[:50]:
        typer.echo(f"  {t('Ändrad', 'Changed')}: {name} ({code}) {key}: {before!r} → {after!r}")
    if len(outcome.changed_schools) > 50:
        typer.echo(t(f"  … och {len(outcome.changed_schools) - 50} ändringar till (ändringsloggen).", f"  … and {len(outcome.changed_schools) - 50} more changes (the audit log)."))


def _summary(summary: dict[str, object]) -> str:
    parts = []
    for key, value in summary.items():
        if isinstance(value, list):
            years = ", ".join(f"{y['year']}: {'oförändrat' if y.get('unchanged') else y['rows']}" for y in value if isinstance(y, dict))
            parts.append(f"{key} ({years})")
        elif isinstance(value, dict):
            parts.append(f"{key} " + ", ".join(f"{k} {v}" for k, v in value.items()))
        elif value:
            parts.append(f"{key} {value}")
    return "; ".join(parts)


def run_cmd(
    year: Annotated[int, typer.Option("--year", help=t("Budgetår.", "Budget year."))],
    model: Annotated[Path | None, typer.Option("--model", help=t("Modellkatalog (standard: LIKVARD_MODEL_DIR).", "Model directory (default: LIKVARD_MODEL_DIR)."))] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help=t("Skriv körningen som JSON (samma form som allocate).", "Write the run as JSON (the shape of allocate)."))] = None,
    index_source: Annotated[str, typer.Option("--index-source", help="auto, imported, estimated")] = "auto",
) -> None:
    """Kör årets resursfördelning på de importerade uppgifterna och spara körningen."""
    from .allocate import index_mode, print_summary

    _django()
    _migrate()
    from likvard.web.allocation.actions import run_year
    from likvard.web.allocation.reading import run_dict

    with user_errors():
        mode = index_mode(False, False, index_source)
        run = run_year(None, year, model_dir=str(model) if model else None, index=mode)
        out = run_dict(run)
        if json_out:
            write_json(json_out, out)
    print_summary(out)
    typer.echo(t(f"Sparad som körning {run.pk}.", f"Stored as run {run.pk}."))
    if json_out:
        typer.echo(f"{t('Skrev', 'Wrote')} {json_out}")


def register(app: typer.Typer) -> None:
    """The commands, with their help in the locale's language (the docstrings are Swedish)."""
    app.command("serve", help=t("Migrera databasen, (med --demo) ladda demokommunen och starta webbservern.", "Migrate the database, (with --demo) load the demo municipality, and start the web server."))(serve)
    app.command("token", help=t("Skapa, lista eller återkalla personliga API-nycklar (en ny visas en gång; bara dess hash sparas).", "Issue, list or revoke personal API tokens (a new one is shown once; only its hash is stored)."))(token)
    app.command("import", help=t("Importera data till databasen: allt kontrolleras först, allt eller inget.", "Import data into the database: everything is checked first, all or nothing."))(import_cmd)
    app.command("run", help=t("Kör årets resursfördelning på de importerade uppgifterna och spara körningen.", "Run the year's allocation on the imported data and store the run."))(run_cmd)
    app.add_typer(user_app, name="user")
