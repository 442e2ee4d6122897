"""PyTorch build knowledge, loaded from `torch_builds.toml` and queried by the planner.

Everything release-specific lives in the data file; this module only parses it and answers
questions such as "which builds of torch 2.13 exist for linux-x86_64?".
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on the 3.9/3.10 wizard only
    import tomli as tomllib

from envwizard.core.i18n import _
from envwizard.core.versions import vkey


@dataclass(frozen=True)
class Release:
    """A torch release line ("2.13") and what holds for all its builds."""

    version: str
    released: str
    python_min: str
    python_max: str
    python_experimental: tuple[str, ...]
    glibc: str
    torchvision: str
    torchaudio: str
    """The torchaudio release line that pairs with this torch release."""
    default: dict[str, str] = field(hash=False, compare=False)
    """The variant a plain install from the default index gets, per platform."""
    ref: str = ""
    torchaudio_ref: str = ""
    """Where a torchaudio pairing other than torch's own version is documented (stable ABI)."""
    """The primary source this row was read from, and when (`as_of`)."""
    as_of: str = ""
    python_platform: dict[str, tuple[str, str]] = field(
        default_factory=dict, hash=False, compare=False
    )
    """Platforms whose Python window differs from the release's (Windows on Arm, …)."""
    macos: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    """The wheels' minimum macOS (deployment target) per macOS platform."""
    pins: tuple[str, ...] = ()
    """Requirements this release needs beside it today (numpy<2 for NumPy-1 builds)."""
    glibc_platform: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    """Linux platforms whose wheels need another glibc than `glibc` (aarch64 moved on its own)."""
    forecast: bool = False
    """A release newer than the table, planned by the newest known release's rules."""

    def window(self, platform: str | None = None) -> tuple[str, str]:
        """The (lowest, highest) Python with stable wheels on `platform`."""
        if platform and platform in self.python_platform:
            return self.python_platform[platform]
        return self.python_min, self.python_max

    def python_ok(self, py: str, platform: str | None = None) -> bool:
        """True when this release publishes wheels for Python `py` (major.minor) on `platform`."""
        lo, hi = self.window(platform)
        return vkey(lo) <= vkey(py) <= vkey(hi)

    def python_experimental_on(self, py: str, platform: str | None = None) -> bool:
        """Experimental wheels exist only where the platform keeps the release's own window."""
        if platform and platform in self.python_platform:
            return False
        return py in self.python_experimental

    def pythons_on(self, platform: str | None = None) -> str:
        lo, hi = self.window(platform)
        return f"{lo}–{hi}"

    @property
    def pythons(self) -> str:
        return f"{self.python_min}–{self.python_max}"


@dataclass(frozen=True)
class Build:
    """One published build: a variant of a release on one platform."""

    source: str
    variant: str
    release: str
    platform: str
    cuda: str | None = None
    sass: tuple[str, ...] = ()
    ptx: str | None = None
    gfx: tuple[str, ...] = ()
    experimental: bool = False
    macos: str | None = None
    ref: str = ""
    as_of: str = ""
    glibc: str | None = None
    """The glibc its Linux wheels need (their manylinux tag); None off Linux."""
    l4t: str | None = None
    """A Jetson build: the L4T major it is built for (its own CUDA stack); None elsewhere."""
    index: str | None = None
    """The index it comes from when that is not PyTorch's own (NVIDIA's Jetson index)."""
    python: tuple[str, str] | None = None
    """Its own Python window, when narrower than its release's (Jetson: the OS's Python)."""

    @property
    def kind(self) -> str:
        """cuda, rocm, xpu, mps or cpu."""
        if self.cuda:
            return "cuda"
        if self.variant.startswith("rocm"):
            return "rocm"
        return self.variant

    @property
    def arch_text(self) -> str:
        """The arch list as people read it: sm_50–sm_90, or the gfx targets."""
        if self.sass:
            first, last = (f"sm_{c.replace('.', '')}" for c in (self.sass[0], self.sass[-1]))
            text = first if first == last else f"{first}–{last}"
            return text + (f" (+PTX {self.ptx})" if self.ptx else "")
        return ", ".join(self.gfx)


@dataclass(frozen=True)
class DriverEol:
    """NVIDIA's last driver branch for a GPU family, and what that means for torch."""

    below: str
    last_branch: str
    family: str
    outlook: str = ""


@dataclass(frozen=True)
class LibraryFloor:
    """A CUDA library the wheels pin, and the lowest compute capability it supports."""

    library: str
    lo: str
    hi: str
    cuda_majors: tuple[int, ...]
    min_cc: str
    ref: str


@dataclass(frozen=True)
class Jetson:
    """An L4T release line: the JetPack it belongs to and the CUDA its driver serves."""

    l4t: str
    jetpack: str
    cuda: str
    sbsa: bool = False
    """On PyTorch's own (SBSA) CUDA stack: its linux-aarch64 CUDA wheels run here."""
    since: str | None = None
    """The first L4T release of the line the Jetson builds are made for (36.4 for JetPack 6)."""
    ref: str = ""


