"""The session's rules hold in both front ends: the same inputs are refused with the same sentence
by the headless run and by the wizard driven with Pilot (one session service under both)."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input

from envwizard.app.headless import apply
from envwizard.app.session import Session
from envwizard.cli import main
from envwizard.core import i18n
from envwizard.core.errors import InvalidInput
from envwizard.plan.build import Plan
from envwizard.settings.answers import Answers
from envwizard.tui.app import EnvWizardApp, make_app
from envwizard.tui.screens.environment import EnvironmentScreen
from envwizard.tui.screens.install import InstallScreen
from envwizard.tui.screens.machine import MachineScreen

from ..builders import answers_for, build_wheel, plain_facts, tiny_plan
from .conftest import press_next, settle, until

# Every test drives the real Textual app through Pilot (and real processes): slow tier.
pytestmark = pytest.mark.slow


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    build_wheel(tmp_path / "wheels", "tinypkg", "1.0")
    return tmp_path / "wheels"


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """English, whatever the locale; a test's `lang:` does not leak into the next test."""
    monkeypatch.setattr(i18n, "_cli", None)
    monkeypatch.setattr(i18n, "_answers", None)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def headless_refusal(plan: Plan, answers: Answers, console: Console | None = None) -> str:
    """The sentence the headless run stops with (the CLI prints it after `envwizard: error:`)."""
    with pytest.raises(InvalidInput) as refused:
        apply(Session(plain_facts(), answers, plan), console=console or Console(file=io.StringIO()))
    return str(refused.value)


async def wizard_refusal(plan: Plan, answers: Answers, wait_for: str = "") -> tuple[str, str]:
    """The wizard at the install of `plan` with `answers`: what its install screen says when
    the session refuses, and its notices; `wait_for` in the notices creates the file `go`."""
    app = make_app(facts=plain_facts(), cwd=str(Path(plan.env_path).parent))
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MachineScreen))
        await settle(pilot)
        app.state.draft, app.state.plan = answers, plan
        app.install()
        await until(pilot, lambda: isinstance(app.screen, InstallScreen))
        screen = app.screen
        assert isinstance(screen, InstallScreen)
        if wait_for:
            await until(pilot, lambda: wait_for in notices(screen))
            (Path(plan.env_path).parent / "go").touch()
        await until(pilot, lambda: screen.shown("back"))
        problem, said = str(screen.query_one("#problem").render()), notices(screen)
        assert app.runner is None  # nothing ran
        await pilot.press("ctrl+q")
    return problem, said


