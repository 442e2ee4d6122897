"""Why a step failed, read from the end of its output: the cause in the installer's own words,
and whether running the step again can help.

A retry helps when the failure came from the moment (the network, a busy mirror, a full disk
once space is freed); it cannot help when the request itself has no answer (a version that
does not exist on the sources the run uses, packages that require each other's other
versions, a source package that needs a compiler). Front ends offer Retry only for the first
kind and say what would help for the second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from envwizard.core.i18n import N_, _


class FailureKind(str, Enum):
    RESOLUTION = "resolution"
    """No set of versions satisfies the request on the sources this run uses."""
    NETWORK = "network"
    """A download or an index did not answer, or answered with an error."""
    DISK_FULL = "disk-full"
    BUILD = "build"
    """A package had to be built from source, and the build failed."""
    OTHER = "other"


RETRYABLE = {FailureKind.NETWORK, FailureKind.DISK_FULL, FailureKind.OTHER}

ADVICE = {
    FailureKind.RESOLUTION: N_(
        "Retrying cannot help: the versions asked for do not exist on the sources this run "
        "uses, or cannot be installed together. Go back and loosen the torch version or the "
        "extra packages, or choose another build or source."
    ),
    FailureKind.NETWORK: N_(
        "A download or an index did not answer. Retry when the network is back, or go back and "
        "choose a mirror."
    ),
    FailureKind.DISK_FULL: N_("The disk is full. Free some space, then Retry."),
    FailureKind.BUILD: N_(
        "Retrying cannot help: a package had to be built from source and the build failed. Go "
        "back and choose a version that has a wheel for this Python and platform."
    ),
    FailureKind.OTHER: N_("Retry runs the step again; the log has the whole output."),
}

# Checked in this order against the output's last lines, newest first: the first match wins.
_PATTERNS: tuple[tuple[FailureKind, re.Pattern[str]], ...] = (
    (FailureKind.DISK_FULL, re.compile(r"No space left on device|\[Errno 28\]|ENOSPC")),
    (
        FailureKind.RESOLUTION,
        re.compile(
            r"No solution found when resolving|ResolutionImpossible|No matching distribution"
            r"|Could not find a version that satisfies|conflicting dependencies"
            r"|requirements are unsatisfiable|LibMambaUnsatisfiableError|PackagesNotFoundError"
        ),
    ),
    (
        FailureKind.BUILD,
        re.compile(r"Failed to build|Failed building wheel|subprocess-exited-with-error"),
    ),
    (
        FailureKind.NETWORK,
        re.compile(
            r"Read timed out|timed out|Connection (?:reset|refused|aborted|broken)"
            r"|Temporary failure in name resolution|Name or service not known|Network is unreachable"
            r"|HTTP status code: 5\d\d|HTTP error 5\d\d|503 Service|502 Bad Gateway|ProtocolError"
            r"|IncompleteRead|Failed to download|ConnectTimeout|SSLError|certificate verify failed",
            re.IGNORECASE,
        ),
    ),
)
_CAUSE = re.compile(r"^\s*(?:[│|]\s*)?(?:cause:|caused by:|╰─▶|ERROR:|error:)\s*(.+)$", re.I)


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    cause: str
    """The installer's own sentence for it (whole, never cut), or "" when none stands out."""

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    def advice(self) -> str:
        return _(ADVICE[self.kind])


def classify(tail: list[str]) -> Failure:
    """The failure a step's last lines of output show."""
    kind = FailureKind.OTHER
    for candidate, pattern in _PATTERNS:
        if any(pattern.search(line) for line in tail):
            kind = candidate
            break
    return Failure(kind, cause(tail))


def cause(tail: list[str]) -> str:
    """The most specific error line, whole: uv's `cause:` before its `error:` headline; pip's
    conflict with the requirements it names; else the last `ERROR:`, else the last line."""
    marked: list[tuple[str, str]] = [
        (line, _continued(str(m.group(1)).strip(), m.start(1), tail[at + 1 :]))
        for at, line in enumerate(tail)
        if (m := _CAUSE.match(line)) and not m.group(1).startswith("ResolutionImpossible")
    ]
    for line, text in reversed(marked):
        if re.match(r"^\s*(?:cause:|caused by:|╰─▶)", line, re.I):
            return text
    if marked:
        text = marked[-1][1]
        conflict = [
            line.strip()
            for line in tail
            if re.match(r"^\s+(The user requested|\S+ \S+ depends on)", line)
        ]
        return f"{text.rstrip('.')}: {'; '.join(conflict)}" if conflict else text
    rest = [line.strip() for line in tail if line.strip()]
    return rest[-1] if rest else ""


def _continued(text: str, column: int, after: list[str]) -> str:
    """`text` with the lines that carry it on: uv wraps its messages to the terminal's width,
    indenting the rest of a sentence under its first word."""
    parts = [text]
    for line in after:
        body = line.lstrip()
        if not body or len(line) - len(body) < column or _CAUSE.match(line):
            break
        parts.append(body.strip())
    return " ".join(parts)
