"""Headless front end: apply a plan with Rich output, exit codes and a report.

It renders runner events and owns the terminal concerns only: confirmation of destructive
starts, Ctrl+C / SIGTERM / SIGHUP (a closed terminal), live or plain output depending on
whether stdout is a terminal. A closed terminal cancels like Ctrl+C: the run rolls back and
writes its report, with output going nowhere from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.prompt import Confirm
from rich.table import Table
from rich.text import Text

from envwizard.app.session import NeedsConfirm, Ready, Refused, Session
from envwizard.bench.state import BenchState
from envwizard.bench.view import live_panel, progress_line, summary_table
from envwizard.core.errors import EXIT_CANCELLED, EXIT_INVALID, InvalidInput
from envwizard.core.i18n import _, join
from envwizard.core.redact import redact_text
from envwizard.core.terminal import detach_terminal
from envwizard.plan.build import Plan
from envwizard.plan.steps import StepKind
from envwizard.report.render import STEP_ICONS, SafeConsole, decision_panel, lock_line, outcome_line
from envwizard.report.report import DEFAULT_SOURCE, carry_commands, index_words, installed
from envwizard.report.stack_view import resolve_left_out, run_lines
from envwizard.run.outcome import EnvOutcome, RunResult, StepStatus
from envwizard.run.runner import (
    BenchEvent,
    Event,
    Notice,
    RunFinished,
    StepFinished,
    StepOutput,
    StepProgress,
    StepStarted,
)


def apply(
    session: Session,
    *,
    yes: bool = False,
    report: str | None = None,
    console: Console | None = None,
    answers_file: str | None = None,
) -> int:
    """Render the session: its questions as prompts, its refusals as errors, its events live."""
    console = console or SafeConsole()
    plan = session.plan
    console.print(decision_panel(plan))

    def resolving(lines: list[str]) -> None:
        """The installer's dry run, as it answers (the resolve before anything is made)."""
        for line in lines:
            console.print(Text("  " + line, style="dim"))

    prepared = session.prepare(on_output=resolving)
    if isinstance(prepared, NeedsConfirm):
        if not yes:
            if not (sys.stdin.isatty() and console.is_terminal):
                raise InvalidInput(
                    _(
                        "existing: recreate would delete {path}; without a terminal to confirm, "
                        "pass --yes to allow it"
                    ).format(path=plan.env_path)
                )
            if not Confirm.ask(
                _("[bold]{message}.[/] Continue?").format(message=prepared.question),
                console=console,
                default=False,
            ):
                console.print(_("Nothing was changed."))
                return EXIT_CANCELLED
        prepared = session.prepare(confirmed=True, on_output=resolving)
    assert not isinstance(prepared, NeedsConfirm)  # confirmed: asked and answered
    for w in prepared.warnings:
        console.print(f"[yellow]⚠[/] {redact_text(w.text)}")
    if isinstance(prepared, Refused):
        raise prepared.error()
    plan = session.plan  # the plan that installs the lock the resolve made
    console.print(lock_line(plan))
    for line in resolve_left_out(plan.stack):  # before anything is made, not only at the end
        console.print(Text("  – ", style="yellow") + Text(line))
    with session:
        on_wait = lambda text: console.print(f"[yellow]⚠[/] {text}")  # noqa: E731
        locked = session.lock(prepared, on_wait=on_wait)
        if isinstance(locked, Refused):
            raise locked.error()
        assert isinstance(locked, Ready)  # lock() never asks
        view = _View(plan, console)
        asyncio.run(_drive(session.run(locked.start), session.cancel, view))
    result = session.result
    assert result is not None
    reported = session.write_report(report)
    exit_code = result.exit_code
    if reported.warning:  # the run folder's disk: costs the record, never the environment
        view.error(reported.warning)
    if reported.error:
        view.error(reported.error)
        exit_code = exit_code or EXIT_INVALID
    view.summary(result, reported.path, answers_file)
    return exit_code


CANCEL_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


