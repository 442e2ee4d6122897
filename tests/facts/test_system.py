"""OS, CPU, RAM and disk: parsers, and the readers pointed at a fake /proc and /etc."""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

import pytest
from facts_helpers import sample, write_tree

from envwizard.facts.system import (
    cpu_info,
    disk_info,
    distro_name,
    elf_interpreter,
    is_wsl,
    memory_mib,
    os_info,
    parse_cpuinfo,
    parse_glibc,
    parse_meminfo,
    parse_musl_version,
    parse_nv_tegra_release,
    parse_os_release,
)

CPUINFO = """\
processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu vme sse sse2 avx avx2 fma f16c avx512f avx512bw avx512_bf16 amx_tile amx_bf16 amx_int8

processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8480+
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu vme

processor\t: 2
physical id\t: 1
core id\t\t: 0
"""

ARM_CPUINFO = """\
processor\t: 0
BogoMIPS\t: 2000.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid sve sve2 bf16 i8mm
CPU implementer\t: 0x41
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("glibc 2.36", "2.36"),
        ("glibc 2.17", "2.17"),
        ("glibc 2.39.1", "2.39.1"),
        ("", None),
        (None, None),
        ("musl 1.2", None),
    ],
)
def test_parse_glibc(text: str | None, expected: str | None) -> None:
    assert parse_glibc(text) == expected


def test_parse_tegra_release() -> None:
    assert parse_nv_tegra_release(sample("nv_tegra_release-r36.4.7.txt")) == "36.4.7"
    assert parse_nv_tegra_release("nothing here") is None


def test_parse_cpuinfo_x86() -> None:
    cpu = parse_cpuinfo(CPUINFO)
    assert cpu["model"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert cpu["flags"] == [
        "avx",
        "avx2",
        "fma",
        "f16c",
        "avx512f",
        "avx512bw",
        "avx512_bf16",
        "amx_tile",
        "amx_bf16",
        "amx_int8",
    ]
    assert cpu["physical_cores"] == 2  # (socket 0, core 0) twice (SMT) and (socket 1, core 0)


def test_parse_cpuinfo_arm_has_no_core_ids() -> None:
    cpu = parse_cpuinfo(ARM_CPUINFO)
    assert cpu["flags"] == ["asimd", "asimdhp", "sve", "sve2", "bf16", "i8mm"]
    assert cpu["physical_cores"] is None and cpu["model"] is None


def test_parse_meminfo() -> None:
    assert parse_meminfo("MemTotal:       24683844 kB\nMemFree:  1 kB\n") == 24105
    assert parse_meminfo("nothing") is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            'NAME="Ubuntu"\nVERSION="24.04.1 LTS (Noble Numbat)"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\n',
            "Ubuntu 24.04.1 LTS",
        ),
        ("NAME=Fedora\nVERSION='41 (Server Edition)'\n", "Fedora 41 (Server Edition)"),
        ("# comment only\n", None),
    ],
)
def test_parse_os_release(text: str, name: str | None) -> None:
    assert parse_os_release(text) == name


def test_distro_falls_back_to_the_distro_package(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"/etc/redhat-release": "CentOS Linux release 7.9.2009 (Core)\n"})
    name, source = distro_name(str(root))
    assert source == "distro" and name is not None and "CentOS" in name


def test_wsl_detection(tmp_path: Path) -> None:
    assert not is_wsl(
        str(write_tree(tmp_path / "a", {"/proc/version": "Linux version 6.8.0-45-generic"}))
    )
    wsl1 = "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)"
    assert is_wsl(str(write_tree(tmp_path / "b", {"/proc/version": wsl1})))
    assert is_wsl(str(write_tree(tmp_path / "c", {"/dev/dxg": ""})))


@pytest.mark.skipif(platform.system() != "Linux", reason="reads Linux files")
def test_os_info_on_a_fake_jetson(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "/etc/os-release": 'PRETTY_NAME="Ubuntu 22.04.5 LTS"\n',
            "/etc/nv_tegra_release": sample("nv_tegra_release-r36.4.7.txt"),
            "/proc/version": "Linux version 5.15.148-tegra",
        },
    )
    found = os_info(str(root))
    info = found.value
    assert info.distro == "Ubuntu 22.04.5 LTS" and info.jetson_l4t == "36.4.7" and not info.wsl
    assert found.sources["os.jetson_l4t"] == "/etc/nv_tegra_release"
    assert info.glibc == parse_glibc(os.confstr("CS_GNU_LIBC_VERSION"))


def test_cpu_and_memory_from_fake_proc(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path, {"/proc/cpuinfo": CPUINFO, "/proc/meminfo": "MemTotal: 2097152 kB\n"}
    )
    cpu = cpu_info(str(root))
    assert cpu.value["physical_cores"] == 2 and cpu.value["logical_cores"] == os.cpu_count()
    assert cpu.sources["cpu"] == "/proc/cpuinfo"
    mem = memory_mib(str(root))
    assert mem.value == 2048 and mem.sources["memory_mib"] == "/proc/meminfo"


def test_memory_without_proc_uses_psutil(tmp_path: Path) -> None:
    import psutil

    found = memory_mib(str(tmp_path))
    assert found.value == psutil.virtual_memory().total // (1 << 20)
    assert found.sources["memory_mib"] == "psutil"


def test_disk_is_measured_at_the_nearest_existing_directory(tmp_path: Path) -> None:
    target = tmp_path / "envs" / "not-yet" / "dl"
    found = disk_info(str(target))
    assert found.value["path"] == str(target)
    assert found.value["measured_at"] == str(tmp_path)
    free = shutil.disk_usage(tmp_path).free // (1 << 20)
    assert abs(found.value["free_mib"] - free) < 512  # other processes write meanwhile


# ---- libc: musl seen by the probe itself --------------------------------------------------------
def alpine_confstr(name: str) -> str | None:
    """os.confstr on Alpine: musl has no CS_GNU_LIBC_VERSION (ValueError: unrecognized)."""
    raise ValueError("unrecognized configuration name")


def elf_with_interpreter(path: Path, interp: str) -> Path:
    """A minimal 64-bit little-endian ELF whose one program header is PT_INTERP."""
    import struct

    name = interp.encode() + b"\0"
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 0x20, 64)  # e_phoff
    struct.pack_into("<HH", header, 0x36, 56, 1)  # e_phentsize, e_phnum
    ph = struct.pack("<IIQQQQQQ", 3, 4, 120, 0, 0, len(name), len(name), 1)
    path.write_bytes(bytes(header) + ph + name)
    return path


def test_the_elf_interpreter_says_which_libc(tmp_path: Path) -> None:
    # what packaging's musllinux detection reads from the running Python
    musl = elf_with_interpreter(tmp_path / "python3", "/lib/ld-musl-aarch64.so.1")
    assert elf_interpreter(str(musl)) == "/lib/ld-musl-aarch64.so.1"
    assert elf_interpreter(str(tmp_path / "missing")) is None
    (tmp_path / "text").write_text("#!/bin/sh\n")
    assert elf_interpreter(str(tmp_path / "text")) is None


@pytest.mark.skipif(platform.system() != "Linux", reason="reads Linux files")
def test_the_real_python_has_an_elf_interpreter() -> None:
    import sys

    interp = elf_interpreter(sys.executable)
    assert interp is None or interp.startswith("/")  # a static build has none


@pytest.mark.parametrize(
    ("text", "version"),
    [
        # musl's loader and ldd, run with no arguments / --version (on stderr)
        ("musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\n", "1.2.4"),
        ("musl libc (aarch64)\n", ""),
        ("ldd (Ubuntu GLIBC 2.39-0ubuntu8.4) 2.39\n", None),
    ],
)
def test_parse_musl_version(text: str, version: str | None) -> None:
    assert parse_musl_version(text) == version


@pytest.mark.skipif(platform.system() != "Linux", reason="reads Linux files")
def test_the_probe_on_a_fake_alpine_root_finds_musl_and_the_plan_refuses(tmp_path: Path) -> None:
    # python:3.9-alpine of https://github.com/pytorch/pytorch/issues/102592, as the probe sees it
    root = write_tree(
        tmp_path,
        {
            "/etc/os-release": 'PRETTY_NAME="Alpine Linux v3.18"\n',
            "/lib/ld-musl-x86_64.so.1": "",
            "/proc/version": "Linux version 6.8.0-45-generic",
        },
    )
    found = os_info(str(root), confstr=alpine_confstr)
    info = found.value
    assert (info.glibc, info.libc, info.distro) == (None, "musl", "Alpine Linux v3.18")
    assert found.sources["os.libc"] == "musl (/lib/ld-musl-x86_64.so.1)"

    from envwizard.core.errors import ImpossibleRequest
    from envwizard.decide.decision import decide
    from envwizard.facts.model import Facts, PythonInfo
    from envwizard.knowledge import load
    from envwizard.settings.answers import validate

    facts = Facts(os=info, python=PythonInfo("3.9.17", "/usr/local/bin/python"))
    with pytest.raises(ImpossibleRequest) as e:
        decide(facts, validate({"env": str(tmp_path / "e"), "manager": "venv"}), load())
    assert str(e.value) == (
        "no torch build for this platform: this Linux uses musl libc (as Alpine does), and "
        "torch is built for glibc systems only; use a glibc-based distribution or container image"
    )


@pytest.mark.skipif(platform.system() != "Linux", reason="reads Linux files")
def test_no_glibc_and_no_musl_is_unknown_not_silent(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"/etc/os-release": 'PRETTY_NAME="Some Linux"\n'})
    found = os_info(str(root), confstr=alpine_confstr)
    assert found.value.glibc is None and found.value.libc is None
    assert "no musl loader" in found.unknown["os.glibc"]
