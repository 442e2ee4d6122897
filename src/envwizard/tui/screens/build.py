"""d. PyTorch build: the recommended build with its reasons, the alternatives with theirs."""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label, RadioButton, RadioSet, Select, Static

from envwizard.core.errors import EnvwizardError
from envwizard.core.i18n import N_, _
from envwizard.core.redact import redact_text
from envwizard.knowledge.mirrors import names as mirror_names
from envwizard.plan.route import Target
from envwizard.report.render import decision_head
from envwizard.report.stack_view import held_and_left_out, optional_note
from envwizard.settings.answers import Answers
from envwizard.settings.choices import Framework, Url
from envwizard.tui.messages import Measured
from envwizard.tui.screens.base import WizardScreen, labeled
from envwizard.tui.widgets.secret import UrlInput

INSTALLER_CHOICES = [
    (N_("auto: uv when it installs what pip would, else pip"), "auto"),
    ("pip", "pip"),
    ("uv", "uv"),
]
STACK_CHOICES = [
    (N_("tutorial: torch, torchvision, torchaudio, numpy"), "tutorial"),
    (
        N_("llm: the tutorial set, transformers, peft, accelerate, datasets, extensions that fit"),
        "llm",
    ),
    (N_("torch: torch alone"), "torch"),
]
"""The stacks of the knowledge (stack.toml), as the wizard names them."""
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
        ti = d.torch_index
        yield Static("", id="reasons", classes="panel")
        yield Label(_("Build:"))
        yield RadioSet(id="builds")
        yield labeled(
            _("torch version (PEP 440):"),
            Input(value=d.torch or "", placeholder=_("any, e.g. >=2.5 or ==2.13.*"), id="torch"),
        )
        yield labeled(
            _("Stack:"),
            Select(
                [(_(text), value) for text, value in STACK_CHOICES],
                value=d.stack,
                allow_blank=False,
                id="stack",
            ),
        )
        yield Horizontal(
            Checkbox(_("Jupyter kernel"), value=d.jupyter, id="jupyter"),
            Checkbox("JAX", value=Framework.JAX in d.frameworks, id="jax"),
            Checkbox("TensorFlow", value=Framework.TENSORFLOW in d.frameworks, id="tensorflow"),
            classes="row",
        )
        yield labeled(
            _("Extra packages:"),
            Input(
                value=" ".join(d.packages),
                placeholder=_("e.g. torchvision numpy"),
                id="packages",
            ),
        )
        yield labeled(
            _("Take torch from:"),
            Select(
                [(_(text), value) for text, value in INDEX_CHOICES],
                value="mirror" if isinstance(ti, Url) else str(ti),
                allow_blank=False,
                id="torch_index",
            ),
        )
        yield labeled(
            _("Installer:"),
            Select(
                [(_(label), value) for label, value in INSTALLER_CHOICES],
                value=d.installer,
                allow_blank=False,
                id="installer",
            ),
        )
        yield labeled(
            _("Mirror URL:"),
            UrlInput(
                value=ti.url if isinstance(ti, Url) else "",
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
                value=d.mirror,
                allow_blank=False,
                id="mirror_preset",
            ),
        )
        yield labeled(
            _("Index for other packages:"),
            UrlInput(value=d.index_url or "", placeholder=_("optional mirror URL"), id="index_url"),
        )
        yield labeled(
            _("Wheel folders (offline):"),
            UrlInput(
                value=" ".join(d.find_links),
                placeholder=_("optional folders or URLs"),
                id="find_links",
            ),
        )
        yield Horizontal(
            Checkbox(_("offline: wheel folders only"), value=d.offline, id="offline"),
            Checkbox(
                _("conda-forge build"),
                value=d.torch_source == "conda-forge",
                id="conda_forge",
            ),
            classes="row",
        )
        yield Horizontal(
            Checkbox(
                _("benchmark after install"),
                value=d.benchmark.enabled,
                id="bench",
            ),
            Label(_("seconds:"), classes="label short"),
            Input(
                value=f"{d.benchmark.seconds:g}",
                id="seconds",
                restrict=r"[0-9.]*",
                max_length=6,
            ),
            classes="row",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.measuring: set[tuple[Target, ...]] = set()
        """The source sets a worker is measuring (each once)."""
        self.compute = self.state.draft.compute
        self.jupyter_touched = False
        """The person set the Jupyter box: a change of stack no longer sets it."""
        self.query_one("#conda_forge", Checkbox).display = self.state.draft.is_conda
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
            **self.state.draft.to_dict()["benchmark"],
            "enabled": self.query_one("#bench", Checkbox).value,
            "seconds": seconds,
        }
        frameworks = [f.value for f in Framework if self.query_one(f"#{f.value}", Checkbox).value]
        return {
            "compute": self.compute,
            "stack": self.query_one("#stack", Select).value,
            "frameworks": frameworks,
            "jupyter": self.query_one("#jupyter", Checkbox).value,
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
        planned, why = self.state.try_plan(**{**changes, "compute": "auto"})
        rs.remove_children()
        if planned is None:
            rs.mount(
                RadioButton(
                    _("auto: nothing runs here ({why})").format(why=why), value=True, name="auto"
                )
            )
            return
        d = planned.plan.decision
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
        if event.select.id == "stack" and not self.jupyter_touched:
            # On with a stack to work in (the tutorials run in Jupyter); off for torch alone.
            box = self.query_one("#jupyter", Checkbox)
            with box.prevent(Checkbox.Changed):
                box.value = event.value != "torch"
        self.check()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "conda_forge":
            self._fill_builds()
        if event.checkbox.id == "jupyter":
            self.jupyter_touched = True
        self.check()

    def check(self) -> None:
        """Preview the plan these choices give; `mirror: auto` is measured in a worker (at most a
        few seconds), and Next waits for it, so the review shows the measured route."""
        planned, why = self.state.try_plan(**self.changes())
        panel = self.query_one("#reasons", Static)
        if planned is None:
            panel.update(redact_text(f"[red]✗[/] {why}"))
            self.problem(_("no build runs with these choices"))
            return
        d = planned.plan.decision
        text = [decision_head(d)]
        text += [f"• {r}" for r in d.reasons]
        text += [f"[yellow]⚠ {w}[/]" for w in d.warnings]
        stack = planned.plan.stack
        if stack is not None and stack.items:
            left = held_and_left_out(stack.to_dict())[1]
            text.append(
                _("[b]Beside torch[/] ({name}): {held}").format(
                    name=stack.name, held=", ".join(i.name for i in stack.included)
                )
            )
            text += [f"[yellow]– {escape(x)}[/]" for x in left]
            text += [f"[dim]{escape(n)}[/]" for n in [optional_note(stack)] if n]
        if planned.unmeasured:
            text.append(_("[dim]mirror: auto is measuring which sources answer fastest here…[/]"))
            if planned.unmeasured not in self.measuring:
                self.measuring.add(planned.unmeasured)
                self.measure(self.state.with_changes(self.changes()))
        panel.update(redact_text("\n".join(text)))
        self.problem(_("measuring the mirrors…") if planned.unmeasured else None)

    @work(thread=True, group="measure", exit_on_error=False)
    def measure(self, answers: Answers) -> None:
        """The network part of the plan stage, off the UI thread; kept by the state's cache."""
        try:
            planned = self.state.planned(answers, measure=True)
        except EnvwizardError:
            return  # the preview already says why these choices do not plan
        self.post_message(Measured(planned))

    @on(Measured)
    def _measured(self, message: Measured) -> None:
        self.check()  # the measurement is kept: this plans again without the network
