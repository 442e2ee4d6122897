"""scripts/check_build_floors.py: the glibc floors and ROCm targets re-read from their sources.

The readers run here on pages and scripts of the shapes the sources have; the wheel names are
real ones (the default index's torch 2.5.1/2.6.0/2.7.0 files as pip's resolver listed them, the
torch 2.13.0+cpu and 2.14.1 wheels in this machine's wheel folders, and the names quoted in
pytorch#156215; PyTorch's own pages name their manylinux2014-era wheels linux_x86_64).
"""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from envwizard.knowledge import load

KB = load()


def script() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "scripts" / "check_build_floors.py"
    spec = importlib.util.spec_from_file_location("check_build_floors", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FLOORS = script()


@pytest.mark.parametrize(
    ("tags", "read"),
    [
        ("manylinux1_x86_64", ("linux-x86_64", "2.17")),
        ("manylinux2014_aarch64", ("linux-aarch64", "2.17")),
        ("manylinux_2_17_aarch64.manylinux2014_aarch64", ("linux-aarch64", "2.17")),
        ("manylinux_2_28_x86_64", ("linux-x86_64", "2.28")),
        ("linux_x86_64", ("linux-x86_64", "2.17")),
        ("win_amd64", None),
        ("macosx_11_0_arm64", None),
    ],
)
def test_a_wheel_tag_says_its_glibc(tags: str, read: tuple[str, str] | None) -> None:
    assert FLOORS.tag_floor(tags) == read


PYPI_PAGE = """<a href="../../x/torch-2.5.1-cp310-cp310-manylinux2014_aarch64.whl#sha256=1">x</a>
<a href="../../x/torch-2.6.0-cp310-cp310-manylinux1_x86_64.whl#sha256=2">x</a>
<a href="../../x/torch-2.6.0-cp310-cp310-manylinux_2_28_aarch64.whl#sha256=3">x</a>
<a href="../../x/torch-2.6.0-cp310-cp310-win_amd64.whl#sha256=4">x</a>
<a href="../../x/torch-2.7.0-cp310-cp310-manylinux_2_28_x86_64.whl#sha256=5">x</a>
<a href="../../x/torch-2.14.1-cp311-cp311-manylinux_2_28_x86_64.whl#sha256=6">x</a>
"""


def test_the_default_index_page_agrees_with_the_table(tmp_path: Path) -> None:
    page = tmp_path / "torch.html"
    page.write_text(PYPI_PAGE)
    assert FLOORS.check_pypi(KB, str(page)) == []
    # a 2.6 default (cu124) wheel needing 2.28 would contradict the table
    page.write_text(
        PYPI_PAGE.replace("2.6.0-cp310-cp310-manylinux1", "2.6.0-cp310-cp310-manylinux_2_28")
    )
    assert FLOORS.check_pypi(KB, str(page)) == [
        "torch 2.6 cu124 on linux-x86_64 (default index): its wheels need glibc 2.28; "
        "the table says 2.17"
    ]


def index(root: Path, pages: dict[str, list[str]]) -> str:
    for variant, wheels in pages.items():
        folder = root / variant / "torch"
        folder.mkdir(parents=True)
        links = "".join(
            f'<a href="/whl/{variant}/{w.replace("+", "%2B")}">{w}</a>\n' for w in wheels
        )
        (folder / "index.html").write_text(links)
    return str(root)


def test_the_variant_pages_agree_with_the_table(tmp_path: Path) -> None:
    root = index(
        tmp_path / "ok",
        {
            "cpu": [
                "torch-2.6.0+cpu-cp310-cp310-linux_x86_64.whl",
                "torch-2.6.0+cpu-cp310-cp310-manylinux_2_28_aarch64.whl",
                "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
            ],
            "cu124": ["torch-2.6.0+cu124-cp310-cp310-linux_x86_64.whl"],
            "cu118": ["torch-2.7.0+cu118-cp310-cp310-manylinux_2_28_x86_64.whl"],
            "cu126": ["torch-2.6.0+cu126-cp310-cp310-manylinux_2_28_x86_64.whl"],
        },
    )
    assert FLOORS.check_index(KB, root) == []
    wrong = index(tmp_path / "wrong", {"cu126": ["torch-2.6.0+cu126-cp310-cp310-linux_x86_64.whl"]})
    assert FLOORS.check_index(KB, wrong) == [
        f"torch 2.6 cu126 on linux-x86_64 ({wrong} cu126): its wheels need glibc 2.17; the table "
        "says 2.28"
    ]


# Scripts of the three shapes PYTORCH_ROCM_ARCH has had: builder's case arms with a version gate
# (2.2-2.5), a list set where the docker tag names rocm (2.6-2.13), and 2.14's common list that
# the legacy images extend.
BUILDER_SHAPE = """case ${GPU_ARCH_TYPE} in
    cuda)
        PYTORCH_ROCM_ARCH="ignored"
        ;;
    rocm)
        PYTORCH_ROCM_ARCH="gfx900;gfx906;gfx908;gfx90a;gfx1030;gfx1100"
        if [[ $ROCM_VERSION_INT -ge 60000 ]]; then
            PYTORCH_ROCM_ARCH+=";gfx942"
        fi
        ;;
esac
"""
TAG_SHAPE = """if [[ "${DOCKER_TAG_PREFIX}" == cuda* ]]; then
    CUDA_VERSION=x
elif [[ "${DOCKER_TAG_PREFIX}" == rocm* ]]; then
    PYTORCH_ROCM_ARCH="gfx900;gfx906;gfx908;gfx90a;gfx942;gfx1030;gfx1100;gfx1101;gfx1102;gfx1200;gfx1201"
fi
"""
COMMON_SHAPE = """case ${image} in
    manylinux2_28-builder:cpu)
        TARGET=cpu_final
        ;;
    manylinux2_28-builder:rocm*)
        # shared by every ROCm build
        PYTORCH_ROCM_ARCH="gfx908;gfx90a;gfx942;gfx950;gfx1030;gfx1100;gfx1101;gfx1102;gfx1103;gfx1200;gfx1201;gfx1150;gfx1151"
        if [[ "$GPU_ARCH_VERSION" == *"preview"* ]]; then
            TARGET=rocm_final
        elif [[ "$GPU_ARCH_VERSION" == *"7.14"* ]]; then
            TARGET=rocm_final
        else
            if [[ "$GPU_ARCH_VERSION" == *"7.2"* ]]; then
                GPU_ARCH_VERSION="${GPU_ARCH_VERSION}.1"
            fi
            PYTORCH_ROCM_ARCH="gfx900;gfx906;${PYTORCH_ROCM_ARCH}"
        fi
        ;;
esac
"""


@pytest.mark.parametrize(
    ("text", "rocm", "has", "lacks"),
    [
        (BUILDER_SHAPE, "5.7", {"gfx900", "gfx1100"}, {"gfx942", "ignored"}),
        (BUILDER_SHAPE, "6.2", {"gfx942"}, {"gfx1101"}),
        (TAG_SHAPE, "6.3", {"gfx1102", "gfx1201"}, {"gfx950"}),
        (COMMON_SHAPE, "7.2", {"gfx900", "gfx906", "gfx1103"}, set()),
        (COMMON_SHAPE, "7.14", {"gfx1103", "gfx908"}, {"gfx900", "gfx906"}),
    ],
)
def test_rocm_targets_read_from_a_build_script(text: str, rocm: str, has: set, lacks: set) -> None:
    arch = set(FLOORS.rocm_arch(text, rocm))
    assert has <= arch and not lacks & arch


def test_rocm_rows_checked_against_a_release_tag(tmp_path: Path) -> None:
    repo = tmp_path / "pytorch"
    (repo / ".ci/docker/manywheel").mkdir(parents=True)
    git = ["git", "-C", str(repo), "-c", "user.email=t@e", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / FLOORS.SCRIPT).write_text(TAG_SHAPE)  # the 2.7-2.9 list
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    subprocess.run([*git, "tag", "v2.7.0"], check=True)
    subprocess.run([*git, "tag", "v2.6.0"], check=True)  # the wrong list for 2.6
    problems = FLOORS.check_rocm(KB, str(repo))
    assert not [p for p in problems if p.startswith("torch 2.7 ")]
    assert any(p.startswith("torch 2.6 rocm6.2.4 (v2.6.0") and "gfx1102" in p for p in problems)
    assert "torch 2.8: no .ci/docker/manywheel/build.sh at tag v2.8.0" in problems
