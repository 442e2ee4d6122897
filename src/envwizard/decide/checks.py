"""The checks a torch build must pass on a machine, as pure functions over structured data.

A build runs only if every check holds (README: how envwizard chooses):
  wheel      a wheel exists for the OS, CPU, glibc, macOS and Python;
  driver     the NVIDIA driver is new enough for the build's CUDA major;
  kernels    the build carries kernels for every GPU (SASS, or PTX with a new enough driver);
  libraries  the CUDA libraries the wheel pins (cuDNN) support every GPU;
  platform   limits outside the wheel tags hold (Jetson, WSL and ROCm, MPS's macOS floor).

Each check returns a `Check`: pass or fail, a machine-readable `Code`, and the numbers behind
it. The planner's search and the machine screen's verdicts read only these; the sentences a
person reads are made from them in one place, `envwizard.decide.wording`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from envwizard.core.versions import vkey
from envwizard.decide.machine import Machine, gpu_label, intel_validated
from envwizard.facts.model import GPU
from envwizard.knowledge import Build, Knowledge, Release, Tegra

__all__ = [
    "CHECKS",
    "Check",
    "Code",
    "Finding",
    "Machine",
    "evaluate",
    "gpu_label",
    "intel_validated",
]

CHECKS = ("wheel", "driver", "kernels", "libraries", "platform")


class Code(str, Enum):
    """Why a check passed with a caveat, or failed. Values are stable: reports carry them."""

    OK = "ok"
    # wheel
    PYTHON_WINDOW = "python-window"
    PYTHON_EXPERIMENTAL = "python-experimental"
    NOT_CPYTHON = "not-cpython"
    PYTHON_32BIT = "python-32bit"
    BUILD_PYTHON = "build-python"
    GLIBC_OLD = "glibc-old"
    GLIBC_VARIANT = "glibc-variant"
    GLIBC_UNKNOWN = "glibc-unknown"
    MACOS_OLD = "macos-old"
    # driver
    NO_NVIDIA_GPU = "no-nvidia-gpu"
    DRIVER_UNKNOWN = "driver-unknown"
    DRIVER_L4T = "driver-l4t"
    DRIVER_CUDA = "driver-cuda"
    DRIVER_CUDA_OLD = "driver-cuda-old"
    DRIVER_JETSON = "driver-jetson"
    JETSON_CUDA_OLD = "jetson-cuda-old"
    DRIVER_OLD = "driver-old"
    NO_DRIVER_TABLE = "no-driver-table"
    # kernels
    CC_UNKNOWN = "cc-unknown"
    SASS_BELOW = "sass-below"
    SASS_MISSING = "sass-missing"
    TEGRA_SASS = "tegra-sass"
    PTX_JIT = "ptx-jit"
    PTX_DRIVER_OLD = "ptx-driver-old"
    NO_AMD_GPU = "no-amd-gpu"
    GFX_UNKNOWN = "gfx-unknown"
    GFX_MISSING = "gfx-missing"
    GFX_OVERRIDE = "gfx-override"
    NO_INTEL_GPU = "no-intel-gpu"
    INTEL_NOT_VALIDATED = "intel-not-validated"
    # libraries
    LIBRARY_FLOOR = "library-floor"
    # platform
    JETSON_PIP = "jetson-pip"
    JETSON_L4T_OLD = "jetson-l4t-old"
    MUSL = "musl"
    AMD_IGPU_UNKNOWN = "amd-igpu-unknown"
    ROCM_WSL = "rocm-wsl"
    MPS_MACOS_OLD = "mps-macos-old"


@dataclass(frozen=True)
class Finding:
    """One code with its numbers: a failure, or a caveat on a pass."""

    code: Code
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """Equal for findings that read the same, whatever build they came from."""
        return self.code.value, tuple(
            sorted((k, str(v)) for k, v in self.data.items() if k not in ("variant", "release"))
        )


@dataclass(frozen=True)
class Check:
    """The outcome of one check on one build: `failure` is None when it passes."""

    name: str
    failure: Finding | None = None
    notes: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def codes(self) -> list[Code]:
        return [f.code for f in ([self.failure] if self.failure else []) + list(self.notes)]


def passed(name: str, *notes: Finding) -> Check:
    return Check(name, None, tuple(notes))


def failed(name: str, code: Code, **data: Any) -> Check:
    return Check(name, Finding(code, data))


# ---- wheel ----------------------------------------------------------------------------------
def python_gate(m: Machine, rel: Release) -> Finding | None:
    """Why no wheel of a whole release installs for this Python here, or None."""
    if rel.python_ok(m.py, m.platform) or rel.python_experimental_on(m.py, m.platform):
        return None
    lo, hi = rel.window(m.platform)
    return Finding(
        Code.PYTHON_WINDOW,
        {"release": rel.version, "python": m.py, "lo": lo, "hi": hi, "platform": m.platform},
    )


def glibc_gate(m: Machine, rel: Release, source: str) -> Finding | None:
    """Why no wheel of a whole release installs with this glibc: its lowest build needs more."""
    glibc = m.facts.os.glibc
    if m.facts.os.system != "Linux" or source != "pip" or not glibc:
        return None
    floor = m.kb.glibc_floor(rel.version, m.platform, source)
    if floor and vkey(glibc) < vkey(floor):
        return Finding(Code.GLIBC_OLD, {"release": rel.version, "need": floor, "have": glibc})
    return None


def glibc_build(m: Machine, b: Build) -> Finding | None:
    """Why one build's wheels do not install with this glibc (the release has lower ones)."""
    glibc = m.facts.os.glibc
    if m.facts.os.system == "Linux" and glibc and b.glibc and vkey(glibc) < vkey(b.glibc):
        return Finding(
            Code.GLIBC_VARIANT,
            {"release": b.release, "variant": b.variant, "need": b.glibc, "have": glibc},
        )
    return None


