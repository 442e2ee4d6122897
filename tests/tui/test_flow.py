"""The wizard driven with keys, as a person would: dry-run walk, back, save/replay, real install."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from envwizard.plan.build import STATE_FILE, Plan, make_plan
from envwizard.run.outcome import EnvOutcome, RunStatus
from envwizard.settings.answers import load_answers
from envwizard.tui.app import EnvWizardApp, make_app
from envwizard.tui.screens.build import BuildScreen
from envwizard.tui.screens.done import DoneScreen
from envwizard.tui.screens.environment import EnvironmentScreen
from envwizard.tui.screens.install import InstallScreen
from envwizard.tui.screens.machine import MachineScreen
from envwizard.tui.screens.python import PythonScreen
from envwizard.tui.screens.review import ReviewScreen
from envwizard.tui.widgets.dialogs import ChoiceDialog, ConfirmDialog

from ..builders import build_wheel, command_step, env_python, install_argv, resolved, tiny_plan
from .conftest import HOME, press_next, settle, until

# Every test drives the real Textual app through Pilot, most with real installs: slow tier.
pytestmark = pytest.mark.slow

ORDER = [MachineScreen, PythonScreen, EnvironmentScreen, BuildScreen, ReviewScreen, DoneScreen]


async def started(pilot) -> None:  # type: ignore[no-untyped-def]
    await until(pilot, lambda: isinstance(pilot.app.screen, MachineScreen))
    await settle(pilot)


async def test_dry_run_walks_every_screen_with_the_keyboard(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot)
        seen = [type(app.screen)]
        summary = str(app.screen.query_one("#summary").render())
        assert "3.11.9" in summary and "RTX 4090" in summary and "Ryzen 9 7950X" in summary
        for _ in ORDER[1:]:
            seen.append(type(await press_next(pilot)))
        assert seen == ORDER
        assert not Path(app.state.plan.env_path).exists()  # a dry run creates nothing
        # The pre-flight a real run makes first, run for real (it asks PyTorch's index).
        await until(pilot, lambda: app.state.dry_run_problems is not None, timeout=60)
        panel = " ".join(str(app.screen.query_one("#dry").render()).split())
        problems = app.state.dry_run_problems
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    if problems:
        assert "A real run would stop at its pre-flight checks here:" in panel
        assert app.exit_line.startswith("dry run: the real run would stop at its pre-flight checks")
    else:
        assert "The pre-flight checks a real run makes pass here." in panel
        assert app.exit_line == "dry run: the pre-flight checks passed; nothing was run or created."


async def test_next_clicked_on_every_screen_leaves_it_once(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    # Textual calls a screen's button handler and its base class's: one that called the base's
    # again dismissed twice (the wizard ended with a screen-stack error).
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot)
        for expected in ORDER[1:]:
            before = app.screen
            await pilot.click("#next")
            await until(pilot, lambda b=before: app.screen is not b and app.screen.is_mounted)
            await settle(pilot)
            assert isinstance(app.screen, expected)
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_tab_enter_and_resize_break_nothing(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot)
        assert isinstance(await press_next(pilot, "enter"), PythonScreen)  # Next has the focus
        for size in [(80, 24), (60, 20), (140, 45), (80, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.press("tab", "tab", "shift+tab")
            await settle(pilot)
        assert isinstance(await press_next(pilot), EnvironmentScreen)
        assert isinstance(await press_next(pilot, "escape"), PythonScreen)
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_choices_change_the_plan_and_escape_goes_back(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot)
        await press_next(pilot)
        # Python: type a version for uv to provide.
        app.screen.query_one("#version").value = "3.12"
        env = await press_next(pilot)
        assert isinstance(env, EnvironmentScreen)
        await pilot.click("#m-uv")
        env.query_one("#env").value = "~/envs/dl"
        note = env.query_one("#env-note")
        await until(
            pilot, lambda: "a new uv environment at /home/ada/envs/dl" in str(note.render())
        )
        build = await press_next(pilot)
        assert isinstance(build, BuildScreen)
        reasons = build.query_one("#reasons")
        assert "cu126" in str(reasons.render()) and "GTX 1080" in str(reasons.render())
        build.query_one("#torch").value = "<2.9"
        await until(pilot, lambda: "torch 2.8" in str(reasons.render()))
        assert isinstance(await press_next(pilot), ReviewScreen)
        plan = app.state.plan
        assert plan.manager == "uv" and plan.decision.release == "2.8"
        assert plan.step("create-env").argv[-2:] == ["--python", "3.12"]
        # Back is a result: the app shows the build screen again, filled from the draft.
        build = await press_next(pilot, "escape")
        assert isinstance(build, BuildScreen)
        assert build.query_one("#torch").value == "<2.9"
        await pilot.press("ctrl+q")


async def test_saved_answers_replay_headless_to_the_same_plan(
    facts, frozen, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    saved = tmp_path / "answers.yaml"
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot)
        for _ in range(2):
            await press_next(pilot)
        await pilot.click("#m-virtualenv")
        await press_next(pilot)
        app.screen.query_one("#packages").value = "torchvision rich"
        review = await press_next(pilot)
        assert isinstance(review, ReviewScreen)
        review.query_one("#save-path").value = str(saved)
        review.query_one("#save").press()
        await until(pilot, lambda: "saved" in str(review.query_one("#saved").render()))
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
        await started(pilot)
        for _ in range(2):
            await press_next(pilot)
        assert app.screen.query_one("#env").value == "/srv/envs/prefilled"
        assert app.screen.query_one("#m-uv").value is True
        await press_next(pilot)
        assert app.screen.query_one("#torch").value == "==2.13.*"
        assert app.screen.query_one("#packages").value == "rich"
        await press_next(pilot)
        assert (
            app.state.plan.decision.variant == "cpu" and app.state.plan.decision.release == "2.13"
        )
        await pilot.press("ctrl+q")


@dataclass
class Install:
    """A wizard about to run a real plan of real commands into `env`, offline from `wheels`."""

    app: EnvWizardApp
    plan: Plan
    env: Path
    wheels: Path


@pytest.fixture
def install(facts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Install:  # type: ignore[no-untyped-def]
    """The tiny plan (create, install tinypkg, pin, verify); logs and reports go under tmp_path."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinypkg", "1.0")
    env = tmp_path / "env"
    app = make_app(facts=facts, cwd=str(tmp_path))
    return Install(app, tiny_plan("venv", env, wheels), env, wheels)


