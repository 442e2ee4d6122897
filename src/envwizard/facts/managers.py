"""Environment managers and installers: conda, mamba, micromamba, virtualenv, uv, pip.

Speed matters (the probe runs at every wizard start), so nothing written in Python is started
when a file can answer: conda's version is in its own conda-meta record and its envs
directory in .condarc; virtualenv's and pip's versions are in the metadata beside the
interpreter their entry script names. The native tools (uv, micromamba, mamba 2) answer
`--version` in milliseconds, so those are asked.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping
from typing import Any

from envwizard.facts.found import Found, parallel_map
from envwizard.facts.model import Manager
from envwizard.facts.pythons import conda_bases
from envwizard.facts.subproc import ProbeError, read_text, run

_VERSION = re.compile(r"\d+(?:\.\d+)+(?:[.+-]?[A-Za-z0-9]+)*")
_SHEBANG_PY = re.compile(r"""^(?:#!\s*|'''exec'\s+"?)(/[^\s"]+?python[\d.]*(?:\.exe)?)\b""", re.M)


def parse_version_output(text: str) -> str | None:
    """The first dotted version in a tool's `--version` output.

    "uv 0.8.3 (7e78f54 2025-07-24)" -> "0.8.3"; "2.0.5" -> "2.0.5";
    "mamba 1.5.8\\nconda 24.1.2" -> "1.5.8"; "virtualenv 20.26.3 from /…" -> "20.26.3".
    """
    m = _VERSION.search(text)
    return m.group(0) if m else None


def parse_conda_info(data: Any) -> str | None:
    """The first envs directory from `conda info --json` or `micromamba/mamba info --json`.

    conda says `envs_dirs`; libmamba's tools print display names (`envs directories`).
    """
    if not isinstance(data, dict):
        return None
    for key in ("envs_dirs", "envs directories"):
        dirs = data.get(key)
        if isinstance(dirs, list) and dirs and isinstance(dirs[0], str):
            return dirs[0]
        if isinstance(dirs, str) and dirs:
            return dirs
    return None


def meta_version(prefix: str, package: str) -> str | None:
    """A package's version from the prefix's conda-meta record name (conda-24.7.1-py312_0.json)."""
    pattern = os.path.join(glob.escape(prefix), "conda-meta", f"{package}-[0-9]*.json")
    for path in sorted(glob.glob(pattern)):
        name = os.path.basename(path)[len(package) + 1 : -len(".json")]
        version = name.rsplit("-", 1)[0]
        if version:
            return version
    return None


def condarc_envs_dirs(text: str) -> list[str]:
    """`envs_dirs` of one .condarc (YAML); an unreadable file contributes nothing."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    dirs = data.get("envs_dirs") if isinstance(data, dict) else None
    return [d for d in dirs if isinstance(d, str)] if isinstance(dirs, list) else []


def condarc_files(base: str, env: Mapping[str, str], home: str) -> list[str]:
    """conda's configuration files, the one that wins first (conda's SEARCH_PATH, reversed)."""
    files = []
    if env.get("CONDARC"):
        files.append(env["CONDARC"])
    if env.get("CONDA_PREFIX"):
        files.append(os.path.join(env["CONDA_PREFIX"], ".condarc"))
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files += [
        os.path.join(home, ".condarc"),
        os.path.join(home, ".conda", "condarc"),
        os.path.join(home, ".conda", ".condarc"),
        os.path.join(xdg, "conda", "condarc"),
        os.path.join(xdg, "conda", ".condarc"),
        os.path.join(base, "condarc"),
        os.path.join(base, ".condarc"),
        "/etc/conda/condarc",
        "/etc/conda/.condarc",
    ]
    return files


def conda_envs_dir(base: str, env: Mapping[str, str], home: str) -> tuple[str, str]:
    """(envs directory, where that came from) as conda resolves `envs_dirs[0]`."""
    for var in ("CONDA_ENVS_DIRS", "CONDA_ENVS_PATH"):
        if env.get(var):
            first = env[var].split(os.pathsep)[0]
            return os.path.expanduser(first), f"${var}"
    for path in condarc_files(base, env, home):
        text = read_text(path)
        if text:
            dirs = condarc_envs_dirs(text)
            if dirs:
                return os.path.expanduser(os.path.expandvars(dirs[0])), path
    # conda's default: <base>/envs when the base is writable, else ~/.conda/envs.
    if os.access(base, os.W_OK):
        return os.path.join(base, "envs"), "conda's default (base is writable)"
    return os.path.join(home, ".conda", "envs"), "conda's default (base is read-only)"


def shebang_python(script: str) -> str | None:
    """The interpreter an entry script runs (`#!/…/python3`, or pip's long-path `'''exec'` form)."""
    head = read_text(script, limit=1024)
    if not head or not head.startswith("#!"):
        return None
    m = _SHEBANG_PY.search(head)
    return m.group(1) if m else None


def dist_version(script: str, project: str) -> str | None:
    """The installed version of `project` next to the interpreter its entry script uses.

    Reads `<project>-<version>.dist-info` (or .egg-info) in that prefix's site-packages, which
    is what `<script> --version` would report, without starting Python and importing it.
    """
    prefixes = [os.path.dirname(os.path.dirname(os.path.realpath(script)))]
    py = shebang_python(script)
    if py:
        prefixes.append(os.path.dirname(os.path.dirname(py)))
    for prefix in dict.fromkeys(prefixes):
        p = glob.escape(prefix)
        for pattern in (
            f"{p}/lib/python*/site-packages/{project}-[0-9]*.*-info",
            f"{p}/lib/python3/dist-packages/{project}-[0-9]*.*-info",
            f"{p}/lib/python*/dist-packages/{project}-[0-9]*.*-info",
            f"{p}/Lib/site-packages/{project}-[0-9]*.*-info",
        ):
            for path in sorted(glob.glob(pattern)):
                name = os.path.basename(path)[len(project) + 1 :]
                return name.rsplit(".", 1)[0].split("-py")[0]
    return None


def which(name: str, env: Mapping[str, str]) -> str | None:
    """`name` on PATH, skipping pyenv/asdf shim directories (slow wrappers, not the tool).

    Then beside envwizard's own interpreter: tools installed into the same environment as
    envwizard (`pip install envwizard uv`) count even when that environment is not activated.
    """
    dirs = [
        d
        for d in env.get("PATH", "").split(os.pathsep)
        if d and not d.replace("\\", "/").rstrip("/").endswith("/shims")
    ]
    dirs.append(os.path.dirname(sys.executable))
    return shutil.which(name, path=os.pathsep.join(dirs))


def _is_script(path: str) -> bool:
    head = read_text(path, limit=2)
    return head == "#!"


class _Probe:
    """Finds one manager; each method returns a Manager or None when the tool is absent."""

    def __init__(self, env: Mapping[str, str], home: str, timeout: float) -> None:
        self.env = env
        self.home = home
        self.timeout = timeout
        self.sources: dict[str, str] = {}

    def version_call(self, path: str) -> str | None:
        return parse_version_output(run([path, "--version"], self.timeout).stdout)

    def info_json(self, path: str) -> str | None:
        proc = run([path, "info", "--json"], self.timeout)
        try:
            return parse_conda_info(json.loads(proc.stdout))
        except ValueError:
            raise ProbeError(f"{os.path.basename(path)} info --json printed no JSON") from None

    def conda(self) -> Manager | None:
        path = which("conda", self.env) or self.env.get("CONDA_EXE")
        base = None
        if path:
            base = os.path.dirname(os.path.dirname(os.path.realpath(path)))
        else:
            for b in conda_bases(self.env, self.home):
                exe = os.path.join(b, "condabin", "conda")
                if os.path.isfile(exe):
                    path, base = exe, b
                    break
        if not path or not base:
            return None
        m = Manager("conda", path=path)
        m.version = meta_version(base, "conda")
        if m.version:
            self.sources["managers.conda.version"] = "conda-meta"
        else:
            m.version = self.version_call(path)
            self.sources["managers.conda.version"] = "conda --version"
        m.envs_dir, where = conda_envs_dir(base, self.env, self.home)
        self.sources["managers.conda.envs_dir"] = where
        return m

    def mamba(self) -> Manager | None:
        path = which("mamba", self.env)
        if not path:
            return None
        m = Manager("mamba", path=path)
        if _is_script(path):
            # mamba 1.x: a Python front end to conda, using conda's configuration.
            base = os.path.dirname(os.path.dirname(os.path.realpath(path)))
            m.version = meta_version(base, "mamba")
            m.envs_dir, where = conda_envs_dir(base, self.env, self.home)
            self.sources["managers.mamba.version"] = "conda-meta"
            self.sources["managers.mamba.envs_dir"] = where
            return m
        return self.native(m)

    def micromamba(self) -> Manager | None:
        path = which("micromamba", self.env)
        exe = self.env.get("MAMBA_EXE")
        if not path and exe and os.path.basename(exe).startswith("micromamba"):
            path = exe
        return self.native(Manager("micromamba", path=path)) if path else None

    def native(self, m: Manager) -> Manager:
        """mamba 2 / micromamba: the same C++ code base, fast to ask."""
        assert m.path
        m.version = self.version_call(m.path)
        self.sources[f"managers.{m.name}.version"] = f"{m.name} --version"
        try:
            m.envs_dir = self.info_json(m.path)
            self.sources[f"managers.{m.name}.envs_dir"] = f"{m.name} info --json"
        except ProbeError as e:
            m.error = f"envs directory unknown: {e}"
        return m

    def uv(self) -> Manager | None:
        path = which("uv", self.env)
        if not path:
            return None
        # uv installed with pip (as envwizard's own dependency) is a binary whose version is in
        # the dist-info of its prefix; a script named uv is something else, so ask it.
        version = None if _is_script(path) else dist_version(path, "uv")
        if version:
            self.sources["managers.uv.version"] = "dist-info beside its interpreter"
            return Manager("uv", path=path, version=version)
        self.sources["managers.uv.version"] = "uv --version"
        return Manager("uv", path=path, version=self.version_call(path))

    def python_tool(self, name: str) -> Manager | None:
        """virtualenv and pip: entry scripts whose version is in their dist-info."""
        path = which(name, self.env)
        if not path:
            return None
        version = dist_version(path, name)
        if version:
            self.sources[f"managers.{name}.version"] = "dist-info beside its interpreter"
        else:
            version = self.version_call(path)
            self.sources[f"managers.{name}.version"] = f"{name} --version"
        return Manager(name, path=path, version=version)


def probe_managers(
    timeout: float, env: Mapping[str, str] | None = None, home: str | None = None
) -> Found[dict[str, Manager]]:
    """Every manager found, each probed concurrently; one that fails keeps its `error`."""
    env = os.environ if env is None else env
    p = _Probe(env, home or os.path.expanduser("~"), timeout)
    probes: dict[str, Callable[[], Manager | None]] = {
        "conda": p.conda,
        "mamba": p.mamba,
        "micromamba": p.micromamba,
        "virtualenv": lambda: p.python_tool("virtualenv"),
        "uv": p.uv,
        "pip": lambda: p.python_tool("pip"),
    }

    def attempt(name: str) -> Manager | None:
        try:
            return probes[name]()
        except ProbeError as e:
            return Manager(name, path=which(name, env), error=str(e))

    results = dict(zip(probes, parallel_map(attempt, list(probes))))
    managers = {name: m for name, m in results.items() if m is not None}
    return Found(managers, sources=p.sources)
