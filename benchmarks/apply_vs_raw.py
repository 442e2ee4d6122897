"""What does envwizard cost over the raw commands it wraps? (issue 3's goals: uv <= 1.25x,
virtualenv + pip <= 1.10x)

    python benchmarks/apply_vs_raw.py [--runs 3] [--managers uv virtualenv] [--keep]

For each manager, in alternating order (so a busy machine and warm caches affect both alike):
  raw        <create env>; <install torch>; <env python> -c "import torch"
  envwizard  envwizard --answers A --yes --report R   (benchmark off), and R's verify.ok must be true
Both install the same torch: a wheel from pip's configured wheel folder when there is one
(torch_index: default + find_links), else PyTorch's CPU index (compute: cpu). One untimed
warm-up of each fills the caches first. Medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"uv": 1.25, "virtualenv": 1.10}
BIN = Path(sys.executable).parent


def local_torch() -> tuple[str, str] | None:
    """(folder, version) of a torch wheel for this Python in pip's configured find-links."""
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    )
    values = [os.environ.get("PIP_FIND_LINKS", "")] + [
        line.partition("=")[2].strip("'\"")
        for line in r.stdout.splitlines()
        if "find-links" in line
    ]
    for value in values:
        for folder in value.split():
            for wheel in sorted(Path(folder.removeprefix("file://")).glob(f"torch-*-{tag}-*.whl")):
                return folder, wheel.name.split("-")[1].split("+")[0]
    return None


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        sys.exit(f"{name} is not installed (pip install '.[test]' brings uv and virtualenv)")
    return found


def raw_commands(manager: str, env: Path, source: tuple[str, str] | None) -> list[list[str]]:
    py = str(env / "bin" / "python")
    if source:
        folder, version = source
        spec = [f"torch=={version}"] + (["--find-links", folder] if manager == "uv" else [])
    else:
        from envwizard.knowledge import load

        spec = ["torch", "--index-url", load().index_url("cpu")]
    if manager == "uv":
        create = [tool("uv"), "venv", str(env), "--python", sys.executable]
        install = [tool("uv"), "pip", "install", "--python", py, *spec]
    else:
        create = [tool("virtualenv"), str(env), "--python", sys.executable]
        install = [py, "-m", "pip", "install", *spec]
    return [create, install, [py, "-c", "import torch"]]


def answers(manager: str, env: Path, source: tuple[str, str] | None) -> str:
    lines = [
        f"manager: {manager}",
        f"env: {env}",
        "benchmark: {enabled: false}",
        f"python: {sys.executable}",
    ]
    if source:
        lines += [f"torch: '=={source[1]}'", "torch_index: default", f"find_links: [{source[0]}]"]
    else:
        lines += ["compute: cpu"]
    return "\n".join(lines) + "\n"


def run_raw(manager: str, env: Path, source: tuple[str, str] | None) -> float:
    t0 = time.perf_counter()
    for argv in raw_commands(manager, env, source):
        subprocess.run(
            argv,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - t0


def run_envwizard(manager: str, env: Path, source: tuple[str, str] | None, work: Path) -> float:
    a = work / f"{manager}.yaml"
    a.write_text(answers(manager, env, source))
    report = work / f"{manager}-report.json"
    argv = [str(BIN / "envwizard"), "--answers", str(a), "--yes", "--report", str(report)]
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    took = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"envwizard failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}")
    verify = json.loads(report.read_text())["verify"]
    if not verify or not verify.get("ok"):
        sys.exit(f"verify.ok is not true: {verify}")
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--managers", nargs="+", default=["uv", "virtualenv"], choices=list(GOALS))
    args = ap.parse_args()
    source = local_torch()
    print(
        f"torch from: {'wheel folder ' + source[0] + ' (' + source[1] + ')' if source else 'PyTorch CPU index'}"
    )
    failed = False
    with tempfile.TemporaryDirectory(prefix="envwizard-bench-") as tmp:
        work = Path(tmp)
        os.environ["XDG_STATE_HOME"] = str(work / "state")
        for manager in args.managers:
            times: dict[str, list[float]] = {"raw": [], "envwizard": []}
            for i in range(args.runs + 1):
                order = ["raw", "envwizard"] if i % 2 == 0 else ["envwizard", "raw"]
                for side in order:
                    env = work / f"{manager}-{side}-{i}"
                    took = (
                        run_raw(manager, env, source)
                        if side == "raw"
                        else run_envwizard(manager, env, source, work)
                    )
                    shutil.rmtree(env, ignore_errors=True)
                    if i:  # run 0 is the untimed warm-up
                        times[side].append(took)
            raw, ew = statistics.median(times["raw"]), statistics.median(times["envwizard"])
            ratio = ew / raw
            ok = ratio <= GOALS[manager]
            failed |= not ok
            print(
                f"{manager:<11} raw {raw:6.1f} s   envwizard {ew:6.1f} s   ratio {ratio:.2f}   "
                f"goal <= {GOALS[manager]:.2f}: {'met' if ok else 'MISSED'}   "
                f"(runs raw {', '.join(f'{t:.1f}' for t in times['raw'])}; envwizard {', '.join(f'{t:.1f}' for t in times['envwizard'])})"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
