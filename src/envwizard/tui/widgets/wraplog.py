"""A log pane that wraps: an installer's cause is read whole, at any terminal width.

Textual's `Log` never wraps (a long line runs off the pane's right edge), and `RichLog` wraps
but renders line by line (slow for an installer's thousands of lines) and never rewraps on a
resize. This keeps the raw lines, wraps each once for the current width (between words, and
between CJK characters: report/linebreak.py), and rewraps everything only when the width changes.
A continued row is indented by two cells, so a wrapped line still reads as one.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from rich.cells import cell_len
from rich.segment import Segment
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from envwizard.report.linebreak import divide_line

INDENT = "  "
_CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f]")


def wrap(line: str, width: int) -> list[str]:
    """One raw line as rows of at most `width` cells; rows after the first are indented."""
    line = _CONTROL.sub("�", line.expandtabs()).rstrip()
    if width < 8 or cell_len(line) <= width:
        return [line]
    cut = divide_line(line, width, True)[0]
    rest = line[cut:].lstrip()
    cuts = divide_line(rest, width - len(INDENT), True)
    return [line[:cut].rstrip()] + [
        INDENT + rest[a:b].rstrip() for a, b in zip([0, *cuts], [*cuts, len(rest)])
    ]


class WrapLog(ScrollView, can_focus=True):
    """The last `max_lines` lines of a process's output, wrapped to the pane's width."""

    DEFAULT_CSS = """
    WrapLog { background: $surface; color: $text; overflow-x: hidden; overflow-y: auto; }
    WrapLog:focus { background-tint: $foreground 5%; }
    """

    def __init__(self, max_lines: int, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.lines: deque[str] = deque(maxlen=max_lines)
        self._rows: list[str] = []
        self._row_counts: deque[int] = deque()
        self._width = 0
        self.follow = True
        """Keep the newest line in view (until the person scrolls up)."""

    @property
    def text(self) -> str:
        """Everything the pane holds, unwrapped."""
        return "\n".join(self.lines)

    def write_line(self, line: str) -> None:
        self.write_lines([line])

    def write_lines(self, lines: Iterable[str]) -> None:
        new = [part for line in lines for part in (line.splitlines() or [""])]
        if not new:
            return
        dropped = max(0, len(self.lines) + len(new) - (self.lines.maxlen or 0))
        self.lines.extend(new)
        if self._width:
            gone = sum(
                self._row_counts.popleft() for _ in range(min(dropped, len(self._row_counts)))
            )
            del self._rows[:gone]  # one move for the whole batch, not one per line
            for line in new[-(self.lines.maxlen or len(new)) :]:
                rows = wrap(line, self._width)
                self._rows.extend(rows)
                self._row_counts.append(len(rows))
        self._resize_virtual()

    def _rewrap(self) -> None:
        self._rows, self._row_counts = [], deque()
        for line in self.lines:
            rows = wrap(line, self._width)
            self._rows.extend(rows)
            self._row_counts.append(len(rows))

    def _resize_virtual(self) -> None:
        self.virtual_size = Size(self._width, len(self._rows))
        if self.follow:
            self.call_after_refresh(self.scroll_end, animate=False, x_axis=False)
        self.refresh()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new < old:  # scrolled up to read: stop following until back at the end
            self.follow = False
        elif self.is_vertical_scroll_end:
            self.follow = True

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width != self._width and width > 0:
            self._width = width
            self._rewrap()
            self._resize_virtual()

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if row >= len(self._rows):
            return Strip.blank(width, style)
        text = self._rows[row]
        return Strip([Segment(text, style)], cell_len(text)).crop_extend(0, width, style)
