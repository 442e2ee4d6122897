"""The benchmark worker's command line, in one place for the plan's step and `envwizard bench`."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources


@dataclass
class BenchOptions:
    """What `envwizard bench` and the plan's benchmark step pass to the worker."""

    device: str = "auto"
    preset: str = "auto"
    dtype: str = "auto"
    seconds: float = 30
    nproc: int = 1
    """Processes on this machine (per node)."""
    compile: bool = False
    optimizer: str = "sgd"
    nnodes: int = 1
    node_rank: int = 0
    master: str | None = None
    """ADDR:PORT of node 0's rendezvous, when nnodes > 1."""
    baseline_samples_per_s: float | None = None
    extra: Sequence[str] = field(default_factory=tuple)
    """More worker flags (e.g. --threads, --dims), passed as given."""


def worker_path() -> str:
    """The worker script shipped with envwizard; the target environment's Python runs it."""
    return str(resources.files("envwizard.bench").joinpath("worker.py"))


def worker_argv(python: str, opts: BenchOptions) -> list[str]:
    """The worker itself, or torchrun in front of it for nproc > 1."""
    args = ["--device", opts.device, "--preset", opts.preset, "--seconds", _num(opts.seconds)]
    args += ["--dtype", opts.dtype]
    if opts.optimizer != "sgd":
        args += ["--optimizer", opts.optimizer]
    if opts.compile:
        args.append("--compile")
    if opts.baseline_samples_per_s:
        args += ["--baseline-samples-per-s", _num(opts.baseline_samples_per_s)]
    args += list(opts.extra)
    if opts.nnodes > 1:
        # c10d rendezvous: node 0 hosts the store at --master, the others join it; torchrun
        # ignores a node rank with c10d, so the rank decides only who hosts.
        host = "true" if opts.node_rank == 0 else "false"
        args += ["--node-rank", str(opts.node_rank)]
        return [
            python, "-m", "torch.distributed.run", f"--nnodes={opts.nnodes}",
            f"--nproc_per_node={opts.nproc}", "--rdzv_backend=c10d",
            f"--rdzv_endpoint={opts.master}", "--rdzv_id=envwizard-bench",
            f"--rdzv_conf=is_host={host}", worker_path(), *args,
        ]  # fmt: skip
    if opts.nproc > 1:
        return [
            python, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={opts.nproc}", worker_path(), *args,
        ]  # fmt: skip
    return [python, worker_path(), *args]


def thread_env(nproc: int, cpus: int | None) -> dict[str, str]:
    """torchrun sets OMP_NUM_THREADS=1 (with a warning) when it is unset: split the cores instead."""
    if nproc > 1:
        return {"OMP_NUM_THREADS": str(max(1, (cpus or 1) // nproc))}
    return {}


def nvml_env() -> dict[str, str]:
    """Let the worker borrow envwizard's own nvidia-ml-py for GPU telemetry (see worker.import_pynvml)."""
    spec = importlib.util.find_spec("pynvml")
    if spec is None or not spec.origin:
        return {}
    return {"ENVWIZARD_NVML_DIR": os.path.dirname(spec.origin)}


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
