"""Shared fixtures. `torch_python`: one real environment with CPU torch for the whole session.

Installing torch takes a while, so the environment is made once per session and shared by
every test that needs it, and uv (a dependency of envwizard) installs it: from its cache that
takes seconds where pip unpacks the whole wheel again. Where pip is configured with a local
wheel folder that holds a torch wheel for this Python (an offline machine), that wheel is
installed; elsewhere the CPU build comes from PyTorch's own CPU index.
ENVWIZARD_TEST_TORCH_PYTHON names an interpreter that already has torch, to skip the install
while iterating.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envwizard.knowledge import load

from . import tiers

REUSE_VAR = "ENVWIZARD_TEST_TORCH_PYTHON"

# With PYTHONDONTWRITEBYTECODE set (some shells and CI images set it), this process and every
# `python -m envwizard` the tests start would compile each module from source on every start:
# seconds of the fast tier. The bytecode goes to __pycache__ folders that git ignores.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# The tests read envwizard's English text whatever the tester's locale is (test_i18n.py sets
# the language itself where it checks the translations).
for _key in ("LC_ALL", "LC_MESSAGES", "LANG"):
    os.environ.pop(_key, None)
os.environ["LANG"] = "C.UTF-8"


def pip_find_links() -> list[Path]:
    """The folders pip is configured to take wheels from (PIP_FIND_LINKS and pip's config)."""
    values = [os.environ.get("PIP_FIND_LINKS", "")]
    r = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    for line in r.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.strip().endswith("find-links"):
            values.append(value.strip().strip("'\""))
    folders = []
    for value in values:
        for item in value.split():
            path = Path(item.removeprefix("file://"))
            if path.is_dir():
                folders.append(path)
    return folders


def local_torch_wheel() -> Path | None:
    """A torch wheel for this Python in a find-links folder, if there is one."""
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    for folder in pip_find_links():
        for wheel in sorted(folder.glob(f"torch-*-{tag}-*.whl")):
            return wheel
    return None


def local_torch_version() -> str | None:
    """The public version (no +local part) of `local_torch_wheel()`."""
    wheel = local_torch_wheel()
    return wheel.name.split("-")[1].split("+")[0] if wheel else None


@pytest.fixture(scope="session")
def torch_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The interpreter of a venv with CPU torch installed, made once per test session."""
    reuse = os.environ.get(REUSE_VAR)
    if reuse:
        if not Path(reuse).is_file():
            pytest.fail(f"{REUSE_VAR}={reuse}: no such interpreter")
        return reuse
    env_dir = tmp_path_factory.mktemp("torch-env")
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=300)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    version = local_torch_version()
    # A local wheel from pip's find-links folders (torch's dependencies from the index), else
    # PyTorch's CPU index.
    if version:
        links = [arg for folder in pip_find_links() for arg in ("--find-links", str(folder))]
        spec = [f"torch=={version}", *links]
    else:
        spec = ["torch", "--index-url", load().index_url("cpu")]
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not installed (envwizard depends on it)")
    r = subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), *spec],
        capture_output=True,
        text=True,
        timeout=1800,
        stdin=subprocess.DEVNULL,
    )
    if r.returncode != 0:
        pytest.fail(f"installing torch for the tests failed:\n{r.stderr[-3000:]}")
    return str(python)


def pytest_configure(config: pytest.Config) -> None:
    """`-m "not slow"` is the fast tier: property tests there try fewer examples."""
    tiers.FAST = re.search(r"\bnot\s+slow\b", config.getoption("markexpr") or "") is not None
