"""Personal identity numbers: validation, keyed pseudonyms and columnar scanning.

Why: register extracts carry personnummer or samordningsnummer; the system must never store
them in clear (brief, quality bars). On import each number is validated (checksum, date,
century) and replaced by an HMAC-SHA256 pseudonym whose key comes from the environment or a key
file, never from the database or the repository, so the same pupil gets the same pseudonym in
every import and the pseudonym cannot be reversed without the key.

Every text column of an import is also scanned for numbers in any common spelling (issue 7,
item 6; rules in docs/privacy.md). The scan works on whole columns. One Polars regex finds the
candidate digit runs, each *distinct* candidate is validated once (`parse_identity`'s rules,
vectorised in `_validate`, which a test holds equal to it), and the verdicts are mapped back. The
cost grows with the number of distinct candidates, not with the number of rows. Measured on the
2-core development machine (median of 5): `identity_mask` takes 0.06 s per column of 1.1 M rows of
mixed Swedish text with 100 numbers in it, and 1.7 s when every row is a different number.
`pseudonymise_pupil_ids` takes 0.34 s for 137 000 distinct personnummer, about half of that in
HMAC. `count_identity_numbers` reads 26 MB of non-ASCII text in 0.4 s (both decodings).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

__all__ = [
    "IdentityError",
    "ParsedIdentity",
    "PupilIdKind",
    "count_identity_numbers",
    "identity_mask",
    "load_key",
    "parse_identity",
    "pseudonym",
    "pseudonymise_pupil_ids",
    "pupil_id_kind",
]

_PATTERN = re.compile(r"^(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)$")

KEY_ENV = "LIKVARD_PSEUDONYM_KEY"
#: The centuries a 12-digit number may name (born 1800–2099).
CENTURIES = ("18", "19", "20")
KEY_FILE_ENV = "LIKVARD_PSEUDONYM_KEY_FILE"


class IdentityError(ValueError):
    """A personal identity number that is not valid; the message never repeats the number."""


@dataclass(frozen=True)
class ParsedIdentity:
    """A validated number in canonical 12-digit form (YYYYMMDDNNNC)."""

    canonical: str
    birth_date: dt.date
    coordination: bool  # samordningsnummer (day + 60)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def parse_identity(text: str, *, today: dt.date | None = None) -> ParsedIdentity:
    """Validate a personnummer or samordningsnummer (10 or 12 digits, optional - or +).

    With 10 digits the century is inferred as Skatteverket does: the most recent century
    that does not put the birth date in the future, one century further back with ``+``
    (100 years or older). With 12 digits the century must be 18, 19 or 20: nobody alive was
    born in another, and the rule keeps decimal fractions such as "149.006508146013" from
    reading as a number born in the year 65. The checksum (Luhn) is over the 10-digit form.
    """
    today = today or dt.date.today()
    m = _PATTERN.match(text.strip().replace(" ", ""))
    if not m:
        raise IdentityError("inte ett personnummer (ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN)")
    yy, mm, dd, serial, check = m["yy"], int(m["mm"]), int(m["dd"]), m["serial"], m["check"]
    coordination = dd > 60
    day = dd - 60 if coordination else dd
    if not _luhn_ok(f"{yy}{m['mm']}{m['dd']}{serial}{check}"):
        raise IdentityError("kontrollsiffran stämmer inte")
    if m["century"]:
        if m["century"] not in CENTURIES:
            raise IdentityError("århundradet ska vara 18, 19 eller 20")
        year = int(m["century"] + yy)
    else:
        year = (today.year // 100) * 100 + int(yy)
        if (year, mm, day) > (today.year, today.month, today.day):
            year -= 100
        if m["sep"] == "+":
            year -= 100
    try:
        born = dt.date(year, mm, day)
    except ValueError:
        raise IdentityError("datumet finns inte") from None
    if born > today:
        raise IdentityError("födelsedatumet ligger i framtiden")
    return ParsedIdentity(f"{year:04d}{mm:02d}{dd:02d}{serial}{check}", born, coordination)


def load_key(env: dict[str, str] | None = None) -> bytes:
    """The pseudonym key from ``LIKVARD_PSEUDONYM_KEY`` or the file named by
    ``LIKVARD_PSEUDONYM_KEY_FILE``; at least 32 bytes. Fails loudly when missing."""
    env = dict(os.environ) if env is None else env
    if env.get(KEY_ENV):
        key = env[KEY_ENV].encode("utf-8")
    elif env.get(KEY_FILE_ENV):
        key = Path(env[KEY_FILE_ENV]).read_bytes().strip()
    else:
        raise IdentityError(f"nyckeln för pseudonymer saknas: sätt {KEY_ENV} eller {KEY_FILE_ENV}")
    if len(key) < 32:
        raise IdentityError("nyckeln för pseudonymer är för kort (minst 32 tecken)")
    return key


def pseudonym(identity: ParsedIdentity | str, key: bytes) -> str:
    """Keyed pseudonym (HMAC-SHA256 over the canonical number), 24 hex characters with a prefix."""
    canonical = identity.canonical if isinstance(identity, ParsedIdentity) else parse_identity(identity).canonical
    digest = hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()
    return "ps-" + digest[:24]


# --- Columnar scanning ------------------------------------------------------------------------

PupilIdKind = Literal["personnummer", "samordningsnummer", "interim", ""]

# Spaces that may sit anywhere inside a number (no-break and thin spaces come from word
# processors), and the dashes they put in place of a hyphen-minus. Tabs and line breaks are not
# among them: they separate cells, and joining cells would invent numbers.
_SPACES = " \u00a0\u2007\u2009\u202f"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_SP = f"[{_SPACES}]"
_SEP = f"[-+{_DASHES}]"
# At least 10 digits, with spaces and at most one separator between any two of them.
_RUN = f"[0-9](?:{_SP}*{_SEP}?{_SP}*[0-9]){{9,}}"
_WORD = r"[\p{L}0-9]"
# Cheap row filter: such a run that is neither glued to a letter nor part of a longer digit run.
_PREFILTER = f"(?:^|[^\\p{{L}}0-9]){_RUN}(?:$|[^\\p{{L}}0-9])"
# What is extracted: the run together with the words it is glued to, from word start to word
# end, so that "ps-3f1212121212ab" (a hash) or "X1212121212" is seen as one word, not a number.
_CANDIDATE = f"{_WORD}*{_RUN}{_WORD}*"
_TOKEN = re.compile(f"[^{_SPACES}+\\-{_DASHES}]+")
_STRIP = str.maketrans({**dict.fromkeys(_SPACES, None), **dict.fromkeys(_DASHES, "-")})

# A whole number after whitespace is removed: `_PATTERN` with ASCII digits only.
_COMPACT = r"^(?:[0-9]{2})?[0-9]{6}[-+]?[0-9]{4}$"
# An interim/reserve number (upper-cased): birth date, optional "-", 4 characters with a letter.
_INTERIM = r"^(?P<date>[0-9]{8}|[0-9]{6})-?(?P<rest>[0-9A-ZÅÄÖ]{4})$"
_PUPIL_ID_CANDIDATE = r"^[0-9]{6}(?:[0-9]{2})?[-+]?[0-9A-Za-zÅÄÖåäö]{4}$"


def _as_text(values: pl.Series) -> pl.Series:
    return values if values.dtype == pl.String else values.cast(pl.String)


def _short_year(yy: pl.Expr, month: pl.Expr, day: pl.Expr, today: dt.date) -> pl.Expr:
    """`parse_identity`'s century for a 2-digit year: the latest that does not put the date
    after today."""
    year = yy + (today.year // 100) * 100
    today_key = today.year * 10_000 + today.month * 100 + today.day
    return pl.when(year * 10_000 + month * 100 + day > today_key).then(year - 100).otherwise(year)


def _real_past_date(year: pl.Expr, month: pl.Expr, day: pl.Expr, today: dt.date) -> pl.Expr:
    """A calendar date that exists (as `datetime.date` accepts it) and is not after today."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    today_key = today.year * 10_000 + today.month * 100 + today.day
    return (
        (year >= 1)
        & month.is_between(1, 12)
        & day.is_between(1, days)
        & (year * 10_000 + month * 100 + day <= today_key)
    )


