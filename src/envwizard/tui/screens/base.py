"""The frame every wizard screen shares: a title, one line on what it decides, Back / Next.

A screen decides nothing about the flow: it dismisses with `Next(changes)` or `BACK`, and the
app (which holds the one ordered list of steps) merges the changes, replans and shows the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Union, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Label, Static

from envwizard.core.i18n import N_, _
from envwizard.core.redact import redact_text

if TYPE_CHECKING:
    from envwizard.tui.app import EnvWizardApp
    from envwizard.tui.state import WizardState


@dataclass(frozen=True)
class Next:
    """The person pressed Next: these answers change (the keys of an answers file)."""

    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Back:
    """The person pressed Back."""


BACK = Back()
Choice = Union[Next, Back]
"""What a wizard screen dismisses with."""


def wizard_app(node: DOMNode) -> EnvWizardApp:
    """The app a screen or widget runs in, typed: screens are only ever pushed by EnvWizardApp
    (importing it here would make the screens and the app import each other)."""
    return cast("EnvWizardApp", node.app)


def labeled(label: str, *widgets: Widget, id: str | None = None) -> Horizontal:
    """One form row: a label in the left column, then its widgets."""
    return Horizontal(Label(label, classes="label"), *widgets, classes="row", id=id)


class FlowScreen(Screen[Choice]):
    """A screen of the wizard's flow: it reads the app and the answers so far, typed."""

    @property
    def wizard(self) -> EnvWizardApp:
        return wizard_app(self)

    @property
    def state(self) -> WizardState:
        return self.wizard.state


class WizardScreen(FlowScreen):
    """Subclasses set TITLE and PURPOSE and implement `body()`; `changes()` is what Next merges."""

    TITLE: ClassVar[str] = ""
    PURPOSE: ClassVar[str] = ""
    NEXT_LABEL: ClassVar[str] = N_("Next")
    BACK: ClassVar[bool] = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back"), show=True),
        Binding("ctrl+n", "next", N_("Next"), show=True),
    ]

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
        self.query_one("#problem", Static).update(redact_text(text or ""))
        self.query_one("#next", Button).disabled = bool(text)

    def action_back(self) -> None:
        if self.BACK:
            self.dismiss(BACK)

    def action_next(self) -> None:
        if self.query_one("#next", Button).disabled:
            return
        self.dismiss(Next(self.changes()))

    def changes(self) -> dict[str, Any]:
        """The answers this screen sets (merged into the draft by the app on Next)."""
        return {}
