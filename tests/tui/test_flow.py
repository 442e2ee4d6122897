"""The wizard driven with keys, as a person would: dry-run walk, back, save/replay, real install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from envwizard.answers import load_answers
from envwizard.plan import make_plan
from envwizard.tui.app import make_app
from envwizard.tui.screens.build import BuildScreen
from envwizard.tui.screens.done import DoneScreen
from envwizard.tui.screens.environment import EnvironmentScreen
from envwizard.tui.screens.install import InstallScreen
from envwizard.tui.screens.machine import MachineScreen
from envwizard.tui.screens.python import PythonScreen
from envwizard.tui.screens.review import ReviewScreen

from ..builders import build_wheel, tiny_plan
from .conftest import HOME

ORDER = [MachineScreen, PythonScreen, EnvironmentScreen, BuildScreen, ReviewScreen, DoneScreen]


async def wait_for(pilot, predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.1)):
        if predicate():
            return
        await pilot.pause(0.1)
    raise AssertionError("timed out waiting")


async def test_dry_run_walks_every_screen_with_the_keyboard(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        seen = [type(app.screen)]
        summary = str(app.screen.query_one("#summary").render())
        assert "3.11.9" in summary and "RTX 4090" in summary and "Ryzen 9 7950X" in summary
        for _ in ORDER[1:]:
            await pilot.press("ctrl+n")
            await pilot.pause(0.2)
            seen.append(type(app.screen))
        assert seen == ORDER
        assert not Path(app.state.plan.env_path).exists()  # a dry run creates nothing
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_tab_enter_and_resize_break_nothing(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # Next has the focus on the first screen
        await pilot.pause(0.2)
        assert isinstance(app.screen, PythonScreen)
        for size in [(80, 24), (60, 20), (140, 45), (80, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.press("tab", "tab", "shift+tab")
            await pilot.pause(0.1)
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        assert isinstance(app.screen, EnvironmentScreen)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert isinstance(app.screen, PythonScreen)
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_choices_change_the_plan_and_escape_goes_back(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        # Python: type a version for uv to provide.
        app.screen.query_one("#version").value = "3.12"
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        env = app.screen
        assert isinstance(env, EnvironmentScreen)
        await pilot.click("#m-uv")
        env.query_one("#env").value = "~/envs/dl"
        await pilot.pause(0.2)
        assert "a new uv environment at /home/ada/envs/dl" in str(
            env.query_one("#env-note").render()
        )
        await pilot.press("ctrl+n")
        await pilot.pause(0.3)
        build = app.screen
        assert isinstance(build, BuildScreen)
        reasons = str(build.query_one("#reasons").render())
        assert "cu126" in reasons and "GTX 1080" in reasons  # the old card decides the build
        build.query_one("#torch").value = "<2.9"
        await pilot.pause(0.3)
        assert "torch 2.8" in str(build.query_one("#reasons").render())
        await pilot.press("ctrl+n")
        await pilot.pause(0.3)
        plan = app.state.plan
        assert plan.manager == "uv" and plan.decision.release == "2.8"
        assert plan.step("create-env").argv[-2:] == ["--python", "3.12"]
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert isinstance(app.screen, BuildScreen)
        await pilot.press("ctrl+q")


async def test_saved_answers_replay_headless_to_the_same_plan(
    facts, frozen, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    saved = tmp_path / "answers.yaml"
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        for _ in range(2):
            await pilot.press("ctrl+n")
            await pilot.pause(0.2)
        await pilot.click("#m-virtualenv")
        await pilot.pause(0.1)
        await pilot.press("ctrl+n")
        await pilot.pause(0.3)
        app.screen.query_one("#packages").value = "torchvision rich"
        await pilot.pause(0.2)
        await pilot.press("ctrl+n")
        await pilot.pause(0.3)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        review.query_one("#save-path").value = str(saved)
        review.query_one("#save").press()
        await pilot.pause(0.2)
        assert "saved" in str(review.query_one("#saved").render())
        interactive = json.dumps(app.state.plan.to_dict(), sort_keys=True)
        await pilot.press("ctrl+q")

    replay = make_plan(facts, load_answers(saved))
    assert json.dumps(replay.to_dict(), sort_keys=True) == interactive
    # …and through the headless command line, with the same facts.
    facts_file = tmp_path / "facts.json"
    facts_file.write_text(facts.to_json())
    r = subprocess.run(
        [sys.executable, "-m", "envwizard", "plan", "--answers", str(saved), "--facts", str(facts_file), "--json"],
        capture_output=True, text=True, env={**os.environ, "HOME": HOME},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    headless = json.loads(r.stdout)
    mine = json.loads(interactive)
    assert headless["decision"] == mine["decision"]
    assert [s["argv"][:6] for s in headless["steps"][:2]] == [
        s["argv"][:6] for s in mine["steps"][:2]
    ]


async def test_prefilled_answers_fill_every_screen(facts, frozen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    answers = tmp_path / "a.yaml"
    answers.write_text(
        "manager: uv\nenv: /srv/envs/prefilled\ncompute: cpu\ntorch: '==2.13.*'\npackages: [rich]\n"
    )
    app = make_app(facts=facts, dry_run=True, cwd=HOME, answers_path=str(answers))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        for _ in range(2):
            await pilot.press("ctrl+n")
            await pilot.pause(0.2)
        assert app.screen.query_one("#env").value == "/srv/envs/prefilled"
        assert app.screen.query_one("#m-uv").value is True
        await pilot.press("ctrl+n")
        await pilot.pause(0.3)
        assert app.screen.query_one("#torch").value == "==2.13.*"
        assert app.screen.query_one("#packages").value == "rich"
        await pilot.press("ctrl+n")
        await pilot.pause(0.3)
        assert (
            app.state.plan.decision.variant == "cpu" and app.state.plan.decision.release == "2.13"
        )
        await pilot.press("ctrl+q")


def _install_app(facts, tmp_path: Path, *, long_step: bool = False):  # type: ignore[no-untyped-def]
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinypkg", "1.0")
    app = make_app(facts=facts, cwd=str(tmp_path))
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheels)
    if long_step:
        plan.steps[1].argv = [
            sys.executable,
            "-c",
            "import time; print('downloading…', flush=True); time.sleep(60)",
        ]
    return app, plan, env


async def reach_review(app, pilot, plan, env) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    for _ in range(4):
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
    assert isinstance(app.screen, ReviewScreen)
    app.state.draft["env"] = str(env)
    app.state.plan = plan  # a real plan of real commands, installing a tiny offline wheel


async def start_long_install(app, pilot, plan, env) -> None:  # type: ignore[no-untyped-def]
    """Install, and wait until the long step is running (the environment exists by then)."""
    await reach_review(app, pilot, plan, env)
    await pilot.press("ctrl+n")
    await wait_for(
        pilot, lambda: env.exists() and app.runner is not None and len(app.runner.results) >= 1
    )


async def test_real_install_of_a_tiny_wheel_then_done(facts, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app, plan, env = _install_app(facts, tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await reach_review(app, pilot, plan, env)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: app.runner is not None and app.runner.status == "done")
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, InstallScreen)
        assert screen.shown("continue") and not screen.shown("cancel")
        assert "$ " in "\n".join(screen.query_one("#log-install-torch").lines)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DoneScreen)
        assert app.screen.query_one("#activate").value == f"source {env}/bin/activate"
        report = json.loads(Path(app.state.report_path).read_text())
        assert (
            report["verify"]["ok"] is True and [s["status"] for s in report["steps"]] == ["ok"] * 4
        )
        await pilot.press("q")
    assert app.return_code == 0
    assert (env / "pyvenv.cfg").exists()


async def test_cancel_during_install_asks_then_rolls_back(
    facts, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app, plan, env = _install_app(facts, tmp_path, long_step=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await start_long_install(app, pilot, plan, env)
        await pilot.pause(0.5)
        await pilot.press("escape")  # Cancel → a confirmation first
        await pilot.pause(0.2)
        await pilot.press("escape")  # "Keep going"
        await pilot.pause(0.2)
        assert app.runner.status == "running"
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.click("#yes")
        await wait_for(
            pilot, lambda: app.runner.status == "cancelled" and not env.exists(), timeout=15
        )
        await pilot.pause(0.3)
        assert app.screen.shown("back")
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_ctrl_q_during_an_install_cancels_and_rolls_back_before_quitting(
    facts, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app, plan, env = _install_app(facts, tmp_path, long_step=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await start_long_install(app, pilot, plan, env)
        await pilot.press("ctrl+q")
        await pilot.pause(0.5)
    assert app.return_code == 0
    assert app.runner.status == "cancelled"
    assert not env.exists()


async def test_a_failed_step_offers_retry_which_resumes(facts, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app, plan, env = _install_app(facts, tmp_path)
    marker = tmp_path / "flaky-once"
    plan.steps[2].argv = [
        sys.executable, "-c",
        f"import os, sys; p = {str(marker)!r}\nif not os.path.exists(p): open(p, 'w').close(); sys.exit('flaky')",
    ]  # fmt: skip
    async with app.run_test(size=(100, 32)) as pilot:
        await reach_review(app, pilot, plan, env)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: app.runner is not None and app.runner.status == "failed")
        await pilot.pause(0.3)
        screen = app.screen
        assert screen.shown("retry") and screen.shown("rollback")
        assert env.exists()  # kept until the person decides
        first = app.runner
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.runner is not first and app.runner.status == "done")
        assert [r.status for r in app.runner.results] == ["skipped", "skipped", "ok", "ok"]
        await pilot.press("ctrl+q")
    assert (env / "pyvenv.cfg").exists()


async def test_python_screen_refuses_a_python_no_torch_supports(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        screen = app.screen
        screen.query_one("#version").value = "3.7"
        await pilot.pause(0.1)
        assert screen.query_one("#next").disabled
        assert "Python 3.7" in str(screen.query_one("#problem").render())
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        assert isinstance(app.screen, PythonScreen)  # Next did nothing
        screen.query_one("#version").value = "3.13"
        await pilot.pause(0.1)
        assert not screen.query_one("#next").disabled
        assert "not installed here" in str(screen.query_one("#window-note").render())
        await pilot.press("ctrl+q")
