"""The sentences a person reads about a check, a hint or a forecast, made from structured data.

Nothing decides from these strings: the checks return codes and numbers (envwizard.decide.checks),
and this module is the one place that turns them into words. Each template is a whole
sentence with named fields, so a translation can reorder them.
"""

from __future__ import annotations

from typing import Any

from envwizard.core.i18n import N_, _, join, ngettext
from envwizard.decide.checks import Check, Code, Finding

TEMPLATES: dict[Code, str] = {
    Code.PYTHON_WINDOW: N_(
        "torch {release} has no wheels for Python {python} on {platform} (it supports {lo}–{hi} there)"
    ),
    Code.PYTHON_EXPERIMENTAL: N_("Python {python} wheels of torch {release} are experimental"),
    Code.NOT_CPYTHON: N_("torch publishes wheels for CPython only; this is {implementation}"),
    Code.PYTHON_32BIT: N_("torch publishes no wheels for a 32-bit Python"),
    Code.GLIBC_OLD: N_("torch {release} wheels need glibc {need} or newer; this system has {have}"),
    Code.GLIBC_VARIANT: N_(
        "torch {release} {variant} wheels need glibc {need} or newer (manylinux_2_28); this system has {have}"
    ),
    Code.BUILD_PYTHON: N_(
        "torch {release} {variant} builds from {index} are made for Python {window}; this is Python {python}"
    ),
    Code.GLIBC_UNKNOWN: N_(
        "glibc version unknown; planned assuming glibc {need} or newer, as torch {release} {variant} wheels need (musl systems such as Alpine have none)"
    ),
    Code.MACOS_OLD: N_("torch {release} wheels need macOS {need} or newer; this is macOS {have}"),
    Code.NO_NVIDIA_GPU: N_("no NVIDIA GPU was found"),
    Code.DRIVER_UNKNOWN: N_("the NVIDIA driver version is unknown (is the driver loaded?)"),
    Code.DRIVER_L4T: N_("the driver comes with L4T {l4t}"),
    Code.DRIVER_CUDA: N_(
        "the driver's version is not known, but it serves CUDA {cuda} or newer, which is what this build needs"
    ),
    Code.DRIVER_CUDA_OLD: N_(
        "CUDA {cuda_major}.x builds need a driver serving CUDA {cuda_major}; this one serves {have}"
    ),
    Code.DRIVER_JETSON: N_("the driver comes with L4T {l4t}, which serves CUDA {cuda}"),
    Code.JETSON_CUDA_OLD: N_(
        "this Jetson's L4T {l4t} serves CUDA {have}; {variant} builds need CUDA {need} (a newer JetPack)"
    ),
    Code.NO_DRIVER_TABLE: N_("envwizard has no driver table for CUDA {cuda_major}.x"),
    Code.CC_UNKNOWN: N_("the compute capability of {gpu} is unknown; verification will tell"),
    Code.PTX_JIT: N_("{gpu} runs {variant}'s PTX {ptx}, JIT-compiled on first use"),
    Code.PTX_DRIVER_OLD: N_(
        "{gpu} is covered only by PTX, which needs a driver serving CUDA {cuda}; this driver serves {driver_cuda}"
    ),
    Code.SASS_BELOW: N_("{gpu}: {variant} builds of torch {release} start at sm_{lowest_sm}"),
    Code.SASS_MISSING: N_(
        "{gpu}: {variant} builds of torch {release} carry {archs}, nothing for it"
    ),
    Code.TEGRA_SASS: N_(
        "{gpu}: {variant} builds of torch {release} carry {archs} for discrete GPUs, which Jetson's integrated GPU runs only from CUDA {unified} on"
    ),
    Code.NO_AMD_GPU: N_("no AMD GPU was found"),
    Code.GFX_UNKNOWN: N_("the gfx target of {gpu} is unknown; verification will tell"),
    Code.GFX_MISSING: N_("{gpu}: {variant} builds carry no {arch} kernels"),
    Code.GFX_OVERRIDE: N_(
        "{gpu}: {variant} builds carry no {arch} kernels, but HSA_OVERRIDE_GFX_VERSION={override} makes it run their gfx{override_target} kernels"
    ),
    Code.NO_INTEL_GPU: N_("no Intel GPU was found"),
    Code.INTEL_NOT_VALIDATED: N_(
        "{gpu} is integrated graphics that PyTorch's XPU builds are not validated on (they target Arc, Core Ultra with Arc Graphics and Data Center GPU Max)"
    ),
    Code.LIBRARY_FLOOR: N_(
        "{gpu}: torch {release} {variant} ships {library}, which supports compute capability {min_cc} and newer only"
    ),
    Code.JETSON_PIP: N_(
        "this is a Jetson (L4T {l4t}); PyTorch's aarch64 CUDA wheels are built for SBSA servers and do not match L4T's CUDA: GPU builds for it come from NVIDIA's Jetson index (or torch_source: conda-forge)"
    ),
    Code.JETSON_L4T_OLD: N_(
        "the Jetson builds for JetPack {jetpack} are made for L4T {need} or newer; this is L4T {l4t} (update JetPack)"
    ),
    Code.AMD_IGPU_UNKNOWN: N_(
        "{gpu} is integrated graphics whose gfx target is unknown; PyTorch's ROCm builds carry kernels for named targets only (set gpus[].arch, as rocminfo prints it, to plan one)"
    ),
    Code.MUSL: N_(
        "this Linux uses musl libc (as Alpine does), and torch is built for glibc systems only; use a glibc-based distribution or container image"
    ),
    Code.ROCM_WSL: N_("ROCm wheels need the Linux amdgpu/KFD driver, which WSL does not have"),
    Code.MPS_MACOS_OLD: N_("MPS needs macOS {need} or newer; this is {have}"),
}


