"""AMD (KFD topology), Intel and driverless cards (PCI sysfs), and the merged GPU list."""

from __future__ import annotations

from pathlib import Path

import pytest
from facts_helpers import sample, stand_in, write_tree

from envwizard.facts.amd import (
    decode_gfx_target,
    kfd_cards,
    parse_kfd_properties,
    parse_rocm_agent_enumerator,
    probe_amd,
)
from envwizard.facts.gpus import merge_gpus
from envwizard.facts.nvidia import NvidiaState
from envwizard.facts.pci import (
    intel_discrete,
    marketing_name,
    parse_pci_ids,
    scan_display_devices,
)

NODES = "/sys/class/kfd/kfd/topology/nodes"


@pytest.mark.parametrize(
    ("value", "target"),
    [
        (90402, "gfx942"),
        (90010, "gfx90a"),  # GC 9.4.2 — not gfx942
        (90500, "gfx950"),
        (100300, "gfx1030"),
        (110001, "gfx1101"),  # GC 11.0.3
        (110501, "gfx1151"),
        (120001, "gfx1201"),
        (120500, "gfx1250"),
        (90012, "gfx90c"),
        (0, None),
    ],
)
def test_decode_gfx_target(value: int, target: str | None) -> None:
    assert decode_gfx_target(value) == target


def test_parse_mi300x_properties() -> None:
    props = parse_kfd_properties(sample("kfd-mi300x-properties.txt"))
    assert props["gfx_target_version"] == 90402
    assert props["vendor_id"] == 0x1002 and props["device_id"] == 0x74A1
    assert props["simd_count"] == 1216
    assert props["hive_id"] == 11638818706288400384


def kfd_tree(root: Path, nodes: dict[str, str], names: dict[str, str] | None = None) -> Path:
    files = {f"{NODES}/{n}/properties": text for n, text in nodes.items()}
    files.update({f"{NODES}/{n}/name": text for n, text in (names or {}).items()})
    return write_tree(root, files)


def test_kfd_skips_the_cpu_node_and_reads_the_mi300x(tmp_path: Path) -> None:
    root = kfd_tree(
        tmp_path,
        {"0": sample("kfd-cpu-node-properties.txt"), "1": sample("kfd-mi300x-properties.txt")},
        {"0": "\n", "1": "ip discovery\n"},
    )
    cards = kfd_cards(str(root))
    assert cards is not None
    (card,) = cards
    g = card.gpu
    assert (g.vendor, g.arch, g.index, g.integrated) == ("amd", "gfx942", 0, False)
    assert g.memory_mib == 196592  # local_mem_size 206141652992 bytes
    assert g.pci_id == "0000:10:00.0"  # location_id 4096 = bus 0x10
    assert g.name == "AMD GPU (gfx942)"  # no product_name, no pci.ids, ASIC name "ip discovery"
    assert g.source == "KFD topology"


def test_kfd_apu_is_integrated_and_named_from_pci_ids(tmp_path: Path) -> None:
    apu = "cpu_cores_count 0\nsimd_count 24\ngfx_target_version 110003\nvendor_id 4098\ndevice_id 5567\nlocation_id 49408\ndrm_render_minor 128\n"
    root = kfd_tree(tmp_path, {"0": sample("kfd-cpu-node-properties.txt"), "1": apu})
    write_tree(
        root,
        {
            "/usr/share/misc/pci.ids": "# pci.ids\n1002  Advanced Micro Devices, Inc. [AMD/ATI]\n\t15bf  Phoenix1 [Radeon 780M]\n\t\t1002 15bf  Radeon 780M\n10de  NVIDIA Corporation\n",
            f"{NODES}/1/mem_banks/0/properties": "heap_type 1\nsize_in_bytes 536870912\n",
        },
    )
    (card,) = kfd_cards(str(root)) or []
    assert card.gpu.arch == "gfx1103" and card.gpu.integrated
    assert card.gpu.name == "AMD Radeon 780M" and card.sources["name"] == "pci.ids"
    assert card.gpu.memory_mib == 512  # from the frame-buffer heap of mem_banks


def test_product_name_wins(tmp_path: Path) -> None:
    root = kfd_tree(tmp_path, {"1": sample("kfd-mi300x-properties.txt")})
    write_tree(root, {"/sys/class/drm/renderD128/device/product_name": "AMD Instinct MI300X\n"})
    (card,) = kfd_cards(str(root)) or []
    assert card.gpu.name == "AMD Instinct MI300X" and card.sources["name"] == "product_name"


def test_no_topology_is_none_not_empty(tmp_path: Path) -> None:
    assert kfd_cards(str(tmp_path)) is None
    assert kfd_cards(str(kfd_tree(tmp_path, {"0": sample("kfd-cpu-node-properties.txt")}))) == []


def test_rocm_agent_enumerator_only_without_topology(tmp_path: Path) -> None:
    assert parse_rocm_agent_enumerator("gfx000\ngfx1100\ngfx1100\n") == ["gfx1100", "gfx1100"]
    tool = stand_in(tmp_path / "bin", "rocm_agent_enumerator", "print('gfx000'); print('gfx90a')")
    found = probe_amd(str(tmp_path / "root"), env={"PATH": str(tool.parent)})
    assert [(c.gpu.arch, c.gpu.source) for c in found.value] == [
        ("gfx90a", "rocm_agent_enumerator")
    ]
    # With a topology present the tool is not asked, even when it would answer.
    root = kfd_tree(tmp_path / "root", {"0": sample("kfd-cpu-node-properties.txt")})
    assert probe_amd(str(root), env={"PATH": str(tool.parent)}).value == []


