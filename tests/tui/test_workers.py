"""The wizard's network work runs in workers, never in a screen's merge: `mirror: auto` is
measured off the UI thread, once per set of sources, and the review plans from what was kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from envwizard.knowledge.mirrors import Kind, Preset
from envwizard.tui.app import make_app
from envwizard.tui.screens.build import BuildScreen
from envwizard.tui.screens.machine import MachineScreen
from envwizard.tui.screens.review import ReviewScreen
from tests.test_mirrors import Server, page, use_pool

from ..builders import plain_facts
from .conftest import press_next, settle, until

pytestmark = pytest.mark.slow


@pytest.mark.timed
async def test_mirror_auto_is_measured_in_a_worker_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pypi = Server(1.0, {"/simple/pip/": page("pip-25.0-py3-none-any.whl")})  # answers in 1 s
    use_pool(
        monkeypatch, (Preset("slow-pypi", "site", Kind.PYPI, pypi.base + "/simple", "ZZ", "test"),)
    )
    answers = tmp_path / "a.yaml"
    answers.write_text(
        f"manager: venv\nenv: {tmp_path / 'env'}\ncompute: cpu\nmirror: auto\nbenchmark: false\n"
    )
    app = make_app(facts=plain_facts(), answers_path=str(answers), cwd=str(tmp_path))
    try:
        async with app.run_test(size=(100, 32)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, MachineScreen))
            await settle(pilot)
            await press_next(pilot)
            await press_next(pilot)
            screen = await press_next(pilot)
            assert isinstance(screen, BuildScreen)
            # Arrived at once, while the measurement runs: the screen answers keys, Next waits.
            reasons, problem = screen.query_one("#reasons"), screen.query_one("#problem")
            assert screen.query_one("#next").disabled
            assert "measuring the mirrors" in str(problem.render())
            assert "measuring which sources answer fastest" in str(reasons.render())
            screen.query_one("#seconds", Input).value = "12"  # another plan, the same sources
            await pilot.pause()
            assert (
                len(screen.measuring) == 1
                and app.state.measurements.get(next(iter(screen.measuring))) is None
            )
            await until(pilot, lambda: not screen.query_one("#next").disabled, timeout=15)
            shown = " ".join(str(reasons.render()).split())
            assert "mirror: auto measured" in shown and "slow-pypi: " in shown
            review = await press_next(pilot)
            assert isinstance(review, ReviewScreen)
            plan = app.state.plan
            assert plan is not None and app.state.unmeasured == ()
            measured = [r for r in plan.decision.reasons if r.startswith("mirror: auto measured")]
            assert len(measured) == 1 and "slow-pypi: " in measured[0]
            assert len(app.state.measurements._kept) == 1  # measured once, merged from the cache
            await pilot.press("ctrl+q")
    finally:
        pypi.close()
