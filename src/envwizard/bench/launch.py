"""Run the benchmark worker in a target environment and stream its events (no UI here).

The worker's stdout is JSON lines (the contract in docs/benchmark.md); anything else it or torchrun
prints becomes a `log` event for display. The process is a `proc.Child`: its own session,
stdin closed, and a stop that reaches torchrun's workers too (they sit in sessions of their own).
"""

from __future__ import annotations

import json
import os
import re
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence

from envwizard.core.i18n import _
from envwizard.plan.bench_argv import BenchOptions, nvml_env, thread_env, worker_argv
from envwizard.run.proc import Child

__all__ = ["EVENTS", "BenchOptions", "BenchProcess", "parse_line", "worker_argv", "worker_env"]

EVENTS = ("start", "step", "eval", "telemetry", "summary", "error")
"""The worker's event kinds (contract); the launcher adds `log` for other lines."""
WORKER_SAYS = "benchmark error: "
"""How a worker of any rank words its failure on stderr."""
CRASH = re.compile(r"^\w*(Error|Exception)\b|terminate called|Killed|Segmentation fault")
"""Lines that say why a process died, preferred over torchrun's closing banner."""


def worker_env(opts: BenchOptions, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The worker's environment: unbuffered output; torchrun's CPU threads split explicitly."""
    env = dict(os.environ if base is None else base)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(nvml_env())
    if "OMP_NUM_THREADS" not in env:
        env.update(thread_env(opts.nproc, os.cpu_count()))
    return env


def parse_line(line: str) -> dict[str, object]:
    """One output line as an event: a worker event, or {"event": "log", "line": ...}."""
    text = line.rstrip("\r\n")
    if text.startswith("{"):
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        if isinstance(event, dict) and event.get("event") in EVENTS:
            return event
    return {"event": "log", "line": text}


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
        self.pid: int | None = None

    async def events(self) -> AsyncIterator[dict[str, object]]:
        child = Child(self.argv, env=self.env)
        try:
            async with child:
                self.pid = child.pid
                async for batch in child.batches():
                    for line in batch:
                        event = parse_line(line)
                        self._note(event)
                        yield event
                await child.wait()
        finally:  # also when cancelled: the tree is stopped by then, and its status known
            if child.proc is not None:
                self.returncode = child.proc.returncode

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
        return _("the worker exited with status {returncode}: {last}").format(
            returncode=self.returncode, last=last
        )
