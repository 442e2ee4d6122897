"""The wizard when envwizard's own records cannot be written (issue 18): one sentence on the
install screen and nothing made, as headless exits 2."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import Static

from envwizard.tui.app import make_app
from envwizard.tui.screens.install import InstallScreen
from envwizard.tui.screens.review import ReviewScreen

from ..builders import build_wheel, tiny_plan
from ..run.test_drills_round3 import tmpfs
from .conftest import press_next, settle, until

pytestmark = pytest.mark.slow  # the real app through Pilot, a real read-only filesystem


async def test_a_read_only_log_folder_stops_the_install_in_one_sentence(
    facts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinypkg", "1.0")
    env = tmp_path / "env"
    with tmpfs(tmp_path / "state", "64k", "ro") as state:
        monkeypatch.setenv("XDG_STATE_HOME", str(state))
        app = make_app(facts=facts, cwd=str(tmp_path))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            for _ in range(4):
                await press_next(pilot)
            assert isinstance(app.screen, ReviewScreen)
            app.state.draft = dataclasses.replace(app.state.draft, env=str(env))
            app.state.plan = tiny_plan("venv", env, wheels)
            screen = await press_next(pilot)
            assert isinstance(screen, InstallScreen)
            problem = screen.query_one("#problem", Static)
            await until(
                pilot, lambda: "cannot write envwizard's run folder" in str(problem.render())
            )
            assert "Read-only file system" in str(problem.render())
            assert app.runner is None and app.result is None
            await pilot.press("ctrl+q")
    assert not env.exists()
