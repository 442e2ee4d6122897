"""No credential on the wizard's screens (issue 18, S1.4): the build screen's URL inputs show it
masked while holding what was typed, and the Done screen's "installed … from" line is masked."""

from __future__ import annotations

import dataclasses
import html
import re
import sys
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from envwizard.plan.steps import Install, Sources, Step
from envwizard.tui.app import make_app
from envwizard.tui.screens.build import BuildScreen
from envwizard.tui.screens.done import DoneScreen
from envwizard.tui.screens.install import InstallScreen
from envwizard.tui.screens.review import ReviewScreen

from ..builders import build_wheel, tiny_plan
from ..run.indexes import private_index
from .conftest import HOME, press_next, settle, until

pytestmark = pytest.mark.slow  # the real app through Pilot

SECRET = "s3cretTOKEN"


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """What the terminal shows: the text of the screenshot, without its markup."""
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))).replace("\xa0", " ")


async def test_the_build_screens_url_inputs_mask_the_token_and_keep_the_value(
    facts, frozen
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(facts=facts, dry_run=True, cwd=HOME)
    async with app.run_test(size=(140, 120)) as pilot:
        await settle(pilot)
        for _ in range(3):
            await press_next(pilot)
        build = app.screen
        assert isinstance(build, BuildScreen)
        build.query_one("#torch_index", Select).value = "mirror"
        typed = {
            "#mirror": f"https://alice:{SECRET}@mirror.test/whl",
            "#index_url": f"https://bob:p@ss{SECRET}@pypi.test/simple",  # a raw @ in it
            "#find_links": f"https://{SECRET}@links.test/wheels/",  # a bare token
        }
        for selector, value in typed.items():
            build.query_one(selector, Input).value = value
        await settle(pilot)
        shown = screen_text(app)
        assert SECRET not in shown and "ss@pypi" not in shown
        assert "alice:" in shown and "mirror.test/whl" in shown and "••••" in shown
        changes = build.changes()  # what was typed is what the answers get
        assert changes["torch_index"] == typed["#mirror"]
        assert changes["index_url"] == typed["#index_url"]
        await pilot.press("ctrl+q")


async def test_the_done_screen_masks_the_index_torch_came_from(
    facts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinypkg", "1.0")
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheels)
    served = private_index({"simple": ("alice", SECRET, [wheels / "tinypkg-1.0-py3-none-any.whl"])})
    urls, _ = served.__enter__()
    request.addfinalizer(lambda: served.__exit__(None, None, None))
    index = urls["simple"].replace("http://", f"http://alice:{SECRET}@")
    # The install (and the resolve before it) takes tinypkg from the private index alone.
    spec = plan.steps[1].spec
    assert isinstance(spec, Install)
    plan.steps[1] = plan.steps[1].with_spec(
        dataclasses.replace(spec, sources=Sources(index_url=index))
    )
    plan.steps[3] = Step.command("verify", "Verify", [sys.executable, "-c",
        'import json; print(json.dumps({"ok": True, "torch_version": "2.13.0+cpu"}))'], "verify")  # fmt: skip
    app = make_app(facts=facts, cwd=str(tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        for _ in range(4):
            await press_next(pilot)
        assert isinstance(app.screen, ReviewScreen)
        app.state.draft = dataclasses.replace(app.state.draft, env=str(env))
        app.state.plan = plan
        await press_next(pilot)
        screen = app.screen
        assert isinstance(screen, InstallScreen)
        await until(pilot, lambda: app.result is not None and screen.shown("continue"))
        assert app.result.status == "done", screen_text(app)
        assert SECRET not in screen_text(app)
        assert isinstance(await press_next(pilot, "enter"), DoneScreen)
        await settle(pilot)
        shown = screen_text(app)
        assert "from http://alice:****@127.0.0.1:" in shown
        assert SECRET not in shown
        await pilot.press("q")
