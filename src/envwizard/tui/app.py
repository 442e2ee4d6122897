"""The Textual wizard: screens that collect answers, then the session's events rendered live.

The app owns the flow: one ordered list of question screens, each dismissing with its answers
or Back; the app merges them into the draft and replans through the session's plan stage. The
install is the session's (app/session.py, the same as the headless run's): the install screen
renders its prepare stage, and its events are iterated in a worker on the app, so a screen
change never interrupts them. The report, the last terminal line and the exit code all come from
the run's one `RunResult`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets._select import SelectOverlay
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from envwizard.app.session import Session
from envwizard.core.errors import EXIT_CANCELLED, EXIT_OK, EnvwizardError
from envwizard.core.i18n import N_, _, set_answers_language
from envwizard.core.terminal import detach_terminal
from envwizard.facts.model import Facts
from envwizard.knowledge import load as load_knowledge
from envwizard.plan.steps import StepKind
from envwizard.report.render import outcome_line
from envwizard.run.outcome import EnvOutcome, RunResult
from envwizard.run.runner import Event, RunFinished, StepStarted
from envwizard.run.target import Start
from envwizard.run.unfinished import latest_unfinished
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
from envwizard.tui.textual_words import (
    Palette,
    install,
    label_bindings,
    palette_binding,
    system_commands,
)
from envwizard.tui.widgets.dialogs import ChoiceDialog, ConfirmDialog, FolderDialog

install()

if TYPE_CHECKING:
    from envwizard.run.runner import Runner

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
        Binding("ctrl+q", "quit", N_("Quit"), priority=True),
        Binding("ctrl+c", "interrupt", N_("Cancel"), show=False, priority=True),
        Binding("ctrl+t", "toggle_dark", N_("Theme")),
        palette_binding(),
    ]

    def __init__(self, state: WizardState) -> None:
        label_bindings(
            type(self), *FLOW, InstallScreen, BenchScreen, DoneScreen, ConfirmDialog, SelectOverlay
        )
        super().__init__()
        self.state = state
        self.session: Session | None = None
        """The install's session: created when the install screen opens, released when it closes."""
        self.exit_line = ""
        """The one line left on the terminal when the wizard ends."""
        self._step = 0
        self._run_worker: Worker[None] | None = None

    def on_mount(self) -> None:
        self._cancel_on_hang_up()
        self.show_step(0)
        if not self.state.prefilled:
            self.offer_unfinished()

    def offer_unfinished(self) -> None:
        """An environment an earlier run left unfinished is offered before anything else:
        resuming it takes that run's answers, and Install goes on after its last finished step."""
        found = latest_unfinished()
        if found is None:
            return
        question = (
            _(
                "An earlier run left an unfinished environment at {env} (last finished step: "
                "{last}). Resume it with that run's answers?"
            ).format(env=found.env, last=found.last)
            if found.last
            else _(
                "An earlier run left an unfinished environment at {env}. Resume it with that "
                "run's answers?"
            ).format(env=found.env)
        )

        def answered(choice: str | None) -> None:
            if choice != "resume":
                return
            try:
                answers = load_answers(found.answers, cwd=self.state.cwd)
            except EnvwizardError as e:
                self.notify(str(e), severity="error")
                return
            self.state.prefill(answers)
            self.state.prefilled = True
            self.notify(
                _(
                    "The screens now hold the answers of the run that made {env}; Install "
                    "resumes it after its last finished step."
                ).format(env=found.env)
            )

        self.push_screen(
            ChoiceDialog(
                question,
                [("fresh", _("Start fresh"), "default"), ("resume", _("Resume it"), "primary")],
            ),
            answered,
        )

    # ---- a closed terminal -----------------------------------------------------------------
    def _cancel_on_hang_up(self) -> None:
        """A closed terminal (SIGHUP) ends the wizard as headless ends: the install is cancelled
        and rolled back, the report written, exit 130; nobody is left to ask anything."""
        sig = getattr(signal, "SIGHUP", None)
        if sig is None:  # pragma: no cover - Windows
            return
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(sig, self._hung_up)

    def _hung_up(self) -> None:
        detach_terminal()  # writes to a hung-up terminal fail; what is drawn goes nowhere
        self._leave_after_hang_up()

    @work(group="quit")
    async def _leave_after_hang_up(self) -> None:
        if self.running:
            await self.stop_run()
        if self._unfinished_env_is_ours():  # a failed run: no one can answer Retry now
            await self._remove_unfinished()
        if self.session is not None:
            self.session.release()
        # The run is stopped and its report written. Textual would now restore a terminal that
        # is gone, and its writer can block forever on one: leave at once.
        os._exit(self.result.exit_code if self.result is not None else EXIT_CANCELLED)

    # ---- the flow --------------------------------------------------------------------------
    def show_step(self, index: int) -> None:
        self._step = index
        self.push_screen(FLOW[index](), self._answered)

    def _answered(self, choice: Choice | None) -> None:
        if isinstance(choice, Back):
            self.show_step(max(0, self._step - 1))
            return
        if isinstance(choice, Next):
            problem = self.state.merge(choice.changes)
            if problem:  # the screen held Next while it saw this; show it again
                self.notify(problem, severity="error")
                self.show_step(self._step)
                return
        if self._step + 1 < len(FLOW):
            self.show_step(self._step + 1)
        elif self.state.dry_run:
            self.show_done()
        else:
            self.install()

    def install(self) -> None:
        """Apply the reviewed plan: its session prepares, then runs, on the install screen."""
        self.open_session()
        self.push_screen(InstallScreen(), self._left_install)

    def _left_install(self, choice: Choice | None) -> None:
        """The install screen's Back (nothing ran, or it was cancelled): back to the review."""
        if self.session is not None:
            self.session.release()
        if isinstance(choice, Back):
            self.show_step(len(FLOW) - 1)
        else:
            self.show_done()

    def show_done(self) -> None:
        self.push_screen(DoneScreen())

    # ---- a bundle to install from ------------------------------------------------------------
    def ask_bundle(self, chosen: Callable[[], None]) -> None:
        """Ask for a bundle folder (made by `envwizard bundle`); `chosen` after one is taken."""

        def answered(folder: str | None) -> None:
            if folder and self.use_bundle(folder):
                chosen()

        self.push_screen(
            FolderDialog(
                _(
                    "The bundle folder made by `envwizard bundle` (it holds envwizard-bundle.json). "
                    "Its answers fill the screens; the install takes its files alone, with no "
                    "network."
                ),
                _("Use this bundle"),
            ),
            answered,
        )

    def use_bundle(self, folder: str) -> bool:
        """Take the bundle in `folder` and its answers; says why not when it cannot."""
        from envwizard.app.bundle import Bundle
        from envwizard.run.bundle import ANSWERS

        try:
            bundle = Bundle.open(folder)
            answers = load_answers(bundle.root / ANSWERS, cwd=self.state.cwd)
        except EnvwizardError as e:
            self.notify(str(e), severity="error")
            return False
        self.state.bundle = bundle
        self.state.prefill(answers)
        self.state.prefilled = True
        if self.state.facts is not None:
            try:
                self.state.use(self.state.planned(answers))
            except EnvwizardError:
                self.state.plan = None  # the build screen says why, and holds Next until it plans
        self.notify(
            _("The screens now hold the answers of the bundle in {folder}.").format(
                folder=bundle.root
            )
        )
        return True

    # ---- the run: the session's, rendered --------------------------------------------------
    def open_session(self) -> Session:
        """The session that applies the reviewed plan with the draft's answers."""
        plan, facts = self.state.plan, self.state.facts
        assert plan is not None and facts is not None  # the review showed a plan
        bundle = self.state.bundle
        self.session = Session(
            facts,
            self.state.run_answers(),
            plan,
            rebenchmark=self.state.rebenchmark,
            wizard=True,
            given_lock=bundle.lock_here if bundle is not None else None,
            check=(lambda p: bundle.check(facts, p)) if bundle is not None else None,
        )
        return self.session

    @property
    def runner(self) -> Runner | None:
        return self.session.runner if self.session is not None else None

    @property
    def result(self) -> RunResult | None:
        """The last run's result (None until a run has finished)."""
        return self.session.result if self.session is not None else None

    @property
    def running(self) -> bool:
        return self.session is not None and self.session.running

    def start_run(self, start: Start) -> None:
        assert self.session is not None
        self._run_worker = self._drive(self.session.run(start, keep_failed=True))

    def retry_run(self) -> None:
        assert self.session is not None
        self._run_worker = self._drive(self.session.retry())

    def cancel_run(self) -> None:
        if self.session is not None:
            self.session.cancel()

    async def stop_run(self) -> None:
        """Cancel the run and wait until the runner has stopped it and rolled back."""
        self.cancel_run()
        if self._run_worker is not None:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self._run_worker.wait()

    def rollback_run(self) -> None:
        self._rollback()

    @work(exclusive=True, group="run", exit_on_error=False)
    async def _drive(self, events: AsyncIterator[Event]) -> None:
        # A failed run keeps its environment so that the person can Retry or Roll back; the
        # runner still decides what a cancel removes (never a verified environment).
        async for event in events:
            self.dispatch(event)

    @work(exclusive=True, group="run", exit_on_error=False)
    async def _rollback(self) -> None:
        await self._remove_unfinished()
        self.install_view().rolled_back()

    async def _remove_unfinished(self) -> None:
        assert self.session is not None
        async for ev in self.session.rollback():
            self.install_view().apply(ev)
        self._reported()

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
            self._reported()
        self.install_view().apply(ev)
        bench = self.bench_screen()
        if bench is not None and bench.is_mounted:
            bench.apply(ev)

    def _reported(self) -> None:
        """The session rewrote the run's report (a later choice, Roll back, changes it)."""
        if self.session is not None and self.session.report_path is not None:
            self.state.report_path = str(self.session.report_path)

    # ---- leaving ---------------------------------------------------------------------------
    def leave(self) -> None:
        """Exit with the run's code and one line that says what happened and what is next."""
        if self.session is not None:
            self.session.release()
        result, plan = self.result, self.state.plan
        if result is not None and plan is not None:
            # Resuming takes exactly the answers the run had: the copy in its run folder.
            self.exit_line = outcome_line(result, plan, self.state.report_path)
            code = result.exit_code
        elif self.state.dry_run and self.state.dry_run_problems:
            self.exit_line, code = (
                _(
                    "dry run: the real run would stop at its pre-flight checks here: {problems}. "
                    "Nothing was run or created."
                ).format(problems=" | ".join(self.state.dry_run_problems)),
                EXIT_OK,
            )
        elif self.state.dry_run and self.state.dry_run_problems == []:
            self.exit_line, code = (
                _("dry run: the pre-flight checks passed; nothing was run or created."),
                EXIT_OK,
            )
        elif self.state.dry_run:
            self.exit_line, code = _("Dry run: nothing was run or created."), EXIT_OK
        else:
            self.exit_line, code = _("Nothing was changed."), EXIT_OK
        self.exit(return_code=code)

    async def action_quit(self) -> None:
        """ctrl+q from any screen. It never stops anything without asking: during the install
        it asks as ctrl+c does, during the benchmark whether to stop it (the environment stays),
        and after a failed step whether to keep the half-made environment, remove it, or stay."""
        if isinstance(self.screen, (ConfirmDialog, ChoiceDialog)):
            return
        if self.session is not None and self.session.benchmarking:
            self.push_screen(
                ConfirmDialog(
                    _(
                        "Stop the benchmark and quit? The environment is installed and verified; "
                        "it stays."
                    ),
                    yes=_("Stop and quit"),
                    no=_("Keep measuring"),
                ),
                self._quit_after_benchmark,
            )
        elif self.running:
            self.action_interrupt()
        elif self._unfinished_env_is_ours():
            self.push_screen(
                ChoiceDialog(
                    _(
                        "A step failed and the environment is unfinished. Keep it to resume "
                        "later, remove what this run made, or stay here?"
                    ),
                    [
                        ("stay", _("Stay"), "default"),
                        ("remove", _("Remove it"), "error"),
                        ("keep", _("Keep it"), "primary"),
                    ],
                ),
                self._quit_after_failure,
            )
        else:
            self.leave()

    def _quit_after_benchmark(self, yes: bool | None) -> None:
        if yes:
            self._skip_benchmark_then_leave()

    @work(group="quit")
    async def _skip_benchmark_then_leave(self) -> None:
        self.skip_benchmark()
        if self._run_worker is not None:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self._run_worker.wait()
        self.leave()

    def skip_benchmark(self) -> None:
        """Stop the benchmark alone: the run finishes without it, done (exit 0)."""
        if self.session is not None:
            self.session.skip_benchmark()

    def _quit_after_failure(self, answer: str | None) -> None:
        if answer in ("keep", "remove"):
            self._remove_then_leave(answer == "remove")

    @work(group="quit")
    async def _remove_then_leave(self, remove: bool) -> None:
        if remove:
            self.install_view().rolling_back()
            await self._remove_unfinished()
        self.leave()

    def _unfinished_env_is_ours(self) -> bool:
        return (
            self.result is not None
            and self.result.env is EnvOutcome.UNFINISHED
            and self.session is not None
            and self.session.owns_env
        )

    def action_interrupt(self) -> None:
        """ctrl+c, as in the headless run: cancel (after a confirmation) and leave with 130."""
        if isinstance(self.screen, (ConfirmDialog, ChoiceDialog)):
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
            with contextlib.suppress(StopIteration):
                self.install_view().rolling_back()
            await self.stop_run()
        if self.result is None:
            if self.session is not None:
                self.session.release()
            self.exit_line = _("Cancelled: nothing was changed.")
            self.exit(return_code=EXIT_CANCELLED)
            return
        if self._unfinished_env_is_ours():
            await self.action_quit()  # asks what to do with it
            return
        self.leave()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        return system_commands(self, screen, self.action_toggle_dark, self.action_quit)

    def action_command_palette(self) -> None:
        # Textual types is_open's app as App[object]; App is invariant, this one an App[None]
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(Palette())

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"


