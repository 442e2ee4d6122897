"""The torch build decision over every GPU generation, driver, OS and Python that matters.

Facts are built in code from the schema-1 keys only (plus `os.jetson_l4t` for the Jetson), so
these are exactly the machines a `plan --facts` file can describe. The expected outcomes come
from the knowledge file's primary sources; every successful decision is also checked against the four
checks themselves (see `assert_sound`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from envwizard.core.errors import ImpossibleRequest, InvalidInput
from envwizard.core.notes import Note
from envwizard.core.versions import vkey
from envwizard.decide.decision import CHECKS, Decider, Decision, decide
from envwizard.facts.load import facts_from_dict
from envwizard.facts.model import Facts
from envwizard.knowledge import load
from envwizard.settings.answers import validate

KB = load()
NEWEST = KB.releases[0].version  # "2.14" as of the data file
PYTORCH_INDEX = KB.index_pattern.split("{")[0]


# ---- machines --------------------------------------------------------------------------------


def machine(
    *gpus: dict[str, Any],
    system: str = "Linux",
    arch: str = "x86_64",
    glibc: str | None = "2.35",
    python: str = "3.11.9",
    driver: str | None = None,
    wsl: bool = False,
    macos: str | None = None,
    **os_extra: Any,
) -> Facts:
    """Schema-1 facts for one machine."""
    data = {
        "schema": 1,
        "os": {"system": system, "machine": arch, "glibc": glibc, "wsl": wsl}
        | {"macos_version": macos, **os_extra},
        "python": {"version": python, "executable": "/usr/bin/python3"},
        "gpus": list(gpus),
        "nvidia_driver": driver,
    }
    return facts_from_dict(json.loads(json.dumps(data)))


def nv(name: str, cc: str | None, mib: int = 24576) -> dict[str, Any]:
    return {"vendor": "nvidia", "name": name, "memory_mib": mib, "compute_capability": cc}


def amd(name: str, gfx: str | None, integrated: bool = False) -> dict[str, Any]:
    return {"vendor": "amd", "name": name, "memory_mib": 16384, "arch": gfx} | {
        "integrated": integrated
    }


def intel(name: str, integrated: bool) -> dict[str, Any]:
    return {"vendor": "intel", "name": name, "memory_mib": None, "integrated": integrated}


def apple(name: str = "Apple M2") -> dict[str, Any]:
    return {"vendor": "apple", "name": name, "memory_mib": 16384, "integrated": True}


def mac(version: str, *gpus: dict[str, Any], arch: str = "arm64") -> Facts:
    return machine(*gpus, system="Darwin", arch=arch, glibc=None, macos=version)


def windows(*gpus: dict[str, Any], driver: str | None = None) -> Facts:
    return machine(*gpus, system="Windows", arch="AMD64", glibc=None, driver=driver)


K80 = nv("Tesla K80", "3.7", 12288)
M40 = nv("Tesla M40", "5.2")
GTX1080 = nv("NVIDIA GeForce GTX 1080", "6.1", 8192)
V100 = nv("Tesla V100-SXM2-32GB", "7.0", 32768)
T4 = nv("Tesla T4", "7.5", 15360)
A100 = nv("NVIDIA A100-SXM4-80GB", "8.0", 81920)
RTX3090 = nv("NVIDIA GeForce RTX 3090", "8.6")
RTX4090 = nv("NVIDIA GeForce RTX 4090", "8.9")
H100 = nv("NVIDIA H100 80GB HBM3", "9.0", 81559)
H200 = nv("NVIDIA H200", "9.0", 143771)
GH200 = nv("NVIDIA GH200 480GB", "9.0", 97871)
B200 = nv("NVIDIA B200", "10.0", 183359)
RTX5090 = nv("NVIDIA GeForce RTX 5090", "12.0", 32607)
GB10 = nv("NVIDIA GB10", "12.1", 122502)
ORIN = nv("Orin", "8.7", 62841)
XAVIER = nv("Xavier", "7.2", 31920)
THOR = nv("NVIDIA Thor", "11.0", 125772)


def jetson(gpu: dict[str, Any], l4t: str, python: str = "3.10.12", **extra: Any) -> Facts:
    """A Jetson as its probe sees it: aarch64, the OS's own Python, L4T from nv_tegra_release."""
    return machine(gpu, arch="aarch64", python=python, jetson_l4t=l4t, **extra)


FUTURE = nv("A future GPU with no SASS in any wheel", "13.0")
MI300X = amd("AMD Instinct MI300X", "gfx942")
RX7900 = amd("AMD Radeon RX 7900 XTX", "gfx1100")
RX6700 = amd("AMD Radeon RX 6700 XT", "gfx1031")
STRIX = amd("AMD Radeon 8060S", "gfx1151", integrated=True)
RAPHAEL = amd("AMD Radeon Graphics (Raphael)", "gfx1036", integrated=True)
RX7800 = amd("AMD Radeon RX 7800 XT", "gfx1101")
MI50 = amd("AMD Instinct MI50", "gfx906")
RADEON780M = amd("AMD Radeon 780M", "gfx1103", integrated=True)
UHD770 = intel("Intel(R) UHD Graphics 770", integrated=True)
ARC = intel("Intel(R) Arc(TM) A770 Graphics", integrated=False)

R470 = "470.256.02"
R535 = "535.183.01"
R570 = "570.86.15"
R580 = "580.95.05"
R595 = "595.45.04"


def choose(facts: Facts, **answers: Any) -> Decision:
    return decide(facts, validate({"env": "/tmp/envwizard-test-env", **answers}), KB)


