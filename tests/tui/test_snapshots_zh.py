"""The wizard in 简体中文 at 80×24, where Chinese must wrap between characters: the install
pane with an installer's long cause wrapped whole, and a warning wrapped without splitting a
word ("会出" / "错"). pytest tests/tui --snapshot-update after an intended change."""

from __future__ import annotations

import pytest
from scripts.screenshots import RUN_DIR, app_for, forward, review, settle
from textual.pilot import Pilot
from textual.widgets import Input

from envwizard.core.i18n import _
from envwizard.run.outcome import EnvOutcome, RunResult, RunStatus, StepStatus
from envwizard.run.runner import Notice, RunFinished, StepFinished, StepOutput, StepStarted
from envwizard.tui.screens.install import InstallScreen

from .conftest import HOME

SIZE = (80, 24)
UV_FAILURE = [
    "Using Python 3.11.9 environment at: /home/ada/envs/torch",
    "error: No solution found when resolving dependencies",
    "  cause: Because only torchaudio<=2.11.1 is available and you require torchaudio>=2.12, "
    "we can conclude that your requirements are unsatisfiable.",
]


# Every test drives the real Textual app through Pilot: slow tier.
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def chinese(monkeypatch: pytest.MonkeyPatch, frozen: str) -> None:
    monkeypatch.setattr("textual.widgets.Input._toggle_cursor", lambda self: None)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setattr("envwizard.core.i18n._cli", "zh-CN")
    assert frozen == HOME


async def failed_install(pilot: Pilot[None]) -> None:
    """The torch step failed to resolve: uv's whole cause, wrapped; no Retry offered."""
    await review(pilot)
    app = pilot.app
    screen = InstallScreen(autostart=False)
    await app.push_screen(screen)
    await settle(pilot)
    steps = app.state.plan.steps  # type: ignore[attr-defined]
    log = f"{RUN_DIR}/02-install-torch.log"
    screen.apply(
        Notice(
            _(
                "the environment path has a space ({path}); some build tools break on such paths"
            ).format(path="/home/ada/my envs/torch"),
            "warn",
        )
    )
    screen.apply(StepStarted(steps[0], 1, len(steps), f"{RUN_DIR}/01-create-env.log"))
    screen.apply(StepFinished("create-env", StepStatus.OK, 0, 3.1, f"{RUN_DIR}/01-create-env.log"))
    screen.apply(StepStarted(steps[1], 2, len(steps), log))
    screen.apply(StepOutput(steps[1].id, UV_FAILURE))
    screen.apply(StepFinished(steps[1].id, StepStatus.FAILED, 1, 0.4, log, tail=UV_FAILURE))
    result = RunResult(RunStatus.FAILED, 1, [], EnvOutcome.UNFINISHED, RUN_DIR)
    screen.apply(RunFinished(result))
    for item in screen.query("StepItem"):
        item.started = None  # type: ignore[attr-defined]
    await settle(pilot)


async def warning_on_review(pilot: Pilot[None]) -> None:
    """A path with a space and Chinese in it: both warnings wrap between characters."""
    await forward(pilot, 2)
    pilot.app.screen.query_one("#env", Input).value = "~/深度学习 实验/torch"
    await settle(pilot)
    await forward(pilot, 2)


def test_install_pane_with_a_long_cause(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = app_for("facts_workstation.json")
    assert snap_compare(app, run_before=failed_install, terminal_size=SIZE)


def test_warning_wrapped_between_chinese_characters(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = app_for("facts_workstation.json")
    assert snap_compare(app, run_before=warning_on_review, terminal_size=SIZE)
