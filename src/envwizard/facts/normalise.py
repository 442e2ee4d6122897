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

from envwizard.i18n import _

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
}
_MACHINES = {"x86-64": "x86_64", "x64": "x86_64", "amd64": "AMD64", "intel64": "x86_64"}
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
}
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
_COLLECT_ENV = {
    "OS": "os",
    "Libc version": "glibc",
    "Python version": "python",
    "Python platform": "platform",
    "Nvidia driver version": "driver",
    "GPU models and configuration": "gpus",
    "CUDA runtime version": "cuda_runtime",
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
        if "schema" not in data and any(k in data for k in _COLLECT_ENV):
            data = self.from_collect_env(data)
        if "schema" not in data and "os" in data and "python" in data:
            data["schema"] = 1
            self.notes.append(_("schema missing; read as schema 1"))
        os_d = data.get("os")
        if isinstance(os_d, dict):
            self.os(os_d)
        py = data.get("python")
        if isinstance(py, dict):
            self.python(py, "python", os_d if isinstance(os_d, dict) else {})
        elif isinstance(py, str) and _NUMBER.search(py):
            version = _NUMBER.search(py).group(1)  # type: ignore[union-attr]
            data["python"] = {"version": version}
            self.note("python", py, version)
            self.python(data["python"], "python", os_d if isinstance(os_d, dict) else {})
        for i, p in enumerate(data.get("pythons") or []):
            if isinstance(p, dict):
                self.python(p, f"pythons[{i}]", os_d if isinstance(os_d, dict) else {})
        for key in ("nvidia_driver", "cuda_driver"):
            self.version_field(data, key, key)
        cuda = data.get("cuda_driver")
        if isinstance(cuda, str) and re.fullmatch(r"\d{5}", cuda):  # cuDriverGetVersion: 12020
            value = f"{int(cuda) // 1000}.{int(cuda) % 1000 // 10}"
            self.note("cuda_driver", cuda, value)
            data["cuda_driver"] = value
        gpus = data.get("gpus")
        if isinstance(gpus, dict):  # a single GPU written as an object, or {} for none
            data["gpus"] = gpus = [gpus] if gpus else []
            self.notes.append(
                _("gpus was one object; read as a list of one GPU")
                if gpus
                else _("gpus {} read as no GPUs")
            )
        for i, g in enumerate(gpus or []):
            if isinstance(g, dict):
                self.gpu(g, f"gpus[{i}]")
        memory = data.get("memory_mib")
        if memory is not None and not isinstance(memory, int):
            mib = _mib(memory)
            if mib is not None:
                self.note("memory_mib", memory, mib)
                data["memory_mib"] = mib
        return data

    def os(self, d: dict[str, Any]) -> None:
        system = d.get("system")
        if isinstance(system, str) and system not in ("Linux", "Darwin", "Windows"):
            low = system.strip().lower()
            canon = _SYSTEMS.get(low) or next(
                (v for k, v in _SYSTEMS.items() if low.startswith(k) and len(k) > 2), None
            )
            if canon:
                self.note("os.system", system, canon)
                d["system"] = canon
        machine = d.get("machine")
        if isinstance(machine, str) and machine.lower() in _MACHINES:
            canon = _MACHINES[machine.lower()]
            if canon != machine:
                self.note("os.machine", machine, canon)
                d["machine"] = canon
        for key in ("glibc", "macos_version"):
            self.version_field(d, key, f"os.{key}")
        for key in ("wsl", "rosetta"):
            self.boolean(d, key, f"os.{key}")

    def python(self, d: dict[str, Any], path: str, os_d: dict[str, Any]) -> None:
        v = d.get("version")
        if isinstance(v, str) and not re.fullmatch(r"\d+\.\d+(\.\d+)?((a|b|rc)\d+)?\+?", v):
            m = re.search(r"(\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?)", v)
            if m:
                self.note(f"{path}.version", v, m.group(1))
                d["version"] = m.group(1)
        if not d.get("executable") and path == "python":
            exe = "python.exe" if os_d.get("system") == "Windows" else "python3"
            d["executable"] = exe
            self.notes.append(
                _(
                    "{path}.executable missing; planned for the platform's default interpreter {exe}"
                ).format(path=path, exe=repr(exe))
            )

    def gpu(self, g: dict[str, Any], path: str) -> None:
        name = g.get("name")
        vendor = g.get("vendor")
        if isinstance(vendor, str) and vendor not in ("nvidia", "amd", "intel", "apple"):
            low = vendor.strip().lower()
            canon = _VENDORS.get(low) or next(
                (v for k, v in _VENDORS.items() if re.search(rf"\b{re.escape(k)}\b", low)), None
            )
            if canon:
                self.note(f"{path}.vendor", vendor, canon)
                g["vendor"] = canon
        elif vendor is None and isinstance(name, str):
            low = name.lower()
            canon = next(
                (
                    v
                    for k, v in (
                        ("nvidia", "nvidia"),
                        ("geforce", "nvidia"),
                        ("tesla", "nvidia"),
                        ("quadro", "nvidia"),
                        ("radeon", "amd"),
                        ("instinct", "amd"),
                        ("amd", "amd"),
                        ("intel", "intel"),
                        ("apple", "apple"),
                    )
                    if k in low
                ),
                None,
            )
            if canon:
                self.note(f"{path}.vendor", None, canon)
                g["vendor"] = canon
        cc = g.get("compute_capability")
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
        if isinstance(arch, str):
            m = re.search(r"gfx[0-9a-f]+", arch.lower())
            if m and m.group() != arch:
                self.note(f"{path}.arch", arch, m.group())
                g["arch"] = m.group()
        mem = g.get("memory_mib")
        if mem is not None and (not isinstance(mem, int) or isinstance(mem, bool)):
            mib = _mib(mem)
            if mib is not None:
                self.note(f"{path}.memory_mib", mem, mib)
                g["memory_mib"] = mib
        self.boolean(g, "integrated", f"{path}.integrated")

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

    def from_collect_env(self, data: dict[str, Any]) -> dict[str, Any]:
        """PyTorch's collect_env ("OS: Ubuntu 22.04 (x86_64)", "GPU 0: NVIDIA …")."""
        self.notes.append(_("read as PyTorch collect_env output"))
        out: dict[str, Any] = {"schema": 1}
        plat = str(data.get("Python platform", ""))
        system = "Windows" if "Windows" in plat else "Darwin" if "macOS" in plat else "Linux"
        osname = str(data.get("OS", ""))
        m = re.search(r"\((x86_64|aarch64|arm64|AMD64)\)", osname) or re.search(
            r"(x86_64|aarch64|arm64|AMD64)", plat
        )
        out["os"] = {
            "system": system,
            "machine": m.group(1) if m else "x86_64",
            "glibc": data.get("Libc version"),
            "distro": osname or None,
        }
        out["python"] = {"version": str(data.get("Python version", ""))}
        if "64-bit" in str(data.get("Python version", "")):
            out["python"]["bits"] = 64
        driver = data.get("Nvidia driver version")
        out["nvidia_driver"] = driver if driver and "N/A" not in str(driver) else None
        gpus = []
        for line in str(data.get("GPU models and configuration", "")).splitlines():
            m2 = re.match(r"\s*GPU \d+:\s*(.+)", line)
            if m2:
                gpus.append({"vendor": None, "name": m2.group(1).strip(), "memory_mib": None})
        out["gpus"] = gpus
        return out


def _cc(raw: Any) -> str | None:
    """8.9, "8.9", "sm_89", "89", "compute_89", "SM 8.9" -> "8.9"."""
    text = str(raw).strip().lower()
    m = re.fullmatch(r"(?:sm|compute|sm\s)?[_ ]?(\d+)\.(\d+)", text)
    if m:
        return f"{int(m.group(1))}.{int(m.group(2))}"
    m = re.fullmatch(r"(?:sm|compute)?_?(\d{2,3})[a-z]?", text)
    if m:
        digits = m.group(1)
        return f"{int(digits[:-1])}.{digits[-1]}"
    return None


def _mib(raw: Any) -> int | None:
    """24576, 24576.0, "24576 MiB", "24 GiB", "16GB" -> MiB."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return int(raw) if raw >= 0 else None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|)\s*", str(raw), re.IGNORECASE)
    if not m:
        return None
    unit = m.group(2).lower() or "mib"
    factor = _UNITS.get(unit)
    return int(float(m.group(1)) * factor) if factor else None


def normalise(data: Any) -> tuple[Any, list[str]]:
    """The facts mapping with tool-printed forms read, and one note per rewrite."""
    n = Normaliser()
    return n.run(data), n.notes
