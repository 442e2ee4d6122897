"""Render every wizard screen to SVG from the real app, with fixed data.

    python scripts/screenshots.py [OUT_DIR]        (default: screenshots/)
    python scripts/screenshots.py --lang zh-CN OUT_DIR

Without --lang it makes both sets: English in OUT_DIR, 简体中文 in OUT_DIR/zh-CN.

The facts are a recorded workstation (tests/data/facts_workstation.json: an RTX 4090 beside a
GTX 1080 on driver 580); the install and benchmark screens replay recorded runner events, so
the pictures are the same on every machine. The snapshot tests use the same scenes.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
HOME = "/home/ada"
SIZE = (100, 32)

sys.path.insert(0, str(ROOT / "src"))

from envwizard.core import i18n  # noqa: E402

# The language is set before the wizard is imported: key bindings are labelled at import.
LANG = sys.argv[sys.argv.index("--lang") + 1] if "--lang" in sys.argv else None
i18n.set_cli_language(LANG or "en")

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input  # noqa: E402

from envwizard.facts.load import facts_from_json  # noqa: E402
from envwizard.run.outcome import EnvOutcome, RunResult, RunStatus, StepStatus  # noqa: E402
from envwizard.run.progress import Progress  # noqa: E402
from envwizard.run.runner import (  # noqa: E402
    BenchEvent,
    RunFinished,
    StepFinished,
    StepOutput,
    StepProgress,
    StepStarted,
)
from envwizard.tui.app import EnvWizardApp, make_app  # noqa: E402

Scene = Callable[[Pilot], Awaitable[None]]


def freeze() -> None:
    """Fixed home and script paths (what the snapshot tests do with monkeypatch)."""
    import envwizard.plan.bench_argv
    import envwizard.plan.build

    os.environ["HOME"] = HOME
    os.environ["TEXTUAL_ANIMATIONS"] = "none"
    from textual.widgets import Input

    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
    envwizard.plan.build.script_path = lambda name: f"/opt/envwizard/scripts/{name}"  # type: ignore[assignment]
    envwizard.plan.bench_argv.worker_path = lambda: "/opt/envwizard/bench/worker.py"  # type: ignore[assignment]


def app_for(facts_file: str) -> EnvWizardApp:
    facts = facts_from_json((DATA / facts_file).read_text())
    return make_app(facts=facts, cwd=HOME)


async def settle(pilot: Pilot) -> None:
    """Wait until the app has handled what is queued (no fixed sleep)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def forward(pilot: Pilot, screens: int) -> None:
    """Press Next `screens` times, each time until the next screen is the active one."""
    await settle(pilot)
    for _ in range(screens):
        before = pilot.app.screen
        await pilot.press("ctrl+n")
        for _ in range(600):
            if pilot.app.screen is not before and pilot.app.screen.is_mounted:
                break
            await pilot.pause(0.05)
        await settle(pilot)


async def machine(pilot: Pilot) -> None:
    await forward(pilot, 0)


async def python(pilot: Pilot) -> None:
    await forward(pilot, 1)


async def environment(pilot: Pilot) -> None:
    await forward(pilot, 2)


async def build(pilot: Pilot) -> None:
    await forward(pilot, 3)
    pilot.app.screen.query_one("#packages", Input).value = "torchvision"
    await settle(pilot)


async def review(pilot: Pilot) -> None:
    await build(pilot)
    await forward(pilot, 1)


PIP_LINES = [
    "Looking in indexes: https://download.pytorch.org/whl/cu126",
    "Collecting torch==2.14.*",
    "  Downloading https://download.pytorch.org/whl/cu126/torch-2.14.1%2Bcu126-cp311-cp311-manylinux_2_28_x86_64.whl (887.3 MB)",
]
WHEEL = "torch-2.14.1+cu126-cp311-cp311-manylinux_2_28_x86_64.whl"


