"""Errors of the statistics engine.

Why one error type: the CLI and the web layer turn user mistakes (a missing column, a blank
cell) into a readable message, and must tell them apart from bugs, which stay tracebacks.
"""

from __future__ import annotations


class StatsInputError(ValueError):
    """The data cannot be fitted as given; the message says what to fix.

    ``column`` names the offending column and ``rows`` the 0-based row positions (at most a
    handful) so a caller reading a file can translate them into line numbers.
    """

    def __init__(self, message: str, *, column: str | None = None, rows: tuple[int, ...] = ()):
        super().__init__(message)
        self.column = column
        self.rows = rows
