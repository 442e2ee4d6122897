"""AMD GPUs from the kernel's KFD topology, before any ROCm tool.

The KFD topology needs no ROCm install, and it states each GPU's gfx target exactly
(`gfx_target_version` in every node's properties file; samples in tests/data/kfd-*).
Never derive the target from the GC IP version: GC 9.4.2 is gfx90a, not gfx942.
`rocm_agent_enumerator` is asked only when the topology is missing.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping

from envwizard.facts.found import Card, Found, at
from envwizard.facts.model import GPU
from envwizard.facts.pci import AMD, marketing_name, pci_ids_name
from envwizard.facts.subproc import read_text, run

MIB = 1 << 20
TOPOLOGY = "/sys/class/kfd/kfd/topology/nodes"
APU_TARGETS = frozenset(
    {
        "gfx801",  # Carrizo
        "gfx810",  # Stoney
        "gfx902",  # Raven Ridge
        "gfx909",  # Picasso
        "gfx90c",  # Renoir, Cezanne, Lucienne
        "gfx1013",  # Cyan Skillfish
        "gfx1033",  # Van Gogh (Steam Deck)
        "gfx1035",  # Rembrandt
        "gfx1036",  # Raphael, Granite Ridge desktop graphics
        "gfx1037",  # Mendocino
        "gfx1103",  # Phoenix, Hawk Point
        "gfx1150",  # Strix Point
        "gfx1151",  # Strix Halo
        "gfx1152",  # Krackan Point
        "gfx1153",
    }
)
"""gfx targets that only exist as integrated graphics (APUs)."""


def decode_gfx_target(value: int) -> str | None:
    """KFD's gfx_target_version -> the target name: 90402 -> gfx942, 90010 -> gfx90a.

    gfx{major}{minor:x}{stepping:x} with major = v // 10000, minor = (v // 100) % 100,
    stepping = v % 100. 0 is a CPU node.
    """
    if value <= 0:
        return None
    return f"gfx{value // 10000}{(value // 100) % 100:x}{value % 100:x}"


def parse_kfd_properties(text: str) -> dict[str, int]:
    """A KFD properties file: one `name value` per line, the values integers."""
    props = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                props[parts[0]] = int(parts[1])
            except ValueError:
                continue
    return props


def parse_rocm_agent_enumerator(text: str) -> list[str]:
    """Targets listed by rocm_agent_enumerator, without the CPU's gfx000."""
    return [
        t
        for t in (line.strip() for line in text.splitlines())
        if t.startswith("gfx") and t != "gfx000"
    ]


def pci_address(props: dict[str, int]) -> str | None:
    """KFD's domain + location_id (bus << 8 | device << 3 | function) as a PCI address."""
    loc = props.get("location_id")
    if loc is None:
        return None
    domain = props.get("domain", 0)
    return f"{domain:04x}:{loc >> 8:02x}:{(loc >> 3) & 0x1F:02x}.{loc & 0x7:x}"


def local_memory_mib(props: dict[str, int], node_dir: str) -> int | None:
    """VRAM: `local_mem_size`, else the frame-buffer heaps (types 1 and 2) of the memory banks."""
    if props.get("local_mem_size"):
        return props["local_mem_size"] // MIB
    total = 0
    banks = os.path.join(node_dir, "mem_banks")
    for bank in sorted(os.listdir(banks)) if os.path.isdir(banks) else []:
        bp = parse_kfd_properties(read_text(os.path.join(banks, bank, "properties")) or "")
        if bp.get("heap_type") in (1, 2):
            total += bp.get("size_in_bytes", 0)
    return total // MIB or None


def kfd_cards(root: str = "/") -> list[Card] | None:
    """GPUs in the KFD topology (CPU nodes skipped), or None when there is no topology."""
    base = at(root, TOPOLOGY)
    try:
        nodes = sorted(os.listdir(base), key=lambda n: int(n) if n.isdigit() else -1)
    except OSError:
        return None
    cards: list[Card] = []
    for node in nodes:
        node_dir = os.path.join(base, node)
        props = parse_kfd_properties(read_text(os.path.join(node_dir, "properties")) or "")
        arch = decode_gfx_target(props.get("gfx_target_version", 0))
        if arch is None or props.get("simd_count", 0) == 0:
            continue
        gpu = GPU(vendor="amd", name="", arch=arch, index=len(cards), source="KFD topology")
        card = Card(gpu, {"arch": "KFD topology"})
        gpu.pci_id = pci_address(props)
        gpu.memory_mib = local_memory_mib(props, node_dir)
        if gpu.memory_mib:
            card.sources["memory_mib"] = "KFD topology"
        gpu.integrated = arch in APU_TARGETS or props.get("cpu_cores_count", 0) > 0
        card.sources["integrated"] = "gfx target"
        gpu.name, card.sources["name"] = amd_name(root, props, node_dir, arch)
        cards.append(card)
    return cards


