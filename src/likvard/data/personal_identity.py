"""Personal identity numbers: validation and keyed pseudonyms.

Why: register extracts carry personnummer or samordningsnummer; the system must never store
them in clear (brief, quality bars). On import each number is validated (checksum, date,
century) and replaced by an HMAC-SHA256 pseudonym whose key comes from the environment or a key
file, never from the database or the repository, so the same pupil gets the same pseudonym in
every import and the pseudonym cannot be reversed without the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["IdentityError", "ParsedIdentity", "load_key", "parse_identity", "pseudonym"]

_PATTERN = re.compile(r"^(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)$")

KEY_ENV = "LIKVARD_PSEUDONYM_KEY"
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
    (100 years or older). The checksum (Luhn) is over the 10-digit form.
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
        year = int(m["century"] + yy)
    else:
        year = (today.year // 100) * 100 + int(yy)
        if year > today.year:
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
