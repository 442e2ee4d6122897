"""Checks made before anything changes on disk: space, permissions, tools, interpreter, network.

Each problem is a sentence that says what to do. Errors stop the run before it creates
anything (exit 2); warnings are shown and the run goes on.
"""

from __future__ import annotations

import base64
import configparser
import os
import shutil
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envwizard.core.i18n import _, join
from envwizard.core.notes import Note, NoteCode
from envwizard.core.redact import redact_text, split_credentials
from envwizard.facts.pipconfig import read_pip_config
from envwizard.plan.build import Plan
from envwizard.plan.steps import CreateEnv, Install, Installer, Step
from envwizard.run.childenv import child_env, leaking
from envwizard.run.target import Start
from envwizard.settings.answers import Answers

NET_TIMEOUT = 5.0


@dataclass
class Preflight:
    errors: list[str] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def run_preflight(
    plan: Plan, answers: Answers, start: Start, *, network: bool = True, wizard: bool = False
) -> Preflight:
    """`wizard`: remedies name the wizard's controls ("Take torch from"), not the answers keys."""
    leaks = [Note(NoteCode.SHELL_VARIABLE, text) for text in leaking()]
    pf = Preflight(warnings=[*plan.warnings, *leaks])
    env = Path(plan.env_path)
    anchor = _existing_ancestor(env)
    if anchor is None or not os.access(anchor, os.W_OK | os.X_OK):
        pf.errors.append(
            _("cannot create {env}: {folder} is not writable by you").format(
                env=env, folder=anchor or env.anchor
            )
        )
    elif not _installs_done(plan, start):
        free_mib = shutil.disk_usage(anchor).free // 2**20
        need = plan.estimate_mib
        if free_mib < need:
            pf.errors.append(
                _(
                    "not enough disk space: {free:.1f} GiB free at {folder}, a {variant} environment "
                    "needs about {need:.1f} GiB; free some space or choose another env path"
                ).format(
                    free=free_mib / 1024,
                    folder=anchor,
                    variant=plan.decision.variant,
                    need=need / 1024,
                )
            )
        elif free_mib < need * 1.5:
            pf.warnings.append(
                Note(
                    NoteCode.DISK_TIGHT,
                    _(
                        "disk space is tight: {free:.1f} GiB free, about {need:.1f} GiB needed"
                    ).format(free=free_mib / 1024, need=need / 1024),
                )
            )
    pf.errors += _tools(plan, start)
    pf.errors += _pip_config_loads(plan, start)
    pf.errors += _interpreter(plan, start)
    pf.errors += _local_links(answers)
    if network and not answers.offline:
        pf.errors += _reachable(plan, answers, start, wizard)
    return pf


def _existing_ancestor(path: Path) -> Path | None:
    for p in [path, *path.parents]:
        if p.exists():
            return p if p.is_dir() else None
    return None


def _installs_done(plan: Plan, start: Start) -> bool:
    return all(s.id in start.skip for s in plan.steps if s.kind.defines_env)


def _pending(plan: Plan, start: Start) -> list[Step]:
    return [s for s in plan.steps if s.id not in start.skip]


def _tools(plan: Plan, start: Start) -> list[str]:
    """The first word of every pending command must exist (except the env's own Python)."""
    problems = []
    seen = set()
    for s in _pending(plan, start):
        exe = s.spec.program
        if exe == plan.env_python or exe in seen:
            continue
        seen.add(exe)
        if shutil.which(exe) is None and not os.path.isfile(exe):
            problems.append(
                _("{exe} was not found (needed for step {step}); {how}").format(
                    exe=exe, step=s.id, how=_how_to_get(exe)
                )
            )
    return problems


def _pip_config_loads(plan: Plan, start: Start) -> list[str]:
    """pip refuses to run when a configuration file of its cannot be parsed: say so before the
    environment is made, not when its first install fails."""
    pip = Installer.PIP
    if not any(
        isinstance(s.spec, Install) and s.spec.installer is pip for s in _pending(plan, start)
    ):
        return []
    return [
        _(
            "pip cannot load its configuration ({error}), so every pip install of this run would "
            "fail; fix or move that file, or set PIP_CONFIG_FILE to another"
        ).format(error=error)
        for error in read_pip_config(child_env()).errors
    ]


