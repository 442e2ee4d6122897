"""`envwizard bench` refuses bad input with one message and exit 2, before starting anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ..builders import cli


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    """`envwizard bench ARGS` through the entry point in this process (tests/builders.cli)."""
    return cli("bench", *args)


def no_torch_python(tmp_path: Path) -> str:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True
    )
    return str(tmp_path / "env" / "bin" / "python")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: str(tmp / "missing" / "python"), "no such file"),
        (lambda tmp: str(tmp), "no bin/python"),
        (no_torch_python, "has no torch"),
        (lambda tmp: "/bin/sh", "not a Python interpreter"),
    ],
    ids=["missing", "folder", "no-torch", "not-python"],
)
def test_bad_python_exits_2(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    if sys.platform == "win32":
        pytest.skip("POSIX paths")
    r = bench("--python", make(tmp_path), "--device", "cpu", "--json")
    assert r.returncode == 2
    assert message in " ".join(r.stderr.split())
    assert r.stderr.startswith("envwizard: error: --python")
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_env_folder_stands_for_its_python(tmp_path: Path) -> None:
    python = no_torch_python(tmp_path)
    r = bench("--python", str(Path(python).parent.parent), "--json")
    message = " ".join(r.stderr.split())  # the CLI wraps long messages
    assert r.returncode == 2 and f"--python {python}: this environment has no torch" in message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--nproc", "2", "--device", "mps"], "cuda or cpu only"),
        (["--dtype", "tf32", "--device", "cpu"], "TF32"),
        (["--seconds", "0"], "0: give a number of seconds greater than 0 and at most 3600"),
        (["--seconds", "nan"], "nan: give a number of seconds greater than 0"),
        (["--nproc", "0"], "outside"),
        (["--nnodes", "2"], "--nnodes needs --master ADDR:PORT"),
        (["--nnodes", "2", "--node-rank", "2", "--master", "h:29500"], "it is 0 to 1"),
        (["--nnodes", "2", "--master", "10.0.0.1"], "give it as ADDR:PORT"),
        (["--nnodes", "2", "--master", "h:99999"], "give it as ADDR:PORT"),
        (["--node-rank", "1"], "only with --nnodes greater than 1"),
        (["--nnodes", "2", "--master", "h:1", "--scaling"], "--scaling measures one machine"),
        (["--optimizer", "lion"], "invalid choice"),
    ],
)
def test_impossible_flags_exit_2(args: list[str], message: str) -> None:
    r = bench("--python", sys.executable, *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
