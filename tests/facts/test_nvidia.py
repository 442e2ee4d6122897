"""NVIDIA: parsers against captured driver output, and the fallback chain without NVML."""

from __future__ import annotations

from pathlib import Path

import pytest
from facts_helpers import DATA, sample, stand_in, write_tree

from envwizard.facts.nvidia import (
    cc_from_name,
    compute_cap_rejected,
    parse_cuda_driver_version,
    parse_nvidia_smi_header,
    parse_nvidia_smi_query,
    parse_proc_driver_version,
    parse_sys_module_version,
    probe_nvidia,
)

WITH_DRIVER = ("index", "name", "driver_version", "memory.total", "compute_cap")


@pytest.mark.parametrize(
    ("file", "name", "memory", "cc"),
    [
        ("nvidia-smi-query-h200-590.48.csv", "NVIDIA H200", 143771, "9.0"),
        ("nvidia-smi-query-l40s-595.80.csv", "NVIDIA L40S", 46068, "8.9"),
        ("nvidia-smi-query-rtx2080super-610.57.csv", "NVIDIA GeForce RTX 2080 SUPER", 8192, "7.5"),
    ],
)
def test_query_rows_from_captures(file: str, name: str, memory: int, cc: str) -> None:
    rows = parse_nvidia_smi_query(sample(file), WITH_DRIVER)
    assert rows == [{"index": 0, "name": name, "memory_mib": memory, "compute_capability": cc}]


def test_query_with_header_takes_columns_from_it() -> None:
    rows = parse_nvidia_smi_query(sample("nvidia-smi-query-titanv-rtx5880-570.86.csv"))
    assert [(r["index"], r["name"], r["compute_capability"]) for r in rows] == [
        (0, "NVIDIA TITAN V", "7.0"),
        (1, "NVIDIA RTX 5880 Ada Generation", "8.9"),
    ]


def test_query_nounits_and_missing_values() -> None:
    text = "0, NVIDIA A100-SXM4-80GB, 81920, 8.0\n1, NVIDIA A100-SXM4-80GB, [N/A], [N/A]\n"
    rows = parse_nvidia_smi_query(text)
    assert rows[0]["memory_mib"] == 81920
    assert rows[1]["memory_mib"] is None
    assert rows[1]["compute_capability"] is None


def test_query_name_with_a_comma_survives() -> None:
    rows = parse_nvidia_smi_query("3, Odd, Name GPU, 1024, 8.6\n")
    assert rows == [
        {"index": 3, "name": "Odd, Name GPU", "memory_mib": 1024, "compute_capability": "8.6"}
    ]


def test_r470_error_is_recognised_and_is_not_a_row() -> None:
    text = sample("nvidia-smi-r470-compute-cap.txt")
    assert compute_cap_rejected(text)
    assert parse_nvidia_smi_query(text) == []
    assert not compute_cap_rejected(sample("nvidia-smi-query-h200-590.48.csv"))


def test_summary_header_old_wording() -> None:
    assert parse_nvidia_smi_header(sample("nvidia-smi-summary-590.48-h200.txt")) == (
        "590.48.01",
        "13.1",
    )


def test_summary_header_r610_wording() -> None:
    assert parse_nvidia_smi_header(sample("nvidia-smi-summary-610.57-rtx2080super.txt")) == (
        "610.57.04",
        "13.3",
    )


def test_summary_header_absent() -> None:
    assert parse_nvidia_smi_header("No devices were found\n") == (None, None)


def test_proc_driver_version_both_variants() -> None:
    assert (
        parse_proc_driver_version(sample("proc-driver-nvidia-version-open-550.txt")) == "550.144.03"
    )
    assert (
        parse_proc_driver_version(sample("proc-driver-nvidia-version-legacy-375.txt")) == "375.74"
    )
    assert parse_proc_driver_version("GCC version: 12\n") is None


def test_sys_module_version() -> None:
    assert parse_sys_module_version(sample("sys-module-nvidia-version.txt")) == "550.144.03"
    assert parse_sys_module_version("garbage\n") is None


@pytest.mark.parametrize(
    ("value", "expected"), [(12040, "12.4"), (13000, "13.0"), (12080, "12.8"), (0, None)]
)
def test_cuda_driver_version_integer(value: int, expected: str | None) -> None:
    assert parse_cuda_driver_version(value) == expected


