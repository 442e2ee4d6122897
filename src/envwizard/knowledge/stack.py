"""What goes beside torch, loaded from `stack.toml`: stacks, companions, libraries, extensions,
frameworks and the Jupyter kernel's rules.

Only parsing and lookups live here; the decision for one machine is envwizard.decide.stack.
Every row keeps its `ref` and `as_of`, so each decision can say where its fact came from.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on the 3.9/3.10 wizard only
    import tomli as tomllib

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from envwizard.core.versions import vkey


@dataclass(frozen=True)
class Lines:
    """A range of release lines, inclusive: "2.9-2.10", or "2.14-" for every later one."""

    lo: str
    hi: str | None

    @classmethod
    def parse(cls, text: str) -> Lines:
        lo, _, hi = text.partition("-")
        return cls(lo, hi or None)

    def admits(self, version: str) -> bool:
        v = vkey(version)[: len(vkey(self.lo))]
        if v < vkey(self.lo):
            return False
        return self.hi is None or vkey(version)[: len(vkey(self.hi))] <= vkey(self.hi)

    def __str__(self) -> str:
        return f"{self.lo}–{self.hi}" if self.hi else f"{self.lo}+"


@dataclass(frozen=True)
class Stack:
    name: str
    packages: tuple[str, ...]
    ref: str
    as_of: str


@dataclass(frozen=True)
class Companion:
    """torchvision or torchaudio for a set of torch lines."""

    package: str
    pairing: str
    """exact (one companion line per torch line) or stable-abi (one release for many)."""
    lines: dict[str, str]
    torch: Lines | None
    requirement: str | None
    why: str
    ref: str
    as_of: str

    def admits(self, line: str) -> bool:
        if self.pairing == "exact":
            return line in self.lines
        return self.torch is not None and self.torch.admits(line)

    def specifier(self, line: str) -> SpecifierSet:
        """What this companion's requirement admits beside torch `line` ("2.13")."""
        if self.pairing == "exact":
            return SpecifierSet(f"=={self.lines[line]}.*")
        return Requirement(self.requirement or self.package).specifier

    def own_line(self, line: str) -> str:
        """The companion's release line beside torch `line`: "0.28" for 2.13, "0.29" for 2.14."""
        if self.pairing == "exact":
            return self.lines[line]
        floor = next((s.version for s in self.specifier(line) if s.operator == ">="), "0")
        return ".".join(str(p) for p in vkey(floor)[:2])

    def pairs_with(self, user: SpecifierSet, line: str) -> bool:
        """Whether a person's specifier admits some release this row pairs with torch `line`."""
        ours = self.specifier(line)
        own = self.own_line(line)
        return any(
            user.contains(v, prereleases=True) and ours.contains(v, prereleases=True)
            for v in (f"{own}.{p}" for p in range(30))
        )


@dataclass(frozen=True)
class CompanionGap:
    """A torch build for which no companion is published."""

    variant: str
    platform: str
    torch: Lines
    why: str
    ref: str
    as_of: str


@dataclass(frozen=True)
class LibraryRow:
    versions: str
    python: str
    torch: str | None


@dataclass(frozen=True)
class Library:
    """A pure-Python package with Python and torch floors per release line, newest row first."""

    package: str
    check: str
    rows: tuple[LibraryRow, ...]
    why: str
    ref: str
    as_of: str


@dataclass(frozen=True)
class Sass:
    """The architectures an extension's library for a CUDA range carries kernels for."""

    cuda: Lines
    cc: tuple[str, ...]


