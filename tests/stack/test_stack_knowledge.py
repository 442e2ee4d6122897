"""The stack knowledge (envwizard/knowledge/stack.toml) against the wheels' own metadata.

tests/data/stack-wheel-metadata.tsv is what the default index served on 2026-12-06 for each
requirement, platform and Python (tests/data/README.md says how it was read). Where a row of
envwizard's knowledge states a pairing, a torch floor or a platform, these tests check it
against the wheels that say the same thing; and every row carries its source and date.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from envwizard.core.versions import major_minor
from envwizard.knowledge import load
from envwizard.knowledge.stack import Lines, load_stack

SKB = load_stack()
DATA = Path(__file__).parent.parent / "data" / "stack-wheel-metadata.tsv"
PLATFORM = {"win-amd64": "windows-x86_64", "win-arm64": "windows-arm64"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    platform: str
    python: str
    exists: bool
    requires: tuple[Requirement, ...]

    def torch(self) -> SpecifierSet | None:
        found = [r for r in self.requires if r.name == "torch"]
        return found[0].specifier if found else None


def wheels() -> list[Wheel]:
    out = []
    with DATA.open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if not row or row[0].startswith("#"):
                continue
            req = Requirement(row[0])
            requires = []
            for part in row[5].split(" ; "):
                text = part.strip().replace("(", "").replace(")", "")
                if text and not text.startswith(("platform_", "python_")):
                    requires.append(Requirement(text.split(";")[0].strip()))
            out.append(
                Wheel(
                    name=req.name,
                    version=next(iter(req.specifier)).version,
                    platform=PLATFORM.get(row[1], row[1]),
                    python=row[2],
                    exists=not row[3].startswith("NONE"),
                    requires=tuple(requires),
                )
            )
    return out


WHEELS = wheels()


def rows(name: str) -> list[Wheel]:
    return [w for w in WHEELS if w.name == name]


def test_the_metadata_file_is_read() -> None:
    assert len(WHEELS) > 100
    assert {"torchvision", "torchaudio", "bitsandbytes", "xformers", "jax", "tensorflow"} <= {
        w.name for w in WHEELS
    }


# ---- provenance ---------------------------------------------------------------------------------


def test_every_row_names_its_source_and_date() -> None:
    groups = [
        *SKB.stacks.values(),
        *SKB.companions,
        *SKB.gaps,
        *SKB.libraries.values(),
        *SKB.extensions,
        SKB.triton,
        *SKB.jax,
        *SKB.tensorflow,
    ]
    for row in groups:
        assert row.ref.strip(), row
        assert DATE.match(row.as_of), row
    assert SKB.jupyter_ref and DATE.match(SKB.jupyter_as_of)
    assert DATE.match(SKB.as_of)


def test_no_row_names_a_package_index_host() -> None:
    text = resources.files("envwizard.knowledge").joinpath("stack.toml").read_text("utf-8")
    assert not re.search(r"pypi\.org|files\.pythonhosted|download\.pytorch", text)


# ---- companions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["torchvision", "torchaudio"])
def test_companion_pins_in_the_wheels_match_the_pairing(name: str) -> None:
    """Each wheel that pins `torch==X.Y.Z` is admitted by envwizard's requirement for X.Y."""
    checked = 0
    for w in rows(name):
        pin = w.torch()
        exact = [s.version for s in pin or () if s.operator == "=="]
        if not exact:
            continue
        line = major_minor(exact[0])
        row = SKB.companion(name, line)
        if row is None:  # torch lines older than the torch table (2.0, 2.1)
            assert line not in {r.version for r in load().releases}
            continue
        if row.pairing == "stable-abi":
            # Superseded by the stable-ABI release, whose own torch floor serves this torch.
            spec = Requirement(row.requirement or "").specifier
            stable = [v for v in rows(name) if spec.contains(v.version) and v.torch()]
            assert any(v.torch().contains(exact[0]) for v in stable if v.torch()), (w, row)
        else:
            assert SpecifierSet(f"=={row.lines[line]}.*").contains(w.version), (w, row)
        checked += 1
    assert checked >= 10


def test_stable_abi_companions_declare_a_torch_floor_that_admits_their_torch_lines() -> None:
    # torchvision 0.29.1 declares torch>=2.14.0; torchaudio 2.11.1 torch>=2.11.
    for name, version in (("torchvision", "0.29.1"), ("torchaudio", "2.11.1")):
        w = next(w for w in rows(name) if w.version == version)
        floor = w.torch()
        assert floor is not None
        for row in SKB.companions:
            if row.package != name or row.pairing != "stable-abi" or row.torch is None:
                continue
            assert floor.contains(f"{row.torch.lo}.0"), (name, row.torch)
            assert Requirement(row.requirement or "").specifier.contains(version)


def test_every_torch_release_has_both_companions() -> None:
    for rel in load().releases:
        for name in ("torchvision", "torchaudio"):
            assert SKB.companion(name, rel.version) is not None, (name, rel.version)
    # No torchaudio 2.12+ exists: the newer torch lines get 2.11.x.
    row = SKB.companion("torchaudio", "2.13")
    assert row is not None and row.requirement == "torchaudio>=2.11.1,<2.12"