def _how_to_get(exe: str) -> str:
    name = os.path.basename(exe).lower()
    if name.startswith("uv"):
        return _(
            "install uv (pip install uv, or its standalone installer) or choose another manager"
        )
    if name.startswith("virtualenv"):
        return _("install virtualenv (pip install virtualenv), or choose manager: venv or uv")
    if name.startswith(("conda", "mamba", "micromamba")):
        return _("install Miniforge or micromamba, or choose manager: venv, virtualenv or uv")
    if name.startswith("python"):
        return _("install that Python, or set python: to one envwizard probe lists")
    return _("install it or adjust the answers")


def _interpreter(plan: Plan, start: Start) -> list[str]:
    """The Python that will create a venv/virtualenv environment must start."""
    create = next((s.spec for s in _pending(plan, start) if isinstance(s.spec, CreateEnv)), None)
    py = create.interpreter if create is not None else None
    if py is None:
        return []
    if create is not None and create.manager == "virtualenv" and os.path.sep not in py:
        return []  # a version request: virtualenv finds it, and says so if it cannot
    if shutil.which(py) is None and not os.path.isfile(py):
        return []  # reported by _tools
    try:
        r = subprocess.run(
            [py, "-c", "import sys; print(sys.version_info[0])"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=20,
            env=child_env(),
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return [_("python {python} does not start ({error})").format(python=py, error=e)]
    if r.returncode != 0:
        lines = (r.stderr or r.stdout).strip().splitlines()
        last = lines[-1].strip() if lines else _("exit code {code}").format(code=r.returncode)
        return [_("python {python} does not start: {error}").format(python=py, error=last)]
    return []


def _local_links(answers: Answers) -> list[str]:
    return [
        _("find_links: {path} does not exist").format(path=f)
        for f in answers.find_links
        if "://" not in f and not os.path.exists(f)
    ]


def _reachable(plan: Plan, answers: Answers, start: Start, wizard: bool = False) -> list[str]:
    urls: list[str] = []
    for s in _pending(plan, start):
        spec = s.spec
        if not isinstance(spec, Install) or spec.installer is Installer.CONDA:
            continue
        urls += spec.sources.urls()
        if not spec.sources.index_url and not spec.sources.no_index:
            urls += configured_indexes(spec.installer.value)
    urls = list(dict.fromkeys(u for u in urls if u.startswith(("http://", "https://"))))
    if not urls:
        return []
    pool = ThreadPoolExecutor(max_workers=min(8, len(urls)))
    try:
        results = list(pool.map(_probe_url, urls))
    finally:
        # A cancel (Ctrl+C, SIGTERM) must not wait for a probe that hangs.
        pool.shutdown(wait=False, cancel_futures=True)
    problems = []
    for url, why in zip(urls, results):
        if why:
            problems.append(
                (
                    _(
                        "cannot reach {url} ({why}). If it is blocked or slow here, go back to the "
                        "PyTorch build screen and set “Take torch from” to your installer's "
                        "configured index or a mirror of PyTorch's index, fill in “Index for other "
                        "packages”, or give “Wheel folders (offline)”"
                    )
                    if wizard
                    else _(
                        "cannot reach {url} ({why}). If it is blocked or slow here, set torch_index: default "
                        "(your installer's configured index) or a mirror of PyTorch's index, index_url for other "
                        "packages, or find_links with a folder of wheels"
                    )
                ).format(url=redact_text(url), why=redact_text(why))
                + _mirror_offer(url, plan, wizard)
            )
    return problems


def configured_indexes(installer: str, environ: dict[str, str] | None = None) -> list[str]:
    """The indexes an installer would use on its own: its environment variables, then pip's
    configuration files (uv ignores those; its own `uv.toml` is read for `index-url`)."""
    env = os.environ if environ is None else environ
    found: list[str] = []
    if installer == "uv":
        for key in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL"):
            found += env.get(key, "").split()
        found += _uv_config_indexes(env)
        return [u.split("=", 1)[1] if "=" in u.split("://", 1)[0] else u for u in found]
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        found += env.get(key, "").split()
    if "PIP_INDEX_URL" not in env:
        found += _pip_config_indexes(env)
    return found


def _pip_config_indexes(env: dict[str, str] | os._Environ[str]) -> list[str]:
    """index-url and extra-index-url from pip's global and user files (later files win)."""
    home = os.path.expanduser("~")
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = ["/etc/pip.conf", "/etc/xdg/pip/pip.conf"] if sys.platform != "win32" else []
    files += [os.path.join(home, ".pip", "pip.conf"), os.path.join(xdg, "pip", "pip.conf")]
    index: str | None = None
    extra: list[str] = []
    for path in files:
        cfg = configparser.RawConfigParser()
        try:
            if not cfg.read(path, encoding="utf-8"):
                continue
        except (OSError, configparser.Error, UnicodeDecodeError):
            continue
        for section in ("global", "install"):
            if cfg.has_option(section, "index-url"):
                index = cfg.get(section, "index-url").strip()
            if cfg.has_option(section, "extra-index-url"):
                extra += cfg.get(section, "extra-index-url").split()
    return ([index] if index else []) + extra


def _uv_config_indexes(env: dict[str, str] | os._Environ[str]) -> list[str]:
    if env.get("UV_NO_CONFIG"):
        return []
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    path = env.get("UV_CONFIG_FILE") or os.path.join(xdg, "uv", "uv.toml")
    try:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, ValueError):
        return []
    out: list[str] = []
    pip = data.get("pip")
    tables: list[dict[str, Any]] = [data, pip] if isinstance(pip, dict) else [data]
    for table in tables:
        if isinstance(table.get("index-url"), str):
            out.append(table["index-url"])
        extra = table.get("extra-index-url")
        if isinstance(extra, list):
            out += [u for u in extra if isinstance(u, str)]
    for idx in data.get("index") or []:
        if isinstance(idx, dict) and isinstance(idx.get("url"), str):
            out.append(idx["url"])
    return out


def _mirror_offer(url: str, plan: Plan, wizard: bool) -> str:
    """The mirror presets that answer here, for an official index that does not."""
    from envwizard.knowledge.mirrors import Kind, presets
    from envwizard.plan.route import answering

    if any(url.startswith(p.url.split("{")[0]) for p in presets()):
        return ""  # a mirror itself failed: measuring the others is `mirror: auto`'s job
    torch = url == plan.decision.index_url
    found = answering(Kind.TORCH_INDEX if torch else Kind.PYPI, variant=plan.decision.variant)
    if not found:
        return ""
    listed = join(f"{p.name} ({round((p.seconds or 0) * 1000)} ms)" for p in found[:4])
    offer = (
        _(
            "These mirrors answered here: {mirrors}; choose one under “Mirror preset” on the "
            "PyTorch build screen, or auto."
        )
        if wizard
        else _(
            "These mirrors answered here: {mirrors}; set mirror: NAME in the answers, or mirror: auto."
        )
    )
    return " " + offer.format(mirrors=listed)


def _probe_url(url: str) -> str | None:
    """None when the index answers; else a short reason (proxies and CA bundles from the env).

    Credentials in the URL (`https://user:token@host/simple`) are sent as HTTP basic auth, the
    way pip sends them, and never appear in the reason.
    """
    cafile = next(
        (
            os.environ[k]
            for k in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
            if os.environ.get(k)
        ),
        None,
    )
    try:
        bare, user, password = split_credentials(url)
        headers = {"User-Agent": "envwizard"}
        if user is not None or password is not None:
            token = f"{user or ''}:{password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        ctx = (
            ssl.create_default_context(cafile=cafile) if cafile and os.path.isfile(cafile) else None
        )
        req = urllib.request.Request(bare.rstrip("/") + "/", method="GET", headers=headers)
        with urllib.request.urlopen(req, timeout=NET_TIMEOUT, context=ctx) as r:
            r.read(1)
        return None
    except urllib.error.HTTPError as e:
        return None if e.code < 500 else f"HTTP {e.code}"
    except urllib.error.URLError as e:
        return redact_text(str(e.reason))[:120]
    except (OSError, ValueError) as e:
        return redact_text(str(e))[:120] or type(e).__name__
