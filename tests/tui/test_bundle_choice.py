"""The wizard's "Install from a bundle folder": chosen on the Machine screen, its answers fill
the screens, every plan installs from its folder alone, and the install's checks refuse a
bundle whose files do not match its lock, before anything is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from envwizard.app.session import Refused
from envwizard.plan.steps import Install
from envwizard.settings.answers import Answers, Benchmark
from envwizard.tui.app import make_app
from envwizard.tui.screens.machine import MachineScreen
from envwizard.tui.widgets.dialogs import FolderDialog

from ..run.test_bundle import make, tiny_lock
from .conftest import HOME, settle, until

# Pilot drives the real app: slow tier.
pytestmark = pytest.mark.slow


def a_bundle(tmp_path: Path) -> Path:
    out = tmp_path / "bundle"
    answers = Answers(
        env=str(tmp_path / "env"),
        compute="cpu",  # type: ignore[arg-type]
        torch="==2.13.*",
        torch_index="default",
        benchmark=Benchmark(enabled=False),
    )
    make(out, tiny_lock(tmp_path / "src"), answers=answers)
    return out


async def test_a_bundle_chosen_on_the_machine_screen_is_what_the_install_takes(  # type: ignore[no-untyped-def]
    facts, frozen, tmp_path: Path
) -> None:
    bundle = a_bundle(tmp_path)
    app = make_app(facts=facts, cwd=HOME)
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: isinstance(pilot.app.screen, MachineScreen))
        await settle(pilot)
        # not a bundle: said, nothing taken
        await pilot.click("#from-bundle")
        await until(pilot, lambda: isinstance(app.screen, FolderDialog))
        await pilot.press(*str(tmp_path / "src"), "enter")
        await until(pilot, lambda: isinstance(app.screen, MachineScreen))
        assert app.state.bundle is None
        # the bundle
        await pilot.click("#from-bundle")
        await until(pilot, lambda: isinstance(app.screen, FolderDialog))
        await pilot.press(*str(bundle), "enter")
        await until(pilot, lambda: app.state.bundle is not None)
        await settle(pilot)
        line = " ".join(str(app.screen.query_one("#bundle-line").render()).split())
        assert f"{bundle}: 2 files for linux-x86_64" in line and "torch 2.13.0+cpu (cpu)" in line
        assert app.state.draft.env == str(tmp_path / "env")  # its answers fill the screens
        plan = app.state.plan
        assert plan is not None and plan.decision.variant == "cpu"
        step = plan.step("install-torch")
        assert "--no-index" in step.argv and step.env["PIP_NO_INDEX"] == "1"
        assert step.argv[step.argv.index("--find-links") + 1] == str(bundle / "wheels")
        session = app.open_session()
        session.inspect()
        assert app.state.bundle is not None
        assert session.plan.lock == app.state.bundle.lock_here  # installed as it is
        spec = session.plan.step("install-torch").spec
        assert isinstance(spec, Install) and spec.lock_file
        # a file changed since: refused before anything is made
        wheel = next((bundle / "wheels").glob("tinydep-*.whl"))
        wheel.write_bytes(wheel.read_bytes() + b"x")
        prepared = session.prepare()
        session.release()
        assert isinstance(prepared, Refused)
        assert f"{wheel} is not the file its lock names" in prepared.message
        assert not (tmp_path / "env").exists()
        await pilot.press("ctrl+q")
