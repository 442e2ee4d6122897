"""Pin the torch build just installed, so a later `pip install x` cannot swap it silently.

Run by the environment's own Python (stdlib only):
    python pin.py --prefix ENV [--conda] [--keep-constraint FILE ...] torch [torchvision ...]

Writes ENV/envwizard-constraints.txt with the exact installed versions (local labels such as
+cu126 included: `torch==2.13.0` would also match a CPU build, `torch==2.13.0+cu126` does not),
and points the environment's own pip configuration (ENV/pip.conf, pip.ini on Windows) at it;
pip reads that file for every install in this environment, activated or not. That file outranks
the machine's own pip configuration, so the constraints the machine configures (--keep-constraint,
as envwizard read them) are written there too: the environment stays inside the machine's
policy. With --conda it
also writes conda-meta/pinned, which conda and mamba honour. Prints one JSON line.
"""

import argparse
import configparser
import json
import os
import sys
from importlib import metadata

CONSTRAINTS = "envwizard-constraints.txt"
CONDA_NAMES = {"torch": "pytorch"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--conda", action="store_true")
    ap.add_argument("--keep-constraint", action="append", default=[], metavar="FILE")
    ap.add_argument("names", nargs="+")
    args = ap.parse_args(argv)
    prefix = os.path.abspath(args.prefix)
    pins = {}
    for name in args.names:
        try:
            pins[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            print(json.dumps({"ok": False, "error": name + " is not installed in " + sys.prefix}))
            return 1
    constraints = os.path.join(prefix, CONSTRAINTS)
    with open(constraints, "w", encoding="utf-8") as f:
        f.write("# Written by envwizard: the torch build this environment was verified with.\n")
        f.write("# Remove a line (or this file) to allow replacing that package.\n")
        for name, version in pins.items():
            f.write(name + "==" + version + "\n")
    pip_config = os.path.join(prefix, "pip.ini" if os.name == "nt" else "pip.conf")
    add_constraint(pip_config, [*args.keep_constraint, constraints])
    pinned = None
    if args.conda:
        pinned = os.path.join(prefix, "conda-meta", "pinned")
        os.makedirs(os.path.dirname(pinned), exist_ok=True)
        lines = []
        if os.path.exists(pinned):
            with open(pinned, encoding="utf-8") as f:
                lines = [ln.rstrip("\n") for ln in f]
        for name, version in pins.items():
            conda_name = CONDA_NAMES.get(name, name)
            lines = [ln for ln in lines if ln.split(" ")[0] != conda_name]
            lines.append(conda_name + " ==" + version.split("+")[0])
        with open(pinned, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    print(
        json.dumps(
            {
                "ok": True,
                "pins": pins,
                "constraints": constraints,
                "pip_config": pip_config,
                "conda_pinned": pinned,
            }
        )
    )
    return 0


def add_constraint(path, files):
    """Add constraint files to [global] constraint, keeping any the environment already had."""
    cfg = configparser.ConfigParser(interpolation=None)
    if os.path.exists(path):
        cfg.read(path, encoding="utf-8")
    if not cfg.has_section("global"):
        cfg.add_section("global")
    current = cfg.get("global", "constraint", fallback="").split()
    current += [f for f in files if f not in current]
    cfg.set("global", "constraint", " ".join(current))
    with open(path, "w", encoding="utf-8") as f:
        cfg.write(f)


if __name__ == "__main__":
    sys.exit(main())
