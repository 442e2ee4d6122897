"""Register this environment as a Jupyter kernel, without replacing anyone else's.

Run by the environment's own Python (stdlib + ipykernel + jupyter_client):
    python kernel.py --name dl --display "Python (dl, torch {torch})" --record ENV/envwizard-kernel.json

`ipykernel install` replaces a kernel spec of the same name without asking. This script looks
first (jupyter_client's KernelSpecManager, which honours JUPYTER_DATA_DIR): a spec of that name
that runs this environment's Python is this environment's and is replaced; one that runs
another Python is left alone, and the kernel gets the first free name `NAME-2`, `NAME-3`, …,
which the output says. The spec is installed for the user (JUPYTER_DATA_DIR, else Jupyter's
data folder), marked with this environment's prefix in its metadata, and the folder it went to
is written to --record, which is what rollback and recreate remove.

Prints one JSON object: {"ok", "name", "asked", "dir", "display_name", "replaced", "taken_by"}.
Exit 0 when the kernel is installed, 1 otherwise.
"""

import argparse
import json
import os
import sys


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--display", default="Python ({name}, torch {torch})")
    ap.add_argument("--record", required=True, help="where to write the kernel's folder")
    args = ap.parse_args(argv)
    try:
        result = install(args)
    except Exception as e:  # the answer, not a crash
        text = str(e).strip().splitlines()
        result = {"ok": False, "cause": type(e).__name__ + (": " + text[0] if text else "")}
    print(json.dumps(result))
    return 0 if result["ok"] else 1


def runs_here(spec_dir):
    """Whether the kernel spec in `spec_dir` starts this environment's Python."""
    try:
        with open(os.path.join(spec_dir, "kernel.json"), encoding="utf-8") as f:
            argv = json.load(f).get("argv") or []
    except (OSError, ValueError):
        return False
    if not argv:
        return False
    try:
        return os.path.samefile(argv[0], sys.executable)
    except OSError:
        return os.path.realpath(argv[0]) == os.path.realpath(sys.executable)


def free_name(asked, specs):
    """The asked name when it is free or this environment's; else NAME-2, NAME-3, …"""
    if asked not in specs or runs_here(specs[asked]):
        return asked, None
    n = 2
    while True:
        name = "%s-%d" % (asked, n)
        if name not in specs or runs_here(specs[name]):
            return name, specs[asked]
        n += 1


def install(args):
    from importlib import metadata

    from ipykernel.kernelspec import install as ipykernel_install
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    name, taken_by = free_name(args.name, specs)
    replaced = name in specs
    try:
        torch = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch = "?"
    display = args.display.format(name=name, torch=torch)
    where = ipykernel_install(user=True, kernel_name=name, display_name=display)
    spec_file = os.path.join(where, "kernel.json")
    with open(spec_file, encoding="utf-8") as f:
        spec = json.load(f)
    spec.setdefault("metadata", {})["envwizard"] = {"env": sys.prefix}
    with open(spec_file, "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)
    record = {"name": name, "dir": os.path.abspath(where), "env": sys.prefix}
    with open(args.record, "w", encoding="utf-8") as f:
        json.dump(record, f)
    return {
        "ok": True,
        "name": name,
        "asked": args.name,
        "dir": record["dir"],
        "display_name": display,
        "replaced": replaced,
        "taken_by": taken_by,
    }


if __name__ == "__main__":
    sys.exit(main())
