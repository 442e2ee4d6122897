"""Rich rendering of a benchmark run: a live panel while it runs, a summary table at the end."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from envwizard.bench.state import BenchState

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Iterable[float], width: int = 40) -> str:
    """The last `width` values as block characters, scaled between their min and max."""
    data = list(values)[-width:]
    if not data:
        return ""
    lo, hi = min(data), max(data)
    if hi - lo <= abs(hi) * 1e-9:
        return BLOCKS[3] * len(data)
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[round((v - lo) / (hi - lo) * top)] for v in data)


def si(value: Any, unit: str = "") -> str:
    """1234567 -> '1.23M': throughput at a glance."""
    if not isinstance(value, (int, float)):
        return "n/a"
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}{unit}"
    return f"{value:.3g}{unit}"


def pct(value: Any) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, (int, float)) else "n/a"


def num(value: Any, fmt: str = ".3g", unit: str = "") -> str:
    return f"{value:{fmt}}{unit}" if isinstance(value, (int, float)) else "n/a"


def headline(info: dict[str, Any]) -> Text:
    """device · name · dtype · preset in→hidden→out · batch · processes."""
    model = info.get("model") or {}
    shape = "→".join(str(model.get(k, "?")) for k in ("in", "hidden", "out"))
    world = info.get("world_size", 1)
    parts = [
        (str(info.get("device", "?")), "bold cyan"),
        (f" · {info.get('device_name', '?')}", ""),
        (f" · {info.get('dtype', '?')}", "bold"),
        (f" · {info.get('preset', '?')} {shape}", ""),
        (f" · batch {info.get('batch', '?')}", ""),
        (f" · {world} process{'es' if world != 1 else ''}", ""),
    ]
    if info.get("compile"):
        parts.append((" · compiled", "magenta"))
    return Text.assemble(*parts)


def telemetry_line(t: dict[str, Any]) -> Text:
    """GPU util, power, temperature, clock and throttling; CPU% and RSS; n/a where unknown."""
    if not t:
        return Text("telemetry: waiting…", style="dim")
    bits: list[str] = []
    if t.get("source") == "nvml":
        limit = t.get("power_limit_w")
        power = num(t.get("power_w"), ".0f", " W") + (f" / {limit:.0f} W" if limit else "")
        clock = num(t.get("sm_clock_mhz"), ".0f", " MHz")
        throttle = [x for x in (t.get("throttle") or []) if x != "gpu_idle"]
        bits += [
            f"GPU {num(t.get('gpu_util'), '.0f', ' %')}",
            f"mem {num(t.get('mem_used_mib'), '.0f')}/{num(t.get('mem_total_mib'), '.0f')} MiB",
            power,
            num(t.get("temp_c"), ".0f", " °C"),
            f"SM {clock}",
            "throttle: " + (", ".join(throttle) if throttle else "none"),
        ]
    bits += [
        f"CPU {num(t.get('cpu_percent'), '.0f', ' %')}",
        f"RSS {num(t.get('rss_mib'), '.0f')} MiB",
    ]
    return Text("  ·  ".join(bits), style="dim")


def timing(state: BenchState) -> str:
    """'measuring  12/30 s measured · 20 s of about 45 s': the measured and the whole."""
    total = float(state.start.get("seconds") or 0)
    done = float(state.last_step.get("elapsed") or 0)
    whole = f"{state.t:.0f} s"
    if state.expected_s and not state.summary:
        whole += f" of about {state.expected_s:.0f} s"
    return f"{state.phase}  {done:.0f}/{total:.0f} s measured · {whole}"


def progress_line(state: BenchState) -> str:
    """One plain line for a log without a terminal."""
    step = state.last_step
    held = state.held_out
    return (
        f"{timing(state)} · training loss {num(step.get('loss'), '.4g')} · held-out loss "
        f"{num(held.get('loss'), '.4g')}, accuracy {pct(held.get('accuracy'))} · "
        f"{si(step.get('samples_per_s'))} samples/s · {num(step.get('tflops'), '.3g')} TFLOP/s"
    )


def live_panel(state: BenchState) -> Panel:
    """What the terminal shows while the benchmark runs."""
    step = state.last_step
    rows = Table.grid(padding=(0, 2))
    rows.add_column(style="bold", no_wrap=True)
    rows.add_column(justify="right", no_wrap=True)
    rows.add_column(style="cyan", no_wrap=True)
    s = state.series
    first = state.evals.get("initial", {}).get("loss")  # before any training: about ln(classes)
    loss = num(step.get("loss"), ".4g") + (f"  (from {first:.4g})" if first is not None else "")
    rows.add_row("training loss", loss, sparkline(s["loss"]))
    held = state.held_out
    rows.add_row(
        "held-out",
        f"loss {num(held.get('loss'), '.4g')}",
        f"accuracy {pct(held.get('accuracy'))} (chance {pct(held.get('chance'))})",
    )
    rows.add_row("samples/s", si(step.get("samples_per_s")), sparkline(s["samples_per_s"]))
    rows.add_row("TFLOP/s", num(step.get("tflops"), ".3g"), sparkline(s["tflops"]))
    peak = state.start.get("peak_source") or "no known peak"
    rows.add_row("MFU", pct(step.get("mfu")), Text(peak, style="dim"))
    if step.get("mfu_ceiling") is not None:
        rows.add_row("vs GEMM probe", pct(step.get("mfu_ceiling")), "")
    bar = Table.grid(padding=(0, 1))
    bar.add_row(
        ProgressBar(total=1.0, completed=state.progress, width=40),
        Text(timing(state), style="bold"),
    )
    body = [headline(state.start) if state.start else Text("starting the worker…"), bar, rows]
    body.append(telemetry_line(state.telemetry))
    return Panel(Group(*body), title="Training benchmark", title_align="left", border_style="cyan")


def summary_table(summary: dict[str, Any]) -> Table:
    """The result of a run, for the terminal (the report keeps the full summary JSON)."""
    t = Table(title="Benchmark result", show_header=False, title_justify="left", box=None)
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    t.add_row("setup", headline(summary))
    t.add_row("throughput", f"{si(summary.get('samples_per_s'))} samples/s"
              + (f"  ({si(summary.get('samples_per_s_per_device'))} per device)"
                 if summary.get("world_size", 1) != 1 else ""))  # fmt: skip
    t.add_row("compute", f"{num(summary.get('tflops'), '.3g')} TFLOP/s per device")
    estimate = " (estimate)" if summary.get("peak_estimate") else ""
    if summary.get("mfu") is not None:
        mfu = (
            f"{pct(summary.get('mfu'))} of {num(summary.get('peak_tflops'), '.4g')} TFLOP/s "
            f"peak{estimate}"
        )
    else:
        mfu = f"n/a: {summary.get('peak_source') or 'no known peak'}"
    t.add_row("MFU", mfu)
    if summary.get("probe_tflops") is not None:
        t.add_row(
            "vs GEMM probe",
            f"{pct(summary.get('mfu_ceiling'))} of {num(summary.get('probe_tflops'), '.3g')} "
            "TFLOP/s measured for the same matmuls alone",
        )
    t.add_row(
        "training loss",
        f"{num(summary.get('loss_first'), '.4g')} → {num(summary.get('loss_last'), '.4g')}",
    )
    held_loss = summary.get("eval_loss", summary.get("loss_eval"))
    train = summary.get("train_accuracy")
    seen = f"on training batches {pct(train)}; " if train is not None else ""
    t.add_row(
        "held-out",
        f"loss {num(held_loss, '.4g')}, accuracy {pct(summary.get('accuracy'))} "
        f"({seen}chance {pct(summary.get('chance'))})",
    )
    if summary.get("scaling_efficiency") is not None:
        t.add_row(
            "scaling",
            f"{pct(summary.get('scaling_efficiency'))} of {summary.get('world_size')} × "
            f"{si(summary.get('baseline_samples_per_s'))} samples/s (one process)",
        )
    tele = summary.get("telemetry") or {}
    if tele.get("gpu_util_mean") is not None or tele.get("power_w_mean") is not None:
        seen = tele.get("throttle_seen") or []
        t.add_row(
            "GPU",
            f"util {num(tele.get('gpu_util_mean'), '.0f', ' %')} · "
            f"{num(tele.get('power_w_mean'), '.0f', ' W')} · max {num(tele.get('temp_c_max'), '.0f', ' °C')}"
            f" · throttle: {', '.join(seen) if seen else 'none'}",
        )
    wall = summary.get("wall_s")
    whole = f"; {num(wall, '.1f')} s from start to summary" if wall is not None else ""
    t.add_row(
        "time",
        f"{num(summary.get('seconds'), '.1f')} s of training steps measured "
        f"({summary.get('steps')} steps after {summary.get('warmup_steps')} warm-up){whole}",
    )
    return t