def refuse(facts: Facts, **answers: Any) -> str:
    with pytest.raises(ImpossibleRequest) as e:
        choose(facts, **answers)
    return str(e.value)


# ---- the invariants every decision must satisfy -------------------------------------------


def assert_sound(facts: Facts, d: Decision, **answers: Any) -> None:
    """Reasons are human, the chosen build passes all four checks, and nothing newer does."""
    a = validate({"env": "/tmp/envwizard-test-env", **answers})
    dec = Decider(facts, a, KB)
    assert d.reasons and all(isinstance(r, str) and r.strip() for r in d.reasons)
    for text in d.reasons + [w.text for w in d.warnings]:
        assert "None" not in text and "{" not in text and "Check(" not in text, text
    rel = KB.release(d.release)
    builds = KB.builds_for(d.release, dec.platform, d.source)
    if d.variant == "default":
        chosen = next(b for b in builds if b.kind == d.kind)
    else:
        chosen = next(b for b in builds if b.variant == d.variant)
    cand = dec.evaluate(chosen)
    if d.variant != "default":  # the default wheel may be a CUDA one on a GPU-less box
        assert cand.ok, cand.summary()
        assert [c.name for c in cand.checks] == list(CHECKS)
    assert d.torch in (f"{rel.version}.*", *[s.version for s in a.torch_specifier])
    assert d.requirement.startswith("torch")
    if answers.get("compute", "auto") != "auto" or answers.get("torch_index") == "default":
        return
    # Newer variants of the same kind in this release: each is named with the failing check.
    for b in builds:
        if b.kind == chosen.kind and b.cuda and chosen.cuda and vkey(b.cuda) > vkey(chosen.cuda):
            c = dec.evaluate(b)
            if not c.ok:
                line = next(r for r in d.reasons if r.startswith(f"not {b.variant}: "))
                assert any(f"{f.name}: " in line for f in c.failures), line
    # No newer release in the specifier has an accelerated build that passes all four checks.
    kinds = dec.accelerated_kinds() if chosen.kind != "cpu" else [*dec.accelerated_kinds(), "cpu"]
    for newer in KB.releases:
        if vkey(newer.version) <= vkey(rel.version) or not a.torch_specifier.contains(
            f"{newer.version}.0"
        ):
            continue
        for b in KB.builds_for(newer.version, dec.platform, d.source):
            if b.kind in kinds:
                assert not dec.evaluate(b).ok, f"torch {newer.version} {b.variant} would run"


# ---- the table -------------------------------------------------------------------------------

