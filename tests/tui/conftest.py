"""Frozen inputs for the wizard: a workstation's facts, a fixed home, fixed script paths."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import Screen

from envwizard.facts.load import facts_from_json
from envwizard.facts.model import Facts

DATA = Path(__file__).parent.parent / "data"


def workstation() -> Facts:
    return facts_from_json((DATA / "facts_workstation.json").read_text())


@pytest.fixture
def facts() -> Facts:
    return workstation()


HOME = "/home/ada"
"""The workstation's home: nothing is written there (dry runs and replays only)."""


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """HOME and envwizard's own script paths fixed, so screens look the same on every machine."""
    monkeypatch.setenv("HOME", HOME)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(
        "envwizard.plan.build.script_path", lambda name: f"/opt/envwizard/scripts/{name}"
    )
    monkeypatch.setattr(
        "envwizard.plan.bench_argv.worker_path", lambda: "/opt/envwizard/bench/worker.py"
    )
    return HOME


async def until(pilot: Pilot[None], predicate: Callable[[], object], timeout: float = 60.0) -> None:
    """Poll a condition while the app runs (a run's subprocesses take what time they take)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {predicate}")
        await pilot.pause(0.05)
    await pilot.pause()


async def press_next(pilot: Pilot[None], key: str = "ctrl+n") -> Screen[object]:
    """Press a key that leaves this screen; return once the next one is active and mounted."""
    before = pilot.app.screen
    await pilot.press(key)
    await until(pilot, lambda: pilot.app.screen is not before and pilot.app.screen.is_mounted)
    return pilot.app.screen


async def settle(pilot: Pilot[None]) -> None:
    """Let the app handle what is queued: workers, animations, messages."""
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
