"""Is `envwizard bench` honest? Its samples/s against the tutorial's bare loop, same everything.

    python benchmarks/bench_vs_bare.py --python ENV/bin/python [--seconds 10] [--rounds 7]

Runs `envwizard bench --python P --device cpu --seconds N --json` and the plainest loop a reader
of the tutorial would write, of the same dimensions, batch, dtype and thread count
(nn.Sequential, CrossEntropyLoss, `optim.SGD(model.parameters(), lr=...)`, timed over its
training steps only, like the benchmark). Rounds (7 by default) alternate which of the two runs
first, because a shared machine's load drifts. Each half of a round is watched by
machine_load.Meter: the load average before and after, and the cores other processes used
meanwhile; a round where they used more than 0.15 cores in either half is marked DISTURBED.
The median and spread of all rounds and of the quiet ones are printed; the quiet rounds' median
decides (the benchmark should keep >= 0.90 of the bare loop), and with fewer than 3 quiet rounds
there is no verdict (exit 3). It also checks that the benchmark learns:
held-out accuracy >= 80 % of the teacher's labels, within 10 points of the accuracy on the
training batches. Then `--nproc 2` on CPU: world size and samples/s.

`--paired` measures the same two timed loops inside one process instead, in alternating bursts
of 200 steps, so a shared machine's drifting load falls on both alike: the benchmark worker's
own training step on its fresh batches against the tutorial's step on a pool.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from machine_load import BUSY_CORES, Meter, merge

BARE = """
import json, sys, time, warnings
warnings.filterwarnings("ignore", message=".*NumPy.*")
import torch
n_in, hidden, n_out, batch, threads, pool, dtype = [json.loads(a) for a in sys.argv[1:8]]
seconds, lr = float(sys.argv[8]), float(sys.argv[9])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(n_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_out)
)
loss_fn = torch.nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=lr)
xs = [torch.randn(batch, n_in) for _ in range(pool)]
ys = [torch.randint(0, n_out, (batch,)) for _ in range(pool)]
amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(dtype)


def step(k):
    opt.zero_grad()
    if amp is None:
        loss = loss_fn(model(xs[k]), ys[k])
    else:
        with torch.autocast("cpu", dtype=amp):
            loss = loss_fn(model(xs[k]), ys[k])
    loss.backward()
    opt.step()


for k in range(20):
    step(k % pool)
steps, k = 0, 0
t0 = time.perf_counter()
while time.perf_counter() - t0 < seconds:
    for _ in range(50):
        step(k)
        k = (k + 1) % pool
    steps += 50
print(json.dumps({"samples_per_s": steps * batch / (time.perf_counter() - t0), "steps": steps}))
"""


PAIRED = """
import json, sys, time, warnings
warnings.filterwarnings("ignore", message=".*NumPy.*")
sys.path.insert(0, sys.argv[1])
import worker
torch = worker.import_torch()
threads, bursts, n = int(sys.argv[2]), int(sys.argv[3]), 200
torch.set_num_threads(threads)
p = worker.PRESETS["tiny"]
dims, batch, lr, cpu = [p["in"], p["hidden"], p["out"]], p["batch"], p["lr"], torch.device("cpu")


class OneProcess:
    on = False


task = worker.Task(torch, cpu, dims, batch, torch.float32, 256 * 2**20, 0, 0)
trainer = worker.Trainer(torch, cpu, dims, "fp32", "sgd", lr, OneProcess(), False)
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(dims[0], dims[1]), torch.nn.ReLU(), torch.nn.Linear(dims[1], dims[2])
)
loss_fn = torch.nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=lr)
pool = task.fresh(256)


def bench_burst():
    batches = task.fresh(n)
    losses = []
    t = time.perf_counter()
    for x, y in batches:
        losses.append(trainer.step(x, y))
    return time.perf_counter() - t


def bare_burst(k):
    t = time.perf_counter()
    for i in range(n):
        x, y = pool[(k + i) % len(pool)]
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return time.perf_counter() - t


