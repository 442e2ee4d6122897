"""The environment variables a child installer sees.

A clean child cannot be redirected by the shell it was started from (PYTHONPATH, a user site,
PIP_TARGET, an activated venv) but still gets what the network needs: proxies and CA bundles
pass through untouched, as do the installers' own settings (PIP_INDEX_URL, PIP_FIND_LINKS,
PIP_CONSTRAINT, PIP_CONFIG_FILE, UV_INDEX_URL, …): they make `torch_index: default` mean "what
this machine is configured for", and a machine's policy constraint binds envwizard as it binds pip.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from envwizard.core.i18n import N_, _

DROP = (
    # Would make the child import or run the wrong code.
    "PYTHONHOME",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONEXECUTABLE",
    "__PYVENV_LAUNCHER__",
    # Would send installs somewhere other than the environment being built.
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_ROOT",
    "PIP_USER",
    "PIP_REQUIRE_VIRTUALENV",
    "VIRTUAL_ENV",
    "UV_PYTHON",
    "UV_SYSTEM_PYTHON",
    "UV_PROJECT_ENVIRONMENT",
    # Would replace our progress flags.
    "PIP_PROGRESS_BAR",
    # Would keep verify's first `import torch` from writing the bytecode of what it loads: the
    # installs no longer compile it, so every later start (read-only for others) would compile
    # torch again. pip's own install compiles everything whatever this says.
    "PYTHONDONTWRITEBYTECODE",
)
"""Variables removed from every child's environment."""

WARN = {
    "PYTHONHOME": N_("points Python at another installation"),
    "PYTHONPATH": N_("adds foreign modules to every Python"),
    "PIP_TARGET": N_("would install into another directory"),
    "PIP_PREFIX": N_("would install into another prefix"),
    "PIP_USER": N_("would install into your user site"),
    "PIP_CONSTRAINT": N_(
        "while it is set, pip inside the environment uses it instead of the environment's own torch pin"
    ),
    "PIP_CONFIG_FILE": N_(
        "while it is set, its constraint setting replaces the environment's own torch pin"
    ),
    "UV_PYTHON": N_("would point uv at another interpreter"),
    "VIRTUAL_ENV": N_("an activated environment that uv and pip would otherwise install into"),
    "PIP_REQUIRE_VIRTUALENV": N_("makes pip refuse to run outside an activated environment"),
}
"""Leaking variables worth a pre-flight warning, with why."""

SET = {
    "PYTHONNOUSERSITE": "1",
    "PYTHONUNBUFFERED": "1",
    "PYTHONIOENCODING": "utf-8",
    "PIP_NO_INPUT": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_COLOR": "1",
    "NO_COLOR": "1",
    "CONDA_ALWAYS_YES": "true",
}
"""Set for every child: no prompts (stdin is closed anyway), no colour codes, live output."""


def child_env(
    base: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment for one plan step."""
    env = dict(os.environ if base is None else base)
    for key in DROP:
        env.pop(key, None)
    env.update(SET)
    if extra:
        env.update(extra)
    return env


def leaking(base: Mapping[str, str] | None = None) -> list[str]:
    """Pre-flight warnings for variables set in the caller's shell that change what installs do."""
    env = os.environ if base is None else base
    return [
        _("{key} is set ({why}); envwizard removes it for its own commands").format(
            key=key, why=_(why)
        )
        if key in DROP
        else _("{key} is set: envwizard's installs follow it, as pip would; {why}").format(
            key=key, why=_(why)
        )
        for key, why in WARN.items()
        if env.get(key)
    ]
