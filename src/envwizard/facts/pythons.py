"""Every Python interpreter on the machine, and what each one can do.

Found in the places people keep them: the running one, `python3.X` on PATH, pyenv's versions
(read directly: its shims are slow bash scripts), conda's base, and uv-managed installs.
Each is run once with a tiny script (inspect_script.py) under a timeout; an interpreter
that is broken, too old or hangs gets `error` set instead of stopping the probe.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import Any

from envwizard.facts import inspect_script
from envwizard.facts.found import Found, parallel_map
from envwizard.facts.interpreter_cache import InterpreterCache, cache_dir
from envwizard.facts.model import PythonInfo
from envwizard.facts.subproc import ProbeError, first_line, run

_NAME = re.compile(r"^python(\d+(\.\d+)?)?(\.exe)?$", re.IGNORECASE)
_VERSION_IN_PATH = re.compile(r"(?<![\d.])([23])\.(\d{1,2})(?:\.(\d{1,2}))?(?![\d])")
CONDA_DIRS = (
    "miniforge3",
    "miniconda3",
    "anaconda3",
    "mambaforge",
    "micromamba",
    ".conda",
)
"""Where conda-like installers put their base, relative to home (and to /opt)."""

MACOS_STUBS = (
    {
        "/usr/bin/python3": (
            "/Library/Developer/CommandLineTools/usr/bin/python3",
            "/Applications/Xcode.app/Contents/Developer/usr/bin/python3",
        )
    }
    if sys.platform == "darwin"
    else {}
)
"""macOS's /usr/bin/python3 is a stub: without the Command Line Tools, running it opens an
install dialog. The interpreters it would start are inspected directly instead."""

_SCRIPT: str | None = None


def inspect_source() -> str:
    """The inspect script's text, passed with `-c` so nothing is written to disk."""
    global _SCRIPT
    if _SCRIPT is None:
        with open(inspect_script.__file__, encoding="utf-8") as f:
            _SCRIPT = f.read()
    return _SCRIPT


def guess_version(path: str) -> str:
    """A version for an interpreter that would not say, from its path (python3.12, 3.11.7/bin).

    The facts schema needs a version on every interpreter; "0.0" marks one we cannot tell.
    """
    m = _VERSION_IN_PATH.search(path)
    if not m:
        return "0.0"
    return ".".join(g for g in m.groups() if g is not None)


def from_report(data: dict[str, Any], path: str, origin: str) -> PythonInfo:
    """A PythonInfo from the inspect script's JSON."""
    return PythonInfo(
        version=str(data["version"]),
        executable=path,
        origin=origin,
        bits=data.get("bits"),
        implementation=data.get("implementation"),
        has_venv=data.get("has_venv"),
        has_ensurepip=data.get("has_ensurepip"),
        ensurepip_pip=data.get("ensurepip_pip"),
        pip=data.get("pip"),
        externally_managed=data.get("externally_managed"),
        in_venv=data.get("in_venv"),
        conda_base=data.get("conda_base"),
        free_threaded=data.get("free_threaded"),
    )


def parse_report(stdout: str) -> dict[str, Any] | None:
    """The inspect script's JSON line; anything a sitecustomize printed around it is ignored."""
    import json

    for line in reversed(stdout.splitlines()):
        if line.startswith(inspect_script.MARK):
            try:
                data = json.loads(line[len(inspect_script.MARK) :])
            except ValueError:
                return None
            return data if isinstance(data, dict) and "version" in data else None
    return None


def run_inspect(path: str, timeout: float) -> dict[str, Any]:
    """The inspect script's report from `path`; ProbeError says why there is none."""
    if not os.path.isfile(path):
        raise ProbeError("no such file")
    if not os.access(path, os.X_OK):
        raise ProbeError("not executable")
    # The cheapest start that cannot be redirected (what -I -S does, in flags Python 2 knows):
    # -E ignores PYTHONPATH and friends, -s the user site, -S skips `site` and every .pth file
    # it would run; the script finds the site-packages directories itself.
    proc = run([path, "-E", "-s", "-S", "-c", inspect_source()], timeout, check=False)
    data = parse_report(proc.stdout)
    if data is None:
        detail = _last_line(proc.stderr) or first_line(proc.stdout) or "no output"
        raise ProbeError(f"exited with {proc.returncode}: {detail}")
    return data


def inspect_interpreter(
    path: str, origin: str, timeout: float = 5.0, cache: InterpreterCache | None = None
) -> PythonInfo:
    """Describe the interpreter at `path`. Never raises: a broken one gets `error` set."""
    report = cache.get(path) if cache else None
    try:
        if report is None:
            report = run_inspect(path, timeout)
            if cache:
                cache.put(path, report)
        return from_report(report, path, origin)
    except (ProbeError, TypeError, ValueError, KeyError) as e:
        return _broken(path, origin, e)


def _broken(path: str, origin: str, e: Exception) -> PythonInfo:
    return PythonInfo(
        version=guess_version(path), executable=path, origin=origin, error=str(e) or "failed"
    )


def _from_cache(report: dict[str, Any], path: str, origin: str) -> PythonInfo:
    try:
        return from_report(report, path, origin)
    except (TypeError, ValueError, KeyError) as e:
        return _broken(path, origin, e)


def current_interpreter() -> PythonInfo:
    """The interpreter running envwizard, described in-process (no subprocess needed)."""
    return from_report(inspect_script.facts(), sys.executable, "current")


