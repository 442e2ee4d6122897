"""The worker's pure parts, imported without torch: presets, FLOPs, peaks, CPU facts, windows."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from envwizard.bench import worker

DATA = Path(__file__).parent / "data"
PEAKS = json.loads((Path(worker.__file__).parent / "peaks.json").read_text("utf-8"))


def test_flops_are_the_exact_matmul_count() -> None:
    # 784→128→10 at B=64 is 2.6e7 FLOPs; the 6N convention says 3.9e7.
    assert worker.flops_per_step(64, 784, 128, 10) == 4 * 64 * 784 * 128 + 6 * 64 * 128 * 10
    assert worker.flops_per_step(64, 784, 128, 10) == pytest.approx(2.6e7, rel=0.01)
    assert worker.flops_per_step_6n(64, 784, 128, 10) == pytest.approx(3.9e7, rel=0.01)
    # 4096→16384→1024 at 8192: 3.02e12 per step.
    assert worker.flops_per_step(8192, 4096, 16384, 1024) == pytest.approx(3.02e12, rel=0.01)


def test_large_preset_is_tensor_core_friendly() -> None:
    large = worker.PRESETS["large"]
    for key in ("in", "hidden", "out", "batch"):
        assert large[key] >= 4096 and large[key] % 128 == 0, key
    assert worker.PRESETS["tiny"] == {**worker.PRESETS["tiny"], "in": 784, "hidden": 128, "out": 10}


@pytest.mark.parametrize(
    ("requested", "device", "memory", "expected"),
    [
        ("auto", "cpu", None, "tiny"),
        ("auto", "cuda", 80.0, "large"),
        ("auto", "cuda", 8.0, "medium"),
        ("auto", "mps", None, "medium"),
        ("medium", "cpu", None, "medium"),
    ],
)
def test_auto_preset_by_device(requested: str, device: str, memory: float, expected: str) -> None:
    assert worker.choose_preset(requested, device, memory) == expected


def test_dtype_choice_and_refusals() -> None:
    assert worker.choose_dtype("auto", "cuda", bf16_ok=True) == "bf16"
    assert worker.choose_dtype("auto", "cuda", bf16_ok=False) == "fp16"  # T4, V100: GradScaler
    assert worker.choose_dtype("auto", "cpu", bf16_ok=True) == "fp32"
    assert worker.choose_dtype("auto", "mps", bf16_ok=True) == "fp32"
    assert worker.choose_dtype("tf32", "cuda", bf16_ok=False) == "tf32"
    with pytest.raises(worker.BenchError, match="tf32"):
        worker.choose_dtype("tf32", "cpu", bf16_ok=True)
    with pytest.raises(worker.BenchError, match="bf16") as e:
        worker.choose_dtype("bf16", "cuda", bf16_ok=False)
    assert e.value.hint == "use --dtype fp16"


@pytest.mark.parametrize(
    ("name", "dtype", "tflops", "entry"),
    [
        ("NVIDIA H100 80GB HBM3", "bf16", 989.4, "H100 SXM"),
        ("NVIDIA H100 PCIe", "bf16", 756, "H100 PCIe"),
        ("NVIDIA H100 NVL", "fp16", 835, "H100 NVL"),
        ("NVIDIA H200", "tf32", 494.7, "H200 SXM"),
        ("NVIDIA H200 NVL", "bf16", 835, "H200 NVL"),
        ("NVIDIA GH200 480GB", "bf16", 989.4, "GH200"),
        ("NVIDIA A100-SXM4-80GB", "bf16", 312, "A100"),
        ("NVIDIA A100-PCIE-40GB", "fp32", 19.5, "A100"),
        ("NVIDIA L4", "bf16", 121, "L4"),
        ("NVIDIA L40S", "bf16", 362, "L40S"),
        ("NVIDIA A10", "bf16", 125, "A10"),
        ("Tesla T4", "fp16", 65, "T4"),
        ("Tesla V100-SXM2-16GB", "fp16", 125, "V100 SXM2"),
        ("Tesla V100-PCIE-32GB", "fp16", 112, "V100 PCIe"),
        ("NVIDIA GeForce RTX 4090", "bf16", 165.2, "RTX 4090"),
        ("NVIDIA GeForce RTX 3060", "bf16", 25.5, "RTX 3060"),
        ("AMD Instinct MI300X", "bf16", 1307.4, "MI300X"),
        ("Apple M1 Max", "fp32", 10.4, "Apple M1 Max"),
    ],
)
def test_gpu_peak_by_name(name: str, dtype: str, tflops: float, entry: str) -> None:
    value, label, _ = worker.find_gpu_peak(PEAKS, name, dtype)
    assert value == tflops
    assert label.startswith(entry + " " + dtype)


@pytest.mark.parametrize(
    ("name", "dtype"),
    [
        ("NVIDIA GeForce RTX 4090 Laptop GPU", "bf16"),  # a different chip at a different power
        ("NVIDIA GeForce RTX 3060 Ti", "bf16"),
        ("NVIDIA A10G", "bf16"),  # no sourced figure: null, not A10's
        ("Tesla T4", "bf16"),  # Turing has no bf16 tensor cores
        ("NVIDIA RTX 6000 Ada Generation", "bf16"),
        ("", "bf16"),
    ],
)
def test_unknown_peak_is_none_not_guessed(name: str, dtype: str) -> None:
    value, why, _ = worker.find_gpu_peak(PEAKS, name, dtype)
    assert value is None
    assert why


def test_peak_table_is_well_formed() -> None:
    names = set()
    for entry in PEAKS["gpus"]:
        assert entry["name"] not in names
        names.add(entry["name"])
        assert entry["match"] and all(t == t.lower() for t in entry["match"])
        assert set(entry["tflops"]) <= set(worker.DTYPES)
        assert all(v > 0 for v in entry["tflops"].values())


def test_cpuinfo_x86_sample() -> None:
    info = worker.parse_cpuinfo((DATA / "cpuinfo-x86_64-epyc.txt").read_text())
    assert info["model"] == "AMD EPYC"
    assert {"avx2", "avx512f", "fma", "avx512_bf16"} <= info["flags"]
    assert info["mhz"] == pytest.approx(2596.122)
    assert info["physical_cores"] == 2
    peak, label, estimate = worker.cpu_peak(PEAKS, info["flags"], 2.596, 2, "fp32")
    assert peak == pytest.approx(2 * 2.596 * 64 / 1000)
    assert estimate and label.startswith("estimate:") and "avx512f" in label
    bf16, label, _ = worker.cpu_peak(PEAKS, info["flags"], 2.596, 2, "bf16")
    assert bf16 == pytest.approx(2 * peak) and "avx512_bf16" in label


def test_cpuinfo_aarch64_sample() -> None:
    info = worker.parse_cpuinfo((DATA / "cpuinfo-aarch64-cortex-a57.txt").read_text())
    assert "asimd" in info["flags"]
    assert info["model"] is None and info["mhz"] is None
    peak, why, _ = worker.cpu_peak(PEAKS, info["flags"], None, 3, "fp32")
    assert peak is None and "clock" in why  # no clock known: no peak, so MFU stays null
    peak, _, _ = worker.cpu_peak(PEAKS, info["flags"], 2.0, 4, "fp32")
    assert peak == pytest.approx(4 * 2.0 * 16 / 1000)


def test_cpu_peak_refuses_what_it_cannot_know() -> None:
    assert worker.cpu_peak(PEAKS, {"avx512f", "amx_bf16", "avx512_bf16"}, 2.0, 8, "bf16")[0] is None
    assert worker.cpu_peak(PEAKS, {"avx2"}, 3.0, 8, "bf16")[0] is None
    assert worker.cpu_peak(PEAKS, {"avx2"}, 3.0, 8, "fp16")[0] is None
    assert worker.cpu_peak(PEAKS, set(), 3.0, 8, "fp32")[0] is None


def test_throttle_bits_decode() -> None:
    assert worker.throttle_names(None) is None
    assert worker.throttle_names(0) == []
    assert worker.throttle_names(0x4 | 0x40) == ["sw_power_cap", "hw_thermal"]


def test_window_length() -> None:
    assert worker.window_steps(0.0001, 0.5) == 5000  # fast steps: half a second of them
    assert worker.window_steps(0.02, 0.5) == 50  # at least 50 steps
    assert worker.window_steps(0.05, 0.5) == 40  # but no window beyond 2 s
    assert worker.window_steps(5.0, 0.5) == 1  # a step slower than a window
    assert worker.window_steps(0.02, 0.5, 2.0) == 25  # a quarter of a 2 s measurement at most


def test_json_is_clean() -> None:
    cleaned = worker.clean({"a": math.nan, "b": [math.inf, 1.23456789], "c": "x"})
    assert cleaned == {"a": None, "b": [None, 1.23457], "c": "x"}
    json.dumps(cleaned, allow_nan=False)


BORROW = """
import json, os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import worker
before = list(sys.path)
try:
    m = worker.import_pynvml()
    found = m.__file__
