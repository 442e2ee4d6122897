"""How busy the machine was while a measurement ran: the benchmarks' witness against load.

A timing taken while other processes used the cores says little about the code measured. Each
measured block runs inside `Meter()`, which records:
  - the load average (1 min) before and after;
  - the CPU seconds *other* processes used during the block, as cores busy on average: the
    machine's busy CPU time (every process) minus this process's and its waited-for children's;
  - the other processes that used the most CPU, by name.
`others_cores` above `BUSY_CORES` marks the block disturbed. The load average alone cannot do
that: it counts the measurement's own processes, and it trails by a minute.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from dataclasses import dataclass, field
from types import TracebackType

import psutil

BUSY_CORES = 0.15
"""Other processes using more than this many cores on average disturb a measurement."""


def _busy_seconds() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def _own_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _per_process() -> dict[int, tuple[str, float]]:
    mine = {os.getpid()}
    with contextlib.suppress(psutil.Error):
        mine |= {p.pid for p in psutil.Process().children(recursive=True)}
    out = {}
    for p in psutil.process_iter(["name", "cpu_times"]):
        times = p.info["cpu_times"]
        if p.pid not in mine and times is not None:
            out[p.pid] = (p.info["name"] or "?", times.user + times.system)
    return out


@dataclass
class Meter:
    """`with Meter() as m:` around one measured block; `m.line()` says how busy it was."""

    wall: float = 0.0
    load_before: float = 0.0
    load_after: float = 0.0
    others_cores: float = 0.0
    top: list[tuple[str, float]] = field(default_factory=list)

    def __enter__(self) -> Meter:
        self.load_before = os.getloadavg()[0]
        self._procs = _per_process()
        self._busy, self._own, self._t = _busy_seconds(), _own_seconds(), time.perf_counter()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.wall = time.perf_counter() - self._t
        others = (_busy_seconds() - self._busy) - (_own_seconds() - self._own)
        self.others_cores = max(0.0, others) / self.wall if self.wall > 0 else 0.0
        self.load_after = os.getloadavg()[0]
        used: dict[str, float] = {}
        for pid, (name, cpu) in _per_process().items():
            was = self._procs.get(pid)
            delta = cpu - (was[1] if was else 0.0)  # kernel workers rename themselves
            if delta > 0.05:
                used[name] = used.get(name, 0.0) + delta
        self.top = sorted(used.items(), key=lambda kv: -kv[1])[:3]

    @property
    def disturbed(self) -> bool:
        return self.others_cores > BUSY_CORES

    def line(self) -> str:
        top = ", ".join(f"{name} {cpu:.1f} s" for name, cpu in self.top) or "none"
        return (
            f"load {self.load_before:.2f} → {self.load_after:.2f}, other processes "
            f"{self.others_cores:.2f} cores (top: {top})"
            + ("  DISTURBED" if self.disturbed else "")
        )


def merge(meters: list[Meter]) -> Meter:
    """One Meter for blocks run back to back (the worst `others_cores` of them)."""
    m = Meter(
        wall=sum(x.wall for x in meters),
        load_before=meters[0].load_before,
        load_after=meters[-1].load_after,
        others_cores=max(x.others_cores for x in meters),
    )
    used: dict[str, float] = {}
    for x in meters:
        for name, cpu in x.top:
            used[name] = used.get(name, 0.0) + cpu
    m.top = sorted(used.items(), key=lambda kv: -kv[1])[:3]
    return m