async def _drive(events: AsyncIterator[Event], cancel: Callable[[], None], view: _View) -> None:
    loop = asyncio.get_running_loop()

    def hang_up() -> None:
        view.detach()
        cancel()

    handlers = {sig: cancel for sig in CANCEL_SIGNALS}
    if hasattr(signal, "SIGHUP"):
        handlers[signal.SIGHUP] = hang_up
    previous = {sig: signal.getsignal(sig) for sig in handlers}
    for sig, handler in handlers.items():
        try:
            loop.add_signal_handler(sig, handler)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            signal.signal(sig, lambda *_, h=handler: loop.call_soon_threadsafe(h))
    try:
        with view:
            async for event in events:
                view.handle(event)
    finally:
        for sig in handlers:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(sig, previous[sig])


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
            with contextlib.suppress(OSError):
                self.live.__exit__(None, None, None)
            self.live = None

    def detach(self) -> None:
        """The terminal is gone: stop drawing, and send what is still printed nowhere."""
        self.live_mode = bool(self.live)  # a running Live keeps drawing, into nothing
        detach_terminal()

    def error(self, text: str) -> None:
        print("envwizard: error: " + text, file=sys.stderr)

    def __rich__(self) -> RenderableType:
        parts: list[RenderableType] = []
        if self.current:
            s = self.current.step
            elapsed = time.monotonic() - self.started
            parts.append(
                Text.from_markup(
                    f"[bold cyan]▶[/] [{self.current.index}/{self.current.total}] [bold]{s.label()}[/]  "
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
        try:
            self._handle(ev)
        except OSError:  # the terminal went away mid-write (SIGHUP follows)
            self.detach()

    def _handle(self, ev: Event) -> None:
        if isinstance(ev, StepStarted):
            self.current, self.started = ev, time.monotonic()
            self.tail.clear()
            self.label, self.fraction = "", None
            self.bench = BenchState() if ev.step.kind is StepKind.BENCH else None
            if not self.live_mode:
                self.console.print(
                    f"▶ [{ev.index}/{ev.total}] {ev.step.label()}: {self.plan.command_line(ev.step)}"
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

    def _bench(self, d: dict[str, Any]) -> None:
        if self.bench is not None:
            self.bench.feed(d)
        if (
            not self.live_mode
            and self.bench is not None
            and d.get("event") == "step"
            and self.bench.line_due(time.monotonic())
        ):  # a plain log: one progress line every few seconds
            self.console.print(
                Text("  " + progress_line(self.bench), style="magenta"), soft_wrap=True
            )

    def _finished(self, ev: StepFinished) -> None:
        step = self.plan.step(ev.step_id)
        icon = STEP_ICONS.get(ev.status.value, "?")
        timing = f"[dim]{_(ev.reason)}[/]" if ev.reason else f"[dim]{ev.seconds:.1f}s[/]"
        self.console.print(f"{icon} {step.label()} {timing}")
        if ev.status is StepStatus.FAILED:
            for line in ev.tail:
                self.console.print(Text("  │ " + line, style="red"))
            self.console.print(_("  [dim]full log: {path}[/]").format(path=ev.log_path))
        self.current = None

    def summary(
        self, result: RunResult, report_path: Path | None, answers_file: str | None = None
    ) -> None:
        c = self.console
        if result.verify:
            v = result.verify
            mark = "[green]✓[/]" if v.get("ok") else "[red]✗[/]"
            devices = join(v.get("device_names") or []) or "CPU"
            c.print(
                _("{mark} verify: torch {version} on {devices}").format(
                    mark=mark, version=v.get("torch_version"), devices=devices
                )
            )
            got = installed(v, self.plan)
            if got:
                template = (
                    _(
                        "  installed: the {build} build, by {installer}, from the installer's "
                        "configured index and wheel folders"
                    )
                    if got["index"] == DEFAULT_SOURCE
                    else _("  installed: the {build} build, by {installer}, from {index}")
                )
                c.print(
                    template.format(
                        build=got["build"],
                        installer=got["installer"],
                        index=index_words(got["index"]),
                    )
                )
            if not v.get("ok") and v.get("problems"):
                c.print(
                    _("  [red]cause:[/] {problems}").format(
                        problems="; ".join(str(p) for p in v["problems"])
                    )
                )
            for h in v.get("hints") or []:
                c.print(_("  [yellow]hint:[/] {hint}").format(hint=h))
        for mark, line in run_lines(self.plan.stack, result.verify_stack, result.kernel):
            style = {"✓": "green", "✗": "red", "–": "yellow", "!": "yellow"}.get(mark, "dim")
            c.print(Text(f"  {mark} ", style=style) + Text(line))
        if result.benchmark:
            c.print(summary_table(result.benchmark))
        elif result.benchmark_error:
            c.print(
                _("[yellow]⚠ benchmark failed[/]: {error}").format(error=result.benchmark_error)
            )
        if result.env is EnvOutcome.READY:
            c.print(
                _("Install more packages (the torch pin holds) with: {command}").format(
                    command=self.plan.install_more
                )
            )
            carry = carry_commands(self.plan.env_path)
            c.print(
                _(
                    "Take it elsewhere: {export} (or --format pylock, conda, dockerfile, devcontainer); for a machine without internet: {bundle}"
                ).format(export=carry["requirements"], bundle=carry["bundle"]),
                soft_wrap=True,
            )
        c.print(
            _("[dim]logs: {logs}   report: {report}[/]").format(
                logs=result.run_dir, report=report_path or _("not written")
            )
        )
        c.print(
            outcome_line(result, self.plan, str(report_path) if report_path else None, answers_file)
        )
