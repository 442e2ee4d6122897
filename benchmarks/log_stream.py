"""How much installer output can the wizard's install pane take without freezing?

    python benchmarks/log_stream.py [--lines 100000] [--long-mb 1] [--endless-mb 0]

Drives the real runner and the real install pane (the wizard's InstallScreen in a headless
Textual app) with a child process that prints N short lines, then one long line (1 MB by
default), and optionally one endless line with no newline at all (`--endless-mb 20`, the
runaway-output drill). Measured in the same process:

- lines/s: output lines the pane received, divided by the time from the child's start to
  the last line shown;
- longest stall: the worst lateness of a 10 ms timer on the app's event loop (what a person
  feels as a frozen screen);
- pane memory: the text the pane retains (its bounded tail), plus how much the process grew.

The same output read raw from a pipe (no runner, no pane) is timed before and after, as the
reference for a shared machine. The log file keeps every byte; that is checked too. The last
line printed is the result:
`log stream: N lines/s, longest stall M ms, pane memory K MiB`.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from envwizard import tui
from envwizard.decide.decision import Decision
from envwizard.knowledge import load as load_knowledge
from envwizard.plan.build import Plan
from envwizard.plan.steps import Step
from envwizard.run.runner import RunFinished, Runner, StepOutput
from envwizard.run.target import Start
from envwizard.settings.answers import Answers, Benchmark
from envwizard.tui.app import EnvWizardApp
from envwizard.tui.screens.install import InstallScreen
from envwizard.tui.state import WizardState
from envwizard.tui.widgets.wraplog import WrapLog

TICK = 0.01


LINE = "Collecting package-{} from a verbose resolver trace\n"


def child_code(lines: int, long_mb: float, endless_mb: float) -> str:
    return (
        "import sys\n"
        "w = sys.stdout.write\n"
        f"w(''.join({LINE!r}.format(i) for i in range({lines})))\n"
        f"w('L' * int({long_mb} * 1024 * 1024) + '\\n')\n"
        f"w('E' * int({endless_mb} * 1024 * 1024))\n"
        "sys.stdout.flush()\n"
    )


def make_plan(env: Path, argv: list[str]) -> Plan:
    decision = Decision(
        variant="cpu", torch="2.13.*", index_url=None, reasons=["benchmark"], release="2.13",
        source="pip", python="3", requirement="torch",
    )  # fmt: skip
    steps = [Step.command("install-torch", "A very talkative installer", argv, "install")]
    return Plan(decision, steps, str(env), str(env / "bin" / "python"), "venv", estimate_mib=1)


class Host(EnvWizardApp):
    """The wizard's app without its flow: it holds only the install pane under measurement."""

    CSS_PATH = str(Path(tui.__file__).parent / "envwizard.tcss")

    def __init__(self, plan: Plan) -> None:
        super().__init__(WizardState(kb=load_knowledge(), plan=plan))

    def on_mount(self) -> None:
        """No first screen: the measurement pushes the install pane itself."""


def text_bytes(log: WrapLog) -> int:
    return sum(sys.getsizeof(line) for line in log.lines) + sys.getsizeof(log.lines)


async def measure(args: argparse.Namespace, work: Path) -> dict[str, float]:
    code = child_code(args.lines, args.long_mb, args.endless_mb)
    plan = make_plan(work / "env", [sys.executable, "-c", code])
    answers = Answers(env=str(work / "env"), benchmark=Benchmark(enabled=False))
    app = Host(plan)
    process = psutil.Process()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = InstallScreen(autostart=False)
        await app.push_screen(screen)
        await pilot.pause()
        rss0 = process.memory_info().rss
        stalls: list[float] = []
        ticking = True

        async def ticker() -> None:
            last = time.perf_counter()
            while ticking:
                await asyncio.sleep(TICK)
                now = time.perf_counter()
                stalls.append(now - last - TICK)
                last = now

        beat = asyncio.ensure_future(ticker())
        runner = Runner(plan, answers, Start("create"), run_dir=work / "run")
        shown = 0
        peak_rss = rss0
        t0 = time.perf_counter()
        t_last = t0
        async for ev in runner.run(keep_failed=True):
            screen.apply(ev)
            if isinstance(ev, StepOutput):
                shown += len(ev.lines)
                t_last = time.perf_counter()
                peak_rss = max(peak_rss, process.memory_info().rss)
            if isinstance(ev, RunFinished):
                break
            await asyncio.sleep(0)  # let the screen and the ticker run, as the wizard's worker does
        await pilot.pause()
        ticking = False
        await beat
        log = screen.query_one("#log-install-torch", WrapLog)
        pane = text_bytes(log)
        log_file = next((work / "run").glob("*-install-torch.log"))
        size = log_file.stat().st_size
    want = (
        sum(len(LINE.format(i)) for i in range(args.lines))
        + int(args.long_mb * 1024 * 1024)
        + int(args.endless_mb * 1024 * 1024)
    )
    if size < want:
        sys.exit(f"the log file has {size} bytes, fewer than the {want} the child printed")
    return {
        "lines": shown,
        "seconds": t_last - t0,
        "stall_ms": max(stalls, default=0.0) * 1000,
        "pane_mib": pane / 2**20,
        "pane_lines": len(log.lines),
        "grew_mib": (peak_rss - rss0) / 2**20,
        "log_mib": size / 2**20,
    }


def raw_read(args: argparse.Namespace) -> float:
    """Seconds to read the same child's output from a pipe and count its lines, nothing else:
    the reference for this (shared, busy) machine."""
    code = child_code(args.lines, args.long_mb, args.endless_mb)
    t0 = time.perf_counter()
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) as p:
        assert p.stdout is not None
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: p.stdout.read(65536), b""))
    if lines < args.lines:
        sys.exit(f"the child printed {lines} lines, not {args.lines}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--long-mb", type=float, default=1.0, help="one line of this size (MB)")
    ap.add_argument(
        "--endless-mb", type=float, default=0.0, help="then this many MB with no newline"
    )
    args = ap.parse_args(argv)
    raw = raw_read(args)
    with tempfile.TemporaryDirectory(prefix="envwizard-log-stream-") as tmp:
        r = asyncio.run(measure(args, Path(tmp)))
    raw = min(raw, raw_read(args))
    print(
        f"raw pipe read of the same output: {r['lines'] / raw:.0f} lines/s; "
        f"through the runner and the pane: {raw / r['seconds']:.2f} of that"
    )
    print(
        f"{r['lines']:.0f} lines in {r['seconds']:.2f} s; the pane keeps {r['pane_lines']:.0f} "
        f"lines; the process grew {r['grew_mib']:.1f} MiB at most; the log file has "
        f"{r['log_mib']:.1f} MiB"
    )
    print(
        f"log stream: {r['lines'] / r['seconds']:.0f} lines/s, longest stall "
        f"{r['stall_ms']:.0f} ms, pane memory {r['pane_mib']:.1f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
