"""The sentences a person reads about a check, a hint or a forecast, made from structured data.

Nothing decides from these strings: the checks return codes and numbers (envwizard.checks),
and this module is the one place that turns them into words. Each template is a whole
sentence with named fields, so a translation can reorder them.
"""

from __future__ import annotations

from typing import Any

from envwizard.checks import Code, Finding

TEMPLATES: dict[Code, str] = {
    Code.PYTHON_WINDOW: "torch {release} has no wheels for Python {python} on {platform} (it supports {lo}–{hi} there)",
    Code.PYTHON_EXPERIMENTAL: "Python {python} wheels of torch {release} are experimental",
    Code.NOT_CPYTHON: "torch publishes wheels for CPython only; this is {implementation}",
    Code.PYTHON_32BIT: "torch publishes no wheels for a 32-bit Python",
    Code.GLIBC_OLD: "torch {release} wheels need glibc {need} or newer; this system has {have}",
    Code.GLIBC_UNKNOWN: "glibc version unknown; assuming a manylinux system",
    Code.MACOS_OLD: "torch {release} wheels need macOS {need} or newer; this is macOS {have}",
    Code.NO_NVIDIA_GPU: "no NVIDIA GPU was found",
    Code.DRIVER_UNKNOWN: "the NVIDIA driver version is unknown (is the driver loaded?)",
    Code.DRIVER_L4T: "the driver comes with L4T {l4t}",
    Code.NO_DRIVER_TABLE: "envwizard has no driver table for CUDA {cuda_major}.x",
    Code.CC_UNKNOWN: "the compute capability of {gpu} is unknown; verification will tell",
    Code.PTX_JIT: "{gpu} runs {variant}'s PTX {ptx}, JIT-compiled on first use",
    Code.PTX_DRIVER_OLD: "{gpu} is covered only by PTX, which needs a driver serving CUDA {cuda}; this driver serves {driver_cuda}",
    Code.SASS_BELOW: "{gpu}: {variant} builds of torch {release} start at sm_{lowest_sm}",
    Code.SASS_MISSING: "{gpu}: {variant} builds of torch {release} carry {archs}, nothing for it",
    Code.NO_AMD_GPU: "no AMD GPU was found",
    Code.GFX_UNKNOWN: "the gfx target of {gpu} is unknown; verification will tell",
    Code.GFX_MISSING: "{gpu}: {variant} builds carry no {arch} kernels",
    Code.GFX_OVERRIDE: "{gpu}: {variant} builds carry no {arch} kernels, but HSA_OVERRIDE_GFX_VERSION={override} makes it run their gfx{override_target} kernels",
    Code.NO_INTEL_GPU: "no Intel GPU was found",
    Code.INTEL_NOT_VALIDATED: "{gpu} is integrated graphics that PyTorch's XPU builds are not validated on (they target Arc, Core Ultra with Arc Graphics and Data Center GPU Max)",
    Code.LIBRARY_FLOOR: "{gpu}: torch {release} {variant} ships {library}, which supports compute capability {min_cc} and newer only",
    Code.JETSON_PIP: "this is a Jetson (L4T {l4t}); PyTorch's aarch64 CUDA wheels are built for SBSA servers and do not match L4T's CUDA: use torch_source: conda-forge (it builds for Jetson), or NVIDIA's Jetson wheels by hand",
    Code.ROCM_WSL: "ROCm wheels need the Linux amdgpu/KFD driver, which WSL does not have",
    Code.MPS_MACOS_OLD: "MPS needs macOS {need} or newer; this is {have}",
}


def say(f: Finding) -> str:
    """The sentence for one finding."""
    data: dict[str, Any] = dict(f.data)
    if f.code is Code.DRIVER_OLD:
        where = "Windows driver" if data.get("windows") else "driver"
        return f"CUDA {data['cuda_major']}.x needs {where} {data['need']} or newer; found {data['have']}"
    if "lowest" in data:
        data["lowest_sm"] = str(data["lowest"]).replace(".", "")
    if "override" in data:
        data["override_target"] = "".join(str(data["override"]).split(".")[:2]) + "0"
    if f.code is Code.PTX_DRIVER_OLD and not data.get("driver_cuda"):
        data["driver_cuda"] = "an unknown CUDA"
    if f.code is Code.MPS_MACOS_OLD and not data.get("have"):
        data["have"] = "unknown"
    return TEMPLATES[f.code].format(**data)


# ---- hints: settings a machine needs beside the build ----------------------------------------
def hint_hip_visible(discrete: str, integrated: str, index: int) -> str:
    return (
        f"hint: {integrated} is integrated graphics beside {discrete}; set HIP_VISIBLE_DEVICES={index} "
        "so ROCm uses only the discrete card (the iGPU otherwise appears as a device without kernels)"
    )


def hint_hsa_override(gpu: str, override: str) -> str:
    return (
        f"hint: {gpu} runs PyTorch's ROCm builds with HSA_OVERRIDE_GFX_VERSION={override} set in "
        "the environment (not officially supported by AMD); then choose a ROCm build with compute:"
    )


def hint_nccl_p2p(count: int, name: str, driver: str, fixed: str) -> str:
    return (
        f"hint: {count} × {name} on driver {driver}: NCCL's peer-to-peer path can hang multi-GPU "
        f"training on drivers before R{fixed}; update the driver, or set NCCL_P2P_DISABLE=1"
    )


def forecast_line(version: str, newest: str) -> str:
    return (
        f"torch {version} is newer than envwizard's table (which ends at {newest}); it is planned "
        f"as a forecast with torch {newest}'s builds and rules, and verification checks what arrived"
    )


def pins_line(release: str, pins: str) -> str:
    return f"torch {release} needs {pins} beside it today (it was built against NumPy 1.x)"


def normalised_line(text: str) -> str:
    return f"facts: {text}"
