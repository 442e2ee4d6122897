"""Run inside an interpreter to describe it: `python -E -s -S -c <this file's text>`.

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


def ensurepip_pip(stdlib):
    """(version, WHEEL_PKG_DIR): the pip that `python -m venv` would seed, as ensurepip.version()
    reports it, and the distribution's wheel folder when that is where it was found.

    Upstream CPython bundles the wheel in ensurepip/_bundled; distributions that leave that
    empty (Fedora, Debian) point WHEEL_PKG_DIR at their own wheels, which needs sysconfig, so
    it is read only then. Importing ensurepip is the slow last resort.
    """
    import os

    version = wheel_version(os.path.join(stdlib, "ensurepip", "_bundled"), "pip")
    if version:
        return version, None
    wheel_pkg_dir = None
    try:
        import sysconfig

        wheel_pkg_dir = sysconfig.get_config_var("WHEEL_PKG_DIR")
    except ImportError:
        pass
    version = wheel_version(wheel_pkg_dir, "pip") if wheel_pkg_dir else None
    if version:
        return version, wheel_pkg_dir
    try:
        import ensurepip

        return ensurepip.version(), wheel_pkg_dir
    except Exception:
        return None, wheel_pkg_dir


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


def venv_config():
    """(prefix, include-system-site-packages) of the venv this interpreter belongs to, or None.

    Python 3.11+ knows at start-up; older ones learn it in `site`, which -S skips.
    """
    import os

    exe_dir = os.path.dirname(os.path.abspath(sys.executable))
    for directory in (exe_dir, os.path.dirname(exe_dir)):
        conf = os.path.join(directory, "pyvenv.cfg")
        if not os.path.isfile(conf):
            continue
        system_site = False
        try:
            with open(conf) as f:
                for line in f:
                    key, sep, value = line.partition("=")
                    if sep and key.strip().lower() == "include-system-site-packages":
                        system_site = value.strip().lower() == "true"
        except (IOError, OSError):  # distinct classes on Python 2
            pass
        return directory, system_site
    return None


def site_dirs():
    """The site-packages directories `site` would put on sys.path (without running it).

    Also sets sys.prefix to the venv's on Pythons that would have learnt it in `site`.
    """
    prefixes = [sys.prefix]
    conf = venv_config()
    if conf:
        prefix, system_site = conf
        base = getattr(sys, "base_prefix", sys.prefix)
        sys.prefix = sys.exec_prefix = prefix
        prefixes = [prefix] + ([base] if system_site and base != prefix else [])
    try:
        import site

        return list(site.getsitepackages(prefixes))  # Debian's own layout included
    except (ImportError, AttributeError, TypeError):
        pass
    dirs = []
    try:
        import sysconfig

        for prefix in prefixes:
            paths = sysconfig.get_paths(vars={"base": prefix, "platbase": prefix})
            dirs += [paths["purelib"], paths["platlib"]]
    except (ImportError, KeyError):
        pass
    return dirs


def user_site(in_venv):
    """The user site-packages directory that `python -m pip` would see, if any."""
    conf = venv_config()
    if in_venv and not (conf and conf[1]):
        return None
    try:
        import site

        return site.getusersitepackages()
    except Exception:
        return None


def watched_paths(stdlib, wheel_pkg_dir, sites):
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
    paths += sites
    try:
        import site

        user = site.getusersitepackages()
        paths += [user, os.path.dirname(user), os.path.dirname(os.path.dirname(user))]
    except Exception:
        pass
    return paths


def python_version():
    """What platform.python_version() says ('3.13.0rc1'), without importing platform and re."""
    return sys.version.split()[0]


def implementation():
    """What platform.python_implementation() says ('CPython', 'PyPy')."""
    impl = getattr(sys, "implementation", None)
    if impl is None:  # Python 2
        import platform

        return platform.python_implementation()
    return {"cpython": "CPython", "pypy": "PyPy", "ironpython": "IronPython"}.get(
        impl.name, impl.name
    )


def facts():
    # type: () -> dict
    import os
    import struct

    sites = site_dirs()  # first: it may correct sys.prefix
    base = getattr(sys, "base_prefix", getattr(sys, "real_prefix", sys.prefix))
    in_venv = sys.prefix != base or hasattr(sys, "real_prefix")
    user = user_site(in_venv)
    # The directory of os.py is the standard library (sysconfig would cost a `threading` import).
    stdlib = os.path.dirname(os.path.abspath(os.__file__))
    free_threaded = "t" in getattr(sys, "abiflags", "")
    if os.name == "nt" and hasattr(sys, "_is_gil_enabled"):  # no abiflags on Windows
        import sysconfig

        free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    has_venv = os.path.isdir(os.path.join(stdlib, "venv")) or module_exists("venv")
    has_ensurepip = os.path.isfile(
        os.path.join(stdlib, "ensurepip", "__init__.py")
    ) or module_exists("ensurepip")
    bundled_pip, wheel_pkg_dir = ensurepip_pip(stdlib) if has_ensurepip else (None, None)
    return {
        "watch": watched_paths(stdlib, wheel_pkg_dir, sites),
        "version": python_version(),
        "implementation": implementation(),
        "bits": struct.calcsize("P") * 8,
        "executable": sys.executable,
        "prefix": sys.prefix,
        "in_venv": in_venv,
        "has_venv": has_venv,
        "has_ensurepip": has_ensurepip,
        "ensurepip_pip": bundled_pip,
        "pip": pip_version(sys.path + ([user] if user else []) + sites),
        # pip ignores the marker inside a virtual environment (PEP 668).
        "externally_managed": (not in_venv)
        and os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
        "conda_base": os.path.isdir(os.path.join(sys.prefix, "conda-meta"))
        and os.path.isdir(os.path.join(sys.prefix, "condabin")),
        "free_threaded": free_threaded,
    }


def to_json(value):
    """JSON text of the report (str, bool, int, None, lists, dicts), ASCII only.

    Written out here because `import json` (and the `re` it pulls in) costs more than the rest
    of this script, and the probe starts every interpreter on the machine.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict):
        return "{" + ",".join(to_json(str(k)) + ":" + to_json(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    if not isinstance(value, type("")):  # bytes paths on Python 2
        value = value.decode("utf-8", "replace")
    out = []
    for ch in value:
        code = ord(ch)
        if ch in '\\"':
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code > 0xFFFF:  # a narrow build never gets here; a wide one needs a surrogate pair
            code -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
        else:
            out.append("\\u%04x" % code)
    return '"' + "".join(out) + '"'


def main():
    # `-c` puts the working directory first on sys.path; nothing is imported from there.
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    sys.stdout.write(MARK + to_json(facts()) + "\n")


if __name__ == "__main__":
    main()
