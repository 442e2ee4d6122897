"""What --fix would do, decided before anything runs (no environment is changed here)."""

from __future__ import annotations

import sys
from pathlib import Path

from envwizard.doctor.envs import for_interpreter
from envwizard.doctor.fix import Chosen, names, outcome, refusal, steps_of
from envwizard.doctor.model import Action, Code, Diagnosis, Severity

from .test_judge import SITE, base_static, dist, run


def companion_result():  # type: ignore[no-untyped-def]
    static = base_static()
    static["dists"].append(dist("torchvision", "0.29.1", ["torch>=2.14.0"]))
    static["family"]["torchvision"] = {
        "folder": f"{SITE}/torchvision",
        "version_py": {"__version__": "0.29.1+cu130"},
        "extensions": [{"file": f"{SITE}/torchvision/_C.so", "needed": ["libc10_cuda.so"]}],
    }
    return run(static, "facts_cpu_box.json")


def test_two_findings_about_one_companion_replace_it_once() -> None:
    r = companion_result()
    found = [f for f in r.diagnosis.findings if f.package == "torchvision" and f.repair]
    assert {f.code for f in found} == {
        Code.COMPANION_VARIANT_MISMATCH,
        Code.COMPANION_VERSION_MISMATCH,
    }
    steps = steps_of([Chosen(f, f.repair[0]) for f in found])
    assert [s.action for s in steps] == [Action.UNINSTALL, Action.INSTALL]
    assert names(steps) == ["torchvision", "torch"]
    removal = steps_of([Chosen(f, f.repair[-1]) for f in found])
    assert [(s.action, s.packages) for s in removal] == [(Action.UNINSTALL, ("torchvision",))]


def test_the_outcome_compares_before_and_after() -> None:
    before = companion_result().diagnosis
    chosen = [
        Chosen(f, f.repair[-1]) for f in before.findings if f.package == "torchvision" and f.repair
    ]
    static = base_static()
    after = run(static, "facts_cpu_box.json").diagnosis
    result = outcome(chosen, after, before)
    assert result.ok and len(result.fixed) == 2 and result.remaining == []
    worse = Diagnosis(
        after.env,
        [
            *after.findings,
            *[f for f in before.findings if f.code is Code.COMPANION_VARIANT_MISMATCH],
        ],
    )
    assert not outcome(chosen, worse, before).ok
    new_error = [f for f in before.findings if f.severity is Severity.ERROR][:1]
    assert not outcome([], Diagnosis(after.env, new_error), after).ok


def test_a_python_installation_is_never_repaired() -> None:
    """The interpreter running the tests is a venv; its base Python is not an environment."""
    base = Path(sys.base_prefix) / "bin" / "python3"
    if base.exists():
        assert refusal(for_interpreter(str(base))) is not None
    assert "envwizard's own" in (refusal(for_interpreter(sys.executable)) or "")


def test_the_repair_plan_holds_the_build_the_environment_keeps() -> None:
    """A companion repair is checked against the torch that stays; a reinstall against the plan."""
    from envwizard.doctor.fix import repair_plan

    r = companion_result()
    f = next(f for f in r.diagnosis.findings if f.code is Code.COMPANION_VARIANT_MISMATCH)
    plan = repair_plan(r, steps_of([Chosen(f, f.repair[0])]))
    assert (plan.decision.variant, plan.decision.torch) == ("cpu", "2.13.0+cpu")
    assert [s.argv[3] for s in plan.steps] == ["uninstall", "install"]
    assert plan.env_path == "/home/ada/envs/dl" and not any(
        s.kind == "create-env" for s in plan.steps
    )