def candidates(env: Mapping[str, str], home: str) -> list[tuple[str, str]]:
    """(path, origin) for every interpreter worth inspecting, in the order people expect."""
    found: list[tuple[str, str]] = []
    windows = os.name == "nt"
    for d in env.get("PATH", "").split(os.pathsep):
        if not d or _is_shim_dir(d):
            continue
        try:
            # Only python-like names: /usr/bin alone holds a thousand others (every probe).
            names = sorted(name for name in os.listdir(d) if _NAME.match(name))
        except OSError:
            continue
        for name in names:
            path = os.path.join(d, name)
            if path in MACOS_STUBS:
                found += [(p, "PATH") for p in MACOS_STUBS[path] if os.path.isfile(p)]
            elif os.path.isfile(path) and not _is_script(path):
                found.append((path, "PATH"))
    pyenv = env.get("PYENV_ROOT") or os.path.join(home, ".pyenv")
    installs = (
        ("pyenv", _subdirs(os.path.join(pyenv, "versions"))),
        ("conda", conda_bases(env, home)),
        ("uv", _subdirs(uv_python_dir(env, home))),
    )
    for origin, prefixes in installs:
        for prefix in prefixes:
            exe = _interpreter_in(prefix, windows)
            if exe:
                found.append((exe, origin))
    return found


def _interpreter_in(prefix: str, windows: bool) -> str | None:
    """The interpreter of an installation prefix (a pyenv version, a conda base, a uv install)."""
    names = (
        ["python.exe"]
        if windows
        else [os.path.join("bin", "python3"), os.path.join("bin", "python")]
    )
    return _first_file([os.path.join(prefix, name) for name in names])


def conda_bases(env: Mapping[str, str], home: str) -> list[str]:
    """conda/mamba base prefixes: the one the shell hook names, then the usual install dirs."""
    bases = []
    for var in ("CONDA_EXE", "MAMBA_EXE"):
        exe = env.get(var)
        if exe:
            # <base>/bin/conda, <base>/condabin/conda, <base>\Scripts\conda.exe
            bases.append(os.path.dirname(os.path.dirname(exe)))
    if env.get("MAMBA_ROOT_PREFIX"):
        bases.append(env["MAMBA_ROOT_PREFIX"])
    for name in CONDA_DIRS:
        bases.append(os.path.join(home, name))
        if os.name != "nt":
            bases.append(os.path.join("/opt", name))
    bases.append("/opt/conda")
    out = []
    for b in bases:
        if os.path.isdir(os.path.join(b, "conda-meta")) and b not in out:
            out.append(b)
    return out


def uv_python_dir(env: Mapping[str, str], home: str) -> str:
    """Where `uv python install` puts interpreters (what `uv python dir` prints)."""
    if env.get("UV_PYTHON_INSTALL_DIR"):
        return env["UV_PYTHON_INSTALL_DIR"]
    if os.name == "nt":
        return os.path.join(env.get("APPDATA", home), "uv", "python")
    data = env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return os.path.join(data, "uv", "python")


def identity(path: str) -> tuple[str, str | None]:
    """Two paths are the same interpreter when they resolve to one binary in one environment.

    A venv's bin/python is a symlink to its base interpreter, so the realpath alone would
    merge every venv into its base; the pyvenv.cfg beside it tells them apart.
    """
    absolute = os.path.abspath(path)
    bindir = os.path.dirname(absolute)
    venv = None
    for root in (os.path.dirname(bindir), bindir):
        if os.path.isfile(os.path.join(root, "pyvenv.cfg")):
            venv = root
            break
    return os.path.realpath(absolute), venv


def dedupe(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The first (path, origin) of each distinct interpreter."""
    seen: set[tuple[str, str | None]] = set()
    out = []
    for path, origin in found:
        key = identity(path)
        if key not in seen:
            seen.add(key)
            out.append((path, origin))
    return out


def probe_pythons(
    current: PythonInfo,
    timeout: float,
    env: Mapping[str, str] | None = None,
    home: str | None = None,
    use_cache: bool = True,
) -> Found[list[PythonInfo]]:
    """The current interpreter first, then every other one found, inspected concurrently."""
    env = os.environ if env is None else env
    home = home or os.path.expanduser("~")
    others = [
        (p, o)
        for p, o in dedupe([(current.executable, "current"), *candidates(env, home)])
        if o != "current"
    ]
    cache = InterpreterCache(cache_dir(env, home), inspect_source()) if use_cache else None
    # What the cache knows is described here; threads start only for the interpreters it does
    # not (a thread per interpreter cost more than the whole warm probe's own work).
    known = [cache.get(path) if cache else None for path, _ in others]
    todo = [(path, origin) for (path, origin), report in zip(others, known) if report is None]
    fresh = iter(parallel_map(lambda po: inspect_interpreter(po[0], po[1], timeout, cache), todo))
    infos = [
        next(fresh) if report is None else _from_cache(report, path, origin)
        for (path, origin), report in zip(others, known)
    ]
    if cache:
        cache.save()
    sources = {"pythons": "PATH, pyenv versions, conda bases, uv python dir; each run once"}
    return Found([current, *infos], sources=sources)


def _is_shim_dir(d: str) -> bool:
    norm = d.replace("\\", "/").rstrip("/").lower()
    return norm.endswith(("/shims", "/windowsapps"))


def _is_script(path: str) -> bool:
    """pyenv/asdf shims and wrappers are shell scripts; a real interpreter is a binary."""
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return True


def _subdirs(path: str) -> list[str]:
    """Entries of `path` in version order (3.9 before 3.10), hidden ones skipped."""
    try:
        names = sorted(os.listdir(path), key=_natural)
    except OSError:
        return []
    return [os.path.join(path, n) for n in names if not n.startswith(".")]


def _natural(name: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _first_file(paths: list[str]) -> str | None:
    return next((p for p in paths if os.path.isfile(p)), None)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""
