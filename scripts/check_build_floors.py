"""Re-read the table's glibc floors and ROCm targets from the sources they come from.

Usage: python scripts/check_build_floors.py [--index ROOT] [--pypi PAGE] [--pytorch CLONE]

  --index ROOT     a copy of PyTorch's wheel index (its URL, or a folder holding
                   VARIANT/torch/index.html): every torch wheel's platform tag says which glibc
                   it needs, and each build row's `glibc` must say the same
  --pypi PAGE      the default index's simple page for torch (URL or file): its wheels are the
                   release's default variant on each platform (`default` in the release row)
  --pytorch CLONE  a clone (or bare mirror) of pytorch/pytorch with its release tags: each
                   release's ROCm targets are PYTORCH_ROCM_ARCH as .ci/docker/manywheel/build.sh
                   sets it at tag vX.Y.0 for that ROCm version, and each ROCm row's `gfx` must
                   hold exactly those

A wheel tagged manylinux_2_28 needs glibc 2.28. Tags below it (manylinux1, manylinux2010,
manylinux2014, manylinux_2_17) and PyTorch's untagged linux_x86_64 wheels of the manylinux2014
era were built on CentOS 7 and need 2.17 (pytorch#123649, the RFC that moved the builds).

It prints one line per difference and exits 1 when there is any, 0 when the table agrees. It
needs the network or copies of the sources, so it does not run in CI; the tests run its readers
on pages and scripts of the shapes it reads.
"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from envwizard.core.versions import vkey  # noqa: E402
from envwizard.knowledge import Knowledge, load  # noqa: E402

WHEEL = re.compile(r"torch-(\d+\.\d+)\.\d+(?:(?:\+|%2[Bb])([\w.]+))?-cp\d+-cp\d+t?-([\w.]+?)\.whl")
TAG = re.compile(r"(?:many)?linux(?:_(\d+)_(\d+)|(1|2010|2014))?_(x86_64|aarch64)")
LEGACY = {"1": "2.17", "2010": "2.17", "2014": "2.17"}
"""manylinux1/2010/2014 wheels of PyTorch's were built on CentOS 7: they need 2.17."""
SCRIPT = ".ci/docker/manywheel/build.sh"


# ---- glibc from wheel tags ---------------------------------------------------------------------
def tag_floor(tags: str) -> tuple[str, str] | None:
    """ "manylinux_2_17_aarch64.manylinux2014_aarch64" -> ("linux-aarch64", "2.17")."""
    floors: list[str] = []
    cpu = ""
    for tag in tags.split("."):
        m = TAG.fullmatch(tag)
        if not m:
            continue
        cpu = m.group(4)
        if m.group(1):
            floors.append(f"{m.group(1)}.{m.group(2)}")
        else:
            floors.append(LEGACY.get(m.group(3) or "", "2.17"))
    if not floors:
        return None
    return f"linux-{cpu}", min(floors, key=vkey)


def wheel_floors(page: str) -> dict[tuple[str, str, str], str]:
    """(release line, variant or "", platform) -> the highest glibc its wheels on a page need."""
    out: dict[tuple[str, str, str], str] = {}
    for line, local, tags in WHEEL.findall(page):
        read = tag_floor(tags)
        if read is None:
            continue
        platform, floor = read
        key = (line, local, platform)
        if key not in out or vkey(floor) > vkey(out[key]):
            out[key] = floor
    return out


def fetch(where: str) -> str:
    if re.match(r"https?://", where):
        with urllib.request.urlopen(where, timeout=60) as r:
            return str(r.read().decode("utf-8", "replace"))
    return Path(where).read_text("utf-8", "replace")


def index_page(root: str, variant: str) -> str | None:
    if re.match(r"https?://", root):
        where = f"{root.rstrip('/')}/{urllib.parse.quote(variant)}/torch/"
    else:
        where = str(Path(root) / variant / "torch" / "index.html")
    try:
        return fetch(where)
    except OSError:
        return None


def check_index(kb: Knowledge, root: str) -> list[str]:
    problems = []
    variants = sorted({b.variant for b in kb.builds if b.glibc})
    for variant in variants:
        page = index_page(root, variant)
        if page is None:
            continue
        for (line, local, platform), floor in sorted(wheel_floors(page).items()):
            if local and local != variant:
                continue
            problems += compare(kb, line, variant, platform, floor, f"{root} {variant}")
    return problems


def check_pypi(kb: Knowledge, page: str) -> list[str]:
    problems = []
    for (line, local, platform), floor in sorted(wheel_floors(fetch(page)).items()):
        if local or line not in {r.version for r in kb.releases}:
            continue
        variant = kb.release(line).default.get(platform)
        if variant:
            problems += compare(kb, line, variant, platform, floor, "default index")
    return problems


def compare(
    kb: Knowledge, line: str, variant: str, platform: str, floor: str, where: str
) -> list[str]:
    rows = [b for b in kb.builds_for(line, platform) if b.variant == variant]
    if not rows:
        return []
    if rows[0].glibc != floor:
        return [
            f"torch {line} {variant} on {platform} ({where}): its wheels need glibc {floor}; "
            f"the table says {rows[0].glibc}"
        ]
    return []