except ImportError:
    found = None
print(json.dumps({"found": found, "path_restored": sys.path == before}))
"""


@pytest.mark.parametrize("borrow", [True, False])
@pytest.mark.slow
def test_worker_borrows_envwizards_nvml_binding_only_when_told(
    borrow: bool, torch_python: str
) -> None:
    """The torch environment has no nvidia-ml-py; the plan's step lends envwizard's own."""
    import subprocess

    from envwizard.plan.bench_argv import nvml_env

    env = {k: v for k, v in __import__("os").environ.items() if k != "ENVWIZARD_NVML_DIR"}
    if borrow:
        env.update(nvml_env())
    r = subprocess.run(
        [torch_python, "-c", BORROW, worker.__file__],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    out = json.loads(r.stdout)
    assert out["path_restored"] is True
    if borrow:
        assert out["found"] == str(Path(nvml_env()["ENVWIZARD_NVML_DIR"]) / "pynvml.py")
    else:
        assert out["found"] is None


def test_a_cpu_window_stops_at_the_deadline_a_gpu_window_runs_whole() -> None:
    # A scripted clock: every step takes 0.125 s, as on a machine that slowed down mid-window.
    clock = [0.0]

    def step(x: int, y: int) -> int:
        clock[0] += 0.125
        return x

    batches = [(k, k) for k in range(100)]
    losses = worker.train_window(step, batches, 0.0, 1.0, True, now=lambda: clock[0])
    assert losses == list(range(8)) and clock[0] == 1.0
    clock[0] = 0.0  # queued GPU work or ranks in lockstep: every planned step runs
    assert len(worker.train_window(step, batches, 0.0, 1.0, False, now=lambda: clock[0])) == 100
