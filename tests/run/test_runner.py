"""The runner with real backends: environments, offline installs, pin guard, rollback, resume, cancel."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from envwizard.core.errors import InvalidInput
from envwizard.plan.build import STATE_FILE
from envwizard.run.envlock import EnvLock
from envwizard.run.proc import MAX_LINE
from envwizard.run.runner import (
    BenchEvent,
    Notice,
    RunFinished,
    Runner,
    StepFinished,
    StepOutput,
    StepStarted,
)
from envwizard.run.target import Start, inspect_target, resolve_start

from ..builders import answers_for, command_step, env_python, make_plan, run_plan, tiny_plan

run = run_plan


@pytest.mark.parametrize("manager", ["venv", "virtualenv", "uv"])
@pytest.mark.slow
def test_real_backend_installs_offline_and_pins(
    manager: str, tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "env"
    plan = tiny_plan(manager, env, wheelhouse)
    runner = Runner(plan, answers_for(env), Start("create"), run_dir=tmp_path / "run")
    events = run(runner)

    assert runner.status == "done" and runner.exit_code == 0
    assert [r.status for r in runner.results] == ["ok", "ok", "ok", "ok"]
    assert runner.verify == {"ok": True, "v": "1.0"}
    assert isinstance(events[-1], RunFinished)
    started = [e.step.id for e in events if isinstance(e, StepStarted)]
    assert started == ["create-env", "install-torch", "pin", "verify"]
    # Every step has its own log with the command line and the output.
    logs = sorted((tmp_path / "run").glob("*.log"))
    assert [p.name for p in logs] == [
        "01-create-env.log",
        "02-install-torch.log",
        "03-pin.log",
        "04-verify.log",
    ]
    assert "tinypkg" in logs[1].read_text()
    assert (
        json.loads((tmp_path / "run" / "plan.json").read_text())["steps"][0]["id"] == "create-env"
    )
    state = json.loads((env / STATE_FILE).read_text())
    assert state["status"] == "done"
    assert state["completed"] == ["create-env", "install-torch", "pin", "verify"]
    assert (env / "envwizard-constraints.txt").read_text().splitlines()[-1] == "tinypkg==1.0"


@pytest.mark.parametrize("manager", ["venv", "virtualenv"])
@pytest.mark.slow
def test_pin_guard_stops_a_later_pip_install_from_replacing_the_pinned_build(
    manager: str, tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "env"
    runner = Runner(
        tiny_plan(manager, env, wheelhouse),
        answers_for(env),
        Start("create"),
        run_dir=tmp_path / "run",
    )
    run(runner)
    assert runner.status == "done"
    # A plain `pip install` in the environment, no flags: the environment's pip.conf applies the pin.
    r = subprocess.run(
        [
            env_python(env),
            "-m",
            "pip",
            "install",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "tinypkg==2.0",
        ],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("PIP_")},
    )
    assert r.returncode != 0
    assert "tinypkg==1.0" in r.stdout + r.stderr


@pytest.mark.slow
def test_failed_step_rolls_back_the_environment_it_created(
    tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "env"
    runner = Runner(
        tiny_plan("venv", env, wheelhouse, fail_install=True),
        answers_for(env),
        Start("create"),
        run_dir=tmp_path / "run",
    )
    events = run(runner)

    assert runner.status == "failed" and runner.exit_code == 1
    assert [r.status for r in runner.results] == ["ok", "failed", "not-run", "not-run"]
    failed = next(e for e in events if isinstance(e, StepFinished) and e.status == "failed")
    assert any("no-such-package-xyz" in line for line in failed.tail)
    assert not env.exists()
    assert any(isinstance(e, Notice) and "rolled back" in e.text for e in events)


@pytest.mark.slow
def test_keep_failed_leaves_the_environment(tmp_path: Path, wheelhouse: Path) -> None:
    env = tmp_path / "env"
    runner = Runner(
        tiny_plan("venv", env, wheelhouse, fail_install=True),
        answers_for(env, keep_failed=True),
        Start("create"),
        run_dir=tmp_path / "run",
    )
    run(runner)
    assert runner.status == "failed"
    assert (env / "pyvenv.cfg").exists()
    assert json.loads((env / STATE_FILE).read_text())["status"] == "failed"


@pytest.mark.slow
def test_an_environment_that_existed_before_is_never_deleted(
    tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    (env / "precious.txt").write_text("mine")
    plan = tiny_plan("venv", env, wheelhouse, fail_install=True)
    start = resolve_start(inspect_target(env), plan, answers_for(env, existing="reuse"))
    assert start.action == "reuse" and not start.owns_env
    runner = Runner(plan, answers_for(env, existing="reuse"), start, run_dir=tmp_path / "run")
    events = run(runner)
    assert runner.status == "failed"
    assert (env / "precious.txt").read_text() == "mine"
    assert any(isinstance(e, Notice) and "existed before" in e.text for e in events)


@pytest.mark.slow
def test_existing_abort_refuses_and_names_the_way_out(tmp_path: Path, wheelhouse: Path) -> None:
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    with pytest.raises(InvalidInput, match=r"existing: reuse.*existing: recreate"):
        resolve_start(inspect_target(env), tiny_plan("venv", env, wheelhouse), answers_for(env))


@pytest.mark.parametrize("existing", ["abort", "reuse", "recreate"])
def test_a_folder_that_is_not_an_environment_is_never_touched(
    existing: str, tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "docs"
    env.mkdir()
    (env / "thesis.tex").write_text("x")
    with pytest.raises(InvalidInput, match="not a Python environment"):
        resolve_start(
            inspect_target(env),
            tiny_plan("venv", env, wheelhouse),
            answers_for(env, existing=existing),
        )


def test_system_prefix_and_own_interpreter_are_refused(tmp_path: Path, wheelhouse: Path) -> None:
    own = Path(sys.prefix)
    with pytest.raises(InvalidInput, match="never installs into"):
        resolve_start(
            inspect_target(own),
            tiny_plan("venv", own, wheelhouse),
            answers_for(own, existing="reuse"),
        )


@pytest.mark.slow
def test_same_answers_resume_after_the_last_completed_step(
    tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheelhouse)
    # First run: the pin step names a package that is not installed, so it fails there.
    broken = make_plan(
        env,
        [
            *plan.steps[:2],
            command_step("pin", "Pin", [env_python(env), "-c", "raise SystemExit(3)"], "pin"),
            plan.steps[3],
        ],
    )
    first = Runner(
        broken, answers_for(env, keep_failed=True), Start("create"), run_dir=tmp_path / "r1"
    )
    run(first)
    assert [r.status for r in first.results] == ["ok", "ok", "failed", "not-run"]

    start = resolve_start(inspect_target(env), plan, answers_for(env))
    assert start.action == "resume"
    assert start.skip == {"create-env", "install-torch"}
    second = Runner(plan, answers_for(env), start, run_dir=tmp_path / "r2")
    events = run(second)
    assert [r.status for r in second.results] == ["skipped", "skipped", "ok", "ok"]
    assert second.status == "done"
    assert [e.step.id for e in events if isinstance(e, StepStarted)] == ["pin", "verify"]

    # A finished environment: the same answers only verify again.
    again = resolve_start(inspect_target(env), plan, answers_for(env))
    assert again.action == "resume" and again.skip == {"create-env", "install-torch", "pin"}


@pytest.mark.slow
def test_different_answers_on_a_half_made_env_need_existing_set(
    tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheelhouse, fail_install=True)
    run(Runner(plan, answers_for(env, keep_failed=True), Start("create"), run_dir=tmp_path / "r1"))
    other = tiny_plan("virtualenv", env, wheelhouse)
    with pytest.raises(InvalidInput, match="did not finish"):
        resolve_start(inspect_target(env), other, answers_for(env))
    start = resolve_start(inspect_target(env), other, answers_for(env, existing="recreate"))
    assert start.action == "recreate" and start.destructive


CHILDREN = r"""
import subprocess, sys, time
kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) for _ in range(2)]
print("PIDS", *[k.pid for k in kids], flush=True)
time.sleep(60)
"""


@pytest.mark.slow
@pytest.mark.timed
def test_cancel_stops_the_whole_process_tree_and_rolls_back(
    tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheelhouse)
    plan.steps[1] = command_step(
        "install-torch", "Long install", [sys.executable, "-c", CHILDREN], "install"
    )
    runner = Runner(plan, answers_for(env), Start("create"), run_dir=tmp_path / "run")
    pids: list[int] = []

    async def go() -> float:
        t_cancel = 0.0
        async for ev in runner.run():
            if isinstance(ev, StepOutput):
                for line in ev.lines:
                    if line.startswith("PIDS"):
                        pids.extend(int(p) for p in line.split()[1:])
                        runner.cancel()
                        t_cancel = time.monotonic()
            if isinstance(ev, RunFinished):
                return time.monotonic() - t_cancel
        raise AssertionError("no RunFinished")

    took = asyncio.run(go())
    assert runner.status == "cancelled" and runner.exit_code == 130
    assert took < 3.0
    assert len(pids) == 2
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not env.exists()
    assert [r.status for r in runner.results] == ["ok", "cancelled", "cancelled", "cancelled"]


def test_output_arrives_in_batches_in_order_with_cut_long_lines_and_carriage_returns(
    tmp_path: Path,
) -> None:
    env = tmp_path / "env"
    script = (
        "import sys\n"
        "for i in range(5000): print(f'line {i}')\n"
        "sys.stdout.write('x' * 200000 + '\\n')\n"
        "sys.stdout.write('\\x1b[32m50%\\x1b[0m\\r100%\\n')\n"
    )
    plan = make_plan(env, [command_step("noise", "Noise", [sys.executable, "-c", script], "pin")])
    runner = Runner(plan, answers_for(env), Start("create"), run_dir=tmp_path / "run")
    events = run(runner)
    batches = [e.lines for e in events if isinstance(e, StepOutput)]
    lines = [line for b in batches for line in b]
    assert lines[:5000] == [f"line {i}" for i in range(5000)]
    assert lines[5000] == "x" * MAX_LINE + (
        f" … [{200000 - MAX_LINE} more characters; the log file has the whole line]"
    )
    assert lines[5001:] == ["50%", "100%"]
    assert len(batches) < 500  # batched, not one event per line
    log = next((tmp_path / "run").glob("*-noise.log")).read_text()
    assert "x" * 200000 + "\n" in log  # the log keeps the whole line


def test_child_environment_is_clean_but_keeps_proxies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / "env"
    code = (
        "import json, os; print(json.dumps({k: os.environ.get(k) for k in "
        "['PYTHONPATH', 'PIP_TARGET', 'HTTPS_PROXY', 'SSL_CERT_FILE', 'PIP_NO_INPUT', 'PYTHONNOUSERSITE',"
        " 'PYTHONDONTWRITEBYTECODE']}))"
    )
    plan = make_plan(env, [command_step("verify", "Env", [sys.executable, "-c", code], "verify")])
    base = {
        **os.environ,
        "PYTHONPATH": "/evil",
        "PIP_TARGET": "/elsewhere",
        "HTTPS_PROXY": "http://proxy:3128",
        "SSL_CERT_FILE": "/ca.pem",
        # verify's first import writes the bytecode the installs no longer compile
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    runner = Runner(
        plan, answers_for(env), Start("create"), run_dir=tmp_path / "run", base_env=base
    )
    run(runner)
    assert runner.verify == {
        "PYTHONPATH": None,
        "PIP_TARGET": None,
        "PYTHONDONTWRITEBYTECODE": None,
        "HTTPS_PROXY": "http://proxy:3128",
        "SSL_CERT_FILE": "/ca.pem",
        "PIP_NO_INPUT": "1",
        "PYTHONNOUSERSITE": "1",
    }


def test_bench_json_lines_become_events_and_the_summary_is_kept(tmp_path: Path) -> None:
    env = tmp_path / "env"
    code = (
        "import json\n"
        "print('warming up')\n"
        "print(json.dumps({'event': 'step', 'loss': 2.0}))\n"
        "print(json.dumps({'event': 'summary', 'samples_per_s': 10.0}))\n"
    )
    step = command_step("benchmark", "Bench", [sys.executable, "-c", code], "bench", optional=True)
    runner = Runner(
        make_plan(env, [step]), answers_for(env), Start("create"), run_dir=tmp_path / "run"
    )
    events = run(runner)
    assert [e.data["event"] for e in events if isinstance(e, BenchEvent)] == ["step", "summary"]
    assert runner.bench == {"event": "summary", "samples_per_s": 10.0}
    assert [line for e in events if isinstance(e, StepOutput) for line in e.lines] == ["warming up"]


def test_a_failed_optional_benchmark_does_not_fail_the_run(tmp_path: Path) -> None:
    env = tmp_path / "env"
    step = command_step(
        "benchmark",
        "Bench",
        [sys.executable, "-c", "print('boom'); raise SystemExit(2)"],
        "bench",
        optional=True,
    )
    runner = Runner(
        make_plan(env, [step]), answers_for(env), Start("create"), run_dir=tmp_path / "run"
    )
    run(runner)
    assert runner.status == "done" and runner.exit_code == 0
    assert runner.bench is None and runner.bench_error == "boom"


def test_a_missing_program_is_a_failed_step_not_a_crash(tmp_path: Path) -> None:
    env = tmp_path / "env"
    step = command_step("create-env", "Create", ["/nonexistent/conda", "create"], "create-env")
    runner = Runner(
        make_plan(env, [step]), answers_for(env), Start("create"), run_dir=tmp_path / "run"
    )
    events = run(runner)
    assert runner.status == "failed"
    assert any(
        "cannot start /nonexistent/conda" in line
        for e in events
        if isinstance(e, StepOutput)
        for line in e.lines
    )


def test_lock_refuses_a_second_run_on_the_same_environment(tmp_path: Path) -> None:
    env = tmp_path / "env"
    with (
        EnvLock(str(env)) as held,
        pytest.raises(InvalidInput, match=f"pid {os.getpid()}"),
        EnvLock(str(env)),
    ):
        assert held.path == tmp_path / ".env.envwizard-lock"  # with the environment
    with EnvLock(str(env)):
        pass  # released when the first one exits


@pytest.mark.slow
def test_retry_after_a_failure_resumes_and_still_owns_the_environment(
    tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheelhouse)
    flaky = command_step("pin", "Pin", [env_python(env), "-c", "raise SystemExit(1)"], "pin")
    broken = make_plan(env, [*plan.steps[:2], flaky, plan.steps[3]])
    first = Runner(broken, answers_for(env), Start("create"), run_dir=tmp_path / "r1")

    async def without_rollback(r: Runner) -> None:
        async for _ in r.run(keep_failed=True):
            pass

    asyncio.run(without_rollback(first))
    assert first.status == "failed" and env.exists()  # kept for the person to decide

    retry = first.retry_start()
    assert retry.skip == {"create-env", "install-torch"} and retry.owns_env
    second = Runner(plan, answers_for(env), retry, run_dir=tmp_path / "r2")
    second.cancel()  # cancelled before it starts: it must still roll back what the first run made
    run(second)
    assert second.status == "cancelled"
    assert not env.exists()


@pytest.mark.slow
def test_cancelling_the_benchmark_keeps_the_verified_environment(
    tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheelhouse)
    bench = command_step(
        "benchmark",
        "Bench",
        [sys.executable, "-c", "import time; print('start', flush=True); time.sleep(60)"],
        "bench",
        optional=True,
    )
    plan = make_plan(env, [*plan.steps, bench])
    runner = Runner(plan, answers_for(env), Start("create"), run_dir=tmp_path / "run")

    async def go() -> None:
        async for ev in runner.run():
            if isinstance(ev, StepOutput) and ev.step_id == "benchmark":
                runner.cancel()

    asyncio.run(go())
    assert runner.status == "cancelled" and runner.exit_code == 130
    assert [r.status for r in runner.results][-1] == "cancelled"
    assert (env / "pyvenv.cfg").exists()
    assert json.loads((env / STATE_FILE).read_text())["status"] == "done"
