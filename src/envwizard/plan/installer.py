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

import dataclasses
from dataclasses import dataclass
from typing import Any

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _, join
from envwizard.facts.model import Facts
from envwizard.facts.pipconfig import PipConfig
from envwizard.plan.steps import Installer as Installer
from envwizard.plan.steps import Sources
from envwizard.settings.answers import Answers
from envwizard.settings.choices import InstallerWord, Manager


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


def uv_sources(choice: InstallerChoice, plan: Sources) -> tuple[Sources, bool, dict[str, str]]:
    """What uv is told where pip reads its configuration: (sources, reads_config, environment).

    The plan's own sources (`--index-url U`, `--no-index`, `--find-links F`) replace pip's
    configured index and add to its wheel folders on pip's command line, and do the same here.
    A uv environment (no pip configuration handed over) keeps uv's own configuration.
    """
    cfg = choice.pip_config
    if cfg is None:
        return plan, True, {}
    folders = tuple(f for f in cfg.find_links if f not in plan.find_links) + plan.find_links
    sources = dataclasses.replace(
        plan,
        index_url=plan.index_url or (None if plan.no_index else cfg.index_url),
        no_index=plan.no_index or cfg.no_index,
        extra_index_urls=(*cfg.extra_index_urls, *plan.extra_index_urls),
        find_links=folders,
        constraints=(*cfg.constraints, *plan.constraints),
        trusted_hosts=(*cfg.trusted_hosts, *plan.trusted_hosts),
    )
    env: dict[str, str] = {}
    if cfg.cert:
        env["SSL_CERT_FILE"] = cfg.cert
    if cfg.timeout:
        env["UV_HTTP_TIMEOUT"] = cfg.timeout
    return sources, False, env
