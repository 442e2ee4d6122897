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
from envwizard.settings.answers import COMPANIONS, Answers


def has_pip(env: Env, ins: Inspection) -> bool:
    return any(d.get("name") == "pip" and ins.in_env(str(d.get("path"))) for d in ins.dists)


def uv_path() -> str:
    """This machine's uv (the environment is here, whatever machine the facts describe): the
    one installed beside envwizard (a dependency), else the one on PATH."""
    beside = shutil.which("uv", path=str(Path(sys.executable).parent))
    return beside or shutil.which("uv") or "uv"


def step_argv(env: Env, ins: Inspection, step: RepairStep) -> list[str] | None:
    """The command for one step, or None for advice (nothing to run)."""
    if step.action is Action.ADVICE:
        return None
    py = str(env.python)
    pip = has_pip(env, ins)
    if step.action is Action.UNINSTALL:
        if pip:
            return [py, "-m", "pip", "uninstall", "--yes", *step.packages]
        return [uv_path(), "pip", "uninstall", "--python", py, *step.packages]
    base = [py, "-m", "pip", "install"] if pip else [uv_path(), "pip", "install", "--python", py]
    if step.no_deps:
        base.append("--no-deps")
    if step.index_url:
        base += ["--index-url", step.index_url]
    return [*base, *step.packages, *step.keep]


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
    names = [n for n in COMPANIONS if ins.dist(n)]
    answers = Answers(env=str(env.prefix), python=str(env.python), packages=names)
    try:
        return decide(here, answers, kb), None
    except EnvwizardError as e:
        return None, str(e)