bench_burst(), bare_burst(0)  # warm-up
ours = theirs = 0.0
for b in range(bursts):
    if b % 2:
        theirs += bare_burst(b * n)
        ours += bench_burst()
    else:
        ours += bench_burst()
        theirs += bare_burst(b * n)
print(json.dumps({"ratio": theirs / ours, "steps": bursts * n, "bench_s": ours, "bare_s": theirs}))
"""


def paired(python: str, threads: int, bursts: int) -> dict[str, Any]:
    """The benchmark's step against the tutorial's, alternating in one process."""
    folder = str(Path(worker_file()).parent)
    r = subprocess.run(
        [python, "-c", PAIRED, folder, str(threads), str(bursts)],
        capture_output=True, text=True, timeout=3600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if r.returncode != 0:
        sys.exit(f"the paired loops failed: {r.stderr.strip()[-2000:]}")
    return dict(json.loads(r.stdout))


def worker_file() -> str:
    from envwizard.plan.bench_argv import worker_path

    return worker_path()


def bench(
    python: str, seconds: float, nproc: int = 1, threads: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The start and summary events of one `envwizard bench --json` run."""
    more = ["--threads", str(threads)] if threads else []
    r = subprocess.run(
        [sys.executable, "-m", "envwizard", "bench", "--python", python, "--device", "cpu",
         "--seconds", str(seconds), "--nproc", str(nproc), "--json", *more],
        capture_output=True, text=True, timeout=seconds * 10 + 300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if r.returncode != 0:
        sys.exit(f"envwizard bench failed ({r.returncode}): {r.stderr.strip()}")
    events = [json.loads(line) for line in r.stdout.splitlines()]
    return events[0], events[-1]


def bare(python: str, start: dict[str, Any], seconds: float) -> float:
    """samples/s of the tutorial's loop at the benchmark's shape, batch, dtype and threads."""
    m = start["model"]
    pool = 256  # batches cycled through, made before the clock starts
    args = [m["in"], m["hidden"], m["out"], start["batch"], start["threads"], pool, start["dtype"]]
    r = subprocess.run(
        [python, "-c", BARE, *[json.dumps(a) for a in args], str(seconds), str(start["lr"])],
        capture_output=True, text=True, timeout=seconds * 10 + 300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if r.returncode != 0:
        sys.exit(f"the bare loop failed: {r.stderr.strip()[-2000:]}")
    return float(json.loads(r.stdout)["samples_per_s"])


def spread(values: list[float]) -> str:
    """median, min–max and the interquartile range of some ratios."""
    if not values:
        return "none"
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return (
        f"median {statistics.median(values):.3f}, min–max {min(values):.3f}–{max(values):.3f}, "
        f"interquartile {q[0]:.3f}–{q[2]:.3f} ({len(values)} rounds)"
    )


def verdict(ratios: list[float], quiet: list[float]) -> tuple[str, int]:
    """PASS (0) or FAIL (1) on the quiet rounds' median; with fewer than 3 quiet rounds no
    verdict (3): a disturbed round says how busy the machine was, not how fast the benchmark is."""
    if len(quiet) < 3:
        return (
            f"NO VERDICT: {len(quiet)} of {len(ratios)} rounds were quiet, 3 are needed; "
            "rerun on a quieter machine",
            3,
        )
    median = statistics.median(quiet)
    ok = median >= 0.90
    return f"median of the quiet rounds {median:.3f}: {'PASS' if ok else 'FAIL'} (needs ≥ 0.90)", (
        0 if ok else 1
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", required=True, help="an environment's interpreter with torch")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=7, help="benchmark/bare pairs (default 7)")
    ap.add_argument("--no-nproc", action="store_true", help="skip the two-process run")
    ap.add_argument(
        "--threads", type=int, default=None, help="threads for both (default: the benchmark's)"
    )
    ap.add_argument("--paired", action="store_true", help="alternate both loops in one process")
    args = ap.parse_args()
    print(
        f"{args.rounds} rounds; a round is DISTURBED when other processes used more than "
        f"{BUSY_CORES} cores on average during either of its halves",
        flush=True,
    )

    ratios: list[float] = []
    quiet: list[float] = []
    if args.paired:
        for n in range(1, args.rounds + 1):
            with Meter() as m:
                r = paired(args.python, args.threads or 1, 20)
            ratios.append(r["ratio"])
            if not m.disturbed:
                quiet.append(r["ratio"])
            print(
                f"round {n}: {r['steps']} steps each, benchmark step {r['bench_s']:.2f} s, "
                f"bare step {r['bare_s']:.2f} s, ratio {r['ratio']:.3f}\n  {m.line()}",
                flush=True,
            )
        text, code = verdict(ratios, quiet)
        print(f"all rounds: {spread(ratios)}\nquiet rounds: {spread(quiet)}\n{text}")
        return code

    accuracies = []
    learned = True
    for n in range(1, args.rounds + 1):
        if n % 2:  # odd rounds: the benchmark first; even rounds: the bare loop first
            with Meter() as first:
                start, s = bench(args.python, args.seconds, threads=args.threads)
            with Meter() as second:
                plain = bare(args.python, start, args.seconds)
        else:
            start, _ = bench(args.python, 1, threads=args.threads)  # shape, batch, threads only
            with Meter() as first:
                plain = bare(args.python, start, args.seconds)
            with Meter() as second:
                start, s = bench(args.python, args.seconds, threads=args.threads)
        m = merge([first, second])
        ratio = s["samples_per_s"] / plain
        ratios.append(ratio)
        if not m.disturbed:
            quiet.append(ratio)
        gap = abs(s["train_accuracy"] - s["eval_accuracy"])
        accuracies.append((s["eval_accuracy"], s["train_accuracy"]))
        dims = s["model"]
        print(
            f"round {n} ({'benchmark' if n % 2 else 'bare loop'} first): "
            f"{dims['in']}→{dims['hidden']}→{dims['out']} batch {s['batch']} {s['dtype']} "
            f"{s['threads']} threads, {s['optimizer']} lr {s['lr']}, {args.seconds:g} s each\n"
            f"  envwizard bench  {s['samples_per_s']:>12,.0f} samples/s "
            f"({s['seconds']:.1f} s measured, {s['wall_s']:.1f} s from start to summary)\n"
            f"  bare loop        {plain:>12,.0f} samples/s\n"
            f"  ratio            {ratio:>12.3f}\n"
            f"  loss {s['loss_first']:.3f} → {s['loss_last']:.3f} (held-out {s['eval_loss']:.3f}); "
            f"accuracy held-out {s['eval_accuracy']:.1%}, training batches "
            f"{s['train_accuracy']:.1%} (gap {100 * gap:.1f} points)\n"
            f"  first half: {first.line()}\n  second half: {second.line()}",
            flush=True,
        )
        learned = learned and s["eval_accuracy"] >= 0.80 and gap <= 0.10
    text, code = verdict(ratios, quiet)
    print(
        f"\nall rounds:   {spread(ratios)}\nquiet rounds: {spread(quiet)}\n{text}\n"
        f"held-out accuracy {', '.join(f'{a:.1%}' for a, _ in accuracies)}: "
        f"{'PASS' if learned else 'FAIL'} (needs ≥ 80 %, within 10 points of the training batches)"
    )
    ok = learned
    if not args.no_nproc:
        with Meter() as m:
            _, two = bench(args.python, args.seconds, nproc=2)
        print(
            f"--nproc 2: world_size {two['world_size']}, {two['samples_per_s']:,.0f} samples/s "
            f"({two['samples_per_s_per_device']:,.0f} per process, {two['threads']} thread each), "
            f"loss {two['loss_first']:.3f} → {two['loss_last']:.3f}, "
            f"accuracy {two['accuracy']:.1%}\n  {m.line()}"
        )
        ok = ok and two["world_size"] == 2
    return code if ok else max(code, 1)


if __name__ == "__main__":
    sys.exit(main())
