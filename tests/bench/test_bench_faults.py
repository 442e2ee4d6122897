"""The benchmark's faults (issue 18): a closed terminal, a diverged training, a preset far too
large for the device. Real runs on CPU torch."""

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

from envwizard.bench import worker

from .test_bench_run import WORKER, bench, lines

pytestmark = pytest.mark.slow


def test_a_diverged_training_says_so_and_fails(torch_python: str) -> None:
    r = subprocess.run(
        [torch_python, WORKER, "--device", "cpu", "--preset", "tiny", "--seconds", "2",
         "--threads", "1", "--lr", "1e30", "--probe-seconds", "0"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 1, r.stdout[-2000:]
    [error] = [e for e in lines(r.stdout) if e["event"] == "error"]
    assert error["message"].startswith("the training diverged: the loss became")
    assert "learning rate 1e+30" in error["message"] and "--lr" in error["hint"]
    assert not [e for e in lines(r.stdout) if e["event"] == "summary"]


def test_a_preset_far_too_large_for_the_cpu_is_refused_from_a_measured_estimate(
    torch_python: str,
) -> None:
    t0 = time.monotonic()
    r = bench("--python", torch_python, "--device", "cpu", "--preset", "large", "--seconds",
              "30", "--threads", "1")  # fmt: skip
    took = time.monotonic() - t0
    print(f"refused after {took:.1f} s: {r.stderr.strip()}")
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr[-2000:]
    said = " ".join(r.stderr.split())
    assert "one training step of preset large would take about" in said
    assert "longer than the whole measurement (--seconds 30)" in said
    assert took < 60  # it ran for about an hour before


def test_sighup_cancels_the_benchmark_with_130_and_a_line(
    torch_python: str, tmp_path: Path
) -> None:
    log = tmp_path / "bench.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "envwizard", "bench", "--python", torch_python, "--device",
             "cpu", "--preset", "tiny", "--seconds", "120", "--threads", "1"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while not any(
            "worker.py" in " ".join(k.cmdline()) for k in psutil.Process(proc.pid).children(True)
        ):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        kids = psutil.Process(proc.pid).children(recursive=True)
        time.sleep(1)
        os.killpg(proc.pid, signal.SIGHUP)  # the terminal's session is hung up
        rc = proc.wait(timeout=30)
    assert rc == 130, log.read_text()
    assert log.read_text().rstrip().endswith("envwizard: error: cancelled")
    _gone, alive = psutil.wait_procs(kids, timeout=10)
    assert not alive


def test_the_pure_checks() -> None:
    worker.check_finite(1.5, 3, 0.1)
    with pytest.raises(worker.BenchError, match="loss became nan by step 7"):
        worker.check_finite(float("nan"), 7, 0.1)
    worker.check_step_time(29.0, 30, "large", "cpu")
    with pytest.raises(worker.BenchError, match=r"takes about 8 min on this cpu") as e:
        worker.check_step_time(480.0, 30, "large", "cpu")
    assert (
        "about 24 min" in str(e.value)
        and e.value.hint == "choose a smaller preset: --preset medium or tiny"
    )
    assert [worker.duration(s) for s in (5, 600, 9000)] == ["5 s", "10 min", "2.5 h"]
    assert json.dumps(worker.clean(float("inf"))) == "null"
