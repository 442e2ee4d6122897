"""Real benchmark runs on CPU torch: learning, the JSON lines contract, gloo, FLOPs, MFU, exits."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from envwizard.bench import worker
from envwizard.bench.launch import EVENTS

# Real CPU training for seconds at a time: what they learn and measure needs the cores to itself.
pytestmark = [pytest.mark.slow, pytest.mark.timed]
SUMMARY_KEYS = (
    "device", "device_name", "world_size", "dtype", "preset", "samples_per_s", "tflops", "mfu",
    "loss_first", "loss_last", "accuracy", "batch", "model",
)  # fmt: skip
WORKER = str(Path(worker.__file__))


def bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envwizard", "bench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in stdout.splitlines()]


@pytest.fixture(scope="module")
def cpu_run(torch_python: str) -> list[dict[str, Any]]:
    # One thread: a shared, loaded machine starves a two-thread step far more than one.
    r = bench("--python", torch_python, "--device", "cpu", "--seconds", "3", "--threads", "1",
              "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    return lines(r.stdout)


@pytest.fixture(scope="module")
def learning_run(torch_python: str) -> dict[str, Any]:
    """A run that takes enough steps to learn wherever it runs: lr 0.1 needs ~300 steps."""
    r = subprocess.run(
        [torch_python, WORKER, "--device", "cpu", "--seconds", "3", "--threads", "1",
         "--lr", "0.1", "--probe-seconds", "0.2"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return lines(r.stdout)[-1]


def test_json_lines_contract(cpu_run: list[dict[str, Any]]) -> None:
    kinds = [e["event"] for e in cpu_run]
    assert set(kinds) <= set(EVENTS)
    assert kinds[0] == "start" and kinds[-1] == "summary"
    assert kinds.count("start") == kinds.count("summary") == 1
    assert "step" in kinds and "telemetry" in kinds
    s = cpu_run[-1]
    assert not [k for k in SUMMARY_KEYS if k not in s]
    assert (s["device"], s["world_size"], s["dtype"], s["preset"]) == ("cpu", 1, "fp32", "tiny")
    assert s["model"] == {"in": 784, "hidden": 128, "out": 10} and s["batch"] == 64
    assert s["flops_per_step"] == worker.flops_per_step(64, 784, 128, 10)


def test_loss_falls_and_accuracy_beats_chance(learning_run: dict[str, Any]) -> None:
    s = learning_run
    assert s["loss_first"] == pytest.approx(math.log(10), abs=0.3)  # starts near ln(classes)
    assert s["loss_last"] < 0.8 * s["loss_first"] and s["eval_loss"] < 0.8 * s["loss_first"]
    assert s["chance"] == pytest.approx(0.1)
    assert s["accuracy"] > 1.5 * s["chance"]
    assert s["accuracy"] > s["accuracy_initial"]


def test_the_tutorials_recipe_and_held_out_figures(cpu_run: list[dict[str, Any]]) -> None:
    s = cpu_run[-1]
    assert s["threads"] == 1 and s["lr"] == 0.01
    # Fresh samples every step: nothing to memorise, so training batches and held-out agree.
    assert abs(s["train_accuracy"] - s["eval_accuracy"]) <= 0.10
    evals = {e["phase"]: e for e in cpu_run if e["event"] == "eval"}
    assert {"initial", "final"} <= set(evals) <= {"initial", "during", "final"}
    assert evals["final"]["accuracy"] == s["accuracy"] == s["eval_accuracy"]
    assert evals["final"]["loss"] == s["eval_loss"]
    assert (s["optimizer"], s["optimizer_impl"]) == ("sgd", "default")


def test_windows_and_throughput_add_up(cpu_run: list[dict[str, Any]]) -> None:
    steps = [e for e in cpu_run if e["event"] == "step"]
    s = cpu_run[-1]
    assert [e["step"] for e in steps] == sorted({e["step"] for e in steps})
    assert steps[-1]["step"] == s["steps"]
    assert steps[-1]["elapsed"] == s["seconds"] and s["seconds"] >= 3.0
    assert s["wall_s"] > s["seconds"]  # start-up, warm-up, probe and evaluation come on top
    assert all(e["expected_s"] > 0 for e in cpu_run if e["event"] in ("start", "step", "eval"))
    assert s["samples_per_s"] == pytest.approx(s["steps"] * s["batch"] / s["seconds"], rel=1e-3)
    assert s["tflops"] == pytest.approx(
        s["steps"] * s["flops_per_step"] / s["seconds"] / 1e12, rel=1e-3
    )
    if s["peak_tflops"] is not None:  # the CPU peak is an estimate where the clock is known
        assert s["peak_estimate"] is True
        assert s["mfu"] == pytest.approx(s["tflops"] / s["peak_tflops"], rel=1e-3)
    assert s["probe_tflops"] > 0
    assert s["mfu_ceiling"] == pytest.approx(s["tflops"] / s["probe_tflops"], rel=1e-3)
    tele = [e for e in cpu_run if e["event"] == "telemetry"]
    assert all(e["source"] == "process" and e["cpu_percent"] is not None for e in tele)


FLOP_CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
import worker
torch = worker.import_torch()
from torch.utils.flop_counter import FlopCounterMode

class OneProcess:
    on = False

out = []
for batch, i, h, o in [(64, 784, 128, 10), (32, 96, 160, 24), (16, 128, 256, 128)]:
    device = torch.device("cpu")
    trainer = worker.Trainer(torch, device, [i, h, o], "fp32", "sgd", 0.01, OneProcess(), False)
    x, y = torch.randn(batch, i), torch.randint(0, o, (batch,))
    with FlopCounterMode(display=False) as counter:
        trainer.step(x, y)
    out.append([counter.get_total_flops(), worker.flops_per_step(batch, i, h, o)])
print(json.dumps(out))
"""