@pytest.mark.parametrize(
    ("name", "cc"),
    [
        ("NVIDIA GeForce GTX 1080", "6.1"),
        ("Tesla P100-PCIE-16GB", "6.0"),
        ("Tesla V100-SXM2-32GB", "7.0"),
        ("NVIDIA TITAN V", "7.0"),
        ("TITAN Xp", "6.1"),
        ("GeForce GTX TITAN X", "5.2"),
        ("Tesla T4", "7.5"),
        ("NVIDIA GeForce RTX 3090", "8.6"),
        ("NVIDIA A100-SXM4-80GB", "8.0"),
        ("NVIDIA A10G", "8.6"),
        ("NVIDIA L40S", "8.9"),
        ("NVIDIA RTX 5880 Ada Generation", "8.9"),
        ("NVIDIA H200", "9.0"),
        ("NVIDIA B200", "10.0"),
        ("NVIDIA GeForce RTX 5090", "12.0"),
        ("NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition", "12.0"),
        ("Tesla K80", "3.7"),
        ("GeForce GTX 750 Ti", "5.0"),
        ("NVIDIA Jetson AGX Orin Developer Kit", "8.7"),
        ("Some Future GPU", None),
    ],
)
def test_name_table(name: str, cc: str | None) -> None:
    assert cc_from_name(name) == cc


def test_no_driver_and_no_nvidia_smi_means_no_nvidia(tmp_path: Path) -> None:
    found = probe_nvidia(str(tmp_path), env={"PATH": str(tmp_path / "bin")})
    assert found.value.cards == [] and found.value.driver is None
    assert found.unknown == {}


SMI_R470 = f"""
query = [a for a in args if a.startswith("--query-gpu=")]
if query and "compute_cap" in query[0]:
    sys.stdout.write(open({str(DATA / "nvidia-smi-r470-compute-cap.txt")!r}).read())
    sys.exit(2)
if query:
    print("0, Tesla K80, 11441")
    print("1, Tesla K80, 11441")
    sys.exit(0)
print("| NVIDIA-SMI 470.256.02   Driver Version: 470.256.02   CUDA Version: 11.4     |")
"""


def test_r470_nvidia_smi_is_retried_without_compute_cap(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "nvidia-smi", SMI_R470)
    root = write_tree(
        tmp_path / "root",
        {"/proc/driver/nvidia/version": sample("proc-driver-nvidia-version-legacy-375.txt")},
    )
    found = probe_nvidia(str(root), env={"PATH": str(bin_dir)}, use_nvml=False, use_libcuda=False)
    state = found.value
    # The driver's own file wins over nvidia-smi's header; CUDA comes from the header.
    assert state.driver == "375.74"
    assert found.sources["nvidia_driver"] == "/proc/driver/nvidia/version"
    assert state.cuda_driver == "11.4" and found.sources["cuda_driver"] == "nvidia-smi"
    assert [(c.gpu.index, c.gpu.name, c.gpu.memory_mib) for c in state.cards] == [
        (0, "Tesla K80", 11441),
        (1, "Tesla K80", 11441),
    ]
    # compute_cap was refused, so the capability comes from the name table, and says so.
    assert [c.gpu.compute_capability for c in state.cards] == ["3.7", "3.7"]
    assert state.cards[0].sources["compute_capability"] == "name table"
    assert state.cards[0].gpu.source == "nvidia-smi"


SMI_610 = f"""
if any(a.startswith("--query-gpu=") for a in args):
    print("0, NVIDIA GeForce RTX 2080 SUPER, 8192, 7.5")
    sys.exit(0)
sys.stdout.write(open({str(DATA / "nvidia-smi-summary-610.57-rtx2080super.txt")!r}).read())
"""