def _validate(compacts: pl.Series, today: dt.date) -> pl.DataFrame:
    """`parse_identity` for many whitespace-free strings at once.

    Columns ``compact``, ``canonical`` (12 digits; null where `parse_identity` would raise) and
    ``coordination``. The rules are those of `parse_identity`; a test holds the two equal.
    """
    i32, col = pl.Int32, pl.col
    short = _short_year(col("yy"), col("month"), pl.when(col("dd") > 60).then(col("dd") - 60).otherwise(col("dd")), today)
    luhn = pl.lit(0, pl.Int64)
    for i in range(10):
        digit = col("ten") // 10 ** (9 - i) % 10
        luhn = luhn + (digit * 2 - 9 * (digit >= 5) if i % 2 == 0 else digit)
    return (
        pl.DataFrame({"compact": compacts.cast(pl.String)})
        .with_columns(
            shape=col("compact").str.contains(_COMPACT),
            length=col("compact").str.len_chars(),
        )
        .with_columns(long=col("shape") & (col("length") >= 12))
        .with_columns(  # the parts of `_PATTERN`, by position: slicing is cheaper than captures
            century=pl.when(col("long")).then(col("compact").str.slice(0, 2)),
            date=pl.when(col("long"))
            .then(col("compact").str.slice(2, 6))
            .when(col("shape"))
            .then(col("compact").str.slice(0, 6)),
            sep=pl.when(col("shape") & (col("length") % 2 == 1)).then(
                col("compact").str.slice(-5, 1)
            ),
            serial=pl.when(col("shape")).then(col("compact").str.slice(-4)),
        )
        .with_columns(
            yy=col("date").str.slice(0, 2).cast(i32),
            month=col("date").str.slice(2, 2).cast(i32),
            dd=col("date").str.slice(4, 2).cast(i32),
            ten=(col("date") + col("serial")).cast(pl.Int64),
        )
        .with_columns(
            year=pl.when(col("century").is_not_null())
            .then((col("century") + col("date").str.slice(0, 2)).cast(i32))
            .when(col("sep") == "+")
            .then(short - 100)
            .otherwise(short),
            day=pl.when(col("dd") > 60).then(col("dd") - 60).otherwise(col("dd")),
            luhn_ok=luhn % 10 == 0,
        )
        .select(
            "compact",
            canonical=pl.when(
                col("date").is_not_null()
                & (col("century").is_null() | col("century").is_in(CENTURIES))
                & col("luhn_ok")
                & _real_past_date(col("year"), col("month"), col("day"), today)
            ).then(
                col("year").cast(pl.String).str.zfill(4)
                + col("date").str.slice(2, 4)
                + col("serial")
            ),
            coordination=(col("dd") > 60).fill_null(False),
        )
    )