def why(check: Check) -> str:
    """Why a check failed ("" when it passed)."""
    return say(check.failure) if check.failure else ""


def note(check: Check) -> str:
    """What a passing check has to say besides passing (a PTX-only GPU, …)."""
    return "; ".join(say(n) for n in check.notes)


def say(f: Finding) -> str:
    """The sentence for one finding."""
    data: dict[str, Any] = dict(f.data)
    if f.code is Code.DRIVER_OLD:
        if data.get("windows"):
            return _(
                "CUDA {cuda_major}.x needs Windows driver {need} or newer; found {have}"
            ).format(**data)
        return _("CUDA {cuda_major}.x needs driver {need} or newer; found {have}").format(**data)
    if "lowest" in data:
        data["lowest_sm"] = str(data["lowest"]).replace(".", "")
    if "override" in data:
        data["override_target"] = "".join(str(data["override"]).split(".")[:2]) + "0"
    if f.code is Code.PTX_DRIVER_OLD and not data.get("driver_cuda"):
        data["driver_cuda"] = _("an unknown CUDA")
    if f.code is Code.MPS_MACOS_OLD and not data.get("have"):
        data["have"] = _("unknown")
    return _(TEMPLATES[f.code]).format(**data)


# ---- hints: settings a machine needs beside the build ----------------------------------------
def hint_hip_visible(discrete: str, integrated: str, index: int) -> str:
    return _(
        "hint: {integrated} is integrated graphics beside {discrete}; set "
        "HIP_VISIBLE_DEVICES={index} so ROCm uses only the discrete card (the iGPU otherwise "
        "appears as a device without kernels)"
    ).format(integrated=integrated, discrete=discrete, index=index)


def hint_hsa_override(gpu: str, override: str, variant: str, release: str) -> str:
    return _(
        "hint: {gpu} runs PyTorch's ROCm builds with HSA_OVERRIDE_GFX_VERSION={override} set in "
        "the environment (not officially supported by AMD); with it, compute: {variant} plans "
        "torch {release} for it"
    ).format(gpu=gpu, override=override, variant=variant, release=release)


def hint_hsa_needed(gpu: str, override: str, variant: str, release: str) -> str:
    return _(
        "hint: set HSA_OVERRIDE_GFX_VERSION={override} in the environment: torch {release} "
        "{variant} has no kernels for {gpu} of its own and runs it only with the override (not "
        "officially supported by AMD)"
    ).format(gpu=gpu, override=override, variant=variant, release=release)


def hint_nccl_p2p(names: list[str]) -> str:
    """Two RTX 4090s read "2 × GeForce RTX 4090"; a 4090 beside a 3090 names both."""
    if len(set(names)) > 1:
        return _(
            "hint: {names}: NCCL's direct GPU-to-GPU path over PCI can fail or perform "
            "poorly (NVIDIA's NCCL troubleshooting guide names BIOS settings and badly configured "
            "virtual machines or containers); if multi-GPU training hangs, set NCCL_P2P_DISABLE=1"
        ).format(names=join(names))
    return _(
        "hint: {count} × {name}: NCCL's direct GPU-to-GPU path over PCI can fail or perform "
        "poorly (NVIDIA's NCCL troubleshooting guide names BIOS settings and badly configured "
        "virtual machines or containers); if multi-GPU training hangs, set NCCL_P2P_DISABLE=1"
    ).format(count=len(names), name=names[0])


