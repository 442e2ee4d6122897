"""c. Environment: which tool makes it, where it goes, and what to do if something is there."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.markup import escape
from textual.widgets import Button, Input, RadioButton, RadioSet, Select, Static

from envwizard.app.session import Session
from envwizard.core.errors import EnvwizardError, unlabel
from envwizard.core.i18n import N_, _
from envwizard.facts.model import Manager
from envwizard.run.selfinstall import ToolInstall, install, plan_install
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
    "virtualenv": N_("pipx install virtualenv"),
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


OFFERED = "virtualenv"
"""The one missing tool envwizard can put beside itself (run/selfinstall.py)."""


class EnvironmentScreen(WizardScreen):
    TITLE = N_("Environment")
    PURPOSE = N_(
        "Which tool creates the environment, and where. Tools not found here are listed below with how to get them."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "install_tool", N_("Install virtualenv"), show=True),
    ]

    def available(self, name: str) -> bool:
        facts = self.state.facts
        if name == "venv":
            return True
        return bool(facts and name in facts.managers and facts.managers[name].path)

    def body(self) -> ComposeResult:
        current = self.state.draft.manager
        self.offer: ToolInstall | str | None = (
            None if self.available(OFFERED) else plan_install(OFFERED, self.state.own_python)
        )
        self.installing = False
        missing = []
        with RadioSet(id="manager"):
            for name in MANAGERS:
                if self.available(name):
                    text = f"{name:<11} {_(ABOUT[name])}"
                elif name == OFFERED and isinstance(self.offer, ToolInstall):
                    text = f"{name:<11} " + _(
                        "not installed: choose it, then press i to install it"
                    )
                else:
                    missing.append(name)
                    continue
                yield RadioButton(text, value=name == current, id=f"m-{name}")
        if missing:
            yield Static(
                "\n".join(
                    [_("[dim]Not found here, so not offered:[/]")]
                    + [
                        _("  [dim]{tool}:[/] {how}").format(tool=name, how=self._how(name))
                        for name in missing
                    ]
                ),
                id="missing",
            )
        with Horizontal(id="tool-row", classes="row"):
            yield Static("", id="tool-offer")
            yield Button(_("Install virtualenv"), id="install-tool", variant="primary")
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

    def _how(self, name: str) -> str:
        if name == OFFERED and isinstance(self.offer, str):
            return self.offer
        return _(HOW_TO_GET[name])

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

    def on_button_pressed(self, event: Button.Pressed) -> None:
        # Textual calls WizardScreen's handler too (Back, Next): calling it again here dismissed
        # the screen twice.
        if event.button.id == "install-tool":
            event.stop()
            self.action_install_tool()

    # ---- a missing virtualenv, installed beside envwizard on request ----------------------
    def wants_install(self) -> bool:
        return (
            self.manager() == OFFERED
            and not self.available(OFFERED)
            and isinstance(self.offer, ToolInstall)
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "install_tool":
            return self.is_mounted and self.wants_install() and not self.installing
        return True

    def show_offer(self) -> bool:
        """Say exactly what installing virtualenv does; True while it is what the screen waits on."""
        row = self.query_one("#tool-row")
        offer = self.offer
        row.display = self.wants_install()
        self.refresh_bindings()
        if not row.display or not isinstance(offer, ToolInstall):
            return False
        if not self.installing:
            self.query_one("#tool-offer", Static).update(
                _(
                    "virtualenv is not installed. Press [b]i[/] or the button to install it into "
                    "envwizard's own environment at {prefix}, with:\n  {command}\nNothing else is "
                    "changed; the environment you are building is made afterwards, with it."
                ).format(prefix=escape(offer.prefix), command=escape(offer.command()))
            )
        self.problem(_("install virtualenv first (press i), or choose another tool"))
        return True

    def action_install_tool(self) -> None:
        offer = self.offer
        if not self.wants_install() or self.installing or not isinstance(offer, ToolInstall):
            return
        self.installing = True
        self.query_one("#install-tool", Button).disabled = True
        self.query_one("#tool-offer", Static).update(
            _("Installing virtualenv into {prefix}…\n  $ {command}").format(
                prefix=escape(offer.prefix), command=escape(offer.command())
            )
        )
        self.refresh_bindings()
        self._install(offer)

    @work(thread=True, exclusive=True, group="install-tool")
    def _install(self, offer: ToolInstall) -> None:
        manager, tail = install(offer)
        self.app.call_from_thread(self._installed, offer, manager, tail)

    def _installed(self, offer: ToolInstall, manager: Manager | None, tail: str) -> None:
        self.installing = False
        self.query_one("#install-tool", Button).disabled = False
        if manager is None:
            self.query_one("#tool-offer", Static).update(
                _("[red]✗[/] installing virtualenv failed:\n{output}").format(output=escape(tail))
            )
            self.refresh_bindings()
            return
        facts = self.state.facts
        assert facts is not None
        facts.managers[OFFERED] = manager
        button = self.query_one(f"#m-{OFFERED}", RadioButton)
        button.label = f"{OFFERED:<11} {_(ABOUT[OFFERED])}"
        self.notify(
            _("virtualenv {version} is installed at {path}").format(
                version=manager.version or "", path=manager.path
            )
        )
        self.check()

    def changes(self) -> dict[str, Any]:
        return {
            "manager": self.manager(),
            "env": self.query_one("#env", Input).value.strip(),
            "existing": self.query_one("#existing", Select).value,
        }

    def check(self) -> None:
        """Validate as typed: the same rules as an answers file, plus what is on disk now."""
        if self.show_offer():
            return
        changes = self.changes()
        note = self.query_one("#env-note", Static)
        try:
            answers = self.state.with_changes(changes)
        except EnvwizardError as e:
            note.update(f"[red]✗[/] {unlabel(unlabel(str(e), 'answers'), 'env')}")
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
            start = Session(facts, answers, plan, rebenchmark=self.state.rebenchmark).look()
        except EnvwizardError as e:
            # The run's own sentence, as headless says it (env: included).
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
            text += "\n" + _("[dim]a named conda environment, in conda's own folder[/]")
        note.update(
            text + "".join(f"\n[yellow]⚠[/] {w}" for w in plan.warnings if w.code.about_env_path)
        )
        self.problem(None)
