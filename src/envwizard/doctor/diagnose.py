"""One diagnosis: find the environment, inspect it, judge it against this machine.

Shared by `envwizard doctor`, its --fix and the wizard's first screen. Changes nothing.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envwizard.core.i18n import N_
from envwizard.decide.decision import Decision
from envwizard.doctor.drift import read_lock
from envwizard.doctor.envs import Env
from envwizard.doctor.inspect import Inspection, inspect_env
from envwizard.doctor.judge import Context, judge
from envwizard.doctor.model import Diagnosis, Finding, RepairStep, Text
from envwizard.doctor.repair import decision_for, step_argv
from envwizard.doctor.variants import torch_variant
from envwizard.facts.model import Facts
from envwizard.knowledge import Knowledge
from envwizard.knowledge import load as load_knowledge


@dataclass
class Result:
    """A diagnosis with what it was made from (the fix and the renderers need both)."""

    env: Env
    inspection: Inspection
    facts: Facts | None
    decision: Decision | None
    diagnosis: Diagnosis

    def argv(self, step: RepairStep) -> list[str] | None:
        return step_argv(self.env, self.inspection, step)

    def finding_dict(self, f: Finding) -> dict[str, Any]:
        return f.to_dict(self.argv)

    def to_dict(self) -> dict[str, Any]:
        d = self.decision
        return {
            "env": str(self.env.prefix),
            "healthy": self.diagnosis.healthy,
            "findings": [self.finding_dict(f) for f in self.diagnosis.findings],
            "python": str(self.env.python),
            "python_version": self.inspection.python_version,
            "kind": self.env.kind.value,
            "envwizard": self.env.envwizard,
            "plan": (
                {"torch": d.torch, "variant": d.variant, "index_url": d.index_url}
                if d is not None
                else None
            ),
            "notes": [n.show() for n in self.diagnosis.notes],
            "host": socket.gethostname(),
            "torch": self.torch(),
            "facts": (
                {
                    "gpus": [{"name": g.name, "vendor": g.vendor} for g in self.facts.gpus],
                    "nvidia_driver": self.facts.nvidia_driver,
                }
                if self.facts is not None
                else None
            ),
        }

    def torch(self) -> dict[str, str] | None:
        """The torch installed in the environment and its build, as doctor read them."""
        d = self.inspection.dist("torch")
        if d is None:
            return None
        fam = self.inspection.family("torch") or {}
        vp = fam.get("version_py") or {}
        version = str(vp.get("__version__") or d.get("version") or "")
        return {"version": version, "variant": torch_variant(vp, version).label}


def diagnose(
    env: Env,
    facts: Facts | None,
    environ: Mapping[str, str],
    *,
    cwd: str | None = None,
    kb: Knowledge | None = None,
    live: bool = True,
) -> Result:
    kb = kb or load_knowledge()
    ins = inspect_env(env, environ, cwd=cwd, live=live)
    decision, why_not = decision_for(facts, env, ins, kb) if facts is not None else (None, None)
    findings = judge(Context(env, ins, facts, kb, decision, read_lock(env.prefix)))
    notes: list[Text] = []
    if decision is not None:
        notes.append(
            Text(
                N_(
                    "On this machine envwizard would install torch {torch} ({variant}) in this Python."
                ),
                {"torch": decision.torch, "variant": decision.variant},
            )
        )
    elif why_not:
        notes.append(
            Text(N_("envwizard would not install torch in this Python: {why}"), {"why": why_not})
        )
    diagnosis = Diagnosis(
        str(env.prefix), findings, python=ins.python_version, kind=env.kind.value, notes=notes
    )
    return Result(env, ins, facts, decision, diagnosis)
