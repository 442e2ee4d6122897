"""What a first-time user hits in the wizard (issue: choices that look available but are not,
panes that cut the cause, checks that come late), driven with keys as a person would."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input

from envwizard.plan.build import STATE_FILE
from envwizard.plan.steps import Step
from envwizard.tui.app import make_app
from envwizard.tui.screens.build import BuildScreen
from envwizard.tui.screens.environment import EnvironmentScreen
from envwizard.tui.screens.install import InstallScreen
from envwizard.tui.widgets.dialogs import ChoiceDialog
from envwizard.tui.widgets.wraplog import WrapLog

from ..builders import build_wheel, env_python, resolved, tiny_plan, tool
from .conftest import HOME, press_next, settle, until, workstation
from .test_flow import Install

# Every test drives the real Textual app through Pilot: slow tier.
pytestmark = pytest.mark.slow


async def to_environment(pilot) -> EnvironmentScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await press_next(pilot)
    screen = await press_next(pilot)
    assert isinstance(screen, EnvironmentScreen)
    await settle(pilot)
    return screen


def without_virtualenv(facts):  # type: ignore[no-untyped-def]
    del facts.managers["virtualenv"]
    return facts


async def test_missing_tools_are_listed_not_offered_as_choices(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    """conda, mamba and micromamba are not on the workstation: no radio button that the arrow
    keys would skip, but a list that says how to get each."""
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await to_environment(pilot)
        ids = [b.id for b in screen.query("RadioButton")]
        assert ids == ["m-virtualenv", "m-venv", "m-uv"]
        missing = str(screen.query_one("#missing").render())
        assert "conda" in missing and "Miniforge" in missing and "micromamba" in missing
        assert not screen.query_one("#tool-row").display


async def test_a_system_python_is_never_changed_so_virtualenv_is_only_listed(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=without_virtualenv(facts), dry_run=True, cwd=HOME)
    app.state.own_python = "/usr/bin/python3"  # not a virtual environment
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await to_environment(pilot)
        assert "m-virtualenv" not in [b.id for b in screen.query("RadioButton")]
        missing = " ".join(str(screen.query_one("#missing").render()).split())
        assert (
            "envwizard never installs into it" in missing and "pipx install virtualenv" in missing
        )


async def test_choosing_a_missing_virtualenv_offers_the_install_then_works(
    facts,
    frozen,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """A real install of virtualenv into a real environment standing in for envwizard's own,
    with one key; then the environment screen takes it and the plan creates with it."""
    own = tmp_path / "own"
    subprocess.run([sys.executable, "-m", "venv", str(own)], check=True)
    app = make_app(facts=without_virtualenv(facts), dry_run=True, cwd=HOME)
    app.state.own_python = str(own / "bin" / "python")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await to_environment(pilot)
        assert "m-virtualenv" in [b.id for b in screen.query("RadioButton")]
        await pilot.click("#m-virtualenv")
        await settle(pilot)
        offer = " ".join(str(screen.query_one("#tool-offer").render()).split())
        assert f"envwizard's own environment at {own}" in offer
        assert f"{own}/bin/python -m pip install --disable-pip-version-check virtualenv" in offer
        assert screen.query_one("#next").disabled  # nothing to create with yet
        screen.query_one("#manager").focus()
        await pilot.press("i")
        await until(pilot, lambda: app.state.facts.managers.get("virtualenv") is not None, 300)
        tool = app.state.facts.managers["virtualenv"]
        assert tool.path == str(own / "bin" / "virtualenv") and tool.version
        assert not screen.query_one("#tool-row").display
        assert not screen.query_one("#next").disabled
        build = await press_next(pilot)
        assert isinstance(build, BuildScreen)
        create = app.state.plan.steps[0]
        assert create.argv[0] == tool.path  # the environment is made with the new virtualenv
        r = subprocess.run([tool.path, "--version"], capture_output=True, text=True, check=True)
        assert tool.version in r.stdout


# ---- a failed step: the cause whole, Retry only where it can help --------------------------------


@pytest.fixture
def install(facts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Install:  # type: ignore[no-untyped-def]
    """The tiny plan of real commands (create, install tinypkg, pin, verify), offline."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinypkg", "1.0")
    env = tmp_path / "env"
    app = make_app(facts=facts, cwd=str(tmp_path))
    return Install(app, tiny_plan("venv", env, wheels), env, wheels)


async def failed(app, pilot, install: Install) -> InstallScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    for _ in range(4):
        await press_next(pilot)
    app.state.draft = dataclasses.replace(app.state.draft, env=str(install.env))
    app.state.plan = install.plan  # real commands
    await press_next(pilot)
    screen = app.screen
    assert isinstance(screen, InstallScreen)
    await until(pilot, lambda: app.result is not None)
    await settle(pilot)
    return screen


