"""What `doctor --fix` does, decided before anything runs: which repairs, which steps, whether
the environment may be repaired at all, and afterwards whether the repair worked.

The rules for an environment envwizard did not make: only the packages the chosen repairs name
change, the environment itself is never removed, and a Python installation that is not an
environment (a system or pyenv Python, a conda base, the one envwizard runs from) is refused.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from envwizard.core.i18n import N_, _
from envwizard.decide.decision import Decision
from envwizard.doctor.diagnose import Result
from envwizard.doctor.envs import Env, EnvKind
from envwizard.doctor.model import Action, Diagnosis, Finding, RepairOption, RepairStep, Text
from envwizard.doctor.variants import torch_variant
from envwizard.plan.build import Plan, Step
from envwizard.run.target import inspect_target
from envwizard.settings.answers import Answers
from envwizard.settings.choices import Existing, Manager

REFUSED_KINDS = ("system", "conda-base", "running", "other", "absent")


@dataclass(frozen=True)
class Chosen:
    """A finding and the repair option picked for it."""

    finding: Finding
    option: RepairOption


def repairable(diagnosis: Diagnosis) -> list[Finding]:
    """The problems (errors and warnings) that have at least one repair option."""
    return [f for f in diagnosis.problems() if f.repair]


def refusal(env: Env) -> str | None:
    """Why this environment may not be repaired, or None."""
    kind = inspect_target(env.prefix).kind
    if kind in REFUSED_KINDS:
        return _(
            "{path} is {what}, not an environment; doctor --fix changes environments only (never a system Python, a conda base or envwizard's own)"
        ).format(path=env.prefix, what=inspect_target(env.prefix).describe())
    return None


def option_steps(option: RepairOption) -> list[RepairStep]:
    return [s for s in option.steps if s.action is not Action.ADVICE]


def steps_of(chosen: list[Chosen]) -> list[RepairStep]:
    """The steps that change the environment, in order, each once (two findings about the same
    companion pick the same replacement)."""
    out: list[RepairStep] = []
    for c in chosen:
        for s in option_steps(c.option):
            if s not in out:
                out.append(s)
    return out


def advice_of(chosen: list[Chosen]) -> list[Text]:
    out: list[Text] = []
    for c in chosen:
        for s in c.option.steps:
            if s.action is Action.ADVICE and s.advice is not None and s.advice not in out:
                out.append(s.advice)
    return out


def names(steps: list[RepairStep]) -> list[str]:
    """Every distribution the steps name (what may change, so what to keep for the undo)."""
    out: list[str] = []
    for s in steps:
        for p in (*s.packages, *s.keep):
            try:
                name = canonicalize_name(Requirement(p).name)
            except InvalidRequirement:
                name = canonicalize_name(p)
            if name not in out:
                out.append(name)
    return out


@dataclass(frozen=True)
class Outcome:
    fixed: list[Finding]
    remaining: list[Finding]
    new: list[Finding]

    @property
    def ok(self) -> bool:
        """Every chosen problem is gone and no new error appeared."""
        return not self.remaining and not any(f.severity.value == "error" for f in self.new)


def outcome(chosen: list[Chosen], after: Diagnosis, before: Diagnosis) -> Outcome:
    keys_after = {(f.code, f.package): f for f in after.problems()}
    keys_before = {(f.code, f.package) for f in before.problems()}
    fixed = [c.finding for c in chosen if (c.finding.code, c.finding.package) not in keys_after]
    remaining = [
        keys_after[k]
        for k in ((c.finding.code, c.finding.package) for c in chosen)
        if k in keys_after
    ]
    new = [f for k, f in keys_after.items() if k not in keys_before]
    return Outcome(fixed, remaining, new)


def conda_owned(result: Result, steps: list[RepairStep]) -> list[str]:
    """Packages the steps would change that conda installed: pip must not take them over."""
    out = []
    for name in names(steps):
        d = result.inspection.dist(name)
        if d is not None and (d.get("installer") or "") == "conda":
            out.append(name)
    return out


def _step_title(step: RepairStep) -> tuple[str, dict[str, str]]:
    packages = ", ".join(step.packages)
    if step.action is Action.UNINSTALL:
        return N_("Remove {packages}"), {"packages": packages}
    if step.index_url:
        return N_("Install {packages} from {index}"), {
            "packages": packages,
            "index": step.index_url,
        }
    return N_("Install {packages}"), {"packages": packages}


def repair_plan(result: Result, steps: list[RepairStep]) -> Plan:
    """The repair as a plan the session and the runner carry out like any other: the steps in
    the environment's own installer, into the environment as it is (nothing is created)."""
    plan_steps = []
    for i, step in enumerate(steps, 1):
        argv = result.argv(step)
        assert argv is not None  # advice never reaches a plan
        template, fields = _step_title(step)
        plan_steps.append(Step.titled(f"repair-{i}", template, fields, argv, "install"))
    return Plan(
        _decision(result, steps),
        plan_steps,
        str(result.env.prefix),
        str(result.env.python),
        manager(result.env),
        estimate_mib=0,
    )


def manager(env: Env) -> Manager:
    return {
        EnvKind.CONDA: Manager.CONDA,
        EnvKind.UV: Manager.UV,
        EnvKind.VIRTUALENV: Manager.VIRTUALENV,
    }.get(env.kind, Manager.VENV)


def repair_answers(env: Env) -> Answers:
    """The answers of a repair: this environment, as it is (`existing: reuse`)."""
    return Answers(
        env=str(env.prefix), python=str(env.python), manager=manager(env), existing=Existing.REUSE
    )


def installs_torch(steps: list[RepairStep]) -> bool:
    """Whether the steps install torch itself (not only hold it where it is)."""
    for step in steps:
        if step.action is not Action.INSTALL:
            continue
        for p in step.packages:
            with contextlib.suppress(InvalidRequirement):
                if canonicalize_name(Requirement(p).name) == "torch":
                    return True
    return False


def _decision(result: Result, steps: list[RepairStep]) -> Decision:
    """The build the environment holds after the repair: the planner's choice when the repair
    installs torch, else the torch that is there (a repair of a companion keeps torch's build,
    and the run checks against that)."""
    if result.decision is not None and installs_torch(steps):
        return result.decision
    fam = result.inspection.family("torch") or {}
    vp = fam.get("version_py") or {}
    version = str(vp.get("__version__") or "")
    v = torch_variant(vp, version) if version else None
    variant = v.label if v is not None and "+" in version else "default"
    return Decision(
        variant=variant,
        torch=version or "-",
        index_url=None,
        reasons=[],
        release=".".join(version.split(".")[:2]),
        source="pip",
        python=result.inspection.python_version,
        requirement=f"torch=={version}" if version else "",
        cuda=v.cuda if v is not None else None,
        kind=v.kind if v is not None and v.kind != "unknown" else "cpu",
    )
