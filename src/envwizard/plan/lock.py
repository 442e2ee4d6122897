"""The lock: every distribution the run installs, as the installer itself resolved it.

Made by the resolve stage (envwizard.run.resolve) from the installer's own dry run — pip's
installation report, uv's compiled requirements and pylock.toml, conda's solved LINK list —
before anything is created. The install steps install it and nothing else, verify compares the
environment with it, and the report says from it where torch came from. It is saved as JSON
in the run folder and beside the environment (docs/lock.md). Credentials never enter it.

Parsing is pure: the same installer output gives the same lock (tests feed recorded outputs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _
from envwizard.core.redact import redact_text
from envwizard.core.values import StrValue
from envwizard.plan.steps import Installer

SCHEMA = 1
LOCK_FILE = "envwizard-lock.json"
"""The lock's name in the run folder and inside the environment."""
DEFAULT_INDEX = "default"
"""`source` of a file pip took from its built-in default index (its report names no index)."""


class Group(StrValue):
    """Which install step puts a distribution in: torch's or the other packages'."""

    TORCH = "torch"
    """torch, its companions, and everything they need."""
    PACKAGES = "packages"
    """The other packages asked for, and what only they need."""


@dataclass(frozen=True)
class Locked:
    """One distribution of the lock."""

    name: str
    """The distribution name, normalised (PEP 503)."""
    version: str
    """The exact version, local build tag included (`2.13.0+cpu`)."""
    group: Group = Group.TORCH
    source: str | None = None
    """The index, wheel folder or channel it came from (credentials masked); `default` for
    pip's built-in default index; None when the installer did not say."""
    url: str | None = None
    """The file's URL (credentials masked)."""
    hashes: tuple[tuple[str, str], ...] = ()
    """(algorithm, hex digest) pairs, as the installer gave them."""
    build: str | None = None
    """conda's build string (`cpu_mkl_py311h…`); None for wheels."""
    requested: bool = False
    """Asked for by the plan, rather than pulled in as a dependency."""

    @property
    def local(self) -> str | None:
        """The PEP 440 local label of a wheel's version (`cpu`, `cu130`), None without one."""
        if self.build is not None:
            return None
        try:
            return Version(self.version).local
        except InvalidVersion:
            return None

    @property
    def filename(self) -> str | None:
        if not self.url:
            return None
        return urllib.parse.unquote(self.url.rstrip("/").rsplit("/", 1)[-1].split("#")[0])

    @property
    def label(self) -> str:
        """`torch 2.13.0+cpu` (conda: `pytorch 2.5.1 cpu_mkl_…`)."""
        return f"{self.name} {self.version}" + (f" {self.build}" if self.build else "")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "local": self.local,
            "group": self.group.value,
            "source": self.source,
            "url": self.url,
            "filename": self.filename,
            "hashes": {algo: digest for algo, digest in self.hashes},
            "requested": self.requested,
        }
        if self.build is not None:
            out["build"] = self.build
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Locked:
        hashes = d.get("hashes") or {}
        return cls(
            name=str(d["name"]),
            version=str(d["version"]),
            group=Group(d.get("group", "torch")),
            source=d.get("source"),
            url=d.get("url"),
            hashes=tuple(sorted((str(k), str(v)) for k, v in dict(hashes).items())),
            build=d.get("build"),
            requested=bool(d.get("requested")),
        )


