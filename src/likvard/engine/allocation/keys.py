"""Reading one TOML table of a model with messages that name the place (file, component, key).

Why one reader: every value of a model file is checked where it is read, and a bad one is
refused with the file, the component and the key it stands under, in the same words whether it
came from the file, the scenario form or ``--set`` (docs/model-format.md). A key that no reader
asked for is a typo until shown otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from likvard.money import MoneyError, parse_money, parse_share

from .errors import ModelError

__all__ = ["Keys"]


class Keys:
    """Reads one TOML table, remembering which keys were used, to reject the unknown ones."""

    def __init__(self, raw: Mapping[str, Any], file: str, component: str, prefix: str = "") -> None:
        if not isinstance(raw, Mapping):
            raise ModelError("förväntade en tabell", file=file, component=component, key=prefix)
        self.raw = raw
        self.file = file
        self.component = component
        self.prefix = prefix
        self.used: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str, message: str) -> ModelError:
        return ModelError(message, file=self.file, component=self.component, key=self._name(key))

    def has(self, key: str) -> bool:
        return key in self.raw

    def get(self, key: str, required: bool = True) -> Any:
        self.used.add(key)
        if key not in self.raw:
            if required:
                raise self.error(key, "saknas")
            return None
        return self.raw[key]

    def text(self, key: str, default: str | None = None) -> str:
        value = self.get(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if not isinstance(value, str):
            raise self.error(key, f"ska vara text, inte {value!r}")
        return value

    def choice(self, key: str, choices: Iterable[str], default: str | None = None) -> str:
        value = self.text(key, default)
        allowed = tuple(choices)
        if value not in allowed:
            raise self.error(key, f"{value!r} är inget giltigt värde ({', '.join(allowed)})")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"ska vara true eller false, inte {value!r}")
        return value

    def integer(self, key: str, default: int | None = None, minimum: int = 0) -> int:
        value = self.get(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"ska vara ett heltal, inte {value!r}")
        if value < minimum:
            raise self.error(key, f"får inte vara mindre än {minimum}")
        return value

    def money(self, key: str, required: bool = True, allow_zero: bool = True) -> int | None:
        value = self.get(key, required=required)
        if value is None:
            return None
        if isinstance(value, float):
            raise self.error(key, f"skriv beloppet som text, t.ex. \"{value} kr\" (decimaltal i TOML är inte exakta)")
        try:
            ore = parse_money(value)
        except MoneyError as exc:
            raise self.error(key, str(exc)) from None
        if ore < 0:
            raise self.error(key, "belopp får inte vara negativa")
        if ore == 0 and not allow_zero:
            raise self.error(key, "beloppet saknas (0 kr)")
        return ore

    def need_money(self, key: str, allow_zero: bool = True) -> int:
        ore = self.money(key, required=True, allow_zero=allow_zero)
        assert ore is not None
        return ore

    def share_value(self, key: str, default: Decimal | None = None) -> Decimal:
        value = self.get(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if isinstance(value, float):
            raise self.error(key, f"skriv andelen som text, t.ex. \"{value * 100:g} %\"")
        try:
            share = parse_share(value)
        except MoneyError as exc:
            raise self.error(key, str(exc)) from None
        if share < 0 or share > 1:
            raise self.error(key, f"{value!r} ligger inte mellan 0 och 100 %")
        return share

    def signed_share(self, key: str) -> Decimal:
        """A share that may be negative (a floor of −0,5 %), between −100 % and 100 %."""
        value = self.get(key)
        text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else None
        if text is None:
            raise self.error(key, f"skriv andelen som text, t.ex. \"0,5 %\", inte {value!r}")
        negative = text[:1] in ("-", "\u2212")
        try:
            share = parse_share(text[1:] if negative else text)
        except MoneyError as exc:
            raise self.error(key, str(exc)) from None
        if share > 1:
            raise self.error(key, f"{value!r} ligger inte mellan −100 och 100 %")
        return -share if negative else share

    def decimal(self, key: str) -> Decimal:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.error(key, f"ska vara ett tal (heltal eller text), inte {value!r}")
        try:
            number = Decimal(str(value).replace(",", ".").replace(" ", ""))
        except ArithmeticError:
            raise self.error(key, f"{value!r} är inget tal") from None
        if not number.is_finite() or number < 0:
            raise self.error(key, f"{value!r} ska vara ett icke-negativt tal")
        return number

    def strings(self, key: str, default: tuple[str, ...], allowed: Iterable[str] | None = None) -> tuple[str, ...]:
        value = self.get(key, required=False)
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
            raise self.error(key, "ska vara en lista med text")
        if allowed is not None:
            ok = tuple(allowed)
            for v in value:
                if v not in ok:
                    raise self.error(key, f"{v!r} är inget giltigt värde ({', '.join(ok)})")
        return tuple(value)

    def table(self, key: str) -> Keys:
        value = self.get(key)
        if not isinstance(value, Mapping):
            raise self.error(key, "ska vara en tabell, t.ex. { attribute = \"phase\", values = [\"primary\"] }")
        return Keys(value, self.file, self.component, self._name(key))

    def tables(self, key: str) -> list[Keys]:
        value = self.get(key)
        if not isinstance(value, list) or not value:
            raise self.error(key, "ska vara en lista med tabeller ([[...]]), minst en")
        return [Keys(v, self.file, self.component, f"{self._name(key)}[{i}]") for i, v in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise self.error(unknown[0], "okänd nyckel (stavfel?)")