def amd_name(root: str, props: dict[str, int], node_dir: str, arch: str) -> tuple[str, str]:
    """(name, source): the board's product_name, else pci.ids, else the ASIC name and target."""
    minor = props.get("drm_render_minor")
    if minor:
        product = read_text(at(root, f"/sys/class/drm/renderD{minor}/device/product_name"))
        if product and product.strip():
            return product.strip(), "product_name"
    device = props.get("device_id")
    if device:
        pci_name = pci_ids_name(root, AMD, device)
        if pci_name:
            return marketing_name(AMD, pci_name, device), "pci.ids"
    asic = (read_text(os.path.join(node_dir, "name")) or "").strip()
    if asic and asic != "ip discovery":
        return f"AMD {asic} ({arch})", "KFD topology"
    return f"AMD GPU ({arch})", "KFD topology"


def probe_amd(
    root: str = "/", timeout: float = 3.0, env: Mapping[str, str] | None = None
) -> Found[list[Card]]:
    """KFD first; rocm_agent_enumerator only when the kernel has no topology to read."""
    env = os.environ if env is None else env
    cards = kfd_cards(root)
    if cards is not None:
        return Found(cards)
    tool = shutil.which("rocm_agent_enumerator", path=env.get("PATH", "")) or (
        at(root, "/opt/rocm/bin/rocm_agent_enumerator")
    )
    if not os.path.isfile(tool):
        return Found([])
    targets = parse_rocm_agent_enumerator(run([tool], timeout).stdout)
    out = []
    for i, arch in enumerate(targets):
        gpu = GPU(vendor="amd", name=f"AMD GPU ({arch})", arch=arch, index=i)
        gpu.source = "rocm_agent_enumerator"
        gpu.integrated = arch in APU_TARGETS
        out.append(Card(gpu, {"arch": "rocm_agent_enumerator"}))
    return Found(out)


# Marketing names -> gfx targets, for facts that carry only a name (an inventory, Windows'
# video controller list, lspci). From LLVM's AMDGPU processor table (llvm.org/docs/
# AMDGPUUsage.html, "Processors"), which lists the products of each target. Most specific first.
NAME_ARCH: tuple[tuple[str, str], ...] = (
    (r"\bMI3[05]5X\b", "gfx950"),
    (r"\bMI300[AX]?\b|\bMI325X\b", "gfx942"),
    (r"\bMI2[15]0X?\b", "gfx90a"),
    (r"\bMI100\b", "gfx908"),
    (r"\bMI50\b|\bMI60\b|Radeon VII\b|Radeon Pro VII\b", "gfx906"),
    (r"\bRX 90[67]0\s*(XT|GRE)?\b|R9700\b", "gfx1201"),
    (r"\bRX 906[05]\b", "gfx1200"),
    (r"Radeon 8060S|Radeon 8050S|Radeon 8040S", "gfx1151"),
    (r"Radeon 8[89]0M\b", "gfx1150"),
    (r"Radeon 8[46]0M\b", "gfx1152"),
    (r"Radeon 7[46-8]0M\b", "gfx1103"),
    (r"RX 7900|W7900|W7800\b|RX 7950", "gfx1100"),
    (r"RX 7800|RX 7700|W7700\b|V710\b", "gfx1101"),
    (r"RX 7600|RX 7650|W7600\b|W7500\b", "gfx1102"),
    (r"RX 6950|RX 6900|RX 6800|W6800\b|V620\b", "gfx1030"),
    (r"RX 6750|RX 6700|RX 6850M|RX 6800M", "gfx1031"),
    (r"RX 6650|RX 6600|W6600\b|RX 6700S", "gfx1032"),
    (r"RX 6500|RX 6400|W6400\b", "gfx1034"),
    (r"Radeon 6[68]0M\b", "gfx1035"),
    (r"RX 5700|RX 5600|W5700\b", "gfx1010"),
    (r"RX 5500|RX 5300|W5500\b", "gfx1012"),
    (r"Vega 56|Vega 64|Vega Frontier|\bMI25\b", "gfx900"),
    (r"RX [45][6-9]0\b|RX 590\b", "gfx803"),
    (r"Vega \d+ Graphics", "gfx902"),  # Raven Ridge and Picasso APUs
    # Codenames, as lspci and some inventories print them
    (r"Aqua Vanjaram", "gfx942"),
    (r"Aldebaran", "gfx90a"),
    (r"Arcturus", "gfx908"),
    (r"Vega ?20\b", "gfx906"),
    (r"Vega ?10\b", "gfx900"),
    (r"Navi ?48\b", "gfx1201"),
    (r"Navi ?44\b", "gfx1200"),
    (r"Navi ?31\b", "gfx1100"),
    (r"Navi ?32\b", "gfx1101"),
    (r"Navi ?33\b", "gfx1102"),
    (r"Navi ?21\b", "gfx1030"),
    (r"Navi ?22\b", "gfx1031"),
    (r"Navi ?23\b", "gfx1032"),
    (r"Navi ?24\b", "gfx1034"),
    (r"Navi ?10\b", "gfx1010"),
    (r"Navi ?14\b", "gfx1012"),
    (r"Strix Halo", "gfx1151"),
    (r"Phoenix|Hawk Point", "gfx1103"),
)


def arch_from_name(name: str) -> str | None:
    """The gfx target a Radeon or Instinct name implies; None when the name is unknown."""
    for pattern, arch in NAME_ARCH:
        if re.search(pattern, name, re.IGNORECASE):
            return arch
    return None