def _valid_identities(compacts: Iterable[str], today: dt.date) -> set[str]:
    table = _validate(pl.Series(list(compacts), dtype=pl.String), today)
    return set(table.filter(pl.col("canonical").is_not_null())["compact"].to_list())


def _windows(match: str) -> list[list[tuple[int, str]]]:
    """For each token of a candidate, the numbers of 12 and 10 digits that could start there.

    A number is made of whole digit tokens (never the inside of a longer digit run, never a
    token with a letter in it); given as (index of the next token, whitespace-free spelling).
    """
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(match)]
    digits = [match[a:b].isdigit() and match[a:b].isascii() for a, b in spans]
    starts: list[list[tuple[int, str]]] = []
    for i in range(len(spans)):
        options: list[tuple[int, str]] = []
        if digits[i]:
            count, j = 0, i
            while j < len(spans) and digits[j] and count < 12:
                count += spans[j][1] - spans[j][0]
                j += 1
                if count in (10, 12):
                    options.append((j, match[spans[i][0] : spans[j - 1][1]].translate(_STRIP)))
        starts.append(options[::-1])  # 12 digits before 10: one number, not two
    return starts


def _count(starts: list[list[tuple[int, str]]], valid: set[str]) -> int:
    """Valid numbers in one candidate, read left to right without overlaps."""
    count, i = 0, 0
    while i < len(starts):
        nxt = next((j for j, compact in starts[i] if compact in valid), None)
        if nxt is None:
            i += 1
        else:
            count, i = count + 1, nxt
    return count