def make_app(
    *,
    facts: Facts | None = None,
    answers_path: str | None = None,
    dry_run: bool = False,
    rebenchmark: bool = False,
    cwd: str | None = None,
    bundle: str | None = None,
) -> EnvWizardApp:
    """The wizard, optionally with known facts (tests, screenshots), prefilled answers and a
    bundle to install from (InvalidInput before anything is drawn when it is not one)."""
    state = WizardState(
        kb=load_knowledge(), facts=facts, cwd=cwd or os.getcwd(), dry_run=dry_run,
        rebenchmark=rebenchmark,
    )  # fmt: skip
    if answers_path:
        answers = load_answers(answers_path, cwd=cwd)
        set_answers_language(answers.lang)  # before a screen is drawn: every text follows it
        state.prefill(answers)
        state.prefilled = True
    if bundle:
        from envwizard.app.bundle import Bundle

        state.bundle = Bundle.open(bundle)
    return EnvWizardApp(state)


def run_wizard(args: argparse.Namespace) -> int:
    app = make_app(
        answers_path=args.answers,
        dry_run=args.dry_run,
        rebenchmark=args.rebenchmark,
        bundle=args.bundle,
    )
    app.run()
    if app.exit_line:
        print(app.exit_line)  # unwrapped, so the activation command can be copied whole
    return app.return_code or 0
