"""Bundles: everything a lock installs, gathered here, installed there without a network.

A bundle is a folder (docs/bundle.md):

    envwizard-bundle.json   the manifest: the target (platform, Python, glibc), the build, every
                            file with its SHA-256 and size
    envwizard-lock.json     the lock the files were fetched for (credentials masked)
    answers.yaml, plan.json the answers and the plan it was made from (credentials masked)
    requirements.txt        the same set for pip alone: exact pins, hashes, this folder only
    README.md               how to install it, in English and 简体中文
    wheels/                 the files
    python/, tools/         with --with-python: a standalone CPython for the target, and uv

Making one fetches the lock's own files (envwizard.run.fetch), checking each hash. Installing
from one is checked first, before anything is created: the bundle is for this platform and
this Python, every file is there and is the file the lock names; then the plan installs from
the bundle's folder only (no index), with pip's and uv's configuration left out.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envwizard import __version__
from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import N_, _, translated
from envwizard.core.redact import redact, redact_text
from envwizard.plan.export import requirements_txt
from envwizard.plan.lock import LOCK_FILE, Lock, Locked
from envwizard.plan.wheeltags import Target
from envwizard.run.fetch import Fetched, Fetcher, Progress, Wanted, file_digest
from envwizard.settings.answers import Answers

SCHEMA = 1
MANIFEST = "envwizard-bundle.json"
MARK = ".envwizard-bundle"
"""Written first: a folder with it is a bundle being made (an interrupted one resumes)."""
WHEELS = "wheels"
PYTHON_DIR = "python"
TOOLS = "tools"
README = "README.md"
ANSWERS = "answers.yaml"
PLAN = "plan.json"
REQUIREMENTS = "requirements.txt"
KNOWN = {MANIFEST, MARK, LOCK_FILE, WHEELS, PYTHON_DIR, TOOLS, README, ANSWERS, PLAN, REQUIREMENTS}
"""Names a bundle folder holds; a folder with anything else is not made into one."""


# ---- the manifest --------------------------------------------------------------------------------
@dataclass(frozen=True)
class BundledFile:
    """One file of the bundle: which distribution, where it lies, its digest."""

    name: str
    version: str
    path: str
    """Relative to the bundle, with forward slashes."""
    sha256: str
    size: int
    group: str = "torch"
    source: str | None = None
    """Where it was fetched from (credentials masked)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BundledFile:
        return cls(
            str(d["name"]),
            str(d["version"]),
            str(d["path"]),
            str(d["sha256"]),
            int(d["size"]),
            str(d.get("group") or "torch"),
            d.get("source"),
        )


@dataclass(frozen=True)
class Manifest:
    target: Target
    variant: str
    torch: str | None
    installer: str
    manager: str
    files: tuple[BundledFile, ...]
    python: BundledFile | None = None
    """A standalone CPython for the target (--with-python)."""
    uv: BundledFile | None = None
    """uv for the target, as its wheel (--with-python)."""
    envwizard: str = __version__
    created: str = ""
    seconds: float | None = None
    """How long making it took."""

    @property
    def size(self) -> int:
        extra = [f for f in (self.python, self.uv) if f is not None]
        return sum(f.size for f in (*self.files, *extra))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "envwizard": self.envwizard,
            "created": self.created,
            "seconds": self.seconds,
            "target": self.target.to_dict(),
            "variant": self.variant,
            "torch": self.torch,
            "installer": self.installer,
            "manager": self.manager,
            "lock": LOCK_FILE,
            "size": self.size,
            "files": [f.to_dict() for f in self.files],
            "python": self.python.to_dict() if self.python else None,
            "uv": self.uv.to_dict() if self.uv else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Manifest:
        def opt(key: str) -> BundledFile | None:
            value = d.get(key)
            return BundledFile.from_dict(value) if isinstance(value, Mapping) else None

        return cls(
            target=Target.from_dict(d["target"]),
            variant=str(d.get("variant") or ""),
            torch=d.get("torch"),
            installer=str(d.get("installer") or "pip"),
            manager=str(d.get("manager") or ""),
            files=tuple(BundledFile.from_dict(f) for f in d["files"]),
            python=opt("python"),
            uv=opt("uv"),
            envwizard=str(d.get("envwizard") or ""),
            created=str(d.get("created") or ""),
            seconds=d.get("seconds"),
        )


