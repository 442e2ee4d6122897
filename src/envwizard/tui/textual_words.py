"""Textual's own words on screen, in the wizard's language, and its line breaking for Chinese.

Textual writes a few English words of its own into every app: the footer's "palette", the
command palette's commands and search prompt, a Select list's "Dismiss menu". The wizard
replaces each with its own translated one; `install` (run when the wizard is imported, as its
own key bindings are labelled then) does the two that live in Textual's classes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import textual.content
from rich.align import Align
from rich.text import Text
from textual.app import App, CommandCallback, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandList, CommandPalette
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets._select import SelectOverlay
from textual.widgets.option_list import Option

from envwizard.core.i18n import N_, _
from envwizard.report import linebreak


def install() -> None:
    """Chinese line breaking in every Textual widget; the Select list's key in our words."""
    linebreak.install(textual.content)
    SelectOverlay.BINDINGS = [Binding("escape", "dismiss", N_("Close the list"))]


_ENGLISH: dict[type[DOMNode], Any] = {}
"""Each class's BINDINGS as written (English), kept so a second language can be applied."""


def label_bindings(*classes: type[DOMNode]) -> None:
    """Key labels in the language in use now, for these classes and the envwizard classes they
    inherit from. Their BINDINGS are written with N_() (English); Textual merges bindings when
    a class is created and copies them into each instance, so this runs before the app's
    widgets are made (EnvWizardApp.__init__), when the language is known."""
    chain: list[type[DOMNode]] = []
    for cls in classes:
        for c in reversed(cls.__mro__):
            if c not in chain and (c in classes or c.__module__.startswith("envwizard.")):
                chain.append(c)
    for c in chain:
        if "BINDINGS" in c.__dict__:
            english = _ENGLISH.setdefault(c, c.__dict__["BINDINGS"])
            c.BINDINGS = [_translated(b) for b in english]
        c._merged_bindings = c._merge_bindings()


def _translated(binding: BindingType) -> BindingType:
    if not isinstance(binding, Binding):
        return binding
    return replace(
        binding,
        description=_(binding.description) if binding.description else "",
        tooltip=_(binding.tooltip) if binding.tooltip else "",
    )


def palette_binding() -> Binding:
    """The footer's command palette key, labelled in our words (Textual adds its own otherwise)."""
    return Binding(
        "ctrl+p",
        "command_palette",
        N_("Commands"),
        show=False,
        priority=True,
        tooltip=N_("Open the command palette"),
    )


class Palette(CommandPalette):
    """The command palette with its prompt and its "no matches" line translated."""

    def __init__(self) -> None:
        super().__init__(placeholder=_("Search for commands…"), id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(_("No matches found"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show)


def system_commands(
    app: App[None], screen: Screen[object], toggle_theme: CommandCallback, quit: CommandCallback
) -> Iterable[SystemCommand]:
    """Textual's palette commands, in our words. Its "Keys" panel is left out: it shows each
    widget's help, which Textual writes in English only."""
    yield SystemCommand(_("Theme"), _("Switch between the light and dark theme"), toggle_theme)
    yield SystemCommand(_("Quit"), _("Quit envwizard (it asks first during an install)"), quit)
    if screen.maximized is not None:
        yield SystemCommand(
            _("Minimize"),
            _("Restore the maximized part to its normal size"),
            screen.action_minimize,
        )
    elif screen.focused is not None and screen.focused.allow_maximize:
        yield SystemCommand(
            _("Maximize"), _("Show the focused part on the whole screen"), screen.action_maximize
        )
    yield SystemCommand(
        _("Screenshot"),
        _("Save an SVG picture of this screen in the current folder"),
        lambda: app.set_timer(0.1, lambda: save_screenshot(app)),
    )


def save_screenshot(app: App[None]) -> None:
    path = app.save_screenshot()
    app.notify(_("Screenshot saved to {path}").format(path=path), title=_("Screenshot"))
