"""f. Install: every step a visible subprocess with its own live pane, progress, cancel, retry."""

from __future__ import annotations

import time
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import (
    Button,
    ContentSwitcher,
    Footer,
    Header,
    Label,
    ListItem,
    ListView,
    ProgressBar,
    Static,
)

from envwizard.app.session import NeedsConfirm, Ready, Refused
from envwizard.core.i18n import N_, _
from envwizard.core.redact import redact_text
from envwizard.plan.build import Plan
from envwizard.plan.steps import Step
from envwizard.report.render import STEP_ICONS
from envwizard.run.failure import Failure, classify
from envwizard.run.outcome import EnvOutcome, RunStatus, StepStatus
from envwizard.run.runner import (
    Event,
    Notice,
    RunFinished,
    StepFinished,
    StepOutput,
    StepProgress,
    StepStarted,
)
from envwizard.tui.messages import Prepared, Waiting
from envwizard.tui.screens.base import BACK, FlowScreen, Next
from envwizard.tui.widgets.dialogs import ConfirmDialog
from envwizard.tui.widgets.wraplog import WrapLog

PANE_LINES = 5000
"""Lines of output each step's pane keeps (lines are cut at proc.MAX_LINE characters)."""


class StepItem(ListItem):
    """One line of the step list: icon, title, elapsed time."""

    def __init__(self, step: Step) -> None:
        super().__init__(id=f"item-{step.id}")
        self.step = step
        self.status = StepStatus.PENDING
        self.seconds: float | None = None
        self.started: float | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.text(), id="label")

    def text(self) -> str:
        secs = self.seconds
        if self.status is StepStatus.RUNNING and self.started is not None:
            secs = time.monotonic() - self.started
        timing = f" [dim]{secs:.1f}s[/]" if secs is not None else ""
        return f"{STEP_ICONS.get(self.status.value, '?')} {self.step.label()}{timing}"

    def set(self, status: StepStatus, seconds: float | None = None) -> None:
        self.status = status
        if status is StepStatus.RUNNING:
            self.started = time.monotonic()
        if seconds is not None:
            self.seconds = seconds
        self.refresh_label()

    def refresh_label(self) -> None:
        self.query_one("#label", Label).update(self.text())


