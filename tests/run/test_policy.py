"""Environments stay inside the machine's policy: its pip constraints bind envwizard's own
installs (uv or pip) and every later `pip install` inside the environment, next to the torch pin.

The machine is made by the test: a user-level pip configuration (XDG_CONFIG_HOME) with a
constraint file that holds `tinypkg<2`, a wheel folder with tinypkg 1.0 and 2.0, and a fake
`torch 2.13.99` wheel that a swap of torch would pick. torch itself is the real CPU wheel from
pip's configured wheel folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..builders import build_wheel
from ..conftest import local_torch_version, local_torch_wheel, pip_find_links
from .conftest import run_envwizard

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX pip configuration paths"),
]


@pytest.fixture
def policy_machine(tmp_path: Path) -> dict[str, str]:
    version = local_torch_version()
    if not version:
        pytest.skip("no torch wheel in pip's configured find-links")
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinypkg", "1.0")
    build_wheel(wheels, "tinypkg", "2.0")
    build_wheel(wheels, "torch", "2.13.99")
    policy = tmp_path / "policy.txt"
    policy.write_text("tinypkg<2\n")
    config = tmp_path / "config" / "pip" / "pip.conf"
    config.parent.mkdir(parents=True)
    config.write_text(f"[global]\nconstraint = {policy}\n")
    links = " ".join([*(str(f) for f in pip_find_links()), str(wheels)])
    return {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PIP_FIND_LINKS": links,
        "PIP_CONFIG_FILE": "",  # not set: the user file must be read
        "TORCH": version,
    }


def apply(tmp_path: Path, machine: dict[str, str], manager: str) -> tuple[Path, dict[str, object]]:
    env = tmp_path / "env"
    answers = tmp_path / "answers.yaml"
    # A uv environment keeps uv's own configuration, not pip's: its answers name the machine's
    # wheel folder too, or uv would bring PyPI's torch (the CUDA build, several GB).
    links = machine["PIP_FIND_LINKS"].split()
    folders = links if manager == "uv" else links[-1:]
    answers.write_text(
        f"manager: {manager}\nenv: {env}\npython: {sys.executable}\n"
        f"torch: '=={machine['TORCH']}'\ntorch_index: default\npackages: [tinypkg]\n"
        f"find_links: [{', '.join(folders)}]\nbenchmark: false\n"
        "stack: torch\n"
    )
    report = tmp_path / "report.json"
    r = run_envwizard(
        "--answers", str(answers), "--yes", "--report", str(report),
        state=tmp_path / "state", env=shell(machine), timeout=900,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    return env, json.loads(report.read_text())


def shell(machine: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in machine.items() if k != "TORCH" and v}
    return {**{k: v for k, v in os.environ.items() if k != "PIP_CONFIG_FILE"}, **env}


def pip_in(env: Path, machine: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`pip install` inside the environment, as a person does after activating it."""
    return subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "--no-index", *args],
        capture_output=True, text=True, env=shell(machine), timeout=300,
    )  # fmt: skip


def installed(env: Path, name: str) -> str:
    code = f"from importlib.metadata import version; print(version({name!r}))"
    return subprocess.run(
        [str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_venv_keeps_the_machines_constraint_and_the_torch_pin(
    tmp_path: Path, policy_machine: dict[str, str]
) -> None:
    env, report = apply(tmp_path, policy_machine, "venv")
    assert report["installer"]["name"] == "uv"  # installer: auto, uv told pip's settings
    assert installed(env, "tinypkg") == "1.0"  # envwizard's own install obeyed the policy
    conf = (env / "pip.conf").read_text()
    assert str(tmp_path / "policy.txt") in conf and "envwizard-constraints.txt" in conf
    held = pip_in(env, policy_machine, "tinypkg==2.0")
    assert held.returncode != 0 and "tinypkg" in held.stdout + held.stderr
    swap = pip_in(env, policy_machine, "torch==2.13.99")
    assert swap.returncode != 0
    assert installed(env, "torch").startswith(policy_machine["TORCH"])


def test_a_uv_environment_has_pip_that_installs_with_the_pin(
    tmp_path: Path, policy_machine: dict[str, str]
) -> None:
    env, report = apply(tmp_path, policy_machine, "uv")
    assert (env / "bin" / "pip").exists()
    assert report["env"]["install_more"] == f"{env}/bin/python -m pip install PACKAGE"
    swap = pip_in(env, policy_machine, "torch==2.13.99", "tinypkg")
    assert swap.returncode != 0
    ok = pip_in(env, policy_machine, "tinypkg")  # a pinned install is accepted
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert installed(env, "torch").startswith(policy_machine["TORCH"])
    wheel = local_torch_wheel()
    assert wheel is not None and report["installed"]["file"] == wheel.name  # the folder's build
