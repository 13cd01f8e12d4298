"""Prices: one dated JSON file per region under ``data/prices/``, each price with its unit and the
public pricing page it came from. Code never holds a price."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sluice.runtime.errors import SluiceError

__all__ = ["PriceBook", "UnknownPriceError", "load", "regions"]


class UnknownPriceError(SluiceError, KeyError):
    pass


@dataclass(frozen=True)
class PriceBook:
    region: str
    as_of: str
    prices: dict[str, dict[str, Any]]
    path: str

    def __getitem__(self, key: str) -> float:
        try:
            return float(self.prices[key]["usd"])
        except KeyError:
            raise UnknownPriceError(f"no price for {key!r} in {self.path} ({self.region}, {self.as_of})") from None

    def source(self, key: str) -> str:
        return str(self.prices[key]["source"])


def regions() -> list[str]:
    return sorted(
        p.name.removesuffix(".json")
        for p in resources.files("sluice_tools.cost").joinpath("data/prices").iterdir()
        if p.name.endswith(".json")
    )


def load(region: str, path: Path | None = None) -> PriceBook:
    """The region's price file (or ``path``, a file of the same shape)."""
    if path is None:
        if region not in regions():
            raise ValueError(
                f"no price file for region {region!r}; there are: {', '.join(regions())} (or pass --prices FILE)"
            )
        text = resources.files("sluice_tools.cost").joinpath(f"data/prices/{region}.json").read_text()
        where = f"sluice/cost/data/prices/{region}.json"
    else:
        text, where = path.read_text(), str(path)
    try:
        doc = json.loads(text)
        return PriceBook(doc["region"], doc["as_of"], doc["prices"], where)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{where} is not a price file (region, as_of, prices): {exc!r}") from None
