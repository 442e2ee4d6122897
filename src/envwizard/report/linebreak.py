"""Line breaking for Chinese text in Rich and Textual.

Rich and Textual wrap a line only at spaces (`rich._wrap.divide_line`), so a Chinese sentence,
which has none, breaks wherever a space happens to be, or is folded mid-word. Chinese may break
between any two CJK characters, but not before closing punctuation (，。）) nor after opening
punctuation (（“), and an English word or a path inside it stays whole. `divide_line` here does
that; `install` puts it where Rich's `Text.wrap` and Textual's `Content.wrap` look it up. Lines
without CJK characters take Rich's own function, so English wraps exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from rich import _wrap
from rich.cells import cell_len, chop_cells
from rich.console import Console

_CJK = (
    "\u1100-\u11ff\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3200-\u33ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f"
    "\uff00-\uffef\U00020000-\U0003ffff"
)
_PUNCT = "\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"
"""— ‘ ’ “ ” … · : written in Chinese text, each its own unit there like a CJK character."""
HAS_CJK = re.compile(f"[{_CJK}]")
_UNIT = re.compile(f"(?:[{_CJK}{_PUNCT}]|[^\\s{_CJK}{_PUNCT}]+)\\s*")
NO_START = set("，。、；：？！）》」』】〕〉〗〙〛”’％‰…—·～,.;:!?)]}%")
"""Characters that never begin a line (they stay with the character before them)."""
NO_END = set("（《「『【〔〈〖〘〚“‘([{")
"""Characters that never end a line (they go with the character after them)."""

_rich_divide_line: Callable[[str, int, bool], list[int]] = _wrap.divide_line


def units(text: str) -> list[tuple[int, str]]:
    """The pieces a line may break between: a CJK character, or a run of anything else (an
    English word, a number, a path), each with the spaces after it; punctuation that must not
    start or end a line is joined to its neighbour."""
    found = [(m.start(), m.group(0)) for m in _UNIT.finditer(text)]
    if not found:
        return []
    if found[0][0]:  # leading spaces belong to the first unit, as in Rich
        found[0] = (0, text[: found[0][0]] + found[0][1])
    out: list[tuple[int, str]] = []
    glue_next = False
    for start, unit in found:
        core = unit.strip()
        if out and (glue_next or core[:1] in NO_START) and not out[-1][1][-1:].isspace():
            prev_start, prev = out[-1]
            out[-1] = (prev_start, prev + unit)
        else:
            out.append((start, unit))
        glue_next = core[-1:] in NO_END and not unit[-1:].isspace()
    return out


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """Where to break `text` to fit `width` cells: Rich's contract, with CJK break rules."""
    if not HAS_CJK.search(text):
        return _rich_divide_line(text, width, fold)
    breaks: list[int] = []
    offset = 0
    for start, unit in units(text):
        length = cell_len(unit.rstrip())
        if width - offset >= length:
            offset += cell_len(unit)
        elif length > width:
            if fold:
                pieces = chop_cells(unit, width)
                for i, piece in enumerate(pieces):
                    if start:
                        breaks.append(start)
                    start += len(piece)
                    offset = cell_len(piece) if i == len(pieces) - 1 else 0
            else:
                if start:
                    breaks.append(start)
                offset = cell_len(unit)
        elif offset and start:
            breaks.append(start)
            offset = cell_len(unit)
    return breaks


def install(*modules: ModuleType) -> None:
    """Make Rich (and the given modules that imported Rich's `divide_line`, such as
    `textual.content`) wrap with `divide_line`. Idempotent."""
    import rich.text

    for module in (rich.text, *modules):
        module.divide_line = divide_line  # type: ignore[attr-defined]


def console(**kwargs: Any) -> Console:
    """A Rich console whose wrapped text breaks Chinese lines as Chinese breaks."""
    install()
    return Console(**kwargs)
