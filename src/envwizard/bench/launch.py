"""Run the benchmark worker in a target environment and stream its events (no UI here).

The worker's stdout is JSON lines (the contract in DESIGN.md); anything else it or torchrun
prints becomes a `log` event for display. The child starts in its own session with stdin
closed, so the terminal's Ctrl+C reaches envwizard alone, which then stops the whole tree —
torchrun puts its workers in sessions of their own, so the tree is collected by psutil.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field

import psutil

from envwizard.plan import bench_worker_path

EVENTS = ("start", "step", "eval", "telemetry", "summary", "error")
"""The worker's event kinds (contract); the launcher adds `log` for other lines."""
POSIX = os.name == "posix"
WORKER_SAYS = "benchmark error: "
"""How a worker of any rank words its failure on stderr."""
CRASH = re.compile(r"^\w*(Error|Exception)\b|terminate called|Killed|Segmentation fault")
"""Lines that say why a process died, preferred over torchrun's closing banner."""


@dataclass
class BenchOptions:
    """What `envwizard bench` and the plan's benchmark step pass to the worker."""

    device: str = "auto"
    preset: str = "auto"
    dtype: str = "auto"
    seconds: float = 30
    nproc: int = 1
    compile: bool = False
    baseline_samples_per_s: float | None = None
    extra: Sequence[str] = field(default_factory=tuple)
    """More worker flags (e.g. --threads, --dims), passed as given."""


def worker_argv(python: str, opts: BenchOptions) -> list[str]:
    """The argv the plan uses too: the worker itself, or torchrun in front of it for nproc > 1."""
    args = ["--device", opts.device, "--preset", opts.preset, "--seconds", _num(opts.seconds)]
    args += ["--dtype", opts.dtype]
    if opts.compile:
        args.append("--compile")
    if opts.baseline_samples_per_s:
        args += ["--baseline-samples-per-s", _num(opts.baseline_samples_per_s)]
    args += list(opts.extra)
    if opts.nproc > 1:
        return [
            python, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={opts.nproc}", bench_worker_path(), *args,
        ]  # fmt: skip
    return [python, bench_worker_path(), *args]


def worker_env(opts: BenchOptions, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The worker's environment: unbuffered output; torchrun's CPU threads split explicitly.

    torchrun sets OMP_NUM_THREADS=1 (with a warning) when it is unset; the worker sets its
    thread count itself, so say so up front and keep the warning out of the output.
    """
    env = dict(os.environ if base is None else base)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    if opts.nproc > 1 and "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // opts.nproc))
    return env


def parse_line(line: str, stream: str = "stdout") -> dict[str, object]:
    """One output line as an event: a worker event, or {"event": "log", "line": ...}."""
    text = line.rstrip("\r\n")
    if stream == "stdout" and text.startswith("{"):
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        if isinstance(event, dict) and event.get("event") in EVENTS:
            return event
    return {"event": "log", "line": text, "stream": stream}


class BenchProcess:
    """One worker run. `async for e in BenchProcess(argv).events()` streams its events; the
    tree is stopped when the iteration ends early or is cancelled.
    """

    def __init__(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.returncode: int | None = None
        self.summary: dict[str, object] | None = None
        self.error: dict[str, object] | None = None
        self.log_tail: deque[str] = deque(maxlen=80)
        self._proc: asyncio.subprocess.Process | None = None

    async def events(self) -> AsyncIterator[dict[str, object]]:
        kwargs: dict[str, object] = {}
        if POSIX:
            kwargs["start_new_session"] = True
        else:  # pragma: no cover - Windows
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
            limit=2**20,
            **kwargs,  # type: ignore[arg-type]
        )
        self._proc = proc
        queue: asyncio.Queue[dict[str, object] | None] = asyncio.Queue()
        assert proc.stdout and proc.stderr
        readers = [
            asyncio.ensure_future(_pump(proc.stdout, "stdout", queue)),
            asyncio.ensure_future(_pump(proc.stderr, "stderr", queue)),
        ]
        try:
            open_streams = 2
            while open_streams:
                event = await queue.get()
                if event is None:
                    open_streams -= 1
                    continue
                self._note(event)
                yield event
            self.returncode = await proc.wait()
        finally:
            for r in readers:
                r.cancel()
            if proc.returncode is None:
                await stop_tree(proc)
                self.returncode = proc.returncode

    def _note(self, event: dict[str, object]) -> None:
        kind = event["event"]
        if kind == "summary":
            self.summary = event
        elif kind == "error":
            self.error = event
        elif kind == "log":
            self.log_tail.append(str(event["line"]))

    def failure(self) -> str:
        """Why the run failed, in one line: the worker's error event, or its last words."""
        if self.error:
            hint = self.error.get("hint")
            return str(self.error.get("message")) + (f" ({hint})" if hint else "")
        lines = [x.strip() for x in self.log_tail if x.strip(" =-*\t")]
        said = [x.removeprefix(WORKER_SAYS) for x in lines if x.startswith(WORKER_SAYS)]
        crash = [x for x in lines if CRASH.search(x)][:1]  # the root cause comes first
        last = (said or crash or lines or ["no output"])[-1]
        return f"the worker exited with status {self.returncode}: {last}"


async def _pump(
    stream: asyncio.StreamReader, name: str, queue: asyncio.Queue[dict[str, object] | None]
) -> None:
    try:
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line beyond the limit: drop the rest of it
                raw = await stream.read(2**20)
            if not raw:
                break
            await queue.put(parse_line(raw.decode("utf-8", "replace"), name))
    finally:
        queue.put_nowait(None)


async def stop_tree(proc: asyncio.subprocess.Process, grace: float = 3.0) -> None:
    """SIGTERM the child's group and every descendant (torchrun's workers have their own
    sessions), give them `grace` seconds, then SIGKILL whatever is left.
    """
    tree = _tree(proc.pid)
    _signal(proc.pid, tree, signal.SIGTERM)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(proc.wait(), grace)
    _, alive = psutil.wait_procs(list(tree), timeout=0.5)
    if proc.returncode is None or alive:
        _signal(proc.pid, set(alive) | _tree(proc.pid), getattr(signal, "SIGKILL", signal.SIGTERM))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), grace)
        psutil.wait_procs(alive, timeout=grace)


def _tree(pid: int) -> set[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return {root, *root.children(recursive=True)}
    except psutil.Error:
        return set()


def _signal(pid: int, tree: set[psutil.Process], sig: signal.Signals) -> None:
    if POSIX:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
    for p in tree:
        with contextlib.suppress(psutil.Error):
            p.send_signal(sig)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
