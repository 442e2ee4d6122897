"""Cross-check envwizard's torch build table against PyTorch's own build-matrix script.

Usage: python scripts/check_build_matrix.py PATH_TO_TEST_INFRA_CLONE [--builder PATH_TO_BUILDER_CLONE]

Every release row of src/envwizard/knowledge/torch_builds.toml whose `ref` is a commit of
pytorch/test-infra's tools/scripts/generate_binary_build_matrix.py is compared with that file
at that commit (read with `git show`, parsed with `ast`, never executed):

  CUDA_ARCHES_DICT["release"]      the CUDA variants of linux-x86_64 and windows-x86_64
  ROCM_ARCHES_DICT["release"]      the ROCm variants
  PYTHON_ARCHES_DICT["release"]    the Python window (free-threaded builds aside)
  STABLE_CUDA_VERSIONS["release"]  the variant the default index serves on linux-x86_64
  WINDOWS_ARM64 python_versions    Windows on Arm's own Python window
  CURRENT_STABLE_VERSION           that the commit describes this release at all

CUDA variants in CUDA_ARCHES_NO_GETTING_STARTED are built but "must not be advertised" yet; the
table leaves them out until they are, and the script names them on a line of its own.

With --builder, every ROCm build row whose `ref` is pytorch/builder's manywheel/build_docker.sh
at a commit (the release/2.x branches that built torch 2.2-2.4) is compared with the
PYTORCH_ROCM_ARCH that script gives the row's ROCm version: the list assigned in its rocm case
plus each `PYTORCH_ROCM_ARCH+=";gfx…"` under `ROCM_VERSION_INT -ge N`. Later releases set the
list in pytorch/pytorch's own docker scripts, which this script does not read.

It prints one line per difference and exits 1 when there is any, 0 when the rows agree. It
needs a clone (or a bare mirror) of pytorch/test-infra and does not run in CI.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from envwizard.core.versions import vkey  # noqa: E402
from envwizard.knowledge import load  # noqa: E402

MATRIX = "tools/scripts/generate_binary_build_matrix.py"
REF = re.compile(
    r"github\.com/pytorch/test-infra/blob/([0-9a-f]{7,40})/" + re.escape(MATRIX) + r"(#test)?"
)
"""A ref ending in #test was read from the test channel: the release candidate's matrix."""
BUILDER_SCRIPT = "manywheel/build_docker.sh"
BUILDER_REF = re.compile(
    r"github\.com/pytorch/builder/blob/([0-9a-f]{7,40})/" + re.escape(BUILDER_SCRIPT) + "$"
)
ROCM_CASE = re.compile(r"^\s*rocm\)\s*$(.*?)^\s*;;", re.MULTILINE | re.DOTALL)
ARCH_SET = re.compile(r'PYTORCH_ROCM_ARCH="([^"]*)"')
ARCH_ADD = re.compile(
    r'ROCM_VERSION_INT -ge (\d+) \]\]; then\s*\n\s*PYTORCH_ROCM_ARCH\+=";([^"]*)"', re.MULTILINE
)


def show(clone: str, commit: str, path: str) -> str:
    """One file of a clone (or bare mirror) at one commit."""
    git = ["git", "-C", clone] if (Path(clone) / ".git").exists() else ["git", "--git-dir", clone]
    return subprocess.run(
        [*git, "show", f"{commit}:{path}"], capture_output=True, text=True, check=True
    ).stdout


def rocm_arch(script: str, rocm: str) -> list[str] | None:
    """PYTORCH_ROCM_ARCH that builder's build_docker.sh gives ROCm version `rocm` ("6.0")."""
    case = ROCM_CASE.search(script)
    base = ARCH_SET.search(case.group(1)) if case else None
    if not case or not base:
        return None
    parts = [*map(int, rocm.split(".")), 0, 0][:3]
    as_int = parts[0] * 10000 + parts[1] * 100 + parts[2]
    arch = base.group(1).split(";")
    for floor, extra in ARCH_ADD.findall(case.group(1)):
        if as_int >= int(floor):
            arch += extra.split(";")
    return arch


def check_builder(builder: str) -> list[str]:
    """ROCm rows read from builder's release branches against the script at the cited commit."""
    problems: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for b in load().builds:
        m = BUILDER_REF.search(b.ref)
        if b.kind != "rocm" or not m or (b.variant, b.release, m.group(1)) in seen:
            continue
        seen.add((b.variant, b.release, m.group(1)))
        arch = rocm_arch(show(builder, m.group(1), BUILDER_SCRIPT), b.variant[4:])
        where = f"torch {b.release} {b.variant} (builder@{m.group(1)[:9]})"
        if arch is None:
            problems.append(f"{where}: no PYTORCH_ROCM_ARCH in the script's rocm case")
        elif set(arch) != set(b.gfx):
            problems.append(f"{where}: gfx {sorted(arch)}; the table has {sorted(b.gfx)}")
    return problems


