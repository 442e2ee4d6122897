"""The launcher (argv, line parsing, a real child and its cancel), the state and the Rich view."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import psutil
import pytest
from rich.console import Console

from envwizard.bench.launch import BenchOptions, BenchProcess, parse_line, worker_argv, worker_env
from envwizard.bench.state import BenchState
from envwizard.bench.view import (
    live_panel,
    progress_line,
    sparkline,
    summary_table,
    telemetry_line,
)
from envwizard.plan.bench_argv import worker_path as bench_worker_path

RECORDED = Path(__file__).parent / "data" / "cpu-run.jsonl"


def test_worker_argv_matches_the_plans_shape() -> None:
    opts = BenchOptions(device="cpu", preset="tiny", seconds=10, dtype="fp32")
    argv = worker_argv("/env/bin/python", opts)
    assert argv == ["/env/bin/python", bench_worker_path(), "--device", "cpu", "--preset",
                    "tiny", "--seconds", "10", "--dtype", "fp32"]  # fmt: skip
    opts = BenchOptions(nproc=4, seconds=2.5, compile=True, baseline_samples_per_s=1000.0)
    argv = worker_argv("/env/bin/python", opts)
    assert argv[:6] == ["/env/bin/python", "-m", "torch.distributed.run", "--standalone",
                        "--nproc_per_node=4", bench_worker_path()]  # fmt: skip
    assert argv[argv.index("--seconds") + 1] == "2.5"
    assert "--compile" in argv and argv[-2:] == ["--baseline-samples-per-s", "1000"]
    assert "--optimizer" not in argv  # the tutorial's plain SGD is the worker's default
    argv = worker_argv("/env/bin/python", BenchOptions(optimizer="adamw"))
    assert argv[argv.index("--optimizer") + 1] == "adamw"


def test_worker_argv_across_nodes() -> None:
    """Node 0 hosts the c10d rendezvous at --master; the others only join it."""
    for rank, host in ((0, "true"), (1, "false")):
        opts = BenchOptions(nproc=8, nnodes=2, node_rank=rank, master="10.0.0.1:29500")
        argv = worker_argv("/env/bin/python", opts)
        assert argv[:9] == [
            "/env/bin/python", "-m", "torch.distributed.run", "--nnodes=2",
            "--nproc_per_node=8", "--rdzv_backend=c10d", "--rdzv_endpoint=10.0.0.1:29500",
            "--rdzv_id=envwizard-bench", f"--rdzv_conf=is_host={host}",
        ]  # fmt: skip
        assert argv[9] == bench_worker_path() and "--standalone" not in argv
        assert argv[argv.index("--node-rank") + 1] == str(rank)


def test_worker_env_splits_threads_for_torchrun() -> None:
    env = worker_env(BenchOptions(nproc=2), base={"PATH": "/bin"})
    assert env["OMP_NUM_THREADS"].isdigit() and env["PYTHONUNBUFFERED"] == "1"
    assert (
        worker_env(BenchOptions(nproc=2), base={"OMP_NUM_THREADS": "7"})["OMP_NUM_THREADS"] == "7"
    )
    assert "OMP_NUM_THREADS" not in worker_env(BenchOptions(nproc=1), base={})


def test_parse_line() -> None:
    assert parse_line('{"event":"step","loss":1.5}\n') == {"event": "step", "loss": 1.5}
    assert parse_line("W1129 torchrun warning")["event"] == "log"
    assert parse_line('{"event":"bogus"}') == {"event": "log", "line": '{"event":"bogus"}'}
    assert parse_line("{not json")["line"] == "{not json"


CHILD = """
import sys, time
print('{"event":"start","seconds":1}', flush=True)
print('a warning', file=sys.stderr, flush=True)
print('not json', flush=True)
print('{"event":"summary","samples_per_s":5}', flush=True)
sys.exit(int(sys.argv[1]))
"""


async def test_bench_process_streams_events_and_logs() -> None:
    run = BenchProcess([sys.executable, "-c", CHILD, "0"])
    events = [e async for e in run.events()]
    kinds = sorted(e["event"] for e in events)
    assert kinds == ["log", "log", "start", "summary"]
    logs = {e["line"] for e in events if e["event"] == "log"}
    assert logs == {"a warning", "not json"}
    assert run.returncode == 0 and run.summary == {"event": "summary", "samples_per_s": 5}


async def failure_of(script: str) -> tuple[int | None, str]:
    run = BenchProcess([sys.executable, "-c", script])
    _ = [e async for e in run.events()]
    assert run.summary is None
    return run.returncode, run.failure()


async def test_bench_process_failure_says_why() -> None:
    error = '{"event":"error","message":"out of memory","hint":"try --preset medium"}'
    assert await failure_of(f"print({error!r}); raise SystemExit(1)") == (
        1,
        "out of memory (try --preset medium)",
    )
    # Without an event (another rank failed), the worker's stderr words beat torchrun's banner.
    banner = (
        "import sys\n"
        "sys.stderr.write('benchmark error: RuntimeError: gloo timeout\\n')\n"
        "sys.stderr.write('terminate called without an active exception\\n')\n"
        "sys.stderr.write('ChildFailedError:\\n' + '=' * 40 + '\\n')\n"
        "sys.exit(1)\n"
    )
    assert (await failure_of(banner))[1].endswith("status 1: RuntimeError: gloo timeout")
    crash = banner.replace("benchmark error: RuntimeError: gloo timeout", "W1129 a warning")
    assert (await failure_of(crash))[1].endswith("terminate called without an active exception")
    assert (await failure_of("import sys; sys.exit('boom')"))[1].endswith("status 1: boom")


@pytest.mark.slow
async def test_cancel_kills_the_child_tree() -> None:
    script = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
        " start_new_session=True)\n"  # like torchrun's workers: a session of its own
        'print(\'{"event":"start"}\', flush=True)\n'
        "time.sleep(600)\n"
    )
    run = BenchProcess([sys.executable, "-c", script])
    started = asyncio.Event()
    tree: list[psutil.Process] = []

    async def consume() -> None:
        async for e in run.events():
            if e["event"] == "start":
                assert run.pid is not None
                for _ in range(50):
                    tree[:] = psutil.Process(run.pid).children(recursive=True)
                    if tree:
                        break
                    await asyncio.sleep(0.1)
                started.set()

    task = asyncio.ensure_future(consume())
    await asyncio.wait_for(started.wait(), 60)
    assert tree, "the grandchild did not start"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert run.returncode is not None
    _, alive = psutil.wait_procs(tree, timeout=10)
    assert alive == []


def recorded_state() -> BenchState:
    state = BenchState(window=5)
    for line in RECORDED.read_text().splitlines():
        state.feed(json.loads(line))
    return state


def test_state_folds_a_recorded_run() -> None:
    events = [json.loads(x) for x in RECORDED.read_text().splitlines()]
    state = BenchState(window=5)
    assert (state.phase, state.progress) == ("starting", 0.0)
    phases = []
    for e in events:
        state.feed(e)
        phases.append(state.phase)
    assert phases[0] == "warming up" and phases[-1] == "done"
    assert "measuring" in phases and state.progress == 1.0
    steps = [e for e in events if e["event"] == "step"]
    assert len(state.series["loss"]) == min(5, len(steps))  # bounded series
    assert list(state.series["loss"]) == [e["loss"] for e in steps][-5:]
    assert state.series["gpu_util"] == type(state.series["gpu_util"])()  # CPU run: no GPU points
    assert {"initial", "final"} <= set(state.evals) <= {"initial", "during", "final"}
    assert state.held_out == state.evals["final"]
    assert state.summary == events[-1]


def test_progress_covers_the_whole_run() -> None:
    """The bar follows the worker's clock against its estimate, not only the measured seconds."""
    events = [json.loads(x) for x in RECORDED.read_text().splitlines()]
    state = BenchState()
    seen = []
    for e in events[:-1]:
        state.feed(e)
        seen.append(state.progress)
    assert seen[0] > 0.0 and seen == sorted(seen) and max(seen) < 1.0
    last_step = max(i for i, e in enumerate(events) if e["event"] == "step")
    assert seen[last_step] > 0.5  # measuring is most of it
    state.feed(events[-1])
    assert state.progress == 1.0


