"""Reading a stage's configuration from its environment, failing at start-up with a message that
names the variable, never half-way through a batch."""

from __future__ import annotations

from collections.abc import Mapping

from sluice.runtime.errors import SluiceError

__all__ = ["ConfigError", "Env"]


class ConfigError(SluiceError, ValueError):
    """A missing or malformed configuration variable."""


class Env:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def required(self, name: str) -> str:
        value = self.environ.get(name, "").strip()
        if not value:
            raise ConfigError(f"{name} is not set")
        return value

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.environ.get(name, "").strip()
        return value or default

    def integer(self, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw.replace("_", ""))
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not an integer") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise ConfigError(f"{name}={value} is outside {minimum}..{maximum if maximum is not None else 'any'}")
        return value

    def names(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """A comma-separated list."""
        raw = self.environ.get(name, "")
        items = tuple(part.strip() for part in raw.split(",") if part.strip())
        return items or default

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = (self.text(name) or default).lower()
        if value not in choices:
            raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")
        return value
