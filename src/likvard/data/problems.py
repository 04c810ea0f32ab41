"""A problem found in an input file, with where it is.

Why: every reader in ``likvard.data`` (register files, Skolverket's exports) and the web import
report problems the same way, so a controller sees one readable line per problem naming the
file, the line in the file (1-based, the header of a CSV is line 1) and the column.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: file, 1-based line in the file, column, message.

    ``str(problem)`` is one line, e.g. ``pupils.csv, rad 12, kolumn grade: 'X' är ingen
    årskurs i grundskolan (F, 1–9)``; row and column are left out when unknown.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"rad {self.row}")
        if self.column:
            where.append(f"kolumn {self.column}")
        return f"{', '.join(where)}: {self.message}"