class InstallScreen(FlowScreen):
    """Runs the plan on mount; with autostart=False it only renders events it is given (replays)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), show=True),
        Binding("ctrl+r", "retry", N_("Retry"), show=True),
    ]

    def __init__(self, autostart: bool = True) -> None:
        super().__init__()
        self.autostart = autostart

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Footer keys follow the buttons: only what can be done now is offered."""
        if action in ("cancel", "retry") and self.is_mounted:
            return self.shown(action)
        return True

    @property
    def plan(self) -> Plan:
        plan = self.state.plan
        assert plan is not None  # the review screen shows a plan before the install starts
        return plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        yield Header(show_clock=False)
        yield Static(
            _(
                "Each step runs as its own process; select a step to see its output. Cancel rolls back."
            ),
            classes="purpose",
        )
        with Horizontal(id="install-body"):
            with Vertical(id="steps-col"):
                yield ListView(*[StepItem(s) for s in plan.steps], id="steps")
                yield Static("", id="notices")
            with Vertical(id="log-col"):
                with ContentSwitcher(initial=f"log-{plan.steps[0].id}", id="logs"):
                    for s in plan.steps:
                        yield WrapLog(PANE_LINES, id=f"log-{s.id}", classes="steplog")
                with Horizontal(id="progress-row"):
                    yield Label("", id="progress-label")
                    yield ProgressBar(total=1.0, show_eta=False, id="progress")
                yield Static("", id="logpath")
        yield Static("", id="cause")
        with Horizontal(classes="nav"):
            yield Static("", id="problem", classes="problem")
            yield Button(_("Back"), id="back")
            yield Button(_("Roll back"), id="rollback", variant="warning")
            yield Button(_("Retry"), id="retry")
            yield Button(_("Cancel"), id="cancel", variant="error")
            yield Button(_("Continue"), id="continue", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "envwizard", _("Install")
        self.follow = True
        self.current: str | None = None
        self.failure: Failure | None = None
        """What the failed step's output says went wrong (None while nothing failed)."""
        self.query_one("#cause").display = False
        self.query_one("#progress-row").display = False
        self.actions("cancel")
        self.set_interval(0.5, self._tick)
        if self.autostart:
            self.prepare()

    def actions(self, *visible: str) -> None:
        """Show only the buttons that make sense now; focus the last one."""
        for b in self.query(".nav Button").results(Button):
            b.display = b.id in visible
        if visible:
            self.query_one(f"#{visible[-1]}", Button).focus()
        self.refresh_bindings()

    def shown(self, button: str) -> bool:
        return bool(self.query_one(f"#{button}", Button).display)

    def _tick(self) -> None:
        for item in self.query(StepItem):
            if item.status is StepStatus.RUNNING:
                item.refresh_label()

    def say(self, text: str) -> None:
        self.query_one("#problem", Static).update(text)

    # ---- before the run: the session prepares, this screen asks and shows ---------------
    @work(thread=True, exclusive=True, group="prepare")
    def prepare(self, confirmed: bool = False) -> None:
        """The session's checks (pre-flight asks the network) and its lock (which may wait for
        an installer a dead run left), off the UI thread; the answer comes back as a message."""
        session = self.wizard.session
        assert session is not None
        prepared = session.prepare(confirmed=confirmed)
        if isinstance(prepared, Ready):

            def waiting(text: str) -> None:
                self.post_message(Waiting(text))

            prepared = session.lock(prepared, on_wait=waiting)
        self.post_message(Prepared(prepared))

    @on(Waiting)
    def _waiting(self, message: Waiting) -> None:
        self.query_one("#notices", Static).update(f"[yellow]⚠[/] {message.text}")

    @on(Prepared)
    def _prepared(self, message: Prepared) -> None:
        got = message.prepared
        if isinstance(got, NeedsConfirm):

            def answered(yes: bool | None) -> None:
                if yes:
                    self.prepare(confirmed=True)
                else:
                    self.stopped(_("Nothing was changed."))

            self.app.push_screen(
                ConfirmDialog(
                    _("{message}.\n\nDelete it and build it again?").format(message=got.question),
                    yes=_("Delete and rebuild"),
                ),
                answered,
            )
            return
        notes = [f"[yellow]⚠[/] {redact_text(w.text)}" for w in got.warnings]
        if isinstance(got, Refused):
            self.stopped("\n".join([f"[red]✗[/] {got.message}", *notes]))
            return
        self.query_one("#notices", Static).update("\n".join(notes))
        self.wizard.start_run(got.start)

    def stopped(self, message: str) -> None:
        """Nothing ran (or nothing more will): say why and let the person go back."""
        self.say(message)
        self.actions("back")

    # ---- runner events ------------------------------------------------------------------
    def apply(self, ev: Event) -> None:
        if isinstance(ev, StepStarted):
            self.current = ev.step.id
            self.query_one(f"#item-{ev.step.id}", StepItem).set(StepStatus.RUNNING)
            self.query_one("#logpath", Static).update(
                _("[dim]log: {path}[/]").format(path=ev.log_path)
            )
            self.query_one("#progress-row").display = False
            self.query_one(f"#log-{ev.step.id}", WrapLog).write_line(
                "$ " + self.plan.command_line(ev.step)
            )
            if self.follow:
                self.show_log(ev.step.id)
                steps = self.query_one("#steps", ListView)
                steps.index = ev.index - 1
        elif isinstance(ev, StepOutput):
            # The pane keeps a bounded tail (the log file keeps everything): lines that would
            # be pruned at once are not written at all.
            self.query_one(f"#log-{ev.step_id}", WrapLog).write_lines(ev.lines[-PANE_LINES:])
        elif isinstance(ev, StepProgress):
            row = self.query_one("#progress-row")
            row.display = True
            self.query_one("#progress-label", Label).update(ev.progress.label[-40:])
            bar = self.query_one("#progress", ProgressBar)
            frac = ev.progress.fraction
            bar.update(total=None if frac is None else 1.0, progress=frac or 0.0)
        elif isinstance(ev, StepFinished):
            ran = ev.log_path is not None
            self.query_one(f"#item-{ev.step_id}", StepItem).set(
                ev.status, ev.seconds if ran else None
            )
            if ev.status is StepStatus.OK:
                self.query_one("#progress-row").display = False
            elif ev.status is StepStatus.FAILED:
                self.failure = classify(ev.tail)
        elif isinstance(ev, Notice):
            notices = self.query_one("#notices", Static)
            style = "yellow" if ev.level == "warn" else "cyan"
            notices.update(f"{notices.content}\n[{style}]•[/] {ev.text}".strip())
        elif isinstance(ev, RunFinished):
            self.finished(ev)

    def show_log(self, step_id: str) -> None:
        self.query_one("#logs", ContentSwitcher).current = f"log-{step_id}"

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        """Choosing another step shows its output; choosing the running one follows it again."""
        if isinstance(event.item, StepItem) and self.current is not None:
            self.follow = event.item.step.id == self.current
            self.show_log(event.item.step.id)

    def finished(self, ev: RunFinished) -> None:
        result = ev.result
        if result.status is RunStatus.DONE:
            self.say(_("[green]✓[/] installed and verified"))
            self.actions("continue")
        elif result.status is RunStatus.FAILED:
            failure = self.failure or classify([])
            self.show_cause(failure)
            ours = self.wizard.session is not None and self.wizard.session.owns_env
            if failure.retryable and ours:
                self.say(
                    _(
                        "[red]✗[/] a step failed: Retry it, or Roll back to remove what this run made"
                    )
                )
                self.actions("rollback", "retry")
            elif failure.retryable:
                self.say(_("[red]✗[/] a step failed: Retry it, or go Back and change the answers"))
                self.actions("back", "retry")
            elif ours:
                self.say(
                    _(
                        "[red]✗[/] a step failed, and running it again cannot help: Roll back, "
                        "then go Back and change the answers"
                    )
                )
                self.actions("rollback")
            else:
                self.say(
                    _(
                        "[red]✗[/] a step failed, and running it again cannot help: go Back "
                        "and change the answers"
                    )
                )
                self.actions("back")
        elif result.env is EnvOutcome.READY:
            self.say(_("[yellow]■[/] benchmark stopped; the environment is installed and verified"))
            self.actions("continue")
        elif result.env is EnvOutcome.REMOVED:
            self.say(_("[yellow]■[/] cancelled; what this run made was removed"))
            self.actions("back")
        else:
            self.say(_("[yellow]■[/] cancelled; the unfinished environment was left in place"))
            self.actions("back")

    def show_cause(self, failure: Failure) -> None:
        """The installer's own sentence for the failure, whole, and what would help."""
        box = self.query_one("#cause", Static)
        text = failure.advice()
        if failure.cause:
            text = _("[b]Cause:[/] {cause}").format(cause=escape(failure.cause)) + "\n" + text
        box.update(text)
        box.display = True

    # ---- buttons -----------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        action = {
            "cancel": self.action_cancel,
            "retry": self.action_retry,
            "rollback": self.action_rollback,
            "continue": self.action_continue,
            "back": self.action_back,
        }.get(event.button.id or "")
        if action:
            action()

    def action_cancel(self) -> None:
        if not self.wizard.running:
            self.action_back()
            return
        if not self.shown("cancel"):
            return
        self.app.push_screen(
            ConfirmDialog(
                _(
                    "Cancel the install? The running step is stopped and what this run made is removed."
                ),
                yes=_("Cancel install"),
                no=_("Keep going"),
            ),
            self._cancel_confirmed,
        )

    def _cancel_confirmed(self, yes: bool | None) -> None:
        if yes and self.wizard.running:
            self.rolling_back()
            self.wizard.cancel_run()

    def action_retry(self) -> None:
        if not self.shown("retry"):
            return
        self.actions("cancel")
        self.failure = None
        self.query_one("#cause").display = False
        self.say(_("retrying from the failed step…"))
        for item in self.query(StepItem):
            if not item.status.finished:
                item.set(StepStatus.PENDING)
        self.wizard.retry_run()

    def action_rollback(self) -> None:
        if not self.shown("rollback"):
            return
        self.rolling_back()
        self.wizard.rollback_run()

    def rolling_back(self) -> None:
        """Stopping and removing takes seconds: say so, and offer nothing that would race it."""
        self.actions()
        self.query_one("#cause").display = False
        self.say(
            _("[yellow]■[/] stopping the running step and rolling back what this run made…")
            if self.wizard.running
            else _("[yellow]■[/] rolling back what this run made…")
        )

    def rolled_back(self) -> None:
        self.say(_("[yellow]■[/] rolled back"))
        self.actions("back")

    def action_continue(self) -> None:
        if not self.shown("continue"):
            return
        self.dismiss(Next())

    def action_back(self) -> None:
        if self.shown("back"):
            self.dismiss(BACK)
