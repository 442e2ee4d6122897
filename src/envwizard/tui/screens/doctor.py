"""Check an existing environment: doctor's findings, and a Repair button.

Offered on the first screen when an environment with torch is active. The diagnosis and the
repair run in thread workers (the repair is `doctor --fix --yes`: the recommended repairs, the
next one where one cannot run here, resolved and run through the same session and runner; the
question shows its steps and what its lock changes); the screen renders
what they return and never decides anything itself.
"""

from __future__ import annotations

import io
import os
from typing import ClassVar

from rich.console import Console
from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, LoadingIndicator, Static

from envwizard.core.errors import EnvwizardError
from envwizard.core.i18n import _
from envwizard.doctor.diagnose import Result, diagnose
from envwizard.doctor.envs import Env
from envwizard.doctor.fix import Chosen, repairable, steps_of
from envwizard.doctor.model import Severity
from envwizard.facts.model import Facts
from envwizard.tui.widgets.dialogs import ConfirmDialog

MARK = {Severity.ERROR: "[red]✗[/]", Severity.WARNING: "[yellow]⚠[/]", Severity.INFO: "[cyan]i[/]"}


def findings_text(result: Result) -> str:
    """The findings as markup: mark, code, sentence, the recommended repair."""
    lines = [
        escape(_("{path} ({kind}, Python {version})").format(
            path=result.env.prefix, kind=result.env.kind.value, version=result.diagnosis.python
        ))
    ]  # fmt: skip
    for f in result.diagnosis.findings:
        pkg = f" ({f.package})" if f.package else ""
        lines.append(
            f"{MARK[f.severity]} [b]{f.code.value}[/]{escape(pkg)}: {escape(f.message.show())}"
        )
        if f.repair and f.severity.problem:
            lines.append(
                "    " + escape(_("repair: {title}").format(title=f.repair[0].title.show()))
            )
    if result.diagnosis.healthy:
        lines.append(
            "[green]" + escape(_("healthy: nothing in this environment needs fixing")) + "[/]"
        )
    return "\n".join(lines)


class DoctorScreen(Screen[None]):
    """Dismisses with None (Back); the wizard continues where it was."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", _("Back"), show=True)]

    def __init__(self, env: Env, facts: Facts) -> None:
        super().__init__()
        self.env = env
        self.facts = facts
        self.result: Result | None = None
        self.busy = True
        """Checking or repairing: Back waits (a repair is not left half-done)."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(
            _(
                "What doctor finds in {path}, and how it would repair it. Nothing changes until you press Repair."
            ).format(path=self.env.prefix),
            classes="purpose",
        )
        with VerticalScroll(classes="body"):
            yield LoadingIndicator(id="checking")
            yield Static("", id="findings")
            yield Static("", id="log")
        with Horizontal(classes="nav"):
            yield Static("", id="problem", classes="problem")
            yield Button(_("Back"), id="back")
            yield Button(_("Repair"), id="repair", variant="warning", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "envwizard"
        self.sub_title = _("Check an existing environment")
        self.check()

    @work(thread=True, exclusive=True, group="doctor")
    def check(self) -> None:
        result = diagnose(self.env, self.facts, os.environ)
        self.app.call_from_thread(self.show, result)

    def show(self, result: Result) -> None:
        self.result = result
        self.busy = False
        self.query_one("#checking").display = False
        self.query_one("#findings", Static).update(findings_text(result))
        self.query_one("#repair", Button).disabled = not repairable(result.diagnosis)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "back":
            self.action_back()
        elif event.button.id == "repair" and self.result is not None:
            self.ask_repair(self.result)

    def ask_repair(self, result: Result) -> None:
        self._busy()
        self.prepare_repair(result)

    @work(thread=True, exclusive=True, group="doctor")
    def prepare_repair(self, result: Result) -> None:
        """Choose the repairs and resolve them (pre-flight and the installer's dry run take
        seconds): the question shows the steps and what the lock changes."""
        from envwizard.app.doctor_fix import choose, lock_lines, prepared_session

        try:
            chosen = choose(result, None, Console(file=io.StringIO()))
            lines: list[str] = []
            if steps_of(chosen):
                plan = prepared_session(result, steps_of(chosen)).plan
                lines = [plan.command_line(s) for s in plan.steps] + lock_lines(result, plan)
        except EnvwizardError as e:
            self.app.call_from_thread(self._idle, str(e))
            return
        self.app.call_from_thread(self._confirm, result, chosen, lines)

    def _confirm(self, result: Result, chosen: list[Chosen], lines: list[str]) -> None:
        if not lines:
            self._idle(_("Nothing to repair that doctor can change here."))
            return
        self._idle("")
        question = (
            _("Change {env} like this?").format(env=self.env.prefix) + "\n\n" + "\n".join(lines)
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.repair(result, chosen)

        self.app.push_screen(ConfirmDialog(question, yes=_("Repair")), answered)

    @work(thread=True, exclusive=True, group="doctor")
    def repair(self, result: Result, chosen: list[Chosen]) -> None:
        from envwizard.app.doctor_fix import apply_repair

        self.app.call_from_thread(self._busy)
        out = io.StringIO()
        try:
            apply_repair(result, chosen, Console(file=out, width=100), signals=False)
        except EnvwizardError as e:  # refused before anything changed
            out.write(str(e))
        self.app.call_from_thread(self.query_one("#log", Static).update, escape(out.getvalue()))
        after = diagnose(self.env, self.facts, os.environ)
        self.app.call_from_thread(self.show, after)

    def _idle(self, problem: str) -> None:
        self.busy = False
        self.query_one("#checking").display = False
        self.query_one("#problem", Static).update(problem)
        if self.result is not None:
            self.query_one("#repair", Button).disabled = not repairable(self.result.diagnosis)

    def _busy(self) -> None:
        self.busy = True
        self.query_one("#repair", Button).disabled = True
        self.query_one("#checking").display = True

    def action_back(self) -> None:
        if not self.busy:
            self.dismiss(None)
