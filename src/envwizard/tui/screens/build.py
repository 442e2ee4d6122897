"""d. PyTorch build: the recommended build with its reasons, the alternatives with theirs."""

from __future__ import annotations

import re
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label, RadioButton, RadioSet, Select, Static

from envwizard.core.i18n import N_, _
from envwizard.core.redact import redact_text
from envwizard.knowledge.mirrors import names as mirror_names
from envwizard.settings.answers import CONDA_LIKE
from envwizard.tui.screens.base import WizardScreen, labeled
from envwizard.tui.widgets.secret import UrlInput

INSTALLER_CHOICES = [
    (N_("auto: uv when it installs what pip would, else pip"), "auto"),
    ("pip", "pip"),
    ("uv", "uv"),
]
INDEX_CHOICES = [
    (N_("PyTorch's index for the build (auto)"), "auto"),
    (N_("my installer's configured index (default)"), "default"),
    (N_("a mirror of PyTorch's index…"), "mirror"),
]


def split_list(text: str) -> list[str]:
    """ "torchvision, numpy<3  rich" -> ["torchvision", "numpy<3", "rich"]."""
    return [p for p in re.split(r"[,\s]+", text.strip()) if p]


class BuildScreen(WizardScreen):
    TITLE = N_("PyTorch build")
    PURPOSE = N_(
        "The build whose kernels match your GPUs and driver is preselected; the others say why they would or would not run here."
    )

    def body(self) -> ComposeResult:
        d = self.state.draft
        ti = d.get("torch_index", "auto")
        yield Static("", id="reasons", classes="panel")
        yield Label(_("Build:"))
        yield RadioSet(id="builds")
        yield labeled(
            _("torch version (PEP 440):"),
            Input(
                value=d.get("torch") or "", placeholder=_("any, e.g. >=2.5 or ==2.13.*"), id="torch"
            ),
        )
        yield labeled(
            _("Extra packages:"),
            Input(
                value=" ".join(d.get("packages") or []),
                placeholder=_("e.g. torchvision numpy"),
                id="packages",
            ),
        )
        yield labeled(
            _("Take torch from:"),
            Select(
                [(_(text), value) for text, value in INDEX_CHOICES],
                value=ti if ti in ("auto", "default") else "mirror",
                allow_blank=False,
                id="torch_index",
            ),
        )
        yield labeled(
            _("Installer:"),
            Select(
                [(_(label), value) for label, value in INSTALLER_CHOICES],
                value=d.get("installer", "auto"),
                allow_blank=False,
                id="installer",
            ),
        )
        yield labeled(
            _("Mirror URL:"),
            UrlInput(
                value=ti if ti not in ("auto", "default") else "",
                placeholder="https://mirror.example/pytorch/whl",
                id="mirror",
            ),
            id="mirror-row",
        )
        yield labeled(
            _("Mirror preset:"),
            Select(
                [
                    (_("none: the official locations"), "none"),
                    (_("auto: measure, take the fastest"), "auto"),
                    *[(name, name) for name in mirror_names()],
                ],
                value=d.get("mirror") or "none",
                allow_blank=False,
                id="mirror_preset",
            ),
        )
        yield labeled(
            _("Index for other packages:"),
            UrlInput(
                value=d.get("index_url") or "", placeholder=_("optional mirror URL"), id="index_url"
            ),
        )
        yield labeled(
            _("Wheel folders (offline):"),
            UrlInput(
                value=" ".join(d.get("find_links") or []),
                placeholder=_("optional folders or URLs"),
                id="find_links",
            ),
        )
        yield Horizontal(
            Checkbox(_("offline: wheel folders only"), value=bool(d.get("offline")), id="offline"),
            Checkbox(
                _("conda-forge build"),
                value=d.get("torch_source") == "conda-forge",
                id="conda_forge",
            ),
            classes="row",
        )
        yield Horizontal(
            Checkbox(
                _("benchmark after install"),
                value=bool(d["benchmark"].get("enabled", True)),
                id="bench",
            ),
            Label(_("seconds:"), classes="label short"),
            Input(
                value=str(d["benchmark"].get("seconds", 30)),
                id="seconds",
                restrict=r"[0-9.]*",
                max_length=6,
            ),
            classes="row",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.compute = self.state.draft.get("compute", "auto")
        self.query_one("#conda_forge", Checkbox).display = (
            self.state.draft.get("manager") in CONDA_LIKE
        )
        self._fill_builds()
        self.query_one("#builds", RadioSet).focus()

    def changes(self) -> dict[str, Any]:
        sel = self.query_one("#torch_index", Select).value
        mirror = self.query_one("#mirror", Input).value.strip()
        self.query_one("#mirror-row").display = sel == "mirror"
        seconds_text = self.query_one("#seconds", Input).value.strip()
        try:
            seconds: float | str = float(seconds_text)
        except ValueError:
            seconds = seconds_text
        bench = {
            **self.state.draft["benchmark"],
            "enabled": self.query_one("#bench", Checkbox).value,
            "seconds": seconds,
        }
        return {
            "compute": self.compute,
            "torch": self.query_one("#torch", Input).value.strip() or None,
            "packages": split_list(self.query_one("#packages", Input).value),
            "torch_index": mirror if sel == "mirror" else sel,
            "index_url": self.query_one("#index_url", Input).value.strip() or None,
            "find_links": split_list(self.query_one("#find_links", Input).value),
            "offline": self.query_one("#offline", Checkbox).value,
            "installer": self.query_one("#installer", Select).value,
            "torch_source": "conda-forge"
            if self.query_one("#conda_forge", Checkbox).value
            else "pip",
            "benchmark": bench,
            "mirror": self.query_one("#mirror_preset", Select).value,
        }

    def _fill_builds(self) -> None:
        """The recommendation under the other options, then one button per build of that release."""
        rs = self.query_one("#builds", RadioSet)
        changes = self.changes()
        auto, why = self.state.try_plan(**{**changes, "compute": "auto"})
        rs.remove_children()
        if auto is None:
            rs.mount(
                RadioButton(
                    _("auto: nothing runs here ({why})").format(why=why), value=True, name="auto"
                )
            )
            return
        d = auto.decision
        if self.compute not in {a["variant"] for a in d.alternatives if a["ok"]}:
            self.compute = "auto"
        chosen = self.compute
        buttons = [
            RadioButton(
                _("auto — recommended: torch {release} {variant}").format(
                    release=d.release, variant=d.variant
                ),
                value=chosen == "auto",
                name="auto",
            )
        ]
        for alt in d.alternatives:
            variant = alt["variant"]
            mark = "[green]✓[/]" if alt["ok"] else "[red]✗[/]"
            exp = _(" [dim](experimental)[/]") if alt.get("experimental") else ""
            buttons.append(
                RadioButton(
                    f"{mark} {variant:<9} {alt['why']}{exp}",
                    value=chosen == variant,
                    disabled=not alt["ok"],
                    name=variant,
                )
            )
        rs.mount(*buttons)
        self.call_after_refresh(self.check)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.compute = event.pressed.name or "auto"
        self.check()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "torch":
            self._fill_builds()
        self.check()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.check()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "conda_forge":
            self._fill_builds()
        self.check()

    def check(self) -> None:
        plan, why = self.state.try_plan(**self.changes())
        panel = self.query_one("#reasons", Static)
        if plan is None:
            panel.update(redact_text(f"[red]✗[/] {why}"))
            self.problem(_("no build runs with these choices"))
            return
        d = plan.decision
        src = d.index_url or (
            "conda-forge" if d.source == "conda-forge" else _("the installer's default index")
        )
        text = [
            _("[b]torch {torch}[/]  build [b]{variant}[/]  from {source}").format(
                torch=d.torch, variant=d.variant, source=src
            )
        ]
        text += [f"• {r}" for r in d.reasons]
        text += [f"[yellow]⚠ {w}[/]" for w in d.warnings]
        panel.update(redact_text("\n".join(text)))
        self.problem(None)
