"""All GPUs in one list: NVIDIA, AMD, Intel and Apple, each with where its facts came from.

The vendor probes (nvidia.py, amd.py, pci.py and the Apple one here) run concurrently and
independently; `merge_gpus` puts their findings together, and uses the PCI bus to notice a
card whose driver is missing (it is still shown, with the reason, rather than hidden).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from envwizard.facts.found import Card, Found
from envwizard.facts.model import GPU
from envwizard.facts.nvidia import NvidiaState, cc_from_name
from envwizard.facts.pci import AMD, INTEL, NVIDIA, PciDevice, pci_card
from envwizard.facts.subproc import ProbeError, run

VENDOR_ORDER = ("nvidia", "amd", "intel", "apple")


@dataclass
class GpuFacts:
    gpus: list[GPU] = field(default_factory=list)
    driver: str | None = None
    cuda_driver: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)


def probe_apple(timeout: float = 3.0) -> Found[list[Card]]:
    """Apple Silicon's GPU (MPS), also when this Python runs under Rosetta."""
    if sys.platform != "darwin":
        return Found([])
    import platform

    arm = platform.machine() == "arm64"
    if not arm:
        proc = run(["sysctl", "-n", "hw.optional.arm64"], timeout, check=False)
        arm = proc.stdout.strip() == "1"
    if not arm:
        return Found([])
    try:
        brand = run(["sysctl", "-n", "machdep.cpu.brand_string"], timeout).stdout.strip()
    except ProbeError:
        brand = ""
    gpu = GPU(
        vendor="apple",
        name=f"{brand or 'Apple Silicon'} GPU",
        integrated=True,
        index=0,
        source="sysctl",
    )
    return Found([Card(gpu, {"name": "sysctl machdep.cpu.brand_string"})])


def nvidia_pci_card(dev: PciDevice, root: str) -> Card:
    """An NVIDIA card seen only on the bus; its name (from pci.ids) may still tell its CC."""
    card = pci_card(dev, root)
    cc = cc_from_name(card.gpu.name)
    if cc:
        card.gpu.compute_capability = cc
        card.sources["compute_capability"] = "name table"
    return card


def merge_gpus(
    nvidia: NvidiaState | None,
    amd: list[Card] | None,
    pci: list[PciDevice] | None,
    apple: list[Card] | None,
    root: str = "/",
) -> GpuFacts:
    """One list in vendor order, field sources keyed by final index ("gpus[1].arch").

    None for a vendor means its probe failed (the caller records why); an empty list means
    it found nothing. A card on the PCI bus that its vendor's probe did not report is added
    from the bus with what the bus knows, and the missing driver becomes an unknown.
    """
    out = GpuFacts()
    cards: list[Card] = []
    on_bus = {v: [d for d in pci or [] if d.vendor == v] for v in (NVIDIA, AMD, INTEL)}
    if nvidia is not None:
        out.driver, out.cuda_driver = nvidia.driver, nvidia.cuda_driver
        cards += nvidia.cards
    if not (nvidia and nvidia.cards) and on_bus[NVIDIA]:
        cards += [nvidia_pci_card(d, root) for d in on_bus[NVIDIA]]
        if nvidia is not None and nvidia.driver is None:
            out.unknown["nvidia_driver"] = (
                "an NVIDIA GPU is on the PCI bus but no NVIDIA driver is loaded"
            )
    if amd is not None:
        cards += amd
    if not amd and on_bus[AMD]:
        cards += [pci_card(d, root) for d in on_bus[AMD]]
        if amd is not None:
            out.unknown["gpus.amd"] = (
                "an AMD GPU is on the PCI bus but there is no KFD topology "
                "(amdgpu not loaded), so its gfx target is unknown"
            )
    cards += [pci_card(d, root) for d in on_bus[INTEL]]
    cards += apple or []
    cards.sort(key=lambda c: VENDOR_ORDER.index(c.gpu.vendor))
    per_vendor: dict[str, int] = {}
    for i, card in enumerate(cards):
        g = card.gpu
        if g.index is None:
            g.index = per_vendor.get(g.vendor, 0)
        per_vendor[g.vendor] = g.index + 1
        out.gpus.append(g)
        if g.source:
            out.sources[f"gpus[{i}]"] = g.source
        for name, source in card.sources.items():
            out.sources[f"gpus[{i}].{name}"] = source
    return out
