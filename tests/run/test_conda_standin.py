"""conda / mamba / micromamba backends, run against a recording stand-in executable.

conda's channels cannot be reached from CI, so the stand-in (tests/run/standin/conda) records
every call and builds a real environment for `create`; the steps after it (pip inside the
environment, pin, verify) run for real. What is checked: the exact argv the plan gives each
tool, named environments resolved through the tool's envs_dir, the flow, rollback, and pins.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
from pathlib import Path

import pytest

from envwizard.facts.model import Facts, Manager, OSInfo, PythonInfo
from envwizard.plan.build import make_plan, script_path
from envwizard.plan.lockcheck import LockRefused
from envwizard.run.resolve import resolve
from envwizard.run.runner import Runner
from envwizard.run.target import Start
from envwizard.settings.answers import validate

from ..builders import command_step
from .conftest import make_plan as plan_of

STANDIN = Path(__file__).parent / "standin" / "conda"
MANAGERS = ["conda", "mamba", "micromamba"]


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in MANAGERS:
        (bin_dir / name).symlink_to(STANDIN)
    monkeypatch.setenv("STANDIN_LOG", str(tmp_path / "calls.jsonl"))
    monkeypatch.setenv("STANDIN_PYTHON", sys.executable)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def calls(tmp_path: Path) -> list[list[str]]:
    log = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def facts_with(manager: str, bin_dir: Path, envs_dir: Path) -> Facts:
    return Facts(
        os=OSInfo(system="Linux", machine="x86_64", glibc="2.35"),
        python=PythonInfo(version=platform.python_version(), executable=sys.executable),
        managers={
            manager: Manager(
                manager, path=str(bin_dir / manager), version="25.11.0", envs_dir=str(envs_dir)
            )
        },
    )


def run(runner: Runner) -> None:
    async def go() -> None:
        async for _ in runner.run():
            pass

    asyncio.run(go())


@pytest.mark.parametrize("manager", MANAGERS)
@pytest.mark.slow
def test_plan_steps_run_through_the_stand_in_with_the_exact_argv(
    manager: str, standin: Path, tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "envs" / "dl"
    answers = validate(
        {
            "manager": manager,
            "env": "dl",
            "compute": "cpu",
            "torch": "==2.13.*",
            "benchmark": False,
        },
        cwd=str(tmp_path),
    )
    plan = make_plan(facts_with(manager, standin, tmp_path / "envs"), answers)
    assert plan.env_path == str(env)  # a name goes to the tool's envs_dir
    create = plan.step("create-env")
    assert create.argv[:4] == [str(standin / manager), "create", "--yes", "--prefix"]
    assert "--override-channels" in create.argv and "conda-forge" in create.argv
    py = plan.env_python
    steps = [
        create,
        command_step("install-packages", "pip inside the env", [py, "-m", "pip", "install", "--no-input", "tinypkg==1.0", "--no-index", "--find-links", str(wheelhouse)], "install"),
        command_step("pin", "Pin", [py, script_path("pin.py"), "--prefix", str(env), "--conda", "tinypkg"], "pin"),
        command_step("verify", "Verify", [py, "-c", "import json, tinypkg; print(json.dumps({'ok': True}))"], "verify"),
    ]  # fmt: skip
    runner = Runner(
        plan_of(env, steps, manager), answers, Start("create"), run_dir=tmp_path / "run"
    )
    run(runner)

    assert runner.status == "done", [r.to_dict() for r in runner.results]
    assert calls(tmp_path) == [[manager, *create.argv[1:]]]
    assert (env / "conda-meta" / "pinned").read_text().splitlines() == ["tinypkg ==1.0"]
    assert runner.verify == {"ok": True}


@pytest.mark.slow
def test_conda_forge_torch_is_one_solve_with_the_build_and_cuda_pins(
    standin: Path, tmp_path: Path
) -> None:
    answers = validate(
        {"manager": "micromamba", "env": str(tmp_path / "cf"), "compute": "cpu", "torch_source": "conda-forge",
         "torch": "==2.13.*", "packages": ["torchvision"], "benchmark": False},
        cwd=str(tmp_path),
    )  # fmt: skip
    plan = make_plan(facts_with("micromamba", standin, tmp_path / "envs"), answers)
    torch = plan.step("install-torch")
    assert torch.argv[1:4] == ["install", "--yes", "--prefix"]
    assert "pytorch=2.13.*=cpu*" in torch.argv and "torchvision=0.28.*" in torch.argv
    assert torch.argv[-3:] == ["--override-channels", "--channel", "conda-forge"]
    assert "--conda" in plan.step("pin").argv

    runner = Runner(
        plan_of(Path(plan.env_path), [plan.step("create-env"), torch], "micromamba"),
        answers,
        Start("create"),
        run_dir=tmp_path / "run",
    )
    run(runner)
    assert runner.status == "done"
    assert [c[1] for c in calls(tmp_path)] == ["create", "install"]
    assert calls(tmp_path)[1][1:] == torch.argv[1:]


@pytest.mark.slow
def test_conda_forge_torch_is_resolved_by_a_dry_run_and_installed_exactly(
    standin: Path, tmp_path: Path
) -> None:
    answers = validate(
        {"manager": "mamba", "env": str(tmp_path / "cf"), "compute": "cpu",
         "torch_source": "conda-forge", "torch": "==2.13.*", "benchmark": False},
        cwd=str(tmp_path),
    )  # fmt: skip
    facts = facts_with("mamba", standin, tmp_path / "envs")
    plan = make_plan(facts, answers)
    locked = asyncio.run(resolve(plan, facts, tmp_path / "run", stall_seconds=30))
    dry = calls(tmp_path)[0]
    assert dry[:5] == ["mamba", "create", "--dry-run", "--json", "--yes"]
    assert "python=3.11" in dry[1:] or any(a.startswith("python=") for a in dry)
    assert "pytorch=2.13.*=cpu*" in dry and not (tmp_path / "cf").exists()  # nothing made
    assert locked.lock is not None and locked.lock.variant == "cpu"
    torch = locked.step("install-torch").argv
    assert "pytorch==2.13.0=cpu_mkl_py311h0000000_100" in torch
    lock = json.loads((tmp_path / "run" / "envwizard-lock.json").read_text())
    assert lock["installer"] == "conda" and lock["schema"] == 1
    assert {p["name"] for p in lock["packages"]} == {"python", "pip", "pytorch"}


@pytest.mark.slow
def test_a_conda_forge_cuda_build_for_a_cpu_plan_stops_before_anything_is_made(
    standin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_PYTORCH_BUILD", "cuda126_mkl_py311h0000000_300")
    answers = validate(
        {"manager": "conda", "env": str(tmp_path / "cf"), "compute": "cpu",
         "torch_source": "conda-forge", "torch": "==2.13.*", "benchmark": False},
        cwd=str(tmp_path),
    )  # fmt: skip
    facts = facts_with("conda", standin, tmp_path / "envs")
    with pytest.raises(LockRefused, match=r"the CUDA 12\.6 build, but the plan chose the CPU"):
        asyncio.run(resolve(make_plan(facts, answers), facts, tmp_path / "run", stall_seconds=30))
    assert [c[1:3] for c in calls(tmp_path)] == [["create", "--dry-run"]]
    assert not (tmp_path / "cf").exists()


@pytest.mark.slow
def test_a_failed_conda_create_leaves_nothing_behind(
    standin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_FAIL", "create")
    env = tmp_path / "failing"
    answers = validate(
        {"manager": "conda", "env": str(env), "compute": "cpu", "benchmark": False},
        cwd=str(tmp_path),
    )
    plan = make_plan(facts_with("conda", standin, tmp_path / "envs"), answers)
    runner = Runner(plan, answers, Start("create"), run_dir=tmp_path / "run")
    run(runner)
    assert runner.status == "failed"
    assert runner.results[0].status == "failed"
    assert "CONNECTION FAILED" in Path(runner.results[0].log or "").read_text()
    assert not env.exists()
    assert [c[1] for c in calls(tmp_path)] == ["create"]  # nothing ran after the failure


def test_a_named_env_without_a_known_envs_dir_is_a_clear_error(tmp_path: Path) -> None:
    from envwizard.core.errors import InvalidInput

    answers = validate({"manager": "conda", "env": "dl", "compute": "cpu"}, cwd=str(tmp_path))
    facts = Facts(
        os=OSInfo(system="Linux", machine="x86_64", glibc="2.35"),
        python=PythonInfo(version="3.11.7", executable=sys.executable),
    )
    with pytest.raises(InvalidInput, match="give env as a path"):
        make_plan(facts, answers)