# ---- ROCm targets from the docker build script ------------------------------------------------
def rocm_arch(script: str, rocm: str) -> list[str] | None:
    """PYTORCH_ROCM_ARCH a build script sets for ROCm version `rocm` ("6.2.4"), or None.

    Reads only what decides the list: case arms (an arm whose pattern does not name rocm is
    skipped), if/elif/else on ROCM_VERSION_INT or on the version's text, and the assignments
    `PYTORCH_ROCM_ARCH="…"` (with ${PYTORCH_ROCM_ARCH} expanded) and `PYTORCH_ROCM_ARCH+=";…"`.
    """
    parts = [*map(int, re.findall(r"\d+", rocm)), 0, 0][:3]
    as_int = parts[0] * 10000 + parts[1] * 100 + parts[2]
    arch: str | None = None
    in_other_arm = False
    stack: list[tuple[bool, bool]] = []  # (this branch runs, an earlier branch ran)

    def active() -> bool:
        return not in_other_arm and all(run for run, _ in stack)

    for raw in script.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.strip().startswith("#") else ""
        if not line:
            continue
        arm = re.fullmatch(r"([^\s()=]+)\)", line)
        if arm:
            in_other_arm = "rocm" not in arm.group(1)
            continue
        if line == ";;":
            in_other_arm = False
            continue
        cond = re.match(r"(if|elif)\s+\[\[(.*)\]\]", line)
        if cond:
            value = _condition(cond.group(2), rocm, as_int)
            if cond.group(1) == "if":
                stack.append((value, value))
            elif stack:
                ran = stack[-1][1]
                stack[-1] = (value and not ran, ran or value)
            continue
        if line == "else" and stack:
            stack[-1] = (not stack[-1][1], True)
            continue
        if line == "fi" and stack:
            stack.pop()
            continue
        if not active():
            continue
        m = re.match(r'PYTORCH_ROCM_ARCH(\+?)="([^"]*)"', line)
        if m:
            value = m.group(2).replace("${PYTORCH_ROCM_ARCH}", arch or "")
            value = value.replace("$PYTORCH_ROCM_ARCH", arch or "")
            arch = (arch or "") + value if m.group(1) else value
    if arch is None:
        return None
    return [g for g in arch.split(";") if g]


def _condition(text: str, rocm: str, as_int: int) -> bool:
    """One [[ … ]] test of the shapes these scripts use; anything else is taken as true."""
    m = re.search(r"ROCM_VERSION_INT\s+-(ge|gt|lt|le|eq)\s+(\d+)", text)
    if m:
        n = int(m.group(2))
        return {"ge": as_int >= n, "gt": as_int > n, "lt": as_int < n, "le": as_int <= n}.get(
            m.group(1), as_int == n
        )
    m = re.search(r'"?\$\{?GPU_ARCH_VERSION\}?"?\s*==\s*\*"([^"]+)"\*', text)
    if m:
        return m.group(1) in rocm
    m = re.search(r'\$\{?DOCKER_TAG_PREFIX\}?"?\s*==\s*(\w+)\*', text)
    if m:
        return m.group(1) == "rocm"
    return True


def git_show(clone: str, ref: str, path: str) -> str | None:
    git = ["git", "-C", clone] if (Path(clone) / ".git").exists() else ["git", "--git-dir", clone]
    r = subprocess.run([*git, "show", f"{ref}:{path}"], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def check_rocm(kb: Knowledge, clone: str) -> list[str]:
    problems = []
    for rel in sorted(kb.releases, key=lambda r: vkey(r.version)):
        rows = [
            b
            for b in kb.builds_for(rel.version, "linux-x86_64")
            if b.kind == "rocm" and "pytorch/builder" not in b.ref
        ]
        if not rows:
            continue
        script = git_show(clone, f"v{rel.version}.0", SCRIPT)
        if script is None:
            problems.append(f"torch {rel.version}: no {SCRIPT} at tag v{rel.version}.0")
            continue
        for b in rows:
            read = rocm_arch(script, b.variant[4:])
            if read is None:
                problems.append(f"torch {rel.version} {b.variant}: no PYTORCH_ROCM_ARCH read")
            elif set(read) != set(b.gfx):
                problems.append(
                    f"torch {rel.version} {b.variant} (v{rel.version}.0 {SCRIPT}): gfx "
                    f"{sorted(read)}; the table has {sorted(b.gfx)}"
                )
    return problems


def main(argv: list[str]) -> int:
    opts = dict(zip(argv[::2], argv[1::2]))
    if not opts or len(argv) % 2 or set(opts) - {"--index", "--pypi", "--pytorch"}:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    kb = load()
    problems: list[str] = []
    if "--index" in opts:
        problems += check_index(kb, opts["--index"])
    if "--pypi" in opts:
        problems += check_pypi(kb, opts["--pypi"])
    if "--pytorch" in opts:
        problems += check_rocm(kb, opts["--pytorch"])
    for p in problems:
        print(p)
    print(
        f"{len(problems)} difference(s)" if problems else "the table agrees with the sources read"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
