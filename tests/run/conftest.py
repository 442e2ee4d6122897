"""Fixtures for running real plans; the builders themselves live in tests/builders.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..builders import (  # noqa: F401 - re-exported for the tests of this folder
    answers_for,
    build_wheel,
    create_argv,
    env_python,
    install_argv,
    make_plan,
    run_envwizard,
    tiny_plan,
    tool,
)


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    d = tmp_path / "wheels"
    build_wheel(d, "tinypkg", "1.0")
    build_wheel(d, "tinypkg", "2.0")
    return d
