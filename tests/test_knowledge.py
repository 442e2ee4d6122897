"""The PyTorch build knowledge: the data file says what its primary sources say.

Spot checks name the fact they check; the integrity checks make sure every
row the loader expands is self-consistent (a typo in the TOML fails here, not on a user's box).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from envwizard.core.versions import major_minor, platform_key, vkey
from envwizard.knowledge import Knowledge, load

KB = load()
PLATFORMS = {
    "linux-x86_64",
    "linux-aarch64",
    "windows-x86_64",
    "windows-arm64",
    "macos-arm64",
    "macos-x86_64",
}


def sass(release: str, variant: str, platform: str = "linux-x86_64", source: str = "pip"):
    (build,) = [b for b in KB.builds_for(release, platform, source) if b.variant == variant]
    return build


def variants(release: str, platform: str = "linux-x86_64", source: str = "pip") -> set[str]:
    return {b.variant for b in KB.builds_for(release, platform, source)}


# ---- the loaded data is self-consistent ---------------------------------------------------


def test_releases_cover_2_2_to_at_least_2_14_newest_first() -> None:
    versions = [r.version for r in KB.releases]
    assert versions[-1] == "2.2"  # Intel Macs' last release (pytorch/pytorch#114602)
    assert vkey(versions[0]) >= (2, 14)
    assert versions == sorted(versions, key=vkey, reverse=True)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", KB.as_of)
    assert "{variant}" in KB.index_pattern


@pytest.mark.parametrize("rel", KB.releases, ids=lambda r: r.version)
def test_release_rows_are_consistent(rel) -> None:
    assert vkey(rel.python_min) <= vkey(rel.python_max)
    assert vkey(rel.glibc) >= (2, 17)
    for platform, variant in rel.default.items():
        assert platform in PLATFORMS
        assert variant in variants(rel.version, platform), (rel.version, platform, variant)


@pytest.mark.parametrize(
    "build", KB.builds, ids=lambda b: f"{b.source}-{b.variant}-{b.release}-{b.platform}"
)
def test_build_rows_are_consistent(build) -> None:
    assert build.platform in PLATFORMS
    assert build.source in ("pip", "conda-forge")
    assert build.release in {r.version for r in KB.releases}
    if build.cuda:
        assert build.variant == "cu" + build.cuda.replace(".", "")
        assert int(build.cuda.split(".")[0]) in KB.cuda_majors
        assert build.sass, "a CUDA build lists its SASS architectures"
        assert list(build.sass) == sorted(build.sass, key=vkey)
        if build.ptx:
            assert build.ptx == build.sass[-1], "PTX is emitted for the newest architecture"
    elif build.kind == "rocm":
        assert build.gfx and all(g.startswith("gfx") for g in build.gfx)
        assert build.platform == "linux-x86_64"
    else:
        assert build.variant in ("cpu", "mps", "xpu")
        assert not build.sass and not build.gfx


def test_each_release_has_one_row_per_variant_platform_and_source() -> None:
    seen = [(b.source, b.variant, b.release, b.platform) for b in KB.builds]
    assert len(seen) == len(set(seen))


def test_builds_for_sorts_newest_toolkit_first() -> None:
    assert [b.variant for b in KB.builds_for("2.14", "linux-x86_64")] == [
        "cu132",
        "cu130",
        "cu126",
        "rocm7.14",
        "rocm7.2",
        "xpu",
        "cpu",
    ]
    assert [b.variant for b in KB.builds_for("2.14", "macos-arm64")] == ["mps", "cpu"]


# ---- spot checks against the primary sources ------------------------------------------------


@pytest.mark.parametrize(
    ("release", "expected"),
    [
        # release matrix: CUDA wheel variants per release.
        ("2.4", {"cu118", "cu121", "cu124"}),
        ("2.5", {"cu118", "cu121", "cu124"}),
        ("2.6", {"cu118", "cu124", "cu126"}),
        ("2.7", {"cu118", "cu126", "cu128"}),
        ("2.8", {"cu126", "cu128", "cu129"}),
        ("2.9", {"cu126", "cu128", "cu130"}),
        ("2.11", {"cu126", "cu128", "cu130"}),
        ("2.12", {"cu126", "cu130", "cu132"}),
        ("2.13", {"cu126", "cu130", "cu132"}),
        ("2.14", {"cu126", "cu130", "cu132"}),
    ],
)
def test_cuda_variants_per_release(release: str, expected: set[str]) -> None:
    assert {v for v in variants(release) if v.startswith("cu")} == expected


@pytest.mark.parametrize(
    ("release", "expected"),
    [
        ("2.4", {"rocm6.0", "rocm6.1"}),
        ("2.5", {"rocm6.1", "rocm6.2"}),
        ("2.6", {"rocm6.1", "rocm6.2.4"}),
        ("2.7", {"rocm6.2.4", "rocm6.3"}),
        ("2.8", {"rocm6.3", "rocm6.4"}),
        ("2.10", {"rocm7.0", "rocm7.1"}),
        ("2.13", {"rocm7.1", "rocm7.2"}),
        # ROCM_ARCHES_DICT["test"] = ["7.2", "7.14"] at test-infra@00fa5780c (2.14 candidate)
        ("2.14", {"rocm7.2", "rocm7.14"}),
    ],
)
def test_rocm_variants_per_release(release: str, expected: set[str]) -> None:
    assert {v for v in variants(release) if v.startswith("rocm")} == expected


@pytest.mark.parametrize(
    ("release", "py_min", "py_max"),
    [
        ("2.4", "3.8", "3.12"),
        ("2.5", "3.9", "3.12"),
        ("2.8", "3.9", "3.13"),
        ("2.9", "3.10", "3.14"),
        ("2.13", "3.10", "3.14"),
        # 3.15 is "deliberately absent from release" (TORCH_ONLY_PYTHON_ARCHES), test-infra@00fa5780c
        ("2.14", "3.10", "3.14"),
    ],
)
def test_python_windows(release: str, py_min: str, py_max: str) -> None:
    rel = KB.release(release)
    assert (rel.python_min, rel.python_max) == (py_min, py_max)


def test_python_experimental_and_glibc_floor() -> None:
    assert "3.13" in KB.release("2.5").python_experimental
    assert "3.15" in KB.release("2.13").python_experimental


def glibc(release: str, variant: str, platform: str = "linux-x86_64") -> str | None:
    return sass(release, variant, platform).glibc


@pytest.mark.parametrize(
    ("release", "variant", "platform", "floor"),
    [
        # manylinux2014 (glibc 2.17) for every Linux wheel up to 2.5, XPU aside
        ("2.5", "cu124", "linux-x86_64", "2.17"),
        ("2.5", "cpu", "linux-aarch64", "2.17"),
        ("2.5", "xpu", "linux-x86_64", "2.28"),
        # 2.6 moved only cu126 to manylinux_2_28 on x86_64 (pytorch#141565) ...
        ("2.6", "cpu", "linux-x86_64", "2.17"),
        ("2.6", "cu118", "linux-x86_64", "2.17"),
        ("2.6", "cu124", "linux-x86_64", "2.17"),
        ("2.6", "cu126", "linux-x86_64", "2.28"),
        ("2.6", "rocm6.2.4", "linux-x86_64", "2.28"),
        # ... while aarch64 moved whole (the default index's 2.6.0 is manylinux_2_28_aarch64)
        ("2.6", "cpu", "linux-aarch64", "2.28"),
        # from 2.7 every wheel is manylinux_2_28 (test-infra#6303, pytorch#156215)
        ("2.7", "cu118", "linux-x86_64", "2.28"),
        ("2.14", "cpu", "linux-x86_64", "2.28"),
        ("2.14", "cu130", "linux-aarch64", "2.28"),
        ("2.14", "cu130", "windows-x86_64", None),
    ],
)
def test_glibc_floor_per_release_variant_and_architecture(
    release: str, variant: str, platform: str, floor: str | None
) -> None:
    assert glibc(release, variant, platform) == floor


def test_glibc_floor_of_a_release_is_its_lowest_build() -> None:
    assert KB.glibc_floor("2.6", "linux-x86_64") == "2.17"
    assert KB.glibc_floor("2.6", "linux-aarch64") == "2.28"
    assert KB.glibc_floor("2.7", "linux-x86_64") == "2.28"
    assert KB.glibc_floor("2.14", "windows-x86_64") is None


def test_arch_lists_the_anchors_ignore() -> None:
    # cu130/cu132 start at Turing; cu126 is the legacy Maxwell..Hopper line.
    assert sass("2.14", "cu130").sass[0] == "7.5"
    assert sass("2.14", "cu126").sass == ("5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0")
    # cu128 re-added Volta for 2.8-2.10 and dropped it again in 2.11.
    assert "7.0" in sass("2.10", "cu128").sass
    assert "7.0" not in sass("2.11", "cu128").sass
    # Kepler (sm_37) only in cu118, last in 2.7.
    assert "3.7" in sass("2.7", "cu118").sass
    assert not [b for b in KB.builds if "3.7" in b.sass and vkey(b.release) > (2, 7)]
    # PTX ships on Linux only for cu130.
    assert sass("2.13", "cu130").ptx == "12.0"
    assert sass("2.13", "cu130", "windows-x86_64").ptx is None
    # SBSA aarch64: cu126 = Ampere + Hopper only; cu130 adds Blackwell and Thor.
    assert sass("2.14", "cu126", "linux-aarch64").sass == ("8.0", "9.0")
    assert "11.0" in sass("2.14", "cu130", "linux-aarch64").sass
    # conda-forge's CUDA 12.9 build spans Maxwell to Blackwell in one binary.
    cf = sass("2.13", "cu129", source="conda-forge")
    assert cf.sass[0] == "5.0" and cf.sass[-1] == "12.0"


BUILDER = "https://github.com/pytorch/builder/blob/{}/manywheel/build_docker.sh"


@pytest.mark.parametrize(
    ("release", "variant", "has", "lacks"),
    [
        # builder release/2.2 @af60d114 manywheel/build_docker.sh: six targets, no gfx942 at all.
        ("2.2", "rocm5.7", {"gfx900", "gfx1100"}, {"gfx942", "gfx1101"}),
        # builder release/2.3 @ba10bae9: gfx942 only when ROCm >= 6.0.
        ("2.3", "rocm5.7", {"gfx90a"}, {"gfx942"}),
        ("2.3", "rocm6.0", {"gfx942"}, {"gfx1101"}),
        # builder release/2.4 @4ce1afeb: rocm6.1 is six + gfx942; uv's list (with gfx1101) was
        # measured on a later release.
        ("2.4", "rocm6.1", {"gfx942"}, {"gfx1101"}),
        # 2.5: the list builder handed to pytorch/pytorch (047ed9e3), unchanged at the 2.5 cut.
        ("2.5", "rocm6.1", {"gfx942", "gfx1100"}, {"gfx1101"}),
        ("2.5", "rocm6.2", {"gfx942"}, {"gfx1101", "gfx1102"}),
        # 2.6: gfx1101 (pytorch#141667, 2024-12-04); gfx1102 came after 2.6 (pytorch#147761)
        ("2.6", "rocm6.1", {"gfx1101"}, {"gfx1102"}),
        ("2.6", "rocm6.2.4", {"gfx1101"}, {"gfx1102", "gfx1200", "gfx1201"}),
        # 2.7: gfx1102 and gfx12 (pytorch#147761, #148562)
        ("2.7", "rocm6.2.4", {"gfx1102", "gfx1200", "gfx1201"}, {"gfx950"}),
        ("2.9", "rocm6.4", {"gfx1201"}, {"gfx950", "gfx1151"}),
        # 2.10: gfx950, gfx1150, gfx1151 for every ROCm (pytorch#167299, 2025-11-07)
        ("2.10", "rocm7.0", {"gfx950", "gfx1151"}, {"gfx1103"}),
        ("2.12", "rocm7.2", {"gfx1150"}, {"gfx1103"}),
        # 2.13: gfx1103 (pytorch#179653, landed around the 2.12 cut, so 2.13 first)
        ("2.13", "rocm7.2", {"gfx1151", "gfx1103"}, set()),
        ("2.13", "rocm7.1", {"gfx950", "gfx1103"}, set()),
        # pytorch main @027375bf .ci/docker/manywheel/build.sh (2.14 candidate era): ROCm 7.14
        # drops gfx900/gfx906; both 2.14 builds add gfx1103 (Radeon 780M).
        ("2.14", "rocm7.14", {"gfx1103", "gfx1151", "gfx908"}, {"gfx900", "gfx906"}),
        ("2.14", "rocm7.2", {"gfx900", "gfx906", "gfx1103"}, set()),
    ],
)
def test_rocm_gfx_lists_per_release(release: str, variant: str, has: set, lacks: set) -> None:
    gfx = set(sass(release, variant).gfx)
    assert has <= gfx and not lacks & gfx


def test_rocm_rows_read_from_builder_cite_the_release_branch() -> None:
    # Every 2.2-2.4 ROCm row cites its own release branch's build_docker.sh.
    heads = {
        "2.2": "af60d11447443059c6c6c7590241a446a33db0f9",
        "2.3": "ba10bae9fe9b93365412297d40bc9a3a3eae6155",
        "2.4": "4ce1afeb2262808c1e9707b93682ac66acf2db2a",
    }
    for release, head in heads.items():
        rows = [b for b in KB.builds_for(release, "linux-x86_64") if b.kind == "rocm"]
        assert rows and all(b.ref == BUILDER.format(head) for b in rows)
    assert not [b for b in KB.builds if "gfx1031" in b.gfx]


def _matrix_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "check_build_matrix", Path(__file__).resolve().parents[1] / "scripts/check_build_matrix.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_build_matrix_reads_builders_rocm_case() -> None:
    # The shape of builder's manywheel/build_docker.sh: a base list, then gated additions.
    script = """case ${GPU_ARCH_TYPE} in
    cuda)
        PYTORCH_ROCM_ARCH="ignored"
        ;;
    rocm)
        PYTORCH_ROCM_ARCH="gfx900;gfx1030"
        if [[ $ROCM_VERSION_INT -ge 60000 ]]; then
            PYTORCH_ROCM_ARCH+=";gfx942"
        fi
        ;;
