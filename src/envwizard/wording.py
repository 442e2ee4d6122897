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


def hint_hsa_override(gpu: str, override: str, variant: str, release: str) -> str:
    return (
        f"hint: {gpu} runs PyTorch's ROCm builds with HSA_OVERRIDE_GFX_VERSION={override} set in "
        f"the environment (not officially supported by AMD); with it, compute: {variant} plans "
        f"torch {release} for it"
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


# ---- the search's sentences (envwizard.decide) -----------------------------------------------
def span(versions: list[str]) -> str:
    """ "2.14", or "2.9–2.14" for several releases."""
    from envwizard.versions import vkey

    ordered = sorted(versions, key=vkey)
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]}–{ordered[-1]}"


def gate_python(py: str, versions: list[str], platform: str) -> str:
    return f"Python {py}: torch {span(versions)} publish no wheels for it on {platform}"


def gate_glibc(glibc: str, versions: list[str], floors: str) -> str:
    return f"glibc {glibc}: torch {span(versions)} wheels need glibc {floors} or newer"


def no_release(spec: str, known: str, as_of: str) -> str:
    return (
        f"torch: {spec!r} matches no release envwizard knows ({known}, as of {as_of}); widen the "
        "specifier, or update envwizard"
    )


def no_platform_build(why: str, rosetta: bool) -> str:
    if rosetta:
        why += "; this Python runs under Rosetta: an arm64 Python gets native wheels"
    return f"no torch build for this platform: {why}"


def no_builds_for(source: str, platform: str) -> str:
    return f"no {source} builds of torch for {platform}"


def python_windows(py: str, platform: str, windows: dict[str, list[str]]) -> str:
    spans = "; ".join(
        f"torch {v[-1]}–{v[0]} support Python {w}"
        if len(v) > 1
        else f"torch {v[0]} supports Python {w}"
        for w, v in windows.items()
    )
    return (
        f"Python {py} is outside every torch release's window on {platform} ({spans}); choose one "
        "of those with `python:`"
    )


def release_fails(release: str, failures: list[str]) -> str:
    return f"torch {release}: " + "; ".join(failures)


def no_kind_build(release: str, kinds: list[str], platform: str) -> str:
    return f"torch {release}: no {'/'.join(kinds)} build for {platform}"


def variant_fails(release: str, variant: str, summary: str) -> str:
    return f"torch {release} {variant}: {summary}"


def explicit_cannot_run(variant: str, failures: list[tuple[str, str]], instead: str) -> str:
    return (
        f"compute: {variant!r} cannot run here: "
        + "; ".join(f"{name} check: {why}" for name, why in failures)
        + instead
    )


def explicit_gated(variant: str, gates: list[str], instead: str) -> str:
    return (
        f"compute: {variant!r}: no torch release with {variant} builds installs here: "
        + "; ".join(gates)
        + instead
    )


def explicit_absent(
    variant: str, spec: str, platform: str, source: str, have: list[str], instead: str
) -> str:
    return (
        f"compute: {variant!r}: no torch release matching {spec} has a {variant} build for "
        f"{platform} ({source}); builds there: {', '.join(have)}{instead}"
    )


def suggestion(variant: str, release: str) -> str:
    return f". What would work: compute: {variant} (torch {release}), or compute: auto"


def default_index_fails(release: str, default: str | None, summary: str) -> str:
    return f"torch {release} from the default index is {default}: {summary}"


def default_index_nothing(rejected: list[str]) -> str:
    return (
        "torch_index: default: no torch release on the default index runs here ("
        + "; ".join(rejected)
        + "); use torch_index: auto to get a matching build from PyTorch's index"
    )


def auto_would(better: tuple[str, str] | None, newer: bool) -> str:
    if better is None:
        return "torch_index: auto finds nothing newer that runs here either"
    if not newer:
        return "torch_index: auto would not give a newer torch"
    return f"torch_index: auto would give torch {better[0]} {better[1]} from PyTorch's index"


def nothing_installs(gates: list[str]) -> str:
    return "no torch build installs here: " + "; ".join(gates)


def nothing_runs(failures: list[str]) -> str:
    return "no torch build runs here: " + "; ".join(failures)


def more_fail(count: int) -> str:
    return f"… and {count} more newer releases fail too"


def cpu_because(first: str) -> str:
    return "no GPU build runs here, so the CPU build: " + first


