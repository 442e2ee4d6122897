"""Facts files that other tools wrote: PyTorch's collect_env and Ansible's setup module.

People answer "what machine is this?" in bug reports with `python -m torch.utils.collect_env`,
and fleets keep `ansible -m setup` facts. Both describe what the planner needs (OS, machine,
libc, Python, GPUs, driver) in their own words; each is rewritten into a schema-1 mapping
here, and every reading that was not a plain copy is said in a note for the plan's reasons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from envwizard.core.i18n import _

_NOT_KNOWN = re.compile(
    r"(n/?a|none|null|unknown|could not collect|no cuda|not available|\[n/a\]|-|)",
    re.IGNORECASE,
)
# The labels collect_env prints at the start of a line (torch/utils/collect_env.py, 1.x–2.x).
# A line that starts with one begins a new value; other lines continue the previous one
# ("GPU models and configuration:" is followed by one "GPU N: ..." line per GPU).
COLLECT_ENV_LABELS = (
    "PyTorch version",
    "Is debug build",
    "CUDA used to build PyTorch",
    "ROCM used to build PyTorch",
    "OS",
    "GCC version",
    "Clang version",
    "CMake version",
    "Libc version",
    "Python version",
    "Python platform",
    "Is CUDA available",
    "CUDA runtime version",
    "CUDA_MODULE_LOADING set to",
    "GPU models and configuration",
    "Nvidia driver version",
    "cuDNN version",
    "HIP runtime version",
    "MIOpen runtime version",
    "Is XNNPACK available",
    "Is XPU available",
    "XPU used to build PyTorch",
    "Intel GPU driver version",
    "Intel GPU models onboard",
    "Intel GPU models detected",
    "Caching allocator config",
    "Is MPS available",
    "CPU",
    "Versions of relevant libraries",
    "PyTorch CXX11 ABI",
    "IPEX version",
    "IPEX commit",
    "Build type",
    "IGC version",
    "DPCPP runtime version",
    "MKL version",
)
_LABEL_LINE = re.compile(
    r"^(?:\S+Z\s+)?\s*(" + "|".join(re.escape(k) for k in COLLECT_ENV_LABELS) + r")\s*:\s?(.*)$"
)
"""A label line; vLLM's and others' sectioned collect_env pad the label ("OS      : …")."""
_SECTION_RULE = re.compile(r"^\s*={5,}\s*$")
ASSUMED_PYTHON = "3.12"
"""The Python a paste that names none is planned for: inside every release's window in the
table (torch 2.2 supports 3.8–3.12, torch 2.14 3.10–3.14), so the assumption never decides the
release. tests/facts/test_tool_forms.py checks that it stays so."""
ASSUMED_CUDA = "12.0"
"""The CUDA a Windows driver a paste does not name is planned for: every driver since R528
(January 2023) serves CUDA 12."""
# L4T's kernel series: JetPack 4 (L4T 32) ships 4.9, JetPack 5 (L4T 35) 5.10, JetPack 6
# (L4T 36) 5.15, JetPack 7 (L4T 38) 6.8 (NVIDIA's Jetson Linux release notes).
_TEGRA_L4T = {"4.9": "32", "5.10": "35", "5.15": "36", "6.8": "38"}


def not_known(value: Any) -> bool:
    """ "N/A", "Could not collect", "No CUDA", "" — what tools print for "unknown"."""
    return value is None or (
        isinstance(value, str) and _NOT_KNOWN.fullmatch(value.strip()) is not None
    )


def is_collect_env(data: dict[str, Any]) -> bool:
    return "schema" not in data and sum(k in data for k in COLLECT_ENV_LABELS) >= 2


def parse_collect_env_text(text: str) -> dict[str, str] | None:
    """collect_env's printed report (as pasted into a bug report) as a label -> value mapping.

    None when the text is not one: fewer than two of the labels that every version prints.
    """
    out: dict[str, str] = {}
    current: str | None = None
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if _SECTION_RULE.match(line):  # "=====" around a section's title ("System Info")
            current = None
            continue
        m = _LABEL_LINE.match(line)
        if m:
            current = m.group(1)
            out[current] = m.group(2).strip()
        elif current and line.strip() and not line.strip().startswith("```"):
            out[current] = (out[current] + "\n" + line.strip()).strip()
        else:
            current = None
    if sum(k in out for k in ("OS", "Python version", "Python platform", "Libc version")) < 2:
        return None
    return out


# ---- nvidia-smi's table, pasted alone ----------------------------------------------------------
_SMI_ROW = re.compile(
    r"^\|\s+(\d+)\s+(.+?)\s{2,}(On|Off|WDDM|TCC)\s*\|\s*[0-9A-Fa-f:.]+\s+\S+\s*\|"
)
_SMI_MEMORY = re.compile(r"(\d+)\s*MiB\s*/\s*(\d+)\s*MiB")


def parse_nvidia_smi_table(text: str) -> dict[str, Any] | None:
    """`nvidia-smi` run bare, as pasted into an issue: its header and one row pair per GPU.

    None when the text has no nvidia-smi header line.
    """
    from envwizard.facts.nvidia import parse_nvidia_smi_header

    if not re.search(r"NVIDIA-SMI\s+[\d.]+", text):
        return None
    driver, cuda = parse_nvidia_smi_header(text)
    rows: list[dict[str, Any]] = []
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        m = _SMI_ROW.match(line.strip())
        if not m:
            continue
        row: dict[str, Any] = {"index": int(m.group(1)), "name": m.group(2), "mode": m.group(3)}
        memory = _SMI_MEMORY.search(lines[i + 1]) if i + 1 < len(lines) else None
        if memory:
            row["memory_mib"] = int(memory.group(2))
        rows.append(row)
    return {"nvidia-smi": {"driver": driver, "cuda": cuda, "gpus": rows}}


def is_nvidia_smi_table(data: dict[str, Any]) -> bool:
    return "schema" not in data and isinstance(data.get("nvidia-smi"), dict)


def from_nvidia_smi_table(data: dict[str, Any], r: Reading) -> dict[str, Any]:
    """The table says the driver, the CUDA it serves and the GPUs; the OS only by its driver
    model column (WDDM and TCC are Windows'), and never the Python: both are stated assumptions."""
    smi = data["nvidia-smi"]
    r.say(_("read as an nvidia-smi table"))
    rows = [g for g in smi.get("gpus", []) if isinstance(g, dict)]
    windows = any(g.get("mode") in ("WDDM", "TCC") for g in rows)
    os_d: dict[str, Any]
    if windows:
        os_d = {"system": "Windows", "machine": "AMD64"}
        r.say(_("os read as Windows from the table's WDDM/TCC driver model; planned for AMD64"))
    else:
        os_d = {"system": "Linux", "machine": "x86_64", "glibc": None}
        r.say(_("os not in the paste; planned for Linux on x86_64 (the table shows no WDDM/TCC)"))
    gpus = []
    for g in rows:
        name = str(g.get("name") or "")
        gpu: dict[str, Any] = {"vendor": "nvidia", "name": name, "index": g.get("index")}
        if "memory_mib" in g:
            gpu["memory_mib"] = g["memory_mib"]
        if name.endswith("..."):
            r.say(
                _("nvidia-smi cut the name {name} short; read by what it starts with").format(
                    name=repr(name)
                )
            )
            gpu["name"] = name.rstrip(". ")
        gpus.append(gpu)
    return {
        "schema": 1,
        "os": os_d,
        "python": _assumed_python(r),
        "gpus": gpus,
        "nvidia_driver": smi.get("driver"),
        "cuda_driver": smi.get("cuda"),
    }


def _assumed_python(r: Reading) -> dict[str, Any]:
    r.say(_("Python not in the paste; planned for {python}").format(python=ASSUMED_PYTHON))
    return {"version": ASSUMED_PYTHON}


# ---- nvidia-smi's GPU list (-L) or CSV query, pasted alone -------------------------------------
_SMI_FIELDS = ("index", "uuid", "driver_version", "compute_cap", "vbios_version", "pstate", "count")
"""nvidia-smi --query-gpu fields without a dot ("memory.total" and the like have one)."""
_SMI_L = re.compile(r"^GPU (\d+): (.+?)(?:\s*\(UUID: [^)]*\))?$")


def parse_nvidia_smi_gpus(text: str) -> dict[str, Any] | None:
    """`nvidia-smi -L`, or `nvidia-smi --query-gpu=… --format=csv` with its header (any fields
    that include `name`, in any order), pasted alone. None when the text is neither.

    MIG devices under a GPU (`  MIG 1g.10gb Device 0: …`) are slices of it, not GPUs.
    """
    from envwizard.facts.nvidia import parse_nvidia_smi_query

    lines = [
        line.strip()
        for line in text.replace("\r\n", "\n").split("\n")
        if line.strip() and not line.strip().startswith("```")
    ]
    # the command itself, pasted with its prompt ("$ nvidia-smi -L"), is not a GPU
    lines = [
        line for line in lines if not re.match(r"^MIG\b", line) and "nvidia-smi" not in line.lower()
    ]
    if not lines:
        return None
    listed = [_SMI_L.match(line) for line in lines]
    if all(listed):
        gpus = [{"index": int(m.group(1)), "name": m.group(2).strip()} for m in listed if m]
        return {"nvidia-smi-gpus": {"form": "-L", "gpus": gpus, "driver": None}}
    header = [re.sub(r"\s*\[.*\]$", "", c.strip()) for c in lines[0].split(",")]
    rows: list[dict[str, Any]] = []
    driver = None
    if "name" in header and any("." in c or c in _SMI_FIELDS for c in header):
        for line in lines[1:]:
            parts = [p.strip() for p in line.split(",")]
            extra = len(parts) - len(header)
            if extra > 0:  # a name with a comma in it
                i = header.index("name")
                parts[i : i + extra + 1] = [", ".join(parts[i : i + extra + 1])]
            if len(parts) != len(header):
                return None
            rec = dict(zip(header, parts))
            rows.append(
                {
                    "name": rec["name"],
                    "memory_mib": rec.get("memory.total"),
                    "compute_capability": rec.get("compute_cap"),
                }
            )
            driver = driver or rec.get("driver_version")
    else:  # the probe's own query without a header: every line must be a row of it
        found = parse_nvidia_smi_query("\n".join(lines))
        if len(found) != len(lines):
            return None
        rows = [{k: v for k, v in r.items() if k != "index"} for r in found]
    if not rows:
        return None
    rows = [{k: v for k, v in r.items() if v not in (None, "", "[N/A]")} for r in rows]
    return {"nvidia-smi-gpus": {"form": "csv", "gpus": rows, "driver": driver}}


def is_nvidia_smi_gpus(data: dict[str, Any]) -> bool:
    return "schema" not in data and isinstance(data.get("nvidia-smi-gpus"), dict)


def from_nvidia_smi_gpus(data: dict[str, Any], r: Reading) -> dict[str, Any]:
    """GPUs and, from a query with `driver_version`, the driver; the OS and the Python are
    stated assumptions, as for the table; a driver the paste does not name is one that
    serves CUDA 12 (nvidia-smi answering at all means a driver is loaded)."""
    smi = data["nvidia-smi-gpus"]
    if smi.get("form") == "-L":
        r.say(_("read as nvidia-smi -L's GPU list"))
    else:
        r.say(_("read as an nvidia-smi CSV query"))
    r.say(_("os not in the paste; planned for Linux on x86_64"))
    out: dict[str, Any] = {
        "schema": 1,
        "os": {"system": "Linux", "machine": "x86_64", "glibc": None},
        "python": _assumed_python(r),
        "gpus": [{"vendor": "nvidia", **g} for g in smi.get("gpus", []) if isinstance(g, dict)],
    }
    if smi.get("driver"):
        out["nvidia_driver"] = smi["driver"]
    else:
        out["cuda_driver"] = ASSUMED_CUDA
        r.say(
            _(
                "nvidia_driver not in the paste; planned for a driver serving CUDA {cuda} "
                "(R525 or newer); an older one needs a CUDA 11 build"
            ).format(cuda=ASSUMED_CUDA)
        )
    return out


# ---- GPU listings other tools print: rocminfo, lspci, system_profiler, nv_tegra_release -------
_LSPCI_GPU = re.compile(
    r"^(?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.\d\s+(?:VGA compatible|3D|Display) controller",
    re.IGNORECASE,
)
_TEGRA_RELEASE = re.compile(r"^#\s*R\d+\s*\(release\),\s*REVISION:", re.MULTILINE)


def parse_gpu_listing(text: str) -> dict[str, Any] | None:
    """The GPUs as `rocminfo`, `lspci`, `system_profiler SPDisplaysDataType` or
    `cat /etc/nv_tegra_release` print them, pasted alone. None when the text is none of them."""
    lines = text.replace("\r\n", "\n").split("\n")
    if "HSA Agents" in text or "Marketing Name:" in text:
        gpus = _rocminfo_gpus(lines)
        return {"gpu-listing": {"tool": "rocminfo", "gpus": gpus}} if gpus else None
    tegra = _TEGRA_RELEASE.search(text)
    if tegra:
        line = text[tegra.start() :].split("\n", 1)[0]
        return {"gpu-listing": {"tool": "nv_tegra_release", "gpus": [], "l4t": line.strip()}}
    chipsets = [ln.strip() for ln in lines if ln.strip().startswith("Chipset Model:")]
    if chipsets:
        return {"gpu-listing": {"tool": "system_profiler", "gpus": chipsets}}
    pci = [ln.strip() for ln in lines if _LSPCI_GPU.match(ln.strip())]
    if pci:
        return {"gpu-listing": {"tool": "lspci", "gpus": pci}}
    return None


def _rocminfo_gpus(lines: list[str]) -> list[dict[str, Any]]:
    """rocminfo's agents whose Device Type is GPU: the marketing name and the gfx target."""
    agents: list[dict[str, str]] = []
    for line in lines:
        if re.match(r"^\s*Agent \d+\s*$", line):
            agents.append({})
            continue
        m = re.match(r"^\s{1,3}(Name|Marketing Name|Device Type):\s*(.*?)\s*$", line)
        if agents and m and m.group(1) not in agents[-1]:
            agents[-1][m.group(1)] = m.group(2)
    return [
        {
            "vendor": "amd",
            "name": a.get("Marketing Name") or a.get("Name", ""),
            "arch": a.get("Name"),
        }
        for a in agents
        if a.get("Device Type") == "GPU"
    ]


def is_gpu_listing(data: dict[str, Any]) -> bool:
    return "schema" not in data and isinstance(data.get("gpu-listing"), dict)


def from_gpu_listing(data: dict[str, Any], r: Reading) -> dict[str, Any]:
    """The GPUs a listing names; the rest are the pastes' stated assumptions, and the platform
    the tool implies (system_profiler is macOS; nv_tegra_release is a Jetson, on aarch64)."""
    listing = data["gpu-listing"]
    tool = str(listing.get("tool"))
    r.say(_("read as {tool} output").format(tool=tool))
    gpus = [g for g in listing.get("gpus", []) if isinstance(g, (dict, str))]
    os_d: dict[str, Any]
    if tool == "system_profiler":
        apple = any("apple" in str(g).lower() for g in gpus)
        os_d = {"system": "Darwin", "machine": "arm64" if apple else "x86_64"}
        r.say(
            _("os read as macOS on {machine} from the GPUs system_profiler lists").format(
                machine=os_d["machine"]
            )
        )
    elif tool == "nv_tegra_release":
        os_d = {
            "system": "Linux",
            "machine": "aarch64",
            "glibc": None,
            "jetson_l4t": listing["l4t"],
        }
        r.say(_("os read as a Jetson's Linux on aarch64 from its L4T release"))
    else:
        os_d = {"system": "Linux", "machine": "x86_64", "glibc": None}
        r.say(_("os not in the paste; planned for Linux on x86_64"))
    return {"schema": 1, "os": os_d, "python": _assumed_python(r), "gpus": gpus}


# ---- Windows' Win32_VideoController, as Format-List prints it ----------------------------------
_FL_LINE = re.compile(r"^([A-Za-z_][\w]*)\s*:\s?(.*)$")
_FL_KEYS = ("Name", "Caption", "AdapterCompatibility", "AdapterRAM", "DriverVersion", "PNPDeviceID")


def parse_video_controllers(text: str) -> dict[str, Any] | None:
    """`Get-CimInstance Win32_VideoController | Format-List *` (or Get-WmiObject's): one block of
    "Key : value" lines per adapter. None when the text is not one."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for raw in text.replace("\r\n", "\n").split("\n"):
        m = _FL_LINE.match(raw.strip())
        if not m:
            if not raw.strip() and current:
                blocks.append(current)
                current = {}
            continue
        key, value = m.group(1), m.group(2).strip()
        if key in current and key in ("Name", "Caption"):  # a new adapter without a blank line
            blocks.append(current)
            current = {}
        current[key] = value
    if current:
        blocks.append(current)
    adapters = [b for b in blocks if b.get("Name") or b.get("Caption")]
    marked = "Win32_VideoController" in text or any(
        "AdapterCompatibility" in b or "VideoProcessor" in b or "AdapterRAM" in b for b in adapters
    )
    if not adapters or not marked:
        return None
    return {"Win32_VideoController": [{k: b[k] for k in _FL_KEYS if b.get(k)} for b in adapters]}


def is_video_controllers(data: dict[str, Any]) -> bool:
    return "schema" not in data and isinstance(data.get("Win32_VideoController"), list)


def from_video_controllers(data: dict[str, Any], r: Reading) -> dict[str, Any]:
    """Adapters as Windows lists them; the rest of the facts are stated assumptions."""
    r.say(_("read as Windows' Win32_VideoController list"))
    r.say(_("os.machine not in the paste; planned for AMD64"))
    gpus: list[dict[str, Any]] = []
    for a in data["Win32_VideoController"]:
        if not isinstance(a, dict):
            continue
        gpu: dict[str, Any] = dict(a)
        if str(a.get("AdapterRAM") or "").isdigit():
            gpu["AdapterRAM"] = int(a["AdapterRAM"])  # bytes (a uint32: 4 GiB at most)
        pnp = str(a.get("PNPDeviceID") or "")
        vendor = re.search(r"VEN_([0-9A-Fa-f]{4})", pnp)
        if vendor and "AdapterCompatibility" not in gpu:
            gpu["vendor"] = vendor.group(1).lower()
        gpu.pop("PNPDeviceID", None)
        gpus.append(gpu)
    out: dict[str, Any] = {
        "schema": 1,
        "os": {"system": "Windows", "machine": "AMD64"},
        "python": _assumed_python(r),
        "gpus": gpus,
    }
    nvidia = any(
        "nvidia"
        in str(g.get("AdapterCompatibility") or g.get("vendor") or g.get("Name") or "").lower()
        or g.get("vendor") == "10de"
        for g in gpus
    )
    if nvidia and not any(g.get("DriverVersion") for g in gpus):
        out["cuda_driver"] = ASSUMED_CUDA
        r.say(
            _(
                "nvidia_driver not in the paste; planned for a driver serving CUDA {cuda} "
                "(R528 or newer); an older one needs a CUDA 11 build"
            ).format(cuda=ASSUMED_CUDA)
        )
    return out


def parse_ansible_text(text: str) -> dict[str, Any] | None:
    """`ansible HOST -m setup` prints "HOST | SUCCESS => {json}"; --tree files are plain JSON."""
    m = re.match(r"^\s*\S+\s*\|\s*\w+\s*=>\s*", text)
    if not m:
        return None
    try:
        data = json.loads(text[m.end() :])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def is_ansible(data: dict[str, Any]) -> bool:
    return "schema" not in data and (
        isinstance(data.get("ansible_facts"), dict) or "ansible_system" in data
    )


class Reading:
    """Notes about how one foreign file was read, in the normaliser's words."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def say(self, text: str) -> None:
        self.notes.append(text)


def from_collect_env(data: dict[str, Any], r: Reading) -> dict[str, Any]:
    """collect_env labels ("OS: Ubuntu 22.04 (x86_64)", "GPU 0: NVIDIA …") as schema-1 facts."""
    r.say(_("read as PyTorch collect_env output"))
    plat = str(data.get("Python platform") or "")
    osname = str(data.get("OS") or "")
    pyver = str(data.get("Python version") or "")
    if plat.startswith("Windows") or "Windows" in osname:
        system = "Windows"
    elif plat.startswith(("macOS", "Darwin")) or osname.startswith(("macOS", "Mac OS")):
        system = "Darwin"
    else:
        system = "Linux"
    os_d: dict[str, Any] = {"system": system, "distro": osname or None}
    os_d["machine"] = _collect_env_machine(system, osname, plat, pyver, os_d)
    libc = data.get("Libc version")
    built = re.search(r"-with-glibc(\d+\.\d+)", plat)  # the glibc Python's platform tag names
    if not_known(libc) and built:
        libc = built.group(1)
        r.say(
            _("os.glibc read as {glibc} from {platform}").format(
                glibc=repr(libc), platform=repr(plat)
            )
        )
    os_d["glibc"] = None if not_known(libc) else libc
    if system == "Darwin":
        m = re.search(r"(?:macOS|Mac OS X)[ -](\d+(?:\.\d+)*)", osname + " " + plat)
        os_d["macos_version"] = m.group(1) if m else None
    if system == "Linux":
        kernel = re.match(r"Linux-(\S+?)-(?:x86_64|aarch64|arm64|ppc64le|s390x)", plat)
        if kernel:
            os_d["kernel"] = kernel.group(1)
        if re.search(r"microsoft|WSL", plat, re.IGNORECASE):
            os_d["wsl"] = True
            r.say(
                _("os.wsl read as true from the kernel in {platform}").format(platform=repr(plat))
            )
        l4t = tegra_l4t(plat)
        if l4t:
            os_d["jetson_l4t"] = l4t
            r.say(
                _("os.jetson_l4t read as {l4t} from the tegra kernel in {platform}").format(
                    l4t=repr(l4t), platform=repr(plat)
                )
            )
    python: dict[str, Any] = {"version": pyver}
    if "64-bit runtime" in pyver:
        python["bits"] = 64
    elif "32-bit runtime" in pyver:
        python["bits"] = 32
    driver = data.get("Nvidia driver version")
    rocm = not not_known(data.get("ROCM used to build PyTorch")) or not not_known(
        data.get("HIP runtime version")
    )
    out: dict[str, Any] = {
        "schema": 1,
        "os": os_d,
        "python": python,
        "nvidia_driver": None if not_known(driver) else driver,
        "gpus": collect_env_gpus(data, rocm, r),
    }
    ran = cuda_that_ran(data)
    if ran and out["nvidia_driver"] is None:
        out["cuda_driver"] = f"{ran.split('.')[0]}.0"
        r.say(
            _(
                "cuda_driver read as at least {cuda} (the driver is not named, but a CUDA {built} "
                "build of torch ran on it)"
            ).format(cuda=repr(out["cuda_driver"]), built=ran)
        )
    return out


def cuda_that_ran(data: dict[str, Any]) -> str | None:
    """The CUDA version of a torch build collect_env saw working ("Is CUDA available: True").

    A driver that runs a CUDA 12.4 build serves CUDA 12.x (minor-version compatibility), which
    is what the driver check needs when "Nvidia driver version" says "Could not collect".
    """
    built = str(data.get("CUDA used to build PyTorch") or "")
    available = str(data.get("Is CUDA available") or "").strip().lower()
    m = re.fullmatch(r"(\d+\.\d+)(?:\.\d+)*", built.strip())
    return m.group(1) if m and available in ("true", "yes") else None


def _collect_env_machine(
    system: str, osname: str, plat: str, pyver: str, os_d: dict[str, Any]
) -> str:
    """The interpreter's architecture: the one its wheels are for."""
    if system == "Windows":
        m = re.search(r"\((AMD64|ARM64)\)", pyver)
        if m:
            return m.group(1)
        return "ARM64" if re.search(r"\bARM\b", osname) else "AMD64"
    m = re.search(r"(x86_64|aarch64|arm64|ppc64le|s390x)", plat)
    os_m = re.search(r"\((x86_64|aarch64|arm64|ppc64le|s390x)\)", osname)
    if system == "Darwin" and m and os_m and m.group(1) == "x86_64" and os_m.group(1) == "arm64":
        os_d["rosetta"] = True
    if m:
        return m.group(1)
    return os_m.group(1) if os_m else "x86_64"


def tegra_l4t(plat: str) -> str | None:
    """The L4T release a Jetson's tegra kernel ("Linux-5.15.136-tegra-aarch64-…") belongs to."""
    m = re.search(r"(\d+\.\d+)\.\d+[-\w.]*-tegra", plat)
    if not m:
        return None
    return _TEGRA_L4T.get(m.group(1), "unknown")


def collect_env_gpus(data: dict[str, Any], rocm: bool, r: Reading) -> list[dict[str, Any]]:
    """GPUs from "GPU models and configuration" (nvidia-smi -L, or torch's name on ROCm) and
    the Intel lines newer collect_env prints."""
    gpus: list[dict[str, Any]] = []
    text = data.get("GPU models and configuration")
    mig = 0
    for line in ("" if not_known(text) else str(text)).splitlines():
        line = re.sub(r"\s*\(UUID: [^)]*\)", "", line).strip()
        if not line or not_known(line):
            continue
        if re.match(r"MIG \S+\s+Device\s+\d+", line):
            mig += 1
            continue
        m = re.match(r"GPU \d+:\s*(.+)", line)
        name = m.group(1).strip() if m else line
        gpu: dict[str, Any] = {"name": name}
        if rocm:
            gpu["vendor"] = "amd"
            arch = re.search(r"\((gfx[0-9a-f]+)[^)]*\)", name)
            if arch:
                gpu["arch"] = arch.group(1)
                gpu["name"] = name[: arch.start()].strip() or name
        elif m:
            gpu["vendor"] = "nvidia"  # "GPU N: …" lines are nvidia-smi -L
        gpus.append(gpu)
    if mig:
        r.say(
            _("{count} MIG slice(s) in the GPU list read as parts of their GPU, not GPUs").format(
                count=mig
            )
        )
    onboard = data.get("Intel GPU models onboard")
    names = [] if not_known(onboard) else re.findall(r"^\s*\*\s*(.+?)\s*$", str(onboard), re.M)
    if not names:
        names = re.findall(r"name='([^']+)'", str(data.get("Intel GPU models detected") or ""))
    gpus += [{"vendor": "intel", "name": n} for n in names]
    return gpus


def from_ansible(data: dict[str, Any], r: Reading) -> dict[str, Any]:
    """`ansible -m setup` facts ("ansible_facts": {"ansible_system": …}) as schema-1 facts.

    Ansible gathers no GPUs and no libc version; a file that adds `gpus` or `nvidia_driver`
    beside `ansible_facts` keeps them.
    """
    r.say(_("read as Ansible setup facts"))
    nested = data.get("ansible_facts")
    f: dict[str, Any] = nested if isinstance(nested, dict) else data
    system = f.get("ansible_system")
    if f.get("ansible_os_family") == "Windows" or system == "Win32NT":
        system = "Windows"
    machine = f.get("ansible_machine") or f.get("ansible_architecture")
    if system == "Windows":
        arch = str(f.get("ansible_architecture") or machine or "")
        machine = "ARM64" if "ARM" in arch.upper() else "AMD64"
    os_d: dict[str, Any] = {"system": system, "machine": machine, "glibc": None}
    dist = " ".join(
        str(f.get(k) or "") for k in ("ansible_distribution", "ansible_distribution_version")
    ).strip()
    os_d["distro"] = dist or None
    kernel = f.get("ansible_kernel")
    if isinstance(kernel, str) and kernel:
        os_d["kernel"] = kernel
        if system == "Linux" and re.search(r"microsoft|WSL", kernel, re.IGNORECASE):
            os_d["wsl"] = True
            r.say(_("os.wsl read as true from the kernel {kernel}").format(kernel=repr(kernel)))
        l4t = tegra_l4t(f"Linux-{kernel}-aarch64") if "tegra" in kernel else None
        if l4t:
            os_d["jetson_l4t"] = l4t
    if system == "Darwin":
        os_d["macos_version"] = f.get("ansible_distribution_version")
    found = f.get("ansible_python")
    py: dict[str, Any] = found if isinstance(found, dict) else {}
    python: dict[str, Any] = {}
    v = py.get("version")
    if isinstance(v, dict) and all(isinstance(v.get(k), int) for k in ("major", "minor")):
        python["version"] = f"{v['major']}.{v['minor']}" + (
            f".{v['micro']}" if isinstance(v.get("micro"), int) else ""
        )
    elif isinstance(f.get("ansible_python_version"), str):
        python["version"] = f["ansible_python_version"]
    if isinstance(py.get("executable"), str) and py["executable"]:
        python["executable"] = py["executable"]
    if isinstance(py.get("type"), str):
        python["implementation"] = py["type"]
    out: dict[str, Any] = {"schema": 1, "os": os_d, "python": python}
    if isinstance(f.get("ansible_memtotal_mb"), int):
        out["memory_mib"] = f["ansible_memtotal_mb"]
    for key in ("gpus", "nvidia_driver", "cuda_driver"):
        if key in data:
            out[key] = data[key]
    if "gpus" not in out:
        r.say(_("Ansible gathers no GPUs; planned as a machine without one"))
    return out


READERS: tuple[
    tuple[Callable[[dict[str, Any]], bool], Callable[[dict[str, Any], Reading], dict[str, Any]]],
    ...,
] = (
    (is_ansible, from_ansible),
    (is_collect_env, from_collect_env),
    (is_nvidia_smi_table, from_nvidia_smi_table),
    (is_video_controllers, from_video_controllers),
    (is_nvidia_smi_gpus, from_nvidia_smi_gpus),
    (is_gpu_listing, from_gpu_listing),
)
"""Other tools' facts, each recognised by its shape and rewritten as schema-1 facts."""


def parse_paste(text: str) -> dict[str, Any] | None:
    """Text that is not JSON: one of the forms people paste, or None."""
    for parse in (
        parse_collect_env_text,
        parse_ansible_text,
        parse_nvidia_smi_table,
        parse_video_controllers,
        parse_nvidia_smi_gpus,
        parse_gpu_listing,
    ):
        data = parse(text)
        if data is not None:
            return data
    return None