def _candidate_counts(runs: pl.Series, today: dt.date) -> dict[str, int]:
    """Valid numbers per distinct candidate (``runs``: the list column of `_CANDIDATE` matches)."""
    distinct = runs.explode().drop_nulls().unique()
    compact = distinct.str.replace_all(f"[{_SPACES}]", "").str.replace_all(f"[{_DASHES}]", "-")
    whole = _validate(compact, today)["canonical"].is_not_null()
    # A run that is one valid number as a whole holds exactly one; only the rest need windows.
    counts = dict.fromkeys(distinct.filter(whole).to_list(), 1)
    windows = {run: _windows(run) for run in distinct.filter(~whole).to_list()}
    spellings = {c for starts in windows.values() for options in starts for _, c in options}
    valid = _valid_identities(spellings, today) if spellings else set()
    counts.update((run, _count(starts, valid)) for run, starts in windows.items())
    return counts


def identity_mask(values: pl.Series, *, today: dt.date | None = None) -> pl.Series:
    """True where a value contains a valid personnummer or samordningsnummer in any spelling.

    Spellings: 12 or 10 digits, with or without ``-``/``+`` between date and serial, spaces
    anywhere inside, possibly within longer text but not glued to letters or other digits.
    Nulls give False.
    """
    today = today or dt.date.today()
    text = _as_text(values)
    pre = text.str.contains(_PREFILTER).fill_null(False)
    mask = pl.repeat(False, len(values), dtype=pl.Boolean, eager=True).alias(values.name)
    if not pre.any():
        return mask
    runs = text.filter(pre).str.extract_all(_CANDIDATE)
    valid = [run for run, n in _candidate_counts(runs, today).items() if n]
    if not valid:
        return mask
    hit = runs.list.eval(pl.element().is_in(valid)).list.any()
    return mask.scatter(pre.arg_true().filter(hit), True)


_BLOCK = 1 << 16


def count_identity_numbers(data: bytes, *, today: dt.date | None = None) -> int:
    """How many valid identity numbers a blob holds (for scanning dumps and temp files).

    The bytes are read as UTF-8 (undecodable bytes replaced) and as Latin-1, so Windows-1252
    files are covered too; the larger of the two counts is returned.
    """
    today = today or dt.date.today()
    if data.isascii():
        texts = [data.decode("ascii")]
    else:
        texts = [data.decode("utf-8", errors="replace"), data.decode("latin-1")]
    best = 0
    for text in texts:
        # Blocks of whole lines first, so that only blocks with a candidate are split into lines.
        blocks, start = [], 0
        while start < len(text):
            end = text.find("\n", start + _BLOCK)
            end = len(text) if end < 0 else end
            blocks.append(text[start:end])
            start = end + 1
        block = pl.Series(blocks, dtype=pl.String)
        lines = block.filter(block.str.contains(_PREFILTER)).str.split("\n").explode()
        runs = lines.filter(lines.str.contains(_PREFILTER)).str.extract_all(_CANDIDATE)
        counts = _candidate_counts(runs, today)
        if counts:
            found = runs.explode().drop_nulls().replace_strict(counts, return_dtype=pl.Int64)
            best = max(best, int(found.sum()))
    return best


