"""Verdicts: the ✓ / ⚠ / ✗ lines, as a table of machines and what each must be told."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console

from envwizard.decide.verdicts import LEVELS, Verdict, verdicts
from envwizard.facts.model import GPU, Facts, Manager, OSInfo, PythonInfo
from envwizard.knowledge import load
from envwizard.report.facts_render import print_facts

KB = load()


def machine(
    *,
    pythons: list[PythonInfo] | None = None,
    gpus: list[GPU] | None = None,
    driver: str | None = None,
    cuda: str | None = None,
    free_mib: int = 500_000,
    memory_mib: int = 64 * 1024,
    managers: dict[str, Manager] | None = None,
    unknown: dict[str, str] | None = None,
    **os_kw: Any,
) -> Facts:
    os_args = {
        "system": "Linux",
        "machine": "x86_64",
        "glibc": "2.35",
        "distro": "Ubuntu 22.04.5 LTS",
    }
    os_args.update(os_kw)
    current = PythonInfo(
        version="3.12.3",
        executable="/usr/bin/python3",
        origin="current",
        has_venv=True,
        has_ensurepip=True,
    )
    return Facts(
        os=OSInfo(**os_args),
        python=current,
        pythons=pythons or [current],
        gpus=gpus or [],
        nvidia_driver=driver,
        cuda_driver=cuda,
        memory_mib=memory_mib,
        disk={"path": "/home/ada/envs", "free_mib": free_mib},
        home="/home/ada",
        managers=managers or {},
        unknown=unknown or {},
    )


def nv(name: str, cc: str | None, **kw: Any) -> GPU:
    return GPU(vendor="nvidia", name=name, compute_capability=cc, memory_mib=8192, **kw)


def line(facts: Facts, subject: str) -> tuple[str, str]:
    """(level, message) of the one verdict about `subject`."""
    found = [v for v in verdicts(facts, KB) if v.subject == subject]
    assert len(found) == 1, [v for v in verdicts(facts, KB)]
    return found[0].level, found[0].message


def py(version: str, path: str = "", **kw: Any) -> PythonInfo:
    return PythonInfo(
        version=version,
        executable=path or f"/usr/bin/python{version[:4]}",
        has_venv=True,
        has_ensurepip=True,
        **kw,
    )


@pytest.mark.parametrize(
    ("version", "level", "message"),
    [
        ("3.14.0", "ok", "torch ≥ 2.9 only"),
        ("3.12.3", "ok", "torch 2.2–2.14"),
        ("3.9.18", "warn", "torch ≤ 2.8 only"),
        ("3.8.18", "warn", "torch ≤ 2.4 only"),
        ("2.7.18", "bad", "no torch"),
        ("3.7.16", "bad", "no torch"),
    ],
)
def test_python_windows(version: str, level: str, message: str) -> None:
    f = machine(pythons=[py(version)])
    assert line(f, f"Python {version[: version.rindex('.')]}") == (level, message)


def test_same_line_interpreters_share_one_window_verdict() -> None:
    f = machine(
        pythons=[
            py("3.11.2", "/usr/bin/python3"),
            py("3.11.7", "/home/ada/.pyenv/versions/3.11.7/bin/python3"),
        ]
    )
    assert line(f, "Python 3.11") == ("ok", "torch 2.2–2.14")


def test_pep668_is_fine() -> None:
    f = machine(pythons=[py("3.11.2", "/usr/bin/python3", externally_managed=True)])
    level, message = line(f, "Python 3.11.2 /usr/bin/python3")
    assert level == "ok" and "fine, envwizard always makes a separate environment" in message


def test_missing_ensurepip_says_what_to_install_and_what_works() -> None:
    f = machine(
        pythons=[
            PythonInfo(
                version="3.11.2",
                executable="/usr/bin/python3.11",
                has_venv=True,
                has_ensurepip=False,
            )
        ]
    )
    assert line(f, "Python 3.11.2 /usr/bin/python3.11") == (
        "warn",
        "python -m venv cannot seed pip: apt install python3.11-venv; virtualenv and uv work",
    )


def test_broken_interpreter_and_home_shortened() -> None:
    broken = PythonInfo(
        version="3.9",
        executable="/home/ada/.pyenv/versions/3.9.1/bin/python3",
        error="exited with 1: boom",
    )
    assert line(machine(pythons=[broken]), "Python ~/.pyenv/versions/3.9.1/bin/python3") == (
        "bad",
        "does not run: exited with 1: boom",
    )


def test_pascal_on_a_cuda13_driver() -> None:
    f = machine(gpus=[nv("NVIDIA GeForce GTX 1080", "6.1")], driver="580.95.05")
    assert line(f, "GeForce GTX 1080 sm_61") == (
        "warn",
        "CUDA 13 builds lack its kernels; cu126 (torch ≤ 2.14) runs",
    )
    assert line(f, "NVIDIA driver") == ("ok", "580.95.05 serves CUDA ≤ 13.0")


def test_hopper_is_covered_by_every_build() -> None:
    f = machine(gpus=[nv("NVIDIA H200", "9.0")], driver="590.48.01", cuda="13.1")
    assert line(f, "H200 sm_90") == (
        "ok",
        "kernels in every CUDA build of torch 2.14 (cu132, cu130, cu126)",
    )
    assert line(f, "NVIDIA driver") == ("ok", "590.48.01 serves CUDA ≤ 13.1")


def test_kepler_and_older() -> None:
    f = machine(gpus=[nv("Tesla K80", "3.7"), nv("GeForce GTX 680", "3.0")], driver="470.256.02")
    # torch 2.4-2.7 cu118 carry sm_37 but ship cuDNN 9 (SM 5.0+), so the screen says 2.3, as
    # the planner does: https://docs.nvidia.com/deeplearning/cudnn/backend/v9.0.0/reference/support-matrix.html
    assert line(f, "Tesla K80 sm_37") == ("warn", "only cu118 (torch ≤ 2.3) carry its kernels")
    assert line(f, "GeForce GTX 680 sm_30")[0] == "bad"
    level, message = line(f, "NVIDIA driver")
    assert (
        level == "warn"
        and "CUDA 12 builds need ≥ 525.60.13" in message
        and "torch ≤ 2.7 only" in message
    )


def test_unknown_compute_capability() -> None:
    f = machine(gpus=[nv("NVIDIA Future GPU", None)], driver="610.57.04")
    assert line(f, "Future GPU")[0] == "warn"


def test_gpu_without_a_driver() -> None:
    f = machine(
        gpus=[nv("NVIDIA GeForce GTX 1080", None)],
        unknown={"nvidia_driver": "an NVIDIA GPU is on the PCI bus but no NVIDIA driver is loaded"},
    )
    level, message = line(f, "NVIDIA driver")
    assert level == "bad" and message.startswith("an NVIDIA GPU is on the PCI bus")
    assert not [v for v in verdicts(f, KB) if v.subject == "nvidia_driver"]


def test_wsl_uses_the_windows_driver_table() -> None:
    f = machine(gpus=[nv("NVIDIA GeForce RTX 4090", "8.9")], driver="566.36", wsl=True)
    assert line(f, "NVIDIA driver") == ("ok", "Windows driver 566.36 serves CUDA ≤ 12.7")
    assert line(f, "WSL")[0] == "ok"


def test_intel_integrated_is_not_an_xpu_target() -> None:
    f = machine(gpus=[GPU(vendor="intel", name="Intel UHD Graphics 770", integrated=True)])
    level, message = line(f, "Intel UHD Graphics 770")
    assert level == "warn" and message.startswith("integrated: not an XPU target")


def test_intel_arc_is() -> None:
    f = machine(gpus=[GPU(vendor="intel", name="Intel Arc A770")])
    assert line(f, "Intel Arc A770") == ("ok", "XPU builds for torch 2.5–2.14")


def test_amd_targets() -> None:
    f = machine(
        gpus=[
            GPU(vendor="amd", name="AMD Instinct MI300X", arch="gfx942"),
            GPU(vendor="amd", name="AMD Radeon RX 6700 XT", arch="gfx1031"),
            GPU(vendor="amd", name="AMD Radeon 780M", arch="gfx1103", integrated=True),
        ]
    )
    assert line(f, "Instinct MI300X gfx942") == (
        "ok",
        "rocm7.14, rocm7.2 (torch 2.14) carries its kernels",
    )
    level, message = line(f, "Radeon RX 6700 XT gfx1031")
    assert level == "bad" and "HSA_OVERRIDE_GFX_VERSION=10.3.0 runs its gfx1030 kernels" in message
    assert line(f, "Radeon 780M gfx1103")[1].startswith("integrated (APU): left out")


def test_apple_mps_needs_macos_14() -> None:
    apple = [GPU(vendor="apple", name="Apple M2 Pro GPU", integrated=True)]
    old = machine(system="Darwin", machine="arm64", glibc=None, macos_version="13.6", gpus=apple)
    assert line(old, "Apple M2 Pro GPU") == ("bad", "MPS needs macOS 14.0 or newer; this is 13.6")
    new = machine(system="Darwin", machine="arm64", glibc=None, macos_version="15.1", gpus=apple)
    assert line(new, "Apple M2 Pro GPU")[0] == "ok"


def test_intel_mac_has_no_wheels() -> None:
    f = machine(system="Darwin", machine="x86_64", glibc=None, macos_version="13.6")
    # Intel Macs stop at torch 2.2.2 (https://github.com/pytorch/pytorch/issues/161614): warn, and plan it.
    level, message = line(f, "system")
    assert level == "warn" and "torch 2.2 only" in message and "2.2.2" in message


def test_old_glibc() -> None:
    f = machine(glibc="2.17")
    assert line(f, "system") == (
        "warn",
        "Ubuntu 22.04.5 LTS x86_64, glibc 2.17: torch ≥ 2.7 wheels need glibc 2.28; torch ≤ 2.6 only",
    )


def test_disk_for_cuda() -> None:
    f = machine(gpus=[nv("NVIDIA GeForce RTX 4090", "8.9")], driver="580.95.05", free_mib=12 * 1024)
    assert line(f, "disk") == ("ok", "12 GiB free at ~/envs: enough for a CUDA build (~6.8 GiB)")
    tight = machine(
        gpus=[nv("NVIDIA GeForce RTX 4090", "8.9")], driver="580.95.05", free_mib=4 * 1024
    )
    assert line(tight, "disk") == (
        "warn",
        "4.0 GiB free at ~/envs: enough for a CPU build, not for CUDA (~6.8 GiB)",
    )
    full = machine(free_mib=500)
    assert line(full, "disk")[0] == "bad"


def test_managers_found_and_missing() -> None:
    f = machine(
        managers={
            "uv": Manager("uv", "/usr/bin/uv", "0.8.3"),
            "conda": Manager("conda", "/opt/conda/bin/conda", "25.9.1"),
        }
    )
    assert line(f, "managers") == ("ok", "found: conda 25.9.1, uv 0.8.3")
    assert line(f, "mamba, micromamba") == ("ok", "not found; only conda environments need them")
    assert "offers to install it" in line(f, "virtualenv")[1]  # not "needs none of them"
    assert line(f, "pip") == ("ok", "not found")
    broken = machine(
        managers={
            "micromamba": Manager(
                "micromamba", "/x/micromamba", "2.0.5", error="envs directory unknown: boom"
            )
        }
    )
    assert line(broken, "micromamba")[0] == "warn"


def test_no_gpu_and_unknowns() -> None:
    f = machine(unknown={"gpus.amd": "timed out after 11 s"})
    assert line(f, "GPU") == ("warn", "none found: the CPU build is what runs here")
    assert line(f, "gpus.amd") == ("warn", "unknown (timed out after 11 s)")


def test_levels_are_known() -> None:
    f = machine(
        gpus=[nv("NVIDIA GeForce GTX 1080", "6.1")],
        driver="580.95.05",
        pythons=[py("2.7.18"), py("3.12.3")],
    )
    assert set(LEVELS) == {"ok", "warn", "bad"}
    assert {v.level for v in verdicts(f, KB)} == set(LEVELS)  # this machine earns all three
    assert all(isinstance(v, Verdict) and v.subject and v.message for v in verdicts(f, KB))


def test_render_shows_tables_and_marks() -> None:
    f = machine(
        gpus=[nv("NVIDIA GeForce GTX 1080", "6.1")],
        driver="580.95.05",
        pythons=[py("2.7.18"), py("3.12.3")],
    )
    console = Console(record=True, width=160, color_system=None)
    print_facts(f, console)
    text = console.export_text()
    for title in ("System", "Python interpreters", "Environment managers", "GPUs"):
        assert title in text
    assert "✓ Python 3.12: torch 2.2–2.14" in text
    assert "✗ Python 2.7: no torch" in text
    assert "⚠ GeForce GTX 1080 sm_61: CUDA 13 builds lack its kernels" in text
    assert "sm_61" in text and "580.95.05" in text


def test_musl_is_bad_on_the_machine_screen() -> None:
    f = machine(glibc=None, libc="musl", distro="Alpine Linux v3.18")
    level, message = line(f, "system")
    assert level == "bad" and message.startswith("Alpine Linux v3.18 x86_64: this Linux uses musl")


def test_jetson_verdicts_name_where_the_builds_come_from() -> None:
    orin = nv("Orin (nvgpu)", "8.7")
    jp6 = machine(machine="aarch64", jetson_l4t="36.4.7", gpus=[orin])
    assert line(jp6, "Jetson") == (
        "ok",
        "L4T 36.4.7 (JetPack 6, CUDA 12.6): GPU builds come from NVIDIA's Jetson index, not "
        "from PyTorch's SBSA wheels",
    )
    assert line(jp6, "NVIDIA driver")[0] == "ok"
    thor = machine(
        machine="aarch64", jetson_l4t="38.2.0", gpus=[nv("NVIDIA Thor", "11.0")], driver="580.00"
    )
    assert line(thor, "NVIDIA driver") == ("ok", "the driver of L4T 38.2.0 serves CUDA 13.0")
    # PyTorch's own aarch64 CUDA 13 builds carry sm_110; its CUDA 12 ones do not
    assert line(thor, "Thor sm_110") == (
        "warn",
        "CUDA 12 builds lack its kernels; cu132, cu130 (torch ≤ 2.14) runs",
    )


def test_a_driver_known_only_by_its_cuda_is_a_warning_not_an_error() -> None:
    f = machine(gpus=[nv("Tesla V100-PCIE-32GB", "7.0")], cuda="12.0")
    assert line(f, "NVIDIA driver") == ("warn", "version unknown; it serves CUDA 12.0")


def test_the_facts_table_in_chinese_names_the_running_python_and_the_disk_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `envwizard --lang zh-CN probe` showed "current" as where the running Python was found
    # and "disk usage of /root" as a source: English words inside the Chinese table.
    from envwizard.core import i18n

    monkeypatch.setattr(i18n, "_cli", None)
    i18n.set_cli_language("zh-CN")
    try:
        f = machine()
        f.sources["disk"] = "shutil.disk_usage(/home/ada)"
        console = Console(record=True, width=160, color_system=None)
        print_facts(f, console)
        text = console.export_text()
    finally:
        i18n.set_cli_language("en")
    assert "envwizard 正运行于此" in text and "current" not in text
    from envwizard.facts.system import disk_info

    # the source is what was called, like os.confstr(CS_GNU_LIBC_VERSION), not an English phrase
    assert disk_info("/").sources["disk"] == "shutil.disk_usage(/)"
