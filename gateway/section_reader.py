"""`SectionReader`: typed values of one settings section (``[blobs]``, ``[retention]``, ``[metrics]``, …).

Values from TOML arrive typed, values from ``GATEWAY_<SECTION>__<KEY>`` variables as text; both are read the
same way, and a bad value is a `ConfigError` in Dutch that names the setting. The reader remembers which keys
were read, so `finish` reports a misspelt key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.errors import ConfigError

__all__ = ["SectionReader"]

_TRUE, _FALSE = {"true", "1", "ja", "yes", "aan", "on"}, {"false", "0", "nee", "no", "uit", "off", ""}


class SectionReader:
    """Typed values of one settings section; remembers which keys were read so typos are reported."""

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        self.name, self.values = name, dict(values)
        self._used: set[str] = set()

    def _raw(self, key: str) -> Any:
        self._used.add(key)
        return self.values.get(key)

    def _bad(self, key: str, raw: Any, expected: str) -> ConfigError:
        shown = "***" if "secret" in key or "key" in key else repr(raw)
        return ConfigError(f"Ongeldige instelling '[{self.name}] {key}' = {shown}: verwacht {expected}.")

    def text(self, key: str, default: str = "") -> str:
        raw = self._raw(key)
        if raw is None:
            return default
        if isinstance(raw, dict | list):
            raise self._bad(key, raw, "tekst")
        return str(raw).strip()

    def flag(self, key: str, default: bool) -> bool:
        raw = self._raw(key)
        if raw is None:
            return default
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self._bad(key, raw, "true of false")

    def number(self, key: str, default: float, *, minimum: float = 0.0, maximum: float | None = None) -> float:
        raw = self._raw(key)
        if raw is None:
            return default
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise self._bad(key, raw, "een getal") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" en hoogstens {maximum:g}" if maximum is not None else ""
            raise self._bad(key, raw, f"een getal van minstens {minimum:g}{upper}")
        return value

    def integer(self, key: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self._raw(key)
        if raw is None:
            return default
        try:
            if isinstance(raw, float) or isinstance(raw, bool):
                raise ValueError
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            raise self._bad(key, raw, "een geheel getal") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" en hoogstens {maximum}" if maximum is not None else ""
            raise self._bad(key, raw, f"een geheel getal van minstens {minimum}{upper}")
        return value

    def choice(self, key: str, default: str, options: tuple[str, ...]) -> str:
        value = self.text(key, default).lower()
        if value not in options:
            raise self._bad(key, value, " of ".join(repr(o) for o in options))
        return value

    def mapping(self, key: str) -> Mapping[str, Any] | str | None:
        raw = self._raw(key)
        if raw is None or isinstance(raw, dict):
            return raw
        return str(raw)

    def finish(self) -> None:
        unknown = sorted(set(self.values) - self._used)
        if unknown:
            raise ConfigError(
                f"Onbekende instelling '[{self.name}] {unknown[0]}': controleer de spelling (zie docs/deploy.md)."
            )
