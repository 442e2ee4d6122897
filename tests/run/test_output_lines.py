"""Installer output is handled in time and memory linear in its size, however long a line is."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from envwizard.run.proc import MAX_LINE, Child, LineSplitter

MB = 1024 * 1024


def test_an_endless_line_keeps_only_its_start_while_it_grows() -> None:
    lines = LineSplitter(limit=100)
    chunk = b"y" * 65536
    for _ in range(320):  # 20 MiB without a newline
        assert lines.feed(chunk) == []
        assert lines.retained <= 100
    [line] = lines.close()
    assert (
        line == "y" * 100 + f" … [{20 * MB - 100} more characters; the log file has the whole line]"
    )


def test_line_ends_and_characters_split_between_reads() -> None:
    lines = LineSplitter()
    text = "a\r\nb\rc\n€ d\n".encode()
    out = [line for i in range(len(text)) for line in lines.feed(text[i : i + 1])]
    assert out + lines.close() == ["a", "b", "c", "€ d"]


def test_a_20_mb_line_from_a_real_child_reaches_the_log_whole_and_the_screen_cut(
    tmp_path: Path,
) -> None:
    log = tmp_path / "child.log"
    code = "import sys; sys.stdout.write('z' * (20 * 1024 * 1024)); sys.stdout.flush()"

    async def go() -> list[list[str]]:
        async with Child([sys.executable, "-c", code], log_path=log) as child:
            got = [batch async for batch in child.batches()]
            assert await child.wait() == 0
            return got

    batches = asyncio.run(go())
    [[line]] = batches
    assert line.startswith("z" * MAX_LINE + " … [")
    assert len(line) < MAX_LINE + 100
    assert log.read_bytes().endswith(b"\n" + b"z" * (20 * MB))
