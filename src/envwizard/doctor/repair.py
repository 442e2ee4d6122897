"""A repair's steps as the commands that carry them out in the environment, and the planner's
choice for this machine, which most repairs install.

Packages are changed with the environment's own installer: its pip when it has one, else uv
(a uv environment has no pip). Nothing here runs a command.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

from envwizard.core.errors import EnvwizardError
from envwizard.decide.decision import Decision, decide
from envwizard.doctor.envs import Env
from envwizard.doctor.inspect import Inspection
from envwizard.doctor.model import Action, RepairStep
from envwizard.facts.model import Facts, PythonInfo
from envwizard.knowledge import Knowledge
from envwizard.knowledge.stack import load_stack
from envwizard.plan.steps import Install, Installer, Sources, Uninstall
from envwizard.settings.answers import Answers


def has_pip(env: Env, ins: Inspection) -> bool:
    return any(d.get("name") == "pip" and ins.in_env(str(d.get("path"))) for d in ins.dists)


def uv_path() -> str:
    """This machine's uv (the environment is here, whatever machine the facts describe): the
    one installed beside envwizard (a dependency), else the one on PATH."""
    beside = shutil.which("uv", path=str(Path(sys.executable).parent))
    return beside or shutil.which("uv") or "uv"


def installer_of(env: Env, ins: Inspection) -> Installer:
    """The environment's own installer: its pip, else uv (a uv environment has no pip)."""
    return Installer.PIP if has_pip(env, ins) else Installer.UV


def step_spec(env: Env, ins: Inspection, step: RepairStep) -> Install | Uninstall | None:
    """What one step does, as the runner's typed spec, or None for advice (nothing to run).
    An install holds `keep` beside what it installs; its index replaces the configured one."""
    if step.action is Action.ADVICE:
        return None
    installer = installer_of(env, ins)
    tool = uv_path() if installer is Installer.UV else ""
    if step.action is Action.UNINSTALL:
        return Uninstall(installer, str(env.python), step.packages, tool=tool)
    return Install(
        installer,
        str(env.python),
        (*step.packages, *step.keep),
        Sources(index_url=step.index_url, find_links=step.find_links),
        tool=tool,
        no_deps=step.no_deps,
    )


def step_argv(env: Env, ins: Inspection, step: RepairStep) -> list[str] | None:
    """The command for one step, as a person would type it, or None for advice."""
    spec = step_spec(env, ins, step)
    return spec.argv() if spec is not None else None


def decision_for(
    facts: Facts, env: Env, ins: Inspection, kb: Knowledge
) -> tuple[Decision | None, str | None]:
    """What envwizard would install in this environment's Python on this machine today, or why
    nothing (an interpreter no torch release supports)."""
    py = ins.static.get("python") or {}
    info = PythonInfo(
        version=ins.python_version or facts.python.version,
        executable=str(env.python),
        origin="doctor",
        bits=py.get("bits"),
        implementation=py.get("implementation"),
    )
    here = replace(facts, pythons=[*facts.pythons, info])
    names = [n for n in load_stack().companion_names() if ins.dist(n)]
    answers = Answers(env=str(env.prefix), python=str(env.python), packages=names)
    try:
        return decide(here, answers, kb), None
    except EnvwizardError as e:
        return None, str(e)
