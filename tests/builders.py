"""The builders tests share: tiny real wheels, hand-made plans of real commands, answers, and
envwizard run as a user runs it. One place, so every test builds its inputs the same way."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from envwizard.decide.decision import Decision
from envwizard.facts.load import facts_from_json
from envwizard.facts.model import Facts
from envwizard.plan.build import Plan, script_path
from envwizard.plan.lock import Lock
from envwizard.plan.steps import CreateEnv, Install, Installer, Pin, Sources, Step
from envwizard.run.runner import Event, Runner
from envwizard.settings.answers import Answers, Benchmark

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A backend installed with the test dependencies (uv, virtualenv)."""
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed")
    return found


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


def command_step(step_id: str, title: str, argv: list[str], kind: str, **kw: Any) -> Step:
    return Step.command(step_id, title, argv, kind, **kw)


def create_spec(manager: str, env: Path) -> CreateEnv:
    if manager == "venv":
        return CreateEnv("venv", sys.executable, str(env))
    if manager == "virtualenv":
        return CreateEnv("virtualenv", tool("virtualenv"), str(env), sys.executable)
    return CreateEnv("uv", tool("uv"), str(env), sys.executable)


def install_spec(manager: str, env: Path, wheelhouse: Path, *reqs: str) -> Install:
    """The typed install of `reqs` from the wheelhouse only (pip, or uv for a uv env)."""
    sources = Sources(no_index=True, find_links=(str(wheelhouse),))
    if manager == "uv":
        return Install(Installer.UV, env_python(env), reqs, sources, tool=tool("uv"))
    return Install(Installer.PIP, env_python(env), reqs, sources)


def tiny_plan(manager: str, env: Path, wheelhouse: Path, *, fail_install: bool = False) -> Plan:
    """create env -> install tinypkg -> pin -> verify, all real and offline."""
    req = "no-such-package-xyz" if fail_install else "tinypkg==1.0"
    steps = [
        Step("create-env", "Create", create_spec(manager, env)),
        Step("install-torch", "Install", install_spec(manager, env, wheelhouse, req)),
        Step("pin", "Pin", Pin(env_python(env), script_path("pin.py"), str(env), ("tinypkg",))),
        command_step("verify", "Verify", [env_python(env), "-c", 'import json, tinypkg; print(json.dumps({"ok": True, "v": tinypkg.__version__}))'], "verify"),
    ]  # fmt: skip
    return make_plan(env, steps, manager)


def plain_facts() -> Facts:
    """A Linux machine without GPUs whose Python is the one running the tests."""
    return facts_from_json(
        json.dumps({
            "schema": 1, "os": {"system": "Linux", "machine": "x86_64", "glibc": "2.36"},
            "python": {"version": "3.11.7", "executable": sys.executable}, "gpus": [],
            "nvidia_driver": None,
        })
    )  # fmt: skip


def resolved(plan: Plan) -> Plan:
    """The plan as if resolved already (an empty lock): its steps run as written. For tests of
    what happens after the resolve (a failing install); the resolve is tested in tests/run."""
    plan.lock = Lock(Installer.PIP, "3", "any", ())
    return plan


def answers_for(env: Path, **kw: object) -> Answers:
    """Answers for torch's own steps (stack: torch unless given): the stacks are tested in
    tests/stack."""
    kw.setdefault("stack", "torch")
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


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`envwizard ARGS` through its entry point, `main(argv)`, in this process: argument parsing
    to exit code, the same code as the program without an interpreter start (~0.3 s) per call."""
    from envwizard.cli import main

    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as e:  # argparse's own usage errors
                code = e.code if isinstance(e.code, int) else 1
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["envwizard", *args], code, out.getvalue(), err.getvalue())


def start_envwizard(*args: str, env: dict[str, str], **kw: object) -> subprocess.Popen[str]:
    """`python -m envwizard ARGS` started in the background, stdout and stderr on one pipe, for
    tests that signal, kill or watch a run while it works."""
    return subprocess.Popen(
        [sys.executable, "-m", "envwizard", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        **kw,  # type: ignore[call-overload]
    )


def build_wheel(
    directory: Path,
    name: str = "tinypkg",
    version: str = "1.0",
    body: str = "",
    tag: str = "py3-none-any",
    requires: tuple[str, ...] = (),
) -> Path:
    """Write `{name}-{version}-{tag}.whl` (a valid wheel with RECORD hashes) into directory."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = f"{name}-{version}.dist-info"
    needs = "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {
        f"{name}/__init__.py": f'__version__ = "{version}"\n{body}',
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{needs}",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: envwizard-tests\nRoot-Is-Purelib: true\n"
        f"Tag: {tag}\n",
    }
    record = []
    for path, text in files.items():
        digest = (
            base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        )
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    out = directory / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(out, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return out


def file_index(root: Path, wheels: list[Path]) -> str:
    """A PEP 503 index on disk (root/simple/<name>/index.html, links with their sha256), as
    local mirrors of the default index are laid out; its file:// URL."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    by_name: dict[str, list[Path]] = {}
    for wheel in wheels:
        target = files / wheel.name
        shutil.copy(wheel, target)
        by_name.setdefault(wheel.name.split("-")[0].lower(), []).append(target)
    for name, paths in by_name.items():
        page = root / "simple" / name / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        links = "".join(
            f'<a href="../../files/{p.name}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()}">'
            f"{p.name}</a>\n"
            for p in paths
        )
        page.write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    return (root / "simple").as_uri()


def run_plan(runner: Runner) -> list[Event]:
    """Run a runner to its end (its default rollback rules) and return every event."""

    async def collect() -> list[Event]:
        return [ev async for ev in runner.run()]

    return asyncio.run(collect())
