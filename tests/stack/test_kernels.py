"""The Jupyter kernel: registered without replacing anyone else's, removed only when it is ours.

scripts/kernel.py runs in the real CPU stack environment (tests/stack/conftest.py) with a
JUPYTER_DATA_DIR of the test's own; run/kernels.py removes what it recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from envwizard.plan.build import script_path
from envwizard.run.kernels import RECORD, registered_kernel, remove_kernel

from .test_verify_stack import verify


def spec(folder: Path, python: str, env: str | None) -> Path:
    folder.mkdir(parents=True)
    data: dict[str, Any] = {"argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]}
    if env is not None:
        data["metadata"] = {"envwizard": {"env": env}}
    (folder / "kernel.json").write_text(json.dumps(data))
    return folder


def record(env: Path, folder: Path) -> None:
    (env / RECORD).write_text(json.dumps({"name": folder.name, "dir": str(folder)}))


def test_rollback_removes_the_kernel_this_environment_registered(tmp_path: Path) -> None:
    env = tmp_path / "env"
    env.mkdir()
    ours = spec(tmp_path / "kernels" / "dl", str(env / "bin/python"), str(env))
    record(env, ours)
    assert registered_kernel(str(env)) == ours
    assert remove_kernel(str(env)) == ours
    assert not ours.exists() and not (env / RECORD).exists()
    assert remove_kernel(str(env)) is None  # nothing left to remove


@pytest.mark.parametrize("owner", [None, "/somewhere/else"])
def test_a_spec_that_is_not_this_environments_is_never_removed(tmp_path: Path, owner: str) -> None:
    env = tmp_path / "env"
    env.mkdir()
    theirs = spec(tmp_path / "kernels" / "dl", "/usr/bin/python3", owner)
    record(env, theirs)  # the name was taken over since: the spec there is someone else's
    assert remove_kernel(str(env)) is None
    assert (theirs / "kernel.json").is_file()


def test_no_record_or_a_broken_one_removes_nothing(tmp_path: Path) -> None:
    env = tmp_path / "env"
    env.mkdir()
    assert remove_kernel(str(env)) is None
    (env / RECORD).write_text("{not json")
    assert remove_kernel(str(env)) is None
    (env / RECORD).write_text(json.dumps({"dir": str(tmp_path / "gone")}))
    assert remove_kernel(str(env)) is None


def install(python: Path, env: dict[str, str], name: str, rec: Path) -> dict[str, Any]:
    r = subprocess.run(
        [str(python), script_path("kernel.py"), "--name", name, "--record", str(rec)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    result: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_kernel_install_honours_jupyter_data_dir_and_never_replaces_a_foreign_spec(
    stack_python: Path, tmp_path: Path
) -> None:
    data = tmp_path / "jupyter"
    env = {**os.environ, "JUPYTER_DATA_DIR": str(data)}
    # A person's own kernel of the same name, running another Python.
    theirs = spec(data / "kernels" / "dl", "/usr/bin/python3", None)
    before = (theirs / "kernel.json").read_text()
    prefix = stack_python.parent.parent
    rec = tmp_path / RECORD
    first = install(stack_python, env, "dl", rec)
    assert (first["name"], first["asked"], first["replaced"]) == ("dl-2", "dl", False)
    assert first["taken_by"] == str(theirs)
    assert Path(first["dir"]) == data / "kernels" / "dl-2"
    assert (theirs / "kernel.json").read_text() == before
    torch = subprocess.run(
        [str(stack_python), "-c", "import importlib.metadata as m; print(m.version('torch'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert first["display_name"] == f"Python (dl-2, torch {torch})"
    kernel = json.loads((data / "kernels" / "dl-2" / "kernel.json").read_text())
    assert kernel["display_name"] == first["display_name"]
    assert os.path.samefile(kernel["metadata"]["envwizard"]["env"], prefix)
    # Installing again for the same environment replaces its own spec, under the same name.
    again = install(stack_python, env, "dl", rec)
    assert (again["name"], again["replaced"]) == ("dl-2", True)
    # The kernel starts through jupyter_client and imports torch.
    out, rc = verify(stack_python, "--check", "jupyter", "--kernel", "dl-2", env=env)
    assert rc == 0 and out["packages"][0]["kernel_torch"] == torch, out
    # The record names the folder; the core's removal takes it and leaves the person's.
    fake_env = tmp_path / "as-env"
    fake_env.mkdir()
    (fake_env / RECORD).write_text(rec.read_text())
    assert remove_kernel(str(fake_env)) is None  # the spec says it is the stack env's, not this
    (prefix / RECORD).write_text(rec.read_text())
    try:
        assert remove_kernel(str(prefix)) == data / "kernels" / "dl-2"
    finally:
        (prefix / RECORD).unlink(missing_ok=True)
    assert not (data / "kernels" / "dl-2").exists() and (theirs / "kernel.json").is_file()


def test_a_failed_run_rolls_back_the_kernel_it_registered_with_the_environment(
    tmp_path: Path,
) -> None:
    """The runner's rollback: the kernel step's spec goes with the environment it made; a spec
    of another environment beside it stays."""
    import sys

    from envwizard.run.runner import Runner
    from envwizard.run.target import Start

    from ..builders import answers_for, command_step, make_plan, run_plan

    env = tmp_path / "env"
    kernels = tmp_path / "kernels"
    theirs = spec(kernels / "other", "/usr/bin/python3", "/somewhere/else")
    make_env = f"import os; os.makedirs({str(env / 'bin')!r}); open({str(env / 'pyvenv.cfg')!r}, 'w').close()"  # fmt: skip
    register = (
        "import json, os, sys\n"
        f"folder = {str(kernels / 'env')!r}\n"
        "os.makedirs(folder)\n"
        f"env = {str(env)!r}\n"
        "spec = {'argv': [env + '/bin/python'], 'metadata': {'envwizard': {'env': env}}}\n"
        "json.dump(spec, open(os.path.join(folder, 'kernel.json'), 'w'))\n"
        f"json.dump({{'name': 'env', 'dir': folder}}, open({str(env / RECORD)!r}, 'w'))\n"
        "print(json.dumps({'ok': True, 'name': 'env', 'asked': 'env', 'dir': folder}))\n"
    )
    steps = [
        command_step("create-env", "Create", [sys.executable, "-c", make_env], "create-env"),
        command_step("jupyter-kernel", "Kernel", [sys.executable, "-c", register], "kernel"),
        command_step(
            "verify-stack", "Verify", [sys.executable, "-c", "raise SystemExit(1)"], "verify"
        ),
    ]
    runner = Runner(
        make_plan(env, steps), answers_for(env), Start("create"), run_dir=tmp_path / "run"
    )
    run_plan(runner)
    assert runner.status == "failed"
    assert runner.kernel is not None and runner.kernel["name"] == "env"  # the step's answer
    assert not (kernels / "env").exists() and not env.exists()
    assert (theirs / "kernel.json").is_file()
