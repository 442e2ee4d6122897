"""How much disk does the full test suite take at its peak?

The suite makes real environments (CPU torch, the LLM/JAX/TensorFlow stack, bundles), and a CI
machine's disk is finite: a run that fills it fails hundreds of tests at once. This runs pytest
(the README's test command, or the arguments given) and samples every few seconds:
  - the bytes used on the filesystem that holds the temporary folder (what fills up);
  - the size of pytest's temporary folders (`pytest-of-USER`);
  - the size of uv's cache (where every download of the run lands).

    python benchmarks/suite_disk.py [--every 20] [-- PYTEST ARGS...]

It prints the peak of each, above the used bytes at the start, and where pytest was then.
Run it on a machine whose uv cache was emptied first (`uv cache clean`) to see what a fresh
CI machine needs.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MiB = 1024 * 1024


def size(path: Path) -> int:
    """Bytes under `path` (files counted once per hard-link set), 0 if it is not there."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue  # removed while walking
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def uv_cache() -> Path:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found:
        r = subprocess.run([found, "cache", "dir"], capture_output=True, text=True, check=False)
        if r.returncode == 0 and r.stdout.strip():
            return Path(r.stdout.strip())
    return Path.home() / ".cache" / "uv"


def current_test(base: Path) -> str:
    """The newest folder in pytest's current temporary folder: the test that made it."""
    newest, name = -1.0, "-"
    try:
        entries = list((base / "pytest-current").iterdir())
    except OSError:
        return name
    for entry in entries:
        try:
            mtime = entry.lstat().st_mtime  # the folder may go while this looks
        except OSError:
            continue
        if mtime > newest:
            newest, name = mtime, entry.name
    return name


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=float, default=20.0, help="seconds between samples")
    ap.add_argument("pytest_args", nargs="*", help="after --: pytest's arguments")
    args = ap.parse_args()
    tmp = Path(tempfile.gettempdir())
    base = tmp / f"pytest-of-{getpass.getuser()}"
    cache = uv_cache()
    start = shutil.disk_usage(tmp).used
    peak = {"used": 0, "pytest": 0, "uv": 0}
    where = {"used": "-", "pytest": "-", "uv": "-"}
    test = subprocess.Popen([sys.executable, "-m", "pytest", "-q", *args.pytest_args])
    t0 = time.monotonic()
    while test.poll() is None:
        now = {
            "used": shutil.disk_usage(tmp).used - start,
            "pytest": size(base),
            "uv": size(cache),
        }
        for key, value in now.items():
            if value > peak[key]:
                peak[key], where[key] = value, current_test(base)
        time.sleep(args.every)
    minutes = (time.monotonic() - t0) / 60
    print(f"\npytest exited {test.returncode} after {minutes:.1f} min")
    print(f"  disk used above the start: peak {peak['used'] / MiB:,.0f} MiB (at {where['used']})")
    print(f"  pytest's temporary folders: peak {peak['pytest'] / MiB:,.0f} MiB")
    print(f"  uv's cache ({cache}): peak {peak['uv'] / MiB:,.0f} MiB")
    return test.returncode


if __name__ == "__main__":
    sys.exit(main())