def test_plain_log_lines_are_few() -> None:
    state = BenchState()
    assert state.line_due(100.0)
    assert not state.line_due(101.0) and not state.line_due(104.9)
    assert state.line_due(105.0)


def render(renderable: object, width: int = 120) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_live_panel_and_summary_render() -> None:
    state = recorded_state()
    text = render(live_panel(state))
    for word in ("Training benchmark", "loss", "samples/s", "TFLOP/s", "MFU", "CPU", "done"):
        assert word in text
    assert "784→128→10" in text and any(b in text for b in "▁▂▃▄▅▆▇█")
    assert f"(from {state.evals['initial']['loss']:.4g})" in text
    assert "held-out" in text and "measured" in text
    table = render(summary_table(state.summary or {}))
    assert "samples/s" in table and "held-out" in table and "(estimate)" in table
    s = state.summary or {}
    assert f"loss {s['eval_loss']:.4g}" in table
    assert f"{s['wall_s']:.1f} s from start to summary" in table
    line = progress_line(state)
    assert "training loss" in line and "held-out loss" in line and "\n" not in line


def test_summary_without_a_peak_says_na() -> None:
    s = dict(json.loads(RECORDED.read_text().splitlines()[-1]))
    s.update(mfu=None, peak_tflops=None, peak_source="no known peak for 'X'")
    assert "MFU n/a: no known peak for 'X'" in " ".join(render(summary_table(s)).split())


def test_gpu_telemetry_line() -> None:
    line = telemetry_line(
        {"source": "nvml", "gpu_util": 98, "mem_used_mib": 70000, "mem_total_mib": 81559,
         "power_w": 650.2, "power_limit_w": 700.0, "temp_c": 61, "sm_clock_mhz": 1980,
         "throttle": ["sw_power_cap"], "cpu_percent": 100.0, "rss_mib": 2048.0}
    ).plain  # fmt: skip
    assert "GPU 98 %" in line and "650 W / 700 W" in line and "61 °C" in line
    assert "SM 1980 MHz" in line and "throttle: sw_power_cap" in line
    missing = telemetry_line({"source": "nvml", "gpu_util": None, "throttle": None}).plain
    assert "GPU n/a" in missing and "throttle: none" in missing


def test_sparkline() -> None:
    assert sparkline([]) == ""
    assert sparkline([1, 1, 1]) == "▄▄▄"
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert len(sparkline(range(100), width=10)) == 10
