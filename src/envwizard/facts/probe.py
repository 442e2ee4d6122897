"""Probe this machine for Facts (minimal first version: OS and the running Python)."""

from __future__ import annotations

import os
import platform
import sys

from envwizard.facts.model import Facts, OSInfo, PythonInfo


def probe() -> Facts:
    """The facts of this machine."""
    libc, ver = platform.libc_ver()
    return Facts(
        os=OSInfo(
            system=platform.system(),
            machine=platform.machine(),
            glibc=ver if libc == "glibc" and ver else None,
            wsl="microsoft" in platform.release().lower(),
            macos_version=platform.mac_ver()[0] or None,
        ),
        python=PythonInfo(
            version=platform.python_version(), executable=sys.executable, origin="current"
        ),
        home=os.path.expanduser("~"),
    )
