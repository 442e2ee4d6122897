"""NVIDIA driver and GPUs: NVML first, then the driver's files, nvidia-smi and libcuda.

Formats and real samples: the captured outputs in tests/data/ (see its README). The
parsers are pure functions over the text the driver prints (tested against captures in
tests/data/); the readers take `root` so tests can point them at a fake /proc and /sys.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict

from envwizard.facts.found import Card, Found, at
from envwizard.facts.model import GPU
from envwizard.facts.subproc import ProbeError, failure, read_text, run

MIB = 1 << 20
QUERY = ("index", "name", "memory.total", "compute_cap")
_DRIVER = re.compile(r"^\d+\.\d+(\.\d+)?$")
_HEADER_DRIVER = re.compile(r"(?:Driver|KMD) Version:\s*([\d.]+)")
_HEADER_CUDA = re.compile(r"CUDA(?: UMD)? Version:\s*(\d+)\.(\d+)")
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76

# Compute capability by GPU name, for drivers whose tools cannot say (R470 nvidia-smi has no
# compute_cap) when libcuda cannot be loaded either. First match wins: specific before general.
NAME_CC: tuple[tuple[str, str], ...] = (
    (r"GB10\b|DGX Spark", "12.1"),
    # Workstation names reuse numbers across generations: "Quadro RTX 4000" is Turing,
    # "RTX 4000 Ada Generation" is Ada, "RTX 5000 Ada" is not a GeForce RTX 50.
    (r"Quadro RTX", "7.5"),
    (r"Ada Generation|\bAda\b", "8.9"),
    (r"RTX 50\d\d|RTX PRO \d+ Blackwell|Blackwell", "12.0"),
    (r"\bG?B300\b", "10.3"),
    (r"\bG?B[12]00\b", "10.0"),
    (r"\bThor\b", "11.0"),
    (r"\bG?H100\b|\bG?H200\b|\bH800\b|\bH20\b", "9.0"),
    (r"RTX 40\d\d|\bL40S?\b|\bL4\b|\bL20\b", "8.9"),
    (r"\bOrin\b", "8.7"),
    (r"\bA100\b|\bA800\b|\bA30\b", "8.0"),
    (
        r"RTX 30\d\d|RTX 2050\b|RTX A\d{3,4}\b|\bA10G?\b|\bA16\b|\bA2\b|\bA40\b",
        "8.6",
    ),  # 2050: GA107
    (r"\bXavier\b", "7.2"),
    (
        r"\bT4\b|RTX 20\d\d|GTX 16\d\d|TITAN RTX|Quadro RTX|\bT[456]\d0\b|\bT1[02]00\b|\bT2000\b",
        "7.5",
    ),
    (r"V100|TITAN V\b|GV100", "7.0"),
    (r"P100|GP100", "6.0"),
    (r"GTX 10\d\d|GT 10[13]0|TITAN Xp|TITAN X \(Pascal\)|\bP40\b|\bP4\b|\bP6\b|Quadro P\d+", "6.1"),
    (r"\bTX2\b", "6.2"),
    (r"Jetson Nano|Tegra X1|\bTX1\b", "5.3"),
    (r"GTX 9[56]0M\b", "5.0"),  # GM107, unlike the desktop GTX 9xx (GM20x)
    (r"GTX 9\d\d|GTX TITAN X\b|TITAN X\b|\bM40\b|\bM60\b|\bM[46]\b|Quadro M[2-6]000", "5.2"),
    (
        r"GTX 750|GTX 745|GTX 8\d0M\b|\bM10\b|Quadro M[15]?[012]00\b|Quadro K(620|[12]200)\b",
        "5.0",
    ),
    # GeForce MX laptop parts (NVIDIA's CUDA GPUs list): MX450/550 Turing, MX570 Ampere.
    (r"\bMX570\b", "8.6"),
    (r"\bMX[45]50\b", "7.5"),
    (r"\bMX(150|2[35]0|3[35]0)\b", "6.1"),
    (r"\bMX1[13]0\b|\b9[2-4]0MX\b|\b9[34]0M\b", "5.0"),
    (r"\bK80\b", "3.7"),
    (r"\bK40[cm]?\b|\bK20X?[cm]?\b|GTX 780|GTX TITAN\b|\bGT 7[13]0\b", "3.5"),
    (r"GTX 6\d\d|GTX 7[0-7]0|\bK10\b", "3.0"),
)


@dataclass
class NvidiaState:
    """What the NVIDIA probe found: the driver, the newest CUDA it serves, and the GPUs."""

    driver: str | None = None
    cuda_driver: str | None = None
    cards: list[Card] = field(default_factory=list)


# ---- pure parsers -------------------------------------------------------------------------


def parse_sys_module_version(text: str) -> str | None:
    """/sys/module/nvidia/version: a single line, "550.144.03"."""
    value = text.strip()
    return value if _DRIVER.match(value) else None


def parse_proc_driver_version(text: str) -> str | None:
    """/proc/driver/nvidia/version: the version is the 2nd field when split on two spaces.

    Both the open ("…Open Kernel Module for x86_64  550.144.03  Release Build …") and the
    old ("…Kernel Module  375.74  Wed Jun 14 …") first lines work this way.
    """
    for line in text.splitlines():
        if line.startswith("NVRM version:"):
            fields = [f.strip() for f in line.split("  ") if f.strip()]
            if len(fields) >= 2 and _DRIVER.match(fields[1]):
                return fields[1]
            m = re.search(r"\s(\d{3}\.\d+(?:\.\d+)?)\s", line + " ")
            return m.group(1) if m else None
    return None


def parse_nvidia_smi_header(text: str) -> tuple[str | None, str | None]:
    """(driver, CUDA) from nvidia-smi's summary, old ("Driver Version" / "CUDA Version") or
    R610 ("KMD Version" / "CUDA UMD Version") wording."""
    d = _HEADER_DRIVER.search(text)
    c = _HEADER_CUDA.search(text)
    return (d.group(1) if d else None, f"{int(c.group(1))}.{int(c.group(2))}" if c else None)


class SmiRow(TypedDict):
    """One GPU of nvidia-smi's query."""

    index: int
    name: str
    memory_mib: int | None
    compute_capability: str | None


