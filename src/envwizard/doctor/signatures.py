"""The error texts torch environments print, and which finding each one means.

One table serves both the live check (an import or a kernel that failed inside the environment)
and paste mode (a traceback someone pasted). The order matters: the first signature that
matches wins (torchvision's own CUDA message before the generic nms one, the nvJitLink symbol
before other undefined symbols, …), and a few rules afterwards refine a match with what else
the text shows (`pip show` versions, two NVIDIA wheel families). docs/doctor.md lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from envwizard.doctor.model import Code


@dataclass(frozen=True)
class Signature:
    code: Code
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Match:
    """A signature that matched: the code, the line it matched, and values read from the text."""

    code: Code
    line: str
    values: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


def _sig(code: Code, pattern: str) -> Signature:
    return Signature(code, re.compile(pattern, re.MULTILINE))


SIGNATURES: tuple[Signature, ...] = (
    _sig(
        Code.COMPANION_VARIANT_MISMATCH,
        r"Detected that PyTorch and torchvision were compiled with different CUDA (?:major )?versions",
    ),
    _sig(
        Code.COMPANION_VARIANT_MISMATCH,
        r"operator torchvision::nms does not exist|No such operator torchvision::nms"
        r"|Could not find the operator torchvision::nms|register_fake\(\"torchvision::nms\"\)",
    ),
    _sig(
        Code.COMPANION_VERSION_MISMATCH,
        r"libtorchaudio\.so: undefined symbol|torchaudio/\S*\.so: undefined symbol",
    ),
    _sig(Code.LD_LIBRARY_PATH_OVERRIDE, r"undefined symbol: __nvJitLink"),
    _sig(Code.NVIDIA_WHEEL_MISMATCH, r"libtorch_cuda\.so: undefined symbol: nccl"),
    _sig(
        Code.EXTENSION_ABI_MISMATCH,
        r"flash_attn_2_cuda.*undefined symbol|undefined symbol: _ZN?K?\d+(?:c10|at|torch)",
    ),
    _sig(Code.LD_LIBRARY_PATH_OVERRIDE, r"cuDNN version (?:incompatibility|mismatch)"),
    _sig(
        Code.DRIVER_TOO_OLD,
        r"The NVIDIA driver on your system is too old|CUDA driver version is insufficient",
    ),
    _sig(
        Code.TORCH_ARCH_MISSING,
        r"no kernel image is available|is not compatible with the current PyTorch installation"
        r"|which is of (?:cuda|compute) capability|HIP error: invalid device function"
        r"|hipErrorNoBinaryForGpu",
    ),
    _sig(
        Code.NUMPY_ABI,
        r"compiled using NumPy 1\.x|_ARRAY_API not found|numpy\.core\.multiarray failed to import",
    ),
    _sig(Code.WINDOWS_DLL_MISSING, r"\[WinError 126\].*fbgemm\.dll"),
    _sig(Code.NVIDIA_LIBS_MISSING, r"lib\w+\.so\.\d+: cannot open shared object file"),
    _sig(
        Code.SHADOWED_TORCH,
        r"File \"torch/__init__\.py\"|cannot import name '\w+' from partially initialized module 'torch'",
    ),
    _sig(
        Code.TORCH_FILES_MIXED,
        r"partially initialized module 'torch' has no attribute|module 'torch' has no attribute '\w+Storage'",
    ),
    _sig(Code.PIP_CHECK_CONFLICT, r"Disabling PyTorch because PyTorch >= "),
    _sig(
        Code.TORCH_CPU_ON_GPU_MACHINE,
        r"Torch not compiled with CUDA enabled|PyTorch: .*\+cpu|compiled without GPU support",
    ),
    _sig(Code.TORCH_MISSING, r"No module named '?torch'?(?![.\w])"),
)


def _line_of(text: str, m: re.Match[str]) -> str:
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    return text[start : end if end >= 0 else len(text)].strip()[:400]


def _values(code: Code, text: str) -> dict[str, str]:
    """Numbers and names the text itself gives (versions, capabilities, libraries)."""
    out: dict[str, str] = {}

    def grab(key: str, pattern: str, group: int = 1) -> None:
        m = re.search(pattern, text, re.MULTILINE)
        if m and key not in out:
            out[key] = m.group(group).strip()

    grab("torch", r"^Name: torch\s*\nVersion: (\S+)")
    grab("torch", r"^torch\s+(\d+\.\d+\S*)\s*$")
    grab("torch", r"torch\.__version__:?\s*'?(\d+\.\d+[^'\s]*)")
    grab("torch", r"PyTorch(?: version)?:\s*`?(\d+\.\d+\.\d+\S*?)`?\s*$")
    grab("torchvision", r"^Name: torchvision\s*\nVersion: (\S+)")
    grab("torchvision", r"^torchvision\s+(\d+\.\d+\S*)\s*$")
    grab("torchaudio", r"^torchaudio\s+(\d+\.\d+\S*)\s*$")
    grab("numpy", r"^numpy\s+(\d+\.\d+\S*)\s*$")
    if code is Code.COMPANION_VARIANT_MISMATCH:
        grab("torch_cuda", r"PyTorch has CUDA Version=(\d+(?:\.\d+)*)")
        grab("torchvision_cuda", r"torchvision has CUDA Version=(\d+(?:\.\d+)*)")
    elif code is Code.DRIVER_TOO_OLD:
        m = re.search(r"too old \(found version (\d+)\)", text)
        if m:
            n = int(m.group(1))
            out["driver_cuda"] = f"{n // 1000}.{n % 1000 // 10}"
        grab("driver", r"Driver Version:\s*([\d.]+)")
    elif code is Code.TORCH_ARCH_MISSING:
        grab("gpu", r"(?:Found GPU\d+ )(.+?) which is of (?:cuda|compute) capability")
        grab("gpu", r"^(?:\S.*?: )?(NVIDIA .+?|GeForce .+?) with CUDA capability sm_\d+")
        grab("cc", r"which is of (?:cuda capability|compute capability \(CC\)) (\d+\.\d+)")
        m = re.search(r"with CUDA capability sm_(\d+)(\d)\b", text)
        if m and "cc" not in out:
            out["cc"] = f"{m.group(1)}.{m.group(2)}"
        grab("archs", r"supports CUDA capabilities ((?:(?:sm|compute)_\d+\s*)+)")
        grab("range", r"\((\d+\.\d+)\)\s*-\s*\((\d+\.\d+)\)", 0)
        grab(
            "minimum",
            r"minimum cuda capability (?:supported by this library|that we support) is (\d+\.\d+)",
        )
        grab("suggested_cuda", r"configurations:\s+([\d. ]+?)\s+following")
        if "HIP" in text or "hipError" in text:
            out["rocm"] = "yes"
    elif code is Code.NUMPY_ABI:
        grab("numpy", r"cannot be run in\s+NumPy ([\d.]+)")
    elif code is Code.LD_LIBRARY_PATH_OVERRIDE:
        grab("nvjitlink", r"__nvJitLink\w+?_(\d+_\d+)")
        grab("cudnn_built", r"compiled\s+against \(?([\d, ]+)\)?")
        grab("cudnn_found", r"(?:found runtime version|linked against) \(?([\d, ]+)\)?")
        grab("ld_library_path", r"echo \$LD_LIBRARY_PATH\s*\n(\S+)")
    elif code in (Code.NVIDIA_WHEEL_MISMATCH, Code.NVIDIA_WHEEL_MIX):
        grab("symbol", r"undefined symbol: (nccl\w+)")
    elif code is Code.EXTENSION_ABI_MISMATCH:
        grab("symbol", r"undefined symbol: (\S+)")
        grab("module", r"(\w+)\.cpython-\d+[^:]*\.so: undefined symbol")
    elif code is Code.NVIDIA_LIBS_MISSING:
        grab("library", r"(lib\w+\.so\.\d+): cannot open shared object file")
    elif code is Code.PIP_CHECK_CONFLICT:
        grab("needs", r"PyTorch >= ([\d.]+) is required")
        grab("found", r"is required but found ([\d.]+)")
    elif code is Code.COMPANION_VERSION_MISMATCH:
        grab("symbol", r"undefined symbol: (\S+)")
    elif code is Code.WINDOWS_DLL_MISSING:
        grab("dll", r"Error loading \\?\"(.+?fbgemm\.dll)")
    return out


def _pair_minor(torch: str, torchvision: str) -> bool:
    """Whether torchvision 0.N belongs to torch 2.M (N = M + 15); True when unknown."""
    t = re.match(r"2\.(\d+)", torch)
    v = re.match(r"0\.(\d+)", torchvision)
    return not (t and v) or int(v.group(1)) == int(t.group(1)) + 15


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
"""Colour codes: Jupyter and rich tracebacks keep them when copied from a terminal."""


def clean(text: str) -> str:
    return ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def classify(text: str) -> Match | None:
    """The first signature the text matches, refined by what else it shows; None if none."""
    text = clean(text)
    for sig in SIGNATURES:
        m = sig.pattern.search(text)
        if not m:
            continue
        code = sig.code
        values = _values(code, text)
        if (
            code is Code.COMPANION_VARIANT_MISMATCH
            and "torch" in values
            and "torchvision" in values
            and not _pair_minor(values["torch"], values["torchvision"])
        ):
            code = Code.COMPANION_VERSION_MISMATCH
        if (
            code is Code.NVIDIA_WHEEL_MISMATCH
            and len(set(re.findall(r"nvidia-\w+-cu(\d+)", text))) > 1
        ):
            code = Code.NVIDIA_WHEEL_MIX
        return Match(code, _line_of(text, m), values)
    return None


def classify_all(texts: list[str]) -> list[Match]:
    """One match per text that matches anything (the live check's errors and warnings)."""
    out = []
    for t in texts:
        m = classify(t)
        if m is not None:
            out.append(m)
    return out
