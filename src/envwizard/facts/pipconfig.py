"""pip's own configuration, read the way pip reads it, so another installer can be told the same.

When envwizard fills an environment with uv instead of pip, the result must be what pip would
have installed: the same index, extra indexes, wheel folders and constraints. uv does not read
pip's files, so they are read here — `pip config list` semantics — and handed over explicitly.

Order (each later source replaces a key of an earlier one, as in pip): the global files
(`$XDG_CONFIG_DIRS/pip/pip.conf`, then `/etc/pip.conf`), the user files (`~/.pip/pip.conf`,
then `~/.config/pip/pip.conf`; skipped when PIP_CONFIG_FILE names an existing file), the file
in PIP_CONFIG_FILE, then `PIP_*` variables. Within those, `[install]` overrides `[global]`.
PIP_CONFIG_FILE set to the null device turns all files off. The environment's own (site) file
is not read: a new environment has none until envwizard writes its pin there.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LISTS = ("extra-index-url", "find-links", "constraint", "trusted-host")
"""Options pip accepts many times; a config value holds them separated by white space."""
TRANSLATED = ("index-url", "no-index", "cert", "timeout", *LISTS)
"""What envwizard passes on to uv."""
NO_EFFECT = frozenset([
    "disable-pip-version-check", "no-input", "progress-bar", "no-color", "quiet", "verbose",
    "log", "cache-dir", "no-cache-dir", "retries", "require-virtualenv", "root-user-action",
    "format", "default-timeout", "python", "keyring-provider", "isolated", "exists-action",
])  # fmt: skip
"""Settings that do not change which files get installed (or that envwizard overrides)."""


@dataclass
class PipConfig:
    """The settings pip would use for `pip install`, and where they came from."""

    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    find_links: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    no_index: bool = False
    trusted_hosts: list[str] = field(default_factory=list)
    cert: str | None = None
    timeout: str | None = None
    untranslated: list[str] = field(default_factory=list)
    """Other settings that change what pip installs (`pre`, `only-binary`, a proxy, …)."""
    files: list[str] = field(default_factory=list)
    """The configuration files that exist and were read, in pip's order."""
    variables: list[str] = field(default_factory=list)
    """The PIP_* variables that set something."""
    errors: list[str] = field(default_factory=list)
    """Files pip would refuse to read (pip itself stops with an error on those)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipConfig:
        """Back from facts JSON; unknown or mistyped values are dropped, never trusted."""

        def strs(key: str) -> list[str]:
            value = data.get(key)
            return [str(v) for v in value] if isinstance(value, list) else []

        def opt(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        return cls(
            index_url=opt("index_url"),
            extra_index_urls=strs("extra_index_urls"),
            find_links=strs("find_links"),
            constraints=strs("constraints"),
            no_index=data.get("no_index") is True,
            trusted_hosts=strs("trusted_hosts"),
            cert=opt("cert"),
            timeout=opt("timeout"),
            untranslated=strs("untranslated"),
            files=strs("files"),
            variables=strs("variables"),
            errors=strs("errors"),
        )


def config_files(environ: Mapping[str, str], home: str) -> tuple[list[str], list[str], str | None]:
    """(global files, user files, PIP_CONFIG_FILE) where this platform's pip looks."""
    name = "pip.ini" if os.name == "nt" else "pip.conf"
    if sys.platform == "win32":
        program_data = (
            environ.get("ALLUSERSPROFILE") or environ.get("PROGRAMDATA") or r"C:\ProgramData"
        )
        glob = [os.path.join(program_data, "pip", name)]
        appdata = environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming")
        user = [os.path.join(home, "pip", name), os.path.join(appdata, "pip", name)]
    elif sys.platform == "darwin":
        glob = [os.path.join("/Library/Application Support/pip", name)]
        support = os.path.join(home, "Library", "Application Support", "pip")
        new = support if os.path.isdir(support) else os.path.join(home, ".config", "pip")
        user = [os.path.join(home, ".pip", name), os.path.join(new, name)]
    else:
        dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
        glob = [os.path.join(d, "pip", name) for d in dirs.split(os.pathsep) if d]
        glob.append(os.path.join("/etc", name))
        config_home = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        user = [os.path.join(home, ".pip", name), os.path.join(config_home, "pip", name)]
    return glob, user, environ.get("PIP_CONFIG_FILE")


def read_pip_config(environ: Mapping[str, str] | None = None, home: str | None = None) -> PipConfig:
    """What `pip install` would be configured with here (files and PIP_* variables)."""
    env = os.environ if environ is None else environ
    home = home or os.path.expanduser("~")
    glob, user, env_file = config_files(env, home)
    files: list[str] = []
    if env_file != os.devnull:
        files += glob
        if not (env_file and os.path.exists(env_file)):
            files += user
        if env_file:
            files.append(env_file)
    # Each file in turn replaces keys of the ones before: pip merges "section.key" dicts.
    merged: dict[str, str] = {}
    read: list[str] = []
    errors: list[str] = []
    for path in files:
        if not os.path.isfile(path):
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError) as e:
            errors.append(f"{path} cannot be read as pip reads it: {e}")
            continue
        read.append(path)
        for section in parser.sections():
            for key, value in parser.items(section):
                merged[f"{section}.{_normal(key)}"] = value
    variables = []
    for key, value in env.items():
        if key.startswith("PIP_") and key != "PIP_CONFIG_FILE" and value:
            merged[f":env:.{_normal(key[4:])}"] = value
            variables.append(key)
    # Then the command's view: [global], overridden by [install], overridden by variables.
    options: dict[str, str] = {}
    for section in ("global", "install", ":env:"):
        for key, value in merged.items():
            sec, _, name = key.partition(".")
            if sec == section and value:
                options[name] = value
    cfg = PipConfig(files=read, variables=sorted(variables), errors=errors)
    cfg.index_url = options.get("index-url")
    cfg.extra_index_urls = options.get("extra-index-url", "").split()
    cfg.find_links = options.get("find-links", "").split()
    cfg.constraints = options.get("constraint", "").split()
    cfg.trusted_hosts = options.get("trusted-host", "").split()
    cfg.no_index = _true(options.get("no-index", ""))
    cfg.cert = options.get("cert")
    cfg.timeout = options.get("timeout") or options.get("default-timeout")
    cfg.untranslated = sorted(k for k in options if k not in TRANSLATED and k not in NO_EFFECT)
    return cfg


def _normal(name: str) -> str:
    """pip's key normalisation: `PIP_EXTRA_INDEX_URL` and `extra_index_url` mean extra-index-url."""
    name = name.lower().replace("_", "-")
    return name[2:] if name.startswith("--") else name


def _true(value: str) -> bool:
    return value.strip().lower() in ("y", "yes", "t", "true", "on", "1")
