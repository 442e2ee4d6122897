"""g. Verify and benchmark: the verification result, then the training run plotted live."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, ProgressBar, Sparkline, Static

from envwizard.bench.state import BenchState
from envwizard.bench.view import num, pct, si, summary_table, timing
from envwizard.core.i18n import N_, _, join
from envwizard.run.outcome import EnvOutcome, RunStatus, StepStatus
from envwizard.run.runner import (
    BENCH_SKIPPED_REASON,
    BenchEvent,
    Event,
    RunFinished,
    StepFinished,
)
from envwizard.tui.screens.base import wizard_app
from envwizard.tui.widgets.plot import LinePlot

PLOTS = (
    ("loss", N_("loss"), "magenta"),
    ("samples_per_s", N_("samples/s"), "cyan"),
    ("tflops", "TFLOP/s", "green"),
)
TELEMETRY = (
    ("gpu_util", N_("GPU util"), "%"),
    ("power_w", N_("power"), "W"),
    ("temp_c", N_("temperature"), "°C"),
    ("sm_clock_mhz", N_("SM clock"), "MHz"),
    ("cpu_percent", "CPU", "%"),
)


def verify_text(v: dict[str, Any] | None) -> str:
    if not v:
        return _("[dim]verification has not run[/]")
    devices = join(v.get("device_names") or []) or "CPU"
    if v.get("ok"):
        head = _("[green]✓ verified[/]: torch {version} on {devices}")
    else:
        head = _("[red]✗ verification failed[/]: torch {version} on {devices}")
    lines = [head.format(version=v.get("torch_version"), devices=devices)]
    if v.get("arch_list"):
        lines.append(_("[dim]kernels: {archs}[/]").format(archs=" ".join(v["arch_list"])))
    lines += [f"[red]•[/] {p}" for p in v.get("problems") or []]
    lines += [_("[yellow]hint:[/] {hint}").format(hint=h) for h in v.get("hints") or []]
    return "\n".join(lines)


class BenchScreen(Screen[None]):
    """Pushed by the app when the benchmark step starts, with the verification just made."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "skip", N_("Skip the benchmark"), show=True)
    ]

    def __init__(self, verify: dict[str, Any] | None) -> None:
        super().__init__()
        self.verify = verify

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(
            _(
                "Linear → ReLU → Linear, SGD, a synthetic task: loss should fall; MFU shows how much of the device is used."
            ),
            classes="purpose",
        )
        yield Static(verify_text(self.verify), id="verify", classes="panel")
        with Horizontal(id="bench-progress"):
            yield Static(_("starting"), id="phase")
            yield ProgressBar(total=1.0, show_eta=False, id="bench-bar")
        yield Static(_("[dim]held-out: not evaluated yet[/]"), id="heldout")
        with Grid(id="plots"):
            for key, title, color in PLOTS:
                yield LinePlot(_(title), id=f"plot-{key}", color=color)
            with Grid(id="telemetry"):
                for key, label, _unit in TELEMETRY:
                    yield Static(
                        _("[dim]{label}[/] n/a").format(label=_(label)),
                        id=f"t-{key}",
                        classes="tlabel",
                    )
                    yield Sparkline([], id=f"s-{key}")
        yield Static("", id="summary")
        with Horizontal(classes="nav"):
            yield Static("", id="problem", classes="problem")
            yield Button(_("Skip the benchmark"), id="skip", variant="warning")
            yield Button(_("Continue"), id="continue", variant="primary", disabled=True)
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape skips only while the benchmark runs."""
        if action == "skip":
            session = wizard_app(self).session
            return session is not None and session.benchmarking
        return True
        return True

    def on_mount(self) -> None:
        self.title, self.sub_title = "envwizard", _("Verify and benchmark")
        self.bench = BenchState()

    def apply(self, ev: Event) -> None:
        if isinstance(ev, BenchEvent):
            self.show(ev.data)
        elif isinstance(ev, StepFinished) and ev.status is StepStatus.FAILED:
            self.query_one("#problem", Static).update(
                _("[yellow]⚠ benchmark failed[/]: {line}").format(
                    line=ev.tail[-1] if ev.tail else ""
                )
            )
        elif isinstance(ev, StepFinished) and ev.reason == BENCH_SKIPPED_REASON:
            self.query_one("#problem", Static).update(
                _("[yellow]■[/] benchmark skipped; the environment is installed and verified")
            )
        elif isinstance(ev, RunFinished):
            if ev.result.status is RunStatus.CANCELLED and ev.result.env is EnvOutcome.READY:
                self.query_one("#problem", Static).update(
                    _("[yellow]■[/] benchmark stopped; the environment is installed and verified")
                )
            self.refresh_bindings()
            self.query_one("#skip", Button).display = False
            button = self.query_one("#continue", Button)
            button.disabled = False
            button.focus()

    def show(self, event: dict[str, Any]) -> None:
        """Fold one worker event into the state, then update what it touched."""
        state = self.bench
        state.feed(event)
        kind = event.get("event")
        self.query_one("#phase", Static).update(timing(state))
        self.query_one("#bench-bar", ProgressBar).update(progress=state.progress)
        if kind == "step":
            x = float(event.get("elapsed") or len(state.elapsed))
            for key, _title, _color in PLOTS:
                self.query_one(f"#plot-{key}", LinePlot).push(x, event.get(key))
        elif kind == "eval":
            self.query_one("#heldout", Static).update(
                _(
                    "held-out loss [bold]{loss}[/], accuracy [bold]{accuracy}[/] (chance "
                    "{chance}) · training loss {train_loss}"
                ).format(
                    loss=num(event.get("loss"), ".4g"),
                    accuracy=pct(event.get("accuracy")),
                    chance=pct(event.get("chance")),
                    train_loss=num(state.last_step.get("loss"), ".4g"),
                )
            )
        elif kind == "telemetry":
            for key, label, unit in TELEMETRY:
                series = state.series[key]
                if series:
                    self.query_one(f"#t-{key}", Static).update(
                        f"[dim]{_(label)}[/] {si(series[-1])} {unit}"
                    )
                    self.query_one(f"#s-{key}", Sparkline).data = list(series)
        elif kind == "summary":
            self.query_one("#summary", Static).update(summary_table(event))
            self.query_one("#problem", Static).update(
                _("[yellow]⚠[/] done, but the measurement was disturbed: see the result below")
                if event.get("disturbance")
                else _("[green]✓[/] done")
            )
        elif kind == "error":
            self.query_one("#problem", Static).update(f"[red]✗[/] {event.get('message') or event}")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "skip":
            self.action_skip()
        elif event.button.id == "continue":
            wizard_app(self).show_done()

    def action_skip(self) -> None:
        """Stop the benchmark alone: the environment is installed and verified, the run done."""
        if self.check_action("skip", ()):
            wizard_app(self).skip_benchmark()
