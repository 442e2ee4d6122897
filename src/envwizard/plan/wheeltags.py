"""The machine a set of wheels is for, and whether a wheel's tags fit it.

A bundle is made for one target (platform, Python, glibc) and checked against the machine it
is installed on; an export says which machine its lock is for. Both read a wheel's tags here,
the way pip reads them: the interpreter and ABI (cp312, abi3, py3-none) and the platform
(manylinux_2_28_aarch64 needs glibc 2.28 or newer; linux_x86_64 was built on such a machine).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from envwizard.core.i18n import _
from envwizard.core.versions import major_minor, platform_key, vkey
from envwizard.facts.model import Facts


@dataclass(frozen=True)
class Target:
    """The machine a bundle's files are for: what decides which wheels install there."""

    system: str
    machine: str
    python: str
    """major.minor"""
    glibc: str | None = None
    libc: str | None = None
    macos: str | None = None

    @classmethod
    def of(cls, facts: Facts, python: str) -> Target:
        return cls(
            facts.os.system,
            facts.os.machine,
            major_minor(python),
            facts.os.glibc,
            facts.os.libc,
            facts.os.macos_version,
        )

    @property
    def platform(self) -> str:
        return platform_key(self.system, self.machine)

    @property
    def arch(self) -> str:
        """The CPU as Linux wheel tags and uv's keys name it: x86_64 or aarch64."""
        cpu = self.platform.rsplit("-", 1)[-1]
        return "aarch64" if cpu == "arm64" else cpu

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["platform"] = self.platform
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Target:
        return cls(
            str(d["system"]),
            str(d["machine"]),
            str(d["python"]),
            d.get("glibc"),
            d.get("libc"),
            d.get("macos"),
        )

    def describe(self) -> str:
        """`linux-aarch64, Python 3.12, glibc 2.35`"""
        out = _("{platform}, Python {python}").format(platform=self.platform, python=self.python)
        if self.glibc:
            out += ", glibc " + self.glibc
        return out

    def platform_tags(self) -> list[str]:
        """pip's --platform values for the target: every platform tag its wheels may carry."""
        arch = self.arch
        if self.platform.startswith("linux-"):
            if self.libc == "musl":
                return [f"musllinux_1_{m}_{arch}" for m in range(2, 0, -1)]
            minor = int(self.glibc.split(".")[1]) if self.glibc else 17
            tags = [f"manylinux_2_{m}_{arch}" for m in range(minor, 16, -1)]
            return [*tags, f"manylinux2014_{arch}", f"linux_{arch}"]
        if self.platform.startswith("macos-"):
            mac_arch = "arm64" if arch == "aarch64" else "x86_64"
            major = int((self.macos or "11").split(".")[0])
            return [f"macosx_{m}_0_{mac_arch}" for m in range(max(major, 11), 10, -1)]
        return ["win_arm64" if arch == "aarch64" else "win_amd64"]

    def wheel_problem(self, filename: str) -> str | None:
        """Why a wheel would not install on this target (None: it would)."""
        try:
            _name, _version, _build, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            return _("{file} is not a wheel").format(file=filename)
        platforms = {t.platform for t in tags}
        if "any" not in platforms and not any(self._platform_fits(p) for p in platforms):
            need = self.glibc_needed(filename)
            if need and self.glibc and self._platform_fits_arch(platforms):
                return _("{file} needs glibc {need}, and the target has glibc {have}").format(
                    file=filename, need=need, have=self.glibc
                )
            return _("{file} is for another platform than {platform}").format(
                file=filename, platform=self.platform
            )
        if not any(self._python_fits(t) for t in tags):
            return _("{file} is for another Python than {python}").format(
                file=filename, python=self.python
            )
        return None

    def _python_fits(self, tag: Tag) -> bool:
        major, minor = (int(p) for p in self.python.split(".")[:2])
        interp, abi = tag.interpreter, tag.abi
        if interp in (f"py{major}", f"py{major}{minor}"):
            return abi == "none"
        if interp == f"cp{major}{minor}":
            return abi in ("none", "abi3", f"cp{major}{minor}")
        if interp.startswith(f"cp{major}") and abi == "abi3":
            return vkey(f"{major}.{interp[3:]}") <= (major, minor)
        return False

    def _platform_fits_arch(self, platforms: set[str]) -> bool:
        return any(p.endswith("_" + self.arch) for p in platforms)

    def _platform_fits(self, plat: str) -> bool:
        arch = self.arch
        if self.platform.startswith("linux-"):
            if not plat.endswith("_" + arch):
                return False
            if self.libc == "musl":
                return plat.startswith("musllinux_")
            if plat.startswith("linux_"):
                return True
            need = _manylinux_glibc(plat)
            if need is None:
                return False
            return self.glibc is None or vkey(self.glibc) >= need
        if self.platform.startswith("macos-"):
            mac_arch = "arm64" if arch == "aarch64" else "x86_64"
            if not plat.startswith("macosx_") or not plat.endswith(
                (mac_arch, "universal2", "universal")
            ):
                return False
            major = int(plat.split("_")[1])
            have = int((self.macos or "99").split(".")[0])
            return major <= have
        if self.platform.startswith("windows-"):
            return plat == ("win_arm64" if arch == "aarch64" else "win_amd64")
        return False

    def glibc_needed(self, filename: str) -> str | None:
        """The lowest glibc among a Linux wheel's manylinux tags, as text (None: not manylinux)."""
        try:
            tags = parse_wheel_filename(filename)[3]
        except InvalidWheelFilename:
            return None
        needs = [n for n in (_manylinux_glibc(t.platform) for t in tags) if n is not None]
        return ".".join(map(str, min(needs))) if needs else None


def _manylinux_glibc(plat: str) -> tuple[int, ...] | None:
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    for prefix, need in legacy.items():
        if plat.startswith(prefix + "_"):
            return need
    if plat.startswith("manylinux_"):
        parts = plat.split("_")
        try:
            return (int(parts[1]), int(parts[2]))
        except (IndexError, ValueError):
            return None
    return None
