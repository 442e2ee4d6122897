"""Machines from public bug reports, planned as `envwizard plan --facts` would plan them.

Each facts file in tests/data/facts/reports/ describes a machine someone reported in public
(the link is in the row's comment and in tests/data/README.md), written in the forms the tools
they used print. Each row names the class of knowledge it exercises (issue: "Decisions that
hold on the machines people really have"), the build envwizard must choose and a sentence its
reasons must carry. Rows that end in a refusal expect the refusal's sentence.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from envwizard.app.commands import load_facts
from envwizard.core.errors import ImpossibleRequest, InvalidInput
from envwizard.decide.checks import Code, Machine, nvidia_gpu, nvidia_libraries
from envwizard.decide.decision import Decision, decide
from envwizard.decide.verdicts import verdicts
from envwizard.facts.load import facts_from_dict
from envwizard.facts.normalise import normalise
from envwizard.knowledge import load
from envwizard.settings.answers import validate

KB = load()
REPORTS = Path(__file__).parent / "data" / "facts" / "reports"


def plan(name: str, **answers: Any) -> Decision:
    a = validate({"env": "/tmp/envwizard-reports", "manager": "uv", **answers})
    return decide(load_facts(str(REPORTS / name)), a, KB)


def joined(d: Decision) -> str:
    return "\n".join(d.reasons + [w.text for w in d.warnings])


ROWS = [
    # Python windows differ by platform: Windows on Arm has 3.11-3.13 wheels only
    # (test-infra generate_binary_build_matrix.py, WINDOWS_ARM64 python_versions).
    # https://github.com/pytorch/pytorch/issues/133804 (Snapdragon, Python 3.12.5, ARM64)
    ("win-arm64-snapdragon-py312.json", {}, ("cpu", "2.14"), "on windows-arm64"),
    # macOS by release: Intel Macs stop at 2.2.2, which needs numpy<2 today.
    # https://github.com/pytorch/pytorch/issues/161614 (Intel Mac, Python 3.11)
    ("intel-mac-py311-remote.json", {}, ("cpu", "2.2"), "torch 2.2 needs numpy<2 beside it"),
    # The MPS floor by release: 14.0 from 2.9 (pytorch#162921), 13.0 for 2.5-2.8 (#133141).
    # https://github.com/pytorch/pytorch/issues/164943 (M2 Max, macOS 13.7.4, Python 3.11.9)
    ("macos13-m2max-mps.json", {}, ("mps", "2.8"), "MPS needs macOS 14.0 or newer; this is 13.7.4"),
    # https://github.com/pytorch/pytorch/issues/139425 (M1, macOS 12.7.6: 2.5.1 finds no MPS)
    ("macos12-m1-mps.json", {}, ("mps", "2.4"), "torch 2.4, the macOS build with MPS"),
    # Library floors: cu118 of torch 2.4-2.7 carries sm_37 but ships cuDNN 9 (SM 5.0+).
    # https://github.com/dailenson/SDT/issues/25 (Tesla K80, CUDNN_STATUS_ARCH_MISMATCH)
    ("k80-cudnn-arch-mismatch.json", {}, ("cu118", "2.3"), "ships cuDNN 9, which supports"),
    # Intel GPUs: Core Ultra "Arc Graphics" are validated XPU targets (get_start_xpu page).
    # https://github.com/pytorch/pytorch/issues/138986 (Arc 140V, Core Ultra 9 288V, Windows)
    ("lunar-lake-arc140v.json", {}, ("xpu", "2.14"), "the Intel XPU build"),
    # ROCm targets per release, one override away: gfx1031 runs gfx1030 code.
    # https://github.com/pytorch/pytorch/issues/132570 (RX 6700 XT, torch 2.5.1+rocm6.2)
    ("rx6700xt-gfx1031-debian13.json", {}, ("cpu", "2.14"), "HSA_OVERRIDE_GFX_VERSION=10.3.0"),
    (
        "rx6700xt-gfx1031-debian13.json",
        {"compute": "rocm7.2"},
        ("rocm7.2", "2.14"),
        "HSA_OVERRIDE_GFX_VERSION=10.3.0 makes it run their gfx1030 kernels",
    ),
    # A mixed integrated + discrete AMD box needs HIP_VISIBLE_DEVICES.
    # https://github.com/ROCm/legacy-rocm-build/issues/4380 (RX 7600 XT gfx1102 + Raphael gfx1036)
    ("rx7600xt-raphael-igpu.json", {}, ("rocm7.14", "2.14"), "HIP_VISIBLE_DEVICES=0"),
    # ROCm targets per release: gfx1102 reached the wheels with pytorch#147761 (2025-02-24),
    # after 2.6 shipped; on 2.6 the card runs only with HSA_OVERRIDE_GFX_VERSION=11.0.0, so auto
    # plans no ROCm for that line and the hint names the 2.6 build, not a newer release.
    (
        "rx7600xt-raphael-igpu.json",
        {"torch": "==2.6.*"},
        ("cpu", "2.6"),
        "compute: rocm6.2.4 plans torch 2.6",
    ),
    (
        "rx7600xt-raphael-igpu.json",
        {"torch": "==2.6.*", "compute": "rocm6.2.4"},
        ("rocm6.2.4", "2.6"),
        "hint: set HSA_OVERRIDE_GFX_VERSION=11.0.0 in the environment: torch 2.6 rocm6.2.4 has no",
    ),
    ("rx7600xt-raphael-igpu.json", {"torch": "==2.7.*"}, ("rocm6.3", "2.7"), "(gfx1102)"),
    # Facts as tools print them: sm_61, "4096 MiB", ldd's banner, "linux", "x86-64".
    # https://github.com/bnsreenu/digitalsreeni-image-annotator/issues/57 (GTX 1050, 550.163.01)
    ("gtx1050-ubuntu2404-tool-forms.json", {}, ("cu126", "2.14"), "'sm_61' read as '6.1'"),
    # Facts as tools print them, collect_env pasted whole: a Jetson's tegra kernel (5.15 is
    # L4T 36), "GPU 0: Orin (nvgpu)", "Nvidia driver version: N/A".
    # https://github.com/dusty-nv/jetson-containers/issues/1495
    # JetPack 6 gets NVIDIA's Jetson index (jp6/cu126, sm_87, Python 3.10), not the CPU build.
    ("jetson-orin-collect-env.txt", {}, ("cu126", "2.11"), "NVIDIA's Jetson index"),
    # collect_env on ROCm names the GPU without "GPU N:": "AMD Instinct MI210 (gfx90a:…)".
    # https://github.com/vllm-project/vllm/issues/10855
    ("mi210-rocm-collect-env.txt", {}, ("rocm6.4", "2.8"), "kernels for Instinct MI210 (gfx90a)"),
    # collect_env on XPU: "GPU models and configuration: No CUDA", the Arc Pro B60s listed
    # under "Intel GPU models onboard", glibc only in the platform tag.
    # https://github.com/intel/torch-xpu-ops/issues/5259
    ("arc-b60-xpu-collect-env.txt", {}, ("xpu", "2.14"), "the Intel XPU build"),
    # nvidia-smi -L of a MIG-partitioned A100: the slices are not GPUs.
    # https://github.com/DataDog/datadog-agent/pull/33120
    ("a100-mig-nvidia-smi-L.json", {}, ("cu126", "2.14"), "is a MIG slice of the GPU above it"),
    # nvidia-smi's summary table on Windows (WDDM, "Driver Version: 596.36", used / total).
    # https://github.com/unslothai/unsloth/issues/5830
    (
        "rtx4090-windows-smi-table.json",
        {},
        ("cu132", "2.14"),
        "'23414MiB /  24564MiB' read as 24564",
    ),
    # Windows' Win32_VideoController: UHD beside an RTX 2060, DriverVersion 27.21.14.6109.
    # https://github.com/pytorch-tabular/pytorch_tabular/issues/16
    (
        "uhd-rtx2060-win32-videocontroller.json",
        {},
        ("cu118", "2.4"),
        "nvidia_driver '27.21.14.6109' read as '461.09'",
    ),
    # glibc per release and variant: CentOS 7 (glibc 2.17) keeps torch 2.6's cu124 and cu118,
    # which 2.6 still built on manylinux2014 (pytorch#141565); only its cu126 needs 2.28.
    # https://github.com/vllm-project/vllm/issues/12440 (4 x V100, torch 2.5.1+cu124 ran, the
    # driver "Could not collect")
    (
        "centos7-v100-collect-env.txt",
        {},
        ("cu124", "2.6"),
        "torch 2.6 cu126 wheels need glibc 2.28",
    ),
    (
        "centos7-v100-collect-env.txt",
        {},
        ("cu124", "2.6"),
        "cuda_driver read as at least '12.0' (the driver is not named, but a CUDA 12.4 build",
    ),
    ("centos7-v100-collect-env.txt", {"compute": "cu118"}, ("cu118", "2.6"), "sm_70"),
    # Pastes people really post: what they do not say is planned on an assumption the reasons
    # name. nvidia-smi's table alone (https://github.com/nixified-ai/flake/issues/92): 545.29
    # serves CUDA 12.3, so cu126, for a Linux and a Python 3.12 the paste does not state.
    (
        "rtx3060-nvidia-smi-table.txt",
        {},
        ("cu126", "2.14"),
        "Python not in the paste; planned for 3.12",
    ),
    (
        "rtx3060-nvidia-smi-table.txt",
        {},
        ("cu126", "2.14"),
        "os not in the paste; planned for Linux on x86_64",
    ),
    # the name nvidia-smi cut short still names the card (https://github.com/pop-os/pop/issues/3654)
    ("rtx4070-laptop-nvidia-smi-table.txt", {}, ("cu132", "2.14"), "RTX 4070 (sm_89)"),
    # the sectioned collect_env vLLM prints (https://github.com/vllm-project/vllm/issues/26127)
    ("rtx4060-wsl-vllm-collect-env.txt", {}, ("cu132", "2.14"), "(WSL)"),
    # Jetson Thor on JetPack 7 (L4T 38, CUDA 13.0), its Tegra driver 580.00: PyTorch's own aarch64
    # cu130 (sm_110), not cu132 (CUDA 13.2) (https://github.com/vllm-project/vllm/issues/34470)
    ("thor-jetpack7-vllm-collect-env.txt", {}, ("cu130", "2.14"), "cu130 (sm_80–sm_120 (+PTX"),
    (
        "thor-jetpack7-vllm-collect-env.txt",
        {},
        ("cu130", "2.14"),
        "the driver comes with L4T 38, which serves CUDA 13.0",
    ),
    # Win32_VideoController | Format-List * (https://github.com/KhronosGroup/Vulkan-Loader/issues/283)
    (
        "gtx1660-win32-videocontroller-fl.txt",
        {},
        ("cu126", "2.14"),
        "nvidia_driver not in the paste; planned for a driver serving CUDA 12.0",
    ),
    # (https://github.com/sebhildebrandt/systeminformation/issues/790): integrated UHD only
    ("uhd-get-ciminstance-fl.txt", {}, ("cpu", "2.14"), "Intel(R) UHD Graphics is integrated"),
    # The glibc a distribution ships, when the facts name the distribution but not the glibc:
    # Ansible gathers no glibc (https://github.com/fen9li/ansible-CentOS-facts, README's
    # `ansible web -m setup` of CentOS 7.4, kept to the keys the planner reads), and a torch
    # 1.x collect_env prints no "Libc version" (https://github.com/DeepSceneSeg/EfficientPS/issues/15,
    # Ubuntu 18.04.5, GTX 980, 460.32.03). Assuming "2.28 or newer" planned wheels that do not
    # install there; the table of distributions (knowledge/distros.toml) says 2.17 and 2.27.
    (
        "centos7-ansible-setup.json",
        {"python": "3.11"},
        ("cpu", "2.6"),
        "os.glibc not in the file; read as '2.17', the glibc CentOS 7.4.1708 ships",
    ),
    (
        "gtx980-ubuntu1804-collect-env-1.4.txt",
        {"python": "3.10"},
        ("cu118", "2.6"),
        "read as '2.27', the glibc Ubuntu 18.04.5 ships",
    ),
    # nvidia-smi's GPU list and its CSV query, pasted alone with the command's prompt
    # (https://github.com/triton-inference-server/server/pull/8070): the list names no driver,
    # so a CUDA 12 driver is the stated assumption; the query's driver_version is read.
    (
        "titanv-rtx5880-nvidia-smi-L.txt",
        {},
        ("cu126", "2.14"),
        "nvidia_driver not in the paste; planned for a driver serving CUDA 12.0",
    ),
    (
        "titanv-rtx5880-nvidia-smi-csv.txt",
        {},
        ("cu126", "2.14"),
        "NVIDIA driver 570.86.15 (serves CUDA ≤ 12.8)",
    ),
    # Releases newer than the table: a forecast from the newest known release's rules.
    # (same GTX 1050 report; torch 2.15 is past the table)
    (
        "gtx1050-ubuntu2404-tool-forms.json",
        {"torch": ">=2.15"},
        ("cu126", "2.15"),
        "torch 2.15 is newer than envwizard's table",
    ),
    # A new major is past the table too: "==3.0.0" is a forecast, not "matches no release".
    (
        "gtx1050-ubuntu2404-tool-forms.json",
        {"torch": "==3.0.0"},
        ("cu126", "3.0"),
        "torch 3.0 is newer than envwizard's table",
    ),
]


@pytest.mark.parametrize(
    ("name", "answers", "chosen", "reason"),
    ROWS,
    ids=[f"{r[0].split('.')[0]}-{'-'.join(map(str, r[1].values())) or 'auto'}" for r in ROWS],
)
def test_report_machines_plan(
    name: str, answers: dict[str, Any], chosen: tuple[str, str], reason: str
) -> None:
    d = plan(name, **answers)
    assert (d.variant, d.release) == chosen, d.reasons
    assert reason in joined(d)


def test_windows_arm64_python_314_is_refused_with_its_window() -> None:
    # https://github.com/pytorch/pytorch/issues/195033 (Windows ARM64 + Python 3.14: no wheel)
    with pytest.raises(ImpossibleRequest) as e:
        plan("win-arm64-py314.json")
    assert "outside every torch release's window on windows-arm64" in str(e.value)
    assert "torch 2.8–2.14 support Python 3.11–3.13" in str(e.value)


def test_a_32_bit_windows_python_is_refused_for_being_32_bit() -> None:
    # https://github.com/pytorch/pytorch/issues/27815: "it seems that you are using Python
    # 32-bit. Please use Python 64-bit instead". Python 3.7 is outside every window too, but the
    # refusal names the platform, not the version.
    with pytest.raises(ImpossibleRequest) as e:
        plan("win10-python37-32bit.json")
    assert str(e.value) == (
        "no torch build for this platform: this is a 32-bit Python (win32), and PyTorch publishes "
        "Windows wheels for 64-bit Python only; install the 64-bit Python (python.org's "
        '"Windows installer (64-bit)") and point python: at it'
    )


def test_alpine_musl_is_refused_with_one_sentence() -> None:
    # https://github.com/pytorch/pytorch/issues/102592 (python:3.9-alpine, import torch fails)
    with pytest.raises(ImpossibleRequest) as e:
        plan("alpine-musl-py39.json")
    assert str(e.value) == (
        "no torch build for this platform: this Linux uses musl libc (as Alpine does), and "
        "torch is built for glibc systems only; use a glibc-based distribution or container image"
    )


def test_intel_mac_newer_torch_is_refused_with_the_way_out() -> None:
    with pytest.raises(ImpossibleRequest) as e:
        plan("intel-mac-py311-remote.json", torch=">=2.3")
    assert "2.2.2" in str(e.value) and "torch_source: conda-forge" in str(e.value)


def test_plan_json_from_the_command_line_keeps_the_contract(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    a.write_text(f"manager: uv\nenv: {tmp_path / 'env'}\n")
    facts = str(REPORTS / "gtx1050-ubuntu2404-tool-forms.json")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "envwizard",
            "plan",
            "--json",
            "--facts",
            facts,
            "--answers",
            str(a),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert {"variant", "torch", "index_url", "reasons"} <= set(d["decision"]) and d["steps"]
    assert (
        "facts: os.glibc 'ldd (Ubuntu GLIBC 2.39-0ubuntu8.4) 2.39' read as '2.39'"
        in d["decision"]["reasons"]
    )


# ---- facts as tools print them ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "raw", "read"),
    [
        # nvidia-smi --query-gpu=compute_cap prints "8.9"; torch prints "sm_89"; NVML "89"
        ("gpus.0.compute_capability", "sm_89", "8.9"),
        ("gpus.0.compute_capability", "89", "8.9"),
        ("gpus.0.compute_capability", "sm_120", "12.0"),
        ("gpus.0.compute_capability", 8.6, "8.6"),
        # rocminfo: "amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-"
        ("gpus.0.arch", "gfx90a:sramecc+:xnack-", "gfx90a"),
        ("gpus.0.arch", "amdgcn-amd-amdhsa--gfx1100", "gfx1100"),
        # nvidia-smi --query-gpu=memory.total --format=csv: "24576 MiB"
        ("gpus.0.memory_mib", "24576 MiB", 24576),
        ("gpus.0.memory_mib", "16 GB", 16384),
        ("gpus.0.vendor", "NVIDIA Corporation", "nvidia"),
        ("gpus.0.vendor", "0x1002", "amd"),
        # `ldd --version` first line
        ("os.glibc", "ldd (GNU libc) 2.35", "2.35"),
        ("os.glibc", "glibc-2.28", "2.28"),
        # sys.platform, Node's os.type(), platform.machine() spellings
        ("os.system", "win32", "Windows"),
        ("os.system", "Windows_NT", "Windows"),
        ("os.system", "linux", "Linux"),
        ("os.machine", "x86-64", "x86_64"),
        ("nvidia_driver", "535.183", "535.183"),
        ("nvidia_driver", 535.183, "535.183"),
        ("cuda_driver", "CUDA Version: 12.2", "12.2"),
        ("cuda_driver", "12020", "12.2"),
    ],
)
def test_tool_forms_are_read(path: str, raw: Any, read: Any) -> None:
    data: dict[str, Any] = {
        "schema": 1,
        "os": {"system": "Linux", "machine": "x86_64"},
        "python": {"version": "3.12.3", "executable": "/usr/bin/python3"},
        "gpus": [{"vendor": "nvidia", "name": "GPU", "memory_mib": None}],
        "nvidia_driver": None,
    }
    keys = path.split(".")
    node: Any = data
    for k in keys[:-1]:
        node = node[int(k)] if k.isdigit() else node[k]
    node[keys[-1]] = raw
    out, _ = normalise(data)
    node = out
    for k in keys:
        node = node[int(k)] if k.isdigit() else node[k]
    assert node == read
    facts = facts_from_dict(data)
    assert any(repr(read) in n for n in facts.normalised) or raw == read


def test_collect_env_output_plans() -> None:
    # The keys of torch.utils.collect_env's report (as pasted into bug reports).
    data = {
        "OS": "Ubuntu 22.04.4 LTS (x86_64)",
        "Libc version": "glibc-2.35",
        "Python version": "3.10.12 (main, Nov 20 2023, 15:14:05) [GCC 11.4.0] (64-bit runtime)",
        "Python platform": "Linux-5.15.0-91-generic-x86_64-with-glibc2.35",
        "Nvidia driver version": "535.183.01",
        "GPU models and configuration": "GPU 0: NVIDIA GeForce RTX 3090\nGPU 1: NVIDIA GeForce RTX 3090",
    }
    facts = facts_from_dict(data)
    assert facts.os.glibc == "2.35" and facts.nvidia_driver == "535.183.01"
    assert [g.vendor for g in facts.gpus] == ["nvidia", "nvidia"]
    assert facts.python.executable == "python3"
    d = decide(facts, validate({"env": "/tmp/e", "manager": "uv"}), KB)
    assert d.kind == "cuda" and "read as PyTorch collect_env output" in joined(d)
    # two GeForce cards: NCCL's P2P path over PCI can fail (NVIDIA's NCCL troubleshooting guide)
    assert "NCCL_P2P_DISABLE=1" in joined(d)


@pytest.mark.parametrize(
    "bad",
    [
        {
            "schema": 1,
            "os": {"system": "Plan9", "machine": "x86_64"},
            "python": {"version": "3.12"},
        },
        {
            "schema": 1,
            "os": {"system": "Linux", "machine": "x86_64"},
            "python": {"version": "three"},
        },
        {
            "schema": 1,
            "os": {"system": "Linux", "machine": "x86_64"},
            "python": {"version": "3.12", "executable": "/usr/bin/python3"},
            "gpus": [{"vendor": "nvidia", "name": "X", "compute_capability": "fast"}],
        },
    ],
    ids=["unknown-os", "unreadable-python", "unreadable-cc"],
)
def test_what_cannot_be_read_is_refused_with_a_sentence(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as e:
        facts_from_dict(bad)
    assert str(e.value).startswith("facts: ") and "expected" in str(e.value)


# ---- one kernel rule -------------------------------------------------------------------------------


def test_machine_screen_and_planner_share_the_kernel_and_library_checks() -> None:
    """The screen's NVIDIA verdict agrees with the planner's checks for every CUDA build."""
    facts = load_facts(str(REPORTS / "k80-cudnn-arch-mismatch.json"))
    m = Machine(facts, KB, facts.python.version)
    g = facts.gpus[0]
    runs = [
        b.release
        for r in KB.releases
        for b in KB.builds_for(r.version, m.platform)
        if b.kind == "cuda" and nvidia_gpu(g, b, b.cuda).ok and nvidia_libraries(g, b, KB).ok
    ]
    screen = {v.subject: v for v in verdicts(facts, KB)}["Tesla K80 sm_37"]
    assert f"torch ≤ {max(runs, key=lambda v: tuple(map(int, v.split('.'))))}" in screen.message
    lib = nvidia_libraries(g, KB.builds_for("2.7", m.platform)[0], KB)
    assert lib.failure is not None and lib.failure.code is Code.LIBRARY_FLOOR


def test_nccl_hint_on_several_geforce_cards_names_no_driver_fix() -> None:
    # https://github.com/NVIDIA/nccl-tests/issues/117 (4 × RTX 4090, all_reduce_perf hangs).
    # NVIDIA's NCCL troubleshooting guide (GPU Direct) says PCI P2P can fail or perform poorly
    # and names no driver that fixes it, so the hint holds on any driver and promises no fix.
    def box(name: str, count: int, driver: str) -> Decision:
        gpu = {"vendor": "nvidia", "name": name, "compute_capability": "8.9"}
        data = {
            "schema": 1,
            "os": {"system": "Linux", "machine": "x86_64", "glibc": "2.35"},
            "python": {"version": "3.12.3", "executable": "/usr/bin/python3"},
            "gpus": [gpu] * count,
            "nvidia_driver": driver,
        }
        return decide(facts_from_dict(data), validate({"env": "/tmp/e", "manager": "uv"}), KB)

    for driver in ("525.89.02", "580.95.05"):
        text = joined(box("NVIDIA GeForce RTX 4090", 4, driver))
        assert "NCCL_P2P_DISABLE=1" in text and "update the driver" not in text
    assert "NCCL_P2P_DISABLE" not in joined(box("NVIDIA GeForce RTX 4090", 1, "580.95.05"))
    assert "NCCL_P2P_DISABLE" not in joined(box("NVIDIA L40S", 4, "580.95.05"))


def test_hints_and_codes_are_data_for_programs() -> None:
    # https://github.com/ROCm/legacy-rocm-build/issues/4380: programs read hints, not reasons
    d = plan("rx7600xt-raphael-igpu.json")
    assert d.to_dict()["hints"] == [
        {"setting": "HIP_VISIBLE_DEVICES", "value": "0", "why": d.hints[0]["why"]}
    ]
    over = plan("rx6700xt-gfx1031-debian13.json")
    assert {"setting": "HSA_OVERRIDE_GFX_VERSION", "value": "10.3.0"}.items() <= over.hints[
        0
    ].items()
    rocm = next(a for a in over.alternatives if a["variant"].startswith("rocm"))
    assert "gfx-override" in rocm["codes"] and not rocm["ok"]
    k80 = plan("k80-cudnn-arch-mismatch.json")
    assert not k80.forecast and plan("gtx1050-ubuntu2404-tool-forms.json", torch=">=2.15").forecast


def test_the_report_says_the_settings() -> None:
    from envwizard.report.report import markdown

    d = plan("rx7600xt-raphael-igpu.json").to_dict()
    report = {"status": "done", "env": {"path": "/e", "activate": "x"}, "exit_code": 0}
    text = markdown({**report, "decision": d, "steps": []})
    assert "## Settings this machine needs" in text and "`HIP_VISIBLE_DEVICES=0`" in text


def test_an_inventory_with_only_gpu_names_plans_the_kernels() -> None:
    # collect_env lists GPUs by name only ("GPU 0: NVIDIA GeForce GTX 1080 Ti"), as in
    # https://github.com/pytorch/pytorch/issues/54053: without the name table it would be "unknown".
    data = {
        "schema": 1,
        "os": {"system": "Linux", "machine": "x86_64", "glibc": "2.35"},
        "python": {"version": "3.11.9", "executable": "/usr/bin/python3"},
        "gpus": [{"vendor": "nvidia", "name": "NVIDIA GeForce GTX 1080 Ti"}],
        "nvidia_driver": "580.95.05",
    }
    d = decide(facts_from_dict(data), validate({"env": "/tmp/e", "manager": "uv"}), KB)
    assert (d.variant, d.release) == ("cu126", "2.14")
    assert "read from the name 'NVIDIA GeForce GTX 1080 Ti' as '6.1'" in joined(d)


def test_the_kepler_outlook_names_the_release_the_plan_chooses() -> None:
    # The K80 plan is torch 2.3 (2.4-2.7 cu118 carry sm_37 but ship cuDNN 9); its warning said
    # "torch 2.7 (cu118) is the last release with Kepler kernels", contradicting it.
    d = plan("k80-cudnn-arch-mismatch.json")
    warning = next(w.text for w in d.warnings if "Kepler" in w.text)
    assert (d.variant, d.release) == ("cu118", "2.3")
    assert "torch 2.3 (cu118) is the last release that runs on Kepler" in warning
