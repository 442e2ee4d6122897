"""CI runs what the README tells a newcomer to run: the same test command, word for word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_test_command(text: str) -> str:
    """The command in the fenced block under "Run the tests"."""
    m = re.search(r"Run the tests:\s*```bash\n(.+?)\n```", text, re.S)
    assert m, "the README has no 'Run the tests:' block"
    return m.group(1).strip()


def test_ci_runs_the_readmes_test_command_verbatim_as_its_last_line() -> None:
    command = readme_test_command((ROOT / "README.md").read_text(encoding="utf-8"))
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln.strip()]
    assert lines[-1] == command
    assert "pytest" in command and "pip install" in command
    assert "set -euo pipefail" in lines  # a failed or empty (exit 5) pytest fails CI


def test_a_readme_without_the_block_is_seen() -> None:
    with pytest.raises(AssertionError, match="no 'Run the tests:' block"):
        readme_test_command("Run it:\n```bash\npytest\n```\n")