@pytest.fixture
def long_install(install: Install) -> Install:
    """The tiny plan whose install step prints a line, then works for a minute: time to cancel."""
    install.plan.steps[1] = command_step(
        "install-torch",
        "Install",
        [sys.executable, "-c", "import time; print('downloading…', flush=True); time.sleep(60)"],
        "install",
    )
    return install


async def reach_review(app, pilot, plan, env) -> None:  # type: ignore[no-untyped-def]
    await started(pilot)
    for _ in range(4):
        await press_next(pilot)
    assert isinstance(app.screen, ReviewScreen)
    app.state.draft = dataclasses.replace(app.state.draft, env=str(env))
    app.state.plan = plan  # a real plan of real commands, installing a tiny offline wheel


async def start_long_install(app, pilot, plan, env) -> None:  # type: ignore[no-untyped-def]
    """Install, and wait until the long step is running (the environment exists by then)."""
    await reach_review(app, pilot, plan, env)
    await press_next(pilot)
    await until(pilot, lambda: env.exists() and app.runner is not None and app.runner.results)


def report_of(app):  # type: ignore[no-untyped-def]
    return json.loads(Path(app.state.report_path).read_text())


async def test_real_install_of_a_tiny_wheel_then_done(install: Install) -> None:
    app, plan, env = install.app, install.plan, install.env
    async with app.run_test(size=(100, 32)) as pilot:
        await reach_review(app, pilot, plan, env)
        await press_next(pilot)
        screen = app.screen
        assert isinstance(screen, InstallScreen)
        await until(pilot, lambda: app.result is not None and screen.shown("continue"))
        assert not screen.shown("cancel")
        assert "$ " in "\n".join(screen.query_one("#log-install-torch").lines)
        assert isinstance(await press_next(pilot, "enter"), DoneScreen)
        assert app.screen.query_one("#activate").value == f"source {env}/bin/activate"
        assert app.screen.query_one("#export").value == (
            f"envwizard export {env} --format requirements -o requirements.txt"
        )
        assert app.screen.query_one("#bundle").value.startswith("envwizard bundle --answers ")
        report = report_of(app)
        assert report["verify"]["ok"] is True
        assert [s["status"] for s in report["steps"]] == ["ok"] * 4
        assert report["carry"]["requirements"] == app.screen.query_one("#export").value
        await pilot.press("q")
    assert app.return_code == 0
    assert app.exit_line == f"Done. Activate with: source {env}/bin/activate"
    assert (env / "pyvenv.cfg").exists()