def forecast_line(version: str, newest: str) -> str:
    return _(
        "torch {version} is newer than envwizard's table (which ends at {newest}); it is planned "
        "as a forecast with torch {newest}'s builds and rules, and verification checks what arrived"
    ).format(version=version, newest=newest)


def jetson_index(jetpack: str, cuda: str, index: str, archs: str) -> str:
    return _(
        "torch for JetPack {jetpack} comes from NVIDIA's Jetson index {index}: built against "
        "L4T's own CUDA {cuda} for {archs}, which PyTorch's SBSA wheels are not"
    ).format(jetpack=jetpack, cuda=cuda, index=index, archs=archs)


def pins_line(release: str, pins: str) -> str:
    return _(
        "torch {release} needs {pins} beside it today (it was built against NumPy 1.x)"
    ).format(release=release, pins=pins)


def normalised_line(text: str) -> str:
    return _("facts: {text}").format(text=text)


# ---- the search's sentences (envwizard.decide.decision) -----------------------------------------------
def span(versions: list[str]) -> str:
    """ "2.14", or "2.9–2.14" for several releases."""
    from envwizard.core.versions import vkey

    ordered = sorted(versions, key=vkey)
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]}–{ordered[-1]}"


def _joined(items: list[str]) -> str:
    """A list of whole clauses, one after another."""
    return _("; ").join(items)


CHECK_NAMES = {
    "wheel": N_("wheel"),
    "driver": N_("driver"),
    "kernels": N_("kernels"),
    "libraries": N_("libraries"),
    "platform": N_("platform"),
}
"""The checks' names as a person reads them (the ids stay English in data)."""


def check_name(name: str) -> str:
    return _(CHECK_NAMES[name]) if name in CHECK_NAMES else name


def candidate_summary(failures: list[tuple[str, str]]) -> str:
    """Every failed check of one build, or that it runs here."""
    if not failures:
        return _("runs here")
    return _joined(
        [_("{check}: {why}").format(check=check_name(name), why=why) for name, why in failures]
    )


def gate_python(py: str, versions: list[str], platform: str) -> str:
    return _("Python {py}: torch {versions} publish no wheels for it on {platform}").format(
        py=py, versions=span(versions), platform=platform
    )


def gate_glibc(glibc: str, versions: list[str], floors: str) -> str:
    return _("glibc {glibc}: torch {versions} wheels need glibc {floors} or newer").format(
        glibc=glibc, versions=span(versions), floors=floors
    )


def no_release(spec: str, known: str, as_of: str) -> str:
    return _(
        "torch: {spec} matches no release envwizard knows ({known}, as of {as_of}); widen the "
        "specifier, or update envwizard"
    ).format(spec=repr(spec), known=known, as_of=as_of)


def no_platform_build(why: str, rosetta: bool) -> str:
    if rosetta:
        return _(
            "no torch build for this platform: {why}; this Python runs under Rosetta: an arm64 "
            "Python gets native wheels"
        ).format(why=why)
    return _("no torch build for this platform: {why}").format(why=why)


def no_builds_for(source: str, platform: str) -> str:
    return _("no {source} builds of torch for {platform}").format(source=source, platform=platform)


def python_windows(py: str, platform: str, windows: dict[str, list[str]]) -> str:
    spans = _joined(
        [
            _("torch {first}–{last} support Python {window}").format(
                first=v[-1], last=v[0], window=w
            )
            if len(v) > 1
            else _("torch {release} supports Python {window}").format(release=v[0], window=w)
            for w, v in windows.items()
        ]
    )
    return _(
        "Python {py} is outside every torch release's window on {platform} ({spans}); choose one "
        "of those with `python:`"
    ).format(py=py, platform=platform, spans=spans)


def release_fails(release: str, failures: list[str]) -> str:
    return _("torch {release}: {failures}").format(release=release, failures=_joined(failures))


def no_kind_build(release: str, kinds: list[str], platform: str) -> str:
    return _("torch {release}: no {kinds} build for {platform}").format(
        release=release, kinds="/".join(kinds), platform=platform
    )


def variant_fails(release: str, variant: str, summary: str) -> str:
    return _("torch {release} {variant}: {summary}").format(
        release=release, variant=variant, summary=summary
    )


def explicit_cannot_run(variant: str, failures: list[tuple[str, str]], instead: str) -> str:
    checks = _joined(
        [_("{name} check: {why}").format(name=check_name(name), why=why) for name, why in failures]
    )
    return _("compute: {variant} cannot run here: {checks}{instead}").format(
        variant=repr(variant), checks=checks, instead=instead
    )


