"""Run inside an interpreter to describe it: `python -E -c <this file's text>`.

It runs in whatever Python it is pointed at, from 2.6 to the newest 3.x, so it must parse
under Python 2: no f-strings, no annotations, no keyword-only arguments, stdlib only.
It is cheap on purpose (no `import pip`, no `import ensurepip` unless nothing else tells the
bundled pip version): envwizard inspects every interpreter on the machine at each probe.
"""

import sys

MARK = "envwizard-python-facts:"


def module_exists(name):
    """Whether `name` is importable, without importing it (a zipped stdlib has no directory)."""
    try:
        import importlib.util

        return importlib.util.find_spec(name) is not None
    except ImportError:
        import imp

        try:
            imp.find_module(name)
            return True
        except ImportError:
            return False


def wheel_version(directory, project):
    """The version in `<project>-<version>-py3-none-any.whl` inside `directory`, if any."""
    import os

    try:
        names = sorted(os.listdir(directory))
    except (OSError, TypeError):
        return None
    prefix = project + "-"
    for name in names:
        if name.startswith(prefix) and name.endswith(".whl"):
            return name[len(prefix) :].split("-")[0]
    return None


def ensurepip_pip(stdlib, wheel_pkg_dir):
    """The pip that `python -m venv` would seed, as ensurepip.version() reports it.

    Distributions (Debian) point WHEEL_PKG_DIR at their own wheels; upstream CPython bundles
    the wheel in ensurepip/_bundled. Importing ensurepip is the slow last resort.
    """
    import os

    for directory in (wheel_pkg_dir, os.path.join(stdlib, "ensurepip", "_bundled")):
        if directory:
            version = wheel_version(directory, "pip")
            if version:
                return version
    try:
        import ensurepip

        return ensurepip.version()
    except Exception:
        return None


def pip_version(paths):
    """The pip that `python -m pip` imports: the first pip metadata on sys.path."""
    import os

    for path in paths:
        try:
            names = os.listdir(path)
        except (OSError, TypeError):
            continue
        if "pip" not in names:
            continue
        for name in names:
            if name.startswith("pip-") and name.endswith((".dist-info", ".egg-info")):
                return name[4:].rsplit(".", 1)[0].split("-py")[0]
    return None


def watched_paths(stdlib, wheel_pkg_dir):
    """Paths whose change (modification time) can change these facts, for envwizard's cache.

    Installing or removing pip changes its site-packages directory; removing ensurepip or
    adding EXTERNALLY-MANAGED changes the stdlib directory; a new user site appears in its
    parents.
    """
    import os

    paths = [
        stdlib,
        os.path.join(stdlib, "ensurepip"),
        os.path.join(stdlib, "ensurepip", "_bundled"),
        os.path.join(sys.prefix, "pyvenv.cfg"),
    ]
    if wheel_pkg_dir:
        paths.append(wheel_pkg_dir)
    paths += [p for p in sys.path if p]
    try:
        import site

        user = site.getusersitepackages()
        paths += [user, os.path.dirname(user), os.path.dirname(os.path.dirname(user))]
    except Exception:
        pass
    return paths


def facts():
    import os
    import platform
    import struct

    base = getattr(sys, "base_prefix", getattr(sys, "real_prefix", sys.prefix))
    in_venv = sys.prefix != base or hasattr(sys, "real_prefix")
    stdlib, wheel_pkg_dir, free_threaded = None, None, False
    try:
        import sysconfig

        stdlib = sysconfig.get_path("stdlib")
        wheel_pkg_dir = sysconfig.get_config_var("WHEEL_PKG_DIR")
        free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    except ImportError:  # Python 2.6
        from distutils import sysconfig as dsc

        stdlib = dsc.get_python_lib(standard_lib=True)
    has_venv = os.path.isdir(os.path.join(stdlib, "venv")) or module_exists("venv")
    has_ensurepip = os.path.isfile(
        os.path.join(stdlib, "ensurepip", "__init__.py")
    ) or module_exists("ensurepip")
    return {
        "watch": watched_paths(stdlib, wheel_pkg_dir),
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "bits": struct.calcsize("P") * 8,
        "executable": sys.executable,
        "prefix": sys.prefix,
        "in_venv": in_venv,
        "has_venv": has_venv,
        "has_ensurepip": has_ensurepip,
        "ensurepip_pip": ensurepip_pip(stdlib, wheel_pkg_dir) if has_ensurepip else None,
        "pip": pip_version(sys.path),
        # pip ignores the marker inside a virtual environment (PEP 668).
        "externally_managed": (not in_venv)
        and os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
        "conda_base": os.path.isdir(os.path.join(sys.prefix, "conda-meta"))
        and os.path.isdir(os.path.join(sys.prefix, "condabin")),
        "free_threaded": free_threaded,
    }


def main():
    # `-c` puts the working directory first on sys.path; a stray json.py there must not win.
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    import json

    sys.stdout.write(MARK + json.dumps(facts()) + "\n")


if __name__ == "__main__":
    main()
