"""The machine under the Pythons: OS, distro, kernel, glibc, WSL, macOS, Jetson, CPU, RAM, disk.

Readers of files take `root` so tests can build a fake /proc and /etc under a temp dir; the
parsers are pure functions over the text those files hold.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import struct
import sys
from collections.abc import Callable

from envwizard.facts.found import Found, at
from envwizard.facts.model import OSInfo
from envwizard.facts.subproc import ProbeError, read_text, run

MIB = 1 << 20
CPU_FLAGS = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
    "amx_fp16",
    # aarch64 names (/proc/cpuinfo "Features")
    "asimd",
    "asimdhp",
    "sve",
    "sve2",
    "bf16",
    "i8mm",
)
"""CPU features that decide how fast a CPU build of torch trains (oneDNN picks kernels by them)."""

_TEGRA = re.compile(r"R(\d+) \(release\), REVISION: ([\d.]+)")


def parse_glibc(text: str | None) -> str | None:
    """ "glibc 2.36" (os.confstr CS_GNU_LIBC_VERSION) -> "2.36"; musl and others -> None."""
    if not text:
        return None
    m = re.fullmatch(r"glibc (\d+\.\d+(?:\.\d+)?)", text.strip())
    return m.group(1) if m else None


def parse_musl_version(text: str) -> str | None:
    """musl's loader and `ldd` print "musl libc (x86_64)" then "Version 1.2.4" (on stderr)."""
    if "musl" not in text.lower():
        return None
    m = re.search(r"^Version\s+(\d+(?:\.\d+)+)", text, re.M)
    return m.group(1) if m else ""


