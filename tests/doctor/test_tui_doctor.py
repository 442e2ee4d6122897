"""The wizard's first screen offers to check the active environment; Repair fixes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Static

from envwizard.facts.load import facts_from_json
from envwizard.tui.app import make_app
from envwizard.tui.screens.doctor import DoctorScreen
from envwizard.tui.screens.machine import MachineScreen
from envwizard.tui.widgets.dialogs import ConfirmDialog

from ..tui.conftest import settle, until
from .conftest import python_of, run

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[1] / "data"


async def test_check_and_repair_the_active_environment(
    broken_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", str(broken_env))
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    facts = facts_from_json((DATA / "facts_cpu_box.json").read_text())
    app = make_app(facts=facts, dry_run=True, cwd=str(tmp_path))
    async with app.run_test(size=(110, 40)) as pilot:
        await until(pilot, lambda: isinstance(pilot.app.screen, MachineScreen))
        await settle(pilot)
        button = pilot.app.screen.query_one("#doctor", Button)
        assert button.display and str(broken_env) in str(button.label)
        await pilot.click("#doctor")
        await until(pilot, lambda: isinstance(pilot.app.screen, DoctorScreen))
        screen = pilot.app.screen
        await until(pilot, lambda: not screen.busy, timeout=180)
        text = str(screen.query_one("#findings", Static).content)
        assert "COMPANION_VARIANT_MISMATCH" in text and "(torchvision)" in text
        assert not screen.query_one("#repair", Button).disabled
        await pilot.click("#repair")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), timeout=120)
        assert "pip uninstall --yes torchvision" in pilot.app.screen.question
        await pilot.click("#yes")
        await until(pilot, lambda: pilot.app.screen is screen and screen.busy, timeout=30)
        await until(pilot, lambda: not screen.busy, timeout=300)
        text = str(screen.query_one("#findings", Static).content)
        assert "healthy" in text and "COMPANION_VARIANT_MISMATCH" not in text
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(pilot.app.screen, MachineScreen))
    freeze = run([str(python_of(broken_env)), "-m", "pip", "freeze"]).stdout
    assert "torchvision" not in freeze and "torch==" in freeze