def explicit_gated(variant: str, gates: list[str], instead: str) -> str:
    return _(
        "compute: {variant_quoted}: no torch release with {variant} builds installs here: "
        "{gates}{instead}"
    ).format(variant_quoted=repr(variant), variant=variant, gates=_joined(gates), instead=instead)


def explicit_absent(
    variant: str, spec: str, platform: str, source: str, have: list[str], instead: str
) -> str:
    return _(
        "compute: {variant_quoted}: no torch release matching {spec} has a {variant} build for "
        "{platform} ({source}); builds there: {have}{instead}"
    ).format(
        variant_quoted=repr(variant),
        variant=variant,
        spec=spec,
        platform=platform,
        source=source,
        have=join(have),
        instead=instead,
    )


def suggestion(variant: str, release: str) -> str:
    """Appended to an explicit `compute:` that cannot work: a sentence of its own."""
    return _(". What would work: compute: {variant} (torch {release}), or compute: auto").format(
        variant=variant, release=release
    )


def default_index_fails(release: str, default: str | None, summary: str) -> str:
    return _("torch {release} from the default index is {default}: {summary}").format(
        release=release, default=default, summary=summary
    )


def default_index_nothing(rejected: list[str]) -> str:
    return _(
        "torch_index: default: no torch release on the default index runs here ({rejected}); "
        "use torch_index: auto to get a matching build from PyTorch's index"
    ).format(rejected=_joined(rejected))


def auto_would(better: tuple[str, str] | None, newer: bool) -> str:
    if better is None:
        return _("torch_index: auto finds nothing newer that runs here either")
    if not newer:
        return _("torch_index: auto would not give a newer torch")
    return _("torch_index: auto would give torch {release} {variant} from PyTorch's index").format(
        release=better[0], variant=better[1]
    )


def nothing_installs(gates: list[str]) -> str:
    return _("no torch build installs here: {gates}").format(gates=_joined(gates))


def nothing_runs(failures: list[str]) -> str:
    return _("no torch build runs here: {failures}").format(failures=_joined(failures))


def more_fail(count: int) -> str:
    return ngettext(
        "… and {count} more newer release fails too",
        "… and {count} more newer releases fail too",
        count,
    ).format(count=count)


def cpu_because(first: str) -> str:
    return _("no GPU build runs here, so the CPU build: {reason}").format(reason=first)


def default_index_serves(release: str, platform: str, variant: str, cuda_without_gpu: bool) -> str:
    if cuda_without_gpu:
        return _(
            "torch_index: default: the installer's configured index and wheel folders decide "
            "which build arrives; PyTorch's default wheel for torch {release} on {platform} is "
            "the {variant} build (it runs on the CPU too, but is several GB), but a mirror or "
            "wheel folder may serve another; verification records the build that was installed"
        ).format(release=release, platform=platform, variant=variant)
    return _(
        "torch_index: default: the installer's configured index and wheel folders decide which "
        "build arrives; PyTorch's default wheel for torch {release} on {platform} is the "
        "{variant} build, but a mirror or wheel folder may serve another; verification records "
        "the build that was installed"
    ).format(release=release, platform=platform, variant=variant)


def jetson_miss(release: str, variant: str, summary: str) -> str:
    return _("the Jetson build (torch {release} {variant}) does not run here: {summary}").format(
        release=release, variant=variant, summary=summary
    )


def not_variant(variant: str, summary: str) -> str:
    return _("not {variant}: {summary}").format(variant=variant, summary=summary)


def not_experimental(variant: str, release: str) -> str:
    return _("not {variant}: experimental in torch {release}").format(
        variant=variant, release=release
    )


def experimental(variant: str, release: str) -> str:
    return _("{variant} builds of torch {release} are marked experimental").format(
        variant=variant, release=release
    )


def unused_by(gpu: str, kind: str) -> str:
    return _("{gpu} is not used by a {kind} build").format(gpu=gpu, kind=kind.upper())


def unused_cpu(gpus: list[str]) -> str:
    return _("{gpus} will not be used: this is a CPU build").format(gpus=join(gpus))


def driver_eol(gpu: str, branch: str, family: str, outlook: str) -> str:
    if outlook:
        return _(
            "{gpu}: R{branch} is NVIDIA's last driver branch for {family} GPUs; {outlook}"
        ).format(gpu=gpu, branch=branch, family=_(family), outlook=_(outlook))
    return _("{gpu}: R{branch} is NVIDIA's last driver branch for {family} GPUs").format(
        gpu=gpu, branch=branch, family=_(family)
    )


def rosetta() -> str:
    return _(
        "this Python runs under Rosetta as x86_64: an arm64 Python gets native wheels, newer "
        "torch releases and the Apple GPU"
    )