def wheel(m: Machine, b: Build) -> Check:
    rel = m.kb.release(b.release)
    gate = python_gate(m, rel)
    if gate:
        return Check("wheel", gate)
    notes = []
    if not rel.python_ok(m.py, m.platform):
        notes.append(Finding(Code.PYTHON_EXPERIMENTAL, {"python": m.py, "release": rel.version}))
    info = m.py_info
    if info and info.implementation and info.implementation.lower() != "cpython":
        return failed("wheel", Code.NOT_CPYTHON, implementation=info.implementation)
    if info and info.bits == 32:
        return failed("wheel", Code.PYTHON_32BIT)
    if m.facts.os.system == "Linux" and m.facts.os.libc == "musl":
        return failed("wheel", Code.MUSL)
    if b.python and not vkey(b.python[0]) <= vkey(m.py) <= vkey(b.python[1]):
        lo, hi = b.python
        return failed(
            "wheel",
            Code.BUILD_PYTHON,
            release=b.release,
            variant=b.variant,
            python=m.py,
            window=lo if lo == hi else f"{lo}–{hi}",
            index=b.index or "",
        )
    if m.facts.os.system == "Linux" and b.source == "pip":
        glibc = glibc_gate(m, rel, b.source) or glibc_build(m, b)
        if glibc:
            return Check("wheel", glibc)
        if m.facts.os.glibc is None:
            # Stated, not silent: the plan assumes a glibc these wheels install on.
            need = b.glibc or "2.17"
            notes.append(
                Finding(
                    Code.GLIBC_UNKNOWN, {"need": need, "release": b.release, "variant": b.variant}
                )
            )
    need_macos = rel.macos.get(m.platform) if b.source == "pip" else None
    have_macos = m.facts.os.macos_version
    if need_macos and have_macos and vkey(have_macos) < vkey(need_macos):
        return failed(
            "wheel", Code.MACOS_OLD, release=rel.version, need=need_macos, have=have_macos
        )
    return passed("wheel", *notes)


