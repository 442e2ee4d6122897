#!/usr/bin/env bash
# One prepared GPU check for a machine with NVIDIA GPUs and no internet.
#
#   benchmarks/gpu_check.sh OUTDIR            run it (under 8 minutes)
#   benchmarks/gpu_check.sh --dry-run OUTDIR  print what it would run, run nothing
#
# Needs only `python3` with a CUDA build of torch; envwizard runs from this checkout
# (PYTHONPATH=src), so it is not installed. envwizard's probe and bench commands need psutil,
# pyyaml, rich, packaging and, for GPU telemetry, nvidia-ml-py; textual, distro and platformdirs
# are not needed here. Where some of those are missing, carry them as wheels: on a connected
# machine `python3 -m pip download --only-binary=:all: --dest whl psutil pyyaml rich packaging
# nvidia-ml-py`, copy the folder over, then `python3 -m pip install --no-index --find-links whl
# psutil pyyaml rich packaging nvidia-ml-py` (or use a venv) before running this script.
#
# It writes into OUTDIR (plain names, no subfolders except logs/):
#   probe.json      envwizard probe --json (GPUs through NVML, driver, CPU, memory)
#   verify.json     the verify script on every GPU (a matmul on each, checked against the CPU)
#   gemm.json       the measured bf16 GEMM ceiling of GPU 0
#   bench.jsonl     the training benchmark, large preset, bf16, one process per GPU
#   steps.tsv       each step's name, exit status and seconds
#   summary.txt     the one-screen summary below; summary.json the same as numbers
#   logs/*.log      each step's stderr
#
# Settings (environment): PYTHON (default python3); GPU_CHECK_SECONDS, the benchmark's measured
# seconds (default 60); ENVWIZARD_GPU_CHECK_CPU=1 runs the same plumbing on the CPU (tiny
# preset, fp32), to try the script on a machine without a GPU.

set -u

usage() {
    echo "usage: $0 [--dry-run] OUTDIR" >&2
}

dry=0
out=""
for arg in "$@"; do
    case "$arg" in
        --dry-run) dry=1 ;;
        -h | --help)
            sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            echo "gpu_check: unknown option $arg" >&2
            usage
            exit 2
            ;;
        *)
            if [ -n "$out" ]; then
                echo "gpu_check: one OUTDIR only (got $out and $arg)" >&2
                exit 2
            fi
            out="$arg"
            ;;
    esac
done
if [ -z "$out" ]; then
    usage
    exit 2
fi

repo="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-python3}"
if ! py_path="$(command -v "$py")"; then
    echo "gpu_check: no $py on PATH; set PYTHON to an interpreter that has torch" >&2
    exit 2
fi
export PYTHONPATH="$repo/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
seconds="${GPU_CHECK_SECONDS:-60}"

if [ "${ENVWIZARD_GPU_CHECK_CPU:-0}" = "1" ]; then
    device=cpu preset=tiny dtype=fp32 gemm_device=cpu
    gpus=0
    seconds="${GPU_CHECK_SECONDS:-5}"
else
    device=cuda preset=large dtype=bf16 gemm_device=cuda:0
    if [ "$dry" = 1 ]; then
        gpus="$( (nvidia-smi -L 2>/dev/null || true) | grep -c '^GPU ')"
    else
        gpus="$("$py_path" -c 'import torch; print(torch.cuda.device_count())' 2>/dev/null)"
    fi
    gpus="${gpus:-0}"
fi

verify=("$py_path" "$repo/src/envwizard/scripts/verify.py" --device "$device")
bench=("$py_path" -m envwizard bench --python "$py_path" --device "$device"
       --preset "$preset" --dtype "$dtype" --seconds "$seconds" --json)
if [ "$device" = cuda ]; then
    verify+=(--gpus "$gpus")
    if [ "$gpus" -gt 1 ]; then
        bench+=(--nproc "$gpus")
    fi
fi
probe=("$py_path" -m envwizard probe --json)
gemm=("$py_path" "$repo/benchmarks/gemm_ceiling.py" --device "$gemm_device" --dtype "$dtype"
      --seconds 1.5)
summary=("$py_path" "$repo/benchmarks/gpu_check_summary.py" "$out")

if [ "$dry" = 1 ]; then
    echo "gpu_check (dry run): nothing runs; this is what would."
    echo "GPUs seen: $gpus ($device); envwizard from $repo/src; results into $out"
    echo "probe   (60 s limit)  ${probe[*]} > $out/probe.json"
    echo "verify  (180 s limit) ${verify[*]} > $out/verify.json"
    echo "gemm    (120 s limit) ${gemm[*]} > $out/gemm.json"
    echo "bench   ($((seconds + 200)) s limit) ${bench[*]} > $out/bench.jsonl"
    echo "summary               ${summary[*]}"
    exit 0
fi

if [ "$device" = cuda ] && [ "$gpus" -lt 1 ]; then
    echo "gpu_check: torch in $py_path sees no CUDA GPU (set ENVWIZARD_GPU_CHECK_CPU=1 to try the plumbing on the CPU)" >&2
    exit 2
fi

mkdir -p "$out/logs" || exit 2
: > "$out/steps.tsv"

# run NAME LIMIT_S OUTFILE ARGV...: one step, its stdout into OUTFILE, stderr into logs/NAME.log.
run() {
    local name="$1" limit="$2" file="$3"
    shift 3
    echo "== $name: $*" >&2
    local t0 rc ms
    t0="$(date +%s%N)"
    timeout --signal=INT --kill-after=20 "$limit" "$@" > "$out/$file" 2> "$out/logs/$name.log"
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    printf '%s\t%d\t%d.%03d\n' "$name" "$rc" $((ms / 1000)) $((ms % 1000)) >> "$out/steps.tsv"
    if [ "$rc" -ne 0 ]; then
        echo "   $name exited with status $rc; its log: $out/logs/$name.log" >&2
        tail -n 5 "$out/logs/$name.log" >&2
    fi
}

run probe 60 probe.json "${probe[@]}"
run verify 180 verify.json "${verify[@]}"
run gemm 120 gemm.json "${gemm[@]}"
run bench "$((seconds + 200))" bench.jsonl "${bench[@]}"
echo
"${summary[@]}"
