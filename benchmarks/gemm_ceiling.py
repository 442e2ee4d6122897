"""The measured matmul ceiling of one device: what MFU can at best reach there.

    python benchmarks/gemm_ceiling.py --device cuda --dtype bf16 [--seconds 1] [--out FILE]

Standard library and torch only, so any environment with torch runs it. It times square
matmuls of random-normal data (zeros run hotter and read faster than real work) at a few sizes,
plus the large benchmark preset's first-layer forward shape, and reports TFLOP/s for each and
the best: the "measured GEMM ceiling" that MFU against the spec peak can be compared with. The
result is one JSON object, on stdout and in --out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

CUDA_SHAPES = [(4096, 4096, 4096), (8192, 8192, 8192), (16384, 16384, 16384), (8192, 16384, 4096)]
CPU_SHAPES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024)]


def sync(torch, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(torch, device, dtype, m, n, k, seconds):
    """Best TFLOP/s over repeated bursts of one (m x k) @ (k x n) matmul, host-synced per burst."""
    a = torch.randn(m, k, device=device, dtype=dtype)
    b = torch.randn(k, n, device=device, dtype=dtype)
    out = torch.empty(m, n, device=device, dtype=dtype)
    for _ in range(3):
        torch.matmul(a, b, out=out)
    sync(torch, device)
    t = time.perf_counter()
    torch.matmul(a, b, out=out)
    sync(torch, device)
    reps = max(1, int(0.1 / max(time.perf_counter() - t, 1e-6)))
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        for _ in range(reps):
            torch.matmul(a, b, out=out)
        sync(torch, device)
        best = max(best, 2.0 * m * n * k * reps / (time.perf_counter() - t) / 1e12)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu")
    ap.add_argument("--dtype", default="bf16", choices=["bf16", "fp16", "fp32", "tf32"])
    ap.add_argument("--seconds", type=float, default=1.0, help="per shape")
    ap.add_argument("--out", default=None, help="also write the JSON here")
    args = ap.parse_args()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*NumPy.*")
        import torch

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.stderr.write("gemm_ceiling: CUDA is not available to this torch\n")
        return 2
    torch.set_float32_matmul_precision("high" if args.dtype == "tf32" else "highest")
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.dtype, torch.float32)
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        shapes = CUDA_SHAPES
    else:
        name = f"CPU ({torch.get_num_threads()} threads)"
        shapes = CPU_SHAPES
    results = []
    for m, n, k in shapes:
        tflops = measure(torch, device, dtype, m, n, k, args.seconds)
        results.append({"m": m, "n": n, "k": k, "tflops": round(tflops, 2)})
    best = max(results, key=lambda r: r["tflops"])
    doc = {
        "device": str(device),
        "device_name": name,
        "dtype": args.dtype,
        "torch": torch.__version__,
        "results": results,
        "best_tflops": best["tflops"],
        "best_shape": [best["m"], best["n"], best["k"]],
    }
    text = json.dumps(doc, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
