"""A small braille line plot for live benchmark series (loss, samples/s, TFLOP/s).

Points go into a bounded window; the widget redraws at most a few times a second, whatever
the rate at which points arrive, so a fast benchmark never floods the UI.
"""

from __future__ import annotations

import math
from collections import deque

from rich.text import Text
from textual.widget import Widget

from envwizard.bench.view import si

_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
"""Braille dot bits by (row, column) inside one character cell of 2 × 4 dots."""


def braille_lines(
    points: list[tuple[float, float]], width: int, height: int
) -> tuple[list[str], float, float]:
    """Rasterise a polyline into `height` strings of `width` braille cells; returns (rows, ymin, ymax)."""
    grid = [[0] * width for _ in range(height)]
    finite = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
    if not finite or width <= 0 or height <= 0:
        return ["\u2800" * max(width, 0) for _ in range(max(height, 0))], 0.0, 0.0
    xs = [p[0] for p in finite]
    ys = [p[1] for p in finite]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if y1 - y0 < 1e-12:
        y0, y1 = y0 - 0.5, y1 + 0.5
    if x1 - x0 < 1e-12:
        x1 = x0 + 1
    dw, dh = width * 2 - 1, height * 4 - 1

    def dot(px: int, py: int) -> None:
        row, col = py // 4, px // 2
        grid[height - 1 - row][col] |= _DOTS[3 - py % 4][px % 2]

    prev = None
    for x, y in finite:
        px = round((x - x0) / (x1 - x0) * dw)
        py = round((y - y0) / (y1 - y0) * dh)
        if prev is None:
            dot(px, py)
        else:
            steps = max(abs(px - prev[0]), abs(py - prev[1]), 1)
            for i in range(steps + 1):
                dot(
                    round(prev[0] + (px - prev[0]) * i / steps),
                    round(prev[1] + (py - prev[1]) * i / steps),
                )
        prev = (px, py)
    return ["".join(chr(0x2800 + c) for c in row) for row in grid], y0, y1


class LinePlot(Widget):
    """A titled line plot over the last `window` points."""

    DEFAULT_CSS = """
    LinePlot {
        height: 8;
        border: round $primary-background-lighten-2;
        padding: 0 1;
    }
    """

    def __init__(
        self,
        title: str,
        *,
        unit: str = "",
        window: int = 600,
        color: str = "cyan",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.title = title
        self.unit = unit
        self.color = color
        self.points: deque[tuple[float, float]] = deque(maxlen=window)
        self._dirty = False
        self.border_title = title

    def on_mount(self) -> None:
        self.set_interval(1 / 8, self._tick)

    def push(self, x: float, y: float | None) -> None:
        if y is None:
            return
        self.points.append((float(x), float(y)))
        self._dirty = True

    def _tick(self) -> None:
        if self._dirty:
            self._dirty = False
            last = self.points[-1][1] if self.points else None
            self.border_subtitle = f"{si(last)} {self.unit}".strip() if last is not None else ""
            self.refresh()

    def render(self) -> Text:
        label_w = 7
        width = max(1, self.content_size.width - label_w - 1)
        height = max(1, self.content_size.height)
        rows, y0, y1 = braille_lines(list(self.points), width, height)
        text = Text(no_wrap=True, overflow="crop")
        for i, row in enumerate(rows):
            if not self.points:
                label = ""
            elif i == 0:
                label = si(y1)
            elif i == height - 1:
                label = si(y0)
            else:
                label = ""
            text.append(label.rjust(label_w) + "▕", style="dim")
            text.append(row, style=self.color)
            if i < len(rows) - 1:
                text.append("\n")
        return text
