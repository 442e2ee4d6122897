"""Download progress from installer output, so a 2.5 GB torch wheel shows a real bar.

pip >= 24.1 with `--progress-bar raw` prints `Progress <done> of <total>` after a
`Downloading <file> (<size>)` line; uv without a terminal prints only `Downloading <name>
(<size>)` and ` Downloaded <name>` (pip's and uv's own progress output). Both become Progress values;
pip's raw lines are consumed here and kept out of the visible output (they stay in the log).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PIP_RAW = re.compile(r"^Progress (\d+) of (\d+)$")
_PIP_DL = re.compile(r"^\s*Downloading (\S+) \(([\d.]+ [kKMG]?i?B)\)")
_UV_DL = re.compile(r"^\s*Downloading (\S+) \(([\d.]+[KMG]i?B)\)")
_UV_DONE = re.compile(r"^\s*Downloaded (\S+)")
_UNITS = {
    "B": 1,
    "kB": 1e3,
    "KB": 1e3,
    "MB": 1e6,
    "GB": 1e9,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
}


@dataclass
class Progress:
    """What is being downloaded, and how far along (None when the tool does not say)."""

    label: str
    done: int | None = None
    total: int | None = None
    finished: bool = False

    @property
    def fraction(self) -> float | None:
        if self.finished:
            return 1.0
        if self.done is None or not self.total:
            return None
        return min(1.0, self.done / self.total)


def parse_size(text: str) -> int | None:
    m = re.match(r"([\d.]+)\s*([kKMG]?i?B)", text)
    if not m:
        return None
    return int(float(m.group(1)) * _UNITS.get(m.group(2), 1))


class ProgressParser:
    """Feed output lines; get back the lines to show and the latest progress."""

    def __init__(self, kind: str | None) -> None:
        self.kind = kind
        self.current: Progress | None = None

    def feed(self, lines: list[str]) -> tuple[list[str], Progress | None]:
        if self.kind is None:
            return lines, None
        shown = []
        changed = False
        for line in lines:
            if self.kind == "pip-raw":
                m = _PIP_RAW.match(line)
                if m:
                    done, total = int(m.group(1)), int(m.group(2))
                    label = self.current.label if self.current else "download"
                    self.current = Progress(
                        label, done, total or None, finished=bool(total) and done >= total
                    )
                    changed = True
                    continue
                m = _PIP_DL.match(line)
                if m:
                    self.current = Progress(m.group(1), 0, parse_size(m.group(2)))
                    changed = True
            elif self.kind == "uv":
                m = _UV_DL.match(line)
                if m:
                    self.current = Progress(m.group(1), None, parse_size(m.group(2)))
                    changed = True
                m = _UV_DONE.match(line)
                if m:
                    self.current = Progress(m.group(1), None, None, finished=True)
                    changed = True
            shown.append(line)
        return shown, self.current if changed else None
