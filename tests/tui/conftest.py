"""Frozen inputs for the wizard: a workstation's facts, a fixed home, fixed script paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from envwizard.facts.model import Facts

DATA = Path(__file__).parent.parent / "data"


def workstation() -> Facts:
    return Facts.from_json((DATA / "facts_workstation.json").read_text())


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
    monkeypatch.setattr("envwizard.plan.script_path", lambda name: f"/opt/envwizard/scripts/{name}")
    monkeypatch.setattr(
        "envwizard.bench.argv.worker_path", lambda: "/opt/envwizard/bench/worker.py"
    )
    return HOME