def parse_nvidia_smi_query(text: str, fields: tuple[str, ...] = QUERY) -> list[SmiRow]:
    """Rows of `nvidia-smi --query-gpu=<fields> --format=csv[,noheader][,nounits]`.

    With a header line the columns are taken from it (any order; "memory.total [MiB]" is
    memory.total); without one they are `fields`. Units ("143771 MiB") are dropped, and
    unsupported values ("[N/A]") become None. Lines that are not rows (errors) are skipped.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    header = (
        tuple(re.sub(r"\s*\[.*\]$", "", c.strip()) for c in lines[0].split(",")) if lines else ()
    )
    if "index" in header and "name" in header:
        fields, lines = header, lines[1:]
    rows: list[SmiRow] = []
    for line in lines:
        parts = [p.strip() for p in line.split(",")]
        extra = len(parts) - len(fields)
        if extra > 0 and "name" in fields:  # a name with a comma in it
            i = fields.index("name")
            parts[i : i + extra + 1] = [", ".join(parts[i : i + extra + 1])]
        if len(parts) != len(fields):
            continue
        rec = dict(zip(fields, parts))
        if not rec.get("index", "").isdigit() or not rec.get("name"):
            continue
        cc = rec.get("compute_cap", "")
        rows.append(
            {
                "index": int(rec["index"]),
                "name": rec["name"],
                "memory_mib": _mib(rec.get("memory.total", "")),
                "compute_capability": cc if _is_cc(cc) else None,
            }
        )
    return rows


def compute_cap_rejected(text: str) -> bool:
    """R470's nvidia-smi: 'Field "compute_cap" is not a valid field to query.'"""
    return "compute_cap" in text and "not a valid field" in text