@dataclass(frozen=True)
class Lock:
    """What the resolve found: the distributions, for which Python and platform, by whom."""

    installer: Installer
    python: str
    """The target's Python version the resolve was made for."""
    platform: str
    """The target platform as the installer was told it (uv's triple, pip's tags, conda's subdir)."""
    packages: tuple[Locked, ...]
    sources: tuple[str, ...] = ()
    """Every index, wheel folder or channel the resolve asked (credentials masked)."""
    command: tuple[str, ...] = field(default=(), compare=False)
    """The dry-run commands that made it (credentials masked)."""
    variant: str = ""
    """torch's build in the lock (`cpu`, `cu130`, …), once checked against the plan."""

    def get(self, name: str) -> Locked | None:
        key = canonicalize_name(name)
        return next((p for p in self.packages if p.name == key), None)

    def group(self, group: Group) -> list[Locked]:
        return [p for p in self.packages if p.group is group]

    def digest(self, group: Group | None = None) -> str:
        """Identifies the locked set (or one group of it) by content."""
        rows = [
            (p.name, p.version, p.build, list(p.hashes))
            for p in sorted(self.packages, key=lambda p: p.name)
            if group is None or p.group is group
        ]
        key = [self.installer.value, self.python, self.platform, rows]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]

    def requirements(self, group: Group) -> str:
        """A requirements file of exact pins for one group: what its install step installs,
        with `--no-deps`, from the sources it was resolved against.

        A requirements file, not a pylock.toml: every pip and uv reads one (pip reads pylock
        only from 25.1, experimentally), and with hashes it is as exact. `==` with the full
        version (local tag included) matches only that build, and the hash pins the very file
        the resolve saw. Hashes are written only when every file of the group has one: pip
        checks hashes all or nothing.
        """
        rows = self.group(group)
        hashed = bool(rows) and all(p.hashes for p in rows)
        lines = []
        for p in rows:
            line = f"{p.name}=={p.version}"
            if hashed:
                line += "".join(f" --hash={algo}:{digest}" for algo, digest in p.hashes)
            lines.append(line)
        return "\n".join(lines) + "\n"

    def conda_specs(self, group: Group) -> list[str]:
        """conda's exact match specs (`name==version=build`) for one group."""
        return [f"{p.name}=={p.version}={p.build}" for p in self.group(group) if p.build]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "installer": self.installer.value,
            "python": self.python,
            "platform": self.platform,
            "sources": list(self.sources),
            "command": list(self.command),
            "digest": self.digest(),
            "variant": self.variant,
            "packages": [p.to_dict() for p in self.packages],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Lock:
        """Back from JSON; InvalidInput for another schema or a broken file."""
        if not isinstance(d, Mapping) or d.get("schema") != SCHEMA:
            raise InvalidInput(
                _("lock: schema {found} is not {schema}; resolve again").format(
                    found=d.get("schema") if isinstance(d, Mapping) else None, schema=SCHEMA
                )
            )
        try:
            return cls(
                installer=Installer(d["installer"]),
                python=str(d["python"]),
                platform=str(d["platform"]),
                packages=tuple(Locked.from_dict(p) for p in d["packages"]),
                sources=tuple(str(s) for s in d.get("sources") or ()),
                command=tuple(str(s) for s in d.get("command") or ()),
                variant=str(d.get("variant") or ""),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidInput(_("lock: not a lock file ({error})").format(error=e)) from None


def lock_files(folder: Path) -> dict[Group, str]:
    """Where the requirement files of a lock's groups lie in a run folder."""
    return {g: str(folder / f"envwizard-lock-{g.value}.txt") for g in Group}


# ---- where a file came from ---------------------------------------------------------------------
def _local_path(location: str) -> str | None:
    if location.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlsplit(location).path)
    if "://" not in location:
        return location
    return None


def source_of(url: str, sources: Iterable[str], default_index: bool) -> str | None:
    """The configured source a file URL came from.

    A file inside a local wheel folder or a file:// index belongs to it; otherwise the source on
    the same host whose path shares the most leading segments with the file's. pip's report gives
    only the file's URL: a file on no configured host came from pip's built-in default index
    when that index was in use (`default`), else the answer is None (not known).
    """
    sources = list(sources)
    path = _local_path(url)
    if path is not None:
        best: tuple[int, str] | None = None
        for s in sources:
            root = _local_path(s)
            if root is None:
                continue
            root = root.rstrip("/")
            parent = os.path.dirname(root)
            for base, score in ((root, 2), (parent, 1)):
                if base and path.startswith(base + "/"):
                    cand = (score * 1000 + len(base), s)
                    best = max(best, cand) if best else cand
        return best[1] if best else None
    parts = urllib.parse.urlsplit(url)
    segs = [p for p in parts.path.split("/") if p]
    best_remote: tuple[int, str] | None = None
    for s in sources:
        sp = urllib.parse.urlsplit(s)
        if (sp.scheme, sp.hostname, sp.port) != (parts.scheme, parts.hostname, parts.port):
            continue
        ssegs = [p for p in sp.path.split("/") if p]
        common = 0
        for a, b in zip(segs, ssegs):
            if a != b:
                break
            common += 1
        if best_remote is None or common > best_remote[0]:
            best_remote = (common, s)
    if best_remote:
        return best_remote[1]
    return DEFAULT_INDEX if default_index else None


# ---- pip ------------------------------------------------------------------------------------------
def pip_packages(
    report: Mapping[str, Any], group: Group, sources: list[str], default_index: bool
) -> list[Locked]:
    """pip's installation report (`pip install --dry-run --ignore-installed --report`, format 1)."""
    if str(report.get("version")) != "1":
        raise InvalidInput(
            _("pip's installation report has format {version}; envwizard reads format 1").format(
                version=report.get("version")
            )
        )
    packages = []
    for item in report.get("install") or []:
        meta = item.get("metadata") or {}
        info = item.get("download_info") or {}
        url = str(info.get("url") or "") or None
        archive = info.get("archive_info") or {}
        hashes = dict(archive.get("hashes") or {})
        if not hashes and archive.get("hash"):
            algo, _sep, digest = str(archive["hash"]).partition("=")
            hashes = {algo: digest}
        packages.append(
            Locked(
                name=canonicalize_name(str(meta.get("name", ""))),
                version=str(meta.get("version", "")),
                group=group,
                source=_masked(source_of(url, sources, default_index)) if url else None,
                url=_masked(url),
                hashes=tuple(sorted(hashes.items())),
                requested=bool(item.get("requested")),
            )
        )
    return packages


