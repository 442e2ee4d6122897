"""Which installer fills the environment (pip or uv), why, and uv's argv that installs what pip would.

uv installs the same wheels several times faster than pip, but it reads none of pip's
configuration: a machine whose pip is set up with a mirror, a wheel folder or a policy
constraint would get something else from a bare `uv pip install`. So with `installer: auto`
uv is used for venv, virtualenv and conda environments only when pip's configuration is known
(the probe read it) and every setting in it that changes what gets installed can be handed to
uv on its command line: the index, extra indexes, wheel folders, constraints, trusted hosts.
uv is also told to pick the best version across all indexes, as pip does, and to ignore its
own configuration files. Pure: everything comes from the facts and the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _, join
from envwizard.core.values import StrValue
from envwizard.facts.model import Facts
from envwizard.facts.pipconfig import PipConfig
from envwizard.settings.answers import Answers
from envwizard.settings.choices import InstallerWord, Manager


class Installer(StrValue):
    """Who runs the install steps."""

    PIP = "pip"
    UV = "uv"


@dataclass(frozen=True)
class InstallerChoice:
    """The installer of the plan's install steps, and the sentence that says why."""

    installer: Installer
    reason: str
    uv: str | None = None
    """uv's path, when uv installs."""
    pip_config: PipConfig | None = None
    """pip's configuration that uv is given (None when pip installs and reads it itself)."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.installer.value, "reason": self.reason}


def choose_installer(facts: Facts, answers: Answers) -> InstallerChoice:
    """pip or uv for this environment; InvalidInput when the answers ask for what cannot be."""
    uv = facts.managers.get("uv")
    uv_path = uv.path if uv and uv.path else None
    wanted = answers.installer
    if answers.manager is Manager.UV:
        if wanted is InstallerWord.PIP:
            raise InvalidInput(
                _(
                    "installer: pip cannot fill a uv environment, which has no pip of its own; "
                    "choose manager: venv or virtualenv for pip, or installer: auto"
                )
            )
        return InstallerChoice(
            Installer.UV, _("uv installs: the environment is a uv environment"), uv_path or "uv"
        )
    if wanted is InstallerWord.PIP:
        return InstallerChoice(Installer.PIP, _("pip installs: the answers say installer: pip"))
    cfg = facts.pip_config
    if wanted is InstallerWord.UV:
        if not uv_path:
            raise InvalidInput(
                _(
                    "installer: uv, but uv was not found on this machine; install it "
                    "(pip install uv) or use installer: auto"
                )
            )
        return InstallerChoice(
            Installer.UV,
            _(
                "uv installs: the answers say installer: uv; pip's index, extra indexes, wheel "
                "folders and constraints are passed to it"
            ),
            uv_path,
            cfg or PipConfig(),
        )
    if not uv_path:
        return InstallerChoice(
            Installer.PIP,
            _(
                "pip installs: uv was not found (with uv installed, installer: auto would be faster)"
            ),
        )
    if cfg is None:
        return InstallerChoice(
            Installer.PIP,
            _(
                "pip installs: pip's configuration on that machine is not known, so uv could not "
                "be told the same index, wheel folders and constraints"
            ),
        )
    if cfg.errors or cfg.untranslated:
        if cfg.untranslated:
            why = _(
                "pip installs: pip's configuration sets {settings}, which envwizard does not hand "
                "to uv"
            ).format(settings=join(cfg.untranslated))
        else:
            why = _(
                "pip installs: pip's configuration sets a configuration file it cannot read, "
                "which envwizard does not hand to uv"
            )
        return InstallerChoice(Installer.PIP, why)
    version = f"uv {uv.version}" if uv and uv.version else "uv"
    return InstallerChoice(
        Installer.UV,
        _(
            "uv installs (installer: auto): {version} is here and installs what pip would, given "
            "pip's index, extra indexes, wheel folders and constraints, in a fraction of pip's time"
        ).format(version=version),
        uv_path,
        cfg,
    )


def uv_pip_install(
    choice: InstallerChoice,
    python: str,
    reqs: list[str],
    index: list[str],
    links: list[str],
    extra: list[str],
) -> tuple[list[str], dict[str, str]]:
    """argv and extra environment of `uv pip install` into the interpreter `python`.

    `index` and `links` are the plan's own (`--index-url U`, `--no-index`, `--find-links F`):
    on pip's command line they replace pip's configured index and add to its wheel folders,
    and they do the same here.
    """
    argv = [choice.uv or "uv", "pip", "install", "--python", python, *reqs]
    cfg = choice.pip_config
    env: dict[str, str] = {}
    if cfg is None:  # a uv environment: uv's own configuration applies, as the person expects
        return [*argv, *index, *links, *extra], env
    if not index and cfg.index_url:
        index = ["--index-url", cfg.index_url]
    if cfg.no_index and "--no-index" not in index:
        index = [*index, "--no-index"]
    argv += index
    for url in cfg.extra_index_urls:
        argv += ["--extra-index-url", url]
    seen = set(links[1::2])
    for folder in cfg.find_links:
        if folder not in seen:
            argv += ["--find-links", folder]
    argv += links
    for path in cfg.constraints:
        argv += ["--constraint", path]
    for host in cfg.trusted_hosts:
        argv += ["--allow-insecure-host", host]
    # pip takes the best version found on any index (uv's default stops at the first one).
    # No --compile-bytecode: compiling every module of torch is most of an install's time, while
    # the verify step's first `import torch` writes the bytecode of what it loads for a few
    # seconds (benchmarks/bytecode_cost.py); pip's steps say --no-compile for the same reason.
    argv += ["--index-strategy", "unsafe-best-match", "--no-config", *extra]
    if cfg.cert:
        env["SSL_CERT_FILE"] = cfg.cert
    if cfg.timeout:
        env["UV_HTTP_TIMEOUT"] = cfg.timeout
    return argv, env