def notices(screen: InstallScreen) -> str:
    return str(screen.query_one("#notices").render())


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another live envwizard process that holds the environment at tmp_path/env."""
    code = (
        "from envwizard.run.envlock import EnvLock\nimport time\n"
        f"with EnvLock({str(tmp_path / 'env')!r}):\n print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()


async def test_a_run_held_by_another_live_process_is_refused_by_both(
    tmp_path: Path, wheels: Path, holder: subprocess.Popen[str]
) -> None:
    env = tmp_path / "env"
    plan, answers = tiny_plan("venv", env, wheels), answers_for(env)
    said = f"env: another envwizard run (pid {holder.pid}) is working on {env}"
    assert said in headless_refusal(plan, answers)
    problem, _ = await wizard_refusal(plan, answers)
    assert said in one_line(problem)
    assert not env.exists()


def orphan_that_makes_the_env(env: Path) -> None:
    """A run that died and left an installer holding the lock; told to go (the file `go` beside
    the environment), the installer makes an environment at `env` and ends."""
    installer = (
        "import os, pathlib, time\n"
        f"env, go = pathlib.Path({str(env)!r}), pathlib.Path({str(env.parent / 'go')!r})\n"
        "deadline = time.monotonic() + 60\n"
        "while not go.exists() and time.monotonic() < deadline: time.sleep(0.05)\n"
        "env.mkdir(); (env / 'pyvenv.cfg').write_text('home = /usr/bin\\n')\n"
    )
    run = (
        "import os, subprocess, sys\n"
        "from envwizard.run.envlock import EnvLock\nfrom envwizard.run import proc\n"
        f"EnvLock({str(env)!r}).__enter__()\n"
        f"subprocess.Popen([sys.executable, '-c', {installer!r}], "
        "pass_fds=tuple(proc.inherited_fds), start_new_session=True)\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", run], check=True, timeout=60)


class _Go(io.StringIO):
    """The headless run's output; seeing the lock's wait, it tells the orphan to go."""

    def __init__(self, go: Path) -> None:
        super().__init__()
        self.go = go

    def write(self, s: str) -> int:
        if "waiting up to" in s:
            self.go.touch()
        return super().write(s)


@pytest.mark.skipif(os.name != "posix", reason="an orphan inherits the lock by fd")
async def test_the_second_look_under_the_lock_refuses_in_both(tmp_path: Path, wheels: Path) -> None:
    """Nothing was at env when the run checked; while it waited for the lock an installer left
    by a dead run made an environment there: `recreate` would now delete it, so both refuse."""
    said = "changed while envwizard was checking it; run again"
    for front in ("headless", "wizard"):
        case = tmp_path / front
        case.mkdir()
        env = case / "env"
        plan, answers = tiny_plan("venv", env, wheels), answers_for(env, existing="recreate")
        orphan_that_makes_the_env(env)
        if front == "headless":
            console = Console(file=_Go(case / "go"), width=200)
            assert said in headless_refusal(plan, answers, console)
            assert "waiting up to 30 s" in console.file.getvalue()  # type: ignore[attr-defined]
        else:
            problem, notes = await wizard_refusal(plan, answers, wait_for="waiting up to")
            assert said in one_line(problem)
            assert "waiting up to 30 s" in one_line(notes)
        assert sorted(p.name for p in env.iterdir()) == ["pyvenv.cfg"]  # left as it was made


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    f = tmp_path / "notes.txt"
    f.write_text("")
    return f


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ("/proc/x", "env: /proc/x is inside a system folder of the kernel"),
        ("{file}/env", "env: {file}/env cannot be created: {file} is a file, not a folder"),
        (
            "{folder}",
            "env: {folder} is a directory that is not a Python environment; envwizard will not "
            "write into or delete it",
        ),
    ],
    ids=["proc", "below-a-file", "not-an-env"],
)
async def test_path_rules_refuse_in_both(
    tmp_path: Path, a_file: Path, capsys: pytest.CaptureFixture[str], env: str, said: str
) -> None:
    folder = a_file.parent / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    env, said = env.format(file=a_file, folder=folder), said.format(file=a_file, folder=folder)
    answers = tmp_path / "a.yaml"
    answers.write_text(f"manager: venv\nenv: {env}\ncompute: cpu\nbenchmark: false\n")
    assert main(["--answers", str(answers)]) == 2
    assert said in capsys.readouterr().err
    app = make_app(facts=plain_facts(), answers_path=str(answers), cwd=str(tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MachineScreen))
        await settle(pilot)
        await press_next(pilot)
        screen = await press_next(pilot)
        assert isinstance(screen, EnvironmentScreen)
        note = screen.query_one("#env-note")
        await until(pilot, lambda: said in one_line(str(note.render())))
        assert screen.query_one("#next").disabled
        # …and were the plan made without those rules, the install would still refuse it.
        plan = tiny_plan("venv", Path(env), tmp_path)
        app.state.plan = plan
        app.install()
        await until(pilot, lambda: isinstance(app.screen, InstallScreen))
        install = app.screen
        assert isinstance(install, InstallScreen)
        await until(pilot, lambda: install.shown("back"))
        assert said in one_line(str(install.query_one("#problem").render()))
        await pilot.press("ctrl+q")


async def test_lang_from_prefilled_answers_is_applied_in_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(f"manager: venv\nenv: {tmp_path / 'env'}\nlang: zh-CN\nbenchmark: false\n")
    assert main(["validate", str(answers), "--facts", str(facts_file(tmp_path))]) == 0
    assert "有效" in capsys.readouterr().out
    i18n.set_answers_language(None)
    app: EnvWizardApp = make_app(facts=plain_facts(), answers_path=str(answers), cwd=str(tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MachineScreen))
        await settle(pilot)
        assert app.screen.sub_title == "检查本机"
        await pilot.press("ctrl+q")


def facts_file(tmp_path: Path) -> Path:
    f = tmp_path / "facts.json"
    f.write_text(plain_facts().to_json())
    return f


def test_the_draft_is_answers_and_replace_keeps_it_typed(tmp_path: Path) -> None:
    app = make_app(facts=plain_facts(), cwd=str(tmp_path))
    draft = app.state.draft
    assert isinstance(draft, Answers)
    assert dataclasses.replace(draft, existing="reuse").benchmark == draft.benchmark


async def test_environment_screen_warnings_show_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen keeps the path warnings by their code: in 简体中文 they are still there."""
    monkeypatch.setattr(i18n, "_cli", "zh-CN")
    app = make_app(facts=plain_facts(), cwd=str(tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MachineScreen))
        await settle(pilot)
        await press_next(pilot)
        screen = await press_next(pilot)
        assert isinstance(screen, EnvironmentScreen)
        where = tmp_path / "my envs" / "环境"
        screen.query_one("#env", Input).value = str(where)
        note = screen.query_one("#env-note")
        await until(pilot, lambda: "环境路径含有空格" in str(note.render()))
        shown = one_line(str(note.render()))
        assert f"环境路径含有空格（{where}）" in shown
        assert "环境路径含有非 ASCII 字符（环）" in shown  # the character itself
        assert not screen.query_one("#next").disabled  # warnings, not refusals
        await pilot.press("ctrl+q")