# ---- uv -------------------------------------------------------------------------------------------
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)")


def parse_uv_requirements(text: str) -> dict[str, dict[str, Any]]:
    """`uv pip compile --emit-index-annotation` output: per name its version, hashes, the
    packages it is there for (`# via`) and the index it came from (`# from`)."""
    out: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    in_via = False
    for raw in text.splitlines():
        line = raw.strip()
        m = _PIN.match(raw)
        if m:
            current = {"version": m.group(3), "hashes": [], "via": [], "from": None}
            out[canonicalize_name(m.group(1))] = current
            in_via = False
            continue
        if current is None or not line:
            continue
        if line.startswith("--hash="):
            current["hashes"].append(line[len("--hash=") :].rstrip(" \\"))
        elif line.startswith("# via"):
            rest = line[len("# via") :].strip()
            in_via = not rest
            if rest:
                current["via"].append(rest)
        elif line.startswith("# from"):
            current["from"] = line[len("# from") :].strip()
            in_via = False
        elif in_via and line.startswith("#"):
            current["via"].append(line.lstrip("#").strip())
    return out


def uv_packages(
    requirements: str, pylock: Mapping[str, Any], group: Group, sources: list[str]
) -> list[Locked]:
    """uv's resolution: the compiled requirements (the index of each package) and the
    pylock.toml of the same resolve (the very file chosen for the platform, and its hash)."""
    files: dict[str, dict[str, Any]] = {}
    for p in pylock.get("packages") or []:
        wheels = p.get("wheels") or []
        chosen = wheels[0] if wheels else (p.get("sdist") or p.get("archive") or {})
        files[canonicalize_name(str(p.get("name", "")))] = dict(chosen)
    packages = []
    for name, info in parse_uv_requirements(requirements).items():
        f = files.get(name, {})
        url = str(f.get("url") or "") or None
        hashes: dict[str, str] = dict(f.get("hashes") or {})
        if not hashes:
            hashes = dict(h.split(":", 1) for h in info["hashes"] if ":" in h)
        src = info["from"] or (source_of(url, sources, False) if url else None)
        if src and _local_path(src) is not None:
            src = next((s for s in sources if _same_place(s, src)), src)
        packages.append(
            Locked(
                name=name,
                version=info["version"],
                group=group,
                source=_masked(src),
                url=_masked(url),
                hashes=tuple(sorted(hashes.items())),
                requested=any(v[:1] == "-" for v in info["via"]),
            )
        )
    return packages


def _same_place(a: str, b: str) -> bool:
    pa, pb = _local_path(a), _local_path(b)
    return pa is not None and pb is not None and pa.rstrip("/") == pb.rstrip("/")


# ---- conda ----------------------------------------------------------------------------------------
def last_json_object(text: str) -> dict[str, Any] | None:
    """The last JSON object in conda's stdout (progress records and script output come first)."""
    decoder = json.JSONDecoder()
    found: dict[str, Any] | None = None
    i = 0
    text = text.replace("\0", "\n")
    while True:
        start = text.find("{", i)
        if start < 0:
            return found
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            i = start + 1
            continue
        if isinstance(value, dict):
            found = value
        i = end


def conda_packages(data: Mapping[str, Any], channel: str) -> list[Locked]:
    """conda's (mamba's, micromamba's) `create --dry-run --json`: the solved LINK list.

    FETCH records (files not yet in the package cache) carry the URL and hashes.
    """
    actions = data.get("actions") or {}
    if isinstance(actions, list):  # conda 4.3's shape: a list of action groups
        actions = actions[0] if actions else {}
    fetched: dict[str, Mapping[str, Any]] = {}
    for f in actions.get("FETCH") or []:
        if isinstance(f, Mapping):
            fn = str(f.get("fn") or "")
            fetched[re.sub(r"\.(conda|tar\.bz2)$", "", fn)] = f
    packages = []
    for link in actions.get("LINK") or []:
        if not isinstance(link, Mapping):
            continue
        f = fetched.get(str(link.get("dist_name") or ""), {})
        hashes = {k: str(f[k]) for k in ("md5", "sha256") if f.get(k)}
        packages.append(
            Locked(
                name=str(link.get("name", "")),
                version=str(link.get("version", "")),
                build=str(link.get("build_string") or link.get("build") or ""),
                source=_masked(str(link.get("base_url") or link.get("channel") or channel)),
                url=_masked(str(f["url"])) if f.get("url") else None,
                hashes=tuple(sorted(hashes.items())),
            )
        )
    return packages


def _masked(value: str | None) -> str | None:
    return redact_text(value) if value else value
