"""The measurement scripts in benchmarks/ still run against the code they measure.

They are run by hand, so nothing else notices when a change to the runner or the wizard
breaks one; each runs here once, on a tiny workload, and must print its result line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_log_stream_drives_the_real_runner_and_pane_and_prints_its_result() -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "log_stream.py"), "--lines", "2000",
         "--long-mb", "0.1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"log stream: \d+ lines/s, longest stall \d+ ms, pane memory \d+\.\d MiB", last
    ), last


def test_gpu_check_dry_run_says_what_it_would_run_and_exits_0(tmp_path: Path) -> None:
    r = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--dry-run", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    for name in ("probe", "verify", "gemm", "bench"):
        assert re.search(rf"^{name}\b", r.stdout, re.M), r.stdout
    assert not (tmp_path / "out").exists()  # a dry run writes nothing