async def install(pilot: Pilot) -> None:
    """The install screen mid-download, replaying what pip printed (raw progress: a real bar)."""
    from envwizard.tui.screens.install import InstallScreen, StepItem

    await review(pilot)
    app = wizard(pilot)
    screen = InstallScreen(autostart=False)
    await app.push_screen(screen)
    await settle(pilot)
    plan = app.state.plan
    assert plan is not None
    steps = plan.steps
    run_dir = "/home/ada/.local/state/envwizard/log/runs/20261129-101500-torch"
    screen.apply(StepStarted(steps[0], 1, len(steps), f"{run_dir}/01-create-env.log"))
    screen.apply(StepFinished("create-env", StepStatus.OK, 0, 3.12, f"{run_dir}/01-create-env.log"))
    screen.apply(StepStarted(steps[1], 2, len(steps), f"{run_dir}/02-install-torch.log"))
    screen.apply(StepOutput("install-torch", PIP_LINES))
    screen.apply(StepProgress("install-torch", Progress(WHEEL, 412_000_000, 887_300_000)))
    for item in screen.query(StepItem):  # a still picture: stop the running step's clock
        if item.status is StepStatus.RUNNING:
            item.started, item.seconds = None, 41.3
            item.refresh_label()
    await settle(pilot)


RUN_DIR = "/home/ada/.local/state/envwizard/log/runs/20261129-101500-torch"


def wizard(pilot: Pilot) -> EnvWizardApp:
    app = pilot.app
    assert isinstance(app, EnvWizardApp)
    return app


def recorded_result() -> RunResult:
    """A finished run with the verification and benchmark recorded on a CPU machine."""
    return RunResult(
        status=RunStatus.DONE,
        exit_code=0,
        steps=[],
        env=EnvOutcome.READY,
        run_dir=RUN_DIR,
        verify=json.loads((DATA / "verify_cpu.json").read_text()),
        benchmark=json.loads((DATA / "bench_cpu.jsonl").read_text().splitlines()[-1]),
    )


async def bench(pilot: Pilot) -> None:
    """Verification passed, benchmark done: replays a recorded run of the worker on this CPU box."""
    from envwizard.tui.screens.bench import BenchScreen

    await review(pilot)
    app = wizard(pilot)
    screen = BenchScreen(json.loads((DATA / "verify_cpu.json").read_text()))
    await app.push_screen(screen)
    await settle(pilot)
    for line in (DATA / "bench_cpu.jsonl").read_text().splitlines():
        screen.apply(BenchEvent("benchmark", json.loads(line)))
    screen.apply(StepFinished("benchmark", StepStatus.OK, 0, 12.3, None))
    screen.apply(RunFinished(recorded_result()))
    await settle(pilot)


async def done(pilot: Pilot) -> None:
    from envwizard.tui.screens.done import DoneScreen

    await review(pilot)
    app = wizard(pilot)
    app.open_session().result = recorded_result()  # the reviewed plan's session, finished
    app.state.report_path = f"{RUN_DIR}/report.json"
    app.state.saved_answers = "/home/ada/envwizard-answers.yaml"
    await app.push_screen(DoneScreen())
    await settle(pilot)


WORKSTATION = "facts_workstation.json"
CPU_BOX = "facts_cpu_box.json"
"""The benchmark and done scenes replay runs recorded on a CPU machine, so they use its facts."""

SCENES: dict[str, tuple[Scene, str]] = {
    "1-machine": (machine, WORKSTATION),
    "2-python": (python, WORKSTATION),
    "3-environment": (environment, WORKSTATION),
    "4-build": (build, WORKSTATION),
    "5-review": (review, WORKSTATION),
    "6-install": (install, WORKSTATION),
    "7-benchmark": (bench, CPU_BOX),
    "8-done": (done, CPU_BOX),
}


async def shoot(name: str, out: Path) -> Path:
    scene, facts_file = SCENES[name]
    app = app_for(facts_file)
    async with app.run_test(size=SIZE) as pilot:
        await scene(pilot)
        path = app.save_screenshot(path=str(out), filename=f"{name}.svg")
    return Path(path)


def main() -> int:
    args = [a for a in sys.argv[1:] if a not in ("--lang", LANG)]
    out = Path(args[0]) if args else ROOT / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    freeze()
    for name in SCENES:
        print(asyncio.run(shoot(name, out)))
    if LANG is None:
        zh = [sys.executable, __file__, "--lang", "zh-CN", str(out / "zh-CN")]
        return subprocess.run(zh, check=False).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
