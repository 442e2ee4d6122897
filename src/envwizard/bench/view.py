"""Rich rendering of a benchmark run: a live panel while it runs, a summary table at the end."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from envwizard.bench.state import BenchState
from envwizard.core.i18n import _, ngettext
from envwizard.report.report import disturbance_lines

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
        return _("n/a")
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}{unit}"
    return f"{value:.3g}{unit}"


def pct(value: Any) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, (int, float)) else _("n/a")


def num(value: Any, fmt: str = ".3g", unit: str = "") -> str:
    return f"{value:{fmt}}{unit}" if isinstance(value, (int, float)) else _("n/a")


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
        (_(" · batch {batch}").format(batch=info.get("batch", "?")), ""),
        (ngettext(" · {count} process", " · {count} processes", world).format(count=world), ""),
    ]
    if info.get("compile"):
        parts.append((_(" · compiled"), "magenta"))
    return Text.assemble(*parts)


def telemetry_line(t: dict[str, Any]) -> Text:
    """GPU util, power, temperature, clock and throttling; CPU% and RSS; n/a where unknown."""
    if not t:
        return Text(_("telemetry: waiting…"), style="dim")
    bits: list[str] = []
    if t.get("source") == "nvml":
        limit = t.get("power_limit_w")
        power = num(t.get("power_w"), ".0f", " W") + (f" / {limit:.0f} W" if limit else "")
        clock = num(t.get("sm_clock_mhz"), ".0f", " MHz")
        throttle = [x for x in (t.get("throttle") or []) if x != "gpu_idle"]
        bits += [
            f"GPU {num(t.get('gpu_util'), '.0f', ' %')}",
            _("mem {used}/{total} MiB").format(
                used=num(t.get("mem_used_mib"), ".0f"), total=num(t.get("mem_total_mib"), ".0f")
            ),
            power,
            num(t.get("temp_c"), ".0f", " °C"),
            f"SM {clock}",
            _("throttle: {reasons}").format(reasons=", ".join(throttle) if throttle else _("none")),
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
    if state.expected_s and not state.summary:
        whole = _("{elapsed:.0f} s of about {expected:.0f} s").format(
            elapsed=state.t, expected=state.expected_s
        )
    else:
        whole = _("{elapsed:.0f} s").format(elapsed=state.t)
    return _("{phase}  {done:.0f}/{total:.0f} s measured · {whole}").format(
        phase=_(state.phase), done=done, total=total, whole=whole
    )


def progress_line(state: BenchState) -> str:
    """One plain line for a log without a terminal."""
    step = state.last_step
    held = state.held_out
    return _(
        "{timing} · training loss {loss} · held-out loss {held_loss}, accuracy {accuracy} · "
        "{samples} samples/s · {tflops} TFLOP/s"
    ).format(
        timing=timing(state),
        loss=num(step.get("loss"), ".4g"),
        held_loss=num(held.get("loss"), ".4g"),
        accuracy=pct(held.get("accuracy")),
        samples=si(step.get("samples_per_s")),
        tflops=num(step.get("tflops"), ".3g"),
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
    loss = num(step.get("loss"), ".4g")
    if first is not None:
        loss = _("{loss}  (from {first:.4g})").format(loss=loss, first=first)
    rows.add_row(_("training loss"), loss, sparkline(s["loss"]))
    held = state.held_out
    rows.add_row(
        _("held-out"),
        _("loss {loss}").format(loss=num(held.get("loss"), ".4g")),
        _("accuracy {accuracy} (chance {chance})").format(
            accuracy=pct(held.get("accuracy")), chance=pct(held.get("chance"))
        ),
    )
    rows.add_row("samples/s", si(step.get("samples_per_s")), sparkline(s["samples_per_s"]))
    rows.add_row("TFLOP/s", num(step.get("tflops"), ".3g"), sparkline(s["tflops"]))
    peak = state.start.get("peak_source") or _("no known peak")
    rows.add_row("MFU", pct(step.get("mfu")), Text(peak, style="dim"))
    if step.get("mfu_ceiling") is not None:
        rows.add_row(_("vs GEMM probe"), pct(step.get("mfu_ceiling")), "")
    bar = Table.grid(padding=(0, 1))
    bar.add_row(
        ProgressBar(total=1.0, completed=state.progress, width=40),
        Text(timing(state), style="bold"),
    )
    body: list[RenderableType] = [
        headline(state.start) if state.start else Text(_("starting the worker…")),
        bar,
        rows,
    ]
    body.append(telemetry_line(state.telemetry))
    return Panel(
        Group(*body), title=_("Training benchmark"), title_align="left", border_style="cyan"
    )


def summary_table(summary: dict[str, Any]) -> Table:
    """The result of a run, for the terminal (the report keeps the full summary JSON)."""
    t = Table(title=_("Benchmark result"), show_header=False, title_justify="left", box=None)
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    t.add_row(_("setup"), headline(summary))
    samples = si(summary.get("samples_per_s"))
    if summary.get("world_size", 1) != 1:
        throughput = _("{samples} samples/s  ({per_device} per device)").format(
            samples=samples, per_device=si(summary.get("samples_per_s_per_device"))
        )
    else:
        throughput = _("{samples} samples/s").format(samples=samples)
    t.add_row(_("throughput"), throughput)
    t.add_row(
        _("compute"),
        _("{tflops} TFLOP/s per device").format(tflops=num(summary.get("tflops"), ".3g")),
    )
    if summary.get("mfu") is not None:
        mfu_fields = {
            "mfu": pct(summary.get("mfu")),
            "peak": num(summary.get("peak_tflops"), ".4g"),
        }
        if summary.get("peak_estimate"):
            mfu = _("{mfu} of {peak} TFLOP/s peak (estimate)").format(**mfu_fields)
        else:
            mfu = _("{mfu} of {peak} TFLOP/s peak").format(**mfu_fields)
    else:
        mfu = _("n/a: {why}").format(why=summary.get("peak_source") or _("no known peak"))
    t.add_row("MFU", mfu)
    if summary.get("probe_tflops") is not None:
        t.add_row(
            _("vs GEMM probe"),
            _("{share} of {tflops} TFLOP/s measured for the same matmuls alone").format(
                share=pct(summary.get("mfu_ceiling")),
                tflops=num(summary.get("probe_tflops"), ".3g"),
            ),
        )
    t.add_row(
        _("training loss"),
        f"{num(summary.get('loss_first'), '.4g')} → {num(summary.get('loss_last'), '.4g')}",
    )
    held_loss = summary.get("eval_loss", summary.get("loss_eval"))
    train = summary.get("train_accuracy")
    held_fields = {
        "loss": num(held_loss, ".4g"),
        "accuracy": pct(summary.get("accuracy")),
        "chance": pct(summary.get("chance")),
        "train": pct(train),
    }
    if train is not None:
        held_text = _(
            "loss {loss}, accuracy {accuracy} (on training batches {train}; chance {chance})"
        ).format(**held_fields)
    else:
        held_text = _("loss {loss}, accuracy {accuracy} (chance {chance})").format(**held_fields)
    t.add_row(_("held-out"), held_text)
    if summary.get("scaling_efficiency") is not None:
        t.add_row(
            _("scaling"),
            _("{share} of {world} × {baseline} samples/s (one process)").format(
                share=pct(summary.get("scaling_efficiency")),
                world=summary.get("world_size"),
                baseline=si(summary.get("baseline_samples_per_s")),
            ),
        )
    tele = summary.get("telemetry") or {}
    if tele.get("gpu_util_mean") is not None or tele.get("power_w_mean") is not None:
        throttles = tele.get("throttle_seen") or []
        t.add_row(
            "GPU",
            _("util {util} · {power} · max {temp} · throttle: {reasons}").format(
                util=num(tele.get("gpu_util_mean"), ".0f", " %"),
                power=num(tele.get("power_w_mean"), ".0f", " W"),
                temp=num(tele.get("temp_c_max"), ".0f", " °C"),
                reasons=", ".join(throttles) if throttles else _("none"),
            ),
        )
    wall = summary.get("wall_s")
    time_fields = {
        "seconds": num(summary.get("seconds"), ".1f"),
        "steps": summary.get("steps"),
        "warmup": summary.get("warmup_steps"),
        "wall": num(wall, ".1f"),
    }
    if wall is not None:
        time_text = _(
            "{seconds} s of training steps measured ({steps} steps after {warmup} warm-up); "
            "{wall} s from start to summary"
        ).format(**time_fields)
    else:
        time_text = _(
            "{seconds} s of training steps measured ({steps} steps after {warmup} warm-up)"
        ).format(**time_fields)
    t.add_row(_("time"), time_text)
    disturbed = disturbance_lines(summary)
    if disturbed:
        t.add_row(
            Text(_("⚠ disturbed"), style="bold yellow"),
            Text("\n".join(disturbed), style="yellow"),
        )
    return t
