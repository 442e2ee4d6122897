"""The Textual wizard: screens that collect answers, then the runner's events rendered live.

The app owns the flow: one ordered list of question screens, each dismissing with its answers
or Back; the app merges them into the draft and replans. The plan comes from the core planner,
the install is the core runner (iterated in a worker on the app, so a screen change never
interrupts it), and the report, the last terminal line and the exit code all come from the
runner's one `RunResult`.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from envwizard.core.errors import EXIT_CANCELLED, EXIT_OK
from envwizard.core.i18n import _
from envwizard.facts.model import Facts
from envwizard.knowledge import load as load_knowledge
from envwizard.plan.steps import StepKind
from envwizard.report.render import outcome_line
from envwizard.report.report import build_report, write_report
from envwizard.run.outcome import EnvOutcome, RunResult
from envwizard.run.runner import Event, RunFinished, Runner, StepStarted
from envwizard.run.target import Start
from envwizard.settings.answers import load_answers
from envwizard.tui.screens.base import Back, Choice, Next, WizardScreen
from envwizard.tui.screens.bench import BenchScreen
from envwizard.tui.screens.build import BuildScreen
from envwizard.tui.screens.done import DoneScreen
from envwizard.tui.screens.environment import EnvironmentScreen
from envwizard.tui.screens.install import InstallScreen
from envwizard.tui.screens.machine import MachineScreen
from envwizard.tui.screens.python import PythonScreen
from envwizard.tui.screens.review import ReviewScreen
from envwizard.tui.state import WizardState
from envwizard.tui.widgets.dialogs import ConfirmDialog

FLOW: tuple[type[WizardScreen], ...] = (
    MachineScreen,
    PythonScreen,
    EnvironmentScreen,
    BuildScreen,
    ReviewScreen,
)
"""The questions, in order. After the last: the install (or, in a dry run, the summary)."""


class EnvWizardApp(App[None]):
    CSS_PATH = "envwizard.tcss"
    TITLE = "envwizard"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", _("Quit"), priority=True),
        Binding("ctrl+c", "interrupt", _("Cancel"), show=False, priority=True),
        Binding("ctrl+t", "toggle_dark", _("Theme")),
    ]

    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        self.runner: Runner | None = None
        self.result: RunResult | None = None
        """The last run's result (None until a run has finished)."""
        self.exit_line = ""
        """The one line left on the terminal when the wizard ends."""
        self._step = 0
        self._run_worker: Worker[None] | None = None

    def on_mount(self) -> None:
        self.show_step(0)

    # ---- the flow --------------------------------------------------------------------------
    def show_step(self, index: int) -> None:
        self._step = index
        self.push_screen(FLOW[index](), self._answered)

    def _answered(self, choice: Choice | None) -> None:
        if isinstance(choice, Back):
            self.show_step(max(0, self._step - 1))
            return
        if isinstance(choice, Next):
            self.state.merge(choice.changes)
        if self._step + 1 < len(FLOW):
            self.show_step(self._step + 1)
        elif self.state.dry_run:
            self.show_done()
        else:
            self.push_screen(InstallScreen(), self._left_install)

    def _left_install(self, choice: Choice | None) -> None:
        """The install screen's Back (nothing ran, or it was cancelled): back to the review."""
        if isinstance(choice, Back):
            self.show_step(len(FLOW) - 1)
        else:
            self.show_done()

    def show_done(self) -> None:
        self.push_screen(DoneScreen())

    @property
    def running(self) -> bool:
        return self.runner is not None and self.runner.running

    # ---- the run -------------------------------------------------------------------------
    def start_run(self, start: Start) -> None:
        plan = self.state.plan
        assert plan is not None
        self.result = None
        self.runner = Runner(plan, self.state.answers(), start)
        self._run_worker = self._run()

    def retry_run(self) -> None:
        assert self.runner is not None
        self.start_run(self.runner.retry_start())

    def cancel_run(self) -> None:
        if self.runner is not None:
            self.runner.cancel()

    async def stop_run(self) -> None:
        """Cancel the run and wait until the runner has stopped it and rolled back."""
        self.cancel_run()
        if self._run_worker is not None:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self._run_worker.wait()

    def rollback_run(self) -> None:
        self._rollback()

    @work(exclusive=True, group="run", exit_on_error=False)
    async def _run(self) -> None:
        runner = self.runner
        assert runner is not None
        # A failed run keeps its environment so that the person can Retry or Roll back; the
        # runner still decides what a cancel removes (never a verified environment).
        async for event in runner.run(keep_failed=True):
            self.dispatch(event)

    @work(exclusive=True, group="run", exit_on_error=False)
    async def _rollback(self) -> None:
        await self._remove_unfinished()
        self.install_view().rolled_back()

    async def _remove_unfinished(self) -> None:
        assert self.runner is not None
        async for ev in self.runner.rollback():
            self.install_view().apply(ev)
        self.write_report()

    def install_view(self) -> InstallScreen:
        return next(s for s in self.screen_stack if isinstance(s, InstallScreen))

    def bench_screen(self) -> BenchScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, BenchScreen)), None)

    def dispatch(self, ev: Event) -> None:
        """Hand a runner event to the screens that show it."""
        if (
            isinstance(ev, StepStarted)
            and ev.step.kind is StepKind.BENCH
            and self.bench_screen() is None
        ):
            assert self.runner is not None
            self.push_screen(BenchScreen(self.runner.verify))
        if isinstance(ev, RunFinished):
            self.result = ev.result
            self.write_report()
        self.install_view().apply(ev)
        bench = self.bench_screen()
        if bench is not None and bench.is_mounted:
            bench.apply(ev)

    def write_report(self) -> None:
        """The run's report, rewritten when a later choice (Roll back) changes its outcome."""
        facts, plan, result = self.state.facts, self.state.plan, self.result
        assert facts is not None and plan is not None and result is not None
        data = build_report(facts, self.state.answers(), plan, result)
        path, _md = write_report(data, f"{result.run_dir}/report.json")
        self.state.report_path = str(path)

    # ---- leaving ---------------------------------------------------------------------------
    def leave(self) -> None:
        """Exit with the run's code and one line that says what happened and what is next."""
        result, plan = self.result, self.state.plan
        if result is not None and plan is not None:
            self.exit_line = outcome_line(result, plan, self.state.report_path)
            code = result.exit_code
        elif self.state.dry_run:
            self.exit_line, code = _("Dry run: nothing was run or created."), EXIT_OK
        else:
            self.exit_line, code = _("Nothing was changed."), EXIT_OK
        self.exit(return_code=code)

    async def action_quit(self) -> None:
        """ctrl+q from any screen: during an install, cancel (the runner rolls back) first;
        after a failure, ask whether to keep the half-made environment."""
        if self.running:
            self.notify(_("Cancelling and rolling back before quitting…"))
            await self.stop_run()
        if self._unfinished_env_is_ours():
            self.push_screen(
                ConfirmDialog(
                    _(
                        "A step failed and the environment is unfinished. Remove what this run "
                        "made, or keep it to resume later with the same answers?"
                    ),
                    yes=_("Remove it"),
                    no=_("Keep it"),
                ),
                self._quit_after_failure,
            )
            return
        self.leave()

    def _quit_after_failure(self, remove: bool | None) -> None:
        self._remove_then_leave(bool(remove))

    @work(group="quit")
    async def _remove_then_leave(self, remove: bool) -> None:
        if remove:
            await self._remove_unfinished()
        self.leave()

    def _unfinished_env_is_ours(self) -> bool:
        return (
            self.result is not None
            and self.result.env is EnvOutcome.UNFINISHED
            and self.runner is not None
            and self.runner.owns_env
        )

    def action_interrupt(self) -> None:
        """ctrl+c, as in the headless run: cancel (after a confirmation) and leave with 130."""
        if isinstance(self.screen, ConfirmDialog):
            return
        question = (
            _(
                "Cancel the install and quit? The running step is stopped and what this run "
                "made is removed (a verified environment is kept)."
            )
            if self.running
            else _("Quit envwizard?")
        )
        self.push_screen(
            ConfirmDialog(question, yes=_("Cancel and quit"), no=_("Keep going")), self._interrupted
        )

    def _interrupted(self, yes: bool | None) -> None:
        if yes:
            self._cancel_and_leave()

    @work(group="quit")
    async def _cancel_and_leave(self) -> None:
        if self.running:
            await self.stop_run()
        if self.result is None:
            self.exit_line = _("Cancelled: nothing was changed.")
            self.exit(return_code=EXIT_CANCELLED)
            return
        await self.action_quit()

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"


def make_app(
    *,
    facts: Facts | None = None,
    answers_path: str | None = None,
    dry_run: bool = False,
    rebenchmark: bool = False,
    cwd: str | None = None,
) -> EnvWizardApp:
    """The wizard, optionally with known facts (tests, screenshots) and prefilled answers."""
    state = WizardState(kb=load_knowledge(), facts=facts, dry_run=dry_run, rebenchmark=rebenchmark)
    if cwd:
        state.cwd = cwd
    if answers_path:
        state.prefill(load_answers(answers_path, cwd=cwd))
    return EnvWizardApp(state)


def run_wizard(args: argparse.Namespace) -> int:
    app = make_app(answers_path=args.answers, dry_run=args.dry_run, rebenchmark=args.rebenchmark)
    app.run()
    if app.exit_line:
        print(app.exit_line)  # unwrapped, so the activation command can be copied whole
    return app.return_code or 0