# ---- making one ----------------------------------------------------------------------------------
def prepare_folder(out: Path) -> None:
    """OUT may be new, empty, or a bundle (being) made; anything else is refused, never emptied."""
    if out.exists() and not out.is_dir():
        raise InvalidInput(_("{out} is a file; a bundle is a folder").format(out=out))
    if out.is_dir():
        others = sorted(
            p.name for p in out.iterdir() if p.name not in KNOWN and not p.name.endswith(".part")
        )
        if others and not (out / MARK).exists():
            raise InvalidInput(
                _(
                    "{out} already holds other files ({names}); choose a new or empty folder "
                    "for the bundle"
                ).format(out=out, names=", ".join(others[:3]))
            )
    out.mkdir(parents=True, exist_ok=True)
    (out / MARK).write_text("envwizard bundle\n", encoding="utf-8")


def wanted(lock: Lock, out: Path, target: Target) -> list[tuple[Locked, Wanted]]:
    """Each locked file and where it goes; InvalidInput when the lock cannot be bundled."""
    if lock.installer.value == "conda":
        raise InvalidInput(
            _(
                "a bundle holds wheels, and this plan installs conda packages; choose manager: "
                "venv, virtualenv or uv for a bundle"
            )
        )
    out_list = []
    for p in lock.packages:
        if not p.url or not p.filename:
            raise InvalidInput(
                _("the lock does not name the file of {package}, so it cannot be bundled").format(
                    package=p.label
                )
            )
        if not p.filename.endswith(".whl"):
            raise InvalidInput(
                _(
                    "{package} has no wheel for the target, only its source ({file}); a bundle "
                    "installs without building anything, so add a wheel of it to a wheel folder"
                ).format(package=p.label, file=p.filename)
            )
        problem = target.wheel_problem(p.filename)
        if problem:
            raise InvalidInput(
                _("the lock is not for the bundle's target: {problem}").format(problem=problem)
            )
        dest = out / WHEELS / p.filename
        out_list.append((p, Wanted(p.url, dest, p.hashes, p.label)))
    return out_list


def fetch_all(
    lock: Lock, out: Path, target: Target, fetcher: Fetcher, progress: Progress | None = None
) -> list[BundledFile]:
    files = []
    for p, want in wanted(lock, out, target):
        got: Fetched = fetcher.fetch(want, progress)
        files.append(
            BundledFile(
                p.name,
                p.version,
                got.path.relative_to(out).as_posix(),
                got.sha256,
                got.size,
                p.group.value,
                p.source,
            )
        )
    return files


def write_bundle(
    out: Path,
    manifest: Manifest,
    lock: Lock,
    answers: Answers,
    plan: Mapping[str, Any],
) -> Path:
    """The bundle's documents, the manifest last (a folder with it is complete)."""
    (out / LOCK_FILE).write_text(lock.to_json(), encoding="utf-8")
    # The copy is for the target: its Python by version (an interpreter's path here means
    # nothing there), no credential.
    masked = dataclasses.replace(
        answers,
        python=manifest.target.python,
        index_url=redact_text(answers.index_url) if answers.index_url else None,
        find_links=[redact_text(f) for f in answers.find_links],
    )
    (out / ANSWERS).write_text(masked.to_yaml(), encoding="utf-8")
    (out / PLAN).write_text(json.dumps(redact(dict(plan)), indent=2) + "\n", encoding="utf-8")
    (out / REQUIREMENTS).write_text(
        requirements_txt(lock, find_links=[WHEELS], no_index=True), encoding="utf-8"
    )
    (out / README).write_text(readme(manifest), encoding="utf-8")
    path = out / MANIFEST
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(manifest.to_dict(), indent=2) + "\n", encoding="utf-8")
    os.replace(part, path)
    return path


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---- the README, in both languages ----------------------------------------------------------------
README_TITLE = N_("envwizard bundle")
README_WHAT = N_(
    "This folder holds every file envwizard installs for this environment, so that a machine "
    "without internet can build it: {count} files ({size}) for {target}, torch {torch} ({variant})."
)
README_HOW = N_(
    "On the target machine, with envwizard installed, copy this whole folder and run (the answers "
    "file may be this one, or your own for the same machine):"
)
README_CHECKS = N_(
    "Before it creates anything, envwizard checks that the bundle is for that machine's platform "
    "and Python and that every file is the one the lock names (SHA-256). It installs from this "
    "folder only, with no index and no network, then verifies torch and runs the benchmark."
)
README_PIP = N_("Without envwizard, pip alone installs the same files into an environment:")
README_PYTHON = N_(
    "This bundle also holds a standalone CPython {version} (in python/) and uv (in tools/): "
    "envwizard uses them when the target has no Python {python}."
)
README_LANG = {"en": "English", "zh-CN": "简体中文"}


