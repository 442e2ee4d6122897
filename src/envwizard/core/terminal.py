"""What to do with a terminal that has gone away (SIGHUP: its window was closed)."""

from __future__ import annotations

import contextlib
import os
import stat


def detach_terminal() -> None:
    """Point stdout and stderr at the null device where they are a terminal: writes to a hung-up
    terminal fail (EIO). Where they go to a file or a pipe (a log), they stay: the last line
    still reaches it."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                if stat.S_ISCHR(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
        os.close(null)
