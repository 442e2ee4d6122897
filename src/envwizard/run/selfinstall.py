"""Putting a missing environment tool (virtualenv) beside envwizard itself, on request.

virtualenv is an ordinary Python package: installed into the environment envwizard runs from,
its script lands beside envwizard's interpreter, where the probe looks (facts/managers.py).
envwizard installs it with that environment's pip, or with uv (envwizard's own dependency)
where the environment has no pip (a `uv tool install`). It never installs into a Python that
is not a virtual environment: that is the system's, and envwizard does not change it.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from envwizard.core.i18n import _
from envwizard.facts.managers import dist_version
from envwizard.facts.model import Manager
from envwizard.run.childenv import child_env

TIMEOUT_S = 600


@dataclass(frozen=True)
class ToolInstall:
    """One command that installs `tool` into the environment of `python`."""

    tool: str
    python: str
    prefix: str
    argv: tuple[str, ...]

    @property
    def script(self) -> Path:
        return Path(self.python).parent / self.tool

    def command(self) -> str:
        return " ".join(self.argv)


def _is_venv(python: str) -> str | None:
    """The environment's folder when `python` is a virtual environment's interpreter."""
    prefix = Path(python).parent.parent
    return str(prefix) if (prefix / "pyvenv.cfg").is_file() else None


def _has_pip(python: str) -> bool:
    lib = Path(python).parent.parent / "lib"
    return any(lib.glob("python*/site-packages/pip/__init__.py"))


def plan_install(tool: str, python: str | None = None) -> ToolInstall | str:
    """How `tool` would be installed beside envwizard, or the one sentence saying why not."""
    python = python or sys.executable
    prefix = _is_venv(python)
    if prefix is None:
        return _(
            "envwizard runs from {python}, which is not a virtual environment; envwizard never "
            "installs into it. Install {tool} with pipx (pipx install {tool}), or choose venv or uv."
        ).format(python=python, tool=tool)
    if _has_pip(python):
        argv: tuple[str, ...] = (
            python,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            tool,
        )
    else:
        uv = Path(python).parent / "uv"
        if not uv.is_file():
            return _(
                "envwizard's environment at {prefix} has neither pip nor uv to install {tool} "
                "with. Install {tool} there yourself, or choose venv or uv."
            ).format(prefix=prefix, tool=tool)
        argv = (str(uv), "pip", "install", "--python", python, tool)
    return ToolInstall(tool, python, prefix, argv)


def install(plan: ToolInstall) -> tuple[Manager | None, str]:
    """Run the install; the tool as the probe would now find it (None on failure), and the
    last lines of its output (what to show when it failed)."""
    try:
        r = subprocess.run(
            list(plan.argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=child_env(),
        )
        output = (r.stdout + r.stderr).strip()
        ok = r.returncode == 0
    except (OSError, subprocess.TimeoutExpired) as e:
        output, ok = str(e), False
    tail = "\n".join(output.splitlines()[-6:])
    if not ok or not plan.script.is_file():
        return None, tail
    script = str(plan.script)
    return Manager(plan.tool, path=script, version=dist_version(script, plan.tool)), tail
