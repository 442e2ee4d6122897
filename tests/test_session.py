"""The session service alone (app/session.py): its plan stage and its prepare rules, in-process.

The same rules through both front ends are in tests/tui/test_session_rules.py (slow tier)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envwizard.app.session import (
    Measurements,
    NeedsConfirm,
    Ready,
    Refused,
    Session,
    plan_answers,
)
from envwizard.core.errors import InvalidInput
from envwizard.facts.load import facts_from_json
from envwizard.facts.model import Facts
from envwizard.plan.route import Measurement, Target, auto_targets
from envwizard.run.envlock import EnvLock
from envwizard.settings.answers import validate

from .builders import answers_for, command_step, plain_facts, resolved, tiny_plan

DATA = Path(__file__).parent / "data"


def workstation() -> Facts:
    return facts_from_json((DATA / "facts_workstation.json").read_text())


def test_the_plan_stage_refuses_paths_this_machine_cannot_create(tmp_path: Path) -> None:
    blocker = tmp_path / "f"
    blocker.write_text("")
    with pytest.raises(InvalidInput, match="inside a system folder of the kernel"):
        plan_answers(plain_facts(), validate({"env": "/proc/x"}))
    with pytest.raises(InvalidInput, match=f"{blocker} is a file, not a folder"):
        plan_answers(plain_facts(), validate({"env": str(blocker / "env")}))
    # For the machine a facts file describes, local paths say nothing.
    assert plan_answers(plain_facts(), validate({"env": "/proc/x"}), here=False).plan


def test_a_windows_path_is_refused_for_a_linux_machine() -> None:
    answers = validate({"env": "C:\\envs\\dl"})
    with pytest.raises(InvalidInput, match="is a Windows path, and the plan is for a Linux"):
        plan_answers(plain_facts(), answers, here=False)


def test_a_python_path_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    answers = validate({"env": str(tmp_path / "env"), "python": str(tmp_path / "python9")})
    with pytest.raises(InvalidInput, match=r"python: .*python9 does not exist"):
        plan_answers(plain_facts(), answers)


def test_mirror_auto_without_measuring_says_what_is_left_to_measure(tmp_path: Path) -> None:
    answers = validate({"env": str(tmp_path / "env"), "mirror": "auto", "compute": "cpu"})
    facts = workstation()
    planned = plan_answers(facts, answers, measure=False, here=False)
    assert planned.unmeasured and all(isinstance(t, Target) for t in planned.unmeasured)
    assert planned.unmeasured == auto_targets(planned.plan.decision, answers)
    # A kept measurement is used without the network; nothing is left to measure.
    kept = Measurements()
    kept._kept[planned.unmeasured] = Measurement(3.0)  # as if measured: no answer from any
    again = plan_answers(facts, answers, measure=False, here=False, measurements=kept)
    assert again.unmeasured == ()
    none = validate({"env": str(tmp_path / "env"), "compute": "cpu"})
    assert plan_answers(facts, none, measure=False, here=False).unmeasured == ()


def test_prepare_asks_before_deleting_and_refuses_a_live_holder(tmp_path: Path) -> None:
    env = tmp_path / "env"
    env.mkdir()
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    plan = tiny_plan("venv", env, tmp_path)
    session = Session(plain_facts(), answers_for(env, existing="recreate"), plan)
    asked = session.prepare()
    assert isinstance(asked, NeedsConfirm) and "will be deleted and rebuilt" in asked.question
    with EnvLock(str(env)):  # this process is a live holder too
        refused = session.prepare(confirmed=True)
    assert isinstance(refused, Refused)
    assert f"another envwizard run (pid {os.getpid()})" in refused.message
    assert (env / "pyvenv.cfg").exists()


def test_lock_looks_again_and_release_lets_go(tmp_path: Path) -> None:
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, tmp_path)
    resolved(plan)  # prepare checks, and resolves nothing (the resolve is tested in tests/run)
    session = Session(plain_facts(), answers_for(env, existing="recreate"), plan)
    ready = session.prepare()
    assert isinstance(ready, Ready) and ready.start.action == "create"
    env.mkdir()  # meanwhile, an environment appeared: recreate would now delete it
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    again = session.lock(ready)
    assert isinstance(again, Refused)
    assert again.message == f"env: {env} changed while envwizard was checking it; run again"
    with EnvLock(str(env), wait_seconds=0):  # refused: the session let go of the lock
        pass
    (env / "pyvenv.cfg").unlink()
    env.rmdir()
    with session:
        held = session.lock(ready)
        assert isinstance(held, Ready)
        with pytest.raises(InvalidInput, match="another envwizard run"):
            EnvLock(str(env), wait_seconds=0).__enter__()
    with EnvLock(str(env), wait_seconds=0):  # released when the session closed
        pass


def test_the_decision_and_the_target_python_are_made_once_per_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import envwizard.app.session as session_module
    import envwizard.decide.decision as decision_module

    calls = {"decide": 0, "target_python": 0}
    real_decide, real_target = session_module.decide, decision_module.target_python

    def decide(*a, **k):  # type: ignore[no-untyped-def]
        calls["decide"] += 1
        return real_decide(*a, **k)

    def target_python(*a, **k):  # type: ignore[no-untyped-def]
        calls["target_python"] += 1
        return real_target(*a, **k)

    monkeypatch.setattr(session_module, "decide", decide)
    monkeypatch.setattr(decision_module, "target_python", target_python)
    answers = validate({"env": str(tmp_path / "env"), "mirror": "auto", "compute": "cpu"})
    planned = plan_answers(workstation(), answers, measure=False, here=False)
    assert planned.unmeasured  # the measurement needed the decision first…
    assert calls == {"decide": 1, "target_python": 1}  # …and the plan reused it


def test_rebenchmark_survives_the_second_look_under_the_lock(tmp_path: Path) -> None:
    """A finished environment is verified again; with --rebenchmark it is benchmarked again
    too, also after the look under the lock (the headless run lost the flag there)."""
    import json

    from envwizard.plan.build import STATE_FILE
    from envwizard.run.target import plan_hash

    env = tmp_path / "env"
    env.mkdir()
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    plan = tiny_plan("venv", env, tmp_path)
    plan.steps.append(command_step("benchmark", "Bench", ["true"], "bench", optional=True))
    done = [s.id for s in plan.steps]
    (env / STATE_FILE).write_text(
        json.dumps({"status": "done", "plan": plan_hash(plan), "completed": done})
    )
    for again, skipped in ((False, True), (True, False)):
        with Session(plain_facts(), answers_for(env), plan, rebenchmark=again) as session:
            ready = session.prepare()
            assert isinstance(ready, Ready)
            locked = session.lock(ready)
            assert isinstance(locked, Ready)
            assert ("benchmark" in locked.start.skip) is skipped
