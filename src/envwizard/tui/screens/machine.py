"""a. Machine check: what envwizard found, with the verdicts that matter for torch."""

from __future__ import annotations

import os

from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.widgets import Button, LoadingIndicator, Static

from envwizard.core.i18n import N_, _, join
from envwizard.decide.decision import gpu_label
from envwizard.doctor.envs import Env
from envwizard.facts.model import Facts
from envwizard.report.facts_render import MARKS
from envwizard.tui.screens.base import WizardScreen


def machine_lines(facts: Facts) -> list[str]:
    """The few facts a person checks first, as lines of markup."""
    os_ = facts.os
    parts = [f"{os_.distro or os_.system} {os_.machine}"]
    if os_.glibc:
        parts.append(f"glibc {os_.glibc}")
    if os_.wsl:
        parts.append("WSL")
    if os_.macos_version:
        parts.append(f"macOS {os_.macos_version}")
    system = join(parts)
    cpu = facts.cpu.get("model") or "CPU"
    cores = facts.cpu.get("logical_cores")
    ram = round(facts.memory_mib / 1024) if facts.memory_mib else None
    if cores and ram:
        cpu_line = _("[b]CPU[/]     {cpu} ({cores} threads), {ram} GiB of memory")
    elif cores:
        cpu_line = _("[b]CPU[/]     {cpu} ({cores} threads)")
    elif ram:
        cpu_line = _("[b]CPU[/]     {cpu}, {ram} GiB of memory")
    else:
        cpu_line = _("[b]CPU[/]     {cpu}")
    lines = [
        _("[b]System[/]  {system}").format(system=system),
        cpu_line.format(cpu=cpu, cores=cores, ram=ram),
        _("[b]Python[/]  {version}  [dim]{path}[/]").format(
            version=facts.python.version, path=facts.python.executable
        ),
    ]
    if facts.gpus:
        for g in facts.gpus:
            if g.integrated:
                template = _("[b]GPU[/]     {gpu} [dim](integrated)[/]")
            elif g.memory_mib:
                template = _("[b]GPU[/]     {gpu}, {memory} GiB")
            else:
                template = _("[b]GPU[/]     {gpu}")
            memory = round(g.memory_mib / 1024) if g.memory_mib else None
            lines.append(template.format(gpu=gpu_label(g), memory=memory))
    else:
        lines.append(_("[b]GPU[/]     none found: the CPU build will be chosen"))
    if facts.nvidia_driver:
        driver = (
            _("[b]Driver[/]  NVIDIA {driver}, serves CUDA ≤ {cuda}")
            if facts.cuda_driver
            else _("[b]Driver[/]  NVIDIA {driver}")
        )
        lines.append(driver.format(driver=facts.nvidia_driver, cuda=facts.cuda_driver))
    free = facts.disk.get("free_mib")
    if free:
        lines.append(
            _("[b]Disk[/]    {gib:.0f} GiB free at {path}").format(
                gib=free / 1024, path=facts.disk.get("path", "~")
            )
        )
    found = [
        m.name + (f" {m.version}" if m.version else "") for m in facts.managers.values() if m.path
    ]
    if found:
        lines.append(_("[b]Tools[/]   {tools}").format(tools=join(found)))
    return lines


class MachineScreen(WizardScreen):
    TITLE = N_("Machine check")
    PURPOSE = N_(
        "What is on this machine decides which PyTorch build can run here: the Python, the GPUs and their architecture, the driver."
    )
    BACK = False
    active: Env | None = None
    """The active environment with torch, when there is one (the doctor button checks it)."""

    def body(self) -> ComposeResult:
        yield LoadingIndicator(id="probing")
        yield Static("", id="summary")
        yield Static("", id="verdicts")
        yield Button("", id="doctor")
        yield Static("", id="bundle-line")
        yield Button(_("Install from a bundle folder…"), id="from-bundle")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        # Textual calls WizardScreen's handler too (Back, Next): only this screen's buttons here.
        if event.button.id == "from-bundle":
            event.stop()
            self.wizard.ask_bundle(self.show_bundle)
        elif event.button.id == "doctor" and self.active is not None and self.state.facts:
            event.stop()
            from envwizard.tui.screens.doctor import DoctorScreen

            self.app.push_screen(DoctorScreen(self.active, self.state.facts))

    def show_bundle(self) -> None:
        """Say which bundle the install will come from."""
        bundle = self.state.bundle
        if bundle is None:
            return
        m = bundle.manifest
        self.query_one("#bundle-line", Static).update(
            _(
                "[b]Bundle[/]  {folder}: {count} files for {target}, torch {torch} ({variant}); "
                "the install uses them alone, with no network"
            ).format(
                folder=bundle.root,
                count=len(m.files),
                target=m.target.describe(),
                torch=m.torch or "-",
                variant=m.variant,
            )
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#doctor", Button).display = False
        if self.state.facts is None:
            self.problem(_("probing this machine…"))
            self.probe()
        else:
            self.show(self.state.facts)
        self.show_bundle()

    @work(thread=True, exclusive=True, group="probe")
    def probe(self) -> None:
        from envwizard.facts.probe import probe

        facts = probe()
        self.app.call_from_thread(self.show, facts)

    def show(self, facts: Facts) -> None:
        from envwizard.decide.verdicts import verdicts

        self.state.facts = facts
        self.query_one("#probing").display = False
        self.query_one("#summary", Static).update("\n".join(machine_lines(facts)))
        table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
        table.add_column(width=1, no_wrap=True)
        table.add_column(ratio=1, style="bold", overflow="fold")
        table.add_column(ratio=3, overflow="fold")
        for v in verdicts(facts, self.state.kb):
            mark, color = MARKS.get(v.level, ("?", "white"))
            table.add_row(f"[{color}]{mark}[/]", _(v.subject), v.message)
        self.query_one("#verdicts", Static).update(table)
        self.offer_doctor()
        self.problem(None)
        self.query_one("#next").focus()

    def offer_doctor(self) -> None:
        """An active environment with torch: offer to check it instead of building a new one."""
        from envwizard.doctor.envs import active_with_torch

        self.active = active_with_torch(os.environ)
        button = self.query_one("#doctor", Button)
        button.display = self.active is not None
        if self.active is not None:
            button.label = _("Check the active environment {path}").format(path=self.active.prefix)