@dataclass(frozen=True)
class Extension:
    """One release row of a compiled extension (bitsandbytes, flash-attn, xformers)."""

    package: str
    versions: str
    requirement: str
    torch: Lines | None
    torch_lines: tuple[str, ...]
    python: str | None
    python_window: dict[str, tuple[str, str]]
    platforms: tuple[str, ...]
    kinds: tuple[str, ...]
    rocm_platforms: tuple[str, ...]
    variants: tuple[str, ...]
    default_variant: str | None
    glibc: str | None
    min_cc: str | None
    cuda_libs: tuple[str, ...]
    sass: tuple[Sass, ...]
    rocm_libs: tuple[str, ...]
    xpu_torch: str | None
    jetson: bool
    asset: str | None
    cuda_majors: tuple[str, ...]
    cxx11abi_from: str | None
    instead: str
    check: str
    ref: str
    as_of: str

    def admits_torch(self, line: str) -> bool:
        if self.torch_lines:
            return line in self.torch_lines
        return self.torch is None or self.torch.admits(line)

    @property
    def torch_text(self) -> str:
        if self.torch_lines:
            return f"{self.torch_lines[0]}–{self.torch_lines[-1]}"
        return str(self.torch) if self.torch else ""


@dataclass(frozen=True)
class Triton:
    by_torch: dict[str, str]
    platforms: tuple[str, ...]
    aarch64_torch: str
    rocm_package: str
    xpu_package: str
    check: str
    ref: str
    as_of: str


@dataclass(frozen=True)
class CudaPlugin:
    """JAX's plugin for one CUDA major: the `jax[extra]` that installs it and its floors."""

    extra: str
    major: str
    driver: str
    min_cc: str


@dataclass(frozen=True)
class Jax:
    versions: str
    requirement: str
    python: str
    cpu_platforms: tuple[str, ...]
    gpu_platforms: tuple[str, ...]
    cuda: tuple[CudaPlugin, ...]
    check: str
    ref: str
    as_of: str


@dataclass(frozen=True)
class Tensorflow:
    versions: str
    specifier: str
    python_window: tuple[str, str]
    cpu_package: dict[str, str]
    gpu_platforms: tuple[str, ...]
    gpu_extra: str
    driver: str
    driver_wsl: str
    min_cc: str
    cuda_major: str
    check: str
    ref: str
    as_of: str