def matrix_at(clone: str, commit: str) -> dict[str, Any]:
    """The module-level literals of the matrix script at one commit."""
    text = show(clone, commit, MATRIX)
    values: dict[str, Any] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    arm = re.search(
        r"if os == WINDOWS_ARM64:\s*\n\s*python_versions = (\[[^\]]*\])", text, re.MULTILINE
    )
    values["_WINDOWS_ARM64_PYTHONS"] = ast.literal_eval(arm.group(1)) if arm else None
    return values


def release_of(values: dict[str, Any], key: str, channel: str = "release") -> Any:
    v = values.get(key)
    return v.get(channel) if isinstance(v, dict) else v


def check(clone: str) -> tuple[list[str], list[str]]:
    """(differences, notes): notes name what the table leaves out on purpose."""
    kb = load()
    problems: list[str] = []
    notes: list[str] = []
    for rel in sorted(kb.releases, key=lambda r: vkey(r.version)):
        m = REF.search(rel.ref)
        if not m:
            continue
        values = matrix_at(clone, m.group(1))
        channel = "test" if m.group(2) else "release"
        where = f"torch {rel.version} (test-infra@{m.group(1)}, {channel})"
        key = "CURRENT_CANDIDATE_VERSION" if channel == "test" else "CURRENT_STABLE_VERSION"
        stable = str(values.get(key, ""))
        if not stable.startswith(rel.version + "."):
            problems.append(
                f"{where}: the commit's release matrix describes torch {stable or '?'}, not {rel.version}"
            )
            continue
        cuda = {
            f"cu{v.replace('.', '')}" for v in release_of(values, "CUDA_ARCHES_DICT", channel) or []
        }
        hidden = {
            f"cu{v.replace('.', '')}" for v in values.get("CUDA_ARCHES_NO_GETTING_STARTED") or []
        }
        if cuda & hidden:
            notes.append(
                f"{where}: {', '.join(sorted(cuda & hidden))} built but not advertised "
                "(CUDA_ARCHES_NO_GETTING_STARTED); not in the table"
            )
        cuda -= hidden
        ours = {b.variant for b in kb.builds_for(rel.version, "linux-x86_64") if b.kind == "cuda"}
        if cuda and cuda != ours:
            problems.append(f"{where}: CUDA variants {sorted(cuda)}; the table has {sorted(ours)}")
        rocm = {f"rocm{v}" for v in release_of(values, "ROCM_ARCHES_DICT", channel) or []}
        ours = {b.variant for b in kb.builds_for(rel.version, "linux-x86_64") if b.kind == "rocm"}
        if rocm and rocm != ours:
            problems.append(f"{where}: ROCm variants {sorted(rocm)}; the table has {sorted(ours)}")
        torch_only = set(values.get("TORCH_ONLY_PYTHON_ARCHES") or [])
        pys = [
            p
            for p in release_of(values, "PYTHON_ARCHES_DICT", channel) or []
            if not p.endswith("t") and p not in torch_only
        ]
        if pys:
            lo, hi = min(pys, key=vkey), max(pys, key=vkey)
            if (lo, hi) != (rel.python_min, rel.python_max):
                problems.append(
                    f"{where}: Python {lo}–{hi}; the table has {rel.python_min}–{rel.python_max}"
                )
        stable_cuda = release_of(values, "STABLE_CUDA_VERSIONS", channel)
        if stable_cuda:
            want = f"cu{str(stable_cuda).replace('.', '')}"
            if rel.default.get("linux-x86_64") != want:
                problems.append(
                    f"{where}: the default index serves {want}; the table says "
                    f"{rel.default.get('linux-x86_64')}"
                )
        arm = values["_WINDOWS_ARM64_PYTHONS"]
        if arm and kb.builds_for(rel.version, "windows-arm64"):
            lo, hi = min(arm, key=vkey), max(arm, key=vkey)
            if rel.window("windows-arm64") != (lo, hi):
                problems.append(
                    f"{where}: windows-arm64 Python {lo}–{hi}; the table has "
                    f"{'–'.join(rel.window('windows-arm64'))}"
                )
    return problems, notes


def main(argv: list[str]) -> int:
    builder = None
    if len(argv) == 3 and argv[1] == "--builder":
        builder = argv[2]
    elif len(argv) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    problems, notes = check(argv[0])
    if builder:
        problems += check_builder(builder)
    for n in notes:
        print(f"note: {n}")
    for p in problems:
        print(p)
    print(f"{len(problems)} difference(s)" if problems else "the table agrees with test-infra")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
