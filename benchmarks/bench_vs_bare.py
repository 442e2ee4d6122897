"""Is `envwizard bench` honest? Its samples/s against a bare training loop, same everything.

    python benchmarks/bench_vs_bare.py --python ENV/bin/python [--seconds 10] [--rounds 1]

Runs `envwizard bench --python P --device cpu --seconds N --json`, then right after, in the same
environment, the plainest loop of the same dimensions, batch, dtype, thread count and data pool
size (nn.Sequential, CrossEntropyLoss, SGD; no timing windows, no loss reads) twice: with torch's
default SGD, and with the fused/foreach SGD the benchmark uses. It prints the throughputs and
the ratio to the faster bare loop (the benchmark should keep >= 0.85 of it), the loss fall and the accuracy against chance. Then `--nproc 2` on CPU: world
size and samples/s. With --rounds N the pair is repeated and the median ratio decides, because a
shared machine's noise is larger than the harness's overhead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from typing import Any

BARE = """
import json, sys, time, warnings
warnings.filterwarnings("ignore", message=".*NumPy.*")
import torch
n_in, hidden, n_out, batch, threads, pool, dtype, kind = [json.loads(a) for a in sys.argv[1:9]]
seconds, lr = float(sys.argv[9]), float(sys.argv[10])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(n_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_out)
)
loss_fn = torch.nn.CrossEntropyLoss()
flags = {kind: True} if kind else {}
opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, **flags)
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


def bench(python: str, seconds: float, nproc: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    """The start and summary events of one `envwizard bench --json` run."""
    r = subprocess.run(
        [sys.executable, "-m", "envwizard", "bench", "--python", python, "--device", "cpu",
         "--seconds", str(seconds), "--nproc", str(nproc), "--json"],
        capture_output=True, text=True, timeout=seconds * 10 + 300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if r.returncode != 0:
        sys.exit(f"envwizard bench failed ({r.returncode}): {r.stderr.strip()}")
    events = [json.loads(line) for line in r.stdout.splitlines()]
    return events[0], events[-1]


def bare(python: str, start: dict[str, Any], seconds: float, same_optimizer: bool) -> float:
    """samples/s of the bare loop; SGD as torch defaults it, or as the benchmark built it."""
    m = start["model"]
    kind = start["optimizer"].split("(")[-1].rstrip(")") if same_optimizer else None
    args = [m["in"], m["hidden"], m["out"], start["batch"], start["threads"]]
    args += [start["pool_batches"], start["dtype"], kind if kind in ("fused", "foreach") else None]
    r = subprocess.run(
        [python, "-c", BARE, *[json.dumps(a) for a in args], str(seconds), str(start["lr"])],
        capture_output=True, text=True, timeout=seconds * 10 + 300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if r.returncode != 0:
        sys.exit(f"the bare loop failed: {r.stderr.strip()[-2000:]}")
    return float(json.loads(r.stdout)["samples_per_s"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", required=True, help="an environment's interpreter with torch")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=1, help="benchmark/bare pairs (median ratio)")
    ap.add_argument("--no-nproc", action="store_true", help="skip the two-process run")
    args = ap.parse_args()

    ratios = []
    summary: dict[str, Any] = {}
    for n in range(1, args.rounds + 1):
        start, summary = bench(args.python, args.seconds)
        plain = bare(args.python, start, args.seconds, same_optimizer=False)
        same = bare(args.python, start, args.seconds, same_optimizer=True)
        ratio = summary["samples_per_s"] / max(plain, same)
        ratios.append(ratio)
        m = summary["model"]
        print(
            f"round {n}: {m['in']}→{m['hidden']}→{m['out']} batch {summary['batch']} "
            f"{summary['dtype']} {summary['threads']} threads, {args.seconds:g} s each\n"
            f"  envwizard bench  {summary['samples_per_s']:>12,.0f} samples/s "
            f"(window median {summary['samples_per_s_median']:,.0f})\n"
            f"  bare loop        {plain:>12,.0f} samples/s (torch's default SGD)\n"
            f"  bare loop        {same:>12,.0f} samples/s ({start['optimizer']}, as the benchmark)\n"
            f"  ratio            {ratio:>12.3f} (against the faster bare loop)"
        )
    s = summary
    median = statistics.median(ratios)
    fell = s["loss_last"] < s["loss_first"]
    beats = s["accuracy"] > 1.5 * s["chance"]
    print(
        f"loss {s['loss_first']:.3f} → {s['loss_last']:.3f} ({'falls' if fell else 'DOES NOT FALL'}); "
        f"held-out accuracy {s['accuracy']:.1%} vs chance {s['chance']:.1%} "
        f"({s['accuracy'] / s['chance']:.1f}× chance)\n"
        f"median ratio {median:.3f} over {len(ratios)} round(s): "
        f"{'PASS' if median >= 0.85 else 'FAIL'} (needs ≥ 0.85)"
    )
    ok = median >= 0.85 and fell and beats
    if not args.no_nproc:
        _, two = bench(args.python, args.seconds, nproc=2)
        print(
            f"--nproc 2: world_size {two['world_size']}, {two['samples_per_s']:,.0f} samples/s "
            f"({two['samples_per_s_per_device']:,.0f} per process, {two['threads']} thread each), "
            f"loss {two['loss_first']:.3f} → {two['loss_last']:.3f}, "
            f"accuracy {two['accuracy']:.1%}"
        )
        ok = ok and two["world_size"] == 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
