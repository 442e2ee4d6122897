"""Write the bytecode of what `import PACKAGE` is about to load, ahead of the process importing it.

    python prefetch.py PACKAGE

envwizard's installs do not compile bytecode (compiling all of torch's modules took most of an
install); the first `import torch`, in the verify step, compiles the ~900 it loads, one after
another, on one core. verify.py starts this script beside that import: it walks the package's
top-level import statements from its __init__.py, depth first in source order (the order in
which the import runs them), and compiles each module it reaches whose bytecode is not written
yet, on another core, so that the import finds most of them compiled. A module reached by both
is written twice, atomically, to the same bytes. SIGTERM stops it between two files.

Run by the environment's own Python: stdlib only, any Python torch supports.
"""

import importlib.util
import os
import py_compile
import re
import signal
import sys

# `from X import a, b` / `from X import (a,\n b)` / `import X.Y as Z, W`, at the start of a line:
# imports inside functions, `if` and `try` blocks are not followed.
IMPORT = re.compile(
    r"^(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)|import[ \t]+([^\n#;]+))",
    re.M,
)

stopped = []  # type: list[bool]


def names(text):
    """The imported names of `a, b as c` or `(a,\n b)`."""
    out = []
    for part in text.strip().strip("()").split(","):
        words = part.split()
        if words and words[0] != "*":
            out.append(words[0])
    return out


def imports(path, source, package, base):
    """Candidate files of the modules a module's top-level imports name, in source order."""
    here = os.path.dirname(path)  # the package that `from . import x` means, for both kinds
    targets = []
    for m in IMPORT.finditer(source):
        if m.group(3):
            for name in names(m.group(3)):
                if name.split(".")[0] == package:
                    targets.append(os.path.join(base, *name.split(".")))
            continue
        module = m.group(1)
        dots = len(module) - len(module.lstrip("."))
        rest = module[dots:]
        if dots:
            folder = here
            for _ in range(dots - 1):
                folder = os.path.dirname(folder)
        elif rest.split(".")[0] == package:
            folder = base
        else:
            continue
        target = os.path.join(folder, *rest.split(".")) if rest else folder
        targets.append(target)
        targets += [os.path.join(target, name) for name in names(m.group(2))]
    files = []
    for t in targets:
        # `import a.b.c` runs a/__init__.py and a/b/__init__.py first
        parents = []
        folder = os.path.dirname(t)
        while len(folder) > len(base):
            parents.append(os.path.join(folder, "__init__.py"))
            folder = os.path.dirname(folder)
        for f in [*reversed(parents), t + ".py", os.path.join(t, "__init__.py")]:
            if os.path.isfile(f) and f not in files:
                files.append(f)
    return files


def walk(package):
    """Compile the package's statically imported modules, depth first; the number written."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin or not spec.origin.endswith("__init__.py"):
        return 0
    base = os.path.dirname(os.path.dirname(spec.origin))
    seen = set()
    stack = [spec.origin]
    written = 0
    while stack and not stopped:
        path = stack.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            with open(path, "rb") as f:
                source = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        if not os.path.exists(importlib.util.cache_from_source(path)):
            try:
                py_compile.compile(
                    path, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP
                )
                written += 1
            except (py_compile.PyCompileError, OSError):
                return written  # a read-only environment: nothing more can be written either
        stack += [f for f in reversed(imports(path, source, package, base)) if f not in seen]
    return written


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    print(walk(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
