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


def test_a_block_is_disturbed_by_other_processes_and_merged_halves_keep_the_worst() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from machine_load import BUSY_CORES, Meter, merge
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    quiet = Meter(wall=10.0, load_before=0.2, load_after=0.3, others_cores=0.05)
    busy = Meter(
        wall=10.0, load_before=2.1, load_after=2.9, others_cores=0.9, top=[("pytest", 8.0)]
    )
    assert not quiet.disturbed and busy.disturbed and BUSY_CORES == 0.15
    assert "DISTURBED" in busy.line() and "pytest 8.0 s" in busy.line()
    assert "DISTURBED" not in quiet.line() and "top: none" in quiet.line()
    both = merge([quiet, busy])
    assert both.disturbed and both.wall == 20.0
    assert (both.load_before, both.load_after) == (0.2, 2.9)
    # a real block: every process is read (some vanish meanwhile) and the load is said
    with Meter() as m:
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert m.wall > 0 and m.others_cores >= 0.0 and "load " in m.line()
