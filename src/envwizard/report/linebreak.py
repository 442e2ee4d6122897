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


Unit = tuple[int, str, list[tuple[int, str]]]
"""A piece the line may break before: its start, its text, and the pieces it was glued from."""


def units(text: str) -> list[Unit]:
    """The pieces a line may break between: a CJK character, or a run of anything else (an
    English word, a number, a path), each with the spaces after it; punctuation that must not
    start or end a line is joined to its neighbour."""
    found = [(m.start(), m.group(0)) for m in _UNIT.finditer(text)]
    if not found:
        return []
    if found[0][0]:  # leading spaces belong to the first unit, as in Rich
        found[0] = (0, text[: found[0][0]] + found[0][1])
    out: list[Unit] = []
    glue_next = False
    for start, piece in found:
        core = piece.strip()
        if out and (glue_next or core[:1] in NO_START) and not out[-1][1][-1:].isspace():
            prev_start, prev, parts = out[-1]
            out[-1] = (prev_start, prev + piece, [*parts, (start, piece)])
        else:
            out.append((start, piece, [(start, piece)]))
        glue_next = core[-1:] in NO_END and not piece[-1:].isspace()
    return out


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """Where to break `text` to fit `width` cells: Rich's contract, with CJK break rules.

    A glued unit wider than the line is taken apart again (a path after "（" keeps whole rather
    than the rule); only a single piece wider than the line is folded, as Rich folds a word."""
    if not HAS_CJK.search(text):
        return _rich_divide_line(text, width, fold)
    breaks: list[int] = []
    offset = 0
    pieces: list[tuple[int, str]] = []
    for start, unit, parts in units(text):
        if cell_len(unit.rstrip()) <= width or len(parts) == 1:
            pieces.append((start, unit))
            continue
        # First let go of the opening punctuation in front; the closing after stays.
        lead = 0
        while lead < len(parts) - 1 and parts[lead][1].strip()[-1:] in NO_END:
            lead += 1
        rest = "".join(p for _, p in parts[lead:])
        if lead and cell_len(rest.rstrip()) <= width:
            pieces += [*parts[:lead], (parts[lead][0], rest)]
        else:
            pieces += parts
    for start, unit in pieces:
        length = cell_len(unit.rstrip())
        if width - offset >= length:
            offset += cell_len(unit)
        elif length > width:
            if fold:
                chopped = chop_cells(unit, width)
                for i, piece in enumerate(chopped):
                    if start:
                        breaks.append(start)
                    start += len(piece)
                    offset = cell_len(piece) if i == len(chopped) - 1 else 0
            else:
                if start:
                    breaks.append(start)
                offset = cell_len(unit)
        elif offset and start:
            breaks.append(start)
            offset = cell_len(unit)
    return _no_orphan(text, breaks, pieces)


def _no_orphan(text: str, breaks: list[int], pieces: list[tuple[int, str]]) -> list[int]:
    """A paragraph does not end on one lone character ("会出" / "错"): the last break moves back
    one piece when the line before keeps at least two."""
    if not breaks:
        return breaks
    last = breaks[-1]
    tail = [p for p in pieces if p[0] >= last]
    before = [p for p in pieces if (breaks[-2] if len(breaks) > 1 else 0) <= p[0] < last]
    lone = len(tail) == 1 and HAS_CJK.match(tail[0][1].strip()[:1] or " ")
    if lone and len(before) > 2 and not text[before[-1][0] : last].isspace():
        return [*breaks[:-1], before[-1][0]]
    return breaks


def install(*modules: ModuleType) -> None:
    """Make Rich (and the given modules that imported Rich's `divide_line`, such as
    `textual.content`) wrap with `divide_line`. Idempotent."""
    import rich.text

    for module in (rich.text, *modules):
        vars(module)["divide_line"] = divide_line


def console(**kwargs: Any) -> Console:
    """A Rich console whose wrapped text breaks Chinese lines as Chinese breaks."""
    install()
    return Console(**kwargs)