async def test_a_resolution_failure_is_not_offered_a_retry(install: Install) -> None:
    """A real uv that cannot resolve tinypkg>=2 from a folder holding 1.0: its cause whole in
    the pane and under it, no Retry, Roll back offered with what would help."""
    install.plan.steps[1] = Step.command("install-torch", "Install", [
        tool("uv"), "pip", "install", "--python", env_python(install.env), "tinypkg>=2",
        "--no-index", "--find-links", str(install.wheels),
    ], "install")  # fmt: skip
    app = install.app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await failed(app, pilot, install)
        cause = " ".join(str(screen.query_one("#cause").render()).split())
        assert "tinypkg" in cause and "requirements are unsatisfiable" in cause  # not cut
        assert "Retrying cannot help" in cause and "loosen the torch version" in cause
        assert not screen.shown("retry") and screen.shown("rollback")
        assert "running it again cannot help" in str(screen.query_one("#problem").render())
        pane = screen.query_one("#log-install-torch", WrapLog)
        width = pane.scrollable_content_region.width
        assert pane._rows and all(len(row) <= width for row in pane._rows)  # wrapped, not cut
        assert "requirements are unsatisfiable." in " ".join(r.strip() for r in pane._rows)
        await pilot.press("ctrl+r")  # the key does nothing where the button is not offered
        await settle(pilot)
        assert app.result is not None and app.result.status.value == "failed"


async def test_a_network_failure_is_offered_a_retry(install: Install) -> None:
    install.plan.steps[1] = Step.command("install-torch", "Install", [
        sys.executable, "-c",
        "import sys; print('ERROR: Could not install packages due to an OSError: "
        "HTTPSConnectionPool(host=\\'mirror.example\\', port=443): Read timed out.'); sys.exit(1)",
    ], "install")  # fmt: skip
    app = install.app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await failed(app, pilot, install)
        assert screen.shown("retry") and screen.shown("rollback")
        cause = " ".join(str(screen.query_one("#cause").render()).split())
        assert "Read timed out." in cause and "Retry when the network is back" in cause


# ---- checks as the person types, with the rules headless uses ------------------------------------


async def type_env(pilot, screen: EnvironmentScreen, path: str) -> str:  # type: ignore[no-untyped-def]
    """Type a path into the environment field key by key; the note shown under it."""
    field = screen.query_one("#env", Input)
    field.focus()
    field.value = ""
    await pilot.press(*path)
    await settle(pilot)
    return " ".join(str(screen.query_one("#env-note").render()).split())


async def test_proc_is_refused_as_typed(facts, frozen) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await to_environment(pilot)
        note = await type_env(pilot, screen, "/proc/x")
        assert "/proc/x is inside a system folder of the kernel" in note
        assert screen.query_one("#next").disabled


@pytest.fixture
def held(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Another live envwizard process holding the environment at tmp_path/held."""
    env = tmp_path / "held"
    code = (
        "from envwizard.run.envlock import EnvLock\nimport time\n"
        f"with EnvLock({str(env)!r}):\n print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield env, proc.pid
    proc.kill()
    proc.wait()


async def test_a_path_another_run_holds_is_refused_before_install(facts, frozen, held) -> None:  # type: ignore[no-untyped-def]
    env, pid = held
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await to_environment(pilot)
        note = await type_env(pilot, screen, str(env))
        assert f"another envwizard run (pid {pid}) is working on {env}" in note
        assert screen.query_one("#next").disabled
    assert not (env / "pyvenv.cfg").exists()


async def test_a_finished_environment_with_abort_is_refused_before_install(
    facts,
    frozen,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """A finished envwizard environment of another plan, and `If it already exists: abort`."""
    env = tmp_path / "done"
    env.mkdir()
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env / STATE_FILE).write_text(
        json.dumps({"status": "done", "plan": "another", "completed": ["create-env"]})
    )
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await to_environment(pilot)
        note = await type_env(pilot, screen, str(env))
        assert f"{env} already exists" in note and "existing: reuse" in note
        assert screen.query_one("#next").disabled


async def test_a_new_wizard_offers_the_unfinished_environment(install: Install) -> None:
    """A failed run kept its environment (Keep); the next wizard offers to resume it."""
    app, env = install.app, install.env
    # Resolved already: the install itself fails (a set the sources lack is refused earlier).
    plan = resolved(tiny_plan("venv", env, install.wheels, fail_install=True))
    async with app.run_test(size=(100, 32)) as pilot:
        await failed(app, pilot, Install(app, plan, env, install.wheels))
        await press_next(pilot, "ctrl+q")
        await pilot.click("#keep")
        await until(pilot, lambda: app.return_code is not None)
    assert (env / "pyvenv.cfg").exists()
    again = make_app(facts=workstation(), cwd=str(env.parent))
    async with again.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: isinstance(again.screen, ChoiceDialog))
        dialog = again.screen
        assert isinstance(dialog, ChoiceDialog)
        assert f"An earlier run left an unfinished environment at {env}" in dialog.question
        assert "(last finished step: create-env)" in dialog.question
        await pilot.click("#resume")
        await settle(pilot)
        assert again.state.draft.env == str(env)  # the screens hold that run's answers
        await pilot.press("ctrl+q")