@dataclass(frozen=True)
class Tegra:
    """Jetson's integrated GPUs and the discrete-GPU cubins they do not run (before a CUDA)."""

    exact: tuple[str, ...] = ()
    """Compute capabilities that run only their own cubins in builds for discrete GPUs."""
    same: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    """Renamed targets: 10.1 (CUDA 12) is Thor's 11.0 (CUDA 13)."""
    unified_from: str = "99"
    """The CUDA from which the discrete family's cubins run on `unified` iGPUs too."""
    unified: tuple[str, ...] = ()

    def covers(self, sass: tuple[str, ...], cc: str, cuda: str | None) -> bool | None:
        """Whether an SBSA build's cubins serve a Tegra GPU; None when the rule does not apply."""
        if cc not in self.exact:
            return None
        if cc in self.unified and cuda and vkey(cuda) >= vkey(self.unified_from):
            return None
        return cc in sass or self.same.get(cc, "") in sass


@dataclass(frozen=True)
class Limit:
    platform: str
    source: str
    why: str


class Knowledge:
    """The parsed data file. Queries never touch the machine: the planner stays pure."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.as_of: str = data["as_of"]
        self.index_pattern: str = data["index"]["pytorch"]
        self.cuda_majors = {int(r["major"]): r for r in data["cuda_major"]}
        self.driver_cuda_rows = sorted(
            ((r["driver"], r["cuda"]) for r in data["driver_cuda"]), key=lambda r: vkey(r[0])
        )
        self.driver_eol = sorted(
            (
                DriverEol(r["below"], r["last_branch"], r["family"], r.get("outlook", ""))
                for r in data.get("driver_eol", [])
            ),
            key=lambda r: vkey(r.below),
        )
        self.releases = sorted(
            (
                Release(
                    version=r["version"],
                    released=r["released"],
                    python_min=r["python"][0],
                    python_max=r["python"][1],
                    python_experimental=tuple(r.get("python_experimental", ())),
                    glibc=r["glibc"],
                    torchvision=r["torchvision"],
                    torchaudio=r["torchaudio"],
                    torchaudio_ref=r.get("torchaudio_ref", ""),
                    default=dict(r["default"]),
                    ref=r.get("ref", ""),
                    as_of=r.get("as_of", ""),
                    python_platform={
                        k: (v[0], v[1]) for k, v in r.get("python_platform", {}).items()
                    },
                    macos=dict(r.get("macos", {})),
                    pins=tuple(r.get("pins", ())),
                    glibc_platform=dict(r.get("glibc_platform", {})),
                )
                for r in data["release"]
            ),
            key=lambda r: vkey(r.version),
            reverse=True,
        )
        self._by_version = {r.version: r for r in self.releases}
        self.builds: list[Build] = []
        for row in data["build"]:
            lo, hi = row["releases"].split("-")
            for rel in self.releases:
                if not vkey(lo) <= vkey(rel.version) <= vkey(hi):
                    continue
                for platform in row["platforms"]:
                    self.builds.append(
                        Build(
                            source=row.get("source", "pip"),
                            variant=row["variant"],
                            release=rel.version,
                            platform=platform,
                            cuda=row.get("cuda"),
                            sass=tuple(row.get("sass", ())),
                            ptx=row.get("ptx"),
                            gfx=tuple(row.get("gfx", ())),
                            experimental=bool(row.get("experimental", False)),
                            macos=row.get("macos"),
                            ref=row.get("ref", ""),
                            as_of=row.get("as_of", ""),
                            glibc=_glibc(row, rel, platform),
                            l4t=row.get("l4t"),
                            index=row.get("index"),
                            python=(row["python"][0], row["python"][1])
                            if "python" in row
                            else None,
                        )
                    )
        self.library_floors = [
            LibraryFloor(
                r["library"],
                r["releases"].split("-")[0],
                r["releases"].split("-")[1],
                tuple(r["cuda_majors"]),
                r["min_cc"],
                r["ref"],
            )
            for r in data.get("library_floor", [])
        ]
        xpu = data.get("xpu", {})
        self.xpu_validated: tuple[str, ...] = tuple(xpu.get("validated", ()))
        self.nccl_p2p_ref: str | None = data.get("nccl_p2p", {}).get("ref")
        """NVIDIA's word that NCCL's P2P path can fail on PCIe (the NCCL_P2P_DISABLE hint)."""
        self.jetsons = [
            Jetson(
                r["l4t"],
                r["jetpack"],
                r["cuda"],
                bool(r.get("sbsa", False)),
                r.get("since"),
                r.get("ref", ""),
            )
            for r in data.get("jetson", [])
        ]
        t = data.get("tegra", {})
        self.tegra = Tegra(
            tuple(t.get("exact", ())),
            dict(t.get("same", {})),
            t.get("unified_from", "99"),
            tuple(t.get("unified", ())),
        )
        self.raw = data
        self.limits = [Limit(r["platform"], r["source"], r["why"]) for r in data.get("limit", [])]
        self.size_mib: dict[str, int] = dict(data.get("size_mib", {}))

    def release(self, version: str) -> Release:
        return self._by_version[version]

    def floors(self, release: str, cuda: str) -> list[LibraryFloor]:
        """The library floors that hold for a CUDA build of one release."""
        major = int(cuda.split(".")[0])
        return [
            f
            for f in self.library_floors
            if major in f.cuda_majors and vkey(f.lo) <= vkey(release) <= vkey(f.hi)
        ]

    def with_forecast(self, version: str) -> Knowledge:
        """This knowledge plus a release newer than the table, ruled like the newest known one.

        Its builds are the newest release's builds under the new version, its companions follow
        the usual pairing (torch 2.N with torchvision 0.N+15; torchaudio as the newest release has it
        when that is a stable-ABI build serving later releases); verification after install decides
        whether the forecast held. The shipped knowledge is not changed.
        """
        if version in self._by_version:
            return self
        newest = self.releases[0]
        minor = vkey(version)[1] if len(vkey(version)) > 1 else 0
        rel = replace(
            newest,
            version=version,
            released="",
            forecast=True,
            torchvision=f"0.{minor + 15}",
            # torchaudio on the stable ABI serves later torch releases as it is.
            torchaudio=newest.torchaudio if newest.torchaudio_ref else version,
        )
        kb = copy.copy(self)
        kb.releases = [rel, *self.releases]
        kb._by_version = {**self._by_version, version: rel}
        kb.builds = self.builds + [
            replace(b, release=version) for b in self.builds if b.release == newest.version
        ]
        return kb

    def jetson(self, l4t: str | None) -> Jetson | None:
        """The L4T line a Jetson's release belongs to ("36.4.7" -> the L4T 36 row)."""
        if not l4t:
            return None
        major = l4t.split(".")[0]
        return next((j for j in self.jetsons if j.l4t == major), None)

    def glibc_floor(self, release: str, platform: str, source: str = "pip") -> str | None:
        """The lowest glibc any build of a release installs on (None: no Linux build there)."""
        floors = [b.glibc for b in self.builds_for(release, platform, source) if b.glibc]
        return min(floors, key=vkey) if floors else None

    def builds_for(self, release: str, platform: str, source: str = "pip") -> list[Build]:
        """Builds of one release on one platform, newest toolkit first."""
        rows = [
            b
            for b in self.builds
            if b.release == release and b.platform == platform and b.source == source
        ]
        return sorted(rows, key=_variant_order, reverse=True)

    def variants(self) -> list[str]:
        """Every variant name the data knows, for validation and did-you-mean."""
        return sorted({b.variant for b in self.builds}, key=lambda v: (len(v), v))

    def index_url(self, variant: str) -> str:
        return self.index_pattern.format(variant=variant)

    def min_driver(self, cuda: str, windows: bool) -> str | None:
        row = self.cuda_majors.get(int(cuda.split(".")[0]))
        if row is None:
            return None
        return str(row["windows" if windows else "linux"])

    def driver_cuda(self, driver: str) -> str | None:
        """The newest CUDA version a driver serves, from the driver-branch table."""
        best = None
        for min_driver, cuda in self.driver_cuda_rows:
            if vkey(driver) >= vkey(min_driver):
                best = cuda
        return best

    def last_driver_branch(self, cc: str) -> DriverEol | None:
        """The end of NVIDIA's driver line for this GPU's family, when it has ended."""
        for row in self.driver_eol:
            if vkey(cc) < vkey(row.below):
                return row
        return None

    def platform_limits(self, platform: str, source: str) -> list[str]:
        """Why a platform has no wheel, in the current language (knowledge/words.py)."""
        return [
            _(lim.why) for lim in self.limits if lim.platform == platform and lim.source == source
        ]


def _glibc(row: dict[str, Any], rel: Release, platform: str) -> str | None:
    """A Linux build's glibc floor: its own row's, else its release's on that platform.

    The floor is per release, variant and architecture: torch 2.6 built only its CUDA 12.6
    wheels (and its aarch64 ones) on manylinux_2_28, the rest still on manylinux2014.
    """
    if not platform.startswith("linux-") or row.get("source", "pip") != "pip":
        return None
    return str(row.get("glibc") or rel.glibc_platform.get(platform) or rel.glibc)


_KIND_ORDER = {"cpu": 0, "mps": 1, "xpu": 2, "rocm": 3, "cuda": 4}


def _variant_order(b: Build) -> tuple[int, tuple[int, ...]]:
    if b.cuda:
        return _KIND_ORDER["cuda"], vkey(b.cuda)
    if b.kind == "rocm":
        return _KIND_ORDER["rocm"], vkey(b.variant[4:])
    return _KIND_ORDER.get(b.kind, 0), ()


@lru_cache(maxsize=1)
def load() -> Knowledge:
    """The knowledge shipped with envwizard."""
    text = resources.files("envwizard.knowledge").joinpath("torch_builds.toml").read_text("utf-8")
    return Knowledge(tomllib.loads(text))
