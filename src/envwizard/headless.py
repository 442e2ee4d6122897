"""Headless front end: apply a plan with Rich output, exit codes and a report.

It renders runner events and owns the terminal concerns only: confirmation of destructive
starts, Ctrl+C / SIGTERM, live or plain output depending on whether stdout is a terminal.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import deque
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.prompt import Confirm
from rich.table import Table
from rich.text import Text

from envwizard.answers import Answers
from envwizard.bench.state import BenchState
from envwizard.bench.view import live_panel, summary_table
from envwizard.errors import EXIT_CANCELLED, InvalidInput
from envwizard.facts.model import Facts
from envwizard.i18n import _
from envwizard.lock import EnvLock
from envwizard.plan import Plan
from envwizard.preflight import run_preflight
from envwizard.render import STEP_ICONS, decision_panel
from envwizard.report import build_report, installed, write_report
from envwizard.runner import (
    BenchEvent,
    Event,
    Notice,
    RunFinished,
    Runner,
    StepFinished,
    StepOutput,
    StepProgress,
    StepStarted,
)
from envwizard.target import inspect_target, resolve_start


def apply(
    plan: Plan,
    answers: Answers,
    facts: Facts,
    *,
    yes: bool = False,
    report: str | None = None,
    console: Console | None = None,
) -> int:
    console = console or Console()
    console.print(decision_panel(plan))
    start = resolve_start(inspect_target(plan.env_path), plan, answers)
    if start.destructive and not yes:
        if not (sys.stdin.isatty() and console.is_terminal):
            raise InvalidInput(
                _(
                    "existing: recreate would delete {path}; without a terminal to confirm, "
                    "pass --yes to allow it"
                ).format(path=plan.env_path)
            )
        if not Confirm.ask(
            _("[bold]{message}.[/] Continue?").format(message=start.message),
            console=console,
            default=False,
        ):
            console.print(_("Nothing was changed."))
            return EXIT_CANCELLED
    with EnvLock(plan.env_path):
        pf = run_preflight(plan, answers, start)
        for w in pf.warnings:
            console.print(f"[yellow]⚠[/] {w}")
        if pf.errors:
            raise InvalidInput(_("pre-flight: {problems}").format(problems=" | ".join(pf.errors)))
        runner = Runner(plan, answers, start)
        view = _View(plan, console)
        asyncio.run(_drive(runner, view))
    assert runner.exit_code is not None
    data = build_report(
        facts,
        answers,
        plan,
        status=runner.status,
        exit_code=runner.exit_code,
        steps=[r.to_dict() for r in runner.results],
        verify=runner.verify,
        benchmark=runner.bench,
        benchmark_error=runner.bench_error,
        run_dir=str(runner.run_dir),
    )
    paths = write_report(data, report or runner.run_dir / "report.json")
    view.summary(runner, paths[0])
    return runner.exit_code


async def _drive(runner: Runner, view: _View) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, runner.cancel)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(runner.cancel))
    try:
        with view:
            async for event in runner.run():
                view.handle(event)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):  # pragma: no cover
                signal.signal(sig, signal.SIG_DFL)


class _View:
    """Live view on a terminal (status, elapsed, output tail, progress); plain lines otherwise."""

    TAIL = 8

    def __init__(self, plan: Plan, console: Console) -> None:
        self.plan = plan
        self.console = console
        self.live_mode = console.is_terminal
        self.current: StepStarted | None = None
        self.started = 0.0
        self.tail: deque[str] = deque(maxlen=self.TAIL)
        self.fraction: float | None = None
        self.label = ""
        self.bench: BenchState | None = None
        self.live: Live | None = None

    def __enter__(self) -> _View:
        if self.live_mode:
            self.live = Live(self, console=self.console, refresh_per_second=8, transient=True)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.live.__exit__(None, None, None)
            self.live = None

    def __rich__(self) -> RenderableType:
        parts: list[RenderableType] = []
        if self.current:
            s = self.current.step
            elapsed = time.monotonic() - self.started
            parts.append(
                Text.from_markup(
                    f"[bold cyan]▶[/] [{self.current.index}/{self.current.total}] [bold]{_(s.title)}[/]  "
                    f"[dim]{elapsed:5.1f}s[/]"
                )
            )
            if self.label:
                bar = ProgressBar(
                    total=1.0, completed=self.fraction or 0.0, width=40, pulse=self.fraction is None
                )
                row = Table.grid(padding=(0, 1))
                row.add_row(
                    Text(self.label[-50:], style="dim"), bar, Text(f"{(self.fraction or 0):.0%}")
                )
                parts.append(row)
            if self.bench is not None:
                parts.append(live_panel(self.bench))
            for line in self.tail:
                parts.append(
                    Text("  " + line[:200], style="dim", no_wrap=True, overflow="ellipsis")
                )
        return Group(*parts)

    def handle(self, ev: Event) -> None:
        if isinstance(ev, StepStarted):
            self.current, self.started = ev, time.monotonic()
            self.tail.clear()
            self.label, self.fraction = "", None
            self.bench = BenchState() if ev.step.kind == "bench" else None
            if not self.live_mode:
                self.console.print(
                    f"▶ [{ev.index}/{ev.total}] {_(ev.step.title)}: {self.plan.command_line(ev.step)}"
                )
        elif isinstance(ev, StepOutput):
            self.tail.extend(ev.lines)
            if not self.live_mode:
                for line in ev.lines:
                    self.console.print(Text("  " + line, style="dim"))
        elif isinstance(ev, StepProgress):
            self.label = ev.progress.label
            self.fraction = ev.progress.fraction
        elif isinstance(ev, BenchEvent):
            self._bench(ev.data)
        elif isinstance(ev, StepFinished):
            self._finished(ev)
        elif isinstance(ev, Notice):
            style = {"warn": "yellow", "error": "red"}.get(ev.level, "cyan")
            self.console.print(f"[{style}]•[/] {ev.text}")
        elif isinstance(ev, RunFinished):
            self.current = None

    def _bench(self, d: dict) -> None:
        if self.bench is not None:
            self.bench.feed(d)
        if not self.live_mode and d.get("event") == "step":  # a plain log: one line per window
            self.console.print(
                Text(
                    f"  loss {d.get('loss')}  {d.get('samples_per_s')} samples/s  {d.get('tflops')} TFLOP/s",
                    style="magenta",
                )
            )

    def _finished(self, ev: StepFinished) -> None:
        step = self.plan.step(ev.step_id)
        icon = STEP_ICONS.get(ev.status, "?")
        timing = (
            f"[dim]{ev.seconds:.1f}s[/]" if ev.status != "skipped" else _("[dim]already done[/]")
        )
        self.console.print(f"{icon} {_(step.title)} {timing}")
        if ev.status == "failed":
            for line in ev.tail:
                self.console.print(Text("  │ " + line, style="red"))
            self.console.print(_("  [dim]full log: {path}[/]").format(path=ev.log_path))
        self.current = None

    def summary(self, runner: Runner, report_path: Path) -> None:
        c = self.console
        if runner.verify:
            v = runner.verify
            mark = "[green]✓[/]" if v.get("ok") else "[red]✗[/]"
            devices = ", ".join(v.get("device_names") or []) or "CPU"
            c.print(
                _("{mark} verify: torch {version} on {devices}").format(
                    mark=mark, version=v.get("torch_version"), devices=devices
                )
            )
            got = installed(v, self.plan)
            if got:
                c.print(
                    _("  installed: the {build} build, by {installer}, from {index}").format(
                        build=got["build"], installer=got["installer"], index=got["index"]
                    )
                )
            for h in v.get("hints") or []:
                c.print(_("  [yellow]hint:[/] {hint}").format(hint=h))
        if runner.bench:
            c.print(summary_table(runner.bench))
        elif runner.bench_error:
            c.print(_("[yellow]⚠ benchmark failed[/]: {error}").format(error=runner.bench_error))
        if runner.status == "done":
            c.print(
                _("[bold green]Done.[/] Activate with: [bold]{command}[/]").format(
                    command=self.plan.activate
                )
            )
            c.print(
                _("Install more packages (the torch pin holds) with: {command}").format(
                    command=self.plan.install_more
                )
            )
        elif runner.status == "cancelled":
            c.print(_("[yellow]Cancelled.[/]"))
        else:
            c.print(_("[red]Failed.[/]"))
        c.print(
            _("[dim]logs: {logs}   report: {report}[/]").format(
                logs=runner.run_dir, report=report_path
            )
        )
