"""The one error type of the workflows: something the user can fix, with where it is."""

from __future__ import annotations


class WorkflowError(ValueError):
    """A run or a fit that cannot be done on the given data; ``file``/``column`` say where.

    ``str()`` reads like an import problem (``school_index.csv, kolumn index: …``) so the CLI
    and the web show it the same way, and the message never contains a pupil's data.
    """

    def __init__(self, message: str, *, file: str | None = None, column: str | None = None) -> None:
        self.message = message
        self.file = file
        self.column = column
        where = ", ".join(p for p in (file, f"kolumn {column}" if column else None) if p)
        super().__init__(f"{where}: {message}" if where else message)
