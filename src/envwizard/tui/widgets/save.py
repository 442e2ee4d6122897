"""Save the wizard's choices as an answers file that replays headless to the same plan."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from envwizard.core.errors import EnvwizardError
from envwizard.core.i18n import _
from envwizard.tui.screens.base import wizard_app

DEFAULT_NAME = "envwizard-answers.yaml"


class SaveAnswers(Vertical):
    DEFAULT_CSS = "SaveAnswers { height: auto; }"

    def compose(self) -> ComposeResult:
        saved = wizard_app(self).state.saved_answers
        with Horizontal(classes="row"):
            yield Label(_("Save answers to:"), classes="label")
            yield Input(value=saved or DEFAULT_NAME, id="save-path")
            yield Button(_("Save answers"), id="save")
        yield Static(self.message(saved) if saved else "", id="saved")

    @staticmethod
    def message(path: str) -> str:
        return _("[green]✓[/] saved: replay with  envwizard --answers {path}").format(path=path)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "save":
            return
        event.stop()
        note = self.query_one("#saved", Static)
        try:
            path = wizard_app(self).state.save(
                self.query_one("#save-path", Input).value.strip() or DEFAULT_NAME
            )
        except (OSError, EnvwizardError) as e:
            note.update(_("[red]✗[/] could not save: {error}").format(error=e))
            return
        note.update(self.message(path))
