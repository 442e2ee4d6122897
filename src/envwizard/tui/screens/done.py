"""h. Done: what was built, how to use it, where the report and the answers are."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from envwizard.bench.view import summary_table
from envwizard.report import installed
from envwizard.tui.screens.bench import verify_text
from envwizard.tui.widgets.save import SaveAnswers


class DoneScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit_app", "Quit", show=False)]

    def compose(self) -> ComposeResult:
        app = self.app
        state = app.state  # type: ignore[attr-defined]
        plan = state.plan
        dry = state.dry_run
        yield Header(show_clock=False)
        with VerticalScroll(classes="body"):
            if dry:
                yield Static(
                    "[b]Dry run:[/] nothing was run or created. This is the plan envwizard would run; "
                    "save the answers to run it headless later.",
                    classes="panel",
                )
            else:
                status = getattr(app, "run_status", "done")
                head = {
                    "done": "[green b]✓ The environment is ready.[/]",
                    "cancelled": "[yellow b]■ Stopped.[/]",
                    "failed": "[red b]✗ The install failed.[/]",
                }.get(status, status)
                verify = getattr(app, "verify", None)
                got = installed(verify, plan)
                what = (
                    f"\nInstalled: torch {got['torch']} ({got['build']} build) by "
                    f"{got['installer']}, from {got['index']}."
                    if got
                    else ""
                )
                yield Static(f"{head}\n{verify_text(verify)}{what}", classes="panel")
                bench = getattr(app, "bench_summary", None)
                if bench:
                    yield Static(summary_table(bench), classes="panel")
            yield Label("Use it with:")
            yield Input(value=plan.activate, id="activate")
            yield Label("Install more packages (the torch pin holds) with:")
            yield Input(value=plan.install_more, id="install-more")
            yield Static(
                f"[dim]environment:[/] {plan.env_path}\n[dim]Python:[/] {plan.env_python}",
                id="where",
            )
            if state.report_path:
                yield Static(f"[dim]report:[/] {state.report_path}", id="report")
            yield SaveAnswers()
        with Horizontal(classes="nav"):
            yield Static("", classes="problem")
            yield Button("Quit", id="quit", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "envwizard", "Done"
        self.query_one("#quit", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "quit":
            event.stop()
            self.action_quit_app()

    def action_quit_app(self) -> None:
        self.app.exit(return_code=getattr(self.app, "exit_code", 0))
