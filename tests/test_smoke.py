"""The package imports and the CLI answers --version."""

import subprocess
import sys

from envwizard import __version__


def test_version_flag() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "envwizard", "--version"], capture_output=True, text=True
    )
    assert r.returncode == 0
    assert r.stdout.strip() == f"envwizard {__version__}"
