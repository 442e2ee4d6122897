"""e. Review: the exact commands, the disk estimate, and "save answers" for a headless replay."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.widgets import Button, Static

from envwizard.core.i18n import N_, _
from envwizard.report.stack_view import optional_note
from envwizard.tui.screens.base import WizardScreen
from envwizard.tui.widgets.save import SaveAnswers


class ReviewScreen(WizardScreen):
    TITLE = N_("Review")
    PURPOSE = N_("Exactly what will run, in order. Nothing has changed on this machine yet.")

    def next_label(self) -> str:
        return _("Finish (dry run)") if self.state.dry_run else _("Install")

    def body(self) -> ComposeResult:
        plan = self.state.plan
        assert plan is not None
        d = plan.decision
        yield Static(
            _("[b]{manager}[/] environment at [b]{path}[/], {size}").format(
                manager=plan.manager, path=plan.env_path, size=plan.size_text
            )
            + "\n"
            + _("[b]torch {torch}[/] ({variant})").format(torch=d.torch, variant=d.variant)
            + f"\n{plan.installer.reason}"
            + "".join(f"\n[yellow]⚠ {w}[/]" for w in plan.warnings)
            + "".join(f"\n[dim]{escape(n)}[/]" for n in [optional_note(plan.stack)] if n),
            classes="panel",
        )
        lines = []
        for i, s in enumerate(plan.steps, 1):
            lines.append(f"[b]{i}. {s.label()}[/]\n   [dim]$[/] {plan.command_line(s)}")
        yield Static("\n".join(lines), id="commands", classes="commands")
        yield SaveAnswers()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#next", Button).focus()
