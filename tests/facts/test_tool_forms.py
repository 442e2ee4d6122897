"""Facts values in the forms other tools print them, read as the planner needs them.

Each row is one value as a person pastes it from a tool (the tool, and a public report that
shows the form where there is one, in the comment), and what the facts must say after
reading. A row that was refused or misread before is the point of the table: a GPU a tool
printed in a real form must never turn into "no GPU" or "unknown GPU".
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from envwizard.core.errors import InvalidInput
from envwizard.decide.decision import decide
from envwizard.facts.load import facts_from_dict
from envwizard.facts.model import Facts
from envwizard.knowledge import load
from envwizard.settings.answers import validate

KB = load()
DATA = Path(__file__).parent.parent / "data" / "facts"
BASE: dict[str, Any] = {
    "schema": 1,
    "os": {"system": "Linux", "machine": "x86_64", "glibc": "2.35"},
    "python": {"version": "3.11.9", "executable": "/usr/bin/python3"},
    "gpus": [],
    "nvidia_driver": None,
}
WIN = {"system": "Windows", "machine": "AMD64"}


def facts(**changes: Any) -> Facts:
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if key.startswith("os_"):
            data["os"][key[3:]] = value
        else:
            data[key] = value
    return facts_from_dict(data)


def gpu(f: Facts, i: int = 0) -> tuple[Any, ...]:
    g = f.gpus[i]
    return (g.vendor, g.name, g.compute_capability, g.arch, g.integrated)


GPU_ROWS: list[tuple[str, dict[str, Any], tuple[Any, ...]]] = [
    # nvidia-smi -L, pasted as the name (https://github.com/DataDog/datadog-agent/pull/33120)
    (
        "smi-L-line",
        {"gpus": [{"name": "GPU 0: NVIDIA GeForce RTX 3090 (UUID: GPU-5a1c4a36-0fb1)"}]},
        ("nvidia", "NVIDIA GeForce RTX 3090", "8.6", None, False),
    ),
    # nvidia-smi -L pasted whole as the gpus value
    (
        "smi-L-text",
        {"gpus": "GPU 0: NVIDIA GeForce RTX 3090 (UUID: GPU-5a1c)\nGPU 1: NVIDIA GeForce RTX 3090"},
        ("nvidia", "NVIDIA GeForce RTX 3090", "8.6", None, False),
    ),
    # nvidia-smi summary table row (https://github.com/unslothai/unsloth/issues/5830)
    (
        "smi-table-row",
        {"gpus": ["|   0  NVIDIA GeForce RTX 4090      WDDM  |   00000000:09:00.0  On |   Off |"]},
        ("nvidia", "NVIDIA GeForce RTX 4090", "8.9", None, False),
    ),
    # nvidia-smi --query-gpu=index,name,memory.total,compute_cap --format=csv,noheader
    (
        "smi-csv-row",
        {"gpus": ["0, NVIDIA GeForce RTX 4090, 24564 MiB, 8.9"]},
        ("nvidia", "NVIDIA GeForce RTX 4090", "8.9", None, False),
    ),
    # lspci -nn
    (
        "lspci-nvidia",
        {
            "gpus": [
                "01:00.0 VGA compatible controller [0300]: NVIDIA Corporation AD102 [GeForce RTX 4090] [10de:2684] (rev a1)"
            ]
        },
        ("nvidia", "GeForce RTX 4090", "8.9", None, False),
    ),
    (
        "lspci-amd",
        {
            "gpus": [
                "03:00.0 VGA compatible controller: Advanced Micro Devices, Inc. [AMD/ATI] Navi 21 [Radeon RX 6800/6800 XT / 6900 XT] (rev c1)"
            ]
        },
        ("amd", "Radeon RX 6800/6800 XT / 6900 XT", None, "gfx1030", False),
    ),
    # Labelled lines: rocminfo, nvidia-smi -q, system_profiler, deviceQuery
    (
        "rocminfo-marketing-name",
        {"gpus": [{"vendor": "amd", "name": "Marketing Name:          AMD Radeon RX 7900 XTX"}]},
        ("amd", "AMD Radeon RX 7900 XTX", None, "gfx1100", False),
    ),
    (
        "smi-q-product-name",
        {"gpus": [{"name": "Product Name                          : NVIDIA A100-SXM4-40GB"}]},
        ("nvidia", "NVIDIA A100-SXM4-40GB", "8.0", None, False),
    ),
    (
        "devicequery-capability",
        {
            "gpus": [
                {
                    "vendor": "nvidia",
                    "name": "X",
                    "compute_capability": "CUDA Capability Major/Minor version number:    8.6",
                }
            ]
        },
        ("nvidia", "X", "8.6", None, False),
    ),
    # torch.cuda.get_device_capability() is a tuple: JSON [8, 6], or printed "(8, 6)"
    (
        "cc-list",
        {"gpus": [{"vendor": "nvidia", "name": "X", "compute_capability": [8, 6]}]},
        ("nvidia", "X", "8.6", None, False),
    ),
    (
        "cc-tuple-text",
        {"gpus": [{"vendor": "nvidia", "name": "X", "compute_capability": "(7, 5)"}]},
        ("nvidia", "X", "7.5", None, False),
    ),
    (
        "cc-three-part",
        {"gpus": [{"vendor": "nvidia", "name": "X", "compute_capability": "7.5.0"}]},
        ("nvidia", "X", "7.5", None, False),
    ),
    (
        "cc-na",
        {"gpus": [{"vendor": "nvidia", "name": "Tesla T4", "compute_capability": "[N/A]"}]},
        ("nvidia", "Tesla T4", "7.5", None, False),
    ),
    # Workstation names that reuse numbers across generations (NVIDIA's CUDA GPUs list)
    (
        "quadro-rtx-4000",
        {"gpus": [{"vendor": "nvidia", "name": "Quadro RTX 4000"}]},
        ("nvidia", "Quadro RTX 4000", "7.5", None, False),
    ),
    (
        "rtx-5000-ada",
        {"gpus": [{"vendor": "nvidia", "name": "NVIDIA RTX 5000 Ada Generation"}]},
        ("nvidia", "NVIDIA RTX 5000 Ada Generation", "8.9", None, False),
    ),
    (
        "mx450",
        {"gpus": [{"vendor": "nvidia", "name": "NVIDIA GeForce MX450"}]},
        ("nvidia", "NVIDIA GeForce MX450", "7.5", None, False),
    ),
    (
        "rtx-2050-is-ampere",
        {"gpus": [{"vendor": "nvidia", "name": "NVIDIA GeForce RTX 2050"}]},
        ("nvidia", "NVIDIA GeForce RTX 2050", "8.6", None, False),
    ),
    (
        "tesla-k40m",
        {"gpus": [{"vendor": "nvidia", "name": "Tesla K40m"}]},
        ("nvidia", "Tesla K40m", "3.5", None, False),
    ),
    (
        "gtx-960m",
        {"gpus": [{"vendor": "nvidia", "name": "GeForce GTX 960M"}]},
        ("nvidia", "GeForce GTX 960M", "5.0", None, False),
    ),
    (
        "940mx",
        {"gpus": [{"vendor": "nvidia", "name": "NVIDIA GeForce 940MX"}]},
        ("nvidia", "NVIDIA GeForce 940MX", "5.0", None, False),
    ),
    # collect_env on Jetson prints "GPU 0: Orin (nvgpu)" (dusty-nv/jetson-containers#1495)
    (
        "orin-nvgpu",
        {"gpus": [{"name": "Orin (nvgpu)"}]},
        ("nvidia", "Orin (nvgpu)", "8.7", None, False),
    ),
    # Windows Win32_VideoController keys (Get-CimInstance … | ConvertTo-Json)
    (
        "win32-videocontroller",
        {
            "gpus": [
                {
                    "Name": "NVIDIA GeForce RTX 3060",
                    "AdapterCompatibility": "NVIDIA",
                    "AdapterRAM": 4293918720,
                }
            ]
        },
        ("nvidia", "NVIDIA GeForce RTX 3060", "8.6", None, False),
    ),
    # Intel integrated graphics by name (Intel's product names; issue 10: integrated is not the rule)
    (
        "iris-xe",
        {"gpus": [{"vendor": "intel", "name": "Intel(R) Iris(R) Xe Graphics"}]},
        ("intel", "Intel(R) Iris(R) Xe Graphics", None, None, True),
    ),
    (
        "uhd-630",
        {"gpus": [{"vendor": "Intel Corporation", "name": "Intel(R) UHD Graphics 630"}]},
        ("intel", "Intel(R) UHD Graphics 630", None, None, True),
    ),
    (
        "arc-graphics-igpu",
        {"gpus": [{"vendor": "intel", "name": "Intel(R) Arc(TM) Graphics"}]},
        ("intel", "Intel(R) Arc(TM) Graphics", None, None, True),
    ),
    (
        "arc-a770",
        {"gpus": [{"name": "Intel(R) Arc(TM) A770 Graphics"}]},
        ("intel", "Intel(R) Arc(TM) A770 Graphics", None, None, False),
    ),
    # AMD gfx targets from names (LLVM's AMDGPU processor table), rocminfo's agent name
    (
        "rx-7900-xtx",
        {"gpus": [{"vendor": "AMD", "name": "AMD Radeon RX 7900 XTX"}]},
        ("amd", "AMD Radeon RX 7900 XTX", None, "gfx1100", False),
    ),
    (
        "radeon-780m",
        {"gpus": [{"vendor": "amd", "name": "AMD Radeon 780M Graphics"}]},
        ("amd", "AMD Radeon 780M Graphics", None, "gfx1103", True),
    ),
    (
        "rocminfo-agent",
        {"gpus": [{"vendor": "amd", "name": "gfx1030"}]},
        ("amd", "gfx1030", None, "gfx1030", False),
    ),
    # KFD's gfx_target_version, and a codename where the target belongs
    (
        "kfd-target-version",
        {"gpus": [{"vendor": "amd", "name": "MI300X", "arch": 90402}]},
        ("amd", "MI300X", None, "gfx942", False),
    ),
    (
        "codename-arch",
        {"gpus": [{"vendor": "amd", "name": "Radeon", "arch": "Navi 31"}]},
        ("amd", "Radeon", None, "gfx1100", False),
    ),
    (
        "amdhsa-target",
        {
            "gpus": [
                {
                    "vendor": "amd",
                    "name": "MI210",
                    "arch": "amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-",
                }
            ]
        },
        ("amd", "MI210", None, "gfx90a", False),
    ),
]


@pytest.mark.parametrize(("name", "changes", "expect"), GPU_ROWS, ids=[r[0] for r in GPU_ROWS])
def test_gpu_forms(name: str, changes: dict[str, Any], expect: tuple[Any, ...]) -> None:
    f = facts(**changes)
    assert gpu(f) == expect
    assert f.normalised, "every rewrite is said in the plan's reasons"


FIELD_ROWS: list[tuple[str, dict[str, Any], str, Any]] = [
    # Windows names NVIDIA 560.94 "32.0.15.6094" (Device Manager, Win32_VideoController)
    ("windows-driver", {"os": WIN, "nvidia_driver": "32.0.15.6094"}, "nvidia_driver", "560.94"),
    ("driver-na", {"nvidia_driver": "N/A"}, "nvidia_driver", None),
    ("driver-could-not-collect", {"nvidia_driver": "Could not collect"}, "nvidia_driver", None),
    (
        "driver-from-gpu",
        {"gpus": [{"name": "NVIDIA GeForce RTX 3060", "DriverVersion": "31.0.15.3623"}]},
        "nvidia_driver",
        "536.23",
    ),
    ("glibc-na", {"os_glibc": "N/A"}, "os.glibc", None),
    (
        "glibc-gnu-banner",
        {"os_glibc": "GNU C Library (Ubuntu GLIBC 2.35-0ubuntu3.8) stable release version 2.35."},
        "os.glibc",
        "2.35",
    ),
    ("glibc-number-2.40", {"os_glibc": 2.40}, "os.glibc", "2.40"),
    (
        "musl",
        {"os_glibc": "musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader"},
        "os.libc",
        "musl",
    ),
    (
        "system-win32-caption",
        {"os": {"system": "Microsoft Windows 11 Pro", "machine": "AMD64"}},
        "os.system",
        "Windows",
    ),
    (
        "system-ansible-win",
        {"os": {"system": "Win32NT", "machine": "AMD64"}},
        "os.system",
        "Windows",
    ),
    (
        "system-distro",
        {"os": {"system": "Ubuntu 22.04.4 LTS", "machine": "x86_64"}},
        "os.system",
        "Linux",
    ),
    (
        "machine-osarchitecture",
        {"os": {"system": "Windows", "machine": "64-bit"}},
        "os.machine",
        "AMD64",
    ),
    (
        "machine-arm-osarchitecture",
        {"os": {"system": "Windows", "machine": "ARM 64-bit Processor"}},
        "os.machine",
        "ARM64",
    ),
    (
        "machine-systeminfo",
        {"os": {"system": "Windows", "machine": "x64-based PC"}},
        "os.machine",
        "AMD64",
    ),
    (
        "macos-major-only",
        {"os": {"system": "Darwin", "machine": "arm64", "macos_version": 14}},
        "os.macos_version",
        "14.0",
    ),
    (
        "macos-darwin-kernel",
        {"os": {"system": "Darwin", "machine": "arm64", "macos_version": "Darwin 23.4.0"}},
        "os.macos_version",
        "14.4",
    ),
    (
        "macos-sw-vers",
        {
            "os": {
                "system": "Darwin",
                "machine": "arm64",
                "macos_version": "ProductName:\tmacOS\nProductVersion:\t15.1",
            }
        },
        "os.macos_version",
        "15.1",
    ),
    ("wsl-word", {"os_wsl": "WSL2"}, "os.wsl", True),
    (
        "python-yaml-3.10",
        {"python": {"version": 3.1, "executable": "/usr/bin/python3"}},
        "python.version",
        "3.10",
    ),
    (
        "python-ansible-parts",
        {"python": {"major": 3, "minor": 11, "micro": 9, "executable": "/usr/bin/python3"}},
        "python.version",
        "3.11.9",
    ),
    (
        "python-version-info",
        {"python": {"version": [3, 12, 1, "final", 0], "executable": "/usr/bin/python3"}},
        "python.version",
        "3.12.1",
    ),
    ("schema-text", {"schema": "1"}, "schema", 1),
    # /etc/nv_tegra_release's first line, or only the tegra kernel (L4T 36 ships 5.15)
    (
        "l4t-release-line",
        {"os_jetson_l4t": "# R36 (release), REVISION: 4.7, GCID: 38968081, BOARD: generic"},
        "os.jetson_l4t",
        "36.4.7",
    ),
    ("l4t-from-kernel", {"os_kernel": "5.15.148-tegra"}, "os.jetson_l4t", "36"),
    ("os-one-line", {"os": "Ubuntu 22.04.4 LTS (x86_64)"}, "os.system", "Linux"),
    ("python-number", {"python": 3.12}, "python.version", "3.12"),
    (
        "free-threaded-word",
        {"python": {"version": "3.13.1", "free_threaded": "yes"}},
        "python.free_threaded",
        True,
    ),
    ("gpus-null", {"gpus": None}, "gpus", []),
    ("gpus-no-cuda", {"gpus": "No CUDA"}, "gpus", []),
    (
        "display-adapters-left-out",
        {
            "gpus": [
                {"vendor": "Microsoft", "name": "Microsoft Basic Display Adapter"},
                {"vendor": "ASPEED Technology, Inc.", "name": "ASPEED Graphics Family"},
            ]
        },
        "gpus",
        [],
    ),
    (
        "memory-used-total",
        {"gpus": [{"vendor": "nvidia", "name": "RTX 3090", "memory_mib": "87MiB /  24576MiB"}]},
        "gpus[0].memory_mib",
        24576,
    ),
    (
        "memory-bytes",
        {"gpus": [{"vendor": "nvidia", "name": "RTX 3090", "memory_mib": 25769803776}]},
        "gpus[0].memory_mib",
        24576,
    ),
    (
        "memory-devicequery",
        {
            "gpus": [
                {
                    "vendor": "nvidia",
                    "name": "RTX 3090",
                    "memory_mib": "Total amount of global memory:                 24257 MBytes (25435766784 bytes)",
                }
            ]
        },
        "gpus[0].memory_mib",
        24257,
    ),
    (
        "memory-smi-q",
        {
            "gpus": [
                {
                    "vendor": "nvidia",
                    "name": "A100",
                    "memory_mib": "Total                             : 40960 MiB",
                }
            ]
        },
        "gpus[0].memory_mib",
        40960,
    ),
    (
        "memory-na",
        {"gpus": [{"vendor": "nvidia", "name": "RTX 3090", "memory_mib": "[N/A]"}]},
        "gpus[0].memory_mib",
        None,
    ),
]


def field(f: Facts, path: str) -> Any:
    obj: Any = f
    for part in path.replace("[", ".").replace("]", "").split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


@pytest.mark.parametrize(
    ("name", "changes", "path", "expect"), FIELD_ROWS, ids=[r[0] for r in FIELD_ROWS]
)
def test_field_forms(name: str, changes: dict[str, Any], path: str, expect: Any) -> None:
    assert field(facts(**changes), path) == expect


def test_flat_hand_written_file_plans() -> None:
    f = facts_from_dict(
        {
            "system": "Linux",
            "machine": "x86_64",
            "glibc": "2.35",
            "python": "3.11.9",
            "gpus": ["RTX 3090"],
        }
    )
    assert (f.os.system, f.os.machine, f.python.version, gpu(f)[:3]) == (
        "Linux",
        "x86_64",
        "3.11.9",
        ("nvidia", "RTX 3090", "8.6"),
    )


def test_arch_of_the_wrong_type_is_a_sentence_not_a_crash() -> None:
    # Found by mutating the report files: a list where the gfx target belongs raised TypeError.
    with pytest.raises(InvalidInput) as e:
        facts(gpus=[{"vendor": "amd", "name": "AMD Radeon(TM) Graphics", "arch": [1, 2]}])
    assert "gpus[0].arch is [1, 2]" in str(e.value)


def test_unreadable_vendor_is_still_a_sentence() -> None:
    with pytest.raises(InvalidInput) as e:
        facts(gpus=[{"vendor": "nvdia", "name": "Mystery 9"}])
    assert "gpus[0].vendor is 'nvdia'" in str(e.value)


def plan(f: Facts) -> Any:
    return decide(f, validate({"env": "/tmp/envwizard-tool-forms", "manager": "uv"}), KB)


def test_iris_xe_without_integrated_is_not_an_xpu_target() -> None:
    # Before: a hand-written {"vendor": "intel", "name": "…Iris(R) Xe…"} planned the XPU build.
    d = plan(facts(gpus=[{"vendor": "intel", "name": "Intel(R) Iris(R) Xe Graphics"}]))
    assert d.variant == "cpu"


def test_apu_with_unknown_target_is_not_a_rocm_target() -> None:
    # Before: "AMD Radeon(TM) Graphics" alone (a Ryzen APU) planned a ROCm build on a guess.
    d = plan(facts(gpus=[{"vendor": "amd", "name": "AMD Radeon(TM) Graphics"}]))
    assert d.variant == "cpu"
    assert any("is integrated graphics whose gfx target is unknown" in r for r in d.reasons)


def test_windows_driver_form_keeps_the_cuda_build() -> None:
    # Before: "32.0.15.6094" compared as driver 32 and planned the CPU build.
    f = facts(
        os=WIN,
        python={"version": "3.12.5", "executable": "C:\\Python312\\python.exe"},
        gpus=[{"vendor": "nvidia", "name": "NVIDIA GeForce RTX 3090"}],
        nvidia_driver="32.0.15.6094",
    )
    d = plan(f)
    assert d.kind == "cuda"
    assert "facts: nvidia_driver '32.0.15.6094' read as '560.94'" in d.reasons


def test_ansible_setup_output_plans(tmp_path: Path) -> None:
    from envwizard.app.commands import load_facts

    f = load_facts(str(DATA / "ansible-setup-debian12.txt"))
    assert (f.os.system, f.os.machine, f.python.version, f.python.executable) == (
        "Linux",
        "x86_64",
        "3.11.7",
        "/usr/bin/python3",
    )
    assert f.os.distro == "Debian 12.11" and f.memory_mib == 24105
    assert "read as Ansible setup facts" in f.normalised
    tree = tmp_path / "host.json"  # `ansible -m setup --tree DIR` writes the JSON alone
    tree.write_text(DATA.joinpath("ansible-setup-debian12.txt").read_text().split("=> ", 1)[1])
    assert load_facts(str(tree)).python.version == "3.11.7"


def test_powershell_utf16_facts_file_is_read(tmp_path: Path) -> None:
    from envwizard.app.commands import load_facts

    p = tmp_path / "facts.json"
    p.write_bytes(json.dumps(BASE).encode("utf-16"))  # PowerShell 5's Out-File
    assert load_facts(str(p)).os.system == "Linux"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps(BASE).encode())
    assert load_facts(str(p)).os.system == "Linux"


def test_endless_facts_file_is_refused_not_read_forever() -> None:
    from envwizard.app.commands import load_facts

    with pytest.raises(InvalidInput) as e:
        load_facts("/dev/zero")
    assert "is larger than 64 MiB" in str(e.value)


# ---- whole pastes: the forms people post in issues instead of a facts file ----------------------
REPORTS = DATA / "reports"
PASTE_ROWS: list[tuple[str, str, tuple[Any, ...], tuple[Any, ...], str]] = [
    # collect_env as PyTorch prints it (https://github.com/vllm-project/vllm/issues/12440)
    (
        "collect-env",
        "centos7-v100-collect-env.txt",
        ("Linux", "x86_64", "3.10.16", "2.17"),
        ("nvidia", "Tesla V100-PCIE-32GB", "7.0", None, False),
        "read as PyTorch collect_env output",
    ),
    # the sectioned collect_env vLLM prints ("==== System Info ====", "OS      : …")
    # (https://github.com/vllm-project/vllm/issues/26127)
    (
        "collect-env-sectioned",
        "rtx4060-wsl-vllm-collect-env.txt",
        ("Linux", "x86_64", "3.12.3", "2.39"),
        ("nvidia", "NVIDIA GeForce RTX 4060 Laptop GPU", "8.9", None, False),
        "os.wsl read as true from the kernel",
    ),
    # ... on a Jetson Thor (https://github.com/vllm-project/vllm/issues/34470)
    (
        "collect-env-sectioned-thor",
        "thor-jetpack7-vllm-collect-env.txt",
        ("Linux", "aarch64", "3.12.3", "2.39"),
        ("nvidia", "NVIDIA Thor", "11.0", None, False),
        "os.jetson_l4t read as '38' from the tegra kernel",
    ),
    # nvidia-smi's table alone (https://github.com/nixified-ai/flake/issues/92)
    (
        "nvidia-smi-table",
        "rtx3060-nvidia-smi-table.txt",
        ("Linux", "x86_64", "3.12", None),
        ("nvidia", "NVIDIA GeForce RTX 3060", "8.6", None, False),
        "Python not in the paste; planned for 3.12",
    ),
    # ... with the name cut short (https://github.com/pop-os/pop/issues/3654)
    (
        "nvidia-smi-table-cut-name",
        "rtx4070-laptop-nvidia-smi-table.txt",
        ("Linux", "x86_64", "3.12", None),
        ("nvidia", "NVIDIA GeForce RTX 4070", "8.9", None, False),
        "nvidia-smi cut the name 'NVIDIA GeForce RTX 4070 ...' short",
    ),
    # Get-WmiObject / Get-CimInstance Win32_VideoController | Format-List *
    # (https://github.com/KhronosGroup/Vulkan-Loader/issues/283)
    (
        "win32-videocontroller-fl",
        "gtx1660-win32-videocontroller-fl.txt",
        ("Windows", "AMD64", "3.12", None),
        ("nvidia", "NVIDIA GeForce GTX 1660", "7.5", None, False),
        "nvidia_driver not in the paste; planned for a driver serving CUDA 12.0",
    ),
    # (https://github.com/sebhildebrandt/systeminformation/issues/790)
    (
        "get-ciminstance-fl",
        "uhd-get-ciminstance-fl.txt",
        ("Windows", "AMD64", "3.12", None),
        ("intel", "Intel(R) UHD Graphics", None, None, True),
        "read as Windows' Win32_VideoController list",
    ),
]


@pytest.mark.parametrize(
    ("name", "file", "system", "first_gpu", "note"), PASTE_ROWS, ids=[r[0] for r in PASTE_ROWS]
)
def test_paste_forms(
    name: str, file: str, system: tuple[Any, ...], first_gpu: tuple[Any, ...], note: str
) -> None:
    from envwizard.app.commands import load_facts

    f = load_facts(str(REPORTS / file))
    assert (f.os.system, f.os.machine, f.python.version, f.os.glibc) == system
    assert gpu(f) == first_gpu
    assert any(note in n for n in f.normalised), f.normalised


def test_the_assumed_python_is_inside_every_release_window() -> None:
    # The Python a paste does not name must never be what decides the release.
    from envwizard.facts.foreign import ASSUMED_PYTHON

    assert all(r.python_ok(ASSUMED_PYTHON) for r in KB.releases)


def test_text_that_is_no_known_paste_is_still_refused(tmp_path: Path) -> None:
    from envwizard.app.commands import load_facts

    p = tmp_path / "notes.txt"
    p.write_text("Name : my notes\nAge : 3\n")
    with pytest.raises(InvalidInput) as e:
        load_facts(str(p))
    assert "not valid JSON" in str(e.value)


# ---- what a file does not say ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("distro", "glibc", "libc"),
    [
        # as /etc/os-release's PRETTY_NAME, Ansible's distribution + version, collect_env's OS
        ("CentOS Linux 7 (Core)", "2.17", None),
        ("Red Hat Enterprise Linux Server 7.9 (Maipo)", "2.17", None),
        ("RedHat 8.6", "2.28", None),
        ("Rocky Linux 9.3 (Blue Onyx)", "2.34", None),
        ("Amazon 2", "2.26", None),
        ("Amazon Linux 2023", "2.34", None),
        ("Ubuntu 18.04.6 LTS", "2.27", None),
        ("Debian GNU/Linux 10 (buster)", "2.28", None),
        ("Alpine 3.19.1", None, "musl"),
        # a release the table does not know is not guessed
        ("Ubuntu 31.04", None, None),
        ("Arch Linux", None, None),
    ],
)
def test_a_distribution_without_its_glibc_gets_the_glibc_it_ships(
    distro: str, glibc: str | None, libc: str | None
) -> None:
    f = facts_from_dict({**BASE, "os": {"system": "Linux", "machine": "x86_64", "distro": distro}})
    assert (f.os.glibc, f.os.libc) == (glibc, libc)
    if glibc or libc:
        assert any(distro.split()[0] in n for n in f.normalised), f.normalised


def test_a_glibc_the_file_states_wins_over_the_distribution() -> None:
    f = facts_from_dict(
        {
            **BASE,
            "os": {
                "system": "Linux",
                "machine": "x86_64",
                "glibc": "2.39",
                "distro": "Ubuntu 18.04",
            },
        }
    )
    assert f.os.glibc == "2.39"


def test_a_hand_written_file_is_planned_on_stated_assumptions() -> None:
    # No schema (the probe always writes one): what it leaves out is assumed, as for a paste.
    f = facts_from_dict(
        {"os": "CentOS 7", "gpus": ["Tesla V100-PCIE-32GB"], "nvidia_driver": "535.54"}
    )
    assert (f.os.system, f.os.machine, f.os.glibc, f.python.version) == (
        "Linux",
        "x86_64",
        "2.17",
        "3.12",
    )
    assert "os.machine not in the file; planned for x86_64" in f.normalised
    assert "Python not in the file; planned for 3.12" in f.normalised
    f = facts_from_dict({"gpus": ["NVIDIA GeForce RTX 4090"], "nvidia_driver": "550.54"})
    assert (f.os.system, f.os.machine) == ("Linux", "x86_64")
    assert "os not in the file; planned for Linux on x86_64" in f.normalised


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({}, "holds none of the facts a plan needs"),
        ({"note": "my box"}, "holds none of the facts a plan needs"),
        # a file that says it is schema 1 is complete: a missing key is named with what it holds
        (
            {**BASE, "os": {"system": "Linux"}},
            "missing key 'os.machine' (x86_64, aarch64, arm64 or AMD64)",
        ),
        (
            {k: v for k, v in BASE.items() if k != "python"},
            "missing key 'python' (an object such as",
        ),
    ],
)
def test_what_a_file_lacks_is_named_with_what_belongs_there(
    data: dict[str, Any], said: str
) -> None:
    with pytest.raises(InvalidInput) as e:
        facts_from_dict(data)
    assert said in str(e.value)


def test_nvidia_smi_lines_and_queries_pasted_alone_are_read(tmp_path: Path) -> None:
    from envwizard.app.commands import load_facts

    p = tmp_path / "smi.txt"
    p.write_text(
        "```\nname, driver_version, memory.total [MiB]\n"
        "NVIDIA A100-SXM4-80GB, 550.54.15, 81920 MiB\nNVIDIA A100-SXM4-80GB, 550.54.15, 81920 MiB\n```\n"
    )
    f = load_facts(str(p))
    assert [(g.name, g.memory_mib, g.compute_capability) for g in f.gpus] == [
        ("NVIDIA A100-SXM4-80GB", 81920, "8.0")
    ] * 2
    assert f.nvidia_driver == "550.54.15"
    # -L of a MIG-partitioned GPU: the slices under it are not GPUs
    p.write_text(
        "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5b)\n"
        "  MIG 3g.20gb     Device  0: (UUID: MIG-c6e8)\n"
    )
    f = load_facts(str(p))
    assert [g.name for g in f.gpus] == ["NVIDIA A100-SXM4-40GB"]
    assert f.cuda_driver == "12.0"


def test_a_text_that_only_looks_like_a_query_row_is_not_read_as_gpus(tmp_path: Path) -> None:
    from envwizard.app.commands import load_facts

    p = tmp_path / "notes.txt"
    p.write_text("My machine\n0, NVIDIA GeForce RTX 4090, 24564 MiB, 8.9\nthanks!\n")
    with pytest.raises(InvalidInput) as e:
        load_facts(str(p))
    assert "nor a paste envwizard reads" in str(e.value)


LISTINGS = [
    # lspci, as people paste it into GPU-support issues
    (
        "lspci",
        "00:02.0 VGA compatible controller: Intel Corporation UHD Graphics 630 (rev 02)\n"
        "01:00.0 VGA compatible controller: NVIDIA Corporation GA102 [GeForce RTX 3090] (rev a1)\n"
        "01:00.1 Audio device: NVIDIA Corporation GA102 High Definition Audio Controller\n",
        ("Linux", "x86_64"),
        ["nvidia"],
    ),
    # rocminfo: only the agents whose Device Type is GPU (the CPU agent is not one)
    (
        "rocminfo",
        "*******\nAgent 1\n*******\n  Name:                    AMD Ryzen 9 7950X\n"
        "  Marketing Name:          AMD Ryzen 9 7950X\n  Device Type:             CPU\n"
        "*******\nAgent 2\n*******\n  Name:                    gfx1100\n"
        "  Marketing Name:          Radeon RX 7900 XTX\n  Device Type:             GPU\n",
        ("Linux", "x86_64"),
        ["amd"],
    ),
    # system_profiler SPDisplaysDataType on an Apple-silicon Mac
    (
        "system_profiler",
        "Graphics/Displays:\n\n    Apple M2 Pro:\n\n      Chipset Model: Apple M2 Pro\n"
        "      Type: GPU\n      Bus: Built-In\n",
        ("Darwin", "arm64"),
        ["apple"],
    ),
    # cat /etc/nv_tegra_release on a Jetson (JetPack 6)
    (
        "nv_tegra_release",
        "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64\n",
        ("Linux", "aarch64"),
        [],
    ),
]


@pytest.mark.parametrize(
    ("tool", "text", "platform", "vendors"), LISTINGS, ids=[r[0] for r in LISTINGS]
)
def test_gpu_listings_pasted_alone_are_read(
    tmp_path: Path, tool: str, text: str, platform: tuple[str, str], vendors: list[str]
) -> None:
    from envwizard.app.commands import load_facts

    p = tmp_path / "paste.txt"
    p.write_text(text)
    f = load_facts(str(p))
    assert (f.os.system, f.os.machine) == platform
    assert [g.vendor for g in f.gpus if not g.integrated] == vendors
