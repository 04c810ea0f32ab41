"""Exact money: integer öre, Swedish parsing and formatting, apportionment.

Why: every pot in the plan must reconcile to the öre (rules-2024.md, header), so money never
passes through binary floats. Amounts are parsed with ``Decimal`` and rejected when they are
not a whole number of öre; pots are split by largest remainder so the parts always sum to the
pot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

__all__ = [
    "ORE_PER_KR",
    "MoneyError",
    "apportion",
    "format_kr",
    "format_ore",
    "format_percent",
    "parse_money",
    "parse_share",
    "scale_ore",
]

ORE_PER_KR = 100

#: Multipliers from a unit to öre. "mnkr"/"mkr" = million kronor, "tkr" = thousand kronor.
_UNITS: dict[str, int] = {
    "öre": 1,
    "kr": 100,
    "sek": 100,
    "tkr": 100 * 1_000,
    "mnkr": 100 * 1_000_000,
    "mkr": 100 * 1_000_000,
    "mdkr": 100 * 1_000_000_000,
}

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


class MoneyError(ValueError):
    """A money amount that cannot be represented exactly, or cannot be read at all."""


def parse_money(value: str | int | Decimal, *, default_unit: str = "kr") -> int:
    """Return ``value`` as integer öre.

    Accepts Swedish notation (``"1 500,2 mnkr"``, ``"11 486 kr"``, ``"147,0 tkr"``) and plain
    notation (``"1500.2 mnkr"``, ``"2000"``). A bare number is read in ``default_unit``.
    Thousands separators may be spaces (also non-breaking and thin spaces); the decimal mark
    may be a comma or a point. Rejects floats (they are not exact), values with more precision
    than one öre, and anything that is not a number with an optional unit.
    """
    if isinstance(value, bool | float):
        raise MoneyError(f"{value!r}: skriv belopp som text eller heltal, inte som decimaltal (binära flyttal är inte exakta)")
    unit = default_unit.lower()
    if unit not in _UNITS:
        raise MoneyError(f"okänd enhet {default_unit!r}")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    else:
        text = value.strip().lower().replace("\u2212", "-")
        match = re.match(r"^(.*?)\s*(öre|kr|sek|tkr|mnkr|mkr|mdkr)\.?$", text)
        if match:
            text, unit = match.group(1), match.group(2)
        text = _SPACES.sub("", text)
        if not _NUMBER.match(text):
            raise MoneyError(f"{value!r} är inte ett belopp (t.ex. '11 486 kr' eller '1 500,2 mnkr')")
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation as exc:  # pragma: no cover - guarded by the regex
            raise MoneyError(f"{value!r} är inte ett belopp") from exc
    if not number.is_finite():
        raise MoneyError(f"{value!r} är inte ett ändligt belopp")
    ore = number * _UNITS[unit]
    if ore != ore.to_integral_value():
        raise MoneyError(f"{value!r} är inte ett helt antal öre")
    return int(ore)


def parse_share(value: str | int | Decimal) -> Decimal:
    """Return a share as a Decimal fraction: ``"71 %"`` → 0.71, ``"0,71"`` → 0.71."""
    if isinstance(value, bool | float):
        raise MoneyError(f"{value!r}: skriv andelar som text, t.ex. '71 %'")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    text = _SPACES.sub("", value.strip()).replace(",", ".")
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if not _NUMBER.match(text):
        raise MoneyError(f"{value!r} är inte en andel (t.ex. '71 %' eller '0,71')")
    share = Decimal(text)
    return share / 100 if percent else share


def scale_ore(ore: int, factor: Decimal | int) -> int:
    """``ore × factor`` rounded half-to-even to whole öre (e.g. 6 % VAT compensation)."""
    return int((Decimal(ore) * Decimal(factor)).to_integral_value(rounding=ROUND_HALF_EVEN))


def apportion(pot: int, weights: Sequence[int]) -> list[int]:
    """Split ``pot`` öre over non-negative integer ``weights`` by largest remainder.

    Each part gets ``floor(pot × w / W)``; the öre left over go one each to the parts with
    the largest remainders. Tie-break (documented, deterministic): equal remainders go to the
    larger weight first, then to the earlier position. Callers sort their rows by a stable key
    (the school unit code) before calling, so the result does not depend on input row order.
    The parts always sum to ``pot`` exactly. Weights are integers so that the arithmetic is
    exact; scale fractional weights to integers first (see ``engine.allocation``).
    """
    if pot < 0:
        raise MoneyError(f"cannot apportion a negative pot ({pot} öre)")
    if any(w < 0 for w in weights):
        raise MoneyError("weights must be non-negative")
    total = sum(weights)
    if total == 0:
        if pot == 0:
            return [0] * len(weights)
        raise MoneyError(f"cannot apportion {pot} öre over weights that sum to zero")
    parts: list[int] = []
    remainders: list[int] = []
    for w in weights:
        q, r = divmod(pot * w, total)
        parts.append(q)
        remainders.append(r)
    left = pot - sum(parts)
    if left:
        order = sorted(range(len(weights)), key=lambda i: (-remainders[i], -weights[i], i))
        for i in order[:left]:
            parts[i] += 1
    return parts


def format_ore(ore: int, *, unit: str = "kr", sep: str = "\u00a0", decimals: bool | None = None) -> str:
    """Swedish notation without floats: ``format_ore(1_148_650)`` → ``"11 486,50 kr"``.

    ``decimals=None`` shows öre only when the amount has them.
    """
    sign = "\u2212" if ore < 0 else ""  # the typographic minus sign
    kr, rest = divmod(abs(ore), ORE_PER_KR)
    # Python's own digit grouping (in C), then the separator: a third of the time of grouping
    # by hand, and formatting amounts is most of what rendering 100 000 statement lines does
    text = sign + format(kr, ",").replace(",", sep)
    if decimals or (decimals is None and rest):
        text += f",{rest:02d}"
    return f"{text}{sep}{unit}" if unit else text


def format_percent(share: Decimal) -> str:
    """``Decimal("0.71")`` → ``"71 %"``; ``Decimal("0.868")`` → ``"86,8 %"``."""
    text = format(share * 100, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") + "\u00a0%"


def format_kr(ore: int) -> str:
    """Whole kronor when exact, with öre otherwise (the statement's style)."""
    return format_ore(ore)
