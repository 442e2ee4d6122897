"""`envwizard bench`: the training benchmark in an existing environment.

`--json` prints the worker's JSON lines as they come (the last is the summary); otherwise a
Rich live view and a summary table. Exit 2 for a --python that is missing or has no torch,
1 when the worker fails, 130 when cancelled by Ctrl+C, SIGTERM or a closed terminal (SIGHUP;
the worker's whole tree is stopped first).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from envwizard.bench.launch import BenchOptions, BenchProcess, worker_argv, worker_env
from envwizard.core.errors import EXIT_OK, Cancelled, InvalidInput, StepFailed
from envwizard.core.i18n import _
from envwizard.core.terminal import detach_terminal

TORCH_PROBE = (
    "import importlib.util, sys; "
    "sys.stdout.write('envwizard-torch:%d' % (importlib.util.find_spec('torch') is not None))"
)


def resolve_python(path: str) -> str:
    """The interpreter to run; an environment's folder stands for its bin/python.

    Symlinks are kept as given: a venv's python is a link, and following it leaves the venv.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        inside = [p / "bin" / "python", p / "Scripts" / "python.exe", p / "python.exe"]
        found = next((c for c in inside if c.is_file()), None)
        if found is None:
            raise InvalidInput(
                _("--python {path}: a folder with no bin/python in it").format(path=path)
            )
        p = found
    if not p.exists():
        raise InvalidInput(_("--python {path}: no such file").format(path=path))
    if not os.access(p, os.X_OK):
        raise InvalidInput(_("--python {path}: not an executable").format(path=path))
    return str(p.absolute())


def check_torch(python: str) -> None:
    """Fail early, with one message, when PYTHON is not a Python or cannot import torch."""
    try:
        r = subprocess.run(
            [python, "-c", TORCH_PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except OSError as e:
        raise InvalidInput(
            _("--python {python}: cannot be run ({error})").format(
                python=python, error=e.strerror or e
            )
        ) from None
    except subprocess.TimeoutExpired:
        raise InvalidInput(
            _("--python {python}: did not answer within 60 s").format(python=python)
        ) from None
    answer = r.stdout.strip()
    if not answer.startswith("envwizard-torch:"):
        raise InvalidInput(
            _("--python {python}: is not a Python interpreter").format(python=python)
        )
    if answer.endswith(":0"):
        raise InvalidInput(
            _(
                "--python {python}: this environment has no torch; install it there, or let envwizard build an environment with it"
            ).format(python=python)
        )


def check_nodes(args: argparse.Namespace) -> None:
    """--nnodes, --node-rank and --master belong together; say which one is wrong."""
    if args.nnodes == 1:
        if args.node_rank != 0 or args.master:
            raise InvalidInput(
                _("--node-rank and --master apply only with --nnodes greater than 1")
            )
        return
    if not 0 <= args.node_rank < args.nnodes:
        raise InvalidInput(
            _("--node-rank {node_rank}: with --nnodes {nnodes} it is 0 to {last}").format(
                node_rank=args.node_rank, nnodes=args.nnodes, last=args.nnodes - 1
            )
        )
    if not args.master:
        raise InvalidInput(_("--nnodes needs --master ADDR:PORT, node 0's address and a free port"))
    host, sep, port = args.master.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInput(
            _("--master {master}: give it as ADDR:PORT, e.g. 10.0.0.1:29500").format(
                master=args.master
            )
        )
    if args.device in ("mps", "xpu"):
        raise InvalidInput(
            _("--nnodes {nnodes}: several machines run on cuda or cpu only").format(
                nnodes=args.nnodes
            )
        )
    if args.scaling:
        raise InvalidInput(_("--scaling measures one machine; leave it out with --nnodes"))


def bench_command(args: argparse.Namespace) -> int:
    python = resolve_python(args.python)
    if args.nproc > 1 and args.device in ("mps", "xpu"):
        raise InvalidInput(
            _("--nproc {nproc}: several processes run on cuda or cpu only").format(nproc=args.nproc)
        )
    if args.dtype == "tf32" and args.device not in ("auto", "cuda"):
        raise InvalidInput(
            _("--dtype tf32: TF32 is an NVIDIA GPU mode, not for --device {device}").format(
                device=args.device
            )
        )
    check_nodes(args)
    check_torch(python)
    opts = BenchOptions(
        device=args.device,
        preset=args.preset,
        dtype=args.dtype,
        seconds=args.seconds,
        nproc=args.nproc,
        compile=args.compile,
        optimizer=args.optimizer,
        nnodes=args.nnodes,
        node_rank=args.node_rank,
        master=args.master,
        extra=("--threads", str(args.threads)) if args.threads else (),
    )
    try:
        return asyncio.run(_bench(python, opts, as_json=args.json, scaling=args.scaling))
    except asyncio.CancelledError:  # SIGTERM; Ctrl+C arrives as KeyboardInterrupt
        raise Cancelled("cancelled") from None


async def _bench(python: str, opts: BenchOptions, *, as_json: bool, scaling: bool) -> int:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None and hasattr(signal, "SIGTERM"):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows has no such thing
            loop.add_signal_handler(signal.SIGTERM, task.cancel)

            def hang_up() -> None:  # the terminal was closed: cancel as SIGTERM does (exit 130)
                detach_terminal()
                task.cancel()

            loop.add_signal_handler(signal.SIGHUP, hang_up)
    if scaling and opts.nproc > 1:
        if not as_json:
            print(_("First one process, for the scaling baseline:"))
        base = await _one_run(python, replace(opts, nproc=1), as_json=as_json, quiet=as_json)
        opts.baseline_samples_per_s = float(base["samples_per_s"])
    await _one_run(python, opts, as_json=as_json, quiet=False)
    return EXIT_OK


async def _one_run(
    python: str, opts: BenchOptions, *, as_json: bool, quiet: bool
) -> dict[str, Any]:
    """One worker run, shown as JSON lines or a live view; its summary, or StepFailed."""
    run = BenchProcess(worker_argv(python, opts), env=worker_env(opts))
    if as_json:
        async for event in run.events():
            if event["event"] != "log" and not quiet:
                sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")
                sys.stdout.flush()
    else:
        await _live(run)
    if run.returncode != 0 or run.summary is None:
        raise StepFailed("benchmark failed: " + run.failure())
    return run.summary


async def _live(run: BenchProcess) -> None:
    from rich.live import Live

    from envwizard.bench.state import BenchState
    from envwizard.bench.view import live_panel, progress_line, summary_table
    from envwizard.report.render import SafeConsole

    console = SafeConsole()
    state = BenchState()
    if not console.is_terminal:  # a log file or a pipe: a plain line every few seconds
        async for event in run.events():
            state.feed(event)
            if event["event"] == "step" and state.line_due(time.monotonic()):
                console.print(progress_line(state), highlight=False, soft_wrap=True)
        if state.summary:
            console.print(summary_table(state.summary))
        return
    with Live(live_panel(state), console=console, refresh_per_second=8, transient=True) as live:
        async for event in run.events():
            state.feed(event)
            if event["event"] != "log":
                live.update(live_panel(state))
    if state.summary:
        console.print(summary_table(state.summary))