def test_flop_formula_matches_torch_flop_counter(torch_python: str) -> None:
    r = subprocess.run(
        [torch_python, "-c", FLOP_CHECK, str(Path(WORKER).parent)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    for counted, formula in json.loads(r.stdout):
        assert counted == formula


def test_mfu_is_null_for_an_unknown_peak(torch_python: str, tmp_path: Path) -> None:
    peaks = tmp_path / "peaks.json"
    peaks.write_text(json.dumps({"gpus": [], "cpu": {}}))
    r = subprocess.run(
        [torch_python, WORKER, "--device", "cpu", "--seconds", "1", "--probe-seconds", "0.2",
         "--peaks", str(peaks), "--dims", "96,160,24", "--batch", "32"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    start, s = lines(r.stdout)[0], lines(r.stdout)[-1]
    assert start["peak_tflops"] is None and s["event"] == "summary"
    assert s["mfu"] is None and s["mfu_6n"] is None and s["peak_tflops"] is None
    assert "unknown" in s["peak_source"]
    assert s["tflops"] > 0 and s["mfu_ceiling"] > 0  # measured figures are still there
    assert s["model"] == {"in": 96, "hidden": 160, "out": 24} and s["batch"] == 32
    assert s["flops_per_step"] == worker.flops_per_step(32, 96, 160, 24)
    assert s["loss_first"] == pytest.approx(math.log(24), abs=0.4)


def test_two_gloo_processes_with_scaling(torch_python: str) -> None:
    r = bench(
        "--python", torch_python, "--device", "cpu", "--seconds", "2", "--nproc", "2",
        "--scaling", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    events = lines(r.stdout)
    kinds = [e["event"] for e in events]
    assert set(kinds) <= set(EVENTS)
    assert kinds.count("start") == kinds.count("summary") == 1  # rank 0 alone; no baseline lines
    s = events[-1]
    assert s["event"] == "summary" and s["world_size"] == 2
    assert s["threads"] == max(1, (os.cpu_count() or 1) // 2)
    assert s["samples_per_s"] == pytest.approx(s["steps"] * 64 * 2 / s["seconds"], rel=1e-3)
    assert s["baseline_samples_per_s"] > 0
    assert s["scaling_efficiency"] == pytest.approx(
        s["samples_per_s"] / (2 * s["baseline_samples_per_s"]), rel=1e-3
    )
    # Learning is checked by learning_run; two ranks of plain SGD may take few steps here.
    assert 0.0 <= s["accuracy"] <= 1.0 and s["eval_loss"] > 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_nodes_through_c10d_rendezvous(torch_python: str) -> None:
    """Two launches with --nnodes 2 on one machine, over gloo: one world of two processes."""
    master = f"127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "envwizard", "bench", "--python", torch_python, "--device",
               "cpu", "--seconds", "2", "--nnodes", "2", "--master", master, "--json"]  # fmt: skip
    launches = [
        subprocess.Popen(
            [*command, "--node-rank", str(rank)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        for rank in (0, 1)
    ]
    outs = [p.communicate(timeout=600) for p in launches]
    for p, (_, err) in zip(launches, outs):
        assert p.returncode == 0, err
    summaries = [lines(out)[-1] for out, _ in outs]
    for rank, s in enumerate(summaries):
        assert s["event"] == "summary" and s["world_size"] == 2 and s["nnodes"] == 2
        assert s["node_rank"] == rank
        assert s["samples_per_s_per_device"] == pytest.approx(s["samples_per_s"] / 2, rel=1e-3)
        assert s["samples_per_s"] == pytest.approx(s["steps"] * 64 * 2 / s["seconds"], rel=1e-3)
    # One measurement, reduced over both nodes: both report the same figures.
    assert summaries[0]["samples_per_s"] == summaries[1]["samples_per_s"]


def test_worker_failure_exits_1(torch_python: str) -> None:
    r = bench("--python", torch_python, "--device", "cuda", "--seconds", "1", "--json")
    assert r.returncode == 1
    last = lines(r.stdout)[-1]
    assert last["event"] == "error" and "not available" in last["message"]
    assert "benchmark failed" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.skipif(os.name != "posix", reason="signals a process by pid")
def test_ctrl_c_stops_the_whole_tree(torch_python: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "envwizard", "bench", "--python", torch_python, "--device", "cpu",
         "--nproc", "2", "--seconds", "300", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    stepped = threading.Event()

    def watch() -> None:
        assert proc.stdout
        for line in proc.stdout:
            if '"event":"step"' in line:
                stepped.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert stepped.wait(240), "no step event"
        tree = psutil.Process(proc.pid).children(recursive=True)
        assert len(tree) >= 3  # torchrun and two workers
        t = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
        _, alive = psutil.wait_procs(tree, timeout=10)
        assert alive == [] and time.monotonic() - t < 30
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stderr and "cancelled" in proc.stderr.read()