def _pupil_id_table(values: pl.Series, today: dt.date) -> tuple[pl.Series, pl.DataFrame]:
    """Each value's whitespace-free form, and ``kind`` and ``canonical`` per distinct id."""
    col = pl.col
    compact = _as_text(values).str.replace_all(r"\s", "").str.replace_all(f"[{_DASHES}]", "-")
    distinct = compact.filter(compact.str.contains(_PUPIL_ID_CANDIDATE).fill_null(False)).unique()
    interim = (
        pl.DataFrame({"compact": distinct.filter(distinct.str.contains("[^0-9+-]"))})
        .with_columns(col("compact").str.to_uppercase().str.extract_groups(_INTERIM).alias("p"))
        .unnest("p")
        .with_columns(
            year=pl.when(col("date").str.len_chars() == 8)
            .then(col("date").str.slice(0, 4).cast(pl.Int32))
            .otherwise(_short_year(col("date").str.slice(0, 2).cast(pl.Int32), col("date").str.slice(-4, 2).cast(pl.Int32), col("date").str.slice(-2, 2).cast(pl.Int32), today)),
            month=col("date").str.slice(-4, 2).cast(pl.Int32),
            day=col("date").str.slice(-2, 2).cast(pl.Int32),
        )
        .select(
            "compact",
            interim=pl.when(
                col("date").is_not_null()
                & col("rest").str.contains("[A-ZÅÄÖ]")
                & _real_past_date(col("year"), col("month"), col("day"), today)
            ).then(
                "interim:" + col("year").cast(pl.String).str.zfill(4)
                + col("date").str.slice(-4) + col("rest")
            ),
        )
    )
    table = (
        _validate(distinct, today)
        .join(interim, on="compact", how="left")
        .select(
            "compact",
            kind=pl.when(col("canonical").is_not_null())
            .then(
                pl.when(col("coordination"))
                .then(pl.lit("samordningsnummer"))
                .otherwise(pl.lit("personnummer"))
            )
            .when(col("interim").is_not_null())
            .then(pl.lit("interim")),
            canonical=pl.coalesce("canonical", "interim"),
        )
    )
    return compact, table.filter(col("kind").is_not_null())


def pupil_id_kind(values: pl.Series, *, today: dt.date | None = None) -> pl.Series:
    """Kind of each pupil id: personnummer, samordningsnummer, interim, or "" (also for null).

    Only a whole value counts (whitespace anywhere, ``-`` or ``+`` before the serial); a
    number inside longer text is for `identity_mask` to find and the import to refuse.
    """
    compact, table = _pupil_id_table(values, today or dt.date.today())
    kinds = compact.replace_strict(
        table["compact"], table["kind"], default="", return_dtype=pl.String
    )
    return kinds.fill_null("").alias(values.name)


def _hasher(key: bytes) -> Callable[[str], str]:
    """HMAC-SHA256 with the key schedule done once (RFC 2104), as `pseudonym` computes it."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def digest(canonical: str) -> str:
        i, o = inner.copy(), outer.copy()
        i.update(canonical.encode("utf-8"))
        o.update(i.digest())
        return "ps-" + o.hexdigest()[:24]

    return digest


def pseudonymise_pupil_ids(
    values: pl.Series, key: bytes, *, today: dt.date | None = None
) -> pl.Series:
    """Replace identity and interim pupil ids by keyed pseudonyms; other values unchanged.

    Personnummer and samordningsnummer are hashed in their 12-digit form, so every spelling of
    one number gives the pseudonym `pseudonym` gives; interim ids are hashed as
    ``interim:YYYYMMDDXXXX`` (upper case), which no 12-digit number can equal.
    """
    text = _as_text(values)
    compact, table = _pupil_id_table(text, today or dt.date.today())
    if table.is_empty():
        return text
    digest = _hasher(key)
    pseudonyms = pl.Series([digest(c) for c in table["canonical"].to_list()], dtype=pl.String)
    hashed = compact.replace_strict(
        table["compact"], pseudonyms, default=None, return_dtype=pl.String
    )
    return hashed.zip_with(hashed.is_not_null(), text).alias(values.name)
