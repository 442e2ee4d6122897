"""One child process: its output as batches of clean lines, teed to a log, and a way to stop it.

Children start in their own process group (session on POSIX), with stdin closed, so a prompt
can never hang the run and the terminal's Ctrl+C reaches envwizard alone, which then stops the
child's whole tree in order: SIGINT (pip cleans up), SIGTERM, SIGKILL — each after a short
grace, and for processes that left the group too (psutil), so nothing outlives a cancel.

Nothing outlives envwizard either, even when it is killed with SIGKILL: on Linux the direct
child gets a parent-death signal, and every child has a small watchdog process (in its own
session, so a closed terminal does not reach it) that waits on a pipe from envwizard and stops
the child's whole process group when that pipe closes without a "done". Children inherit the
environment's lock (`inherited_fds`), so the lock is held until the last of them is gone.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import psutil

from envwizard.core.redact import redact_text
from envwizard.run import credentials

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
BATCH_SECONDS = 0.05
"""Output is handed to the front ends at most every 50 ms, never a call per line."""
POSIX = os.name == "posix"

inherited_fds: set[int] = set()
"""Open files every child inherits: the environment lock, held while any child lives."""

WATCHDOG = """
import os, signal, sys, time
for s in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
    signal.signal(s, signal.SIG_IGN)
group = int(sys.argv[1])
said = sys.stdin.buffer.read()
if said != b"done":
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, sig)
        except OSError:
            break
        for _ in range(30):
            time.sleep(0.1)
            try:
                os.killpg(group, 0)
            except OSError:
                sys.exit(0)
