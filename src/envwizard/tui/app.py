"""The Textual wizard: screens that collect answers, then the runner's events rendered live.

The app decides nothing itself: the plan comes from the core planner, the commands from the
plan, and the install is the core runner, iterated in a worker on the app (so a screen change
never interrupts it and ctrl+q can always cancel and roll back before quitting).
"""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from envwizard.answers import load_answers
from envwizard.errors import EXIT_OK
from envwizard.facts.model import Facts
from envwizard.i18n import _
from envwizard.knowledge import load as load_knowledge
from envwizard.report import build_report, write_report
from envwizard.runner import Event, RunFinished, Runner, StepFinished, StepStarted
from envwizard.target import Start
from envwizard.tui.state import WizardState


class EnvWizardApp(App[None]):
    CSS_PATH = "envwizard.tcss"
    TITLE = "envwizard"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", _("Quit"), priority=True),
        Binding("ctrl+t", "toggle_dark", _("Theme")),
    ]

    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        self.runner: Runner | None = None
        self.verify: dict[str, Any] | None = None
        self.bench_summary: dict[str, Any] | None = None
        self.run_status = "pending"
        self.exit_code = EXIT_OK

    def on_mount(self) -> None:
        from envwizard.tui.screens.machine import MachineScreen

        self.push_screen(MachineScreen())

    @property
    def running(self) -> bool:
        return self.runner is not None and self.runner.status == "running"

    # ---- the run -------------------------------------------------------------------------
    def start_run(self, start: Start) -> None:
        plan = self.state.plan
        assert plan is not None
        self.runner = Runner(plan, self.state.answers(), start)
        self._run()

    def retry_run(self) -> None:
        assert self.runner is not None
        self.start_run(self.runner.retry_start())

    def cancel_run(self) -> None:
        if self.runner is not None:
            self.runner.cancel()

    def rollback_run(self) -> None:
        self._rollback()

    @work(exclusive=True, group="run", exit_on_error=False)
    async def _run(self) -> None:
        runner = self.runner
        assert runner is not None
        async for event in runner.run(rollback=False):
            if isinstance(event, RunFinished) and runner.status == "cancelled":
                async for ev in runner.rollback():
                    self.dispatch(ev)
            self.dispatch(event)

    @work(exclusive=True, group="run", exit_on_error=False)
    async def _rollback(self) -> None:
        assert self.runner is not None
        async for ev in self.runner.rollback():
            self.dispatch(ev)
        self.install_screen().rolled_back()

    def install_screen(self):  # type: ignore[no-untyped-def]
        from envwizard.tui.screens.install import InstallScreen

        return next(s for s in self.screen_stack if isinstance(s, InstallScreen))

    def bench_screen(self):  # type: ignore[no-untyped-def]
        from envwizard.tui.screens.bench import BenchScreen

        return next((s for s in self.screen_stack if isinstance(s, BenchScreen)), None)

    def dispatch(self, ev: Event) -> None:
        """Hand a runner event to the screens that show it."""
        runner = self.runner
        assert runner is not None
        if isinstance(ev, StepFinished) and ev.step_id == "verify":
            self.verify = runner.verify
        if isinstance(ev, StepStarted) and ev.step.kind == "bench" and self.bench_screen() is None:
            from envwizard.tui.screens.bench import BenchScreen

            self.push_screen(BenchScreen())
        self.install_screen().apply(ev)
        bench = self.bench_screen()
        if bench is not None and bench.is_mounted:
            bench.apply(ev)
        if isinstance(ev, RunFinished):
            self.run_status = ev.status
            self.exit_code = ev.exit_code
            self.bench_summary = runner.bench
            self.write_report(runner)

    def write_report(self, runner: Runner) -> None:
        assert self.state.facts is not None and self.state.plan is not None
        data = build_report(
            self.state.facts,
            self.state.answers(),
            self.state.plan,
            status=runner.status,
            exit_code=runner.exit_code or 0,
            steps=[r.to_dict() for r in runner.results],
            verify=runner.verify,
            benchmark=runner.bench,
            benchmark_error=runner.bench_error,
            run_dir=str(runner.run_dir),
        )
        path, _ = write_report(data, runner.run_dir / "report.json")
        self.state.report_path = str(path)

    # ---- keys ------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """ctrl+q from any screen: during an install, cancel and roll back first."""
        if self.running:
            self.notify(_("Cancelling and rolling back before quitting…"))
            self.cancel_run()
            await self.workers.wait_for_complete()
        self.exit(return_code=EXIT_OK)

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"


def make_app(
    *,
    facts: Facts | None = None,
    answers_path: str | None = None,
    dry_run: bool = False,
    cwd: str | None = None,
) -> EnvWizardApp:
    """The wizard, optionally with known facts (tests, screenshots) and prefilled answers."""
    state = WizardState(kb=load_knowledge(), facts=facts, dry_run=dry_run)
    if cwd:
        state.cwd = cwd
    if answers_path:
        state.prefill(load_answers(answers_path, cwd=cwd))
    return EnvWizardApp(state)


def run_wizard(args: argparse.Namespace) -> int:
    app = make_app(answers_path=args.answers, dry_run=args.dry_run)
    app.run()
    return app.return_code or 0
