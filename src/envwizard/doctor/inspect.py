"""Run the inspect script with the environment's own interpreter, the way the person runs it.

The script (envwizard/scripts/doctor_inspect.py) keeps the person's PYTHONPATH, user site and
library path: those are what make an environment misbehave, so doctor must see them. It runs
from an empty scratch folder (nothing there can shadow a module), with
PYTHONDONTWRITEBYTECODE so that not even a __pycache__ folder appears in the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _
from envwizard.doctor.envs import Env
from envwizard.plan.build import script_path

MARK = "envwizard-doctor:"
SCRIPT = "doctor_inspect.py"
STATIC_TIMEOUT = 120.0
LIVE_TIMEOUT = 300.0


@dataclass
class Inspection:
    """What the script read: the static report always, the live one when it ran."""

    static: dict[str, Any]
    live: dict[str, Any] | None = None
    live_failure: str | None = None
    """Why the live read gave no report (a crash, a timeout), in a few words."""
    live_stderr: str = ""
    command: list[str] = field(default_factory=list)

    @property
    def dists(self) -> list[dict[str, Any]]:
        return list(self.static.get("dists") or [])

    def dist(self, name: str) -> dict[str, Any] | None:
        """The first distribution of a project on sys.path: the one Python uses."""
        return next((d for d in self.dists if d.get("name") == name), None)

    def family(self, name: str) -> dict[str, Any] | None:
        fam = self.static.get("family") or {}
        value = fam.get(name)
        return value if isinstance(value, dict) else None

    def module(self, name: str) -> dict[str, Any] | None:
        mods = self.static.get("modules") or {}
        value = mods.get(name)
        return value if isinstance(value, dict) else None

    @property
    def env_sites(self) -> list[str]:
        """The environment's own site-packages folders, resolved."""
        site = self.static.get("site") or {}
        dirs = [site.get("purelib"), site.get("platlib"), *(site.get("site_packages") or [])]
        out: list[str] = []
        for d in dirs:
            if d and os.path.realpath(d) not in out:
                out.append(os.path.realpath(d))
        return out

    def in_env(self, path: str) -> bool:
        real = os.path.realpath(path)
        return any(real == s or real.startswith(s + os.sep) for s in self.env_sites)

    @property
    def python_version(self) -> str:
        return str((self.static.get("python") or {}).get("version") or "")


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The person's variables, plus: write no bytecode, and speak UTF-8 on the pipe."""
    env = dict(environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _report(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARK):
            try:
                data = json.loads(line[len(MARK) :])
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None


def _tail(text: str, lines: int = 3) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])[:600]


def _run_script(
    argv: list[str], environ: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """The inspect script in a scratch folder (nothing of the cwd shadows a module), stdin closed."""
    with tempfile.TemporaryDirectory(prefix="envwizard-doctor-") as scratch:
        return subprocess.run(
            argv,
            cwd=scratch,
            env=child_environment(environ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )


def run_static(env: Env, environ: Mapping[str, str], cwd: str) -> tuple[dict[str, Any], list[str]]:
    argv = [str(env.python), script_path(SCRIPT), "static", "--cwd", cwd]
    try:
        proc = _run_script(argv, environ, STATIC_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise InvalidInput(
            _("{python} did not answer within {seconds:g} s; doctor could not inspect it").format(
                python=env.python, seconds=STATIC_TIMEOUT
            )
        ) from None
    except OSError as e:
        raise not_starting(env, str(e.strerror or e)) from None
    report = _report(proc.stdout)
    if report is None:
        reason = _tail(proc.stderr) or _("exit status {code}").format(code=proc.returncode)
        raise not_starting(env, reason)
    return report, argv


def not_starting(env: Env, reason: str) -> InvalidInput:
    """The one sentence for an interpreter that does not start (exit 2), with the likely why."""
    home = _pyvenv_home(env)
    if home and not os.path.exists(home):
        return InvalidInput(
            _(
                "the environment's Python at {python} does not start ({reason}); its base interpreter folder {home} is gone (removed or upgraded)"
            ).format(python=env.python, reason=reason, home=home)
        )
    return InvalidInput(
        _("the environment's Python at {python} does not start ({reason})").format(
            python=env.python, reason=reason
        )
    )


def _pyvenv_home(env: Env) -> str | None:
    try:
        text = (env.prefix / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "home":
            return value.strip()
    return None


def run_live(env: Env, environ: Mapping[str, str]) -> tuple[dict[str, Any] | None, str | None, str]:
    """The live read: (report, why there is none, stderr). A crash is a result, not an error."""
    argv = [str(env.python), script_path(SCRIPT), "live"]
    try:
        proc = _run_script(argv, environ, LIVE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return (
            None,
            _("importing torch did not finish within {seconds:g} s").format(seconds=LIVE_TIMEOUT),
            "",
        )
    except OSError as e:
        return None, str(e.strerror or e), ""
    report = _report(proc.stdout)
    if report is None:
        why = _("the check process ended with status {code}").format(code=proc.returncode)
        if proc.returncode < 0:
            why = _("the check process was killed by signal {signal}").format(
                signal=-proc.returncode
            )
        return None, why, proc.stderr[-8000:]
    return report, None, proc.stderr[-8000:]


def inspect_env(
    env: Env, environ: Mapping[str, str], *, cwd: str | None = None, live: bool = True
) -> Inspection:
    """Static read always; the live read when torch (or a companion) is there to import."""
    static, argv = run_static(env, environ, cwd or os.getcwd())
    ins = Inspection(static, command=argv)
    if live and any(ins.module(n) for n in ("torch", "torchvision", "torchaudio")):
        ins.live, ins.live_failure, ins.live_stderr = run_live(env, environ)
    return ins
