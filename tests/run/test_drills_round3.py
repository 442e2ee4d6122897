"""Fault drills, third round (issue 18): real processes, real signals, real filesystems, a real
second user. Each test is one drill; each failed before its fix (the drill table in the issue's
closing note says what happened before and after).

S1 first: nothing a person made is ever deleted (a symlinked path, a stale or planted marker,
recreate beside a project's own folders), and no credential reaches a screen, a log, a report or
any process's command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..builders import start_envwizard
from ..conftest import local_torch_version, pip_find_links
from .test_crash_drills import answers_file, command_lines, drain, home_env, reports

LINUX = sys.platform == "linux"


def local_torch() -> tuple[str, Path]:
    """The torch version and wheel folder pip is configured with (skip where there is none)."""
    version = local_torch_version()
    if not version:
        pytest.skip("no torch wheel for this Python in pip's configured wheel folders")
    folder = next(f for f in pip_find_links() if any(f.glob(f"torch-{version}*.whl")))
    return version, folder


def wait_until(what: str, predicate: object, proc: subprocess.Popen[str], got: list[str],
               timeout: float = 300) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert proc.poll() is None, f"envwizard ended before {what}:\n" + "".join(got)[-3000:]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# ---- S1.1 a symlinked path names the same environment, and the same lock -------------------


@pytest.mark.slow
def test_s1_1_recreate_through_a_symlink_is_refused_while_the_first_run_works(
    tmp_path: Path,
) -> None:
    version, folder = local_torch()
    envs = tmp_path / "envs"
    envs.mkdir()
    real = envs / "x"
    link = tmp_path / "link"
    link.symlink_to(real)
    # Run A: a real torch environment, then a benchmark long enough for run B to meet it.
    a = answers_file(
        tmp_path, manager="uv", env=str(real), python=sys.executable, torch=f"=={version}",
        torch_index="default", find_links=[str(folder)],
        benchmark={"enabled": True, "device": "cpu", "preset": "tiny", "seconds": 12},
    )  # fmt: skip
    first = start_envwizard("--answers", str(a), env=home_env(tmp_path, COLUMNS="300"))
    got = drain(first.stdout)
    wait_until("run A's benchmark", lambda: any("worker" in c for c in command_lines(first.pid)),
               first, got)  # fmt: skip
    b_dir = tmp_path / "b"
    b_dir.mkdir()
    b = answers_file(
        b_dir, manager="uv", env=str(link), python=sys.executable, torch=f"=={version}",
        torch_index="default", find_links=[str(folder)], existing="recreate",
    )  # fmt: skip
    second = subprocess.run(
        [sys.executable, "-m", "envwizard", "--answers", str(b), "--yes"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        env=home_env(b_dir, COLUMNS="300"),
    )  # fmt: skip
    assert first.wait(timeout=600) == 0, "".join(got)[-4000:]
    assert second.returncode == 2, second.stdout[-3000:] + second.stderr[-2000:]
    assert f"another envwizard run (pid {first.pid})" in second.stderr
    assert (real / "pyvenv.cfg").is_file()
    [report] = reports(tmp_path)
    assert report["status"] == "done" and report["verify"]["ok"] is True
    assert [s["status"] for s in report["steps"]] == ["ok"] * len(report["steps"])
