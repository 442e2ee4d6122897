"""Real environments for doctor, made in the tests with the machine's own pip and uv.

The healthy one is made once for this package's tests (and removed after them) the way people
make one (`python -m venv` and `pip install torch==X` from pip's configured wheel folder); the
broken ones install the same torch with uv (from uv's cache: seconds) and then break it as
people do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import local_torch_version, pip_find_links


@pytest.fixture(autouse=True)
def _own_run_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A repair's run folder (its resolve, lock and report) goes under the test's own folder,
    for the CLI in a child process too, never under the home of whoever runs the tests."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed (envwizard depends on it)")
    return found


def run(argv: list[str], timeout: float = 1800, **kw: object) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw
    )  # type: ignore[call-overload]
    if r.returncode != 0:
        pytest.fail(f"{argv[:4]} failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
    return r  # type: ignore[no-any-return]


def torch_version() -> str:
    version = local_torch_version()
    if version is None:
        pytest.skip("no local torch wheel in pip's find-links folders")
    return version


def links() -> list[str]:
    return [arg for folder in pip_find_links() for arg in ("--find-links", str(folder))]


def python_of(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def venv_with_uv_torch(env: Path, *, maker: str = "venv") -> Path:
    """A venv (with pip) holding the CPU torch, installed by uv from its cache."""
    if maker == "virtualenv":
        run([sys.executable, "-m", "virtualenv", "-q", "--no-periodic-update", str(env)])
    else:
        run([sys.executable, "-m", "venv", str(env)])
    run([uv(), "pip", "install", "--quiet", "--python", str(python_of(env)),
         f"torch=={torch_version()}", *links()])  # fmt: skip
    return env


@pytest.fixture(scope="package")
def healthy_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """venv + `pip install torch==X` (the local CPU wheel), once for the package. Never changed."""
    env = tmp_path_factory.mktemp("doctor-healthy") / "env"
    run([sys.executable, "-m", "venv", str(env)])
    run([str(python_of(env)), "-m", "pip", "install", "--quiet", f"torch=={torch_version()}"])
    yield env
    shutil.rmtree(env, ignore_errors=True)


@pytest.fixture(scope="package")
def torchvision_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """CPU torch, then `pip install torchvision==0.28.0` from the index: its CUDA 13 build.

    pip keeps the CPU torch (torchvision 0.28.0 pins torch==2.13.0, which 2.13.0+cpu meets)
    and adds pillow and numpy: the install succeeds and `pip check` is clean.
    """
    env = venv_with_uv_torch(tmp_path_factory.mktemp("doctor-tv") / "env")
    run([str(python_of(env)), "-m", "pip", "install", "--quiet", "torchvision==0.28.0"])
    yield env
    shutil.rmtree(env, ignore_errors=True)


def snapshot(env: Path) -> tuple[str, dict[str, tuple[int, int]]]:
    """`pip freeze --all` and every file's size and modification time."""
    freeze = run([str(python_of(env)), "-m", "pip", "freeze", "--all"]).stdout
    files = {}
    for root, dirs, names in os.walk(env):
        for n in names + dirs:
            p = Path(root) / n
            st = p.lstat()
            files[str(p.relative_to(env))] = (st.st_size, st.st_mtime_ns)
    return freeze, files


def doctor(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process, as a person runs it."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH")
    }
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "envwizard", "doctor", *args],
        capture_output=True, text=True, timeout=600, cwd=cwd, env=environ, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def broken_env(tmp_path: Path) -> Path:
    """CPU torch, then the index's CUDA torchvision (made fresh: the tests repair it)."""
    env = venv_with_uv_torch(tmp_path / "env")
    run([str(python_of(env)), "-m", "pip", "install", "--quiet", "torchvision==0.28.0"])
    return env
