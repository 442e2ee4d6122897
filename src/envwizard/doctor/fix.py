"""What `doctor --fix` does, decided before anything runs: which repairs, which steps, whether
the environment may be repaired at all, and afterwards whether the repair worked.

The rules for an environment envwizard did not make: only the packages the chosen repairs name
change, the environment itself is never removed, and a Python installation that is not an
environment (a system or pyenv Python, a conda base, the one envwizard runs from) is refused.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from envwizard.core.i18n import N_, _
from envwizard.core.versions import platform_key
from envwizard.decide.decision import Decision
from envwizard.doctor.diagnose import Result
from envwizard.doctor.envs import Env, EnvKind
from envwizard.doctor.model import Action, Diagnosis, Finding, RepairOption, RepairStep, Text
from envwizard.doctor.repair import installer_of, step_spec
from envwizard.doctor.variants import cuda_of_label, torch_variant
from envwizard.knowledge import load as load_knowledge
from envwizard.knowledge.stack import load_stack
from envwizard.plan.build import Plan
from envwizard.plan.installer import InstallerChoice
from envwizard.plan.lockcheck import default_variant
from envwizard.plan.steps import Install, Step
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
    """The steps that change the environment, in order; a step another option already has is
    left out (two findings about the same companion pick the same replacement), while an
    option's own repeats stay (one removal per copy of a package)."""
    out: list[RepairStep] = []
    for c in chosen:
        earlier = list(out)
        out += [s for s in option_steps(c.option) if s not in earlier]
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
            name = _name(p)
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


def held_versions(result: Result, steps: list[RepairStep]) -> list[str]:
    """`name==version` of every distribution in the environment the steps do not name: the
    constraints a repair that keeps torch is resolved under, so the lock cannot move a package
    nobody asked to change (a dependency it cannot keep makes the resolve refuse, in the
    installer's words). Empty when the steps install torch: a new build brings its own."""
    if installs_torch(steps) or not any(s.action is Action.INSTALL for s in steps):
        return []
    named = set(names(steps))
    out: dict[str, str] = {}
    for d in result.inspection.dists:
        name = str(d.get("name") or "")
        if not name or name in named or name in out:
            continue
        if not result.inspection.in_env(str(d.get("path"))):
            continue
        try:
            version = Version(str(d.get("version")))
        except InvalidVersion:
            continue  # a version pip could not read in a constraint either
        out[name] = f"{name}=={version}"
    return list(out.values())


def repair_plan(result: Result, steps: list[RepairStep], constraints: tuple[str, ...] = ()) -> Plan:
    """The repair as a plan the session resolves, locks and runs like any other, into the
    environment as it is (nothing is created): the removals first, then one install of torch's
    group (`install-torch`) whose requirements the resolve turns into the lock; a second
    install's requirements are resolved beside it (`install-torch-deps`, folded into the lock).
    `constraints`: files of held_versions the installs are resolved and installed under."""
    removals = [s for s in steps if s.action is Action.UNINSTALL]
    installs = _torch_held(result, [s for s in steps if s.action is Action.INSTALL])
    plan_steps: list[Step] = []
    for i, step in enumerate(removals, 1):
        spec = step_spec(result.env, result.inspection, step)
        assert spec is not None
        fields = {"packages": ", ".join(step.packages)}
        plan_steps.append(Step.titled(f"remove-{i}", N_("Remove {packages}"), fields, spec))
    asked = ", ".join(p for s in installs for p in s.packages)
    for i, step in enumerate(installs):
        spec = step_spec(result.env, result.inspection, step)
        assert spec is not None
        if constraints and isinstance(spec, Install):
            more = (*spec.sources.constraints, *constraints)
            spec = replace(spec, sources=replace(spec.sources, constraints=more))
        step_id = "install-torch" if i == 0 else "install-torch-deps"
        plan_steps.append(Step.titled(step_id, N_("Install {packages}"), {"packages": asked}, spec))
    installer = installer_of(result.env, result.inspection)
    return Plan(
        _decision(result, steps),
        plan_steps,
        str(result.env.prefix),
        str(result.env.python),
        manager(result.env),
        estimate_mib=0,
        installer=InstallerChoice(installer, _("the environment's own installer repairs it")),
    )


def _torch_held(result: Result, installs: list[RepairStep]) -> list[RepairStep]:
    """A companion is installed beside the torch that stays: that torch joins the resolve
    (held, not changed), so the lock check sees both and refuses a companion of another build."""
    named = {_name(p) for s in installs for p in (*s.packages, *s.keep)}
    torch = result.inspection.dist("torch")
    if (
        not installs
        or "torch" in named
        or not named & set(load_stack().companion_names())
        or torch is None
    ):
        return installs
    first = replace(installs[0], keep=(*installs[0].keep, f"torch=={torch['version']}"))
    return [first, *installs[1:]]


def _name(requirement: str) -> str:
    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return canonicalize_name(requirement)


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


def torch_asked(steps: list[RepairStep]) -> Requirement | None:
    """The torch requirement the steps install (not one they only hold where it is)."""
    for step in steps:
        if step.action is not Action.INSTALL:
            continue
        for p in step.packages:
            with contextlib.suppress(InvalidRequirement):
                req = Requirement(p)
                if canonicalize_name(req.name) == "torch":
                    return req
    return None


def installs_torch(steps: list[RepairStep]) -> bool:
    """Whether the steps install torch itself (not only hold it where it is)."""
    return torch_asked(steps) is not None


def _exact(req: Requirement | None) -> str | None:
    specs = list(req.specifier) if req is not None else []
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None


def _decision(result: Result, steps: list[RepairStep]) -> Decision:
    """The build the environment holds after the repair, which the resolve checks the lock
    against: an exact torch the steps install (the lock's own, restored), else the planner's
    choice when they install torch, else the torch that is there (a repair of a companion keeps
    torch's build)."""
    asked = torch_asked(steps)
    exact = _exact(asked)
    if exact is None and asked is not None and result.decision is not None:
        return result.decision
    if exact is not None:
        version, vp = exact, _untagged_build(result, exact)
    else:
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


def _untagged_build(result: Result, version: str) -> dict[str, str | None]:
    """What version.py would say of an exact torch: its tag, or for a wheel without one the
    build the default index serves for that release here (the CUDA build on Linux x86-64)."""
    if "+" in version or result.facts is None:
        return {"__version__": version}
    platform = platform_key(result.facts.os.system, result.facts.os.machine)
    label = default_variant(load_knowledge(), version, platform) or ""
    return {"__version__": version, "cuda": cuda_of_label(label)}
