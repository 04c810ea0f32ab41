"""Personal identity numbers at import: pseudonymise pupil ids, refuse them anywhere else.

Why at import and on every text column: a register extract is made by hand in Excel often
enough that a personnummer ends up in a column meant for a small-area code or a programme
(issue 7 found both). A pupil id that is a personnummer, a samordningsnummer or a school's
interim number becomes a keyed pseudonym (docs/privacy.md); a number anywhere else is refused
with the file, row and column — never the number itself — and nothing is imported.
"""

from __future__ import annotations

import polars as pl

from likvard.data.personal_identity import (
    IdentityError,
    identity_mask,
    load_key,
    pseudonymise_pupil_ids,
    pupil_id_kind,
)
from likvard.data.problems import Problem

__all__ = ["PrivacyError", "protect", "scan"]

#: Pupil ids shaped like a personal identity number that is not a valid one: refused, since a
#: typo in a real number is still personal data.
_NUMBER_SHAPED = r"^\s*(\d{2})?\d{6}\s*[-+]?\s*\d{4}\s*$"
MAX_REPORTED = 50
#: The shortest text that can hold a personal identity number (10 digits, no separator).
SHORTEST = 10


class PrivacyError(ValueError):
    """The pseudonym key is missing or too short: nothing with pupil ids can be imported."""


def _report(mask: pl.Series, rows: pl.Series | None, first_row: int, file: str, column: str, message: str, problems: list[Problem]) -> None:
    for i in mask.arg_true().head(MAX_REPORTED).to_list():
        problems.append(Problem(file, int(rows[i]) if rows is not None else first_row + i, column, message))


def scan(frame: pl.DataFrame, file: str, problems: list[Problem], *, first_row: int = 2, id_columns: tuple[str, ...] = ("pupil_id",)) -> dict[str, pl.Series]:
    """Problems for personal identity numbers where they may not be; returns, per pupil-id
    column, which values are identity numbers (to pseudonymise).

    Rows are named by the frame's ``_row`` column when it has one (a table as read), else by
    position from ``first_row``, the row number of the first data row (the header is row 1).
    """
    rows = frame["_row"] if "_row" in frame.columns else None
    numbers = {}
    for column in id_columns:
        if column not in frame.columns:
            continue
        ids = frame[column].cast(pl.String)
        other = pupil_id_kind(ids) == ""
        shaped = ids.str.contains(_NUMBER_SHAPED).fill_null(False) & other
        _report(shaped, rows, first_row, file, column, "ser ut som ett personnummer men datum eller kontrollsiffra stämmer inte (numret visas inte)", problems)
        _report(~shaped & other & identity_mask(ids), rows, first_row, file, column, "innehåller ett personnummer i en längre text: ange bara numret (eller en pseudonym) som elev-id", problems)
        numbers[column] = ~other
    for column, dtype in frame.schema.items():
        if column in id_columns or column == "_row" or dtype != pl.String:
            continue
        if (frame[column].str.len_chars().max() or 0) < SHORTEST:  # codes, grades, flags: nothing to find
            continue
        _report(identity_mask(frame[column]), rows, first_row, file, column, "innehåller ett personnummer: det får bara stå i elev-id (pupil_id), där det ersätts med en pseudonym", problems)
    return numbers


def protect(frame: pl.DataFrame, file: str, problems: list[Problem], *, first_row: int = 2, id_columns: tuple[str, ...] = ("pupil_id",)) -> pl.DataFrame:
    """The table with its pupil ids pseudonymised, after ``scan``; raises ``PrivacyError`` when
    there are identity numbers to pseudonymise and no key."""
    numbers = scan(frame, file, problems, first_row=first_row, id_columns=id_columns)
    found = [c for c, mask in numbers.items() if mask.any()]
    if not found:
        return frame
    try:
        key = load_key()
    except (IdentityError, OSError) as exc:
        raise PrivacyError(str(exc)) from None
    return frame.with_columns(pseudonymise_pupil_ids(frame[c].cast(pl.String), key).alias(c) for c in found)