"""
"""Run by `python -I -S -c`: waits for envwizard to say "done" or to die (EOF), then stops the group."""

_PR_SET_PDEATHSIG = 1


def _parent_death_signal() -> Callable[[], None] | None:
    """A preexec function that makes the kernel SIGKILL the child when envwizard's thread dies.

    The signal follows the *thread* that forked, so it is only set when the main thread (which
    lives as long as envwizard) starts the child; the watchdog covers every other case.
    """
    if (
        not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # envwizard died before the signal was armed
            os._exit(1)

    return preexec


MAX_LINE = 8192
"""Characters of one output line that reach the front ends; the log file keeps the whole line."""
_NEWLINE = re.compile(r"\r\n|\n|\r")


def clean(line: str) -> str:
    """A line as a person should see it: no colour codes, no trailing blanks."""
    return (ANSI.sub("", line) if "\x1b" in line else line).rstrip()


class LineSplitter:
    """Bytes in, display lines out, in time linear in the output and memory bounded per line.

    Each chunk is split once, on its own: the unfinished line is kept as its first
    `limit` characters plus a count of the rest, so one endless line without a newline
    (a progress bar gone wrong, a minified dump) costs neither quadratic time nor its size
    in memory. A cut line says how much was left out; the log file keeps every byte.
    """

    def __init__(self, limit: int = MAX_LINE) -> None:
        self.limit = limit
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._parts: list[str] = []
        self._kept = 0
        self._dropped = 0
        self._after_cr = False

    @property
    def retained(self) -> int:
        """Characters held for the unfinished line (never more than `limit`)."""
        return self._kept

    def feed(self, data: bytes) -> list[str]:
        """The lines that `data` completes."""
        return self._split(self._decoder.decode(data))

    def close(self) -> list[str]:
        """The last line, when the output did not end with a newline."""
        out = self._split(self._decoder.decode(b"", final=True))
        if self._parts or self._dropped:
            out.append(self._take())
        return out

    def _split(self, text: str) -> list[str]:
        if self._after_cr and text.startswith("\n"):
            text = text[1:]  # the \r\n pair was cut between two reads
        if text:
            self._after_cr = text.endswith("\r")
        pieces = _NEWLINE.split(text)
        self._add(pieces[0])
        if len(pieces) == 1:
            return []
        limit = self.limit
        out = [self._take()]
        out += [clean(p) if len(p) <= limit else _cut(p, limit) for p in pieces[1:-1]]
        self._add(pieces[-1])
        return out

    def _add(self, piece: str) -> None:
        room = self.limit - self._kept
        if len(piece) > room:
            self._dropped += len(piece) - room
            piece = piece[:room]
        if piece:
            self._parts.append(piece)
            self._kept += len(piece)

    def _take(self) -> str:
        line = clean("".join(self._parts))
        if self._dropped:
            line += _left_out(self._dropped)
        self._parts, self._kept, self._dropped = [], 0, 0
        return line


def _cut(line: str, limit: int) -> str:
    return clean(line[:limit]) + _left_out(len(line) - limit)


def _left_out(count: int) -> str:
    return f" … [{count} more characters; the log file has the whole line]"


class Child:
    """A running command. Use `async with Child(...)` so the tree is stopped on any exit."""

    def __init__(
        self,
        argv: list[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.argv = argv
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.started = 0.0
        self._log: BinaryIO | None = None
        self.stopped = False
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._hidden: credentials.Hidden | None = None
        self.log_error: str | None = None
        """Why the log file stopped being written (a full disk): the child runs on regardless."""

    async def __aenter__(self) -> Child:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
        self._release_watchdog()
        self._forget_credentials()
        self._close_log()

    async def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if POSIX:
            kwargs["start_new_session"] = True
            kwargs["pass_fds"] = tuple(sorted(inherited_fds))
            preexec = _parent_death_signal()
            if preexec is not None:
                kwargs["preexec_fn"] = preexec
        elif sys.platform == "win32":  # pragma: no cover - Windows
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        if self.log_path:
            try:
                self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in __aexit__
            except OSError as e:
                self.log_error = e.strerror or str(e)
            line = redact_text(subprocess.list2cmdline(self.argv))
            self._write_log(("$ " + line + "\n").encode())
        self.started = time.monotonic()
        # Credentials travel in the child's environment (readable by this user only), never on
        # its command line (readable by every user).
        self._hidden = hidden = credentials.hide(self.argv, self.env)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *hidden.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=hidden.env,
                cwd=self.cwd,
                **kwargs,
            )
        except BaseException:
            self._forget_credentials()
            raise
        if POSIX:
            self._start_watchdog(self.proc.pid)

    def _start_watchdog(self, group: int) -> None:
        try:
            self._watchdog = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", WATCHDOG, str(group)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                pass_fds=tuple(sorted(inherited_fds)),
            )
        except OSError:  # pragma: no cover - the parent-death signal still covers the child
            self._watchdog = None

    def _release_watchdog(self) -> None:
        """The child is gone: tell the watchdog so, and let it go."""
        dog, self._watchdog = self._watchdog, None
        if dog is None or dog.stdin is None:
            return
        with contextlib.suppress(OSError):
            dog.stdin.write(b"done")
            dog.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            dog.wait(timeout=2)

    def _write_log(self, data: bytes) -> None:
        """Append to the log; a log that cannot be written (a full disk) is given up, the
        child's output still reaches the front ends, and the step is judged on its own."""
        if self._log is None:
            return
        try:
            self._log.write(data)
            self._log.flush()
        except OSError as e:
            self.log_error = e.strerror or str(e)
            self._close_log()

    def _close_log(self) -> None:
        log, self._log = self._log, None
        if log is not None:
            with contextlib.suppress(OSError):
                log.close()

    def _forget_credentials(self) -> None:
        """Remove the private netrc, if the child needed one, now that it has gone."""
        if self._hidden is not None:
            self._hidden.close()
            self._hidden = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def batches(self) -> AsyncIterator[list[str]]:
        """Output lines in batches until the child closes its output. `\\r` redraws split lines."""
        assert self.proc and self.proc.stdout
        reader = self.proc.stdout
        lines = LineSplitter()
        batch: list[str] = []
        last = time.monotonic()
        read: asyncio.Task[bytes] | None = None
        try:
            while True:
                if read is None:
                    read = asyncio.ensure_future(reader.read(65536))
                timeout = max(0.0, BATCH_SECONDS - (time.monotonic() - last)) if batch else None
                done, _ = await asyncio.wait({read}, timeout=timeout)
                if done:
                    chunk = read.result()
                    read = None
                    if not chunk:
                        break
                    self._write_log(chunk)
                    batch.extend(lines.feed(chunk))
                if batch and (not done or time.monotonic() - last >= BATCH_SECONDS):
                    yield batch
                    batch, last = [], time.monotonic()
        finally:
            if read is not None:
                read.cancel()
            self._write_log(b"")
        batch.extend(lines.close())
        if batch:
            yield batch

    async def wait(self) -> int:
        assert self.proc
        return await self.proc.wait()

    async def stop(self, grace: float = 0.8) -> None:
        """Stop the child and every process it started; returns within about 3 × grace."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        self.stopped = True
        tree = _tree(proc.pid)
        steps = (
            [signal.SIGINT, signal.SIGTERM]
            if POSIX
            else [getattr(signal, "CTRL_BREAK_EVENT", None)]
        )
        for sig in steps:
            _signal_tree(proc.pid, tree, sig)
            if await _exited(proc, grace):
                break
            tree |= _tree(proc.pid)
        _kill(proc.pid, tree | _tree(proc.pid))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), grace)
        psutil.wait_procs([p for p in tree if _alive(p)], timeout=grace)


def _tree(pid: int) -> set[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return {root, *root.children(recursive=True)}
    except psutil.Error:
        return set()


def _signal_tree(pid: int, tree: set[psutil.Process], sig: int | None) -> None:
    """Signal the child's group once, and separately only processes that left the group.

    A second SIGINT would interrupt pip's own clean-up (a traceback instead of its one line).
    """
    if sig is None:
        return
    if POSIX:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
    for p in tree:
        with contextlib.suppress(psutil.Error, OSError):
            if POSIX and os.getpgid(p.pid) == pid:
                continue
            p.send_signal(sig)


def _kill(pid: int, tree: set[psutil.Process]) -> None:
    if POSIX:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    for p in tree:
        with contextlib.suppress(psutil.Error):
            p.kill()


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


async def _exited(proc: asyncio.subprocess.Process, seconds: float) -> bool:
    try:
        await asyncio.wait_for(proc.wait(), seconds)
        return True
    except asyncio.TimeoutError:
        return False