PCI_IDS = """\
#	List of PCI ID's
8086  Intel Corporation
\t4680  Alder Lake-S GT1 [UHD Graphics 770]
\t56a0  DG2 [Arc A770]
\t64a0  Lunar Lake [Arc Graphics 130V / 140V]
\t\t1043 1234  Some subsystem
10de  NVIDIA Corporation
\t1b80  GP104 [GeForce GTX 1080]
"""


def pci_tree(root: Path, devices: dict[str, tuple[str, str, str]]) -> Path:
    files = {}
    for addr, (cls, vendor, device) in devices.items():
        base = f"/sys/bus/pci/devices/{addr}"
        files.update(
            {
                f"{base}/class": cls + "\n",
                f"{base}/vendor": vendor + "\n",
                f"{base}/device": device + "\n",
            }
        )
    return write_tree(root, files)


def test_pci_ids_lookup() -> None:
    assert parse_pci_ids(PCI_IDS, 0x8086, 0x4680) == "Alder Lake-S GT1 [UHD Graphics 770]"
    assert parse_pci_ids(PCI_IDS, 0x10DE, 0x1B80) == "GP104 [GeForce GTX 1080]"
    assert parse_pci_ids(PCI_IDS, 0x8086, 0x1234) is None
    assert (
        marketing_name(0x8086, "Alder Lake-S GT1 [UHD Graphics 770]", 0x4680)
        == "Intel UHD Graphics 770"
    )
    assert marketing_name(0x8086, None, 0x4680) == "Intel GPU [8086:4680]"


@pytest.mark.parametrize(
    ("device", "address", "discrete"),
    [
        (0x4680, "0000:00:02.0", False),  # UHD 770
        (0x64A0, "0000:00:02.0", False),  # Core Ultra "Arc 140V": integrated despite the name
        (0x7D55, "0000:00:02.0", False),  # Meteor Lake Arc graphics
        (0x56A0, "0000:03:00.0", True),  # Arc A770
        (0x56C0, "0000:4d:00.0", True),  # Flex 170
        (0x0BD5, "0000:29:00.0", True),  # Max 1550
        (0xE20B, "0000:03:00.0", True),  # Arc B580
        (0x56A0, "0000:00:02.0", True),  # a passed-through Arc in a VM keeps its ID
        (0x9999, "0000:05:00.0", True),  # an unknown card behind a PCIe port
    ],
)
def test_intel_discrete(device: int, address: str, discrete: bool) -> None:
    assert intel_discrete(device, address) is discrete


def test_scan_keeps_display_devices_only(tmp_path: Path) -> None:
    root = pci_tree(
        tmp_path,
        {
            "0000:00:00.0": ("0x060000", "0x8086", "0x0d57"),  # host bridge
            "0000:00:02.0": ("0x030000", "0x8086", "0x4680"),
            "0000:03:00.0": ("0x038000", "0x8086", "0x56a0"),
        },
    )
    devices = scan_display_devices(str(root))
    assert [(d.address, d.device) for d in devices] == [
        ("0000:00:02.0", 0x4680),
        ("0000:03:00.0", 0x56A0),
    ]


def test_merge_intel_and_a_driverless_nvidia_card(tmp_path: Path) -> None:
    root = pci_tree(
        tmp_path,
        {
            "0000:00:02.0": ("0x030000", "0x8086", "0x4680"),
            "0000:01:00.0": ("0x030000", "0x10de", "0x1b80"),
        },
    )
    write_tree(root, {"/usr/share/hwdata/pci.ids": PCI_IDS})
    merged = merge_gpus(NvidiaState(), [], scan_display_devices(str(root)), [], root=str(root))
    assert [(g.vendor, g.name, g.integrated, g.index) for g in merged.gpus] == [
        ("nvidia", "NVIDIA GeForce GTX 1080", False, 0),
        ("intel", "Intel UHD Graphics 770", True, 0),
    ]
    assert "no NVIDIA driver is loaded" in merged.unknown["nvidia_driver"]
    assert merged.sources["gpus[1]"] == "PCI sysfs"
    assert merged.sources["gpus[1].name"] == "pci.ids"
    # The bus name is enough to tell the compute capability, and says how it was known.
    assert merged.gpus[0].compute_capability == "6.1"
    assert merged.sources["gpus[0].compute_capability"] == "name table"


def test_bus_cards_are_kept_when_the_vendor_probe_failed(tmp_path: Path) -> None:
    root = pci_tree(
        tmp_path,
        {
            "0000:01:00.0": ("0x030000", "0x10de", "0x1b80"),
            "0000:02:00.0": ("0x030000", "0x1002", "0x73bf"),
        },
    )
    merged = merge_gpus(None, None, scan_display_devices(str(root)), None, root=str(root))
    assert [(g.vendor, g.name) for g in merged.gpus] == [
        ("nvidia", "NVIDIA GPU [10de:1b80]"),
        ("amd", "AMD GPU [1002:73bf]"),
    ]
    # The failed probes report their own reason; the merge claims nothing about drivers.
    assert merged.unknown == {}
    # A driver that is loaded but could not list its GPUs is not "no driver".
    loaded = merge_gpus(
        NvidiaState(driver="580.95.05"), [], scan_display_devices(str(root)), [], root=str(root)
    )
    assert "nvidia_driver" not in loaded.unknown and "gpus.amd" in loaded.unknown


def test_merge_order_and_sources_by_final_index(tmp_path: Path) -> None:
    root = kfd_tree(tmp_path, {"1": sample("kfd-mi300x-properties.txt")})
    amd = kfd_cards(str(root)) or []
    merged = merge_gpus(None, amd, [], None)
    assert [g.arch for g in merged.gpus] == ["gfx942"]
    assert merged.sources["gpus[0].arch"] == "KFD topology"
    assert merged.driver is None and merged.unknown == {}
