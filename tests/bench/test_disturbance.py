"""A disturbed measurement is detected and said beside the figures (docs/benchmark.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from envwizard.bench import worker
from envwizard.bench.view import summary_table
from envwizard.core import i18n
from envwizard.report.report import disturbance_lines, markdown

WORKER = str(Path(worker.__file__))
STAT = "cpu  4705 356 584 3699 23 0 15 7 0 0\ncpu0 1393 280 254 1790 10 0 9 4 0 0\n"


def test_machine_busy_seconds_from_proc_stat() -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    # user+nice+system+irq+softirq+steal; idle and iowait are not busy
    assert worker.machine_cpu_seconds(STAT) == pytest.approx((4705 + 356 + 584 + 15 + 7) / ticks)
    assert worker.machine_cpu_seconds(None) is None
    assert worker.machine_cpu_seconds("intr 1 2 3") is None


def test_the_loaded_run_of_the_issue_shows_every_sign() -> None:
    """624 samples/s against a 28k warm-up, others on 1.6 of 2 cores, 17.9 % with chance 10 %."""
    signs = worker.disturbance(1.6, 2, 624.0, 28000.0, 0.179, 0.1)
    assert [s["code"] for s in signs] == ["busy-cpu", "slowdown", "near-chance"]
    assert signs[0]["others_cores"] == 1.6 and signs[1]["ratio"] == pytest.approx(624 / 28000, 1e-3)


@pytest.mark.parametrize(
    ("others", "cores", "sps", "warm", "acc", "expected"),
    [
        (0.1, 2, 210_000.0, 190_000.0, 0.78, []),  # quiet: the recorded CPU run
        (0.4, 2, 210_000.0, 190_000.0, 0.78, []),  # less than half a core: noise
        (0.6, 64, 210_000.0, 190_000.0, 0.78, []),  # half a core of 64 is not a fifth of them
        (0.6, 2, 210_000.0, 190_000.0, 0.78, ["busy-cpu"]),
        (None, 2, 90_000.0, 190_000.0, 0.78, ["slowdown"]),  # unknown CPU share: not a sign
        (None, 2, 210_000.0, None, 0.2, ["near-chance"]),  # 11 % of the way from chance
        (None, 2, 210_000.0, None, 0.25, []),  # 17 %: it learned something
    ],
)
def test_thresholds(
    others: float | None,
    cores: int,
    sps: float,
    warm: float | None,
    acc: float,
    expected: list[str],
) -> None:
    got = worker.disturbance(others, cores, sps, warm, acc, 0.1)
    assert [s["code"] for s in got] == expected


SIGNS = [
    {"code": "busy-cpu", "others_cores": 1.6, "cores": 2},
    {"code": "slowdown", "ratio": 0.0223, "samples_per_s": 624.0, "warmup_samples_per_s": 28000.0},
    {"code": "near-chance", "accuracy": 0.179, "chance": 0.1},
]


def recorded_summary(**extra: Any) -> dict[str, Any]:
    data = Path(__file__).parent.parent / "data" / "bench_cpu.jsonl"
    return {**json.loads(data.read_text().splitlines()[-1]), **extra}


def shown(summary: dict[str, Any]) -> str:
    console = Console(width=100, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(summary_table(summary))
    return console.export_text()


def test_the_figures_say_it_in_english_and_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_cli", "en")
    quiet = shown(recorded_summary(disturbance=[]))
    assert "disturbed" not in quiet
    text = " ".join(shown(recorded_summary(disturbance=SIGNS)).split())
    assert "Other processes kept 1.6 of the 2 CPU cores busy while it measured." in text
    assert "The pace fell to 2.2 % of the warm-up's (624 against 28,000 samples/s)." in text
    assert "Held-out accuracy stayed near chance (17.9 %, chance 10.0 %)" in text
    assert "measure again when the machine is quiet" in text
    monkeypatch.setattr(i18n, "_cli", "zh-CN")
    zh = "".join(shown(recorded_summary(disturbance=SIGNS)).split())
    assert "其他进程" in zh and "受到干扰" in zh


def test_the_markdown_report_says_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_cli", "en")
    report = {
        "status": "done",
        "exit_code": 0,
        "env": {"path": "/e", "activate": "source /e/bin/activate", "outcome": "ready"},
        "decision": {"torch": "2.13.*", "variant": "cpu", "index_url": None, "reasons": []},
        "steps": [],
        "benchmark": recorded_summary(disturbance=SIGNS),
    }
    text = markdown(report)
    assert text.count("- ⚠ disturbed: ") == len(disturbance_lines(report["benchmark"])) == 4
    report["benchmark"] = recorded_summary(disturbance=[])
    assert "disturbed" not in markdown(report)


BURN = "import time\nend = time.time() + 60\nwhile time.time() < end:\n    pass\n"


@pytest.mark.slow
def test_a_real_run_beside_busy_processes_is_flagged(torch_python: str) -> None:
    """Two real busy loops beside a real one-thread CPU benchmark: the summary says busy-cpu."""
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(2)]
    try:
        r = subprocess.run(
            [torch_python, WORKER, "--device", "cpu", "--seconds", "2", "--threads", "1",
             "--probe-seconds", "0.2"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    finally:
        for p in burners:
            p.kill()
            p.wait()
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.splitlines()[-1])
    assert summary["event"] == "summary"
    assert summary["other_cpu_cores"] >= 1.0  # two loops on a machine of any size
    assert "busy-cpu" in [s["code"] for s in summary["disturbance"]]
