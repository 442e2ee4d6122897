"""One screen from the files `gpu_check.sh` wrote: devices, verify, TFLOP/s, MFU, telemetry.

    python benchmarks/gpu_check_summary.py OUTDIR

Standard library only. Reads OUTDIR/probe.json, verify.json, gemm.json, bench.jsonl and
steps.tsv (whichever exist), prints the summary and writes it to OUTDIR/summary.txt and, as
numbers, OUTDIR/summary.json. A missing or broken file is reported as such, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def load_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def last_summary(path: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The benchmark's summary event and its error event, if any."""
    summary = error = None
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None, None
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") == "summary":
            summary = event
        elif isinstance(event, dict) and event.get("event") == "error":
            error = event
    return summary, error


def steps(path: Path) -> list[tuple[str, int, float]]:
    rows = []
    try:
        text = path.read_text()
    except OSError:
        return rows
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            rows.append((parts[0], int(parts[1]), float(parts[2])))
    return rows


def fmt(value: Any, spec: str = ".1f", unit: str = "") -> str:
    return f"{value:{spec}}{unit}" if isinstance(value, (int, float)) else "n/a"


def pct(value: Any) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, (int, float)) else "n/a"


def main() -> int:
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gpu_check_summary.py OUTDIR\n")
        return 2
    out = Path(sys.argv[1])
    probe = load_json(out / "probe.json") or {}
    verify = load_json(out / "verify.json")
    gemm = load_json(out / "gemm.json")
    bench, bench_error = last_summary(out / "bench.jsonl")
    ran = steps(out / "steps.tsv")

    lines = ["envwizard GPU check"]
    gpus = probe.get("gpus") or []
    driver = probe.get("nvidia_driver")
    lines.append(f"devices: {len(gpus)} GPU(s), driver {driver or 'n/a'}")
    for g in gpus:
        lines.append(
            f"  {g.get('name')}  {fmt(g.get('memory_mib'), '.0f', ' MiB')}  "
            f"cc {g.get('compute_capability') or 'n/a'}"
        )
    if verify is None:
        lines.append("verify: no result")
    else:
        mark = "ok" if verify.get("ok") else "FAILED"
        names = ", ".join(verify.get("device_names") or []) or "CPU"
        lines.append(f"verify: {mark}, torch {verify.get('torch_version')} on {names}")
        lines += [f"  problem: {p}" for p in verify.get("problems") or []]
    ceiling = gemm.get("best_tflops") if gemm else None
    if gemm:
        shape = "x".join(str(d) for d in gemm.get("best_shape") or [])
        lines.append(
            f"GEMM ceiling: {fmt(ceiling)} TFLOP/s {gemm.get('dtype')} (best shape {shape}, "
            f"{gemm.get('device_name')})"
        )
    else:
        lines.append("GEMM ceiling: no result")
    numbers: dict[str, Any] = {"gemm_ceiling_tflops": ceiling}
    if bench:
        model = bench.get("model") or {}
        shape = "→".join(str(model.get(k)) for k in ("in", "hidden", "out"))
        tflops = bench.get("tflops")
        vs_gemm = tflops / ceiling if isinstance(tflops, (int, float)) and ceiling else None
        lines += [
            f"benchmark: {bench.get('preset')} {shape} batch {bench.get('batch')} "
            f"{bench.get('dtype')}, {bench.get('world_size')} process(es), "
            f"{bench.get('optimizer')} on {bench.get('device_name')}",
            f"  throughput   {fmt(bench.get('samples_per_s'), ',.0f')} samples/s "
            f"({fmt(bench.get('samples_per_s_per_device'), ',.0f')} per device)",
            f"  TFLOP/s      {fmt(tflops)} per device",
            f"  MFU          {pct(bench.get('mfu'))} of the spec peak "
            f"{fmt(bench.get('peak_tflops'))} TFLOP/s ({bench.get('peak_source')})",
            f"  vs GEMM      {pct(vs_gemm)} of the measured GEMM ceiling; "
            f"{pct(bench.get('mfu_ceiling'))} of its own matmuls alone "
            f"({fmt(bench.get('probe_tflops'))} TFLOP/s)",
            f"  loss         {fmt(bench.get('loss_first'), '.3f')} → "
            f"{fmt(bench.get('loss_last'), '.3f')} (held-out {fmt(bench.get('eval_loss'), '.3f')}, "
            f"accuracy {pct(bench.get('eval_accuracy'))})",
            f"  time         {fmt(bench.get('seconds'))} s measured, "
            f"{fmt(bench.get('wall_s'))} s from start to summary, {bench.get('steps')} steps",
        ]
        tele = bench.get("telemetry") or {}
        throttle = tele.get("throttle_seen")
        lines.append(
            f"  telemetry    util {fmt(tele.get('gpu_util_mean'), '.0f', ' %')}, "
            f"power {fmt(tele.get('power_w_mean'), '.0f', ' W')}, "
            f"max {fmt(tele.get('temp_c_max'), '.0f', ' °C')}, "
            f"throttle: {', '.join(throttle) if throttle else 'none' if throttle is not None else 'n/a'}, "
            f"memory {fmt(bench.get('max_memory_mib'), '.0f', ' MiB')}"
        )
        numbers.update(
            samples_per_s=bench.get("samples_per_s"),
            tflops=tflops,
            mfu=bench.get("mfu"),
            mfu_vs_gemm_ceiling=vs_gemm,
            mfu_vs_own_matmuls=bench.get("mfu_ceiling"),
            peak_tflops=bench.get("peak_tflops"),
            world_size=bench.get("world_size"),
            wall_s=bench.get("wall_s"),
            telemetry=tele,
        )
    elif bench_error:
        lines.append(f"benchmark: FAILED: {bench_error.get('message')}")
    else:
        lines.append("benchmark: no result")
    if ran:
        done = [f"{name} {'ok' if rc == 0 else f'exit {rc}'} {s:.0f} s" for name, rc, s in ran]
        lines.append("steps: " + ", ".join(done))
        numbers["steps"] = [{"name": n, "exit": rc, "seconds": s} for n, rc, s in ran]
    text = "\n".join(lines)
    print(text)
    (out / "summary.txt").write_text(text + "\n")
    (out / "summary.json").write_text(json.dumps(numbers, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