async def test_cancel_during_install_asks_then_rolls_back(long_install: Install) -> None:
    app, plan, env = long_install.app, long_install.plan, long_install.env
    async with app.run_test(size=(100, 32)) as pilot:
        await start_long_install(app, pilot, plan, env)
        assert isinstance(await press_next(pilot, "escape"), ConfirmDialog)  # asks first
        await press_next(pilot, "escape")  # "Keep going"
        assert app.runner.running
        assert isinstance(await press_next(pilot, "escape"), ConfirmDialog)
        await pilot.click("#yes")
        await until(pilot, lambda: app.result is not None, timeout=15)
        assert not env.exists()
        assert app.result.status == RunStatus.CANCELLED and app.result.env == EnvOutcome.REMOVED
        assert app.screen.shown("back")
        await pilot.press("ctrl+q")
    assert app.return_code == 130
    assert app.exit_line.startswith("Cancelled: what this run made was removed.")


async def test_ctrl_q_during_an_install_asks_then_shows_the_rollback(
    long_install: Install,
) -> None:
    app, plan, env = long_install.app, long_install.plan, long_install.env
    async with app.run_test(size=(100, 32)) as pilot:
        await start_long_install(app, pilot, plan, env)
        dialog = await press_next(pilot, "ctrl+q")  # asks, as ctrl+c does
        assert (
            isinstance(dialog, ConfirmDialog) and "Cancel the install and quit?" in dialog.question
        )
        await press_next(pilot, "escape")  # "Keep going"
        assert app.running and env.exists()
        await press_next(pilot, "ctrl+q")
        screen = app.install_view()
        said: list[tuple[str, bool]] = []  # what the screen said, and whether a button showed
        say = screen.say

        def recording(text: str) -> None:
            offered = any(screen.shown(b) for b in ("cancel", "retry", "rollback", "back"))
            said.append((text, offered))
            say(text)

        screen.say = recording  # type: ignore[method-assign]
        await pilot.click("#yes")
        await until(pilot, lambda: app.return_code is not None, timeout=15)
        # The rollback can take seconds: it is said first, with nothing offered that would race
        # it (however fast this one was).
        first = said[0]
        assert "rolling back" in first[0] and not first[1], said
    assert app.return_code == 130
    assert app.runner.status == RunStatus.CANCELLED
    assert not env.exists()
    assert report_of(app)["status"] == "cancelled"
    assert app.exit_line.startswith("Cancelled: what this run made was removed. Report: ")


async def test_ctrl_c_in_the_wizard_asks_then_cancels_like_headless(long_install: Install) -> None:
    app, plan, env = long_install.app, long_install.plan, long_install.env
    async with app.run_test(size=(100, 32)) as pilot:
        await start_long_install(app, pilot, plan, env)
        dialog = await press_next(pilot, "ctrl+c")
        assert isinstance(dialog, ConfirmDialog) and "Cancel the install" in dialog.question
        await press_next(pilot, "escape")  # "Keep going": nothing stops
        assert app.runner.running and env.exists()
        await press_next(pilot, "ctrl+c")
        await pilot.click("#yes")
        await until(pilot, lambda: app.return_code is not None, timeout=15)
    assert app.return_code == 130
    assert not env.exists()
    report = report_of(app)
    assert report["status"] == "cancelled" and report["exit_code"] == 130
    assert [s["status"] for s in report["steps"]] == ["ok", "cancelled", "cancelled", "cancelled"]
    assert app.exit_line.startswith("Cancelled: what this run made was removed.")


async def test_ctrl_c_on_a_question_screen_quits_with_130_and_changes_nothing(
    facts, frozen
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot)
        await press_next(pilot)
        assert isinstance(await press_next(pilot, "ctrl+c"), ConfirmDialog)
        assert isinstance(await press_next(pilot, "escape"), PythonScreen)  # keep going
        await press_next(pilot, "ctrl+c")
        await pilot.click("#yes")
        await until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 130
    assert app.exit_line == "Cancelled: nothing was changed."


