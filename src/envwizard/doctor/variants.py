"""Which build an installed torch, torchvision or torchaudio is, read from files, not imports.

A wheel's dist-info often carries no variant (PyPI's CUDA torch is plain `2.14.1`, torchvision's
dist-info says `0.28.0` for a `+cu130` build): the variant is in the package's version.py, and
for a companion also in what its compiled extension links against (libc10_cuda.so means CUDA).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from envwizard.core.versions import vkey
from envwizard.knowledge import Knowledge
from envwizard.knowledge.stack import load_stack


@dataclass(frozen=True)
class Variant:
    """cpu, cuda, rocm or xpu, with the variant's name as PyTorch's index spells it."""

    kind: str
    label: str
    cuda: str | None = None

    @property
    def cuda_major(self) -> int | None:
        return vkey(self.cuda)[0] if self.cuda and vkey(self.cuda) else None

    def differs(self, other: Variant) -> bool:
        """Whether two builds cannot load each other's kernels: another kind, or another CUDA
        major (torchvision itself compares majors since 0.16)."""
        if "unknown" in (self.kind, other.kind):
            return False
        if self.kind != other.kind:
            return True
        return self.kind == "cuda" and self.cuda_major != other.cuda_major

    def text(self) -> str:
        if self.kind == "cuda" and self.cuda:
            return f"{self.label} (CUDA {self.cuda})"
        return self.label


UNKNOWN = Variant("unknown", "unknown")


def cuda_label(cuda: str) -> str:
    """ "13.0" -> "cu130", "11.8" -> "cu118"."""
    key = vkey(cuda)
    return "cu" + "".join(str(k) for k in key[:2])


def cuda_of_label(label: str) -> str | None:
    """ "cu130" -> "13.0", "cu118" -> "11.8"."""
    m = re.fullmatch(r"cu(\d+)(\d)", label)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def local_tag(version: str) -> str:
    return version.split("+", 1)[1] if "+" in version else ""


def from_tag(tag: str) -> Variant | None:
    if tag == "cpu" or tag.startswith("cpu."):
        return Variant("cpu", "cpu")
    m = re.fullmatch(r"cu(\d{3,})", tag)
    if m:
        return Variant("cuda", tag, cuda_of_label(tag))
    if tag.startswith("rocm"):
        return Variant("rocm", tag)
    if tag == "xpu":
        return Variant("xpu", "xpu")
    return None


def torch_variant(version_py: dict[str, Any] | None, version: str) -> Variant:
    """torch's build: its local tag, else what version.py says it was compiled with."""
    vp = version_py or {}
    tagged = from_tag(local_tag(str(vp.get("__version__") or version)))
    if tagged is not None:
        if tagged.kind == "cuda" and vp.get("cuda"):
            return Variant("cuda", tagged.label, str(vp["cuda"]))
        return tagged
    if vp.get("cuda"):
        cuda = str(vp["cuda"])
        return Variant("cuda", cuda_label(cuda), cuda)
    if vp.get("hip") or vp.get("rocm"):
        rocm = str(vp.get("rocm") or vp.get("hip"))
        return Variant("rocm", "rocm" + ".".join(str(k) for k in vkey(rocm)[:2]))
    if vp.get("xpu"):
        return Variant("xpu", "xpu")
    if not version_py:
        return UNKNOWN
    return Variant("cpu", "cpu")


def companion_variant(info: dict[str, Any] | None, version: str) -> Variant:
    """A companion's build: its version.py tag, else the libraries its extension needs."""
    info = info or {}
    vp = info.get("version_py") or {}
    tagged = from_tag(local_tag(str(vp.get("__version__") or version)))
    if tagged is not None:
        return tagged
    needed = [n for e in info.get("extensions") or [] for n in (e.get("needed") or [])]
    if not info.get("extensions"):
        return UNKNOWN
    cudart = [n for n in needed if n.startswith("libcudart.so.")]
    if cudart or any(n.startswith(("libc10_cuda", "libtorch_cuda")) for n in needed):
        major = cudart[0].rsplit(".", 1)[-1] if cudart else None
        return Variant("cuda", "cuda", major)
    if any(n.startswith(("libc10_hip", "libtorch_hip", "libamdhip64")) for n in needed):
        return Variant("rocm", "rocm")
    return Variant("cpu", "cpu")


def needs_cuda_torch(info: dict[str, Any] | None) -> list[str]:
    """The CUDA parts of torch a companion's extension links against (empty for CPU builds)."""
    out = []
    for e in (info or {}).get("extensions") or []:
        for n in e.get("needed") or []:
            if n.startswith(("libc10_cuda", "libtorch_cuda", "libcudart")) and n not in out:
                out.append(n)
    return out


def torch_line(version: str) -> str:
    """ "2.13.0+cpu" -> "2.13"."""
    key = vkey(version)
    return f"{key[0]}.{key[1]}" if len(key) >= 2 else version


def companion_line(kb: Knowledge, torch_version: str, name: str) -> str | None:
    """The release line of a companion that belongs to a torch version (2.13 -> 0.28 / 2.11),
    from the stack knowledge's pairing (torchaudio 2.11 serves torch 2.11 and later)."""
    line = torch_line(torch_version)
    row = load_stack().companion(name, line)
    if row is not None:
        return row.own_line(line)
    key = vkey(torch_version)
    if len(key) < 2 or key[0] != 2:
        return None
    return f"0.{key[1] + 15}" if name == "torchvision" else line


def torch_line_of_companion(kb: Knowledge, name: str, version: str) -> str | None:
    """The torch line a companion version was made for (torchvision 0.28 -> 2.13, 0.29 ->
    2.14, torchaudio 2.11 -> 2.11)."""
    key = vkey(version)
    if len(key) < 2:
        return None
    line = f"{key[0]}.{key[1]}"
    rows = [c for c in load_stack().companions if c.package == name]
    for c in rows:
        if c.pairing == "exact":
            found = [t for t, own in c.lines.items() if own == line]
            if found:
                return min(found, key=vkey)
    for c in rows:
        if c.pairing != "exact" and c.torch is not None and c.own_line(c.torch.lo) == line:
            return c.torch.lo
    if name == "torchvision" and key[0] == 0 and key[1] >= 15:
        return f"2.{key[1] - 15}"
    if name == "torchaudio" and key[0] == 2:
        return line
    return None
    line = f"{key[0]}.{key[1]}"
    for r in kb.releases:
        if (r.torchvision if name == "torchvision" else r.torchaudio) == line:
            return r.version
    if name == "torchvision" and key[0] == 0 and key[1] >= 15:
        return f"2.{key[1] - 15}"
    if name == "torchaudio" and key[0] == 2:
        return line
    return None