# ---- extensions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["0.50.2", "0.49.2", "0.48.2"])
def test_bitsandbytes_torch_floor_matches_its_wheels(version: str) -> None:
    w = next(w for w in rows("bitsandbytes") if w.version == version)
    row = next(r for r in SKB.extension_rows("bitsandbytes") if _in(version, r.versions))
    floor = w.torch()
    assert floor is not None and row.torch is not None
    lo = row.torch.lo
    assert floor.contains(f"{lo}.0") and not floor.contains(_below(lo)), (floor, lo)


def test_bitsandbytes_platforms_match_its_wheels() -> None:
    row = SKB.extension_rows("bitsandbytes")[0]
    for w in rows("bitsandbytes"):
        if w.version == "0.50.2":
            assert (w.platform in row.platforms) == w.exists, w


def test_xformers_rows_match_each_wheels_torch_pin() -> None:
    """The newest xformers that pins a torch line is the one envwizard pairs with it."""
    newest: dict[str, str] = {}
    for w in rows("xformers"):
        exact = [s.version for s in w.torch() or () if s.operator == "=="]
        if exact and w.platform == "linux-x86_64":
            line = major_minor(exact[0])
            newest.setdefault(line, w.version)
    for line, version in newest.items():
        found = [r for r in SKB.extension_rows("xformers") if r.admits_torch(line)]
        if line == "2.10":  # 0.0.35 (stable ABI) also serves 2.10 and is newer
            assert found[0].versions == "0.0.35" and found[1].versions == version
            continue
        assert found and found[0].versions == version, (line, version)
    stable = next(w for w in rows("xformers") if w.version == "0.0.35")
    assert stable.torch() == SpecifierSet(">=2.10")
    row = SKB.extension_rows("xformers")[0]
    assert row.torch == Lines("2.10", None)
    for w in rows("xformers"):
        if w.version == "0.0.35":
            assert (w.platform in row.platforms) == w.exists, w


def test_flash_attn_is_never_planned_from_the_index_sdist() -> None:
    sdist_only = next(w for w in rows("flash-attn"))
    assert not sdist_only.exists
    for row in SKB.extension_rows("flash-attn"):
        assert row.asset and row.asset.endswith(".whl") and not row.requirement


def test_triton_pins_match_torchs_own_requirement() -> None:
    checked = 0
    for w in rows("torch"):
        triton = [r for r in w.requires if r.name == "triton"]
        if not triton or w.platform != "linux-x86_64":
            continue
        ours = SKB.triton_requirement(w.version)
        if (
            major_minor(w.version) not in SKB.triton.by_torch
            and w.version not in SKB.triton.by_torch
        ):
            continue
        assert ours is not None, w.version
        wanted = next(iter(triton[0].specifier)).version
        assert Requirement(ours).specifier.contains(wanted), (w.version, ours, wanted)
        checked += 1
    assert checked >= 12


# ---- frameworks and libraries --------------------------------------------------------------------


def test_jax_python_floors_and_cuda_plugin_platforms() -> None:
    newest, *_ = SKB.jax
    assert newest.python == "3.12"  # jax 0.11.0: Python 3.11 dropped
    w = next(w for w in rows("jax") if w.version == "0.10.2")
    assert w.python == "3.11" and w.exists
    assert SKB.jax[1].requirement == "jax>=0.7.2,<0.11"
    for w in rows("jax-cuda12-plugin"):
        assert (w.platform in SKB.jax[1].gpu_platforms) == w.exists, w


def test_tensorflow_cpu_package_per_platform_matches_the_wheels() -> None:
    row = SKB.tensorflow[0]
    for w in rows("tensorflow-cpu"):
        assert (row.cpu_package.get(w.platform) == "tensorflow-cpu") == w.exists, w
    for w in rows("tensorflow"):
        if w.version == "2.21.0" and w.platform in ("linux-aarch64", "macos-arm64"):
            assert w.exists and row.cpu_package[w.platform] == "tensorflow"


@pytest.mark.parametrize(("name", "version"), [("accelerate", "1.16.0"), ("peft", "0.21.2")])
def test_library_torch_floors_match_their_wheels(name: str, version: str) -> None:
    w = next(w for w in rows(name) if w.version == version)
    floor = w.torch()
    top = SKB.libraries[name].rows[0]
    assert floor is not None and top.torch is not None
    assert SpecifierSet(top.versions).contains(version)
    assert floor.contains(f"{top.torch}.0") and not floor.contains(_below(top.torch))


def _in(version: str, versions: str) -> bool:
    lo, _, hi = versions.partition("-")
    spec = SpecifierSet(f">={lo},<={hi}" if hi else f"=={lo}")
    return spec.contains(version)


def _below(line: str) -> str:
    """The last release before a line: "2.4" -> "2.3.99"."""
    major, minor = (int(p) for p in line.split(".")[:2])
    return f"{major}.{minor - 1}.99"
