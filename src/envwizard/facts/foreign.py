"""Facts files that other tools wrote: PyTorch's collect_env and Ansible's setup module.

People answer "what machine is this?" in bug reports with `python -m torch.utils.collect_env`,
and fleets keep `ansible -m setup` facts. Both describe what the planner needs (OS, machine,
libc, Python, GPUs, driver) in their own words; each is rewritten into a schema-1 mapping
here, and every reading that was not a plain copy is said in a note for the plan's reasons.
"""

from __future__ import annotations

import json
import re
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
    r"^(?:\S+Z\s+)?\s*(" + "|".join(re.escape(k) for k in COLLECT_ENV_LABELS) + r"):\s?(.*)$"
)
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
