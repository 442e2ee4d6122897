"""Fixtures for running real plans: tiny offline wheels and hand-made plans of real commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envwizard.answers import Answers, Benchmark
from envwizard.decide import Decision
from envwizard.plan import Plan, Step, script_path

from .wheels import build_wheel

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A backend installed with the test dependencies (uv, virtualenv)."""
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed")
    return found


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    d = tmp_path / "wheels"
    build_wheel(d, "tinypkg", "1.0")
    build_wheel(d, "tinypkg", "2.0")
    return d


def env_python(env: Path) -> str:
    return str(env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python"))


def create_argv(manager: str, env: Path) -> list[str]:
    if manager == "venv":
        return [sys.executable, "-m", "venv", str(env)]
    if manager == "virtualenv":
        return [tool("virtualenv"), str(env), "--python", sys.executable, "--no-periodic-update"]
    return [tool("uv"), "venv", str(env), "--python", sys.executable]


def install_argv(manager: str, env: Path, wheelhouse: Path, *reqs: str) -> list[str]:
    if manager == "uv":
        return [
            tool("uv"),
            "pip",
            "install",
            "--python",
            env_python(env),
            *reqs,
            "--no-index",
            "--find-links",
            str(wheelhouse),
        ]
    return [
        env_python(env),
        "-m",
        "pip",
        "install",
        "--no-input",
        *reqs,
        "--no-index",
        "--find-links",
        str(wheelhouse),
    ]


def make_plan(env: Path, steps: list[Step], manager: str = "venv") -> Plan:
    decision = Decision(
        variant="cpu", torch="2.13.*", index_url=None, reasons=["test plan"], release="2.13",
        source="pip", python="3.11", requirement="torch==2.13.*",
    )  # fmt: skip
    return Plan(
        decision,
        steps,
        str(env),
        env_python(env),
        manager,
        estimate_mib=1,
        activate=f"source {env}/bin/activate",
    )


def tiny_plan(manager: str, env: Path, wheelhouse: Path, *, fail_install: bool = False) -> Plan:
    """create env -> install tinypkg -> pin -> verify, all real and offline."""
    req = "no-such-package-xyz" if fail_install else "tinypkg==1.0"
    steps = [
        Step("create-env", "Create", create_argv(manager, env), "create-env"),
        Step("install-torch", "Install", install_argv(manager, env, wheelhouse, req), "install", progress="uv" if manager == "uv" else None),
        Step("pin", "Pin", [env_python(env), script_path("pin.py"), "--prefix", str(env), "tinypkg"], "pin"),
        Step("verify", "Verify", [env_python(env), "-c", 'import json, tinypkg; print(json.dumps({"ok": True, "v": tinypkg.__version__}))'], "verify"),
    ]  # fmt: skip
    return make_plan(env, steps, manager)


def answers_for(env: Path, **kw: object) -> Answers:
    return Answers(env=str(env), benchmark=Benchmark(enabled=False), **kw)  # type: ignore[arg-type]


def run_envwizard(
    *args: str, state: Path, env: dict[str, str] | None = None, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    """`python -m envwizard ARGS` as a user runs it, with its logs and locks under `state`."""
    return subprocess.run(
        [sys.executable, "-m", "envwizard", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {}), "XDG_STATE_HOME": str(state)},
    )
