"""The machine as the checks see it: its platform, target Python, driver and GPU targets.

Computed once from Facts and the knowledge, so every check (envwizard.decide.checks) and the
machine-check screen read the same answers to "which GPUs must a build serve here?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from envwizard.core.versions import major_minor, platform_key
from envwizard.facts.model import GPU, Facts, PythonInfo
from envwizard.knowledge import Build, Jetson, Knowledge


def gpu_label(g: GPU) -> str:
    """ "GeForce GTX 1080 (sm_61)" — the name people know, plus the fact that matters."""
    name = g.name.replace("NVIDIA ", "").replace("AMD ", "").strip() or g.vendor
    if g.vendor == "nvidia" and g.compute_capability:
        return f"{name} (sm_{g.compute_capability.replace('.', '')})"
    if g.vendor == "amd" and g.arch:
        return f"{name} ({g.arch})"
    return name


def intel_validated(g: GPU, kb: Knowledge) -> bool:
    """Whether an Intel GPU is one PyTorch's XPU documentation validates (Arc, Max)."""
    return any(re.search(rf"\b{re.escape(p)}\b", g.name, re.IGNORECASE) for p in kb.xpu_validated)


@dataclass
class Machine:
    """What the checks read about one machine and its target Python, computed once."""

    facts: Facts
    kb: Knowledge
    py_full: str
    py_info: PythonInfo | None = None
    platform: str = ""
    py: str = ""
    windows_driver: bool = False
    driver_cuda: str | None = None
    jetson: Jetson | None = None
    """The L4T line of a Jetson (None elsewhere, and on an L4T the knowledge does not have)."""

    def __post_init__(self) -> None:
        f = self.facts
        self.platform = platform_key(f.os.system, f.os.machine)
        if f.os.system == "Windows" and self.py_info is not None and self.py_info.bits == 32:
            # The interpreter decides the wheels: a 32-bit Python on 64-bit Windows needs win32.
            self.platform = "windows-x86"
        self.py = major_minor(self.py_full)
        self.windows_driver = f.os.system == "Windows" or f.os.wsl
        self.jetson = self.kb.jetson(f.os.jetson_l4t)
        if self.jetson is not None:
            # A Jetson's driver serves the CUDA of its L4T release; its version number (580.00
            # on Thor) is a Tegra number the desktop tables do not describe.
            self.driver_cuda = f.cuda_driver or self.jetson.cuda
        else:
            self.driver_cuda = f.cuda_driver or (
                self.kb.driver_cuda(f.nvidia_driver) if f.nvidia_driver else None
            )

    def sees(self, b: Build) -> bool:
        """Whether a build is one for this machine at all: Jetson builds exist on Jetsons only."""
        return b.l4t is None or (self.jetson is not None and self.jetson.l4t == b.l4t)

    def xpu_validated(self, g: GPU) -> bool:
        return intel_validated(g, self.kb)

    def targets(self, vendor: str) -> list[GPU]:
        """The GPUs a build of this vendor must carry kernels for.

        An integrated GPU beside a discrete one of the same vendor is left out (an AMD desktop
        iGPU must not veto the discrete card); alone, it counts. Intel integrated graphics
        count only when validated (Core Ultra "Arc Graphics"), never UHD or Iris Xe.
        """
        gpus = [g for g in self.facts.gpus if g.vendor == vendor]
        if vendor == "intel":
            return [g for g in gpus if not g.integrated or self.xpu_validated(g)]
        discrete = [g for g in gpus if not g.integrated]
        return discrete or gpus
