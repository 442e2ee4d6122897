"""g. Verify and benchmark: the verification result, then the training run plotted live."""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Sparkline, Static

from envwizard.runner import BenchEvent, Event, RunFinished, StepFinished
from envwizard.tui.widgets.plot import LinePlot, fmt

TELEMETRY = (
    ("gpu_util", "GPU util %"),
    ("mem_used_mib", "GPU memory MiB"),
    ("power_w", "power W"),
    ("temp_c", "temperature °C"),
    ("cpu_percent", "CPU %"),
)


def verify_text(v: dict[str, Any] | None) -> str:
    if not v:
        return "[dim]verification has not run[/]"
    mark = "[green]✓ verified[/]" if v.get("ok") else "[red]✗ verification failed[/]"
    devices = ", ".join(v.get("device_names") or []) or "CPU"
    lines = [f"{mark}: torch {v.get('torch_version')} on {devices}"]
    if v.get("arch_list"):
        lines.append(f"[dim]kernels: {' '.join(v['arch_list'])}[/]")
    lines += [f"[red]•[/] {p}" for p in v.get("problems") or []]
    lines += [f"[yellow]hint:[/] {h}" for h in v.get("hints") or []]
    return "\n".join(lines)


def summary_text(s: dict[str, Any]) -> str:
    mfu = s.get("mfu")
    model = s.get("model") or {}
    shape = f"{model.get('in')}→{model.get('hidden')}→{model.get('out')}" if model else "?"
    acc = s.get("accuracy")
    return (
        f"[b]{s.get('device_name')}[/] ({s.get('device')}, {s.get('dtype')}, preset {s.get('preset')} {shape}, "
        f"batch {s.get('batch')}, world size {s.get('world_size')})\n"
        f"[b]{fmt(s.get('samples_per_s') or 0)} samples/s[/]   {s.get('tflops') or 0:.3f} TFLOP/s   "
        f"MFU {f'{mfu:.1%}' if isinstance(mfu, (int, float)) else 'n/a (no known peak)'}   "
        f"loss {s.get('loss_first', 0):.3f} → {s.get('loss_last', 0):.3f}   "
        f"accuracy {f'{acc:.1%}' if isinstance(acc, (int, float)) else 'n/a'}"
    )


class BenchScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=True)]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(
            "Linear → ReLU → Linear trained with SGD on a synthetic task: the loss should fall; "
            "throughput and MFU say how much of the device the environment reaches.",
            classes="purpose",
        )
        yield Static(verify_text(getattr(self.app, "verify", None)), id="verify", classes="panel")
        with Grid(id="plots"):
            yield LinePlot("loss", id="plot-loss", color="magenta")
            yield LinePlot("samples/s", id="plot-sps", color="cyan")
            yield LinePlot("TFLOP/s", id="plot-tflops", color="green")
            with Grid(id="telemetry"):
                for key, label in TELEMETRY:
                    yield Static(f"[dim]{label}[/] n/a", id=f"t-{key}", classes="tlabel")
                    yield Sparkline([], id=f"s-{key}")
        yield Static("", id="summary", classes="panel")
        with Horizontal(classes="nav"):
            yield Static("benchmark running…", id="problem", classes="problem")
            yield Button("Cancel", id="cancel", variant="error")
            yield Button("Continue", id="continue", variant="primary", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "envwizard", "Verify and benchmark"
        self.series: dict[str, deque[float]] = {k: deque(maxlen=120) for k, _ in TELEMETRY}
        self.n = 0

    def apply(self, ev: Event) -> None:
        if isinstance(ev, BenchEvent):
            self.bench(ev.data)
        elif isinstance(ev, StepFinished) and ev.step_id == "verify":
            self.query_one("#verify", Static).update(verify_text(getattr(self.app, "verify", None)))
        elif isinstance(ev, StepFinished) and ev.status == "failed":
            self.query_one("#problem", Static).update(
                f"[yellow]⚠ benchmark failed[/]: {ev.tail[-1] if ev.tail else ''}"
            )
        elif isinstance(ev, RunFinished):
            self.query_one("#cancel", Button).disabled = True
            button = self.query_one("#continue", Button)
            button.disabled = False
            button.focus()
            if (
                ev.status == "done"
                and self.query_one("#problem", Static).content == "benchmark running…"
            ):
                self.query_one("#problem", Static).update("[green]✓[/] done")

    def bench(self, d: dict[str, Any]) -> None:
        kind = d.get("event")
        if kind == "step":
            self.n += 1
            x = d.get("step", self.n)
            self.query_one("#plot-loss", LinePlot).push(x, d.get("loss"))
            self.query_one("#plot-sps", LinePlot).push(x, d.get("samples_per_s"))
            self.query_one("#plot-tflops", LinePlot).push(x, d.get("tflops"))
        elif kind == "telemetry":
            for key, label in TELEMETRY:
                value = d.get(key)
                if isinstance(value, (int, float)):
                    self.series[key].append(float(value))
                    self.query_one(f"#t-{key}", Static).update(f"[dim]{label}[/] {fmt(value)}")
                    self.query_one(f"#s-{key}", Sparkline).data = list(self.series[key])
        elif kind == "summary":
            self.query_one("#summary", Static).update(summary_text(d))
        elif kind == "error":
            self.query_one("#problem", Static).update(f"[red]✗[/] {d.get('message') or d}")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.action_cancel()
        elif event.button.id == "continue":
            from envwizard.tui.screens.done import DoneScreen

            self.app.push_screen(DoneScreen())

    def action_cancel(self) -> None:
        if self.app.running:  # type: ignore[attr-defined]
            self.app.cancel_run()  # type: ignore[attr-defined]
