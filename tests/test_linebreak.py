"""Chinese line breaking in Rich and Textual (report/linebreak.py): between any two CJK
characters, never before closing punctuation or after opening punctuation, never inside an
English word or a path; English lines wrap exactly as Rich wraps them."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich import _wrap
from rich.cells import cell_len
from rich.console import Console

from envwizard.report.linebreak import NO_END, NO_START, divide_line, install

WARNING = "环境路径含有空格（/home/ada/my envs/dl）；某些构建工具在这种路径下会出错"


def lines(text: str, width: int) -> list[str]:
    cuts = divide_line(text, width)
    return [text[a:b].rstrip() for a, b in zip([0, *cuts], [*cuts, len(text)])]


def test_chinese_breaks_between_characters_not_only_at_spaces() -> None:
    out = lines(
        "已预选内核与您的 GPU 和驱动相匹配的构建版本；其余各项都注明了能否在这里运行及原因。", 24
    )
    assert all(len(line) <= 24 for line in out)
    assert out[0] == "已预选内核与您的 GPU 和"  # filled to the width, not cut at a space


@pytest.mark.parametrize("width", range(4, 40))
def test_nothing_is_lost_at_any_width(width: int) -> None:
    out = lines(WARNING, width)
    assert "".join(out).replace(" ", "") == WARNING.replace(" ", "")
    assert all(cell_len(line) <= width for line in out)


@pytest.mark.parametrize("width", range(14, 40))
def test_rules_hold_where_every_word_fits(width: int) -> None:
    out = lines(WARNING, width)
    for line, after in zip(out, [*out[1:], ""]):
        assert line[:1] not in NO_START, line
        if line.rstrip()[-1:] in NO_END:  # only where the path after it could not fit beside it
            assert cell_len(line.rstrip()[-1] + after.split()[0]) > width, (line, after)
    words = [w for w in WARNING.replace("（", " ").replace("）", " ").split() if w.isascii()]
    joined = lines(WARNING, width)
    for w in words:  # an English word is never split (it fits the width here)
        if len(w) <= width:
            assert any(w in line for line in joined), (w, joined)


def test_rich_prints_chinese_wrapped_once_installed() -> None:
    console = Console(width=30, file=io.StringIO(), record=True)
    install()
    console.print(WARNING)
    shown = console.export_text().splitlines()
    assert shown[0] == "环境路径含有空格（/home/ada/my"
    assert not any(line.startswith(("，", "；", "）")) for line in shown)


@given(
    st.text(alphabet=st.sampled_from("abc de/f.g "), min_size=1, max_size=60), st.integers(4, 30)
)
def test_english_wraps_exactly_as_rich_wraps_it(text: str, width: int) -> None:
    assert divide_line(text, width) == _wrap.divide_line(text, width)


def test_a_path_longer_than_the_width_is_folded_not_lost() -> None:
    path = "/home/ada/.local/state/envwizard/log/runs/20261129-101500-torch/02-install.log"
    text = f"日志：{path}"
    out = lines(text, 30)
    assert "".join(out) == text and all(len(line) <= 30 for line in out)


@pytest.mark.parametrize("width", range(6, 30))
def test_no_lone_character_on_the_last_line(width: int) -> None:
    """The issue's "会出" / "错": a paragraph never ends on one character."""
    out = lines("某些工具在这种路径下会出错。", width)
    assert len(out) == 1 or cell_len(out[-1].rstrip("。")) > 2, out
