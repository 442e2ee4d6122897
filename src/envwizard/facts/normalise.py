"""Read facts in the forms real tools print them, and say what was read how.

Facts files are written by envwizard's probe, but also by hand or exported from other tools:
`ldd --version`, `nvidia-smi`, `rocminfo`, PyTorch's collect_env, Windows, inventory systems.
Those print "ldd (GNU libc) 2.35", "sm_89", "gfx90a:sramecc+:xnack-", "Windows_NT",
"24576 MiB". Refusing them, or worse misreading them as "unknown GPU", is what sends a plan
to the CPU build. Each rewrite is recorded, so the plan's reasons show it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from envwizard.core.i18n import _
from envwizard.facts import foreign
from envwizard.knowledge.distros import distro_libc

_NUMBER = re.compile(r"(\d+(?:\.\d+)+)")
_SYSTEMS = {
    "linux": "Linux",
    "linux2": "Linux",
    "gnu/linux": "Linux",
    "darwin": "Darwin",
    "macos": "Darwin",
    "mac os x": "Darwin",
    "osx": "Darwin",
    "windows": "Windows",
    "win32": "Windows",
    "win64": "Windows",
    "windows_nt": "Windows",
    "nt": "Windows",
    "cygwin": "Windows",
    "win32nt": "Windows",
    "microsoft windows": "Windows",
}
# Distribution names that inventories put where the kernel's name belongs.
_LINUX_DISTROS = re.compile(
    r"ubuntu|debian|centos|red ?hat|rhel|fedora|rocky|alma|arch|manjaro|opensuse|suse|sles|"
    r"amazon linux|alpine|pop!?_os|mint|gentoo|nixos|oracle linux|kali|raspbian",
    re.IGNORECASE,
)
_CONTRACT_KEYS = ("os", "python", "gpus", "nvidia_driver", "cuda_driver")
"""The keys a hand-written facts file may hold alone (docs/facts.md)."""
_MACHINES = {
    "x86-64": "x86_64",
    "x64": "x86_64",
    "amd64": "AMD64",
    "intel64": "x86_64",
    "arm64-based pc": "ARM64",
    "arm 64-bit processor": "ARM64",
    "x64-based pc": "AMD64",
    "64-bit": "AMD64",
}
"""Windows spells its architecture "AMD64", "ARM64", "64-bit" (Win32_OperatingSystem's
OSArchitecture), "ARM 64-bit Processor" or "x64-based PC" (systeminfo's System Type)."""
# Display adapters that are not compute devices: virtual consoles, BMCs, remote desktops.
# An inventory or lspci lists them beside the real GPUs; they are left out, with a note.
_DISPLAY_ONLY = re.compile(
    r"microsoft|vmware|aspeed|matrox|red hat|qxl|virtualbox|innotek|cirrus|parallels|citrix|"
    r"bochs|hyper-v|virtio|oracle|silicon motion|xgi|nuvoton|virtual display|standard display|"
    r"parsec|displaylink|spacedesk|remote display",
    re.IGNORECASE,
)
_VENDORS = {
    "nvidia": "nvidia",
    "10de": "nvidia",
    "0x10de": "nvidia",
    "amd": "amd",
    "ati": "amd",
    "advanced micro devices": "amd",
    "1002": "amd",
    "0x1002": "amd",
    "intel": "intel",
    "8086": "intel",
    "0x8086": "intel",
    "apple": "apple",
    "amd/ati": "amd",
    "106b": "apple",
}
_NAME_VENDOR = (
    (
        r"nvidia|geforce|tesla|quadro|\bgtx\b|\brtx\b|titan|jetson|\borin\b|xavier|tegra|nvgpu",
        "nvidia",
    ),
    (r"radeon|instinct|firepro|\bamd\b|\bati\b", "amd"),
    (r"intel|\barc\b|iris|\buhd\b", "intel"),
    (r"apple", "apple"),
)
# Intel and AMD names that are integrated graphics (Intel's ark, AMD's product pages): Intel
# (U)HD, Iris and plain "Intel Graphics"; Core Ultra "Arc Graphics" and the Arc 1x0V of Lunar
# Lake; AMD "Radeon Graphics", "Radeon Vega N Graphics" and the NNNM/NNNNS mobile parts.
_INTEGRATED = re.compile(
    r"\bU?HD Graphics|\bIris\b|^Intel(\(R\))? Graphics\b|Arc(\(TM\))? Graphics|Arc(\(TM\))? 1[34]0V|"
    r"Radeon(\(TM\))? Graphics|Radeon(\(TM\))? Vega \d+ Graphics|Radeon(\(TM\))? \d{3,4}[MS]\b",
    re.IGNORECASE,
)
_UNITS = {
    "kib": 1 / 1024,
    "kb": 1 / 1024,
    "mib": 1,
    "mb": 1,
    "m": 1,
    "gib": 1024,
    "gb": 1024,
    "g": 1024,
}
# Keys other exports use for a GPU's fields (Windows' Win32_VideoController, nvidia-smi's
# query names, inventories), read as the facts file's own.
_GPU_KEYS = {
    "name": ("Name", "model", "Model", "product", "Product Name", "product_name", "Caption"),
    "vendor": ("Vendor", "AdapterCompatibility", "manufacturer", "Manufacturer", "Vendor Name"),
    "memory_mib": ("memory", "memory.total", "vram", "VRAM", "AdapterRAM", "memory_total"),
    "compute_capability": ("compute_cap", "cc", "capability", "sm"),
    "arch": ("gfx", "gcnArchName", "gfx_target"),
}


class Normaliser:
    """Rewrites one facts mapping in place; `notes` says what was read and how."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, path: str, raw: Any, value: Any) -> None:
        self.notes.append(
            _("{path} {raw} read as {value}").format(path=path, raw=repr(raw), value=repr(value))
        )

    def run(self, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = copy.deepcopy(data)
        reader = next((f for test, f in foreign.READERS if test(data)), None)
        if reader is not None:
            reading = foreign.Reading()
            data = reader(data, reading)
            self.notes += reading.notes
        if data.get("schema") == "1":
            data["schema"] = 1
            self.note("schema", "1", 1)
        self.shape(data)
        if "schema" not in data and any(k in data for k in _CONTRACT_KEYS):
            # Written by hand (the probe always writes its schema): what it leaves out is
            # planned on the pastes' stated assumptions. A file that says schema 1 is complete.
            data["schema"] = 1
            self.notes.append(_("schema missing; read as schema 1"))
            self.assume_missing(data)
        os_d = data.get("os")
        if isinstance(os_d, dict):
            self.os(os_d)
        py = data.get("python")
        if isinstance(py, float) and not isinstance(py, bool):
            data["python"] = py = {"version": py}
        if isinstance(py, dict):
            self.python(py, "python", os_d if isinstance(os_d, dict) else {})
        elif isinstance(py, str) and (number := _NUMBER.search(py)):
            version = number.group(1)
            data["python"] = {"version": version}
            self.note("python", py, version)
            self.python(data["python"], "python", os_d if isinstance(os_d, dict) else {})
        elif py is None and isinstance(os_d, dict) and "python" in data:
            data["python"] = {}
            self.python(data["python"], "python", os_d)
        for i, p in enumerate(data.get("pythons") or []):
            if isinstance(p, dict):
                self.python(p, f"pythons[{i}]", os_d if isinstance(os_d, dict) else {})
        for key in ("nvidia_driver", "cuda_driver"):
            self.version_field(data, key, key)
        self.windows_driver(data)
        cuda = data.get("cuda_driver")
        if isinstance(cuda, str) and re.fullmatch(r"\d{5}", cuda):  # cuDriverGetVersion: 12020
            value = f"{int(cuda) // 1000}.{int(cuda) % 1000 // 10}"
            self.note("cuda_driver", cuda, value)
            data["cuda_driver"] = value
        gpus = data.get("gpus")
        if ("gpus" in data and gpus is None) or (isinstance(gpus, str) and foreign.not_known(gpus)):
            self.note("gpus", gpus, [])
            data["gpus"] = gpus = []
        if isinstance(gpus, str):  # nvidia-smi -L, or one name per line, pasted as a string
            data["gpus"] = gpus = [line for line in gpus.splitlines() if line.strip()]
            self.notes.append(_("gpus was text; read one GPU per line"))
        if isinstance(gpus, dict):  # a single GPU written as an object, or {} for none
            data["gpus"] = gpus = [gpus] if gpus else []
            self.notes.append(
                _("gpus was one object; read as a list of one GPU")
                if gpus
                else _("gpus {} read as no GPUs")
            )
        if isinstance(gpus, list):
            data["gpus"] = gpus = self.gpu_list(gpus)
            self.driver_from_gpus(data, gpus)
        memory = data.get("memory_mib")
        if memory is not None and not isinstance(memory, int):
            mib = _mib(memory)
            if mib is not None:
                self.note("memory_mib", memory, mib)
                data["memory_mib"] = mib
        return data

    def assume_missing(self, data: dict[str, Any]) -> None:
        """A hand-written file that leaves out what a paste also leaves out (the OS, the CPU
        architecture, the Python) is planned on the pastes' stated assumptions, each named
        (docs/facts.md)."""
        if "os" not in data:
            data["os"] = {"system": "Linux", "machine": "x86_64"}
            self.notes.append(_("os not in the file; planned for Linux on x86_64"))
        os_d = data["os"]
        if isinstance(os_d, dict) and "machine" not in os_d:
            system = str(os_d.get("system") or "")
            low = system.strip().lower()
            if (low in _SYSTEMS and _SYSTEMS[low] != "Darwin") or _LINUX_DISTROS.match(low):
                machine = "AMD64" if _SYSTEMS.get(low) == "Windows" else "x86_64"
                os_d["machine"] = machine
                self.notes.append(
                    _("os.machine not in the file; planned for {machine}").format(machine=machine)
                )
        if "python" not in data and "pythons" not in data:
            data["python"] = {"version": foreign.ASSUMED_PYTHON}
            self.notes.append(
                _("Python not in the file; planned for {python}").format(
                    python=foreign.ASSUMED_PYTHON
                )
            )

    def shape(self, data: dict[str, Any]) -> None:
        """Hand-written files: `system` and `machine` at the top, `os` as collect_env's one
        line ("Ubuntu 22.04.4 LTS (x86_64)"), only a `pythons` list."""
        if "os" not in data and isinstance(data.get("system"), str):
            data["os"] = {
                k: data.pop(k)
                for k in ("system", "machine", "glibc", "macos_version", "wsl", "distro", "kernel")
                if k in data
            }
            self.notes.append(_("os keys at the top level read as os"))
        if isinstance(data.get("os"), str):
            text = data["os"]
            arch = re.search(r"\b(x86_64|aarch64|arm64|AMD64|ARM64)\b", text)
            data["os"] = {"system": text, "distro": text}
            if arch:
                data["os"]["machine"] = arch.group(1)
            self.note("os", text, data["os"])
        pythons = data.get("pythons")
        if "python" not in data and isinstance(pythons, list) and pythons:
            data["python"] = copy.deepcopy(pythons[0])
            self.notes.append(_("python missing; planned for pythons[0]"))

    def os(self, d: dict[str, Any]) -> None:
        system = d.get("system")
        if isinstance(system, str) and system not in ("Linux", "Darwin", "Windows"):
            low = system.strip().lower()
            canon = _SYSTEMS.get(low) or next(
                (
                    v
                    for k, v in _SYSTEMS.items()
                    if len(k) > 2 and re.search(rf"(^|\b){re.escape(k)}\b", low)
                ),
                None,
            )
            if canon is None and _LINUX_DISTROS.search(low):
                canon = "Linux"
                d.setdefault("distro", system)
            if canon:
                self.note("os.system", system, canon)
                d["system"] = canon
        machine = d.get("machine")
        if isinstance(machine, str) and machine.lower() in _MACHINES:
            canon = _MACHINES[machine.lower()]
            if canon != machine:
                self.note("os.machine", machine, canon)
                d["machine"] = canon
        self.libc(d)
        self.distro_libc(d)
        self.macos(d)
        for key in ("glibc", "macos_version"):
            self.version_field(d, key, f"os.{key}")
        wsl = d.get("wsl")
        if isinstance(wsl, str) and re.fullmatch(r"\s*wsl\s*[12]?\s*", wsl, re.IGNORECASE):
            self.note("os.wsl", wsl, True)
            d["wsl"] = True
        for key in ("wsl", "rosetta"):
            self.boolean(d, key, f"os.{key}")
        self.jetson(d)

    def jetson(self, d: dict[str, Any]) -> None:
        """L4T as /etc/nv_tegra_release says it ("# R36 (release), REVISION: 4.7"), as a
        number, or only as the tegra kernel's series."""
        raw = d.get("jetson_l4t")
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value: str | None = str(raw)
        elif isinstance(raw, str):
            m = re.search(r"R(\d+)\b.*?REVISION:\s*([\d.]+)", raw)
            value = f"{m.group(1)}.{m.group(2)}" if m else None
        elif raw is None and isinstance(d.get("kernel"), str) and "tegra" in d["kernel"]:
            value = foreign.tegra_l4t(f"Linux-{d['kernel']}-aarch64")
        else:
            value = None
        if value and value != raw:
            self.note("os.jetson_l4t", raw, value)
            d["jetson_l4t"] = value

    def libc(self, d: dict[str, Any]) -> None:
        """`ldd --version` on Alpine says musl: there is no glibc, and no manylinux wheel fits."""
        raw = d.get("glibc")
        if isinstance(raw, str) and "musl" in raw.lower():
            d["glibc"] = None
            d["libc"] = "musl"
            self.notes.append(
                _("os.glibc {raw} read as musl libc (no glibc)").format(raw=repr(raw))
            )
        elif isinstance(raw, float) and re.fullmatch(r"2\.[1-9]", str(raw)):
            # JSON/YAML number 2.40 loads as 2.4; glibc 2.1–2.9 predate every Python torch supports
            value = f"{raw}0"
            self.note("os.glibc", raw, value)
            d["glibc"] = value
        elif foreign.not_known(raw) and raw is not None:
            self.note("os.glibc", raw, None)
            d["glibc"] = None

    def distro_libc(self, d: dict[str, Any]) -> None:
        """A Linux file that names its distribution but not its glibc (Ansible's facts, an old
        collect_env, "os": "CentOS 7"): the glibc that release ships decides which manylinux
        wheels install, so it is read from the distribution, never assumed new enough."""
        distro = d.get("distro")
        if (
            d.get("system") != "Linux"
            or d.get("glibc") is not None
            or d.get("libc") is not None
            or not isinstance(distro, str)
        ):
            return
        found = distro_libc(distro)
        if found is None:
            return
        if found.musl:
            d["libc"] = "musl"
            self.notes.append(
                _("os.libc read as musl: {release} is built on musl libc, not glibc").format(
                    release=repr(found.release)
                )
            )
            return
        d["glibc"] = found.glibc
        self.notes.append(
            _("os.glibc not in the file; read as {glibc}, the glibc {release} ships").format(
                glibc=repr(found.glibc), release=found.release
            )
        )

    def macos(self, d: dict[str, Any]) -> None:
        """macOS 14 written as 14, or as the Darwin kernel's 23.4.0 (Darwin N is macOS N-9)."""
        raw = d.get("macos_version")
        if isinstance(raw, (bool, float)) or raw is None:
            return
        if foreign.not_known(raw):
            self.note("os.macos_version", raw, None)
            d["macos_version"] = None
            return
        text = str(raw)
        darwin = re.search(r"darwin\D*(\d+)\.(\d+)", text, re.IGNORECASE)
        whole = re.fullmatch(r"\s*(?:macOS\s*)?(\d+)\s*", text, re.IGNORECASE)
        if darwin and int(darwin.group(1)) >= 20:
            # Darwin 20-24 are macOS 11-15; Darwin 25 is macOS 26 (Apple's year numbering)
            major = int(darwin.group(1))
            value = f"{major - 9 if major < 25 else major + 1}.{int(darwin.group(2))}"
        elif whole:
            value = f"{whole.group(1)}.0"
        else:
            return
        self.note("os.macos_version", raw, value)
        d["macos_version"] = value

    def python(self, d: dict[str, Any], path: str, os_d: dict[str, Any]) -> None:
        v = d.get("version")
        parts = v if isinstance(v, (list, dict)) else d if "major" in d else None
        if isinstance(parts, dict):  # Ansible's {"major": 3, "minor": 11, "micro": 9}
            parts = [parts.get("major"), parts.get("minor"), parts.get("micro")]
        if (
            isinstance(parts, list)
            and all(isinstance(p, int) for p in parts[:2])
            and len(parts) >= 2
        ):
            nums = [str(p) for p in parts[:3] if isinstance(p, int)]
            self.note(f"{path}.version", v if v is not None else parts, ".".join(nums))
            d["version"] = v = ".".join(nums)
        if isinstance(v, float) and not isinstance(v, bool):
            # YAML and JSON read 3.10 as 3.1; Python 3.1 predates every torch release
            value = "3.10" if v == 3.1 else str(v)
            self.note(f"{path}.version", v, value)
            d["version"] = v = value
        if isinstance(v, str) and not re.fullmatch(r"\d+\.\d+(\.\d+)?((a|b|rc)\d+)?\+?", v):
            m = re.search(r"(\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?)", v)
            if m:
                self.note(f"{path}.version", v, m.group(1))
                d["version"] = m.group(1)
        for key in ("has_venv", "has_ensurepip", "externally_managed", "in_venv", "free_threaded"):
            self.boolean(d, key, f"{path}.{key}")
        if not d.get("executable") and path == "python":
            exe = "python.exe" if os_d.get("system") == "Windows" else "python3"
            d["executable"] = exe
            self.notes.append(
                _(
                    "{path}.executable missing; planned for the platform's default interpreter {exe}"
                ).format(path=path, exe=repr(exe))
            )

    def gpu_list(self, gpus: list[Any]) -> list[Any]:
        """GPUs written as names, with other tools' keys, or beside display-only adapters."""
        out: list[Any] = []
        for i, g in enumerate(gpus):
            path = f"gpus[{i}]"
            if isinstance(g, str) and re.match(r"\s*MIG \S+\s+Device\s+\d+", g):
                # nvidia-smi -L lists a MIG GPU's slices under it; they are not more GPUs
                self.notes.append(
                    _("{path} {line} is a MIG slice of the GPU above it; left out").format(
                        path=path, line=repr(g.strip())
                    )
                )
                continue
            if isinstance(g, str):
                self.note(path, g, {"name": g})
                g = {"name": g}
            if not isinstance(g, dict):
                out.append(g)
                continue
            self.gpu(g, path)
            vendor, name = g.get("vendor"), g.get("name")
            if vendor not in ("nvidia", "amd", "intel", "apple") and any(
                isinstance(t, str) and _DISPLAY_ONLY.search(t) for t in (vendor, name)
            ):
                # Matrox, ASPEED, a virtual display: not a GPU any torch build runs on
                self.notes.append(
                    _("{path} {name} is not a GPU any torch build runs on; left out").format(
                        path=path, name=repr(name if isinstance(name, str) else vendor)
                    )
                )
                continue
            out.append(g)
        return out

    def gpu(self, g: dict[str, Any], path: str) -> None:
        for key, aliases in _GPU_KEYS.items():
            if g.get(key) is None:
                alias = next((a for a in aliases if g.get(a) is not None), None)
                if alias:
                    g[key] = g.pop(alias)
                    self.notes.append(
                        _("{path}.{alias} read as {path}.{key}").format(
                            path=path, alias=alias, key=key
                        )
                    )
        name = raw_name = g.get("name")
        if isinstance(name, str):
            clean = _tool_line_name(name, g)
            if clean and clean != name:
                self.note(f"{path}.name", name, clean)
                g["name"] = name = clean
        vendor = g.get("vendor")
        if isinstance(vendor, str) and vendor not in ("nvidia", "amd", "intel", "apple"):
            low = vendor.strip().lower()
            canon = _VENDORS.get(low) or next(
                (v for k, v in _VENDORS.items() if re.search(rf"\b{re.escape(k)}\b", low)), None
            )
            if canon is None and isinstance(name, str) and not _DISPLAY_ONLY.search(vendor):
                canon = _vendor_by_name(name)  # a misspelt vendor beside a telling name
            if canon:
                self.note(f"{path}.vendor", vendor, canon)
                g["vendor"] = canon
        elif vendor is None and isinstance(name, str) and isinstance(raw_name, str):
            canon = _vendor_by_name(name) or _vendor_by_name(raw_name)
            if canon:
                self.note(f"{path}.vendor", None, canon)
                g["vendor"] = canon
        cc = g.get("compute_capability")
        if foreign.not_known(cc) and cc is not None:
            self.note(f"{path}.compute_capability", cc, None)
            g["compute_capability"] = cc = None
        if cc is not None and not (isinstance(cc, str) and re.fullmatch(r"\d+\.\d+", cc)):
            value = _cc(cc)
            if value:
                self.note(f"{path}.compute_capability", cc, value)
                g["compute_capability"] = value
        if g.get("vendor") == "nvidia" and cc is None and isinstance(name, str):
            # Inventories often carry only the name; the probe's own name table reads it.
            from envwizard.facts.nvidia import cc_from_name

            value = cc_from_name(name)
            if value:
                self.notes.append(
                    _(
                        "{path}.compute_capability missing; read from the name {name} as {value}"
                    ).format(path=path, name=repr(name), value=repr(value))
                )
                g["compute_capability"] = value
        arch = g.get("arch")
        if g.get("vendor") == "amd" and arch is None and isinstance(name, str):
            from envwizard.facts.amd import arch_from_name

            named = re.search(r"\bgfx[0-9a-f]{3,4}\b", name, re.IGNORECASE)  # rocminfo's agent
            value = named.group().lower() if named else arch_from_name(name)
            if value:
                self.notes.append(
                    _("{path}.arch missing; read from the name {name} as {value}").format(
                        path=path, name=repr(name), value=repr(value)
                    )
                )
                g["arch"] = value
        if isinstance(arch, int) and not isinstance(arch, bool):
            from envwizard.facts.amd import decode_gfx_target

            value = decode_gfx_target(arch)  # KFD's gfx_target_version, 110000
            if value:
                self.note(f"{path}.arch", arch, value)
                g["arch"] = value
        elif isinstance(arch, str):
            from envwizard.facts.amd import arch_from_name

            m = re.search(r"gfx[0-9a-f]+", arch.lower())
            value = m.group() if m else arch_from_name(arch)  # a codename, "Navi 31"
            if value is None and foreign.not_known(arch):
                self.note(f"{path}.arch", arch, None)
                g["arch"] = None
            elif value and value != arch:
                self.note(f"{path}.arch", arch, value)
                g["arch"] = value
        mem = g.get("memory_mib")
        if mem is not None and (
            not isinstance(mem, int) or isinstance(mem, bool) or mem > _BYTES_NOT_MIB
        ):
            mib = None if foreign.not_known(mem) else _mib(mem)
            if mib is not None or foreign.not_known(mem):
                self.note(f"{path}.memory_mib", mem, mib)
                g["memory_mib"] = mib
        self.boolean(g, "integrated", f"{path}.integrated")
        if "integrated" not in g and g.get("vendor") in ("intel", "amd") and isinstance(name, str):
            from envwizard.facts.amd import APU_TARGETS

            if _INTEGRATED.search(name) or (
                isinstance(g.get("arch"), str) and g["arch"] in APU_TARGETS
            ):
                g["integrated"] = True
                self.notes.append(
                    _("{path}.integrated missing; the name {name} is integrated graphics").format(
                        path=path, name=repr(name)
                    )
                )

    def boolean(self, d: dict[str, Any], key: str, path: str) -> None:
        """ "yes"/"no", "true"/"false", 1/0 as exported by inventories; anything else stays."""
        raw = d.get(key)
        if isinstance(raw, bool) or raw is None:
            return
        low = str(raw).strip().lower()
        value = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(
            low
        )
        if value is not None:
            self.note(path, raw, value)
            d[key] = value

    def version_field(self, d: dict[str, Any], key: str, path: str) -> None:
        v = d.get(key)
        if v is None or (isinstance(v, str) and re.fullmatch(r"\d+(\.\d+)*", v)):
            return
        if foreign.not_known(v):
            self.note(path, v, None)
            d[key] = None
            return
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            value = str(v)
        elif isinstance(v, str):
            m = _NUMBER.search(v) or re.search(r"(\d+)", v)
            if not m:
                return
            value = m.group(1)
        else:
            return
        self.note(path, v, value)
        d[key] = value

    def driver_from_gpus(self, data: dict[str, Any], gpus: list[Any]) -> None:
        """Exports per adapter (Win32_VideoController.DriverVersion, nvidia-smi's
        driver_version) carry the driver on each NVIDIA GPU rather than once."""
        if data.get("nvidia_driver") is not None:
            return
        for i, g in enumerate(gpus):
            if not isinstance(g, dict) or g.get("vendor") != "nvidia":
                continue
            key = next((k for k in _GPU_DRIVER_KEYS if isinstance(g.get(k), str)), None)
            if key:
                self.notes.append(
                    _("nvidia_driver missing; read from gpus[{i}].{key}").format(i=i, key=key)
                )
                data["nvidia_driver"] = g[key]
                self.version_field(data, "nvidia_driver", "nvidia_driver")
                self.windows_driver(data)
                return

    def windows_driver(self, data: dict[str, Any]) -> None:
        """Windows names NVIDIA's driver 560.94 "32.0.15.6094" (Device Manager,
        Win32_VideoController.DriverVersion): the last five digits are the release."""
        v = data.get("nvidia_driver")
        m = re.fullmatch(r"(\d{1,2})\.\d+\.(\d{1,2})\.(\d{4})", v) if isinstance(v, str) else None
        if m and int(m.group(1)) < 100:
            digits = (m.group(2) + m.group(3))[-5:]
            value = f"{int(digits[:3])}.{digits[3:]}"
            self.note("nvidia_driver", v, value)
            data["nvidia_driver"] = value


_GPU_DRIVER_KEYS = ("DriverVersion", "driver_version", "driver")
_BYTES_NOT_MIB = 4 * 1024 * 1024
"""More MiB than 4 TiB on one GPU is a byte count (Win32_VideoController's AdapterRAM)."""


def _vendor_by_name(name: str) -> str | None:
    return next((v for k, v in _NAME_VENDOR if re.search(k, name, re.IGNORECASE)), None)


def _tool_line_name(name: str, g: dict[str, Any]) -> str:
    """The GPU's name out of a line another tool printed, whole, where a name belongs:
    nvidia-smi -L ("GPU 0: NVIDIA … (UUID: …)"), its summary table ("|   0  NVIDIA …  Off |"),
    its CSV query ("0, NVIDIA …, 24564 MiB, 8.9") and lspci ("01:00.0 VGA compatible
    controller: NVIDIA Corporation AD102 [GeForce RTX 4090] (rev a1)"). CSV fields fill
    memory_mib and compute_capability when the file leaves them out."""
    text = re.sub(r"^\s*GPU \d+:\s*|\s*\(UUID: [^)]*\)\s*$", "", name).strip()
    # "Marketing Name: …" (rocminfo), "Card series: …" (rocm-smi), "Product Name : …"
    # (nvidia-smi -q), "Chipset Model: …" (system_profiler), "Device Name: …" (xpu-smi)
    text = re.sub(
        r"^(Marketing Name|Card series|Card Model|Product Name|Chipset Model|Device Name|"
        r"MARKET_NAME|Name)\s*:\s*",
        "",
        text,
        flags=re.IGNORECASE,
    )
    table = re.match(r"^\|\s*\d+\s+(.+?)(?:\s{2,}\S*)?\s*\|", text)
    if table:
        return table.group(1).strip()
    from envwizard.facts.nvidia import parse_nvidia_smi_query

    rows = parse_nvidia_smi_query(text)
    if rows:
        row = rows[0]
        if g.get("memory_mib") is None and row["memory_mib"] is not None:
            g["memory_mib"] = row["memory_mib"]
        if g.get("compute_capability") is None and row["compute_capability"] is not None:
            g["compute_capability"] = row["compute_capability"]
        return row["name"]
    pci = re.match(
        r"^(?:[0-9a-f]{2,4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.\d\s+[^:]*(?:controller|Display)[^:]*:\s*(.+)$",
        text,
        re.IGNORECASE,
    )
    if pci:
        rest = re.sub(r"\s*\[[0-9a-f]{4}:[0-9a-f]{4}\]|\s*\(rev [0-9a-f]+\)", "", pci.group(1))
        products = [b for b in re.findall(r"\[([^\]]+)\]", rest) if b not in ("AMD/ATI", "AMD")]
        return products[-1].strip() if products else rest.strip()
    return text


def _cc(raw: Any) -> str | None:
    """8.9, "8.9", "sm_89", "89", "compute_89", "SM 8.9", [8, 9], "(8, 9)" -> "8.9"."""
    if isinstance(raw, list) and len(raw) == 2 and all(isinstance(p, int) for p in raw):
        return f"{raw[0]}.{raw[1]}"
    text = str(raw).strip().lower()
    m = re.fullmatch(r"\(?\s*(\d+)\s*,\s*(\d+)\s*\)?", text)  # torch's (8, 9)
    if m:
        return f"{int(m.group(1))}.{int(m.group(2))}"
    m = re.fullmatch(r"(\d+)\.(\d+)\.0", text)
    if m:
        return f"{int(m.group(1))}.{int(m.group(2))}"
    m = re.fullmatch(r"(?:sm|compute|sm\s)?[_ ]?(\d+)\.(\d+)", text)
    if m:
        return f"{int(m.group(1))}.{int(m.group(2))}"
    m = re.fullmatch(r"(?:sm|compute)?_?(\d{2,3})[a-z]?", text)
    if m:
        digits = m.group(1)
        return f"{int(digits[:-1])}.{digits[-1]}"
    # a labelled line: deviceQuery's "CUDA Capability Major/Minor version number:    8.6"
    m = re.fullmatch(r"[a-z][a-z /_-]*:\s*(\d+)\.(\d+)", text)
    if m:
        return f"{int(m.group(1))}.{int(m.group(2))}"
    return None


def _mib(raw: Any) -> int | None:
    """24576, 24576.0, "24576 MiB", "24 GiB", "16GB", "87MiB / 24564MiB" -> MiB; a number
    past 4 TiB is bytes."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        if raw > _BYTES_NOT_MIB:
            return int(raw) // (1024 * 1024)
        return int(raw) if raw >= 0 else None
    used_total = re.fullmatch(r".*/\s*(\d+\s*[kmg]i?b?)\s*", str(raw), re.IGNORECASE)
    if used_total:  # nvidia-smi's Memory-Usage column: used / total
        raw = used_total.group(1)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|)\s*", str(raw), re.IGNORECASE) or re.search(
        # a labelled line: nvidia-smi -q's "Total : 40960 MiB", deviceQuery's "24257 MBytes"
        r"(\d+(?:\.\d+)?)\s*([kmg]i?b)(?:ytes)?\b",
        str(raw),
        re.IGNORECASE,
    )
    if not m:
        return None
    unit = m.group(2).lower() or "mib"
    factor = _UNITS.get(unit)
    return int(float(m.group(1)) * factor) if factor else None


def normalise(data: Any) -> tuple[Any, list[str]]:
    """The facts mapping with tool-printed forms read, and one note per rewrite."""
    n = Normaliser()
    return n.run(data), n.notes
