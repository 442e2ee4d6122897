"""b. Python: which interpreter the environment gets, inside PyTorch's Python window."""

from __future__ import annotations

import re
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from envwizard.core.i18n import N_, _
from envwizard.core.versions import major_minor
from envwizard.facts.model import PythonInfo
from envwizard.knowledge import Knowledge
from envwizard.tui.screens.base import WizardScreen, labeled

CURRENT = "current"


def torch_window(kb: Knowledge, version: str) -> tuple[bool, str]:
    """(usable, why) for a Python version: which torch releases publish wheels for it."""
    mm = major_minor(version)
    lines = [r.version for r in kb.releases if r.python_ok(mm) or mm in r.python_experimental]
    if not lines:
        return False, _("no torch release envwizard knows supports Python {version}").format(
            version=mm
        )
    lo, hi = lines[-1], lines[0]
    span = f"torch {lo}" if lo == hi else f"torch {lo}–{hi}"
    newest = kb.releases[0].version
    if hi == newest:
        return True, span
    return True, _("{span} (newest torch {version} needs another Python)").format(
        span=span, version=newest
    )


def window_table(kb: Knowledge) -> str:
    """torch release lines grouped by the Python versions they support."""
    groups: dict[str, list[str]] = {}
    for r in kb.releases:
        groups.setdefault(r.pythons, []).append(r.version)
    return "\n".join(
        f"  torch {v[-1]}–{v[0]}: Python {w}" if len(v) > 1 else f"  torch {v[0]}: Python {w}"
        for w, v in groups.items()
    )


class PythonScreen(WizardScreen):
    TITLE = N_("Python")
    PURPOSE = N_(
        "The environment's Python: PyTorch publishes wheels only for some versions, shown beside each interpreter."
    )

    def body(self) -> ComposeResult:
        yield Label(_("Interpreters found on this machine:"))
        yield OptionList(id="pythons")
        yield labeled(
            _("…or a version uv / conda provide:"),
            Input(placeholder=_("e.g. 3.12"), id="version", restrict=r"[0-9.]*", max_length=7),
        )
        yield Static("", id="window-note")
        yield Static(
            _("[b]PyTorch's Python window[/]") + "\n" + window_table(self.state.kb), classes="note"
        )

    def interpreters(self) -> list[PythonInfo]:
        facts = self.state.facts
        assert facts is not None
        seen, out = set(), []
        for p in [facts.python, *facts.pythons]:
            if p.executable not in seen:
                seen.add(p.executable)
                out.append(p)
        return out

    def on_mount(self) -> None:
        super().on_mount()
        ol = self.query_one("#pythons", OptionList)
        current = self.state.draft.python
        highlight = 0
        for i, p in enumerate(self.interpreters()):
            if p.error:
                ol.add_option(
                    Option(
                        f"[red]✗[/] {p.executable}  [dim]{p.error}[/]", id=f"py{i}", disabled=True
                    )
                )
                continue
            ok, why = torch_window(self.state.kb, p.version)
            icon = "[green]✓[/]" if ok else "[red]✗[/]"
            tag = _(" (running envwizard)") if i == 0 else f" ({p.origin})" if p.origin else ""
            ol.add_option(
                Option(
                    f"{icon} Python {p.version}{tag}  [dim]{p.executable}[/]\n    {why}",
                    id=f"py{i}",
                )
            )
            if current in (p.executable, CURRENT if i == 0 else None):
                highlight = i
        if current and current[0].isdigit():
            self.query_one("#version", Input).value = current
        else:
            ol.highlighted = highlight
        ol.focus()
        self.refresh_choice()

    def chosen(self) -> str:
        version = self.query_one("#version", Input).value.strip()
        if version:
            return version
        ol = self.query_one("#pythons", OptionList)
        idx = ol.highlighted or 0
        return CURRENT if idx == 0 else self.interpreters()[idx].executable

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.query_one("#version", Input).value = ""
        self.refresh_choice()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_next()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refresh_choice()

    def refresh_choice(self) -> None:
        """Say what torch the chosen Python allows; Next only for a Python some torch supports."""
        choice = self.chosen()
        note = self.query_one("#window-note", Static)
        if not choice[0].isdigit():
            facts = self.state.facts
            assert facts is not None  # the machine screen probed before this one
            info = next((p for p in self.interpreters() if p.executable == choice), facts.python)
            ok, why = torch_window(self.state.kb, info.version)
            note.update("")
            self.problem(None if ok else f"Python {info.version}: {why}")
            return
        if not re.fullmatch(r"3\.\d{1,2}(\.\d{1,2})?", choice):
            note.update("")
            self.problem(_("type a version such as 3.12"))
            return
        ok, why = torch_window(self.state.kb, choice)
        text = ("[green]✓[/] " if ok else "[red]✗[/] ") + why
        installed = any(
            p.version == choice or p.version.startswith(choice + ".") for p in self.interpreters()
        )
        if not installed:
            text += "\n" + _(
                "[yellow]⚠[/] not installed here: uv and conda can provide it (next screen)"
            )
        note.update(text)
        self.problem(None if ok else f"Python {choice}: {why}")

    def changes(self) -> dict[str, Any]:
        return {"python": self.chosen()}