def parse_cuda_driver_version(value: int) -> str | None:
    """NVML/cuDriverGetVersion's integer: 12040 -> "12.4"."""
    if value <= 0:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"


def cc_from_name(name: str) -> str | None:
    """The compute capability a GPU name implies, from NAME_CC; None when the name is unknown."""
    for pattern, cc in NAME_CC:
        if re.search(pattern, name, re.IGNORECASE):
            return cc
    return None


def _is_cc(text: str) -> bool:
    return re.fullmatch(r"\d+\.\d+", text) is not None


def _mib(text: str) -> int | None:
    m = re.match(r"(\d+)", text.strip())
    return int(m.group(1)) if m else None


# ---- readers --------------------------------------------------------------------------------


def driver_loaded(root: str, wsl: bool) -> bool:
    """Whether an NVIDIA kernel driver (or WSL's projected one) is there to ask."""
    if os.name == "nt":
        return True
    paths = ["/proc/driver/nvidia/version", "/sys/module/nvidia/version", "/dev/nvidiactl"]
    if wsl:
        paths.append("/usr/lib/wsl/lib/libnvidia-ml.so.1")
    return any(os.path.exists(at(root, p)) for p in paths)


def driver_from_files(root: str) -> tuple[str | None, str | None]:
    """(driver, which file said so) from /sys/module/nvidia/version, then /proc/driver/nvidia."""
    text = read_text(at(root, "/sys/module/nvidia/version"))
    if text and (v := parse_sys_module_version(text)):
        return v, "/sys/module/nvidia/version"
    text = read_text(at(root, "/proc/driver/nvidia/version"))
    if text and (v := parse_proc_driver_version(text)):
        return v, "/proc/driver/nvidia/version"
    return None, None


def nvidia_smi_paths(root: str, env: Mapping[str, str], wsl: bool) -> list[str]:
    """nvidia-smi candidates; on WSL the projected Windows one first (a distro copy can shadow it
    and fail with "couldn't communicate with the NVIDIA driver")."""
    paths = []
    if wsl:
        paths.append(at(root, "/usr/lib/wsl/lib/nvidia-smi"))
    found = shutil.which("nvidia-smi", path=env.get("PATH", ""))
    if found:
        paths.append(found)
    if os.name == "nt":
        windir = env.get("WINDIR", r"C:\Windows")
        paths.append(os.path.join(windir, "System32", "nvidia-smi.exe"))
        program_files = env.get("ProgramFiles", r"C:\Program Files")
        paths.append(os.path.join(program_files, "NVIDIA Corporation", "NVSMI", "nvidia-smi.exe"))
    out = []
    for p in paths:
        if os.path.isfile(p) and p not in out:
            out.append(p)
    return out


def smi_query(smi: str, timeout: float) -> list[SmiRow]:
    """GPU rows from nvidia-smi; R470's rejects compute_cap and fails whole, so retry without."""
    fields: tuple[str, ...] = QUERY
    argv = [smi, "--query-gpu=" + ",".join(fields), "--format=csv,noheader,nounits"]
    proc = run(argv, timeout, check=False)
    if proc.returncode != 0 and compute_cap_rejected(proc.stdout + proc.stderr):
        fields = tuple(f for f in QUERY if f != "compute_cap")
        argv[1] = "--query-gpu=" + ",".join(fields)
        proc = run(argv, timeout, check=False)
    if proc.returncode != 0:
        raise failure(proc)
    return parse_nvidia_smi_query(proc.stdout, fields)