def readme(manifest: Manifest) -> str:
    """README.md: how to install the bundle, in English and then in 简体中文."""
    torch = next((f for f in manifest.files if f.name == "torch"), None)
    py = manifest.target.python
    out: list[str] = []
    for lang in ("en", "zh-CN"):

        def t(message: str, lang: str = lang) -> str:
            return translated(message, lang)

        out.append(f"# {t(README_TITLE)} ({README_LANG[lang]})\n")
        out.append(
            t(README_WHAT).format(
                count=len(manifest.files),
                size=human_size(manifest.size),
                target=manifest.target.describe(),
                torch=torch.version if torch else manifest.torch or "-",
                variant=manifest.variant or "-",
            )
            + "\n"
        )
        out.append(t(README_HOW) + "\n")
        out.append("```\nenvwizard --answers answers.yaml --bundle /path/to/this/folder\n```\n")
        out.append(t(README_CHECKS) + "\n")
        out.append(t(README_PIP) + "\n")
        out.append(
            "```\n"
            f"python{py} -m venv ENV\n"
            f"ENV/bin/python -m pip install --no-index --find-links {WHEELS} "
            f"--no-deps --require-hashes -r {REQUIREMENTS}\n"
            "```\n"
        )
        if manifest.python is not None:
            out.append(t(README_PYTHON).format(version=manifest.python.version, python=py) + "\n")
    return "\n".join(out)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover


# ---- reading and checking one ------------------------------------------------------------------
def open_bundle(folder: Path) -> tuple[Manifest, Lock]:
    """The manifest and lock of a bundle; InvalidInput in one sentence when it is not one."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InvalidInput(_("bundle: {folder} is not a folder").format(folder=folder))
    if not path.is_file():
        raise InvalidInput(
            _(
                "bundle: {folder} is not an envwizard bundle (it has no {manifest}); make one "
                "with `envwizard bundle`"
            ).format(folder=folder, manifest=MANIFEST)
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema") != SCHEMA:
            raise InvalidInput(
                _("bundle: {path} has schema {found}; this envwizard reads schema {schema}").format(
                    path=path, found=data.get("schema"), schema=SCHEMA
                )
            )
        manifest = Manifest.from_dict(data)
        lock = Lock.from_dict(json.loads((folder / LOCK_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise InvalidInput(
            _("bundle: {folder} is damaged ({error}); copy it again").format(folder=folder, error=e)
        ) from None
    return manifest, lock


def check_bundle(
    folder: Path,
    manifest: Manifest,
    lock: Lock,
    here: Target,
    variant: str | None = None,
    on_file: Callable[[str], None] | None = None,
) -> None:
    """Refuse, in one sentence, a bundle that would not install exactly its lock here.

    In order: another platform, another Python, a build other than the one planned here, a
    wheel this machine's glibc cannot load, a locked file that is missing or is not the
    file the lock names, a file of the lock the manifest does not list.
    """
    t = manifest.target
    if t.platform != here.platform:
        raise InvalidInput(
            _(
                "bundle: {folder} was made for {bundle} and this machine is {here}; make a bundle "
                "for this machine with `envwizard bundle --facts FILE` (FILE from `envwizard probe "
                "--json` here)"
            ).format(folder=folder, bundle=t.platform, here=here.platform)
        )
    if t.python != here.python:
        raise InvalidInput(
            _(
                "bundle: {folder} holds wheels for Python {bundle} and the environment would use "
                "Python {here}; set python: {bundle} in the answers, or make the bundle with "
                "--with-python"
            ).format(folder=folder, bundle=t.python, here=here.python)
        )
    if variant and manifest.variant and variant != manifest.variant:
        raise InvalidInput(
            _(
                "bundle: {folder} holds the {bundle} build of torch and the plan for this machine "
                "chooses {here}; set compute: {bundle} in the answers, or make the bundle with "
                "this machine's facts"
            ).format(folder=folder, bundle=manifest.variant, here=variant)
        )
    listed = {f.name: f for f in manifest.files}
    for p in lock.packages:
        if p.name not in listed:
            raise InvalidInput(
                _(
                    "bundle: {folder} does not match its lock: {package} is locked but not in "
                    "the bundle; make the bundle again"
                ).format(folder=folder, package=p.label)
            )
    for f in manifest.files:
        problem = here.wheel_problem(Path(f.path).name)
        if problem:
            raise InvalidInput(
                _("bundle: {problem}; make a bundle for this machine").format(problem=problem)
            )
    for f in manifest.files:
        path = folder / f.path
        locked = lock.get(f.name)
        if locked is None or locked.version != f.version:
            raise InvalidInput(
                _(
                    "bundle: {folder} does not match its lock: {file} is not what the lock "
                    "installs; make the bundle again"
                ).format(folder=folder, file=f.path)
            )
        if not path.is_file():
            raise InvalidInput(
                _(
                    "bundle: {file} is missing ({package} {version}); copy the whole bundle again"
                ).format(file=path, package=f.name, version=f.version)
            )
        if on_file is not None:
            on_file(f.path)
        if path.stat().st_size != f.size or not _same_file(path, f.sha256, locked):
            raise InvalidInput(
                _(
                    "bundle: {file} is not the file its lock names (its SHA-256 differs): it was "
                    "changed or damaged; copy it again from the bundle's source"
                ).format(file=path)
            )


def _same_file(path: Path, sha256: str, locked: Locked) -> bool:
    """The file has the manifest's SHA-256 and the lock's own digests (a manifest edited to
    match a changed file is caught by the lock)."""
    digest = file_digest(path)
    if digest != sha256:
        return False
    others = [(a, d) for a, d in locked.hashes if a != "sha256"]
    lock_sha = dict(locked.hashes).get("sha256")
    return (lock_sha is None or lock_sha == digest) and all(
        file_digest(path, a) == d for a, d in others
    )


def relocated(lock: Lock, folder: Path) -> Lock:
    """The lock with every file where the bundle holds it: an environment installed from the
    bundle says so (its report, its own lock, what it exports)."""
    wheels = (folder / WHEELS).resolve()
    packages = tuple(
        dataclasses.replace(p, source=str(wheels), url=(wheels / (p.filename or "")).as_uri())
        for p in lock.packages
    )
    return dataclasses.replace(lock, packages=packages, sources=(str(wheels),))


def bundle_answers(answers: Answers, folder: Path) -> Answers:
    """The answers installing from the bundle's wheels only: no index, no mirror, no network."""
    return dataclasses.replace(
        answers,
        offline=True,
        find_links=[str((folder / WHEELS).resolve())],
        index_url=None,
        mirror="none",
    )


def isolated_env(folder: Path) -> dict[str, str]:
    """What an install step from a bundle is given: no configuration file of pip or uv can add
    an index, a wheel folder or a constraint to it."""
    wheels = str((folder / WHEELS).resolve())
    return {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_FIND_LINKS": wheels,
        "PIP_NO_INDEX": "1",
        "UV_NO_CONFIG": "1",
        "UV_FIND_LINKS": wheels,
        "UV_NO_INDEX": "1",
        "UV_OFFLINE": "1",
    }
