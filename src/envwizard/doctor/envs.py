"""Which environment doctor looks at: a path, a conda name, an interpreter, or the active one.

Finding it reads folders and never runs anything; the environment's own interpreter is run
later, by envwizard.doctor.inspect. An environment may be a venv, virtualenv, uv or conda
environment, made by envwizard or not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _
from envwizard.facts.model import Facts
from envwizard.plan.build import STATE_FILE

_CONDA_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


class EnvKind(str, Enum):
    VENV = "venv"
    VIRTUALENV = "virtualenv"
    UV = "uv"
    CONDA = "conda"
    PYTHON = "python"
    """An interpreter outside any environment (a system or pyenv Python)."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Env:
    prefix: Path
    python: Path
    kind: EnvKind
    found_by: str
    """How it was named: a path, a conda name, --python, VIRTUAL_ENV or CONDA_PREFIX."""
    envwizard: bool = False
    """Made by envwizard (its state file is there)."""

    def to_dict(self) -> dict[str, str | bool]:
        return {
            "prefix": str(self.prefix),
            "python": str(self.python),
            "kind": self.kind.value,
            "found_by": self.found_by,
            "envwizard": self.envwizard,
        }


def interpreter_in(prefix: Path) -> Path | None:
    """The environment's own interpreter (POSIX and Windows, venv and conda layouts)."""
    for rel in ("bin/python", "bin/python3", "Scripts/python.exe", "python.exe"):
        p = prefix / rel
        if p.is_file() or p.is_symlink():  # a dangling link: the base Python was removed
            return p
    return None


def kind_of(prefix: Path) -> EnvKind:
    if (prefix / "conda-meta").is_dir():
        return EnvKind.CONDA
    cfg = prefix / "pyvenv.cfg"
    if cfg.is_file():
        try:
            text = cfg.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        keys = {line.partition("=")[0].strip().lower() for line in text.splitlines()}
        if "uv" in keys:
            return EnvKind.UV
        if "virtualenv" in keys:
            return EnvKind.VIRTUALENV
        return EnvKind.VENV
    return EnvKind.PYTHON


def at_prefix(prefix: Path, found_by: str) -> Env:
    """The environment at a folder; InvalidInput when there is none."""
    if not prefix.exists():
        raise InvalidInput(_("there is no environment at {path}").format(path=prefix))
    if not prefix.is_dir():
        raise InvalidInput(
            _("{path} is a file; name an environment's folder or use --python").format(path=prefix)
        )
    python = interpreter_in(prefix)
    if python is None:
        raise InvalidInput(
            _(
                "{path} is not a Python environment: it has no bin/python (or python.exe); name an environment's folder or use --python"
            ).format(path=prefix)
        )
    return Env(prefix, python, kind_of(prefix), found_by, envwizard=(prefix / STATE_FILE).is_file())


def for_interpreter(python: str) -> Env:
    """The environment an interpreter belongs to (the folder above its bin/ or Scripts/)."""
    p = Path(python).expanduser()
    if not p.exists():
        raise InvalidInput(_("--python: {path} does not exist").format(path=python))
    if p.is_dir():
        raise InvalidInput(
            _("--python: {path} is a folder; give the interpreter, or the folder as ENV").format(
                path=python
            )
        )
    p = p.absolute()
    parent = p.parent
    prefix = parent.parent if parent.name in ("bin", "Scripts") else parent
    kind = kind_of(prefix)
    return Env(prefix, p, kind, "--python", envwizard=(prefix / STATE_FILE).is_file())


def conda_named(name: str, facts: Facts | None, home: str) -> Path | None:
    """A conda environment's folder by its name: the managers' envs folders, then
    ~/.conda/environments.txt (where conda lists every environment it made)."""
    dirs = []
    if facts is not None:
        for m in facts.managers.values():
            if m.envs_dir:
                dirs.append(Path(m.envs_dir))
    for d in dirs:
        if (d / name).is_dir():
            return d / name
    listing = Path(home) / ".conda" / "environments.txt"
    try:
        lines = listing.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        line = line.strip()
        if line and Path(line).name == name and Path(line).is_dir():
            return Path(line)
    return None


def locate(
    env: str | None,
    python: str | None,
    environ: Mapping[str, str],
    facts: Facts | None = None,
) -> Env:
    """The environment doctor is asked about; InvalidInput (exit 2) with one sentence if none."""
    if env and python:
        raise InvalidInput(_("give either ENV or --python, not both"))
    if python:
        return for_interpreter(python)
    if env:
        path = Path(env).expanduser()
        if path.exists() or os.sep in env or env.startswith(".") or "/" in env:
            return at_prefix(path.absolute(), _("path"))
        if _CONDA_NAME.match(env):
            found = conda_named(env, facts, environ.get("HOME") or str(Path.home()))
            if found is not None:
                return at_prefix(found, _("conda name"))
            raise InvalidInput(
                _(
                    "there is no folder {env} here and no conda environment of that name; give the environment's path"
                ).format(env=env)
            )
        return at_prefix(path.absolute(), _("path"))
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        value = environ.get(var)
        if value:
            return at_prefix(Path(value), var)
    raise InvalidInput(
        _(
            "no environment is active (VIRTUAL_ENV and CONDA_PREFIX are unset); name one: envwizard doctor ENV, or --python PATH"
        )
    )


def active_with_torch(environ: Mapping[str, str]) -> Env | None:
    """The active environment (VIRTUAL_ENV, else CONDA_PREFIX) when torch is installed in it:
    what the wizard offers to check. A glance at its folders; nothing runs."""
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        value = environ.get(var)
        if not value:
            continue
        prefix = Path(value)
        patterns = (
            "lib/python3*/site-packages/torch-*.dist-info",
            "Lib/site-packages/torch-*.dist-info",
        )
        if any(next(prefix.glob(p), None) for p in patterns):
            try:
                return at_prefix(prefix, var)
            except InvalidInput:
                return None
    return None