def macos_default_index() -> str:
    return _("on macOS the torch wheel comes from the default index")


def configured_index(variant: str, served: str | None, release: str) -> str:
    if served and served != variant:
        return _(
            "torch_index: default: the configured index must serve {variant} builds (the default "
            "index serves {served} for torch {release}); verification checks what arrived"
        ).format(variant=variant, served=served, release=release)
    return _(
        "torch_index: default: the configured index must serve {variant} builds; verification "
        "checks what arrived"
    ).format(variant=variant)


def intel_left_out(gpu: str) -> str:
    return _(
        "{gpu} is integrated graphics: PyTorch's XPU builds target Intel Arc, Flex and Max GPUs, "
        "so it does not count as an XPU device"
    ).format(gpu=gpu)


def amd_left_out(gpu: str) -> str:
    return _(
        "{gpu} is integrated graphics beside a discrete AMD GPU; it is left out of the kernel check"
    ).format(gpu=gpu)


def machine_line(
    gpus: list[tuple[str, bool]],
    driver: str | None,
    driver_cuda: str | None,
    python: str,
    platform: str,
    wsl: bool,
    glibc: str | None,
) -> str:
    """The first reason: what envwizard saw, in one line (a list of facts, one per clause)."""
    parts = [
        join(
            _("{gpu} (integrated)").format(gpu=label) if integrated else label
            for label, integrated in gpus
        )
        if gpus
        else _("no GPU found")
    ]
    if driver and driver_cuda:
        parts.append(
            _("NVIDIA driver {driver} (serves CUDA ≤ {cuda})").format(
                driver=driver, cuda=driver_cuda
            )
        )
    elif driver:
        parts.append(_("NVIDIA driver {driver}").format(driver=driver))
    if wsl:
        parts.append(
            _("Python {python} on {platform} (WSL)").format(python=python, platform=platform)
        )
    else:
        parts.append(_("Python {python} on {platform}").format(python=python, platform=platform))
    if glibc:
        parts.append(_("glibc {glibc}").format(glibc=glibc))
    return _joined(parts)


_BUILD_NAMES = {
    "cpu": N_("the CPU build"),
    "mps": N_("the macOS build with MPS (Apple GPU)"),
    "xpu": N_("the Intel XPU build"),
}


def chosen_line(
    release: str,
    kind: str,
    variant: str,
    arch_text: str,
    conda_forge: bool,
    vendor: str | None,
    covered: list[str],
) -> str:
    if kind in _BUILD_NAMES:
        what = _(_BUILD_NAMES[kind])
    elif kind == "rocm":
        what = variant
    else:
        what = _("{variant} ({archs})").format(variant=variant, archs=arch_text)
    if vendor is None:
        if conda_forge:
            return _("torch {release}, {build} from conda-forge").format(
                release=release, build=what
            )
        return _("torch {release}, {build}").format(release=release, build=what)
    if not covered:  # a GPU build from the default index on a machine without that GPU
        if conda_forge:
            return _(
                "torch {release} {build} from conda-forge: no {vendor} GPU here, so it runs on the CPU"
            ).format(release=release, build=what, vendor=vendor.upper())
        return _("torch {release} {build}: no {vendor} GPU here, so it runs on the CPU").format(
            release=release, build=what, vendor=vendor.upper()
        )
    if conda_forge:
        return _("torch {release} {build} from conda-forge: kernels for {gpus}").format(
            release=release, build=what, gpus=join(covered)
        )
    return _("torch {release} {build}: kernels for {gpus}").format(
        release=release, build=what, gpus=join(covered)
    )


def runs_here(arch_text: str) -> str:
    return _("runs here ({archs})").format(archs=arch_text)


def python_does_not_run(want: str, error: str) -> str:
    return _("python: {want} does not run: {error}").format(want=want, error=error)


def python_unknown(want: str) -> str:
    return _(
        "python: cannot tell which Python {want} is (it is not among the facts' interpreters); "
        "give a version such as '3.12' instead"
    ).format(want=want)


def companion_url(text: str, name: str, line: str) -> str:
    return _(
        "packages: {text} names a URL; envwizard pins {name} {line}.* from the index torch "
        "comes from, so drop the URL"
    ).format(text=repr(text), name=name, line=line)


def companion_mismatch(text: str, release: str, name: str, line: str) -> str:
    return _(
        "packages: {text} does not match torch {release}, which pairs with {name} {line}.*; "
        "drop the version and envwizard pins the matching one"
    ).format(text=repr(text), release=release, name=name, line=line)
