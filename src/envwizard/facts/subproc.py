"""Running a probe's helper program: argv only, a timeout always, and one readable failure.

A probe that cannot run its tool must turn into "unknown (why)", so every failure here is a
ProbeError whose message is the why ("nvidia-smi timed out after 3 s").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess


class ProbeError(Exception):
    """A fact could not be read; `str(self)` says why, in a few words."""


def run(
    argv: Sequence[str],
    timeout: float,
    *,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` with a timeout; stdin is closed so a tool that asks a question cannot hang."""
    import subprocess  # here: a warm probe starts no program and need not import it

    name = os.path.basename(argv[0])
    try:
        proc = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise ProbeError(f"{name} timed out after {timeout:g} s") from None
    except OSError as e:
        raise ProbeError(f"{name} could not be started ({e.strerror or e})") from None
    if check and proc.returncode != 0:
        raise failure(proc)
    return proc


def failure(proc: subprocess.CompletedProcess[str]) -> ProbeError:
    """The ProbeError for a tool that exited non-zero, in its own words."""
    name = os.path.basename(str(proc.args[0]))
    detail = first_line(proc.stderr) or first_line(proc.stdout)
    return ProbeError(f"{name} exited with {proc.returncode}" + (f": {detail}" if detail else ""))


def first_line(text: str) -> str:
    """The first non-blank line, trimmed: enough to say what went wrong."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def read_text(path: str, limit: int = 1 << 20) -> str | None:
    """A small text file, or None when it is absent or unreadable (sysfs files vanish)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(limit)
    except OSError:
        return None
