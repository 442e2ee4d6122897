"""Small version helpers shared by the probe, the knowledge queries and the planner."""

from __future__ import annotations

import re

from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import Version

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


_ORDER = {"===": 0, "==": 0, "~=": 1, ">=": 2, ">": 2, "<=": 3, "<": 3, "!=": 4}


def spec_text(spec: SpecifierSet) -> str:
    """A specifier as people write it: lower bound first (">=0.29.1,<0.30"), and of several
    bounds on one side only the tightest ("<2,<2.1" is "<2")."""
    tightest: dict[str, Specifier] = {}
    rest: list[Specifier] = []
    for s in spec:
        side = {">=": "lo", ">": "lo", "<=": "hi", "<": "hi"}.get(s.operator)
        if side is None or "*" in s.version:
            rest.append(s)
            continue
        old = tightest.get(side)
        v, o = Version(s.version), Version(old.version) if old else None
        if o is None or (v > o if side == "lo" else v < o) or (v == o and len(s.operator) == 1):
            tightest[side] = s
    kept = [*rest, *tightest.values()]
    return ",".join(str(s) for s in sorted(kept, key=lambda s: (_ORDER[s.operator], str(s))))
