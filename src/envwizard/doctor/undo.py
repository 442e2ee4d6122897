"""Put an environment's packages back as they were before a repair, without any network.

Before `doctor --fix` changes an environment it did not make, the files of every distribution
the repair may remove or replace are kept (hard links into a folder inside the environment, so
nothing is copied; a copy where links cannot be made). If the repair fails, or leaves the
environment worse, every distribution that changed is taken out by its install record (RECORD)
and the kept files are put back: the same versions, the same files, byte for byte. Nothing
outside the environment's folder is ever touched.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

KEEP_DIR = ".envwizard-doctor-undo"
"""Inside the environment: hard links to the kept files (same file system), removed at the end."""


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    site: Path
    info: Path
    """Its .dist-info folder."""
    stamp: tuple[int, int, int] = (0, 0, 0)
    """Its RECORD's inode, size and time: a reinstall of the same version writes another."""

    def files(self, root: Path) -> list[Path]:
        """Every file its RECORD lists (and the record's folder), inside `root` only."""
        out = []
        try:
            with (self.info / "RECORD").open(encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
        except OSError:
            rows = []
        for row in rows:
            if not row or not row[0]:
                continue
            path = Path(os.path.normpath(self.site / row[0]))
            if _inside(path, root):
                out.append(path)
        if self.info.is_dir():
            out += [p for p in self.info.rglob("*") if p.is_file() and p not in out]
        return out


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def installed(sites: list[Path]) -> dict[str, Dist]:
    """The distributions in the environment's own site folders, by normalised name."""
    out: dict[str, Dist] = {}
    for site in sites:
        try:
            entries = sorted(site.iterdir())
        except OSError:
            continue
        for info in entries:
            if not info.name.endswith(".dist-info"):
                continue
            name, _, version = info.name[: -len(".dist-info")].partition("-")
            try:
                st = (info / "RECORD").stat()
                stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
            except OSError:
                stamp = (0, 0, 0)
            key = canonicalize_name(name)
            out.setdefault(key, Dist(key, version, site, info, stamp))
    return out


class Undo:
    """Keep what a repair may change; put it back when asked."""

    def __init__(self, prefix: Path, sites: list[Path]) -> None:
        self.prefix = prefix
        self.sites = sites
        self.keep = prefix / KEEP_DIR
        self.before = installed(sites)
        self.kept: dict[str, list[Path]] = {}

    def save(self, names: list[str]) -> None:
        """Keep the files of these distributions (those installed; others need nothing)."""
        for name in names:
            key = canonicalize_name(name)
            dist = self.before.get(key)
            if dist is None or key in self.kept:
                continue
            files = dist.files(self.prefix)
            for f in files:
                target = self.keep / f.relative_to(self.prefix)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(f, target)
                except OSError:
                    with contextlib.suppress(OSError):
                        shutil.copy2(f, target)
            self.kept[key] = files

    def changed(self) -> list[str]:
        """Distributions added, removed, of another version than before or installed again."""
        now = installed(self.sites)
        names = set(now) | set(self.before)
        return sorted(
            n
            for n in names
            if (n in now) != (n in self.before)
            or (
                n in now
                and (now[n].version, now[n].stamp) != (self.before[n].version, self.before[n].stamp)
            )
        )

    def restore(self) -> list[str]:
        """Take out what changed, put the kept files back; the names that could not be restored."""
        now = installed(self.sites)
        changed = self.changed()
        for name in changed:
            dist = now.get(name)
            if dist is not None:
                _remove(dist.files(self.prefix), {self.prefix, *self.sites})
        missing = []
        for name in changed:
            if name not in self.before:
                continue
            if name not in self.kept:
                missing.append(f"{name}=={self.before[name].version}")
                continue
            for f in self.kept[name]:
                src = self.keep / f.relative_to(self.prefix)
                f.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileNotFoundError):
                    f.unlink()
                try:
                    os.link(src, f)
                except OSError:
                    shutil.copy2(src, f)
        return missing

    def discard(self) -> None:
        shutil.rmtree(self.keep, ignore_errors=True)


def _remove(files: list[Path], stops: set[Path]) -> None:
    """Delete files, then the folders they leave empty, up to (never including) a stop."""
    parents = set()
    for f in files:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            f.unlink()
        parents.add(f.parent)
    for d in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        while d not in stops and any(_inside(d, s) for s in stops):
            try:
                d.rmdir()
            except OSError:
                break
            d = d.parent