def nvml_state() -> NvidiaState:
    """Driver, CUDA and GPUs through NVML (nvidia-ml-py); raises pynvml.NVMLError on failure."""
    import pynvml

    pynvml.nvmlInit()
    try:
        state = NvidiaState(driver=_text(pynvml.nvmlSystemGetDriverVersion()))
        with contextlib.suppress(pynvml.NVMLError):
            state.cuda_driver = parse_cuda_driver_version(
                pynvml.nvmlSystemGetCudaDriverVersion_v2()
            )
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            gpu = GPU(vendor="nvidia", name=_text(pynvml.nvmlDeviceGetName(h)), index=i)
            gpu.source = "NVML"
            card = Card(gpu, {"name": "NVML"})
            try:
                gpu.memory_mib = int(pynvml.nvmlDeviceGetMemoryInfo(h).total) // MIB
                card.sources["memory_mib"] = "NVML"
            except pynvml.NVMLError:
                pass
            try:
                major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(h)
                gpu.compute_capability = f"{major}.{minor}"
                card.sources["compute_capability"] = "NVML"
            except pynvml.NVMLError:
                pass
            with contextlib.suppress(pynvml.NVMLError):
                gpu.pci_id = _text(pynvml.nvmlDeviceGetPciInfo(h).busId).lower()
            state.cards.append(card)
        return state
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()


def libcuda_capabilities(root: str, wsl: bool) -> dict[str, str]:
    """GPU name -> compute capability from the CUDA driver API (cuDeviceGetAttribute 75/76).

    Keyed by name, not ordinal: CUDA numbers devices fastest-first, nvidia-smi by PCI bus.
    Raises OSError when libcuda cannot be loaded, ProbeError when it reports an error.
    """
    import ctypes

    if os.name == "nt":
        names = ["nvcuda.dll"]
    else:
        names = [at(root, "/usr/lib/wsl/lib/libcuda.so.1")] if wsl else []
        names.append("libcuda.so.1")
    lib = None
    for name in names:
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if lib is None:
        raise OSError("libcuda could not be loaded")

    def check(status: int, what: str) -> None:
        if status != 0:
            raise ProbeError(f"libcuda {what} returned error {status}")

    check(lib.cuInit(0), "cuInit")
    count = ctypes.c_int()
    check(lib.cuDeviceGetCount(ctypes.byref(count)), "cuDeviceGetCount")
    out = {}
    for i in range(count.value):
        dev = ctypes.c_int()
        check(lib.cuDeviceGet(ctypes.byref(dev), i), "cuDeviceGet")
        buf = ctypes.create_string_buffer(256)
        check(lib.cuDeviceGetName(buf, 256, dev), "cuDeviceGetName")
        major, minor = ctypes.c_int(), ctypes.c_int()
        check(
            lib.cuDeviceGetAttribute(
                ctypes.byref(major), CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev
            ),
            "cuDeviceGetAttribute",
        )
        check(
            lib.cuDeviceGetAttribute(
                ctypes.byref(minor), CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev
            ),
            "cuDeviceGetAttribute",
        )
        out[buf.value.decode(errors="replace")] = f"{major.value}.{minor.value}"
    return out


def jetson_card(root: str) -> Card | None:
    """A Jetson's integrated GPU, named by the device tree (no NVML or nvidia-smi to ask)."""
    if not os.path.exists(at(root, "/etc/nv_tegra_release")):
        return None
    model = (read_text(at(root, "/proc/device-tree/model")) or "").strip("\x00 \n") or "Jetson"
    gpu = GPU(vendor="nvidia", name=model, integrated=True, index=0, source="device tree")
    gpu.compute_capability = cc_from_name(model)
    card = Card(gpu, {"name": "/proc/device-tree/model"})
    if gpu.compute_capability:
        card.sources["compute_capability"] = "name table"
    return card


# ---- the probe --------------------------------------------------------------------------------


