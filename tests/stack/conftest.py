"""One big real environment for the stack's verify checks, made once for this package.

CPU torch (the local wheel where pip's configuration has one, else PyTorch's CPU index), numpy,
the LLM set (transformers, peft, accelerate, datasets), jax, tensorflow-cpu and ipykernel: about
3.5 GB, so it is shared by every test that only reads it, and deleted when the package's tests
end. Where pip is configured with local indexes (file:// URLs, as on an offline machine), only
they are used, so the versions are the same on every run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from envwizard.knowledge import load

from ..conftest import local_torch_version, pip_find_links

STACK = ["numpy", "transformers", "peft", "accelerate", "datasets", "jax", "tensorflow-cpu"]
STACK += ["ipykernel", "jupyter_client"]


def pip_config() -> dict[str, str]:
    r = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    out: dict[str, str] = {}
    for line in r.stdout.splitlines():
        key, _, value = line.partition("=")
        out[key.strip().split(".")[-1]] = value.strip().strip("'\"")
    return out


def local_sources() -> list[str]:
    """pip options naming only the local (file://) indexes and wheel folders pip is configured
    with; empty where there are none (then pip's own configuration decides)."""
    config = pip_config()
    urls = [u for k in ("index-url", "extra-index-url") for u in config.get(k, "").split()]
    local = [u for u in urls if u.startswith("file://")]
    if not local:
        return []
    args = ["--isolated", "--index-url", local[0]]
    for u in local[1:]:
        args += ["--extra-index-url", u]
    for folder in pip_find_links():
        args += ["--find-links", str(folder)]
    return args


def env_python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def pip(python: Path, *args: str, timeout: int = 1800) -> None:
    r = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-input", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if r.returncode != 0:
        pytest.fail(f"pip install {' '.join(args)} failed:\n{r.stdout[-2000:]}{r.stderr[-3000:]}")


REUSE_VAR = "ENVWIZARD_TEST_STACK_PYTHON"


@pytest.fixture(scope="package")  # 3.5 GB: gone once tests/stack is done
def stack_python(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The interpreter of a venv with CPU torch and the whole CPU stack.

    ENVWIZARD_TEST_STACK_PYTHON names one that already has them, to skip the install while
    iterating (it is left as it is)."""
    reuse = os.environ.get(REUSE_VAR)
    if reuse:
        if not Path(reuse).is_file():
            pytest.fail(f"{REUSE_VAR}={reuse}: no such interpreter")
        yield Path(reuse)
        return
    env = tmp_path_factory.mktemp("stack-env")
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=300)
    python = env_python(env)
    version = local_torch_version()
    if version:
        pip(python, f"torch=={version}", *local_sources())
    else:
        pip(python, "torch", "--index-url", load().index_url("cpu"))
    installed = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('torch'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    pin = env / "torch-pin.txt"
    pin.write_text(f"torch=={installed}\n")
    pip(python, *STACK, "--constraint", str(pin), *local_sources())
    yield python
    shutil.rmtree(env, ignore_errors=True)


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    """A folder put in front of the environment's packages with PYTHONPATH."""
    folder = tmp_path / "overlay"
    folder.mkdir()
    return folder
