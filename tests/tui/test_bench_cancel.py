"""Skipping the benchmark in the wizard keeps the verified torch environment and ends the run done
(exit 0), saying so (real torch, real worker)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from envwizard.knowledge import load
from envwizard.plan.bench_argv import BenchOptions, worker_argv
from envwizard.run.outcome import EnvOutcome, RunStatus
from envwizard.tui.app import make_app
from envwizard.tui.screens.bench import BenchScreen
from envwizard.tui.screens.done import DoneScreen

from ..builders import command_step, create_argv, env_python, make_plan, tool
from ..conftest import local_torch_version, pip_find_links
from .conftest import press_next, until
from .test_flow import reach_review


def torch_plan(env: Path):  # type: ignore[no-untyped-def]
    """create (uv) → install CPU torch → verify → a benchmark long enough to be stopped."""
    version = local_torch_version()
    py = env_python(env)
    if version:
        links = [arg for f in pip_find_links() for arg in ("--find-links", str(f))]
        source = [f"torch=={version}", *links]  # torch's own dependencies come from the index
    else:
        source = ["torch", "--index-url", load().index_url("cpu")]
    verify = (
        "import json, torch; x = torch.ones(2, 2) @ torch.ones(2, 2); "
        "print(json.dumps({'ok': bool(x.sum() == 8), 'torch_version': torch.__version__, "
        "'cuda_available': False, 'device_names': [], 'arch_list': []}))"
    )
    bench = BenchOptions(device="cpu", preset="tiny", seconds=300)
    steps = [
        command_step("create-env", "Create", create_argv("uv", env), "create-env"),
        command_step("install-torch", "Install torch", [tool("uv"), "pip", "install", "--python", py, *source], "install"),
        command_step("verify", "Verify", [py, "-c", verify], "verify"),
        command_step("benchmark", "Benchmark", worker_argv(py, bench), "bench", optional=True),
    ]  # fmt: skip
    return make_plan(env, steps, "uv")


@pytest.mark.slow
@pytest.mark.timed
async def test_skipping_the_benchmark_is_a_done_run_that_says_so(
    facts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    env = tmp_path / "env"
    app = make_app(facts=facts, cwd=str(tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        await reach_review(app, pilot, torch_plan(env), env)
        await press_next(pilot)

        def measuring() -> bool:
            screen = app.bench_screen()
            return screen is not None and screen.is_mounted and len(screen.bench.elapsed) > 0

        # Until the worker reports training steps (or the run ended early: then say why).
        await until(pilot, lambda: measuring() or app.result is not None, timeout=900)
        assert app.result is None, [s.to_dict() for s in app.result.steps]
        bench = app.screen
        assert isinstance(bench, BenchScreen)
        await pilot.press("escape")  # skip the benchmark (the environment is verified)
        await until(pilot, lambda: app.result is not None, timeout=30)
        result = app.result
        assert result.status == RunStatus.DONE and result.exit_code == 0
        assert result.env == EnvOutcome.READY
        assert [s.status for s in result.steps] == ["ok", "ok", "ok", "skipped"]
        assert result.steps[-1].reason == "skipped: the benchmark was stopped on request"
        assert "benchmark skipped" in str(bench.query_one("#problem").render())
        # The environment is still there and torch imports in it.
        assert (env / "pyvenv.cfg").exists()
        r = subprocess.run(
            [env_python(env), "-c", "import torch; print(torch.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert r.returncode == 0 and r.stdout.startswith("2."), r.stderr
        # The report and the screens say so; Continue leads to the activation command.
        report = json.loads(Path(app.state.report_path).read_text())
        assert report["status"] == "done" and report["exit_code"] == 0
        assert report["env"]["outcome"] == "ready"
        assert report["steps"][-1]["status"] == "skipped"
        assert report["verify"]["ok"] is True
        assert isinstance(await press_next(pilot, "enter"), DoneScreen)
        assert app.screen.query_one("#activate").value == f"source {env}/bin/activate"
        await pilot.press("ctrl+q")  # nothing to ask: the environment is complete
        await until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0
    assert app.exit_line == (
        f"Done; the benchmark was skipped. Activate with: source {env}/bin/activate"
    )
    assert (env / "pyvenv.cfg").exists()
