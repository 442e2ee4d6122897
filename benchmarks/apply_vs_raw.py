"""What does envwizard cost over the raw commands it wraps? (goals: uv <= 1.25x, virtualenv +
pip <= 1.10x, the tutorial's path <= 0.20x)

    python benchmarks/apply_vs_raw.py [--runs 3] [--managers uv virtualenv tutorial]

For each manager, in alternating order (so a busy machine and warm caches affect both alike):
  raw        <create env>; <install torch>; <env python> -c "import torch"
  envwizard  envwizard --answers A --yes --report R   (benchmark off), and R's verify.ok must be true
Both install the same torch: a wheel from pip's configured wheel folder when there is one
(torch_index: default + find_links), else PyTorch's CPU index (compute: cpu). One untimed
warm-up of each fills the caches first. Medians are reported, each run with the machine's load
(machine_load.py: DISTURBED when other processes used more than 0.15 cores meanwhile), and
envwizard's time split into its steps (from its report) and its own part.

`tutorial` is the tutorial's own path as a reader types it, on a machine whose pip is
configured (wheel folder, extra indexes, a constraint file):
  raw        virtualenv ENV; ENV/bin/pip install torch==X; ENV/bin/python -c "import torch"
  envwizard  manager: virtualenv, torch_index: default, torch: ==X, stack: torch (installer: auto)
(`stack: torch`: torch alone, as the raw side installs it; the default stack adds numpy and the
companions, which a raw `pip install torch` does not), and after each round the two
environments must hold exactly the same distributions (`pip freeze`, torch's local build label
included): what pip would have installed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine_load import Meter

GOALS = {"uv": 1.25, "virtualenv": 1.10, "tutorial": 0.20}
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
    if manager == "tutorial":
        version = source[1] if source else "2.13.0"
        create = [tool("virtualenv"), str(env), "--python", sys.executable]
        install = [py, "-m", "pip", "install", f"torch=={version}"]
    elif manager == "uv":
        create = [tool("uv"), "venv", str(env), "--python", sys.executable]
        install = [tool("uv"), "pip", "install", "--python", py, *spec]
    else:
        create = [tool("virtualenv"), str(env), "--python", sys.executable]
        install = [py, "-m", "pip", "install", *spec]
    return [create, install, [py, "-c", "import torch"]]


def answers(manager: str, env: Path, source: tuple[str, str] | None) -> str:
    if manager == "tutorial":
        version = source[1] if source else "2.13.0"
        return (
            f"manager: virtualenv\nenv: {env}\nbenchmark: {{enabled: false}}\n"
            f"python: {sys.executable}\ntorch: '=={version}'\ntorch_index: default\n"
            "stack: torch\n"
        )
    lines = [
        f"manager: {manager}",
        f"env: {env}",
        "benchmark: {enabled: false}",
        f"python: {sys.executable}",
        "stack: torch",
    ]
    if source:
        lines += [f"torch: '=={source[1]}'", "torch_index: default", f"find_links: [{source[0]}]"]
    else:
        lines += ["compute: cpu"]
    return "\n".join(lines) + "\n"


def children_cpu() -> float:
    """CPU seconds of every finished child so far (and their children)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


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


def freeze(env: Path) -> list[str]:
    """The environment's distributions, as pip lists them (envwizard's own files are not packages)."""
    py = str(env / "bin" / "python")
    out = subprocess.run(
        [py, "-m", "pip", "freeze", "--all"], capture_output=True, text=True, check=True
    ).stdout
    return sorted(out.split())


STEPS: dict[str, list[float]] = {}
"""envwizard's step seconds from its reports, per step id (the rest of a run is its own cost)."""


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
    data = json.loads(report.read_text())
    verify = data["verify"]
    if not verify or not verify.get("ok"):
        sys.exit(f"verify.ok is not true: {verify}")
    steps = {s["id"]: float(s["seconds"]) for s in data["steps"]}
    for step_id, seconds in [*steps.items(), ("(envwizard itself)", took - sum(steps.values()))]:
        STEPS.setdefault(f"{manager} {step_id}", []).append(seconds)
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--managers", nargs="+", default=["uv", "virtualenv", "tutorial"], choices=list(GOALS)
    )
    args = ap.parse_args()
    # As on most machines: both sides may write bytecode (pip compiles at install either way).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
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
            cpu: dict[str, list[float]] = {"raw": [], "envwizard": []}
            for i in range(args.runs + 1):
                order = ["raw", "envwizard"] if i % 2 == 0 else ["envwizard", "raw"]
                made = {}
                for side in order:
                    env = made[side] = work / f"{manager}-{side}-{i}"
                    before = children_cpu()
                    with Meter() as m:
                        took = (
                            run_raw(manager, env, source)
                            if side == "raw"
                            else run_envwizard(manager, env, source, work)
                        )
                    used = children_cpu() - before
                    print(
                        f"  {manager} run {i}{' (warm-up)' if not i else ''} {side:<9} "
                        f"{took:6.1f} s ({used:5.1f} s CPU)   {m.line()}",
                        flush=True,
                    )
                    if i:  # run 0 is the untimed warm-up
                        times[side].append(took)
                        cpu[side].append(used)
                if manager == "tutorial":
                    raw_set, ew_set = freeze(made["raw"]), freeze(made["envwizard"])
                    if raw_set != ew_set:
                        sys.exit(
                            "envwizard installed something else than pip: "
                            f"only pip: {sorted(set(raw_set) - set(ew_set))}; "
                            f"only envwizard: {sorted(set(ew_set) - set(raw_set))}"
                        )
                    if i == 0:
                        torch = next(d for d in raw_set if d.lower().startswith("torch=="))
                        print(
                            f"tutorial: both environments hold the same {len(raw_set)} distributions ({torch})"
                        )
                for env in made.values():
                    shutil.rmtree(env, ignore_errors=True)
            raw, ew = statistics.median(times["raw"]), statistics.median(times["envwizard"])
            ratio = ew / raw
            ok = ratio <= GOALS[manager]
            failed |= not ok
            print(
                f"{manager:<11} raw {raw:6.1f} s   envwizard {ew:6.1f} s   ratio {ratio:.2f}   "
                f"goal <= {GOALS[manager]:.2f}: {'met' if ok else 'MISSED'}   "
                f"(runs raw {', '.join(f'{t:.1f}' for t in times['raw'])}; envwizard {', '.join(f'{t:.1f}' for t in times['envwizard'])})"
            )
            cpu_ratio = statistics.median(cpu["envwizard"]) / statistics.median(cpu["raw"])
            print(
                f"    CPU seconds (user + system, every process of each side): raw "
                f"{statistics.median(cpu['raw']):.1f}, envwizard "
                f"{statistics.median(cpu['envwizard']):.1f}, ratio {cpu_ratio:.2f} (load moves "
                "it far less than the wall-clock ratio; the goal is the wall-clock one)"
            )
            parts = {k: v for k, v in STEPS.items() if k.startswith(manager + " ")}
            print(
                "    envwizard's time, medians of all its runs (warm-up included): "
                + ", ".join(
                    f"{k.split(' ', 1)[1]} {statistics.median(v):.2f} s" for k, v in parts.items()
                )
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
