"""Mirror presets: the sites that mirror PyPI, PyPI's torch, PyTorch's variant indexes or conda
channels (data in mirrors.toml), and the names `mirror:` accepts."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python < 3.11
    import tomli as tomllib


CHOICES = ("none", "auto")


class Kind(str, Enum):
    """What a preset serves, which decides the installer flags it needs."""

    PYPI = "pypi"
    TORCH_INDEX = "pytorch-index"
    TORCH_LINKS = "pytorch-links"
    CONDA = "conda-channel"

    @property
    def serves_torch(self) -> bool:
        return self in (Kind.TORCH_INDEX, Kind.TORCH_LINKS)


@dataclass(frozen=True)
class Preset:
    name: str
    site: str
    kind: Kind
    url: str
    region: str
    source: str

    def location(self, variant: str) -> str:
        """The URL for one variant (PyTorch kinds) or the URL itself."""
        return self.url.format(variant=variant)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "site": self.site,
            "kind": self.kind.value,
            "url": self.url,
            "region": self.region,
            "source": self.source,
        }


def parse_presets(text: str) -> tuple[Preset, ...]:
    data = tomllib.loads(text)
    return tuple(
        Preset(
            name=row["name"],
            site=row["site"],
            kind=Kind(row["kind"]),
            url=row["url"],
            region=row["region"],
            source=row["source"],
        )
        for row in data["preset"]
    )


def _text() -> str:
    return resources.files("envwizard.knowledge").joinpath("mirrors.toml").read_text("utf-8")


@lru_cache(maxsize=1)
def presets() -> tuple[Preset, ...]:
    """The presets shipped with envwizard."""
    return parse_presets(_text())


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    """Other names of the sites ("tsinghua", "清华" -> "tuna"), from mirrors.toml's [alias]."""
    return {str(k): str(v) for k, v in tomllib.loads(_text()).get("alias", {}).items()}


def canonical(name: str, pool: Sequence[Preset] | None = None) -> str | None:
    """The preset or site name `name` stands for (case and spaces aside), or None."""
    word = name.strip()
    known = names(pool)
    for candidate in (word, word.lower()):
        if candidate in known or candidate in CHOICES:
            return candidate
        site = aliases().get(candidate)
        if site in known:
            return site
    return None


def names(pool: Sequence[Preset] | None = None) -> tuple[str, ...]:
    """Every word `mirror:` accepts besides none and auto: preset names, then site names."""
    pool = presets() if pool is None else pool
    return (*[p.name for p in pool], *dict.fromkeys(p.site for p in pool))


def select(name: str, pool: Sequence[Preset] | None = None) -> list[Preset]:
    """The presets a name stands for: one preset, or every preset of a site (or its alias)."""
    pool = presets() if pool is None else pool
    name = canonical(name, pool) or name
    exact = [p for p in pool if p.name == name]
    return exact or [p for p in pool if p.site == name]


def is_site(name: str, pool: Sequence[Preset] | None = None) -> bool:
    """Whether `mirror: NAME` names a whole site ("tuna") rather than one preset ("tuna-pypi")."""
    pool = presets() if pool is None else pool
    name = canonical(name, pool) or name
    return not any(p.name == name for p in pool) and any(p.site == name for p in pool)
