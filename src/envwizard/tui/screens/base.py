"""The frame every wizard screen shares: a title, one line on what it decides, Back / Next."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Label, Static

from envwizard.i18n import N_, _

if TYPE_CHECKING:
    from envwizard.tui.app import EnvWizardApp
    from envwizard.tui.state import WizardState


def labeled(label: str, *widgets: Widget, id: str | None = None) -> Horizontal:
    """One form row: a label in the left column, then its widgets."""
    return Horizontal(Label(label, classes="label"), *widgets, classes="row", id=id)


class WizardScreen(Screen[None]):
    """Subclasses set TITLE and PURPOSE and implement `body()`; `next_screen()` moves on."""

    TITLE: ClassVar[str] = ""
    PURPOSE: ClassVar[str] = ""
    NEXT_LABEL: ClassVar[str] = N_("Next")
    BACK: ClassVar[bool] = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), show=True),
        Binding("ctrl+n", "next", _("Next"), show=True),
    ]

    @property
    def wizard(self) -> EnvWizardApp:
        return self.app  # type: ignore[return-value]

    @property
    def state(self) -> WizardState:
        return self.wizard.state

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(_(self.PURPOSE), classes="purpose")
        with VerticalScroll(classes="body"):
            yield from self.body()
        with Horizontal(classes="nav"):
            yield Static("", id="problem", classes="problem")
            if self.BACK:
                yield Button(_("Back"), id="back")
            yield Button(self.next_label(), id="next", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "envwizard"
        self.sub_title = _(self.TITLE)

    def body(self) -> ComposeResult:
        yield from ()

    def next_label(self) -> str:
        return _(self.NEXT_LABEL)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "next":
            event.stop()
            self.action_next()
        elif event.button.id == "back":
            event.stop()
            self.action_back()

    def problem(self, text: str | None) -> None:
        """Show why Next is not possible (or clear it)."""
        self.query_one("#problem", Static).update(text or "")
        self.query_one("#next", Button).disabled = bool(text)

    def action_back(self) -> None:
        if self.BACK and len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_next(self) -> None:
        if self.query_one("#next", Button).disabled:
            return
        screen = self.next_screen()
        if screen is not None:
            self.app.push_screen(screen)

    def next_screen(self) -> Screen[None] | None:
        return None