def probe_nvidia(
    root: str = "/",
    timeout: float = 3.0,
    *,
    env: Mapping[str, str] | None = None,
    wsl: bool = False,
    use_nvml: bool = True,
    use_libcuda: bool = True,
) -> Found[NvidiaState]:
    """NVML; failing that, the driver's files and nvidia-smi; then fill in missing CCs."""
    env = os.environ if env is None else env
    state = NvidiaState()
    found = Found(state)
    smis = nvidia_smi_paths(root, env, wsl)
    loaded = driver_loaded(root, wsl)
    if not loaded and not smis:
        tegra = jetson_card(root)
        if tegra:
            state.cards.append(tegra)
        return found
    nvml_error = None
    if use_nvml and loaded:
        try:
            nvml = nvml_state()
            state.driver, state.cuda_driver, state.cards = nvml.driver, nvml.cuda_driver, nvml.cards
            found.sources["nvidia_driver"] = "NVML"
            if state.cuda_driver:
                found.sources["cuda_driver"] = "NVML"
        except Exception as e:  # NVMLError and its many subclasses, or a broken binding
            nvml_error = f"NVML: {e}"
    if state.driver is None:
        state.driver, where = driver_from_files(root)
        if where:
            found.sources["nvidia_driver"] = where
    if not state.cards and smis:
        smi_fallback(state, found, smis, timeout)
    if not state.cards:
        tegra = jetson_card(root)
        if tegra:
            state.cards.append(tegra)
    if state.driver is None or (loaded and not state.cards):
        why = nvml_error or "no NVML"
        if not smis:
            why += "; nvidia-smi not found"
        found.unknown.setdefault("gpus.nvidia", why)
    fill_compute_capabilities(state, found, root, wsl, use_libcuda)
    return found


def smi_fallback(
    state: NvidiaState, found: Found[NvidiaState], smis: list[str], timeout: float
) -> None:
    """GPUs from nvidia-smi's query, and driver/CUDA from its summary header."""
    errors = []
    for smi in smis:
        try:
            rows = smi_query(smi, timeout)
            header = run([smi], timeout, check=False).stdout
        except ProbeError as e:
            errors.append(str(e))
            continue
        for row in rows:
            gpu = GPU(
                vendor="nvidia",
                name=row["name"],
                index=row["index"],
                memory_mib=row["memory_mib"],
                compute_capability=row["compute_capability"],
                source="nvidia-smi",
            )
            card = Card(gpu, {"name": "nvidia-smi", "memory_mib": "nvidia-smi"})
            if gpu.compute_capability:
                card.sources["compute_capability"] = "nvidia-smi"
            state.cards.append(card)
        driver, cuda = parse_nvidia_smi_header(header)
        if state.driver is None and driver:
            state.driver = driver
            found.sources["nvidia_driver"] = "nvidia-smi"
        if cuda:
            state.cuda_driver = cuda
            found.sources["cuda_driver"] = "nvidia-smi"
        return
    found.unknown["gpus.nvidia"] = "; ".join(errors)


def fill_compute_capabilities(
    state: NvidiaState, found: Found[NvidiaState], root: str, wsl: bool, use_libcuda: bool
) -> None:
    """Old drivers cannot report compute capability: ask libcuda, else go by the name."""
    missing = [c for c in state.cards if c.gpu.compute_capability is None]
    if not missing:
        return
    by_name: dict[str, str] = {}
    libcuda_error = "libcuda not asked"
    if use_libcuda:
        try:
            by_name = libcuda_capabilities(root, wsl)
        except (OSError, ProbeError) as e:
            libcuda_error = str(e)
    for card in missing:
        g = card.gpu
        cc = by_name.get(g.name)
        if cc:
            g.compute_capability, card.sources["compute_capability"] = cc, "libcuda"
            continue
        cc = cc_from_name(g.name)
        if cc:
            g.compute_capability, card.sources["compute_capability"] = cc, "name table"
    still = [c.gpu.name for c in missing if c.gpu.compute_capability is None]
    if still:
        found.unknown["gpus.nvidia.compute_capability"] = (
            f"{', '.join(dict.fromkeys(still))}: the driver's tools do not report it ({libcuda_error}) "
            "and the name is not in envwizard's table"
        )


def _text(value: object) -> str:
    """Old pynvml returned bytes where new returns str."""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
