"""c. Environment: which tool makes it, where it goes, and what to do if something is there."""

from __future__ import annotations

import os
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, RadioButton, RadioSet, Select, Static

from envwizard.app.session import Session
from envwizard.core.errors import EnvwizardError
from envwizard.core.i18n import N_, _
from envwizard.settings.answers import CONDA_LIKE, MANAGERS
from envwizard.tui.screens.base import WizardScreen, labeled

ABOUT = {
    "venv": N_("Python's own; always there (needs ensurepip: python3-venv on Debian/Ubuntu)"),
    "virtualenv": N_("fast, seeds pip offline from its bundled wheels"),
    "uv": N_("fastest installs; can also download the Python version you asked for"),
    "conda": N_("conda env + pip wheels from PyTorch's index (or conda-forge builds)"),
    "mamba": N_("conda's solver in C++; same environments as conda"),
    "micromamba": N_("single binary conda; no base install needed"),
}
HOW_TO_GET = {
    "venv": N_("part of Python (Debian/Ubuntu: apt install python3-venv)"),
    "virtualenv": N_("pip install virtualenv"),
    "uv": N_("pip install uv (or uv's standalone installer)"),
    "conda": N_("install Miniforge"),
    "mamba": N_("install Miniforge (it ships mamba)"),
    "micromamba": N_("install micromamba (a single binary)"),
}
EXISTING = [
    (N_("stop and ask me to choose another path (abort)"), "abort"),
    (N_("install into it, keep what is there (reuse)"), "reuse"),
    (N_("delete it and build it again (recreate)"), "recreate"),
]


class EnvironmentScreen(WizardScreen):
    TITLE = N_("Environment")
    PURPOSE = N_(
        "Which tool creates the environment, and where. Tools not found here are shown with how to get them."
    )

    def available(self, name: str) -> bool:
        facts = self.state.facts
        if name == "venv":
            return True
        return bool(facts and name in facts.managers and facts.managers[name].path)

    def body(self) -> ComposeResult:
        current = self.state.draft.manager
        with RadioSet(id="manager"):
            for name in MANAGERS:
                ok = self.available(name)
                text = (
                    f"{name:<11} {_(ABOUT[name])}"
                    if ok
                    else f"{name:<11} " + _("not found: {how}").format(how=_(HOW_TO_GET[name]))
                )
                yield RadioButton(
                    text, value=(name == current and ok), disabled=not ok, id=f"m-{name}"
                )
        yield labeled(
            _("Path (conda: a name or a path):"), Input(value=self._shown_env(), id="env")
        )
        yield Static("", id="env-note")
        yield labeled(
            _("If it already exists:"),
            Select(
                [(_(text), value) for text, value in EXISTING],
                value=self.state.draft.existing,
                allow_blank=False,
                id="existing",
            ),
        )

    def _shown_env(self) -> str:
        env = self.state.draft.env
        home = os.path.expanduser("~")
        return "~" + env[len(home) :] if env.startswith(home + os.sep) else env

    def on_mount(self) -> None:
        super().on_mount()
        if not any(b.value for b in self.query(RadioButton)):
            self.query_one("#m-venv", RadioButton).value = True
        self.query_one("#manager", RadioSet).focus()
        self.check()

    def manager(self) -> str:
        rs = self.query_one("#manager", RadioSet)
        pressed = rs.pressed_button
        return pressed.id.removeprefix("m-") if pressed and pressed.id else "venv"

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.check()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.check()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.check()

    def changes(self) -> dict[str, Any]:
        return {
            "manager": self.manager(),
            "env": self.query_one("#env", Input).value.strip(),
            "existing": self.query_one("#existing", Select).value,
        }

    def check(self) -> None:
        """Validate as typed: the same rules as an answers file, plus what is on disk now."""
        changes = self.changes()
        note = self.query_one("#env-note", Static)
        try:
            answers = self.state.with_changes(changes)
        except EnvwizardError as e:
            note.update(f"[red]✗[/] {str(e).removeprefix('answers: ').removeprefix('env: ')}")
            self.problem(_("fix the path first"))
            return
        planned, why = self.state.try_plan(**changes)
        if planned is None:
            note.update(f"[red]✗[/] {why}")
            self.problem(why)
            return
        plan = planned.plan
        facts = self.state.facts
        assert facts is not None  # try_plan planned: the machine was probed
        try:
            # How the session would start at this path now, or why it would refuse: the rules
            # of a run, shown while the person types.
            start = Session(facts, answers, plan, rebenchmark=self.state.rebenchmark).inspect()
        except EnvwizardError as e:
            note.update(f"[red]✗[/] {e}")
            self.problem(_("choose another path, or what to do if it exists"))
            return
        if start.action == "create" and not start.message:
            text = _("[green]✓[/] a new {manager} environment at {path}").format(
                manager=answers.manager, path=plan.env_path
            )
        elif start.action == "create":
            text = f"[green]✓[/] {start.message}"
        else:
            text = f"[yellow]⚠[/] {start.message}"
        if answers.manager in CONDA_LIKE and answers.env_is_name:
            text += _("  [dim](a named conda environment)[/]")
        note.update(
            text + "".join(f"\n[yellow]⚠[/] {w}" for w in plan.warnings if w.code.about_env_path)
        )
        self.problem(None)