CASES = [
    # NVIDIA, generation by generation.
    # cu118 of torch 2.4-2.7 still carries sm_37, but ships cuDNN 9, whose support matrix
    # starts at SM 5.0: https://docs.nvidia.com/deeplearning/cudnn/backend/v9.0.0/reference/support-matrix.html
    ("kepler-k80-470", machine(K80, driver=R470), {}, "cu118", "2.3"),
    ("maxwell-m40-580", machine(M40, driver=R580), {}, "cu126", NEWEST),
    ("pascal-1080-580", machine(GTX1080, driver=R580), {}, "cu126", NEWEST),
    ("pascal-1080-535", machine(GTX1080, driver=R535), {}, "cu126", NEWEST),
    ("volta-v100-580", machine(V100, driver=R580), {}, "cu126", NEWEST),
    ("turing-t4-580", machine(T4, driver=R580), {}, "cu132", NEWEST),
    ("turing-t4-535", machine(T4, driver=R535), {}, "cu126", NEWEST),
    ("ampere-a100-580", machine(A100, driver=R580), {}, "cu132", NEWEST),
    ("ampere-3090-535", machine(RTX3090, driver=R535), {}, "cu126", NEWEST),
    ("ada-4090-580", machine(RTX4090, driver=R580), {}, "cu132", NEWEST),
    ("hopper-h100-580", machine(H100, driver=R580), {}, "cu132", NEWEST),
    ("hopper-h200-590", machine(H200, driver="590.48.01"), {}, "cu132", NEWEST),
    ("blackwell-b200-580", machine(B200, driver=R580), {}, "cu132", NEWEST),
    ("blackwell-b200-570", machine(B200, driver=R570), {}, "cu128", "2.11"),
    ("blackwell-5090-570", machine(RTX5090, driver=R570), {}, "cu128", "2.11"),
    ("blackwell-5090-580", machine(RTX5090, driver=R580), {}, "cu132", NEWEST),
    ("gb10-aarch64", machine(GB10, arch="aarch64", driver=R580), {}, "cu132", NEWEST),
    ("gh200-sbsa-580", machine(GH200, arch="aarch64", driver=R580), {}, "cu132", NEWEST),
    ("gh200-sbsa-535", machine(GH200, arch="aarch64", driver=R535), {}, "cu126", NEWEST),
    # Old drivers and the 12.x boundary.
    ("3090-470", machine(RTX3090, driver=R470), {}, "cu118", "2.7"),
    ("3090-525.60.13", machine(RTX3090, driver="525.60.13"), {}, "cu126", NEWEST),
    ("3090-525.60.12", machine(RTX3090, driver="525.60.12"), {}, "cu118", "2.7"),
    ("4090-driver-unknown", machine(RTX4090, driver=None), {}, "cpu", NEWEST),
    ("mixed-1080-4090", machine(GTX1080, RTX4090, driver=R580), {}, "cu126", NEWEST),
    # PTX only: a GPU newer than every SASS entry; PTX needs a driver serving the wheel's CUDA.
    ("ptx-580", machine(FUTURE, driver=R580), {}, "cu130", NEWEST),
    ("ptx-595", machine(FUTURE, driver=R595), {}, "cu132", NEWEST),
    ("ptx-570", machine(FUTURE, driver=R570), {}, "cu128", "2.7"),
    # AMD.
    ("mi300x", machine(MI300X), {}, "rocm7.14", NEWEST),
    ("mi300x-before-2.14", machine(MI300X), {"torch": "<2.14"}, "rocm7.2", "2.13"),
    ("7900xtx", machine(RX7900), {}, "rocm7.14", NEWEST),
    ("6700xt-gfx1031", machine(RX6700), {}, "cpu", NEWEST),
    ("strix-halo-apu", machine(STRIX), {}, "rocm7.14", NEWEST),
    ("strix-halo-2.13", machine(STRIX), {"torch": "==2.13.*"}, "rocm7.2", "2.13"),
    # gfx1150/gfx1151 and gfx950 in every ROCm build from 2.10 (pytorch#167299, 2025-11-07)
    ("strix-halo-2.10", machine(STRIX), {"torch": "<2.11"}, "rocm7.1", "2.10"),
    ("strix-halo-before-2.10", machine(STRIX), {"torch": "<2.10"}, "cpu", "2.9"),
    ("igpu-beside-dgpu", machine(RAPHAEL, RX7900), {}, "rocm7.14", NEWEST),
    # ROCm gfx lists are per release. pytorch/builder release/2.3 (ba10bae9) and release/2.2
    # (af60d114) manywheel/build_docker.sh: gfx942 only for ROCm >= 6.0, so MI300X has kernels in
    # 2.3's rocm6.0 and none in 2.2 (rocm5.6/5.7).
    ("mi300x-2.3", machine(MI300X), {"torch": "==2.3.*"}, "rocm6.0", "2.3"),
    ("mi300x-2.2", machine(MI300X), {"torch": "==2.2.*"}, "cpu", "2.2"),
    # builder release/2.4 (4ce1afeb): rocm6.1 carries no gfx1101 in 2.4 (uv measured it later).
    ("7800xt-2.4", machine(RX7800), {"torch": "==2.4.*"}, "cpu", "2.4"),
    # gfx1101 reached the wheels with pytorch#141667 (2024-12-04): 2.6 on, not 2.5.
    ("7800xt-2.5", machine(RX7800), {"torch": "==2.5.*"}, "cpu", "2.5"),
    ("7800xt-2.6", machine(RX7800), {"torch": "==2.6.*"}, "rocm6.2.4", "2.6"),
    # pytorch main @027375bf .ci/docker/manywheel/build.sh (2.14 candidate era): ROCm 7.14 drops
    # gfx900/gfx906 (MI50 falls back to 2.14's rocm7.2) and both 2.14 builds add gfx1103 (780M).
    ("mi50-gfx906", machine(MI50), {}, "rocm7.2", NEWEST),
    ("radeon-780m-gfx1103", machine(RADEON780M), {}, "rocm7.14", NEWEST),
    # gfx1103 landed (pytorch#179653) around the 2.12 cut: credited from 2.13 only.
    ("radeon-780m-2.13", machine(RADEON780M), {"torch": "==2.13.*"}, "rocm7.2", "2.13"),
    ("radeon-780m-2.12", machine(RADEON780M), {"torch": "==2.12.*"}, "cpu", "2.12"),
    ("amd-on-wsl", machine(RX7900, wsl=True), {}, "cpu", NEWEST),
    # Intel.
    ("intel-uhd770", machine(UHD770), {}, "cpu", NEWEST),
    ("intel-arc-a770", machine(ARC), {}, "xpu", NEWEST),
    ("uhd770-beside-4090", machine(UHD770, RTX4090, driver=R580), {}, "cu132", NEWEST),
    # Apple.
    ("macos14-arm64", mac("14.5", apple()), {}, "mps", NEWEST),
    # MPS floor: 14.0 from 2.9 (https://github.com/pytorch/pytorch/pull/162921), 13.0 for 2.5-2.8
    # (https://github.com/pytorch/pytorch/pull/133141), 12.3 before: a Ventura Mac keeps its GPU
    # on 2.8, and the Monterey Mac of https://github.com/pytorch/pytorch/issues/139425 (macOS
    # 12.7.6, refused by 2.5.1) on 2.4.
    ("macos13-arm64", mac("13.6", apple()), {}, "mps", "2.8"),
    ("macos12-arm64", mac("12.7.6", apple()), {}, "mps", "2.4"),
    (
        "intel-mac-conda-forge",
        mac("13.6", arch="x86_64"),
        {"torch_source": "conda-forge", "manager": "conda"},
        "cpu",
        "2.13",
    ),
    # Windows and WSL: the Windows driver thresholds.
    ("windows-4090-528.33", windows(RTX4090, driver="528.33"), {}, "cu126", NEWEST),
    ("windows-4090-528.24", windows(RTX4090, driver="528.24"), {}, "cu118", "2.7"),
    ("linux-4090-528.24", machine(RTX4090, driver="528.24"), {}, "cu126", NEWEST),
    ("windows-4090-581", windows(RTX4090, driver="581.57"), {}, "cu132", NEWEST),
    ("windows-ptx-only", windows(FUTURE, driver="600.10"), {}, "cu129", "2.8"),
    ("wsl-4090-528.24", machine(RTX4090, driver="528.24", wsl=True), {}, "cu118", "2.7"),
    ("wsl-4090-581", machine(RTX4090, driver="581.57", wsl=True), {}, "cu132", NEWEST),
    ("windows-cpu", windows(), {}, "cpu", NEWEST),
    # Jetson: PyTorch's SBSA wheels do not fit L4T.
    ("jetson-orin-py311", machine(ORIN, arch="aarch64", jetson_l4t="36.4.7"), {}, "cpu", NEWEST),
    # JetPack 6 (L4T 36.4): NVIDIA's Jetson index, jp6/cu126, built for sm_87 and Python 3.10
    ("jetson-orin-jp6", jetson(ORIN, "36.4.7"), {}, "cu126", "2.11"),
    ("jetson-orin-jp6-kernel-only", jetson(ORIN, "36"), {}, "cu126", "2.11"),
    # JetPack 6.0 (L4T 36.3) has CUDA 12.4; the jp6/cu126 wheels are for 36.4 and newer
    ("jetson-orin-jp6.0", jetson(ORIN, "36.3.0"), {}, "cpu", NEWEST),
    # JetPack 5 (L4T 35, CUDA 11.4, Ubuntu 20.04's Python 3.8): jp5/cu114's torch 2.2
    ("jetson-xavier-jp5", jetson(XAVIER, "35.4.1", python="3.8.10"), {}, "cu114", "2.2"),
    # JetPack 7 (L4T 38, CUDA 13.0): Thor runs PyTorch's own aarch64 cu130 (sm_110); cu132 needs
    # CUDA 13.2 and cu128 has no sm_110; its Tegra driver reports 580.00
    ("jetson-thor-jp7", jetson(THOR, "38.2.0", "3.12.3", driver="580.00"), {}, "cu130", NEWEST),
    ("jetson-thor-jp7-2.9", jetson(THOR, "38.2.0", "3.12.3"), {"torch": "==2.9.*"}, "cu130", "2.9"),
    ("jetson-thor-jp7-2.8", jetson(THOR, "38.2.0", "3.12.3"), {"torch": "==2.8.*"}, "cpu", "2.8"),
    # JetPack 7.2 (L4T 39, CUDA 13.2) brings Orin onto the SBSA stack: sm_80 cubins run on 8.7
    ("jetson-orin-jp7.2", jetson(ORIN, "39.2.0", "3.12.3"), {}, "cu132", NEWEST),
    ("jetson-orin-l4t38", jetson(ORIN, "38.2.0", "3.12.3"), {}, "cpu", NEWEST),
    # glibc and Python at both ends of the windows.
    # glibc per release and variant: 2.6 kept cpu/cu118/cu124 on manylinux2014 (pytorch#141565)
    ("glibc-2.17-cpu", machine(glibc="2.17"), {}, "cpu", "2.6"),
    ("glibc-2.17-4090", machine(RTX4090, glibc="2.17", driver=R580), {}, "cu124", "2.6"),
    ("glibc-2.27-1080", machine(GTX1080, glibc="2.27", driver=R580), {}, "cu124", "2.6"),
    ("glibc-2.17-aarch64", machine(glibc="2.17", arch="aarch64"), {}, "cpu", "2.5"),
    ("glibc-unknown", machine(glibc=None), {}, "cpu", NEWEST),
    ("python-3.8", machine(RTX4090, python="3.8.18", driver=R580), {}, "cu124", "2.4"),
    ("python-3.9", machine(RTX4090, python="3.9.18", driver=R580), {}, "cu129", "2.8"),
    ("python-3.10", machine(RTX4090, python="3.10.14", driver=R580), {}, "cu132", NEWEST),
    ("python-3.14", machine(RTX4090, python="3.14.0", driver=R580), {}, "cu132", NEWEST),
    ("python-3.15", machine(python="3.15.0"), {}, "cpu", NEWEST),
    ("python-3.15-2.13", machine(python="3.15.0"), {"torch": "<2.14"}, "cpu", "2.13"),
    # Specifiers, explicit requests, indexes and sources.
    ("narrowed", machine(RTX4090, driver=R580), {"torch": ">=2.5,<2.9"}, "cu129", "2.8"),
    ("experimental-skipped", machine(RTX4090, driver=R580), {"torch": "==2.13.*"}, "cu130", "2.13"),
    ("explicit-cu126", machine(RTX4090, driver=R580), {"compute": "cu126"}, "cu126", NEWEST),
    ("explicit-cpu", machine(RTX4090, driver=R580), {"compute": "cpu"}, "cpu", NEWEST),
    ("explicit-cu128-volta", machine(V100, driver=R580), {"compute": "cu128"}, "cu128", "2.10"),
    ("explicit-rocm6.4", machine(RX7900), {"compute": "rocm6.4"}, "rocm6.4", "2.9"),
    ("explicit-cu132-exp", machine(RTX4090, driver=R580), {"compute": "cu132", "torch": "==2.13.*"}, "cu132", "2.13"),
    ("default-index-pascal", machine(GTX1080, driver=R580), {"torch_index": "default"}, "default", "2.7"),
    ("default-index-4090", machine(RTX4090, driver=R580), {"torch_index": "default"}, "default", NEWEST),
    ("default-index-no-gpu", machine(), {"torch_index": "default"}, "default", NEWEST),
    ("default-index-windows", windows(RTX4090, driver="581.57"), {"torch_index": "default"}, "default", NEWEST),
    ("default-index-macos13", mac("13.6", apple()), {"torch_index": "default"}, "default", NEWEST),
    ("mirror-index", machine(GTX1080, driver=R580), {"torch_index": "https://mirror.example/pytorch/whl/"}, "cu126", NEWEST),
    ("conda-forge-1080", machine(GTX1080, driver=R580), {"torch_source": "conda-forge", "manager": "conda"}, "cu129", "2.13"),
    ("conda-forge-4090", machine(RTX4090, driver=R580), {"torch_source": "conda-forge", "manager": "mamba"}, "cu130", "2.13"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("facts", "answers", "variant", "release"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_decision_table(facts: Facts, answers: dict[str, Any], variant: str, release: str) -> None:
    d = choose(facts, **answers)
    assert (d.variant, d.release) == (variant, release), d.reasons
    assert_sound(facts, d, **answers)


def test_determinism() -> None:
    facts = machine(GTX1080, RTX4090, driver=R580)
    first = json.dumps(choose(facts, packages=["torchvision"]).to_dict(), sort_keys=True)
    for _ in range(3):
        assert (
            json.dumps(choose(facts, packages=["torchvision"]).to_dict(), sort_keys=True) == first
        )


# ---- what the reasons say ----------------------------------------------------------------------


def joined(d: Decision) -> str:
    return "\n".join(d.reasons)


def test_pascal_on_r580_is_the_anchors_trap() -> None:
    d = choose(machine(GTX1080, driver=R580))
    text = joined(d)
    # The driver alone would allow cu130; the kernel check is what says no.
    assert (
        "not cu130: kernels: GeForce GTX 1080 (sm_61): cu130 builds of torch 2.14 start at sm_75"
        in text
    )
    assert "driver:" not in text
    assert d.index_url == PYTORCH_INDEX + "cu126"
    assert any("R580" in w and "2.15" in w for w in texts(d.warnings))
    assert d.expect == {
        "device": "cuda",
        "compute_capabilities": ["6.1"],
        "cuda": "12.6",
        "gpus": 1,
    }


def test_pascal_on_r535_names_both_checks() -> None:
    text = joined(choose(machine(GTX1080, driver=R535)))
    line = next(r for r in text.splitlines() if r.startswith("not cu130: "))
    assert "driver: CUDA 13.x needs driver 580.65.06 or newer; found 535.183.01" in line
    assert "kernels:" in line  # a new driver alone would not help


def test_kepler_explains_driver_and_kernels() -> None:
    d = choose(machine(K80, driver=R470))
    text = joined(d)
    assert "torch 2.14: " in text and "start at sm_50" in text and "found 470.256.02" in text
    assert "more newer releases fail too" in text
    assert any("R470" in w and "Kepler" in w for w in texts(d.warnings))


def test_blackwell_on_r570_says_why_not_newer() -> None:
    text = joined(choose(machine(RTX5090, driver=R570)))
    assert "torch 2.14: cu132/cu130: driver: CUDA 13.x needs driver 580.65.06 or newer" in text
    assert "cu126: kernels: GeForce RTX 5090 (sm_120): cu126 builds of torch 2.14 carry" in text
    assert "not cu130: driver:" in text


def test_gb10_runs_sm120_cubins() -> None:
    d = choose(machine(GB10, arch="aarch64", driver=R580))
    assert d.expect["compute_capabilities"] == ["12.1"]
    assert "aarch64" in joined(d)
    assert "PTX" not in " ".join(d.reasons[1:]).replace("(+PTX 12.0)", "")


def test_driver_unknown_falls_back_to_cpu_with_a_reason() -> None:
    d = choose(machine(RTX4090, driver=None))
    assert "the NVIDIA driver version is unknown" in joined(d)
    assert d.expect["device"] == "cpu"
    assert any("will not be used" in w for w in texts(d.warnings))


def test_ptx_driver_rule() -> None:
    text = joined(choose(machine(FUTURE, driver=R580)))
    assert "runs cu130's PTX 12.0, JIT-compiled on first use" in text
    assert "not cu132: kernels:" in text and "needs a driver serving CUDA 13.2" in text
    msg = refuse(machine(FUTURE, driver=R570), compute="cu129")
    assert (
        "covered only by PTX, which needs a driver serving CUDA 12.9; this driver serves 12.8"
        in msg
    )


def test_cuda_driver_fact_overrides_the_table() -> None:
    facts = machine(FUTURE, driver=R580)
    facts.cuda_driver = "13.2"  # e.g. a driver newer than envwizard's table knows
    assert choose(facts).variant == "cu132"


def test_amd_gfx1031_has_no_kernels_and_says_so() -> None:
    d = choose(machine(RX6700))
    text = joined(d)
    assert "no GPU build runs here" in text and "no gfx1031 kernels" in text
    assert "kernels:" in text
    assert any("Radeon RX 6700 XT" in w and "will not be used" in w for w in texts(d.warnings))


def test_desktop_igpu_is_left_out_beside_the_dgpu() -> None:
    d = choose(machine(RAPHAEL, RX7900))
    assert "left out of the kernel check" in joined(d)
    assert d.expect["gfx"] == ["gfx1100"] and d.expect["gpus"] == 1


def test_intel_igpu_is_not_an_xpu() -> None:
    d = choose(machine(UHD770))
    text = joined(d)
    assert "UHD Graphics 770 is integrated graphics" in text and "XPU" in text
    assert d.warnings == []  # nothing that could have been used is left unused
    assert "integrated graphics" in refuse(machine(UHD770), compute="xpu")


def test_arc_gets_xpu_from_pytorchs_index() -> None:
    d = choose(machine(ARC))
    assert d.index_url == PYTORCH_INDEX + "xpu"
    assert d.expect == {"device": "xpu", "gpus": 1}


def test_macos_uses_the_default_wheel() -> None:
    d = choose(mac("14.5", apple()))
    assert d.index_url is None and d.expect["device"] == "mps"
    assert "default index" in joined(d)
    old = choose(mac("13.6", apple()))
    assert old.index_url is None and old.release == "2.8"
    assert "MPS needs macOS 14.0 or newer; this is 13.6" in joined(old)
    assert "platform" in refuse(mac("13.6", apple()), compute="mps", torch=">=2.9")


def test_intel_mac_plans_its_last_release_with_its_pins() -> None:
    # https://github.com/pytorch/pytorch/issues/161614 (Intel Mac, "from versions: ... 2.2.2");
    # numpy<2: https://github.com/PrincetonUniversity/PsyNeuLink/pull/3232
    d = choose(mac("13.6", arch="x86_64"))
    assert (d.variant, d.release, d.index_url) == ("cpu", "2.2", None)
    assert "numpy<2" in d.companions
    assert "torch 2.2 needs numpy<2 beside it today" in joined(d)
    msg = refuse(mac("13.6", arch="x86_64"), torch=">=2.3")
    assert "2.2.2" in msg and "torch_source: conda-forge" in msg
    d = choose(mac("13.6", arch="x86_64"), torch_source="conda-forge", manager="micromamba")
    assert d.source == "conda-forge" and d.index_url is None


def test_rosetta_is_named() -> None:
    rosetta = machine(system="Darwin", arch="x86_64", glibc=None, macos="14.5", rosetta=True)
    assert "an arm64 Python gets native wheels" in joined(choose(rosetta))
    assert "Rosetta" in refuse(rosetta, torch=">=2.3")


def test_windows_thresholds_and_no_windows_ptx() -> None:
    text = joined(choose(windows(RTX4090, driver="528.24")))
    assert "CUDA 12.x needs Windows driver 528.33 or newer; found 528.24" in text
    ptx = joined(choose(windows(FUTURE, driver="600.10")))
    assert "cu132/cu130: kernels:" in ptx  # no PTX in Windows cu130/cu132 wheels
    assert choose(machine(FUTURE, driver="600.10")).variant == "cu132"  # Linux has it


def test_wsl_uses_windows_driver_thresholds() -> None:
    d = choose(machine(RTX4090, driver="528.24", wsl=True))
    assert "Windows driver 528.33" in joined(d) and "(WSL)" in d.reasons[0]
    assert "ROCm" in joined(choose(machine(RX7900, wsl=True)))


def test_jetson_refuses_pip_cuda_and_explains() -> None:
    facts = machine(ORIN, arch="aarch64", jetson_l4t="36.4.7")
    text = joined(choose(facts))
    assert "Jetson (L4T 36.4.7)" in text and "SBSA" in text and "conda-forge" in text
    msg = refuse(facts, compute="cu126")
    assert "platform check" in msg and "L4T" in msg and "driver check" not in msg


def test_jetson_gets_nvidias_jetson_index_and_says_why() -> None:
    d = choose(jetson(ORIN, "36.4.7"), packages=["torchvision"])
    assert d.index_url == "https://pypi.jetson-ai-lab.io/jp6/cu126" and d.index_owner == "jetson"
    assert d.companions == ["torchvision==0.26.*"]
    text = joined(d)
    assert "torch for JetPack 6 comes from NVIDIA's Jetson index" in text
    assert "the driver comes with L4T 36.4.7, which serves CUDA 12.6" in text
    # a Python the Jetson wheels are not built for falls back to the CPU build, and says so
    cpu = choose(machine(ORIN, arch="aarch64", jetson_l4t="36.4.7"), torch="==2.11.*")
    assert "made for Python 3.10; this is Python 3.11" in joined(cpu)
    # the Jetson builds are for Jetsons only: a GB10 never sees them
    assert choose(machine(GB10, arch="aarch64", driver="580.95.05")).index_owner == "pytorch"


def test_jetson_driver_numbers_are_not_desktop_numbers() -> None:
    # Jetson Thor's nvidia-smi says 580.00 (vllm-project/vllm#34470); the desktop floor for
    # CUDA 13 is 580.65.06, which would refuse every CUDA 13 build.
    d = choose(jetson(THOR, "38.2.0", "3.12.3", driver="580.00"))
    assert d.variant == "cu130" and "580.65.06" not in joined(d)
    assert "this Jetson's L4T 38.2.0 serves CUDA 13.0; cu132 builds need CUDA 13.2" in joined(d)


def test_glibc_older_than_every_wheel() -> None:
    msg = refuse(machine(glibc="2.12"))
    assert (
        msg
        == "no torch build installs here: glibc 2.12: torch 2.2–2.14 wheels need glibc 2.17/2.28 or newer"
    )
    assert refuse(machine(glibc="2.12"), torch_index="default") == msg


def test_old_glibc_is_summarised_once() -> None:
    d = choose(machine(glibc="2.17"))
    assert "glibc 2.17: torch 2.7–2.14 wheels need glibc 2.28 or newer" in d.reasons
    assert sum("glibc 2.28" in r for r in d.reasons) == 1


def test_old_glibc_says_which_variant_of_the_release_needs_more() -> None:
    d = choose(machine(RTX4090, glibc="2.17", driver=R580))
    assert (
        "not cu126: wheel: torch 2.6 cu126 wheels need glibc 2.28 or newer (manylinux_2_28); "
        "this system has 2.17" in d.reasons
    )
    msg = refuse(machine(RTX4090, glibc="2.17", driver=R580), compute="cu126")
    assert "torch 2.6 cu126 wheels need glibc 2.28 or newer" in msg


@pytest.mark.parametrize(
    ("python", "line"),
    [
        ("3.8.18", "Python 3.8: torch 2.5–2.14 publish no wheels for it on linux-x86_64"),
        ("3.9.18", "Python 3.9: torch 2.9–2.14 publish no wheels for it on linux-x86_64"),
    ],
)
def test_python_window_is_explained(python: str, line: str) -> None:
    assert line in choose(machine(RTX4090, python=python, driver=R580)).reasons


def test_python_3_15_experimental_wheels_are_noted() -> None:
    # test-infra@00fa5780c: 3.15 wheels are torch-only and absent from "release" in 2.14 too
    assert "Python 3.15 wheels of torch 2.14 are experimental" in joined(
        choose(machine(python="3.15.0"))
    )
    assert "Python 3.15 wheels of torch 2.13 are experimental" in joined(
        choose(machine(python="3.15.0"), torch="<2.14")
    )


def test_python_outside_every_window_lists_what_works() -> None:
    msg = refuse(machine(python="3.7.16"))
    assert "Python 3.7.16 is outside every torch release's window" in msg
    assert "torch 2.2–2.4 support Python 3.8–3.12" in msg
    assert "torch 2.9–2.14 support Python 3.10–3.14" in msg
    msg = refuse(machine(python="3.15.0"), torch="<2.13")
    assert "3.15" in msg and "3.10–3.14" in msg


def test_requested_python_version_without_interpreter() -> None:
    # "3.12" not among the facts: the tool (uv, conda) provides it; the decision uses it.
    d = choose(machine(RTX4090, python="3.11.9", driver=R580), python="3.9")
    assert (d.python, d.release) == ("3.9", "2.8")


def test_python_path_must_be_known() -> None:
    with pytest.raises(InvalidInput, match="give a version such as"):
        choose(machine(), python="/opt/py/bin/python3")


def test_explicit_request_that_fails_names_the_check_and_what_works() -> None:
    msg = refuse(machine(GTX1080, driver=R580), compute="cu130")
    assert "compute: 'cu130' cannot run here: kernels check: " in msg
    assert "start at sm_75" in msg
    assert "What would work: compute: cu126 (torch 2.14), or compute: auto" in msg


def test_explicit_request_names_the_driver_check() -> None:
    msg = refuse(machine(RTX4090, driver=R535), compute="cu130")
    assert "driver check: CUDA 13.x needs driver 580.65.06 or newer; found 535.183.01" in msg
    assert "compute: cu126" in msg


def test_explicit_older_release_says_why_not_newer() -> None:
    d = choose(machine(V100, driver=R580), compute="cu128")
    assert any(r.startswith("torch 2.11 cu128: kernels:") for r in d.reasons)


def test_explicit_request_outside_the_python_window() -> None:
    msg = refuse(machine(RTX4090, python="3.9.18", driver=R580), compute="cu130")
    assert "Python 3.9: torch 2.9–2.14 publish no wheels for it on linux-x86_64" in msg


def test_explicit_variant_missing_on_this_platform() -> None:
    msg = refuse(machine(), compute="mps")
    assert "no torch release matching any version has a mps build for linux-x86_64" in msg
    assert "cu126" in msg


def test_explicit_cuda_without_nvidia_gpu() -> None:
    assert "no NVIDIA GPU was found" in refuse(machine(), compute="cu126")


def test_explicit_cpu_on_a_gpu_box_warns() -> None:
    d = choose(machine(RTX4090, driver=R580), compute="cpu")
    assert d.expect["device"] == "cpu"
    assert any("GeForce RTX 4090" in w and "will not be used" in w for w in texts(d.warnings))


def test_experimental_variants_are_skipped_but_may_be_requested() -> None:
    d = choose(machine(RTX4090, driver=R580), torch="==2.13.*")
    assert "not cu132: experimental in torch 2.13" in d.reasons
    d = choose(machine(RTX4090, driver=R580), torch="==2.13.*", compute="cu132")
    assert any("experimental" in w for w in texts(d.warnings))


def test_specifier_narrowing_and_pins() -> None:
    d = choose(machine(RTX4090, driver=R580), torch=">=2.5,<2.9")
    assert d.torch == "2.8.*"
    assert d.requirement == "torch<2.9,==2.8.*,>=2.5"
    d = choose(machine(RTX4090, driver=R580), torch="==2.13.1")
    assert (d.torch, d.requirement, d.release) == ("2.13.1", "torch==2.13.1", "2.13")
    d = choose(machine(RTX4090, driver=R580), torch="~=2.12.0")
    assert d.release == "2.12"


def test_specifier_matching_no_release() -> None:
    msg = refuse(machine(), torch="==1.13.1")  # older than the table
    assert "torch: '==1.13.1' matches no release envwizard knows (2.2–2.14" in msg
    assert "as of" in msg
    assert "matches no release" in refuse(machine(), torch=">=5")  # beyond any forecast
    assert choose(machine(), torch=">=3").torch == "3.0.*"  # a new major: a forecast


def test_default_index_pascal_gets_the_release_whose_default_wheel_runs() -> None:
    d = choose(machine(GTX1080, driver=R580), torch_index="default")
    assert (d.variant, d.index_url, d.cuda) == ("default", None, "12.6")
    text = joined(d)
    # STABLE_CUDA_VERSIONS["test"] = "13.0" at test-infra@00fa5780c (the 2.14 candidate)
    assert "torch 2.14 from the default index is cu130: kernels:" in text
    assert "PyTorch's default wheel for torch 2.7 on linux-x86_64 is the cu126 build" in text
    assert "verification records the build that was installed" in text


def test_default_index_without_gpu_is_a_big_cuda_wheel_on_cpu() -> None:
    d = choose(machine(), torch_index="default")
    assert d.kind == "cuda" and d.expect["device"] == "cpu"
    assert "several GB" in joined(d)


def test_default_index_on_windows_is_cpu_only() -> None:
    d = choose(windows(RTX4090, driver="581.57"), torch_index="default")
    assert d.kind == "cpu"
    assert any("will not be used" in w for w in texts(d.warnings))


def test_default_index_that_serves_nothing_usable() -> None:
    msg = refuse(machine(K80, driver=R470), torch_index="default")
    assert msg.startswith("torch_index: default: no torch release on the default index runs here")
    assert "torch_index: auto" in msg


def test_explicit_variant_with_default_index_warns_about_what_it_serves() -> None:
    d = choose(machine(GTX1080, driver=R580), torch_index="default", compute="cu126")
    assert d.index_url is None
    assert "the default index serves cu130 for torch 2.14" in joined(d)


def test_mirror_index_gets_the_variant_appended() -> None:
    d = choose(machine(GTX1080, driver=R580), torch_index="https://mirror.example/pytorch/whl/")
    assert d.index_url == "https://mirror.example/pytorch/whl/cu126"


def test_conda_forge_has_no_index_and_keeps_pascal_on_cuda_12() -> None:
    d = choose(machine(GTX1080, driver=R580), torch_source="conda-forge", manager="conda")
    assert (d.source, d.index_url, d.cuda) == ("conda-forge", None, "12.9")
    assert "from conda-forge" in joined(d)


def test_companions_are_pinned_to_the_chosen_release() -> None:
    d = choose(machine(K80, driver=R470), packages=["torchvision", "TorchAudio", "numpy"])
    assert d.companions == ["torchvision==0.18.*", "torchaudio==2.3.*", "numpy<2"]
    d = choose(machine(RTX4090, driver=R580), packages=["torchvision[extra]>=0.20"])
    assert d.companions == ["torchvision[extra]==0.29.*,>=0.20"]
    d = choose(machine(RTX4090, driver=R580), packages=["torchvision==0.29.1"])
    assert d.companions == ["torchvision==0.29.1"]


def test_companion_markers_stay_and_urls_are_refused() -> None:
    d = choose(machine(RTX4090, driver=R580), packages=["torchaudio; sys_platform == 'linux'"])
    assert d.companions == ['torchaudio==2.11.*; sys_platform == "linux"']
    msg = refuse(machine(), packages=["torchvision @ https://x.example/tv.whl"])
    assert "names a URL" in msg and "0.29.*" in msg


def test_conflicting_companion_is_an_error() -> None:
    msg = refuse(machine(RTX4090, driver=R580), packages=["torchvision==0.20.*"])
    assert "packages: 'torchvision==0.20.*' does not match torch 2.14" in msg
    assert "0.29.*" in msg


def test_alternatives_list_every_build_of_the_release() -> None:
    d = choose(machine(GTX1080, driver=R580))
    alts = {a["variant"]: a for a in d.alternatives}
    assert set(alts) == {"cu132", "cu130", "cu126", "rocm7.14", "rocm7.2", "xpu", "cpu"}
    assert alts["cu126"]["ok"] and not alts["cu130"]["ok"]
    assert alts["cu130"]["why"].startswith("kernels:")


def test_decision_to_dict_holds_the_contract_keys() -> None:
    d = choose(machine(GTX1080, driver=R580)).to_dict()
    assert {"variant", "torch", "index_url", "reasons"} <= set(d)
    assert json.loads(json.dumps(d)) == d


def test_non_cpython_and_32_bit_pythons_get_no_wheels() -> None:
    facts = machine()
    facts.python.implementation = "PyPy"
    assert "CPython only" in refuse(facts)
    facts = machine()
    facts.python.bits = 32
    assert "32-bit" in refuse(facts)


def test_unknown_platform() -> None:
    assert "no pip builds of torch for linux-riscv64" in refuse(machine(arch="riscv64"))


def test_default_index_that_holds_torch_back_says_what_auto_would_give() -> None:
    """A Pascal card on the default index gets torch 2.7; the reasons point to the better way."""
    from envwizard.facts.model import GPU, Facts, OSInfo, PythonInfo
    from envwizard.knowledge import load
    from envwizard.settings.answers import validate

    facts = Facts(
        os=OSInfo(system="Linux", machine="x86_64", glibc="2.35"),
        python=PythonInfo(version="3.11.9", executable="/usr/bin/python3"),
        gpus=[GPU("nvidia", "NVIDIA GeForce GTX 1080", 8192, "6.1")],
        nvidia_driver="580.95.05",
    )
    d = decide(facts, validate({"env": "/tmp/x", "torch_index": "default"}), load())
    assert d.variant == "default" and d.release == "2.7"
    assert d.reasons[-1] == "torch_index: auto would give torch 2.14 cu126 from PyTorch's index"


def test_unknown_glibc_is_planned_on_a_stated_assumption() -> None:
    # a Linux facts file without os.glibc (an inventory, a hand-written file)
    d = choose(machine(glibc=None))
    assert (
        "glibc version unknown; planned assuming glibc 2.28 or newer, as torch 2.14 cpu wheels "
        "need (musl systems such as Alpine have none)" in d.reasons
    )
    old = choose(machine(RTX4090, glibc=None, driver=R580), torch="==2.6.*", compute="cu124")
    assert "planned assuming glibc 2.17 or newer, as torch 2.6 cu124 wheels need" in joined(old)


def texts(notes: list[Note]) -> list[str]:
    return [n.text for n in notes]
