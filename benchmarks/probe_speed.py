"""How fast is `envwizard probe --json`, next to `python -m torch.utils.collect_env`?

Both describe a machine for someone about to train on it; collect_env is the tool people
paste into bug reports. The goal is a probe at most 0.05x its time, so the wizard can
probe at every start.

    python benchmarks/probe_speed.py [--torch-python PATH] [--runs 7]

Without --torch-python a temporary venv is made with `pip install torch==2.13.0` (pip's
configured index or wheelhouse; it is removed afterwards). Runs are interleaved so a busy
machine slows both sides alike; medians are reported, with each run's load (machine_load.py:
a run where other processes used more than 0.15 cores is marked DISTURBED). "cold" probes
start with an empty interpreter cache (as the first run on a machine does), "warm" ones with
a filled one (every later run). "core" times the probe alone (`probe().to_json()`), without
the CLI's imports.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from machine_load import Meter

TORCH = "torch==2.13.0"
GOAL = 0.05
COLD_GOAL = 0.12
CORE = "from envwizard.facts.probe import probe; probe().to_json()"


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=300
    )
    return time.perf_counter() - start


def make_torch_python(where: str) -> str:
    venv = os.path.join(where, "torch-venv")
    print(f"creating a venv with {TORCH} in {venv} …", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    py = os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")
    subprocess.run([py, "-m", "pip", "install", "-q", TORCH], check=True)
    return py


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--torch-python", metavar="PATH", help="an interpreter that has torch")
    ap.add_argument("--runs", type=int, default=7, help="runs of each (default 7)")
    args = ap.parse_args(argv)
    # An installed envwizard has its bytecode compiled; a checkout run with
    # PYTHONDONTWRITEBYTECODE would recompile every module at every start and time that instead.
    import envwizard

    compileall.compile_dir(os.path.dirname(envwizard.__file__), quiet=1)
    work = tempfile.mkdtemp(prefix="envwizard-probe-speed-")
    try:
        torch_py = args.torch_python or make_torch_python(work)
        warm_cache = os.path.join(work, "warm-cache")
        base = {**os.environ}
        warm_env = {**base, "ENVWIZARD_CACHE_DIR": warm_cache}
        # The command as people type it: the console script, not `python -m` (runpy's imports).
        found = shutil.which("envwizard", path=os.path.dirname(sys.executable))
        probe = (
            [found, "probe", "--json"]
            if found
            else [sys.executable, "-m", "envwizard", "probe", "--json"]
        )
        timed(probe, warm_env)  # fill the warm cache
        timed([torch_py, "-m", "torch.utils.collect_env"], base)  # and the page cache for torch

        def cold_env() -> dict[str, str]:
            return {**base, "ENVWIZARD_CACHE_DIR": tempfile.mkdtemp(dir=work)}

        cases: dict[str, Callable[[], float]] = {
            "collect_env": lambda: timed([torch_py, "-m", "torch.utils.collect_env"], base),
            "probe --json (cold)": lambda: timed(probe, cold_env()),
            "probe --json (warm)": lambda: timed(probe, warm_env),
            "probe core (warm)": lambda: timed([sys.executable, "-c", CORE], warm_env),
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        meters = []
        for _ in range(args.runs):
            with Meter() as m:
                for name, run in cases.items():
                    samples[name].append(run())
            meters.append(m)
        ref = statistics.median(samples["collect_env"])
        print(
            f"{'':22} {'median':>9} {'min':>9} {'max':>9} {'ratio':>7}   "
            f"({args.runs} runs each, interleaved)"
        )
        for name, values in samples.items():
            med = statistics.median(values)
            print(
                f"{name:22} {med * 1000:7.0f}ms {min(values) * 1000:7.0f}ms "
                f"{max(values) * 1000:7.0f}ms {med / ref:7.3f}"
            )
        for n, m in enumerate(meters, 1):
            print(f"  run {n}: {m.line()}")
        warm = statistics.median(samples["probe --json (warm)"]) / ref
        cold = statistics.median(samples["probe --json (cold)"]) / ref
        print(
            f"\nprobe --json (warm) / collect_env = {warm:.3f}: "
            f"{'meets' if warm <= GOAL else 'misses'} the goal of {GOAL}"
        )
        print(
            f"probe --json (cold) / collect_env = {cold:.3f}: "
            f"{'meets' if cold <= COLD_GOAL else 'misses'} the goal of {COLD_GOAL}"
        )
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
