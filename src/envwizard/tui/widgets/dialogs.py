"""Questions that must be answered before the wizard goes on: yes/no before anything
destructive, a choice among several answers, a folder to use."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static
from textual.widgets.button import ButtonVariant

from envwizard.core.i18n import N_, _


class ConfirmDialog(ModalScreen[bool]):
    """Dismisses with True only for the explicit "yes" button; Escape means no."""

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical {
        width: 70; max-width: 95%; height: auto;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ConfirmDialog Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "no", N_("No"))]

    def __init__(self, question: str, yes: str = "", no: str = "") -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes or _("Yes")
        self.no_label = no or _("No")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal():
                yield Button(self.no_label, id="no")
                yield Button(self.yes_label, id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_no(self) -> None:
        self.dismiss(False)


class ChoiceDialog(ModalScreen[str]):
    """A question with several answers, each a button; Escape is the first (the safe) one."""

    DEFAULT_CSS = """
    ChoiceDialog { align: center middle; }
    ChoiceDialog > Vertical {
        width: 76; max-width: 95%; height: auto;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ChoiceDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ChoiceDialog Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "safe", N_("Stay"))]

    def __init__(self, question: str, choices: list[tuple[str, str, ButtonVariant]]) -> None:
        """`choices`: (answer, label, button variant), the safe answer first."""
        super().__init__()
        self.question = question
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal():
                for answer, label, variant in self.choices:
                    yield Button(label, id=answer, variant=variant)

    def on_mount(self) -> None:
        self.query_one(f"#{self.choices[0][0]}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or self.choices[0][0])

    def action_safe(self) -> None:
        self.dismiss(self.choices[0][0])


class FolderDialog(ModalScreen["str | None"]):
    """A folder to use, typed in; Escape or Cancel is None."""

    DEFAULT_CSS = """
    FolderDialog { align: center middle; }
    FolderDialog > Vertical {
        width: 76; max-width: 95%; height: auto;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    FolderDialog Input { margin-top: 1; }
    FolderDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    FolderDialog Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, question: str, use: str) -> None:
        super().__init__()
        self.question = question
        self.use_label = use

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            yield Input(id="folder")
            with Horizontal():
                yield Button(_("Cancel"), id="cancel")
                yield Button(self.use_label, id="use", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#folder", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        value = self.query_one("#folder", Input).value.strip()
        self.dismiss(value or None if event.button.id == "use" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
