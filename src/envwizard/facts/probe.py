"""Probe this machine for Facts: independent probes in threads, each bounded by a timeout.

A probe that fails or runs out of time becomes an entry in `facts.unknown` saying why; the
rest of the facts still arrive. The contract keys (OS, the running Python) never depend on
a probe that can fail.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from envwizard.facts.found import Found
from envwizard.facts.model import Facts, OSInfo
from envwizard.facts.subproc import ProbeError

DEFAULT_TIMEOUT = 5.0


class _Task(threading.Thread):
    """One probe. Daemon, so a probe stuck in a system call never holds the process open."""

    def __init__(self, name: str, fn: Callable[[], Any]) -> None:
        super().__init__(name=f"envwizard-probe-{name}", daemon=True)
        self.key = name
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as e:  # reported as an unknown, never raised into the caller
            self.error = e


def probe(*, env_dir: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Facts:
    """The facts of this machine.

    `env_dir` is where environments will go (free disk is measured there; default: home).
    `timeout` bounds each helper program; the whole probe waits at most about twice that.
    """
    from envwizard.facts import amd, gpus, managers, nvidia, pci, pipconfig, pythons, system

    home = os.path.expanduser("~")
    current = pythons.current_interpreter()
    wsl = system.is_wsl()
    tasks = [
        _Task("os", lambda: system.os_info(timeout=timeout)),
        _Task("cpu", lambda: system.cpu_info(timeout=timeout)),
        _Task("memory_mib", system.memory_mib),
        _Task("disk", lambda: system.disk_info(env_dir or home)),
        _Task("pythons", lambda: pythons.probe_pythons(current, timeout, home=home)),
        _Task("managers", lambda: managers.probe_managers(timeout, home=home)),
        _Task("gpus.nvidia", lambda: nvidia.probe_nvidia(timeout=timeout, wsl=wsl)),
        _Task("gpus.amd", lambda: amd.probe_amd(timeout=timeout)),
        _Task("gpus.pci", lambda: Found(pci.scan_display_devices())),
        _Task("gpus.apple", lambda: gpus.probe_apple(timeout)),
        _Task("pip_config", lambda: Found(pipconfig.read_pip_config(home=home))),
    ]
    for t in tasks:
        t.start()
    deadline = time.monotonic() + 2 * timeout + 1
    results: dict[str, Any] = {}
    unknown: dict[str, str] = {}
    sources: dict[str, str] = {"python": "the running interpreter"}
    for t in tasks:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            unknown[t.key] = f"timed out after {2 * timeout + 1:g} s"
        elif t.error is not None:
            unknown[t.key] = _why(t.error)
        else:
            found: Found[Any] = t.result
            results[t.key] = found.value
            sources.update(found.sources)
            unknown.update(found.unknown)

    if results.get("os"):
        os_info = results["os"]
    else:
        name, machine, _release = system.uname()
        os_info = OSInfo(system=name, machine=machine)
    merged = gpus.merge_gpus(
        results.get("gpus.nvidia"),
        results.get("gpus.amd"),
        results.get("gpus.pci"),
        results.get("gpus.apple"),
    )
    sources.update(merged.sources)
    for key, why in merged.unknown.items():
        unknown.setdefault(key, why)
    return Facts(
        os=os_info,
        python=current,
        gpus=merged.gpus,
        nvidia_driver=merged.driver,
        cuda_driver=merged.cuda_driver,
        pythons=results.get("pythons") or [current],
        managers=results.get("managers") or {},
        cpu=results.get("cpu") or {},
        memory_mib=results.get("memory_mib"),
        disk=results.get("disk") or {},
        home=home,
        sources=sources,
        unknown=unknown,
        pip_config=results.get("pip_config"),
    )


def _why(error: BaseException) -> str:
    if isinstance(error, ProbeError):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
