"""A cache of interpreter inspections, so a probe does not start every Python on the machine.

Starting ten interpreters costs a few hundred milliseconds; checking that nothing they
reported can have changed costs a few `stat` calls. An entry is reused only while the
executable (and where its symlinks lead) and every path the inspect script named in
`watch` (stdlib, ensurepip, site-packages, pyvenv.cfg, the user site and its parents) have
the same modification time, size and inode as when it was inspected. Installing or
removing pip, ensurepip or EXTERNALLY-MANAGED changes one of those directories. Broken
interpreters are never cached. A cache that cannot be read or written is simply not used.

Location: $ENVWIZARD_CACHE_DIR, else the platform's user cache directory + /envwizard.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import zlib
from collections.abc import Mapping
from typing import Any

from envwizard import __version__

FILE = "interpreters.json"


def cache_dir(env: Mapping[str, str], home: str) -> str:
    """$ENVWIZARD_CACHE_DIR, or the user cache directory (XDG, ~/Library/Caches, LOCALAPPDATA)."""
    if env.get("ENVWIZARD_CACHE_DIR"):
        return env["ENVWIZARD_CACHE_DIR"]
    if sys.platform == "darwin":
        base = os.path.join(home, "Library", "Caches")
    elif os.name == "nt":
        base = env.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
    else:
        base = env.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return os.path.join(base, "envwizard")


def stamp(path: str) -> list[Any]:
    """What changes when the file or directory at `path` changes (or appears, or goes)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return [path, None]
    return [path, st.st_mtime_ns, st.st_size, st.st_ino]


def fingerprint(executable: str, watch: list[str]) -> list[Any]:
    real = os.path.realpath(executable)
    return [real, stamp(executable), stamp(real), *(stamp(p) for p in watch)]


class InterpreterCache:
    """Inspection reports by executable path, valid while their fingerprint holds."""

    def __init__(self, directory: str, script: str) -> None:
        self.path = os.path.join(directory, FILE)
        # A new inspect script or envwizard release may report differently: start afresh.
        self.version = f"{__version__}:{zlib.crc32(script.encode()):08x}"
        self.entries: dict[str, Any] = {}
        self.dirty = False
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
            if isinstance(data, dict) and data.get("version") == self.version:
                entries = data.get("entries")
                self.entries = entries if isinstance(entries, dict) else {}
        except (OSError, ValueError):
            pass

    def get(self, executable: str) -> dict[str, Any] | None:
        """The cached report for `executable`, if nothing it depends on has changed."""
        entry = self.entries.get(executable)
        if not isinstance(entry, dict):
            return None
        report = entry.get("report")
        watch = report.get("watch") if isinstance(report, dict) else None
        if not isinstance(watch, list) or entry.get("fingerprint") != fingerprint(
            executable, [str(p) for p in watch]
        ):
            return None
        return report

    def put(self, executable: str, report: dict[str, Any]) -> None:
        watch = [str(p) for p in report.get("watch") or []]
        self.entries[executable] = {"fingerprint": fingerprint(executable, watch), "report": report}
        self.dirty = True

    def save(self) -> None:
        """Write atomically (two probes at once must not corrupt it); failures are ignored."""
        if not self.dirty:
            return
        import tempfile

        try:
            directory = os.path.dirname(self.path)
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".interpreters-", suffix=".json")
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"version": self.version, "entries": self.entries}, f)
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
