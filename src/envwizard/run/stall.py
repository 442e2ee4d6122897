"""When an installer has stalled: no output and no bytes downloaded for a set time.

A hanging index does not make pip or uv fail quickly: pip retries every page for many minutes,
printing only "Retrying" warnings, and uv prints nothing while it waits. So retries do not count
as progress, and for tools that show no byte counts (uv without a terminal) the bytes the
child's process tree has read (Linux and Windows report them) stand in for download progress.
"""

from __future__ import annotations

import re
import time

import psutil

from envwizard.core.i18n import _

RETRY = re.compile(r"Retrying \(|retrying|Connection (?:broken|reset)|timed out", re.IGNORECASE)
"""Lines that report a retry or a timeout: a stalled index, not progress."""
MIN_BYTES = 256 * 1024
"""Fewer bytes than this read in a whole stall window is no download at all."""


class StallWatch:
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.last = time.monotonic()
        self.bytes_at_last: int | None = None

    def saw(self, lines: list[str], progress: bool = False) -> None:
        """Output arrived: it counts as activity unless it is only retries and timeouts."""
        if progress or any(line.strip() and not RETRY.search(line) for line in lines):
            self.last = time.monotonic()
            self.bytes_at_last = None

    def stalled(self, pid: int) -> bool:
        """True once the limit has passed with no activity and no bytes read by the tree."""
        now = time.monotonic()
        read = _tree_bytes(pid)
        if self.bytes_at_last is None:
            self.bytes_at_last = read
        elif read is not None and read - self.bytes_at_last >= MIN_BYTES:
            self.last, self.bytes_at_last = now, read
        return now - self.last >= self.limit


def _tree_bytes(pid: int) -> int | None:
    """Bytes read by a process and its children (files and sockets), or None where unknown."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0
    for p in procs:
        try:
            io = p.io_counters()
        except (psutil.Error, AttributeError, NotImplementedError):
            continue
        total += getattr(io, "read_chars", 0) or io.read_bytes
    return total


def stalled_message(what: str, limit: float) -> str:
    """Why a stalled installer was stopped, and what to check."""
    return _(
        "{id} stalled: no output and no bytes downloaded for {limit:g} s, so envwizard stopped it. The index may be hanging or unreachable; check the index URL and the network, or raise stall_seconds (or --stall-seconds) for a slow link"
    ).format(id=what, limit=limit)
