"""What does compiling bytecode at install time buy, and what does it cost?

    python benchmarks/bytecode_cost.py [--rounds 3] [--packages torch==2.13.0 ...] [--pip]

For each round, two fresh environments are filled with the same packages by the argv envwizard
plans for uv (pip's configured indexes, wheel folders and constraint handed over), once with
`--compile-bytecode` and once without, in alternating order. In each environment it then times:
  read-only   `import torch` with PYTHONDONTWRITEBYTECODE=1, before anything else: what every
              start costs where the environment cannot be written (shared read-only) or where
              that variable is set
  first       the first `import torch` that may write bytecode (envwizard's verify step)
  second      the next one (every later start)
`--pip` measures `pip install` and `pip install --no-compile` too (slower: pip unpacks again).
Medians of wall and CPU seconds over the rounds (load inflates wall time far more than CPU
time); each install and its imports are watched by machine_load.Meter.
"""

from __future__ import annotations

import argparse
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

BIN = Path(sys.executable).parent


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


CPU: dict[str, float] = {}
"""CPU seconds (user + system) of the last timed command, by its first word: load inflates
wall time far more than CPU time, so both are reported."""


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        argv, check=True, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall


def uv_argv(python: str, packages: list[str], compile_: bool) -> tuple[list[str], dict[str, str]]:
    """The install argv envwizard plans with uv here, with or without --compile-bytecode."""
    from envwizard.facts.pipconfig import read_pip_config
    from envwizard.plan.installer import Installer, InstallerChoice, uv_pip_install

    uv = shutil.which("uv", path=str(BIN)) or shutil.which("uv") or "uv"
    choice = InstallerChoice(Installer.UV, "", uv, read_pip_config())
    argv, env = uv_pip_install(choice, python, packages, [], [], [])
    argv = [a for a in argv if a != "--compile-bytecode"]
    return ([*argv, "--compile-bytecode"] if compile_ else argv), env


def imports(python: str, module: str) -> dict[str, float]:
    """read-only, first and second `import MODULE` in a freshly filled environment."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = f"import {module}"
    out = {}
    for name, env in [
        ("read-only", {**base, "PYTHONDONTWRITEBYTECODE": "1"}),
        ("first", base),
        ("second", base),
    ]:
        out[name] = timed([python, "-c", code], env)
        out[name + " cpu"] = CPU["last"]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--packages", nargs="+", default=["torch==2.13.0"])
    ap.add_argument("--module", default="torch", help="what to import (default torch)")
    ap.add_argument("--pip", action="store_true", help="measure pip's install too")
    args = ap.parse_args()
    modes = ["uv --compile-bytecode", "uv"] + (["pip", "pip --no-compile"] if args.pip else [])
    results: dict[str, dict[str, list[float]]] = {m: {} for m in modes}
    with tempfile.TemporaryDirectory(prefix="envwizard-bytecode-") as tmp:
        for n in range(args.rounds + 1):  # round 0 warms the caches and is not counted
            before = load()
            order = modes if n % 2 else modes[::-1]
            for mode in order:
                env = Path(tmp) / f"{n}-{mode.replace(' ', '_')}"
                uv = mode.startswith("uv")
                venv = [sys.executable, "-m", "venv", *(["--without-pip"] if uv else []), str(env)]
                subprocess.run(venv, check=True)
                py = str(env / "bin" / "python")
                with Meter() as m:
                    if uv:
                        argv, extra = uv_argv(py, args.packages, "compile" in mode)
                        took = timed(argv, {**os.environ, **extra})
                    else:
                        flag = ["--no-compile"] if "no-compile" in mode else []
                        took = timed([py, "-m", "pip", "install", "-q", *flag, *args.packages])
                    figures = {"install": took, "install cpu": CPU["last"]}
                    figures.update(imports(py, args.module))
                if n:
                    for k, v in figures.items():
                        results[mode].setdefault(k, []).append(v)
                print(
                    f"round {n}{' (warm-up)' if not n else ''} {mode:<22} "
                    + "  ".join(f"{k} {v:5.2f} s" for k, v in figures.items())
                    + f"\n  {m.line()}",
                    flush=True,
                )
                shutil.rmtree(env, ignore_errors=True)
            print(f"  load average before {before}, after {load()}", flush=True)
    print(f"\nmedians over {args.rounds} rounds ({', '.join(args.packages)}), wall (CPU) seconds:")
    for mode, figures in results.items():
        med = {k: statistics.median(v) for k, v in figures.items()}

        def both(key: str, med: dict[str, float] = med) -> str:
            return f"{med[key]:5.2f} ({med[key + ' cpu']:5.2f})"

        path = med["install"] + med["first"]
        print(
            f"  {mode:<22} install {both('install')}, first import {both('first')} "
            f"(install + first: {path:5.2f}), later imports {both('second')}, "
            f"each import where nothing can be written {both('read-only')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