class StackKnowledge:
    """The parsed data file; lookups only, nothing about this machine."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.as_of: str = data["as_of"]
        self.size_mib: dict[str, int] = dict(data.get("size_mib", {}))
        """Installed MiB a package adds beside torch (with what it pulls in): estimates."""
        self.stacks = {
            s["name"]: Stack(s["name"], tuple(s["packages"]), s["ref"], s["as_of"])
            for s in data["stack"]
        }
        self.companions = [
            Companion(
                package=c["package"],
                pairing=c["pairing"],
                lines=dict(c.get("lines", {})),
                torch=Lines.parse(c["torch"]) if "torch" in c else None,
                requirement=c.get("requirement"),
                why=c.get("why", ""),
                ref=c["ref"],
                as_of=c["as_of"],
            )
            for c in data["companion"]
        ]
        self.gaps = [
            CompanionGap(
                g["variant"], g["platform"], Lines.parse(g["torch"]), g["why"], g["ref"], g["as_of"]
            )
            for g in data.get("companion_gap", [])
        ]
        self.libraries = {
            lib["package"]: Library(
                package=lib["package"],
                check=lib["check"],
                rows=tuple(
                    LibraryRow(r["versions"], r["python"], r.get("torch")) for r in lib["rows"]
                ),
                why=lib.get("why", ""),
                ref=lib["ref"],
                as_of=lib["as_of"],
            )
            for lib in data["library"]
        }
        self.extensions = [_extension(e) for e in data["extension"]]
        t = data["triton"]
        self.triton = Triton(
            dict(t["by_torch"]),
            tuple(t["platforms"]),
            t["aarch64_torch"],
            t["rocm_package"],
            t["xpu_package"],
            t["check"],
            t["ref"],
            t["as_of"],
        )
        self.jax = [
            Jax(
                versions=f["versions"],
                requirement=f["requirement"],
                python=f["python"],
                cpu_platforms=tuple(f["cpu_platforms"]),
                gpu_platforms=tuple(f["gpu_platforms"]),
                cuda=tuple(
                    CudaPlugin(c["extra"], c["major"], c["driver"], c["min_cc"]) for c in f["cuda"]
                ),
                check=f["check"],
                ref=f["ref"],
                as_of=f["as_of"],
            )
            for f in data["framework"]
            if f["package"] == "jax"
        ]
        self.tensorflow = [
            Tensorflow(
                versions=f["versions"],
                specifier=f["specifier"],
                python_window=(f["python_window"][0], f["python_window"][1]),
                cpu_package=dict(f["cpu_package"]),
                gpu_platforms=tuple(f["gpu_platforms"]),
                gpu_extra=f["gpu_extra"],
                driver=f["driver"],
                driver_wsl=f["driver_wsl"],
                min_cc=f["min_cc"],
                cuda_major=f["cuda_major"],
                check=f["check"],
                ref=f["ref"],
                as_of=f["as_of"],
            )
            for f in data["framework"]
            if f["package"] == "tensorflow"
        ]
        j = data["jupyter"]
        self.kernel_name_pattern: str = j["name_pattern"]
        self.jupyter_ref: str = j["ref"]
        self.jupyter_as_of: str = j["as_of"]

    def stack_names(self) -> tuple[str, ...]:
        return tuple(self.stacks)

    def companion(self, package: str, line: str) -> Companion | None:
        """The row that pairs `package` with torch `line` ("2.13"), or None."""
        return next((c for c in self.companions if c.package == package and c.admits(line)), None)

    def companion_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.package for c in self.companions))

    def gap(self, package: str, variant: str, platform: str, line: str) -> CompanionGap | None:
        del package  # every gap known so far leaves out both companions
        return next(
            (
                g
                for g in self.gaps
                if g.variant == variant and g.platform == platform and g.torch.admits(line)
            ),
            None,
        )

    def extension_rows(self, package: str) -> list[Extension]:
        """The rows of one extension, newest release first (the file's order)."""
        return [e for e in self.extensions if e.package == package]

    def extension_names(self) -> tuple[str, ...]:
        return (*dict.fromkeys(e.package for e in self.extensions), "triton")

    def triton_requirement(self, release: str) -> str | None:
        """What torch's Linux CUDA wheel of `release` ("2.13", or "2.13.0") requires of triton."""
        key = ".".join(str(p) for p in vkey(release)[:2])
        return self.triton.by_torch.get(release) or self.triton.by_torch.get(key)

    def known(self) -> tuple[str, ...]:
        """Every package name this knowledge decides (the rest of `packages:` is installed as is)."""
        return (*self.companion_names(), *self.libraries, *self.extension_names())


def _extension(e: dict[str, Any]) -> Extension:
    return Extension(
        package=e["package"],
        versions=e["versions"],
        requirement=e.get("requirement", ""),
        torch=Lines.parse(e["torch"]) if "torch" in e else None,
        torch_lines=tuple(e.get("torch_lines", ())),
        python=e.get("python"),
        python_window={k: (v[0], v[1]) for k, v in e.get("python_window", {}).items()},
        platforms=tuple(e["platforms"]),
        kinds=tuple(e["kinds"]),
        rocm_platforms=tuple(e.get("rocm_platforms", ())),
        variants=tuple(e.get("variants", ())),
        default_variant=e.get("default_variant"),
        glibc=e.get("glibc"),
        min_cc=e.get("min_cc"),
        cuda_libs=tuple(e.get("cuda_libs", ())),
        sass=tuple(Sass(Lines.parse(s["cuda"]), tuple(s["cc"])) for s in e.get("sass", ())),
        rocm_libs=tuple(e.get("rocm_libs", ())),
        xpu_torch=e.get("xpu_torch"),
        jetson=bool(e.get("jetson", True)),
        asset=e.get("asset"),
        cuda_majors=tuple(e.get("cuda_majors", ())),
        cxx11abi_from=e.get("cxx11abi_from"),
        instead=e.get("instead", ""),
        check=e["check"],
        ref=e["ref"],
        as_of=e["as_of"],
    )


@lru_cache(maxsize=1)
def load_stack() -> StackKnowledge:
    """The stack knowledge shipped with envwizard."""
    text = resources.files("envwizard.knowledge").joinpath("stack.toml").read_text("utf-8")
    return StackKnowledge(tomllib.loads(text))