# ---- driver ---------------------------------------------------------------------------------
def driver(m: Machine, b: Build) -> Check:
    if b.kind != "cuda" or not b.cuda:
        return passed("driver")
    f = m.facts
    if not f.nvidia_gpus:
        return failed("driver", Code.NO_NVIDIA_GPU)
    major = b.cuda.split(".")[0]
    if m.jetson is not None:
        # L4T decides: its driver serves its own CUDA, and no newer one (a Jetson CUDA upgrade
        # is an L4T upgrade).
        if vkey(b.cuda) > vkey(m.jetson.cuda):
            return failed(
                "driver",
                Code.JETSON_CUDA_OLD,
                l4t=f.os.jetson_l4t,
                have=m.jetson.cuda,
                need=b.cuda,
                variant=b.variant,
            )
        return passed(
            "driver", Finding(Code.DRIVER_JETSON, {"l4t": f.os.jetson_l4t, "cuda": m.jetson.cuda})
        )
    if f.nvidia_driver is None:
        if f.os.jetson_l4t:
            # Jetson drivers come with L4T and often hide from nvidia-smi/NVML; the platform
            # check is what decides there.
            return passed("driver", Finding(Code.DRIVER_L4T, {"l4t": f.os.jetson_l4t}))
        if m.driver_cuda:
            # No driver number, but the CUDA it serves (nvidia-smi's header, or a CUDA build
            # that ran): minor-version compatibility needs only the major to match.
            have = m.driver_cuda.split(".")[0]
            if int(have) >= int(major):
                return passed("driver", Finding(Code.DRIVER_CUDA, {"cuda": m.driver_cuda}))
            return failed("driver", Code.DRIVER_CUDA_OLD, cuda_major=major, have=m.driver_cuda)
        return failed("driver", Code.DRIVER_UNKNOWN)
    need = m.kb.min_driver(b.cuda, m.windows_driver)
    if need is None:
        return failed("driver", Code.NO_DRIVER_TABLE, cuda_major=major)
    if vkey(f.nvidia_driver) < vkey(need):
        return failed(
            "driver",
            Code.DRIVER_OLD,
            cuda_major=major,
            need=need,
            have=f.nvidia_driver,
            windows=m.windows_driver,
        )
    return passed("driver")


# ---- kernels --------------------------------------------------------------------------------
def sass_covers(sass: tuple[str, ...], cc: str) -> bool:
    """A cubin for sm_XY runs on the same major X with minor >= Y (never across majors)."""
    major, minor = (*vkey(cc), 0, 0)[:2]
    for s in sass:
        smajor, sminor = (*vkey(s), 0, 0)[:2]
        if smajor == major and sminor <= minor:
            return True
    return False


def nvidia_gpu(g: GPU, b: Build, driver_cuda: str | None, tegra: Tegra | None = None) -> Check:
    """Whether one NVIDIA GPU has kernels in one CUDA build: SASS, or PTX a driver can JIT.

    `tegra` is the rule for Jetson's integrated GPUs in builds made for discrete GPUs (PyTorch's
    SBSA wheels): there a Jetson runs only cubins of its own target before CUDA 13.2.
    """
    cc = g.compute_capability
    label = gpu_label(g)
    if cc is None:
        return passed("kernels", Finding(Code.CC_UNKNOWN, {"gpu": g.name}))
    igpu = tegra.covers(b.sass, cc, b.cuda) if tegra and b.l4t is None else None
    if igpu is True or (igpu is None and sass_covers(b.sass, cc)):
        return passed("kernels")
    if igpu is False:
        return failed(
            "kernels",
            Code.TEGRA_SASS,
            gpu=label,
            variant=b.variant,
            release=b.release,
            archs=b.arch_text,
            unified=tegra.unified_from if tegra else "",
        )
    if b.ptx and vkey(b.ptx) <= vkey(cc):
        if driver_cuda and vkey(driver_cuda) >= vkey(b.cuda or "0"):
            return passed(
                "kernels", Finding(Code.PTX_JIT, {"gpu": label, "variant": b.variant, "ptx": b.ptx})
            )
        return failed(
            "kernels",
            Code.PTX_DRIVER_OLD,
            gpu=label,
            cuda=b.cuda,
            driver_cuda=driver_cuda or "",
        )
    lo = b.sass[0] if b.sass else "0"
    code = Code.SASS_BELOW if vkey(cc) < vkey(lo) else Code.SASS_MISSING
    return failed(
        "kernels",
        code,
        gpu=label,
        cc=cc,
        variant=b.variant,
        release=b.release,
        lowest=lo,
        archs=b.arch_text,
    )


def gfx_override(arch: str, gfx: tuple[str, ...]) -> str | None:
    """The HSA_OVERRIDE_GFX_VERSION value that maps an RDNA card onto a target the build has.

    gfx1031–gfx1036 run gfx1030 code and gfx1101–gfx1103 gfx1100 code with the override set
    (ROCm/ROCm#1797, pytorch/pytorch#132570); never across generations.
    """
    m = re.fullmatch(r"gfx(10|11)(\d)(\w)", arch)
    if not m:
        return None
    base = f"gfx{m.group(1)}{m.group(2)}0"
    if base == arch or base not in gfx:
        return None
    return f"{m.group(1)}.{m.group(2)}.0"


