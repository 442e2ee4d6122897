"""Fixtures for the probe tests: captured samples, and a private interpreter cache."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Probes in tests (and the CLI they start) never touch the user's cache directory."""
    path = tmp_path_factory.mktemp("envwizard-cache")
    monkeypatch.setenv("ENVWIZARD_CACHE_DIR", str(path))
    return path
