"""What changed in an environment since envwizard locked it: the lock it left inside
(`ENV/envwizard-lock.json`, docs/lock.md) against the distributions installed now.

A later `pip install` that swaps the CUDA torch for a CPU one, downgrades NumPy or removes a
companion leaves no trace but the difference between the two; this module finds it and says
where each locked file came from, so a repair can install exactly that again. Pure apart from
reading the lock file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from envwizard.core.errors import InvalidInput
from envwizard.plan.export import is_links
from envwizard.plan.lock import DEFAULT_INDEX, LOCK_FILE, Lock, Locked
from envwizard.plan.steps import Installer

WATCHED = ("torch", "torchvision", "torchaudio", "triton", "numpy")
"""A change to these (or to an `nvidia-*` library) changes what torch runs: a warning. Other
packages drift as people add to an environment: worth knowing only."""


@dataclass(frozen=True)
class Change:
    """One locked distribution that is not installed as locked."""

    locked: Locked
    installed: str | None
    """The version installed now; None when it is gone."""
    path: str | None = None
    """Its dist-info now."""
    installer: str | None = None
    """Who installed what is there now (the dist-info's INSTALLER)."""

    @property
    def watched(self) -> bool:
        name = self.locked.name
        return name in WATCHED or name.startswith("nvidia-")

    def words(self) -> str:
        now = self.installed if self.installed is not None else "-"
        return f"{self.locked.name} {self.locked.version} → {now}"


def read_lock(prefix: Path) -> Lock | None:
    """The lock envwizard left in the environment; None when there is none or it cannot be
    read (another schema, a broken file): then there is nothing to compare with."""
    try:
        data = json.loads((prefix / LOCK_FILE).read_text(encoding="utf-8"))
        return Lock.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError, InvalidInput):
        return None


def same_version(a: str, b: str) -> bool:
    """Equal as versions (`2.0` is `2.0.0`), else as text."""
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def changes(lock: Lock, dists: list[dict[str, Any]], in_env: Any) -> list[Change]:
    """Every locked distribution whose installed version differs or that is gone, watched
    ones first. `dists` are the inspect script's, first on sys.path first; `in_env(path)` says
    whether one lies in the environment. conda locks name conda's packages, not wheels: not
    compared here."""
    if lock.installer is Installer.CONDA:
        return []
    out: list[Change] = []
    for p in lock.packages:
        mine = [d for d in dists if d.get("name") == p.name and in_env(str(d.get("path")))]
        if not mine:
            out.append(Change(p, None))
            continue
        d = mine[0]
        version = str(d.get("version") or "")
        if not same_version(version, p.version):
            out.append(Change(p, version, str(d.get("path")), d.get("installer")))
    return sorted(out, key=lambda c: (not c.watched, c.locked.name))


def restore_sources(p: Locked) -> tuple[str | None, tuple[str, ...]]:
    """(index, wheel folders) to install a locked file from where the lock says it came:
    an index URL replaces the configured index; a folder or a flat page of links (a mirror's
    `--find-links` page, a file:// wheel folder) is added to it; pip's default index or an
    unnamed source leaves the configuration as it is."""
    source = p.source
    if not source or source == DEFAULT_INDEX:
        return None, ()
    if is_links(source):
        return None, (source,)
    return source, ()
