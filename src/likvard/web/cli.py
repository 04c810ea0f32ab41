"""``likvard serve`` and ``likvard token``: the web application from the command line."""

from __future__ import annotations

import os
from typing import Annotated

import typer


def _django(demo: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "likvard.web.settings")
    if demo:
        os.environ["LIKVARD_DEMO"] = "1"
        # demo only: a fixed pseudonym key so that imports with personal_id work out of the box
        os.environ.setdefault("LIKVARD_PSEUDONYM_KEY", "demo-only-pseudonym-key-not-for-real-data-0000")
    import django

    django.setup()


def serve(
    demo: Annotated[bool, typer.Option("--demo", help="Ladda demokommunen och demoanvändarna (lösenord demo).")] = False,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="0 = Djangos trådade utvecklingsserver (demo); N > 0 = gunicorn med N processer (drift).",
            min=0,
        ),
    ] = 0,
) -> None:
    """Migrera databasen, (med --demo) ladda demokommunen och starta webbservern."""
    _django(demo)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if demo:
        from likvard.web.services import load_demo

        run, users = load_demo()
        typer.echo(f"Demokommunen är laddad: körning {run.pk} ({run.model_id}, {run.year}), {len(run.data['schools'])} skolor.")
        typer.echo("Demoanvändare (lösenord: demo):")
        for username, role, scope in users:
            typer.echo(f"  {username:<15} {role:<11} {scope}")
    typer.echo(f"Likvärd körs på http://{host}:{port}/  (Ctrl-C avslutar)")
    if workers:
        _gunicorn(host, port, workers)
    else:
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


def token(username: Annotated[str, typer.Argument(help="Användaren som ska få en personlig API-nyckel.")]) -> None:
    """Skapa en personlig API-nyckel (visas en gång; bara dess hash sparas)."""
    _django()
    from django.contrib.auth import get_user_model

    from likvard.web.accounts.models import ApiToken

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        typer.echo(f"Fel: användaren {username!r} finns inte", err=True)
        raise typer.Exit(2)
    typer.echo(ApiToken.issue(user))


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("token")(token)
