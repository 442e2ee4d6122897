"""Display devices on the PCI bus (Linux sysfs): Intel GPUs, and cards whose driver is missing.

The PCI bus sees every GPU, driver or not, so it is how envwizard finds Intel GPUs (no tool
to ask) and notices an NVIDIA or AMD card whose driver is not loaded. Names come from the
system's pci.ids when it has one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from envwizard.facts.found import Card, at
from envwizard.facts.model import GPU
from envwizard.facts.subproc import read_text

NVIDIA, AMD, INTEL = 0x10DE, 0x1002, 0x8086
VENDOR_NAMES = {NVIDIA: "nvidia", AMD: "amd", INTEL: "intel"}
PCI_IDS = ("/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids")

# Intel's discrete GPUs by PCI device ID (Intel's hardware table, dgpu-docs.intel.com):
# Alchemist Arc A-series and Arc Pro A (DG2, 0x5690–0x56BF), Flex 170/140 (0x56C0–0x56C2),
# Data Center GPU Max (Ponte Vecchio), and Battlemage Arc B-series / Arc Pro B (0xE2xx).
# Everything else from Intel at 00:02.0 is integrated, including Core Ultra "Arc 130V/140V".
INTEL_DISCRETE = (
    (0x5690, 0x56C2),
    (0x0BD0, 0x0BDB),
    (0x0B69, 0x0B69),
    (0x0B6E, 0x0B6E),
    (0xE200, 0xE2FF),
)


@dataclass(frozen=True)
class PciDevice:
    address: str
    """ "0000:03:00.0" """
    vendor: int
    device: int
    pci_class: int


def scan_display_devices(root: str = "/") -> list[PciDevice]:
    """Every PCI function of class 0x03xxxx (VGA, 3D, display controller)."""
    base = at(root, "/sys/bus/pci/devices")
    try:
        addresses = sorted(os.listdir(base))
    except OSError:
        return []
    out = []
    for addr in addresses:
        values = [read_text(os.path.join(base, addr, f)) for f in ("class", "vendor", "device")]
        try:
            pci_class, vendor, device = (int((v or "").strip(), 16) for v in values)
        except ValueError:
            continue
        if pci_class >> 16 == 0x03:
            out.append(PciDevice(addr, vendor, device, pci_class))
    return out


def parse_pci_ids(text: str, vendor: int, device: int) -> str | None:
    """The device's name in a pci.ids file ("4680  Alder Lake-S GT1 [UHD Graphics 770]")."""
    want_vendor = f"{vendor:04x}"
    want_device = f"\t{device:04x}"
    in_vendor = False
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if not line.startswith("\t"):
            if in_vendor:
                return None
            in_vendor = line[:4].lower() == want_vendor
        elif in_vendor and line[:5].lower() == want_device and not line.startswith("\t\t"):
            return line[5:].strip() or None
    return None


def pci_ids_name(root: str, vendor: int, device: int) -> str | None:
    for path in PCI_IDS:
        text = read_text(at(root, path), limit=8 << 20)
        if text:
            return parse_pci_ids(text, vendor, device)
    return None


def marketing_name(vendor: int, pci_name: str | None, device: int) -> str:
    """ "Alder Lake-S GT1 [UHD Graphics 770]" -> "Intel UHD Graphics 770"."""
    label = {NVIDIA: "NVIDIA", AMD: "AMD", INTEL: "Intel"}.get(vendor, f"{vendor:04x}")
    if not pci_name:
        return f"{label} GPU [{vendor:04x}:{device:04x}]"
    m = re.search(r"\[([^\]]+)\]", pci_name)
    return f"{label} {m.group(1) if m else pci_name}"


def intel_discrete(device: int, address: str) -> bool:
    """Arc/Flex/Max by device ID; an unknown ID counts as discrete only off the root bus.

    Integrated Intel graphics always sit at 00:02.0; a card behind a PCIe port never does.
    """
    if any(lo <= device <= hi for lo, hi in INTEL_DISCRETE):
        return True
    return not re.search(r"(?:^|:)00:02\.0$", address)


def pci_card(dev: PciDevice, root: str) -> Card:
    """A GPU known only from the PCI bus: vendor, name, and (Intel) integrated or not."""
    pci_name = pci_ids_name(root, dev.vendor, dev.device)
    gpu = GPU(
        vendor=VENDOR_NAMES[dev.vendor],
        name=marketing_name(dev.vendor, pci_name, dev.device),
        pci_id=dev.address,
        source="PCI sysfs",
    )
    card = Card(gpu, {"name": "pci.ids" if pci_name else "PCI sysfs"})
    if dev.vendor == INTEL:
        gpu.integrated = not intel_discrete(dev.device, dev.address)
        card.sources["integrated"] = "Intel device ID, PCI address"
    return card
