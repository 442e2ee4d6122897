"""What `doctor --fix` does, decided before anything runs: which repairs, which steps, whether
the environment may be repaired at all, and afterwards whether the repair worked.

The rules for an environment envwizard did not make: only the packages the chosen repairs name
change, the environment itself is never removed, and a Python installation that is not an
environment (a system or pyenv Python, a conda base, the one envwizard runs from) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from envwizard.core.i18n import _
from envwizard.doctor.envs import Env
from envwizard.doctor.model import Action, Diagnosis, Finding, RepairOption, RepairStep, Text
from envwizard.run.target import inspect_target

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


def steps_of(chosen: list[Chosen]) -> list[RepairStep]:
    """The steps that change the environment, in order, each once (two findings about the same
    companion pick the same replacement)."""
    out: list[RepairStep] = []
    for c in chosen:
        for s in c.option.steps:
            if s.action is not Action.ADVICE and s not in out:
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
