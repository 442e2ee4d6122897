"""h. Done: what was built, how to use it, where the report and the answers are."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from envwizard.bench.view import summary_table
from envwizard.core.errors import EnvwizardError
from envwizard.core.i18n import N_, _
from envwizard.report.report import DEFAULT_SOURCE, carry_commands, index_words, installed
from envwizard.report.stack_view import run_lines
from envwizard.run.outcome import RunStatus
from envwizard.run.runner import BENCH_SKIPPED_REASON
from envwizard.tui.screens.base import wizard_app
from envwizard.tui.screens.bench import verify_text
from envwizard.tui.widgets.save import SaveAnswers


class DoneScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit_app", N_("Quit"), show=False)]

    def compose(self) -> ComposeResult:
        app = wizard_app(self)
        state = app.state
        # The plan the run installed: the session's resolved one (the stack as the resolve left
        # it, what was left out and why), else the draft's.
        plan = app.session.plan if app.session is not None else state.plan
        assert plan is not None
        dry = state.dry_run
        yield Header(show_clock=False)
        with VerticalScroll(classes="body"):
            if dry:
                yield Static(
                    _(
                        "[b]Dry run:[/] nothing was run or created. This is the plan envwizard would run; "
                        "save the answers to run it headless later."
                    )
                    + "\n"
                    + _("[dim]running the pre-flight checks a real run makes first…[/]"),
                    id="dry",
                    classes="panel",
                )
            elif app.result is not None:
                result = app.result
                head = {
                    RunStatus.DONE: _("[green b]✓ The environment is ready.[/]"),
                    RunStatus.CANCELLED: _(
                        "[yellow b]■ The benchmark was stopped; the environment is ready.[/]"
                    ),
                    RunStatus.FAILED: _("[red b]✗ The install failed.[/]"),
                }.get(result.status, str(result.status))
                if any(s.reason == BENCH_SKIPPED_REASON for s in result.steps):
                    head = _("[green b]✓ The environment is ready; the benchmark was skipped.[/]")
                got = installed(result.verify, plan)
                what = ""
                if got:
                    template = (
                        _(
                            "Installed: torch {torch} ({build} build) by {installer}, from the "
                            "installer's configured index and wheel folders."
                        )
                        if got["index"] == DEFAULT_SOURCE
                        else _(
                            "Installed: torch {torch} ({build} build) by {installer}, from {index}."
                        )
                    )
                    what = "\n" + template.format(
                        torch=got["torch"],
                        build=got["build"],
                        installer=got["installer"],
                        index=index_words(got["index"]),
                    )
                beside = "".join(
                    f"\n{mark} {escape(line)}"
                    for mark, line in run_lines(plan.stack, result.verify_stack, result.kernel)
                )
                yield Static(f"{head}\n{verify_text(result.verify)}{what}{beside}", classes="panel")
                if result.benchmark:
                    yield Static(summary_table(result.benchmark), classes="panel")
            yield Label(_("Use it with:"))
            yield Input(value=plan.activate, id="activate")
            yield Label(_("Install more packages (the torch pin holds) with:"))
            yield Input(value=plan.install_more, id="install-more")
            if not dry and app.result is not None and app.result.status is RunStatus.DONE:
                carry = carry_commands(plan.env_path)
                yield Label(
                    _("Take it elsewhere (also --format pylock, conda, dockerfile, devcontainer):")
                )
                yield Input(value=carry["requirements"], id="export")
                yield Label(_("For a machine without internet, gather every file in a bundle:"))
                yield Input(value=carry["bundle"], id="bundle")
            yield Static(
                _("[dim]environment:[/] {path}").format(path=plan.env_path)
                + "\n"
                + _("[dim]Python:[/] {python}").format(python=plan.env_python),
                id="where",
            )
            if state.report_path:
                yield Static(
                    _("[dim]report:[/] {path}").format(path=state.report_path), id="report"
                )
            yield SaveAnswers()
        with Horizontal(classes="nav"):
            yield Static("", classes="problem")
            yield Button(_("Quit"), id="quit", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "envwizard", _("Done")
        self.query_one("#quit", Button).focus()
        if wizard_app(self).state.dry_run:
            self.preflight()

    @work(thread=True, exclusive=True, group="preflight", exit_on_error=False)
    def preflight(self) -> None:
        """What a real run would meet before it changed anything: the session's own checks
        (where it would start, then pre-flight), off the UI thread (they ask the network)."""
        try:
            session = wizard_app(self).open_session()
            pf = session.preflight(session.inspect())
            verdict = (
                _(
                    "[red]✗[/] A real run would stop at its pre-flight checks here: {problems}"
                ).format(problems=" | ".join(pf.errors))
                if pf.errors
                else _("[green]✓[/] The pre-flight checks a real run makes pass here.")
            )
            warned = "".join(f"\n[yellow]⚠[/] {w}" for w in pf.warnings)
            refused = pf.errors
        except EnvwizardError as e:
            verdict, warned, refused = (
                _("[red]✗[/] A real run would be refused: {reason}").format(reason=e),
                "",
                [str(e)],
            )
        wizard_app(self).state.dry_run_problems = list(refused)
        self.app.call_from_thread(self._checked, verdict + warned)

    def _checked(self, text: str) -> None:
        panel = self.query_one("#dry", Static)
        panel.update(
            _(
                "[b]Dry run:[/] nothing was run or created. This is the plan envwizard would run; "
                "save the answers to run it headless later."
            )
            + "\n"
            + text
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "quit":
            event.stop()
            self.action_quit_app()

    def action_quit_app(self) -> None:
        wizard_app(self).leave()
