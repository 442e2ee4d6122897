"""Small version helpers shared by the probe, the knowledge queries and the planner."""

from __future__ import annotations

import re

_NUM = re.compile(r"\d+")


def vkey(version: str) -> tuple[int, ...]:
    """Numeric sort key for dotted versions: "580.65.06" -> (580, 65, 6); "3.13.0rc1" -> (3, 13, 0).

    Driver versions, compute capabilities, glibc and Python versions are all compared this way;
    PEP 440 is only needed where users write specifiers.
    """
    parts = []
    for piece in version.split("."):
        m = _NUM.match(piece)
        if not m:
            break
        parts.append(int(m.group()))
    return tuple(parts)


def major_minor(version: str) -> str:
    """ "3.11.7" -> "3.11"."""
    return ".".join(str(p) for p in vkey(version)[:2])


def platform_key(system: str, machine: str) -> str:
    """The knowledge file's platform name for an OS and CPU, e.g. ("Windows", "AMD64") -> windows-x86_64."""
    os_name = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}.get(
        system, system.lower()
    )
    m = machine.lower()
    if m in ("x86_64", "amd64", "x64", "i86pc"):
        cpu = "x86_64"
    elif m in ("aarch64", "arm64", "armv8l", "aarch64_be"):
        cpu = "aarch64" if os_name == "linux" else "arm64"
    else:
        cpu = m
    return f"{os_name}-{cpu}"
