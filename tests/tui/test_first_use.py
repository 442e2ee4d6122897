"""What a first-time user hits in the wizard (issue: choices that look available but are not,
panes that cut the cause, checks that come late), driven with keys as a person would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from envwizard.tui.app import make_app
from envwizard.tui.screens.build import BuildScreen
from envwizard.tui.screens.environment import EnvironmentScreen

from .conftest import HOME, press_next, settle, until


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


@pytest.mark.slow
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