def default_index_serves(release: str, platform: str, variant: str, cuda_without_gpu: bool) -> str:
    return (
        f"torch_index: default: the installer's configured index and wheel folders decide which "
        f"build arrives; PyTorch's default wheel for torch {release} on {platform} is the "
        f"{variant} build"
        + (" (it runs on the CPU too, but is several GB)" if cuda_without_gpu else "")
        + ", but a mirror or wheel folder may serve another; verification records the build "
        "that was installed"
    )


def not_variant(variant: str, summary: str) -> str:
    return f"not {variant}: {summary}"


def not_experimental(variant: str, release: str) -> str:
    return f"not {variant}: experimental in torch {release}"


def experimental(variant: str, release: str) -> str:
    return f"{variant} builds of torch {release} are marked experimental"


def unused_by(gpu: str, kind: str) -> str:
    return f"{gpu} is not used by a {kind.upper()} build"


def unused_cpu(gpus: list[str]) -> str:
    return f"{', '.join(gpus)} will not be used: this is a CPU build"


def driver_eol(gpu: str, branch: str, family: str, outlook: str) -> str:
    return f"{gpu}: R{branch} is NVIDIA's last driver branch for {family} GPUs" + (
        f"; {outlook}" if outlook else ""
    )


def rosetta() -> str:
    return (
        "this Python runs under Rosetta as x86_64: an arm64 Python gets native wheels, newer "
        "torch releases and the Apple GPU"
    )


def macos_default_index() -> str:
    return "on macOS the torch wheel comes from the default index"


def configured_index(variant: str, served: str | None, release: str) -> str:
    return (
        f"torch_index: default: the configured index must serve {variant} builds"
        + (
            f" (the default index serves {served} for torch {release})"
            if served and served != variant
            else ""
        )
        + "; verification checks what arrived"
    )


def intel_left_out(gpu: str) -> str:
    return (
        f"{gpu} is integrated graphics: PyTorch's XPU builds target Intel Arc, Flex and Max GPUs, "
        "so it does not count as an XPU device"
    )


def amd_left_out(gpu: str) -> str:
    return f"{gpu} is integrated graphics beside a discrete AMD GPU; it is left out of the kernel check"


def machine_line(
    gpus: list[tuple[str, bool]],
    driver: str | None,
    driver_cuda: str | None,
    python: str,
    platform: str,
    wsl: bool,
    glibc: str | None,
) -> str:
    """The first reason: what envwizard saw, in one line."""
    parts = [
        ", ".join(label + (" [integrated]" if integrated else "") for label, integrated in gpus)
        if gpus
        else "no GPU found"
    ]
    if driver:
        serves = f" (serves CUDA ≤ {driver_cuda})" if driver_cuda else ""
        parts.append(f"NVIDIA driver {driver}{serves}")
    parts.append(f"Python {python} on {platform}" + (" (WSL)" if wsl else ""))
    if glibc:
        parts.append(f"glibc {glibc}")
    return "; ".join(parts)


def chosen_line(
    release: str,
    kind: str,
    variant: str,
    arch_text: str,
    conda_forge: bool,
    vendor: str | None,
    covered: list[str],
) -> str:
    what = {
        "cpu": "the CPU build",
        "mps": "the macOS build with MPS (Apple GPU)",
        "xpu": "the Intel XPU build",
        "rocm": variant,
    }.get(kind, f"{variant} ({arch_text})")
    src = " from conda-forge" if conda_forge else ""
    if vendor is None:
        return f"torch {release}, {what}{src}"
    if not covered:  # a GPU build from the default index on a machine without that GPU
        return f"torch {release} {what}{src}: no {vendor.upper()} GPU here, so it runs on the CPU"
    return f"torch {release} {what}{src}: kernels for {', '.join(covered)}"


def runs_here(arch_text: str) -> str:
    return f"runs here ({arch_text})"


def python_does_not_run(want: str, error: str) -> str:
    return f"python: {want} does not run: {error}"


def python_unknown(want: str) -> str:
    return (
        f"python: cannot tell which Python {want} is (it is not among the facts' interpreters); "
        "give a version such as '3.12' instead"
    )


def companion_url(text: str, name: str, line: str) -> str:
    return (
        f"packages: {text!r} names a URL; envwizard pins {name} {line}.* from the index torch "
        "comes from, so drop the URL"
    )


def companion_mismatch(text: str, release: str, name: str, line: str) -> str:
    return (
        f"packages: {text!r} does not match torch {release}, which pairs with {name} {line}.*; "
        "drop the version and envwizard pins the matching one"
    )
