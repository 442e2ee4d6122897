"""Running the same answers again: what is skipped, what runs, and a dry run that says so first."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path

import pytest

from envwizard.app.commands import dry_run
from envwizard.app.session import Session
from envwizard.plan.build import STATE_FILE, Plan
from envwizard.plan.steps import Step
from envwizard.run.outcome import StepStatus
from envwizard.run.runner import Runner
from envwizard.run.target import BENCH_AGAIN_HINT, Start, inspect_target, resolve_start

from ..builders import (
    answers_for,
    command_step,
    env_python,
    install_spec,
    make_plan,
    plain_facts,
    run_plan,
    tiny_plan,
)
from .indexes import serve

# Both tests build real environments and run plans twice: slow tier.
pytestmark = pytest.mark.slow


def with_bench(env: Path, wheelhouse: Path, counter: Path) -> Plan:
    """The tiny plan plus a benchmark step that counts its runs and prints a summary line."""
    plan = tiny_plan("venv", env, wheelhouse)
    count = (
        "import json, pathlib\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "p.write_text(str(int(p.read_text() if p.exists() else 0) + 1))\n"
        "print(json.dumps({'event': 'summary', 'samples_per_s': 1.0}))"
    )
    bench = command_step(
        "benchmark", "Bench", [sys.executable, "-c", count], "bench", optional=True
    )
    return make_plan(env, [*plan.steps, bench])


run = run_plan


def test_a_finished_environment_is_verified_again_but_not_benchmarked(
    tmp_path: Path, wheelhouse: Path
) -> None:
    env, counter = tmp_path / "env", tmp_path / "bench-runs"
    plan = with_bench(env, wheelhouse, counter)
    answers = answers_for(env)
    first = Runner(plan, answers, Start("create"), run_dir=tmp_path / "r1")
    run(first)
    assert first.status == "done" and counter.read_text() == "1"

    start = resolve_start(inspect_target(env), plan, answers)
    second = Runner(plan, answers, start, run_dir=tmp_path / "r2")
    run(second)
    assert second.result is not None
    statuses = {s.id: s.status for s in second.result.steps}
    assert statuses == {
        "create-env": StepStatus.DONE_BEFORE,
        "install-torch": StepStatus.DONE_BEFORE,
        "pin": StepStatus.DONE_BEFORE,
        "verify": StepStatus.OK,
        "benchmark": StepStatus.DONE_BEFORE,
    }
    bench = second.result.step("benchmark")
    assert bench is not None and bench.reason == BENCH_AGAIN_HINT
    assert bench.to_dict()["reason"] == BENCH_AGAIN_HINT  # the report says why
    assert counter.read_text() == "1"  # the benchmark did not run
    assert second.status == "done" and second.exit_code == 0
    state = json.loads((env / STATE_FILE).read_text())
    assert state["status"] == "done"
    # Completed means done, in this run or an earlier one (the benchmark in the first).
    assert set(state["completed"]) == {"create-env", "install-torch", "pin", "verify", "benchmark"}

    # Asked for (--rebenchmark): it measures again; nothing else is installed again.
    start = resolve_start(inspect_target(env), plan, answers, rebenchmark=True)
    third = Runner(plan, answers, start, run_dir=tmp_path / "r3")
    run(third)
    assert third.result is not None
    assert [s.status for s in third.result.steps][-2:] == [StepStatus.OK, StepStatus.OK]
    assert counter.read_text() == "2"


def test_dry_run_of_a_half_finished_environment_says_what_it_would_skip_and_changes_nothing(
    tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheelhouse)
    # An index that answers now and is gone later: the pending install step names it (pip
    # ignores it beside --no-index), so the pre-flight of a dry run has something to reach.
    index = serve("ok")
    url, _ = index.__enter__()
    spec = install_spec("venv", env, wheelhouse, "tinypkg")
    sources = dataclasses.replace(spec.sources, extra_index_urls=(url + "/simple",))
    packages = Step(
        "install-packages", "Install packages", dataclasses.replace(spec, sources=sources)
    )
    broken_pin = command_step("pin", "Pin", [env_python(env), "-c", "raise SystemExit(3)"], "pin")
    steps = [*plan.steps[:2], packages, plan.steps[3]]
    # The same commands except the pin, which fails: the hash of what gets installed is the same.
    plan = make_plan(env, [*steps[:2], plan.steps[2], *steps[2:]])
    broken = make_plan(env, [*steps[:2], broken_pin, *steps[2:]])
    first = Runner(
        broken, answers_for(env, keep_failed=True), Start("create"), run_dir=tmp_path / "r1"
    )
    run(first)
    assert [r.status for r in first.results] == ["ok", "ok", "failed", "not-run", "not-run"]
    state_before = (env / STATE_FILE).read_bytes()
    files_before = sorted(p.relative_to(env) for p in env.rglob("*"))

    assert dry_run(Session(plain_facts(), answers_for(env), plan)) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert "1. Create (skipped: done in an earlier run)" in lines
    assert "2. Install (skipped: done in an earlier run)" in lines
    assert "3. Pin" in lines and "4. Install packages" in lines and "5. Verify" in lines
    assert any(line.startswith("start: resuming the unfinished environment") for line in lines)
    assert "pre-flight checks passed" in out.err
    assert (env / STATE_FILE).read_bytes() == state_before  # nothing changed
    assert sorted(p.relative_to(env) for p in env.rglob("*")) == files_before

    # The pre-flight runs in a dry run too: an index that does not answer stops it, as it would
    # stop the real run, before anything changes.
    index.__exit__(None, None, None)
    assert (
        dry_run(Session(plain_facts(), answers_for(env), plan)) == 0
    )  # the answers are good: a dry run succeeds
    err = capsys.readouterr().err
    assert "the real run would stop at its pre-flight checks" in err
    assert re.search(r"cannot reach http://127\.0\.0\.1:\d+/simple", err)
    assert (env / STATE_FILE).read_bytes() == state_before
