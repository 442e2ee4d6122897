"""`envwizard --answers FILE` as users run it: a real process, real signals, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from envwizard.run.envlock import EnvLock

from ..builders import start_envwizard
from .indexes import serve

# Each test runs the real executable through a real run (signals, locks, pre-flight): slow tier.
pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Run logs and locks go under tmp_path (platformdirs follows XDG_STATE_HOME)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}


@pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine != "x86_64",
    reason="the fake wheel name is for Linux x86_64",
)
@pytest.mark.timed
@pytest.mark.parametrize(
    ("installer", "phase"),
    [
        # uv resolves from the index's metadata: the slow download is the install's.
        ("uv", "install"),
        # pip before 25.3 downloads the wheel in its dry run: the resolve is stopped mid-way.
        ("pip", "resolve"),
    ],
)
def test_sigint_mid_download_exits_130_quickly_leaves_no_child_and_no_env(
    tmp_path: Path, home: dict[str, str], installer: str, phase: str
) -> None:
    env = tmp_path / "env"
    answers = tmp_path / "a.yaml"
    with serve("slow") as (url, index):
        answers.write_text(
            f"manager: venv\nenv: {env}\ncompute: cpu\ntorch: '==2.13.1'\n"
            f"torch_index: {url}\nbenchmark: {{enabled: false}}\ninstaller: {installer}\n"
        )
        proc = start_envwizard("--answers", str(answers), env=home)
        seen: list[str] = []
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            seen.append(line)
            if "Downloading" in line and (phase == "resolve" or "install-torch" in "".join(seen)):
                break
            if phase == "install" and "Install torch" in line:
                break
            assert time.monotonic() < deadline, "".join(seen)
        else:
            pytest.fail("the download never started:\n" + "".join(seen))
        assert index.downloading.wait(60), "".join(seen)  # the download is under way
        kids = {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
        assert kids, "the installer should be running"
        assert env.exists() is (phase == "install"), "".join(seen)

        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
        took = time.monotonic() - t0

    assert proc.returncode == 130, "".join(seen) + out
    print(f"SIGINT to exit: {took:.2f} s, {len(kids)} child processes stopped")
    assert took < 5.0
    alive = [
        p
        for p in kids
        if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ]
    assert alive == []
    assert not env.exists()
    assert "Traceback" not in out
    if phase == "install":
        assert "Cancelled" in out and "rolled back" in out


def test_recreate_without_a_terminal_or_yes_is_refused_and_changes_nothing(
    tmp_path: Path, home: dict[str, str]
) -> None:
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    before = sorted(p.name for p in env.iterdir())
    answers = tmp_path / "a.yaml"
    answers.write_text(
        f"manager: venv\nenv: {env}\nexisting: recreate\ncompute: cpu\nbenchmark: false\n"
    )
    proc = start_envwizard("--answers", str(answers), env=home)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out
    assert "pass --yes" in out
    assert sorted(p.name for p in env.iterdir()) == before


def test_a_second_run_on_the_same_env_is_refused_while_one_holds_it(
    tmp_path: Path, home: dict[str, str]
) -> None:
    env = tmp_path / "env"
    answers = tmp_path / "a.yaml"
    answers.write_text(f"manager: venv\nenv: {env}\ncompute: cpu\nbenchmark: false\n")
    with EnvLock(str(env)):
        proc = start_envwizard("--answers", str(answers), env=home)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out
    assert f"another envwizard run (pid {os.getpid()})" in out
    assert not env.exists()


def test_unreachable_index_is_a_preflight_error_that_creates_nothing(
    tmp_path: Path, home: dict[str, str]
) -> None:
    env = tmp_path / "env"
    answers = tmp_path / "a.yaml"
    # Port 9 (discard) on loopback: refused at once, no network needed.
    answers.write_text(
        f"manager: venv\nenv: {env}\ncompute: cpu\ntorch_index: http://127.0.0.1:9\nbenchmark: false\n"
    )
    proc = start_envwizard("--answers", str(answers), env=home)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out
    assert "cannot reach http://127.0.0.1:9/cpu" in out
    assert "torch_index: default" in out and "find_links" in out
    assert not env.exists()
    assert "Traceback" not in out


def test_dry_run_report_contract_fields_are_written(tmp_path: Path, home: dict[str, str]) -> None:
    """--dry-run never writes a report or an environment; the plan printout carries the commands."""
    env = tmp_path / "env"
    answers = tmp_path / "a.yaml"
    answers.write_text(
        f"manager: uv\nenv: {env}\ncompute: cpu\ntorch: '==2.13.*'\npackages: [torchvision]\n"
    )
    proc = start_envwizard(
        "--answers", str(answers), "--dry-run", "--report", str(tmp_path / "r.json"), env=home
    )
    out, _ = proc.communicate(timeout=60)
    # Good answers: the dry run succeeds, and says when its pre-flight would stop the real run.
    assert proc.returncode == 0, out
    assert str(env) in out and "torch==2.13.*" in out and "torchvision==0.28.*" in out
    assert not env.exists() and not (tmp_path / "r.json").exists()
    json_plan = subprocess.run(
        [sys.executable, "-m", "envwizard", "plan", "--answers", str(answers), "--json"],
        capture_output=True, text=True, env=home, check=True,
    ).stdout  # fmt: skip
    assert json.loads(json_plan)["steps"][0]["argv"][:2][1] == "venv"