def elf_interpreter(path: str) -> str | None:
    """The program interpreter an ELF executable names (PT_INTERP), as packaging's musllinux
    detection reads it from the running Python: /lib/ld-musl-x86_64.so.1 on musl, ld-linux on
    glibc. None for anything that is not a readable dynamic ELF."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 52 or head[:4] != b"\x7fELF" or head[4] not in (1, 2):
                return None
            wide, end = head[4] == 2, "<" if head[5] == 1 else ">"
            if wide:
                (phoff,) = struct.unpack_from(end + "Q", head, 0x20)
                phentsize, phnum = struct.unpack_from(end + "HH", head, 0x36)
            else:
                (phoff,) = struct.unpack_from(end + "I", head, 0x1C)
                phentsize, phnum = struct.unpack_from(end + "HH", head, 0x2A)
            for i in range(min(phnum, 64)):
                f.seek(phoff + i * phentsize)
                ph = f.read(phentsize)
                if len(ph) < (56 if wide else 32) or struct.unpack_from(end + "I", ph, 0)[0] != 3:
                    continue
                offset, size = (
                    struct.unpack_from(end + "QQQQ", ph, 8)[::3]
                    if wide
                    else struct.unpack_from(end + "IIII", ph, 4)[::3]
                )
                f.seek(offset)
                return f.read(min(size, 4096)).split(b"\0", 1)[0].decode("utf-8", "replace")
    except (OSError, struct.error):
        return None
    return None


def find_musl(root: str, timeout: float, executable: str | None = None) -> tuple[str, str] | None:
    """(version or "", where it was seen) on a musl Linux such as Alpine, else None.

    Three places say musl: its loader /lib/ld-musl-<arch>.so.1, the running Python's ELF
    interpreter (packaging's musllinux detection), and `ldd --version`. The loader and ldd are
    run only on the real root, to read the version.
    """
    live = root == "/"
    loaders = sorted(glob.glob(at(root, "/lib/ld-musl-*.so.1")))
    interp = elf_interpreter(executable or sys.executable) if live else None
    if interp and "musl" in interp:
        loaders = [interp, *loaders]
    where = loaders[0] if loaders else None
    runs = [[loaders[0]], ["ldd", "--version"]] if live and loaders else [["ldd", "--version"]]
    for argv in runs if live else []:
        try:
            out = run(argv, timeout, check=False)
        except ProbeError:
            continue
        version = parse_musl_version(out.stderr + out.stdout)
        if version is not None:
            return version, where or " ".join(argv)
    if where is None:
        return None
    shown = where if live else "/" + os.path.relpath(where, root).replace(os.sep, "/")
    return "", shown


def parse_nv_tegra_release(text: str) -> str | None:
    """/etc/nv_tegra_release -> the L4T version ("# R36 (release), REVISION: 4.7" -> "36.4.7")."""
    m = _TEGRA.search(text)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def parse_cpuinfo(text: str) -> dict[str, object]:
    """/proc/cpuinfo -> model, the features that matter, and physical cores when it says."""
    model = None
    flags: set[str] = set()
    cores: set[tuple[str, str]] = set()
    physical = ""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key in ("model name", "hardware", "cpu model") and model is None and value:
            model = value
        elif key in ("flags", "features") and not flags:
            flags = set(value.split())
        elif key == "physical id":
            physical = value
        elif key == "core id":
            cores.add((physical, value))
    return {
        "model": model,
        "flags": [f for f in CPU_FLAGS if f in flags],
        "physical_cores": len(cores) or None,
    }


def parse_meminfo(text: str) -> int | None:
    """/proc/meminfo's MemTotal in MiB ("MemTotal:       24683844 kB" -> 24105)."""
    m = re.search(r"^MemTotal:\s+(\d+)\s*kB", text, re.M)
    return int(m.group(1)) // 1024 if m else None


def parse_os_release(text: str) -> str | None:
    """os-release's PRETTY_NAME ("Ubuntu 24.04.1 LTS"), else NAME and VERSION."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1].replace('\\"', '"')
            values[key] = value
    if values.get("PRETTY_NAME"):
        return values["PRETTY_NAME"]
    name = " ".join(v for v in (values.get("NAME"), values.get("VERSION")) if v)
    return name or None


def is_wsl(root: str = "/") -> bool:
    """WSL 1 and 2 say "microsoft" in /proc/version; WSL 2's GPU path is /dev/dxg."""
    version = read_text(at(root, "/proc/version")) or ""
    return "microsoft" in version.lower() or os.path.exists(at(root, "/dev/dxg"))


def distro_name(root: str = "/") -> tuple[str | None, str]:
    """(distribution name, source): os-release directly; the `distro` package for the old
    systems that lack it (its import costs more than reading one file)."""
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        text = read_text(at(root, path))
        if text:
            return parse_os_release(text), path
    import distro

    d = distro.LinuxDistribution(
        root_dir=None if root == "/" else root, include_lsb=False, include_uname=False
    )
    return d.name(pretty=True) or None, "distro"


def uname() -> tuple[str, str, str]:
    """(system, machine, release) as the platform module says them, from os.uname where there
    is one: importing platform was a tenth of a warm `probe --json`'s imports."""
    if hasattr(os, "uname"):
        u = os.uname()
        return u.sysname, u.machine, u.release
    import platform

    return platform.system(), platform.machine(), platform.release()


def os_info(
    root: str = "/", timeout: float = 3.0, confstr: Callable[[str], str | None] = os.confstr
) -> Found[OSInfo]:
    """What decides which wheels exist: OS, CPU architecture, libc, WSL, macOS, Jetson.

    `confstr` is os.confstr; tests pass one that fails as it does on Alpine.
    """
    system, machine, release = uname()
    info = OSInfo(system=system, machine=machine, kernel=release or None)
    found = Found(info, sources={"os.system": "platform", "os.kernel": "platform"})
    if system == "Linux":
        glibc = None
        with contextlib.suppress(ValueError, OSError):
            glibc = parse_glibc(confstr("CS_GNU_LIBC_VERSION"))
        info.glibc = glibc
        if glibc:
            found.sources["os.glibc"] = "os.confstr(CS_GNU_LIBC_VERSION)"
        else:
            # No glibc: on Alpine and other musl systems no manylinux wheel installs.
            musl = find_musl(root, timeout)
            if musl:
                info.libc = "musl"
                version = f" {musl[0]}" if musl[0] else ""
                found.sources["os.libc"] = f"musl{version} ({musl[1]})"
            else:
                found.unknown["os.glibc"] = (
                    "os.confstr(CS_GNU_LIBC_VERSION) named no glibc, and no musl loader was found"
                )
        try:
            info.distro, found.sources["os.distro"] = distro_name(root)
        except Exception as e:  # distro's readers of odd release files must not stop the probe
            found.unknown["os.distro"] = f"distribution unknown ({e})"
        info.wsl = is_wsl(root)
        found.sources["os.wsl"] = "/proc/version, /dev/dxg"
        tegra = read_text(at(root, "/etc/nv_tegra_release"))
        if tegra is not None:
            info.jetson_l4t = parse_nv_tegra_release(tegra)
            found.sources["os.jetson_l4t"] = "/etc/nv_tegra_release"
    elif system == "Darwin":
        import platform

        info.macos_version = platform.mac_ver()[0] or None
        info.distro = f"macOS {info.macos_version}" if info.macos_version else None
        found.sources["os.macos_version"] = "platform.mac_ver"
        try:
            out = run(["sysctl", "-n", "sysctl.proc_translated"], timeout, check=False)
            info.rosetta = out.stdout.strip() == "1"
            found.sources["os.rosetta"] = "sysctl sysctl.proc_translated"
        except ProbeError as e:
            found.unknown["os.rosetta"] = str(e)
    elif system == "Windows":
        import platform

        info.distro = f"Windows {platform.release()} ({platform.version()})"
    return found


def cpu_info(root: str = "/", timeout: float = 3.0) -> Found[dict[str, object]]:
    """CPU model, physical and logical cores, and the SIMD/AMX features a CPU build uses."""
    cpu: dict[str, object] = {"model": None, "flags": [], "physical_cores": None}
    found: Found[dict[str, object]] = Found(cpu)
    text = read_text(at(root, "/proc/cpuinfo"))
    if text is not None:
        cpu.update(parse_cpuinfo(text))
        found.sources["cpu"] = "/proc/cpuinfo"
    elif sys.platform == "darwin":
        try:
            out = run(["sysctl", "-n", "machdep.cpu.brand_string"], timeout)
            cpu["model"] = out.stdout.strip() or None
            found.sources["cpu"] = "sysctl machdep.cpu.brand_string"
        except ProbeError as e:
            found.unknown["cpu.model"] = str(e)
    else:
        import platform

        cpu["model"] = platform.processor() or None
        found.sources["cpu"] = "platform.processor"
    if cpu["physical_cores"] is None:
        import psutil

        cpu["physical_cores"] = psutil.cpu_count(logical=False)
        found.sources["cpu.physical_cores"] = "psutil"
    cpu["logical_cores"] = os.cpu_count()
    return found


def memory_mib(root: str = "/") -> Found[int | None]:
    """Total RAM: /proc/meminfo where there is one, psutil elsewhere."""
    text = read_text(at(root, "/proc/meminfo"))
    total = parse_meminfo(text) if text else None
    if total is not None:
        return Found(total, sources={"memory_mib": "/proc/meminfo"})
    import psutil

    return Found(psutil.virtual_memory().total // MIB, sources={"memory_mib": "psutil"})


def disk_info(path: str) -> Found[dict[str, object]]:
    """Free space where environments go: the nearest existing directory at or above `path`."""
    probe = os.path.abspath(os.path.expanduser(path))
    while not os.path.isdir(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    usage = shutil.disk_usage(probe)
    disk = {
        "path": os.path.abspath(os.path.expanduser(path)),
        "measured_at": probe,
        "free_mib": usage.free // MIB,
        "total_mib": usage.total // MIB,
    }
    return Found(disk, sources={"disk": f"shutil.disk_usage({probe})"})