esac
"""
    arch = _matrix_script().rocm_arch
    assert arch(script, "5.7") == ["gfx900", "gfx1030"]
    assert arch(script, "6.0") == ["gfx900", "gfx1030", "gfx942"]
    assert arch(script, "6.2.4") == ["gfx900", "gfx1030", "gfx942"]
    assert arch("case x in\n    cpu)\n        ;;\nesac\n", "6.0") is None


@pytest.mark.parametrize(
    ("release", "floor"),
    [
        ("2.2", "12.3"),  # Apple's "Accelerated PyTorch training on Mac"
        ("2.4", "12.3"),  # before pytorch#133141 (merged 2024-08-14)
        ("2.5", "13.0"),  # pytorch#133141; #139425: 2.5.1 refuses macOS 12.7.6
        ("2.8", "13.0"),
        ("2.9", "14.0"),  # pytorch#162921: "in 2.9+ MPS is only supported on MacOS Sonoma+"
        ("2.14", "14.0"),
    ],
)
def test_mps_floor_per_release(release: str, floor: str) -> None:
    assert sass(release, "mps", "macos-arm64").macos == floor


def test_wheel_macos_deployment_targets() -> None:
    # builder release/2.2 wheel/build_wheel.sh: MACOSX_DEPLOYMENT_TARGET=10.13 (tag 10_9) on
    # Intel, macosx_11_0_arm64; release/2.3-2.5 and pytorch .ci/wheel/build_wheel.sh@0303c4c:
    # macosx_11_0_arm64.
    assert KB.release("2.2").macos == {"macos-x86_64": "10.13", "macos-arm64": "11.0"}
    for release in ("2.3", "2.4", "2.5", "2.6"):
        assert KB.release(release).macos == {"macos-arm64": "11.0"}


def test_experimental_and_platform_limits() -> None:
    assert sass("2.13", "cu132").experimental
    assert not sass("2.14", "cu132").experimental
    assert KB.builds_for("2.14", "macos-x86_64") == []
    (why,) = KB.platform_limits("macos-x86_64", "pip")
    assert "2.2.2" in why and "conda-forge" in why
    assert KB.builds_for("2.13", "macos-x86_64", "conda-forge")
    assert variants("2.7", "windows-arm64") == set()
    assert variants("2.8", "windows-arm64") == {"cpu"}


@pytest.mark.parametrize(
    ("cuda", "windows", "need"),
    [
        ("11.8", False, "450.80.02"),
        ("11.8", True, "452.39"),
        ("12.6", False, "525.60.13"),
        ("12.9", True, "528.33"),
        ("13.0", False, "580.65.06"),
        ("13.2", True, "580.0"),
        ("10.2", False, None),
    ],
)
def test_min_driver_per_cuda_major(cuda: str, windows: bool, need: str | None) -> None:
    # , NVIDIA minor-version compatibility table.
    assert KB.min_driver(cuda, windows) == need


@pytest.mark.parametrize(
    ("driver", "cuda"),
    [
        ("470.256.02", "11.4"),
        ("535.183.01", "12.2"),
        ("570.86.15", "12.8"),
        ("580.95.05", "13.0"),
        ("590.48.01", "13.1"),
        ("610.57.04", "13.3"),
        ("440.33", None),
    ],
)
def test_driver_cuda(driver: str, cuda: str | None) -> None:
    assert KB.driver_cuda(driver) == cuda


def test_last_driver_branch() -> None:
    kepler = KB.last_driver_branch("3.7")
    assert kepler and kepler.last_branch == "470" and "2.7" in kepler.outlook
    pascal = KB.last_driver_branch("6.1")
    assert pascal and pascal.last_branch == "580" and "Pascal" in pascal.family
    assert KB.last_driver_branch("7.0").last_branch == "580"
    assert KB.last_driver_branch("7.5") is None
    assert KB.last_driver_branch("12.0") is None


def test_variants_and_index_url() -> None:
    known = KB.variants()
    for v in ("cpu", "mps", "xpu", "cu118", "cu126", "cu132", "rocm6.2.4", "rocm7.2"):
        assert v in known
    assert KB.index_url("cu126").endswith("/whl/cu126")


def test_loader_expands_release_ranges() -> None:
    data = {
        "as_of": "2026-01-01",
        "index": {"pytorch": "https://example.invalid/{variant}"},
        "cuda_major": [{"major": 12, "linux": "525.60.13", "windows": "528.33"}],
        "driver_cuda": [{"driver": "525.60", "cuda": "12.0"}],
        "release": [
            {"version": v, "released": "x", "python": ["3.10", "3.12"], "glibc": "2.28"}
            | {"default": {}}
            for v in ("2.9", "2.10", "2.11")
        ],
        "build": [
            {"variant": "cu126", "releases": "2.10-2.11", "platforms": ["linux-x86_64"]}
            | {"cuda": "12.6", "sass": ["8.0"]}
        ],
    }
    kb = Knowledge(data)
    assert [r.version for r in kb.releases] == ["2.11", "2.10", "2.9"]
    assert [b.release for b in kb.builds] == ["2.11", "2.10"]
    assert kb.index_url("cu126") == "https://example.invalid/cu126"
    assert kb.size_mib == {} and kb.limits == [] and kb.driver_eol == []


# ---- version helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [("580.65.06", (580, 65, 6)), ("3.13.0rc1", (3, 13, 0)), ("12.0", (12, 0)), ("", ())],
)
def test_vkey(text: str, key: tuple[int, ...]) -> None:
    assert vkey(text) == key


def test_vkey_orders_drivers_numerically() -> None:
    assert vkey("525.60.13") > vkey("525.60.9")
    assert vkey("1000.0") > vkey("999.99")


def test_major_minor() -> None:
    assert major_minor("3.11.7") == "3.11"
    assert major_minor("3.15.0a1") == "3.15"


@pytest.mark.parametrize(
    ("system", "machine", "key"),
    [
        ("Linux", "x86_64", "linux-x86_64"),
        ("Linux", "aarch64", "linux-aarch64"),
        ("Linux", "arm64", "linux-aarch64"),
        ("Windows", "AMD64", "windows-x86_64"),
        ("Windows", "ARM64", "windows-arm64"),
        ("Darwin", "arm64", "macos-arm64"),
        ("Darwin", "x86_64", "macos-x86_64"),
        ("Linux", "riscv64", "linux-riscv64"),
    ],
)
def test_platform_key(system: str, machine: str, key: str) -> None:
    assert platform_key(system, machine) == key


# ---- provenance: every row names its primary source and when it was read ------------------------


def _rows() -> list[tuple[str, dict]]:
    raw = KB.raw
    rows = [(f"release {r['version']}", r) for r in raw["release"]]
    rows += [(f"build {b['variant']} {b['releases']} {b['platforms']}", b) for b in raw["build"]]
    rows += [(f"library_floor {f['library']}", f) for f in raw.get("library_floor", [])]
    rows += [("xpu", raw["xpu"]), ("nccl_p2p", raw["nccl_p2p"])]
    return rows


def _unsourced(row: dict) -> str | None:
    ref, as_of = row.get("ref"), row.get("as_of")
    if not isinstance(ref, str) or not ref.startswith("https://"):
        return "no `ref` naming its primary source (an https address)"
    if not isinstance(as_of, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of):
        return "no `as_of` date (YYYY-MM-DD)"
    return None


@pytest.mark.parametrize(("what", "row"), _rows(), ids=[w for w, _ in _rows()])
def test_every_row_names_its_source_and_date(what: str, row: dict) -> None:
    assert _unsourced(row) is None, f"{what}: {_unsourced(row)}"


def test_a_row_without_a_source_is_refused() -> None:
    assert _unsourced({"version": "2.99"}) is not None
    assert _unsourced({"ref": "pytorch#1", "as_of": "2026-01-01"}) is not None
    assert _unsourced({"ref": "https://x.example/m.py", "as_of": "last week"}) is not None


def test_windows_arm64_has_its_own_python_window() -> None:
    # test-infra generate_binary_build_matrix.py: WINDOWS_ARM64 python_versions = 3.11-3.13
    rel = KB.release("2.13")
    assert rel.window("windows-arm64") == ("3.11", "3.13")
    assert rel.window("linux-x86_64") == ("3.10", "3.14")


def test_forecast_knowledge_leaves_the_shipped_table_alone() -> None:
    fc = KB.with_forecast("2.15")
    assert fc.releases[0].version == "2.15" and fc.releases[0].forecast
    assert {b.variant for b in fc.builds_for("2.15", "linux-x86_64")} == {
        b.variant for b in KB.builds_for(KB.releases[0].version, "linux-x86_64")
    }
    assert "2.15" not in [r.version for r in KB.releases]


def test_every_sentence_of_the_data_shown_to_people_is_in_the_catalog() -> None:
    """family, outlook and a limit's why reach the reasons; each must be listed for translation."""
    from envwizard.knowledge.words import TOML_PROSE

    kb = load()
    shown = {t for row in kb.driver_eol for t in (row.family, row.outlook) if t}
    shown |= {lim.why for lim in kb.limits}
    assert shown and shown <= set(TOML_PROSE), sorted(shown - set(TOML_PROSE))


def test_the_distribution_table_names_its_source_and_reads_every_row() -> None:
    # knowledge/distros.toml is data with provenance like torch_builds.toml: a row without a
    # version, or a glibc that is not one, would silently plan for the wrong wheels.
    from importlib import resources

    from envwizard.knowledge.distros import distro_libc
    from envwizard.knowledge.distros import tomllib as toml_reader

    text = resources.files("envwizard.knowledge").joinpath("distros.toml").read_text("utf-8")
    data = toml_reader.loads(text)
    assert data["source"].startswith("https://") and data["as_of"]
    for family in data["family"]:
        for release, glibc in family.get("glibc", {}).items():
            assert re.fullmatch(r"2\.\d+", glibc), (family["names"], release, glibc)
            for name in family["names"]:
                found = distro_libc(f"{name.title()} {release}")
                assert found is not None and found.glibc == glibc, (name, release)