def amd_gpu(g: GPU, b: Build) -> Check:
    if g.arch is None:
        return passed("kernels", Finding(Code.GFX_UNKNOWN, {"gpu": g.name}))
    if g.arch in b.gfx:
        return passed("kernels")
    override = gfx_override(g.arch, b.gfx)
    if override:
        return failed(
            "kernels",
            Code.GFX_OVERRIDE,
            gpu=gpu_label(g),
            arch=g.arch,
            variant=b.variant,
            override=override,
        )
    return failed("kernels", Code.GFX_MISSING, gpu=gpu_label(g), arch=g.arch, variant=b.variant)


def kernels(m: Machine, b: Build) -> Check:
    if b.kind in ("cpu", "mps"):
        return passed("kernels")
    if b.kind == "xpu":
        if m.targets("intel"):
            return passed("kernels")
        intel = m.facts.intel_gpus
        if intel:
            return failed("kernels", Code.INTEL_NOT_VALIDATED, gpu=intel[0].name)
        return failed("kernels", Code.NO_INTEL_GPU)
    if b.kind == "rocm":
        gpus = m.targets("amd")
        if not gpus:
            return failed("kernels", Code.NO_AMD_GPU)
        if all(g.integrated and g.arch is None for g in gpus):
            # "AMD Radeon(TM) Graphics" alone: an APU whose target nobody named. ROCm wheels
            # are built for named targets; several GB on a guess is not "runs here".
            return failed("kernels", Code.AMD_IGPU_UNKNOWN, gpu=gpus[0].name)
        notes: list[Finding] = []
        for g in gpus:
            c = amd_gpu(g, b)
            if not c.ok:
                return c
            notes.extend(c.notes)
        return passed("kernels", *notes)
    gpus = m.targets("nvidia")
    if not gpus:
        return failed("kernels", Code.NO_NVIDIA_GPU)
    notes = []
    for g in gpus:
        c = nvidia_gpu(g, b, m.driver_cuda, m.kb.tegra)
        if not c.ok:
            return c
        notes.extend(c.notes)
    return passed("kernels", *notes)


# ---- libraries ------------------------------------------------------------------------------
def nvidia_libraries(g: GPU, b: Build, kb: Knowledge) -> Check:
    cc = g.compute_capability
    if b.kind != "cuda" or not b.cuda or cc is None or b.source != "pip":
        return passed("libraries")
    for floor in kb.floors(b.release, b.cuda):
        if vkey(cc) < vkey(floor.min_cc):
            return failed(
                "libraries",
                Code.LIBRARY_FLOOR,
                gpu=gpu_label(g),
                library=floor.library,
                min_cc=floor.min_cc,
                release=b.release,
                variant=b.variant,
            )
    return passed("libraries")


def libraries(m: Machine, b: Build) -> Check:
    for g in m.targets("nvidia") if b.kind == "cuda" else []:
        c = nvidia_libraries(g, b, m.kb)
        if not c.ok:
            return c
    return passed("libraries")


# ---- platform -------------------------------------------------------------------------------
def platform(m: Machine, b: Build) -> Check:
    os_ = m.facts.os
    sbsa = m.jetson is not None and m.jetson.sbsa
    if b.kind == "cuda" and b.source == "pip" and os_.jetson_l4t and b.l4t is None and not sbsa:
        return failed("platform", Code.JETSON_PIP, l4t=os_.jetson_l4t)
    since = m.jetson.since if m.jetson else None
    l4t = os_.jetson_l4t or ""
    if b.l4t and since and "." in l4t and vkey(l4t) < vkey(since):
        return failed(
            "platform",
            Code.JETSON_L4T_OLD,
            l4t=l4t,
            need=since,
            jetpack=m.jetson.jetpack if m.jetson else "",
        )
    if b.kind == "rocm" and os_.wsl:
        return failed("platform", Code.ROCM_WSL)
    if b.kind == "mps" and b.macos:
        have = os_.macos_version
        if have is None or vkey(have) < vkey(b.macos):
            return failed("platform", Code.MPS_MACOS_OLD, need=b.macos, have=have or "")
    return passed("platform")


def evaluate(m: Machine, b: Build) -> list[Check]:
    """Every check on one build, in the order a person reads them."""
    return [wheel(m, b), driver(m, b), kernels(m, b), libraries(m, b), platform(m, b)]
