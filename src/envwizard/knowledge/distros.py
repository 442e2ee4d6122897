"""The C library a Linux distribution release ships (data in distros.toml), for facts that
name the distribution but not its glibc."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python < 3.11
    import tomli as tomllib


@dataclass(frozen=True)
class DistroLibc:
    """What a distribution release ships: `glibc` "2.17", or `musl` with glibc None."""

    release: str
    glibc: str | None
    musl: bool = False


@dataclass(frozen=True)
class _Family:
    names: tuple[str, ...]
    glibc: tuple[tuple[str, str], ...]
    musl: bool


@lru_cache(maxsize=1)
def _families() -> tuple[_Family, ...]:
    text = resources.files("envwizard.knowledge").joinpath("distros.toml").read_text("utf-8")
    rows = tomllib.loads(text)["family"]
    return tuple(
        _Family(
            names=tuple(r["names"]),
            glibc=tuple((str(k), str(v)) for k, v in r.get("glibc", {}).items()),
            musl=r.get("libc") == "musl",
        )
        for r in rows
    )


def distro_libc(distro: str) -> DistroLibc | None:
    """ "CentOS Linux 7 (Core)" -> glibc 2.17; "Alpine Linux v3.19" -> musl; None when the
    name or its release is not in the table (a version is never guessed)."""
    text = distro.strip().lower()
    for family in _families():
        for name in sorted(family.names, key=len, reverse=True):
            if not re.match(rf"{re.escape(name)}\b", text):
                continue
            if family.musl:
                return DistroLibc(release=distro.strip(), glibc=None, musl=True)
            m = re.match(rf"{re.escape(name)}\b\D*?(\d+(?:\.\d+)*)", text)
            version = m.group(1).split(".") if m else []
            for key, glibc in family.glibc:
                parts = key.split(".")
                if m and version[: len(parts)] == parts:
                    return DistroLibc(release=distro.strip()[: m.end(1)], glibc=glibc)
            return None
    return None
