"""What every command shares: the Typer app, Swedish/English texts, user errors, safe writes.

Why: a user error (a bad file, a bad model, a pot that cannot be met) ends with exit status 2
and a one-paragraph message, never a traceback, and writes no output file. Help texts are
Swedish when the locale is Swedish (``LANG=sv_SE.UTF-8`` or ``LIKVARD_LANG=sv``), English
otherwise.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer

from likvard.money import MoneyError


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
    rich_markup_mode=None,  # plain help: rendering it with Rich cost more than half a second
)

#: The model a command uses without --model: LIKVARD_MODEL_DIR (as the web), else the 2024 model
#: of this checkout, wherever the command is run from.
DEFAULT_MODEL = os.environ.get("LIKVARD_MODEL_DIR") or str(Path(__file__).resolve().parents[3] / "models" / "stockholm-2024")


def demo_notice(seed: int) -> None:
    """Say so when the demo is built (the first time for this code version): it takes a while."""
    from likvard.workflows.demo import is_cached

    if not is_cached(seed):
        typer.echo(t("Bygger demokommunen (första gången för den här versionen, tar en stund; sparas i var/cache) …",
                     "Building the demo municipality (the first time for this version, it takes a while; kept in var/cache) …"), err=True)


class UserError(Exception):
    """Something the user can fix; shown as one paragraph, exit status 2."""


def fail(message: str) -> NoReturn:
    typer.echo(f"{t('Fel', 'Error')}: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn every error a user can cause into a one-paragraph message and exit status 2."""
    from likvard.data.register import InputError
    from likvard.engine.allocation import AllocationError, ModelError
    from likvard.engine.stats import StatsInputError
    from likvard.workflows import WorkflowError

    handled: tuple[type[BaseException], ...] = (
        UserError, ModelError, AllocationError, MoneyError, StatsInputError, WorkflowError, InputError,
        FileNotFoundError, IsADirectoryError, PermissionError,
    )
    try:
        yield
    except handled as exc:
        fail(message(exc))


def message(exc: BaseException) -> str:
    """One paragraph for an error, listing at most 20 problems of an import."""
    problems = getattr(exc, "problems", None)
    if problems:
        shown = [str(p) for p in problems[:20]]
        more = len(problems) - len(shown)
        tail = t(f" … och {more} problem till.", f" … and {more} more problems.") if more > 0 else ""
        n = len(problems)
        return t(f"{n} problem i indata, inget har skrivits: ", f"{n} problem{'s' if n != 1 else ''} in the input, nothing was written: ") + "; ".join(shown) + tail
    if isinstance(exc, FileNotFoundError):
        return t(f"filen finns inte: {exc.filename or exc}", f"file not found: {exc.filename or exc}")
    return str(exc)


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same directory, so a failure leaves no file.

    A missing directory is an error, not created: a typo in a path must not scatter output
    files. The file gets the permissions a new file gets (the umask), whatever its kind.
    """
    if not path.parent.is_dir():
        raise UserError(t(f"katalogen {path.parent} finns inte (skapa den först)", f"the directory {path.parent} does not exist (create it first)"))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; an output file is an ordinary file
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, lambda p: p.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8"))


def write_bytes(path: Path | None, content: Callable[[], bytes]) -> None:
    """A rendered document (PDF, Word) written atomically, rendered only when asked for."""
    if path is not None:
        data = content()
        write_atomic(path, lambda p: p.write_bytes(data))


def write_xlsx(path: Path, data: dict[str, Any]) -> None:
    from likvard.exports.xlsx import write_allocation_xlsx

    write_atomic(path, lambda p: write_allocation_xlsx(data, p))
