"""One run per environment path: a second envwizard aimed at the same path refuses to start.

The lock lives in envwizard's own state directory (keyed by the resolved path), not beside the
environment, so it exists before the environment does and leaves nothing in the user's folders.
The OS releases it when the process dies, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import IO

import platformdirs

from envwizard.errors import InvalidInput


def lock_dir() -> Path:
    return Path(platformdirs.user_state_dir("envwizard")) / "locks"


class EnvLock:
    def __init__(self, env_path: str, directory: Path | None = None) -> None:
        self.env_path = env_path
        key = hashlib.sha256(os.path.realpath(env_path).encode()).hexdigest()[:20]
        self.path = (directory or lock_dir()) / f"{key}.lock"
        self._fh: IO[str] | None = None

    def __enter__(self) -> EnvLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        if not _try_lock(fh):
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise InvalidInput(
                f"env: another envwizard run (pid {holder}) is working on {self.env_path}; "
                "wait for it to finish, or stop it first"
            )
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh:
            self._fh.close()
            self._fh = None


def _try_lock(fh: IO[str]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
