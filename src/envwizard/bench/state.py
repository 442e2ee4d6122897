"""The benchmark as the front ends see it: events folded into series and latest values.

Pure and UI-free, so the Rich view, the wizard's plots and tests share one reading of the
event stream. Series are bounded: a long run keeps its most recent points.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from envwizard.core.i18n import N_

SERIES = ("loss", "samples_per_s", "tflops", "mfu")
TELEMETRY_SERIES = ("gpu_util", "power_w", "temp_c", "sm_clock_mhz", "cpu_percent")


@dataclass
class BenchState:
    """Everything shown about one run, updated one event at a time by `feed`."""

    window: int = 240
    start: dict[str, Any] = field(default_factory=dict)
    last_step: dict[str, Any] = field(default_factory=dict)
    telemetry: dict[str, Any] = field(default_factory=dict)
    evals: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    series: dict[str, deque[float]] = field(default_factory=dict)
    elapsed: deque[float] = field(default_factory=deque)
    logs: deque[str] = field(default_factory=lambda: deque(maxlen=20))
    t: float = 0.0
    """The worker's clock at its latest event (seconds since it started)."""
    expected_s: float | None = None
    """The worker's latest estimate of when its summary comes, on the same clock."""
    printed_at: float | None = None
    done_share: float = 0.0

    def __post_init__(self) -> None:
        for name in (*SERIES, *TELEMETRY_SERIES):
            self.series[name] = deque(maxlen=self.window)
        self.elapsed = deque(maxlen=self.window)

    def feed(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if isinstance(event.get("t"), (int, float)):
            self.t = float(event["t"])
        if isinstance(event.get("expected_s"), (int, float)):
            self.expected_s = float(event["expected_s"])
        if kind == "start":
            self.start = event
        elif kind == "step":
            self.last_step = event
            self.elapsed.append(float(event.get("elapsed") or 0.0))
            for name in SERIES:
                self._add(name, event.get(name))
        elif kind == "telemetry":
            self.telemetry = event
            for name in TELEMETRY_SERIES:
                self._add(name, event.get(name))
        elif kind == "eval":
            self.evals[str(event.get("phase"))] = event
        elif kind == "summary":
            self.summary = event
        elif kind == "error":
            self.error = event
        elif kind == "log":
            self.logs.append(str(event.get("line", "")))

    def _add(self, name: str, value: Any) -> None:
        if isinstance(value, (int, float)):
            self.series[name].append(float(value))

    @property
    def phase(self) -> str:
        """starting, warming up, measuring, done or failed: what a progress line says (English;
        the view translates it)."""
        if self.error:
            return N_("failed")
        if self.summary:
            return N_("done")
        if self.last_step:
            return N_("measuring")
        if self.start:
            return N_("warming up")
        return N_("starting")

    @property
    def progress(self) -> float:
        """Share of the whole run done, 0..1: start-up, warm-up, probe, measurement, evaluation."""
        if self.summary:
            return 1.0
        if self.expected_s:  # a bar never goes back when the estimate grows
            self.done_share = max(self.done_share, min(0.99, self.t / self.expected_s))
        return self.done_share

    @property
    def held_out(self) -> dict[str, Any]:
        """The latest held-out evaluation (initial, during or final)."""
        return next(reversed(self.evals.values()), {}) if self.evals else {}

    def line_due(self, now: float, every: float = 5.0) -> bool:
        """True at most once per `every` seconds: a plain log's progress lines stay few."""
        if self.printed_at is not None and now - self.printed_at < every:
            return False
        self.printed_at = now
        return True