def test_wsl_uses_the_projected_nvidia_smi_and_the_r610_header(tmp_path: Path) -> None:
    # WSL: no /proc/driver/nvidia, nvidia-smi lives in /usr/lib/wsl/lib; a broken distro copy
    # on PATH must not win.
    root = tmp_path / "root"
    stand_in(root / "usr/lib/wsl/lib", "nvidia-smi", SMI_610)
    write_tree(root, {"/dev/dxg": ""})
    broken = stand_in(tmp_path / "bin", "nvidia-smi", "print('NVIDIA-SMI has failed'); sys.exit(9)")
    found = probe_nvidia(
        str(root), env={"PATH": str(broken.parent)}, wsl=True, use_nvml=False, use_libcuda=False
    )
    state = found.value
    assert state.driver == "610.57.04" and found.sources["nvidia_driver"] == "nvidia-smi"
    assert state.cuda_driver == "13.3"
    assert [(c.gpu.name, c.gpu.compute_capability) for c in state.cards] == [
        ("NVIDIA GeForce RTX 2080 SUPER", "7.5")
    ]
    assert state.cards[0].sources["compute_capability"] == "nvidia-smi"


@pytest.mark.slow
@pytest.mark.timed
def test_hanging_nvidia_smi_becomes_unknown_not_a_crash(tmp_path: Path) -> None:
    stand_in(tmp_path / "bin", "nvidia-smi", "time.sleep(30)")
    root = write_tree(tmp_path / "root", {"/sys/module/nvidia/version": "580.95.05\n"})
    found = probe_nvidia(
        str(root),
        timeout=0.5,
        env={"PATH": str(tmp_path / "bin")},
        use_nvml=False,
        use_libcuda=False,
    )
    assert found.value.driver == "580.95.05"
    assert found.value.cards == []
    assert found.unknown["gpus.nvidia"] == "nvidia-smi timed out after 0.5 s"


def test_jetson_gpu_from_the_device_tree(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "/etc/nv_tegra_release": sample("nv_tegra_release-r36.4.7.txt"),
            "/proc/device-tree/model": "NVIDIA Jetson AGX Orin Developer Kit\x00",
        },
    )
    found = probe_nvidia(str(root), env={"PATH": ""}, use_nvml=False, use_libcuda=False)
    (card,) = found.value.cards
    assert card.gpu.name == "NVIDIA Jetson AGX Orin Developer Kit"
    assert card.gpu.integrated and card.gpu.compute_capability == "8.7"


def has_library(name: str) -> bool:
    import ctypes.util

    return ctypes.util.find_library(name) is not None


@pytest.mark.skipif(has_library("nvidia-ml"), reason="NVML is installed here")
def test_nvml_failure_falls_back_to_the_driver_files(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path, {"/proc/driver/nvidia/version": sample("proc-driver-nvidia-version-open-550.txt")}
    )
    found = probe_nvidia(str(root), env={"PATH": ""}, use_libcuda=False)
    assert found.value.driver == "550.144.03"
    assert found.sources["nvidia_driver"] == "/proc/driver/nvidia/version"
    assert found.unknown["gpus.nvidia"].startswith("NVML: ")
    assert found.unknown["gpus.nvidia"].endswith("; nvidia-smi not found")


@pytest.mark.skipif(has_library("cuda"), reason="libcuda is installed here")
def test_without_libcuda_the_name_table_answers(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "nvidia-smi", SMI_R470)
    root = write_tree(tmp_path / "root", {"/sys/module/nvidia/version": "470.256.02\n"})
    found = probe_nvidia(str(root), env={"PATH": str(bin_dir)}, use_nvml=False)
    assert [c.gpu.compute_capability for c in found.value.cards] == ["3.7", "3.7"]
    assert "gpus.nvidia.compute_capability" not in found.unknown


@pytest.mark.skipif(has_library("cuda"), reason="libcuda is installed here")
def test_an_unknown_name_on_an_old_driver_leaves_the_cc_unknown_and_says_why(
    tmp_path: Path,
) -> None:
    body = SMI_R470.replace("Tesla K80", "Quadro Mystery 9000")
    stand_in(tmp_path / "bin", "nvidia-smi", body)
    root = write_tree(tmp_path / "root", {"/sys/module/nvidia/version": "470.256.02\n"})
    found = probe_nvidia(str(root), env={"PATH": str(tmp_path / "bin")}, use_nvml=False)
    assert [c.gpu.compute_capability for c in found.value.cards] == [None, None]
    why = found.unknown["gpus.nvidia.compute_capability"]
    assert why.startswith("Quadro Mystery 9000: the driver's tools")
    assert "libcuda could not be loaded" in why