@pytest.mark.parametrize("remove", [True, False], ids=["remove", "keep"])
async def test_quit_after_a_failure_asks_whether_to_keep_the_environment(
    install: Install, remove: bool
) -> None:
    app, env = install.app, install.env
    # Resolved already: the install itself fails (a set the sources lack is refused earlier).
    plan = resolved(tiny_plan("venv", env, install.wheels, fail_install=True))
    async with app.run_test(size=(100, 32)) as pilot:
        await reach_review(app, pilot, plan, env)
        await press_next(pilot)
        await until(pilot, lambda: app.result is not None)
        assert app.result.status == RunStatus.FAILED and env.exists()  # kept: Retry is offered
        dialog = await press_next(pilot, "ctrl+q")
        assert isinstance(dialog, ChoiceDialog) and "Keep it to resume later" in dialog.question
        assert [b.id for b in dialog.query("Button")] == ["stay", "remove", "keep"]
        await press_next(pilot, "escape")  # Stay: nothing happens
        assert isinstance(app.screen, InstallScreen) and app.return_code is None
        await press_next(pilot, "ctrl+q")
        await pilot.click("#remove" if remove else "#keep")
        await until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 1
    report = report_of(app)
    assert report["status"] == "failed" and report["exit_code"] == 1
    if remove:
        assert not env.exists()
        assert report["env"]["outcome"] == "removed"
        assert app.exit_line.startswith("Failed: what this run made was removed.")
    else:
        assert (env / "pyvenv.cfg").exists()
        assert report["env"]["outcome"] == "unfinished"
        state = json.loads((env / STATE_FILE).read_text())
        assert state["status"] == "failed" and state["completed"] == ["create-env"]
        resume = f"{app.result.run_dir}/answers.yaml"
        assert app.exit_line.startswith(
            f"Failed: the unfinished environment stays at {env}; resume with: envwizard "
            f"--answers {resume}. Report: "
        )
        assert load_answers(resume).env == str(env)  # the answers file named resumes it


async def test_retry_after_a_failed_torch_install_runs_the_pin_and_the_packages(
    install: Install, tmp_path: Path
) -> None:
    """install-torch fails once; Retry must run it, then pin and install-packages, not skip them."""
    app, plan, env, wheels = install.app, install.plan, install.env, install.wheels
    build_wheel(wheels, "extrapkg", "1.0")
    marker = tmp_path / "flaky-once"
    real_install = plan.step("install-torch").argv
    flaky = (
        "import os, subprocess, sys\n"
        f"if not os.path.exists({str(marker)!r}):\n"
        f"    open({str(marker)!r}, 'w').close(); sys.exit('the index went away')\n"
        f"sys.exit(subprocess.call({real_install!r}))"
    )
    plan.steps[1] = command_step(
        "install-torch", "Install", [sys.executable, "-c", flaky], "install"
    )
    packages = command_step(
        "install-packages",
        "Install packages",
        install_argv("venv", env, wheels, "extrapkg"),
        "install",
    )
    plan.steps.insert(3, packages)  # create-env, install-torch, pin, install-packages, verify
    async with app.run_test(size=(100, 32)) as pilot:
        await reach_review(app, pilot, plan, env)
        screen = await press_next(pilot)
        await until(pilot, lambda: app.result is not None)
        assert [s.status for s in app.result.steps] == [
            "ok",
            "failed",
            "not-run",
            "not-run",
            "not-run",
        ]
        state = json.loads((env / STATE_FILE).read_text())
        assert state["status"] == "failed" and state["completed"] == ["create-env"]
        assert screen.shown("retry") and screen.shown("rollback")
        first = app.runner
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.runner is not first and app.result is not None)
        assert [(s.id, s.status) for s in app.result.steps] == [
            ("create-env", "skipped"),
            ("install-torch", "ok"),
            ("pin", "ok"),
            ("install-packages", "ok"),
            ("verify", "ok"),
        ]
        assert app.result.status == RunStatus.DONE
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    assert (env / "envwizard-constraints.txt").read_text().splitlines()[-1] == "tinypkg==1.0"
    imports = subprocess.run([env_python(env), "-c", "import extrapkg, tinypkg"], check=False)
    assert imports.returncode == 0
    state = json.loads((env / STATE_FILE).read_text())
    assert state["status"] == "done"
    assert state["completed"] == [
        "create-env",
        "install-torch",
        "pin",
        "install-packages",
        "verify",
    ]


async def test_python_screen_refuses_a_python_no_torch_supports(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot)
        screen = await press_next(pilot)
        screen.query_one("#version").value = "3.7"
        await until(pilot, lambda: screen.query_one("#next").disabled)
        assert "Python 3.7" in str(screen.query_one("#problem").render())
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is screen  # Next did nothing
        screen.query_one("#version").value = "3.13"
        await until(pilot, lambda: not screen.query_one("#next").disabled)
        assert "not installed here" in str(screen.query_one("#window-note").render())
        await pilot.press("ctrl+q")
