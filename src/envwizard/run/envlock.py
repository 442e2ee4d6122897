"""One run per environment: a lock file that lives with the environment, not with the user.

The lock is `.NAME.envwizard-lock` beside the environment folder NAME (inside it when the
folder's parent is not writable), so every user and every `XDG_STATE_HOME` finds the same one.
It is an OS lock (flock) on an open file: the kernel drops it when the last holder closes it,
so `kill -9` never leaves a stale lock. envwizard's children inherit the open file (see
`proc.inherited_fds`), which keeps the lock held for as long as an installer of the run is
alive — a second run can never start writing while an orphaned installer still does.

The file also carries the run's marker: written before the environment exists, it says that
envwizard is creating (or removing) the folder, so a later run can finish an interrupted
removal instead of refusing a half-deleted environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _
from envwizard.run import proc

ORPHAN_WAIT_SECONDS = 30.0
"""How long a run waits for an installer left behind by a run that died, before refusing."""


def lock_path(env_path: str | Path) -> Path:
    """Where the lock of an environment lives: beside it, or inside it when its parent is read-only.

    The path is resolved first: a symlink to an environment, or a path through a symlinked
    folder, names the same environment, so it must find the same lock.
    """
    env = Path(os.path.realpath(os.path.expanduser(str(env_path))))
    beside = env.parent / f".{env.name}.envwizard-lock"
    if beside.exists() or _writable_dir(env.parent) or not env.is_dir():
        return beside
    return env / ".envwizard-lock"


def _writable_dir(p: Path) -> bool:
    return p.is_dir() and os.access(p, os.W_OK | os.X_OK)


def read_marker(env_path: str | Path, *, owned: bool = False) -> dict[str, Any]:
    """The marker of the last run on this environment ({} when there is none or it is unreadable).

    With `owned`, only a marker written by the user running now counts: in a shared folder
    anyone can leave a file with that name.
    """
    path = lock_path(env_path)
    try:
        if owned and hasattr(os, "geteuid") and path.stat().st_uid != os.geteuid():
            return {}
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def refuse_if_running(env_path: str) -> None:
    """Refuse at once when another live run holds the environment, creating nothing.

    Called before anything else is decided about the environment (the session's prepare): what
    a live run leaves half-made says nothing about what the person should do, that run does.
    """
    path = lock_path(env_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        if _try_lock(fd):
            return
        holder = _holder(fd)
        if holder is not None and psutil.pid_exists(holder):
            raise InvalidInput(
                _(
                    "env: another envwizard run (pid {holder}) is working on {env_path}; wait for it to finish, or stop it first"
                ).format(holder=holder, env_path=env_path)
            )
    finally:
        os.close(fd)  # closing drops a lock taken only to look


class EnvLock:
    """`with EnvLock(env):` holds the environment for this process and the children it starts."""

    def __init__(
        self,
        env_path: str,
        *,
        wait_seconds: float = ORPHAN_WAIT_SECONDS,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.env_path = env_path
        self.path = lock_path(env_path)
        self.wait_seconds = wait_seconds
        self.on_wait = on_wait
        self.fd: int | None = None
        self.data: dict[str, Any] = {}

    def __enter__(self) -> EnvLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except PermissionError:  # another user's lock file: a read-only handle locks too
                fd = os.open(self.path, os.O_RDONLY)
        except OSError as e:
            raise InvalidInput(
                _(
                    "env: cannot create the lock file {path} ({error}); choose an env path in a folder you can write to"
                ).format(path=self.path, error=e.strerror or e)
            ) from None
        if not _try_lock(fd):
            holder = _holder(fd)
            if holder is not None and psutil.pid_exists(holder):
                os.close(fd)
                raise InvalidInput(
                    _(
                        "env: another envwizard run (pid {holder}) is working on {env_path}; wait for it to finish, or stop it first"
                    ).format(holder=holder, env_path=self.env_path)
                )
            if self.on_wait:
                self.on_wait(
                    _(
                        "an installer started by an envwizard run that has ended (pid {pid}) is still working on {env_path}; waiting up to {wait_seconds:.0f} s for it to stop"
                    ).format(
                        pid=holder or "?", env_path=self.env_path, wait_seconds=self.wait_seconds
                    )
                )
            deadline = time.monotonic() + self.wait_seconds
            while not _try_lock(fd):
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise InvalidInput(
                        _(
                            "env: an installer started by an envwizard run that has ended (pid {pid}) is still working on {env_path}; stop it or wait for it to finish, then run envwizard again"
                        ).format(pid=holder or "?", env_path=self.env_path)
                    )
                time.sleep(0.2)
        self.fd = fd
        self.data = _read(fd)
        self.update(pid=os.getpid())
        proc.inherited_fds.add(fd)
        return self

    def update(self, **values: Any) -> None:
        """Rewrite the marker in place (best effort: a full disk must not stop a rollback)."""
        self.data.update(values)
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            payload = json.dumps(self.data).encode()
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, payload, 0)

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            proc.inherited_fds.discard(self.fd)
            os.close(self.fd)
            self.fd = None


def _read(fd: int) -> dict[str, Any]:
    try:
        raw = os.pread(fd, 65536, 0)
        data = json.loads(raw.decode() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _holder(fd: int) -> int | None:
    """The pid the lock file names (older versions wrote a bare number)."""
    try:
        raw = os.pread(fd, 65536, 0).decode().strip()
    except OSError:
        return None
    if raw.isdigit():
        return int(raw)
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        return int(json.loads(raw).get("pid"))
    return None


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
