"""The training benchmark, run by the *target* environment's Python (stdlib + torch only).

    python worker.py --device auto --preset auto --dtype auto --seconds 30 [--optimizer sgd]
    python -m torch.distributed.run --standalone --nproc_per_node=N worker.py ...

It trains Linear -> ReLU -> Linear with CrossEntropyLoss and the tutorial's plain SGD (other
optimizers on request) on a learnable synthetic task: labels from a fixed, seeded random teacher,
fresh samples for every step, generated on the device. It prints JSON lines on stdout (the
first process of each node only): start, eval, step (one per timing window), telemetry,
summary, or error. The last line is the summary (or an error, with exit status 1).

Timing is honest: --seconds is the time spent in training steps and nothing else. Warm-up,
making each window's batches, reading the loss, evaluation and telemetry happen between timed
windows, which are synchronised only at their edges; there are no host copies inside a window.
A one-process CPU run ends its last window at --seconds even when the machine slows mid-window.
The summary also gives the wall time from start to summary. FLOPs are the exact matmul FLOPs of
this MLP; MFU is against a peak table (peaks.json beside this file), null where the peak is
unknown, and against a GEMM probe at the benchmark's own shapes.

The module imports torch only inside functions, so its pure parts (presets, FLOPs, peak lookup,
/proc/cpuinfo parsing) can be imported and tested without torch.
"""

import argparse
import contextlib
import gc
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import warnings

PRESETS = {
    # The tutorial's shape and learning rate: launch-bound anywhere, CPU-friendly.
    "tiny": {"in": 784, "hidden": 128, "out": 10, "batch": 64, "lr": 0.01},
    "medium": {"in": 1024, "hidden": 4096, "out": 10, "batch": 256, "lr": 0.05},
    # Every dimension >= 4096 and a multiple of 128, and a batch big enough that the matmuls,
    # not the per-step weight casts and update, dominate: measured on an H200 (bf16, power
    # capped at 700 W), batch 8192 gave 59 % of the spec peak, batch 32768 65 %. Plain SGD
    # over 4096 classes learns slowly: lr 0.5 to 2.0 ran stably there, 1.0 is between.
    "large": {"in": 4096, "hidden": 16384, "out": 4096, "batch": 32768, "lr": 1.0},
}
DTYPES = ("fp32", "tf32", "bf16", "fp16")
OPTIMIZERS = {
    "sgd": ("SGD", {}),  # the tutorial's: optim.SGD(model.parameters(), lr=...)
    "momentum": ("SGD", {"momentum": 0.9}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {}),
}
ADAPTIVE_LR = 1e-3
"""Adam's and AdamW's learning rate when none is given: the presets' rates are SGD's."""
EVAL_EVERY_S = 2.0
"""Held-out evaluation between timing windows at most this often (wall time)."""
MIN_WINDOW_STEPS = 50
MAX_WINDOW_S = 2.0
THROTTLE_BITS = (
    (0x1, "gpu_idle"),
    (0x2, "app_clocks"),
    (0x4, "sw_power_cap"),
    (0x8, "hw_slowdown"),
    (0x10, "sync_boost"),
    (0x20, "sw_thermal"),
    (0x40, "hw_thermal"),
    (0x80, "hw_power_brake"),
    (0x100, "display_clocks"),
)
T0 = time.perf_counter()


class BenchError(Exception):
    """A failure with a message (and a hint) for the user, reported as an error event."""

    def __init__(self, message, hint=None):
        Exception.__init__(self, message)
        self.hint = hint


# ---- pure parts --------------------------------------------------------------------------------


def flops_per_step(batch, n_in, hidden, n_out):
    """Exact matmul FLOPs of one training step (forward + backward, no dX for the input layer)."""
    return 4 * batch * n_in * hidden + 6 * batch * hidden * n_out


def flops_per_step_6n(batch, n_in, hidden, n_out):
    """The 6N convention of PaLM and nanoGPT, for comparison: over-counts by 2*B*i*h."""
    return 6 * batch * (n_in * hidden + hidden * n_out)


def choose_preset(requested, device_type, memory_gib=None):
    """auto: tiny on CPU, large on a CUDA/ROCm GPU with room for it, medium elsewhere."""
    if requested != "auto":
        return requested
    if device_type == "cpu":
        return "tiny"
    if device_type == "cuda" and (memory_gib or 0) >= 12:
        return "large"
    return "medium"


def choose_dtype(requested, device_type, bf16_ok):
    """The compute precision; auto is bf16 on GPUs that have it, fp16 where not, fp32 on CPU/MPS."""
    if requested == "auto":
        if device_type in ("cuda", "xpu"):
            return "bf16" if bf16_ok else "fp16"
        return "fp32"
    if requested == "tf32" and device_type != "cuda":
        raise BenchError("tf32 applies to NVIDIA GPUs only", "use --dtype fp32 on %s" % device_type)
    if requested == "bf16" and device_type != "cpu" and not bf16_ok:
        raise BenchError("this device has no bf16 support", "use --dtype fp16")
    return requested


def check_finite(loss, step, lr):
    """A loss that is no longer a number means the training diverged: a measurement of it
    would be throughput of garbage, so the run ends with the reason instead of a summary."""
    if math.isfinite(loss):
        return
    raise BenchError(
        "the training diverged: the loss became %s by step %d (learning rate %g)"
        % ("nan" if math.isnan(loss) else "inf", step, lr),
        "lower the learning rate (--lr), or leave it to the preset",
    )


SMALLER = {"large": "medium or tiny", "medium": "tiny"}


def check_step_time(step_s, seconds, preset, device_type, what="takes"):
    """One training step longer than the whole measurement (`--seconds`): the run would take
    several steps' time, far beyond what was asked (preset large on a CPU: about an hour for
    --seconds 30), so it is refused with the measured numbers instead."""
    if step_s <= seconds:
        return
    total = 3 * step_s + seconds  # warm-up's two steps, at least one measured, then evaluation
    raise BenchError(
        "one training step of preset %s %s about %s on this %s, longer than the whole "
        "measurement (--seconds %g): the benchmark would run for about %s"
        % (preset, what, duration(step_s), device_type, seconds, duration(total)),
        "choose a smaller preset: --preset %s" % SMALLER.get(preset, "tiny")
        if preset in SMALLER
        else "raise --seconds, or use a GPU",
    )


def duration(seconds):
    if seconds < 120:
        return "%.0f s" % seconds
    if seconds < 7200:
        return "%.0f min" % (seconds / 60)
    return "%.1f h" % (seconds / 3600)


def name_tokens(name):
    return re.findall(r"[a-z0-9]+", (name or "").lower())


def find_gpu_peak(table, name, dtype):
    """(TFLOP/s, label, estimate) for a device name and dtype, or (None, why, False)."""
    tokens = set(name_tokens(name))
    for entry in table.get("gpus", []):
        if not all(t in tokens for t in entry["match"]):
            continue
        if any(t in tokens for t in entry.get("exclude", [])):
            continue
        value = entry["tflops"].get(dtype)
        if value is None:
            return None, "no %s figure for %s" % (dtype, entry["name"]), False
        estimate = bool(entry.get("estimate"))
        label = "%s %s dense%s" % (entry["name"], dtype, " (estimate)" if estimate else "")
        return float(value), label, estimate
    return None, "no known peak for %r" % (name,), False


def parse_cpuinfo(text):
    """Model name, ISA flags, fastest clock (MHz) and physical cores from /proc/cpuinfo text."""
    model, flags, mhz, cores = None, set(), None, set()
    phys = core = None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key in ("model name", "hardware") and model is None and value:
            model = value
        elif key in ("flags", "features"):
            flags.update(value.split())
        elif key == "cpu mhz":
            with contextlib.suppress(ValueError):
                mhz = max(mhz or 0.0, float(value))
        elif key == "physical id":
            phys = value
        elif key == "core id":
            core = value
            cores.add((phys, core))
    return {"model": model, "flags": flags, "mhz": mhz, "physical_cores": len(cores) or None}


def cpu_peak(table, flags, ghz, cores, dtype):
    """An estimated CPU peak: cores x GHz x FLOP/cycle, or (None, why, True) when unknowable."""
    cpu = table.get("cpu", {})
    per_cycle, isa = None, None
    for name, value in cpu.get("fp32_flop_per_cycle", {}).items():
        if name in flags:
            per_cycle, isa = value, name
            break
    if per_cycle is None:
        return None, "unknown CPU vector width", True
    if not ghz or not cores:
        return None, "unknown CPU clock", True
    if dtype == "bf16":
        if any(f in flags for f in cpu.get("bf16_unknown", [])):
            return None, "no bf16 peak for AMX CPUs", True
        unit = next((k for k in cpu.get("bf16_factor", {}) if k in flags), None)
        if unit is None:
            return None, "no bf16 vector unit", True
        per_cycle *= cpu["bf16_factor"][unit]
        isa = unit
    elif dtype == "fp16":
        return None, "no fp16 CPU peak", True
    tflops = cores * ghz * per_cycle / 1000.0
    label = "estimate: %d cores x %.2f GHz x %d FLOP/cycle (%s)" % (cores, ghz, per_cycle, isa)
    return tflops, label, True


def throttle_names(mask):
    if mask is None:
        return None
    return [name for bit, name in THROTTLE_BITS if mask & bit]


def window_steps(step_s, min_seconds, total_seconds=None):
    """Steps per timing window: >= 50 steps and >= min_seconds, but no window beyond 2 s, nor
    beyond a quarter of the whole measurement (a slow machine must not overshoot --seconds)."""
    n = max(MIN_WINDOW_STEPS, math.ceil(min_seconds / max(step_s, 1e-9)))
    longest = MAX_WINDOW_S if total_seconds is None else min(MAX_WINDOW_S, total_seconds / 4)
    if n * step_s > longest:
        n = max(1, int(longest / step_s))
    return n


def clean(value):
    """JSON-safe: NaN and infinities become null, floats are rounded for reading."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return float("%.6g" % value)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def ratio(a, b):
    if a is None or not b:
        return None
    return a / b


# ---- output ------------------------------------------------------------------------------------


class Emitter:
    """Prints events as JSON lines (rank 0 only), one at a time across threads."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.lock = threading.Lock()

    def __call__(self, event, **fields):
        if not self.enabled:
            return
        record = {"event": event, "t": round(time.perf_counter() - T0, 3)}
        record.update(fields)
        line = json.dumps(clean(record), separators=(",", ":"))
        with self.lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


# ---- host facts --------------------------------------------------------------------------------


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def sysctl(name):
    try:
        out = subprocess.run(
            ["sysctl", "-n", name], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip() or None


def usable_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine_cpu_seconds(stat_text):
    """CPU seconds every process on the machine has spent busy (steal included), from the
    first line of /proc/stat; None where there is none (macOS, Windows)."""
    if not stat_text or not stat_text.startswith("cpu "):
        return None
    fields = [int(x) for x in stat_text.split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    return (sum(fields[:8]) - idle) / ticks


class CpuShare:
    """How many CPU cores other processes kept busy while the benchmark measured: the
    machine's busy time less this process's own (and, with several processes, the ranks')."""

    def __init__(self):
        self.start = None

    @staticmethod
    def _own():
        t = os.times()
        return t.user + t.system

    def begin(self):
        machine = machine_cpu_seconds(read_text("/proc/stat"))
        self.start = None if machine is None else (time.perf_counter(), machine, self._own())

    def end(self):
        """(wall seconds, machine busy seconds, own busy seconds), or None where unknown."""
        machine = machine_cpu_seconds(read_text("/proc/stat"))
        if self.start is None or machine is None:
            return None
        t0, m0, o0 = self.start
        return time.perf_counter() - t0, machine - m0, self._own() - o0


BUSY_OTHERS_MIN_CORES = 0.5
BUSY_OTHERS_MIN_SHARE = 0.2
SLOWDOWN_RATIO = 0.5
NEAR_CHANCE_LEARNED = 0.15


def disturbance(others_cores, cores, samples_per_s, warmup_samples_per_s, accuracy, chance):
    """Signs that the figures do not show what the device can do: other processes kept the
    CPUs busy, the pace fell far below the warm-up's, the model stayed near chance. Codes and
    numbers only; envwizard words them (bench/view.py)."""
    signs = []
    if (
        others_cores is not None
        and others_cores >= BUSY_OTHERS_MIN_CORES
        and others_cores >= BUSY_OTHERS_MIN_SHARE * cores
    ):
        signs.append({"code": "busy-cpu", "others_cores": round(others_cores, 2), "cores": cores})
    if warmup_samples_per_s and samples_per_s / warmup_samples_per_s < SLOWDOWN_RATIO:
        signs.append(
            {
                "code": "slowdown",
                "ratio": round(samples_per_s / warmup_samples_per_s, 4),
                "warmup_samples_per_s": round(warmup_samples_per_s, 1),
                "samples_per_s": round(samples_per_s, 1),
            }
        )
    if chance is not None and chance < 1 and accuracy is not None:
        learned = (accuracy - chance) / (1 - chance)
        if learned < NEAR_CHANCE_LEARNED:
            signs.append({"code": "near-chance", "accuracy": accuracy, "chance": chance})
    return signs


def cpu_facts():
    """What the CPU peak estimate needs: model, flags, GHz, physical cores (Linux; else less)."""
    info = parse_cpuinfo(read_text("/proc/cpuinfo") or "")
    khz = read_text("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
    ghz = None
    if khz and khz.strip().isdigit():
        ghz = int(khz) / 1e6
    elif info["mhz"]:
        ghz = info["mhz"] / 1000.0
    if info["model"] is None and sys.platform == "darwin":
        info["model"] = sysctl("machdep.cpu.brand_string")
    info["model"] = info["model"] or platform.processor() or platform.machine()
    info["ghz"] = ghz
    return info


def load_peaks(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise BenchError("cannot read the peak table %s: %s" % (path, e)) from None


# ---- telemetry ---------------------------------------------------------------------------------


def import_pynvml():
    """nvidia-ml-py from this environment, else the copy envwizard itself runs with.

    ENVWIZARD_NVML_DIR names the folder holding envwizard's pynvml.py (pure Python over the
    driver's libnvidia-ml); it is searched last and only for this import, so nothing else in
    this environment can come from there. Without either, telemetry is n/a.
    """
    try:
        import pynvml

        return pynvml
    except ImportError:
        folder = os.environ.get("ENVWIZARD_NVML_DIR")
        if not folder:
            raise
    sys.path.append(folder)
    try:
        import pynvml

        return pynvml
    finally:
        sys.path.remove(folder)


class Nvml:
    """NVML reads for one GPU; each call that fails is marked unsupported and not tried again."""

    def __init__(self, uuid, index):
        pynvml = import_pynvml()
        self.nv = pynvml
        pynvml.nvmlInit()
        self.handle = self._find(uuid, index)
        self.dead = set()

    def _find(self, uuid, index):
        nv = self.nv
        count = nv.nvmlDeviceGetCount()
        want = (uuid or "").lower().replace("gpu-", "")
        for i in range(count):
            h = nv.nvmlDeviceGetHandleByIndex(i)
            got = nv.nvmlDeviceGetUUID(h)
            if isinstance(got, bytes):
                got = got.decode()
            if want and got.lower().replace("gpu-", "") == want:
                return h
        if count == 1 or (not os.environ.get("CUDA_VISIBLE_DEVICES") and index < count):
            return nv.nvmlDeviceGetHandleByIndex(index if index < count else 0)
        raise BenchError("cannot match the CUDA device to an NVML device")

    def call(self, *names_and_args):
        """The first of several (name, args) that works; a deprecated one is only a fallback."""
        for name, args in names_and_args:
            if name in self.dead:
                continue
            fn = getattr(self.nv, name, None)
            if fn is None:
                self.dead.add(name)
                continue
            try:
                return fn(self.handle, *args)
            except Exception:
                self.dead.add(name)
        return None

    def sample(self):
        nv = self.nv
        util = self.call(("nvmlDeviceGetUtilizationRates", ()))
        mem = self.call(("nvmlDeviceGetMemoryInfo", ()))
        gpu_temp = getattr(nv, "NVML_TEMPERATURE_GPU", 0)
        temp = self.call(
            ("nvmlDeviceGetTemperatureV", (gpu_temp,)), ("nvmlDeviceGetTemperature", (gpu_temp,))
        )
        power = self.call(("nvmlDeviceGetPowerUsage", ()))
        limit = self.call(("nvmlDeviceGetEnforcedPowerLimit", ()))
        clock_sm = getattr(nv, "NVML_CLOCK_SM", 1)
        sm = self.call(("nvmlDeviceGetClockInfo", (clock_sm,)))
        sm_max = self.call(("nvmlDeviceGetMaxClockInfo", (clock_sm,)))
        reasons = self.call(
            ("nvmlDeviceGetCurrentClocksEventReasons", ()),
            ("nvmlDeviceGetCurrentClocksThrottleReasons", ()),
        )
        return {
            "gpu_util": getattr(util, "gpu", None),
            "mem_util": getattr(util, "memory", None),
            "mem_used_mib": mem.used / 2**20 if mem is not None else None,
            "mem_total_mib": mem.total / 2**20 if mem is not None else None,
            "temp_c": temp,
            "power_w": power / 1000.0 if power is not None else None,
            "power_limit_w": limit / 1000.0 if limit is not None else None,
            "sm_clock_mhz": sm,
            "sm_clock_max_mhz": sm_max,
            "throttle": throttle_names(reasons),
        }

    def energy_mj(self):
        return self.call(("nvmlDeviceGetTotalEnergyConsumption", ()))


class ProcessStats:
    """This process's CPU% (all threads) and resident memory, from the standard library."""

    def __init__(self):
        self.last = (time.perf_counter(), self._cpu())
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    @staticmethod
    def _cpu():
        t = os.times()
        return t.user + t.system

    def sample(self):
        now, cpu = time.perf_counter(), self._cpu()
        then, cpu_then = self.last
        self.last = (now, cpu)
        statm = read_text("/proc/self/statm")
        rss = int(statm.split()[1]) * self.page / 2**20 if statm else None
        pct = 100.0 * (cpu - cpu_then) / (now - then) if now > then else None
        return {"cpu_percent": pct, "rss_mib": rss}


class Telemetry(threading.Thread):
    """Samples at 2-4 Hz in the background; the training loop never waits for it."""

    def __init__(self, emit, nvml, interval=0.33):
        threading.Thread.__init__(self, name="telemetry", daemon=True)
        self.emit, self.nvml, self.interval = emit, nvml, interval
        self.proc = ProcessStats()
        self.halt = threading.Event()
        self.seen = {"temp_c_max": None, "rss_mib_max": None, "throttle": set()}
        for key in ("power_w", "gpu_util", "cpu_percent"):
            self.seen[key] = []

    def run(self):
        while not self.halt.wait(self.interval):
            self._sample()

    def tick(self):
        """A sample from the training thread between windows, at most once per interval."""
        if time.perf_counter() - self.proc.last[0] >= self.interval:
            self._sample()

    def _sample(self):
        sample = {}
        if self.nvml is not None:
            sample.update(self.nvml.sample())
        sample.update(self.proc.sample())
        self._remember(sample)
        self.emit("telemetry", source="nvml" if self.nvml else "process", **sample)

    def _remember(self, s):
        for key in ("temp_c", "rss_mib"):
            if s.get(key) is not None:
                self.seen[key + "_max"] = max(self.seen[key + "_max"] or 0, s[key])
        for key in ("power_w", "gpu_util", "cpu_percent"):
            if s.get(key) is not None:
                self.seen[key].append(s[key])
        self.seen["throttle"].update(n for n in (s.get("throttle") or []) if n != "gpu_idle")

    def stop(self):
        self.halt.set()
        if self.is_alive():
            self.join(timeout=5)

    def digest(self):
        s = self.seen

        def mean(key):
            return statistics.mean(s[key]) if s[key] else None

        return {
            "gpu_util_mean": mean("gpu_util"),
            "power_w_mean": mean("power_w"),
            "cpu_percent_mean": mean("cpu_percent"),
            "temp_c_max": s["temp_c_max"],
            "rss_mib_max": s["rss_mib_max"],
            "throttle_seen": sorted(s["throttle"]) if self.nvml else None,
        }


# ---- the benchmark -----------------------------------------------------------------------------


class Clock:
    """The worker's estimate of when its summary will come (seconds after it started).

    Events carry it as `expected_s` beside their `t`, so a front end's progress bar covers the
    whole run (start-up, warm-up, GEMM probe, evaluation), not only the measured seconds.
    """

    WARMUP_GUESS_S = 1.0

    def __init__(self, seconds, probe_seconds):
        self.seconds, self.probe_s = seconds, probe_seconds
        self.eval_s = 0.0
        self.began = None
        self.elapsed = 0.0

    def measuring(self):
        self.began = time.perf_counter()

    def measured(self, elapsed):
        self.elapsed = elapsed

    def expected(self):
        now = time.perf_counter()
        tail = 2 * self.eval_s
        if self.began is None or self.elapsed <= 0:
            ahead = self.probe_s + self.WARMUP_GUESS_S + 1.2 * self.seconds + tail
        else:
            wall_per_measured = (now - self.began) / self.elapsed
            ahead = max(0.0, self.seconds - self.elapsed) * wall_per_measured + tail
        return now - T0 + ahead


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps", "xpu"])
    ap.add_argument("--preset", default="auto", choices=["auto", *sorted(PRESETS)])
    ap.add_argument("--dtype", default="auto", choices=["auto", *DTYPES])
    ap.add_argument("--seconds", type=float, default=30.0, help="seconds of timed training steps")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model first")
    ap.add_argument("--optimizer", default="sgd", choices=sorted(OPTIMIZERS),
                    help="sgd: the tutorial's plain SGD (default); momentum: SGD with 0.9")  # fmt: skip
    ap.add_argument("--warmup-steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: cores / processes)")
    ap.add_argument("--probe-seconds", type=float, default=1.0, help="GEMM probe (0: skip)")
    ap.add_argument("--window-seconds", type=float, default=0.5, help="shortest timing window")
    ap.add_argument("--baseline-samples-per-s", type=float, default=None,
                    help="one-process samples/s, to report scaling efficiency")  # fmt: skip
    ap.add_argument("--batch", type=int, default=0, help="override the preset's batch")
    ap.add_argument("--dims", default=None, help="override the preset's IN,HIDDEN,OUT")
    ap.add_argument("--lr", type=float, default=0.0, help="override the preset's learning rate")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--node-rank", type=int, default=0, help="this machine's rank, as launched")
    ap.add_argument("--peaks", default=os.path.join(os.path.dirname(__file__), "peaks.json"))
    args = ap.parse_args(argv)
    if not args.seconds > 0:
        ap.error("--seconds must be positive")
    if args.dims is not None:
        try:
            dims = [int(x) for x in args.dims.split(",")]
        except ValueError:
            dims = []
        if len(dims) != 3 or min(dims) < 1:
            ap.error("--dims takes three positive whole numbers: IN,HIDDEN,OUT")
        args.dims = dims
    return args


def import_torch():
    with warnings.catch_warnings():
        # A CPU wheel without numpy warns on import; the benchmark never uses numpy.
        warnings.filterwarnings("ignore", message=".*NumPy.*")
        import torch
    return torch


def sync(torch, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
    elif device.type == "xpu":
        torch.xpu.synchronize(device)


def available(torch, kind):
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "xpu":
        return bool(getattr(torch, "xpu", None) and torch.xpu.is_available())
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps and mps.is_available())
    return True


def pick_device(torch, requested):
    if requested == "auto":
        for kind in ("cuda", "xpu", "mps"):
            if available(torch, kind):
                return kind
        return "cpu"
    if not available(torch, requested):
        raise BenchError(
            "--device %s is not available to torch %s" % (requested, torch.__version__),
            "check the verify step, or use --device cpu",
        )
    return requested


class Dist:
    """torchrun's process group, or a world of one."""

    def __init__(self, torch, kind):
        self.torch = torch
        self.on = "RANK" in os.environ and "WORLD_SIZE" in os.environ
        self.rank, self.world, self.local_rank = 0, 1, 0
        self.local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        # Every node's first process speaks: with several nodes, each launch prints its run.
        self.local_rank_zero = os.environ.get("LOCAL_RANK", "0") == "0"
        self.node_rank = 0
        self.nnodes = 1
        if kind == "cuda":
            self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
            # Before init_process_group: no hangs, no stray memory on GPU 0.
            torch.cuda.set_device(self.local_rank)
        self.device = torch.device(kind, self.local_rank) if kind == "cuda" else torch.device(kind)
        if not self.on:
            return
        if kind not in ("cuda", "cpu"):
            raise BenchError("several processes need --device cuda or cpu, not %s" % kind)
        import torch.distributed as dist

        self.dist = dist
        dist.init_process_group(backend="nccl" if kind == "cuda" else "gloo")
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        self.nnodes = max(1, self.world // max(1, self.local_world))

    def reduce(self, values, op="sum"):
        """Sum (or max) floats over ranks; gloo has no AVG, so means are sums divided later."""
        if not self.on:
            return list(values)
        torch = self.torch
        t = torch.tensor(list(values), dtype=torch.float64, device=self.device)
        self.dist.all_reduce(
            t, op=self.dist.ReduceOp.MAX if op == "max" else self.dist.ReduceOp.SUM
        )
        return [float(v) for v in t.tolist()]

    def barrier(self):
        if self.on:
            self.dist.barrier()

    def close(self):
        if self.on:
            self.dist.barrier()  # no rank tears the group down while another still reduces
            self.dist.destroy_process_group()


def device_facts(torch, device, cpu):
    """Name, memory (GiB), bf16 support, CUDA UUID of the device."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        if getattr(torch.version, "hip", None):
            bf16 = torch.cuda.is_bf16_supported()
        else:
            bf16 = torch.cuda.get_device_capability(device) >= (8, 0)  # not emulated bf16
        return {
            "name": torch.cuda.get_device_name(device),
            "memory_gib": props.total_memory / 2**30,
            "bf16": bf16,
            "uuid": str(getattr(props, "uuid", "") or ""),
            "capability": "%d.%d" % torch.cuda.get_device_capability(device),
        }
    if device.type == "xpu":
        props = torch.xpu.get_device_properties(device)
        bf16 = getattr(torch.xpu, "is_bf16_supported", lambda: True)()
        return {"name": props.name, "memory_gib": props.total_memory / 2**30, "bf16": bf16}
    if device.type == "mps":
        chip = sysctl("machdep.cpu.brand_string") or "Apple GPU"
        return {"name": chip, "memory_gib": None, "bf16": True}
    return {"name": cpu["model"], "memory_gib": None, "bf16": True}


def set_precision(torch, dtype):
    """fp32 means full fp32 matmuls; tf32 lets them use TF32 tensor cores."""
    torch.set_float32_matmul_precision("high" if dtype == "tf32" else "highest")


class Task:
    """Teacher–student data, generated on the device: fresh training batches and a held-out set.

    The teacher is fixed and seeded, the same on every rank: a random linear map plus a smaller
    ReLU term (so the labels are not exactly linear), its logits centred per class so classes are
    roughly balanced and the loss starts near ln(C). Every training step gets samples nobody has
    seen before, so the held-out figures move with the training loss instead of lagging behind a
    memorised pool. Batches are made a window at a time, outside the timed steps.
    """

    WIDTH = 16  # the ReLU term's width: far narrower than any preset's hidden layer
    RELU_SHARE = 0.25  # learnable by plain SGD in seconds on a CPU, yet not a linear task
    EVAL_SAMPLES = 4096

    def __init__(self, torch, device, dims, batch, store_dtype, budget_bytes, seed, rank):
        n_in, _hidden, n_out = dims
        self.torch, self.device, self.batch, self.n_in = torch, device, batch, n_in
        self.store = store_dtype
        sample_bytes = n_in * torch.tensor([], dtype=store_dtype).element_size() + 8
        self.max_batches = int(max(2, budget_bytes // (batch * sample_bytes)))
        g = self._gen(seed)

        def r(*shape):
            return torch.randn(*shape, device=device, dtype=store_dtype, generator=g)

        # In the compute dtype: on a GPU the teacher costs a sliver of a step, not fp32 matmuls.
        w0 = r(n_in, n_out) / math.sqrt(n_in)
        w1 = r(n_in, self.WIDTH) / math.sqrt(n_in)
        w2 = r(self.WIDTH, n_out) / math.sqrt(self.WIDTH)
        self.teacher = (w0, w1, w2, 0.0)
        self.teacher = (w0, w1, w2, self._logits(r(4096, n_in)).mean(0))
        self.train_gen = self._gen(seed + 1000 + rank)
        g = self._gen(seed + 2000)  # the same held-out set on every rank
        n_eval = max(1, -(-self.EVAL_SAMPLES // batch))
        self.eval = self.fresh(n_eval, g)
        self.chance = 1.0 / n_out

    def _gen(self, seed):
        g = self.torch.Generator(device=self.device)
        g.manual_seed(seed)
        return g

    def _logits(self, x):
        w0, w1, w2, centre = self.teacher
        return x @ w0 + self.RELU_SHARE * (self.torch.relu(x @ w1) @ w2) - centre

    def fresh(self, n, generator=None):
        """n new batches [(x, y)], x in the compute dtype (autocast then has no input cast)."""
        torch, g = self.torch, generator or self.train_gen
        out = []
        for _ in range(n):
            x = torch.randn(
                self.batch, self.n_in, device=self.device, dtype=self.store, generator=g
            )
            out.append((x, self._logits(x).argmax(1)))
        return out


class Trainer:
    def __init__(self, torch, device, dims, dtype, optimizer, lr, dist, compile_model):
        nn = torch.nn
        self.device = device
        n_in, hidden, n_out = dims
        torch.manual_seed(1234)  # the same initial weights on every rank
        self.net = nn.Sequential(
            nn.Linear(n_in, hidden, device=device),
            nn.ReLU(),
            nn.Linear(hidden, n_out, device=device),
        )
        model = self.net
        if dist.on:
            from torch.nn.parallel import DistributedDataParallel

            ids = [device.index] if device.type == "cuda" else None
            model = DistributedDataParallel(model, device_ids=ids, gradient_as_bucket_view=True)
        self.model = torch.compile(model) if compile_model else model
        self.loss_fn = nn.CrossEntropyLoss()
        self.opt, self.opt_impl = self._optimizer(torch, optimizer, lr)
        amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(dtype)
        self.autocast = (lambda: torch.autocast(device.type, dtype=amp)) if amp else None
        self.scaler = None
        if dtype == "fp16":
            try:
                self.scaler = torch.amp.GradScaler(device.type)
            except (AttributeError, TypeError):
                self.scaler = torch.cuda.amp.GradScaler()

    def _optimizer(self, torch, kind, lr):
        """The tutorial's plain SGD by default; on a GPU the fused kernel where torch has one."""
        params = list(self.net.parameters())
        cls, options = OPTIMIZERS[kind]
        cls = getattr(torch.optim, cls)
        if self.device.type == "cuda":
            try:
                return cls(params, lr=lr, fused=True, **options), "fused"
            except (RuntimeError, TypeError, ValueError):
                pass
        return cls(params, lr=lr, **options), "default"

    def step(self, x, y):
        if self.autocast is not None:
            with self.autocast():
                loss = self.loss_fn(self.model(x), y)
        else:
            loss = self.loss_fn(self.model(x), y)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.opt)
            self.scaler.update()
        else:
            loss.backward()
            self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return loss.detach()

    def evaluate(self, torch, batches):
        """Held-out (loss sum, correct, count), computed by the plain module, not timed."""
        loss_sum = correct = count = 0.0
        with torch.no_grad():
            for x, y in batches:
                if self.autocast is not None:
                    with self.autocast():
                        out = self.net(x)
                else:
                    out = self.net(x)
                loss_sum += float(self.loss_fn(out.float(), y)) * y.shape[0]
                correct += float((out.argmax(1) == y).sum())
                count += y.shape[0]
        return loss_sum, correct, count


def train_window(step, batches, start, left_s, cut_short, now=time.perf_counter):
    """One timed window's steps and their losses. With cut_short (one CPU process, where each
    step has finished when it returns) it stops once left_s has passed since start, so a machine
    that slows down mid-window cannot stretch --seconds."""
    losses = []
    for x, y in batches:
        losses.append(step(x, y))
        if cut_short and now() - start >= left_s:
            break
    return losses


def cpu_step_estimate(torch, dims, batch, dtype):
    """Seconds one training step would take on this CPU, before the first one is run: a small
    GEMM in the step's dtype is timed for a moment (large GEMMs run at least as fast per FLOP,
    so the estimate errs long)."""
    dt = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(dtype, torch.float32)
    a = torch.randn(512, 512, dtype=dt)
    b = torch.randn(512, 512, dtype=dt)
    a @ b
    done, start = 0, time.perf_counter()
    while done < 3 or time.perf_counter() - start < 0.1:
        a @ b
        done += 1
    rate = done * 2 * 512**3 / (time.perf_counter() - start)
    return flops_per_step(batch, *dims) / rate


def gemm_probe(torch, device, dims, batch, dtype, seconds):
    """The step's five matmuls alone, at its own shapes and dtype: a measured ceiling (TFLOP/s)."""
    if seconds <= 0:
        return None
    n_in, hidden, n_out = dims
    dt = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(dtype, torch.float32)

    def r(*shape):
        return torch.randn(*shape, device=device, dtype=dt)  # random-normal: zeros run hotter

    # nn.Linear's layouts: weights are (out, in); backward is dX = dY @ W and dW = dY.t() @ X.
    x, w1, w2 = r(batch, n_in), r(hidden, n_in), r(n_out, hidden)
    h, dh, dy = r(batch, hidden), r(batch, hidden), r(batch, n_out)
    linear = torch.nn.functional.linear

    def once():
        linear(x, w1)  # forward, layer 1
        linear(h, w2)  # forward, layer 2
        dy @ w2  # dX, layer 2
        dy.t() @ h  # dW, layer 2
        dh.t() @ x  # dW, layer 1 (its dX is never needed)

    once()
    sync(torch, device)
    t = time.perf_counter()
    once()
    sync(torch, device)
    reps = max(1, int(0.2 / max(time.perf_counter() - t, 1e-6)))
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        done = 0
        while done < reps and time.perf_counter() - start < seconds:
            once()
            done += 1
        sync(torch, device)
        best = max(
            best, done * flops_per_step(batch, n_in, hidden, n_out) / (time.perf_counter() - t)
        )
    return best / 1e12


def run(args, emit_holder, dists):
    torch = import_torch()
    kind = pick_device(torch, args.device)
    dist = Dist(torch, kind)
    dist.node_rank = args.node_rank
    dists.append(dist)
    device = dist.device
    emit = Emitter(dist.local_rank_zero)
    emit_holder.append(emit)
    cpu = cpu_facts()
    threads = None
    if kind == "cpu" or args.threads:
        threads = args.threads or max(1, usable_cpus() // max(1, dist.local_world))
        torch.set_num_threads(threads)
    dev = device_facts(torch, device, cpu)
    preset = choose_preset(args.preset, kind, dev["memory_gib"])
    dtype = choose_dtype(args.dtype, kind, dev["bf16"])
    set_precision(torch, dtype)
    p = PRESETS[preset]
    dims = args.dims or [p["in"], p["hidden"], p["out"]]
    batch = args.batch or p["batch"]
    lr = args.lr or (ADAPTIVE_LR if args.optimizer in ("adam", "adamw") else p["lr"])
    n_in, hidden, n_out = dims
    flops = flops_per_step(batch, n_in, hidden, n_out)

    peaks = load_peaks(args.peaks)
    if kind == "cpu":
        cores = min(threads, cpu["physical_cores"] or threads)
        peak, peak_source, estimate = cpu_peak(peaks, cpu["flags"], cpu["ghz"], cores, dtype)
    else:
        peak, peak_source, estimate = find_gpu_peak(peaks, dev["name"], dtype)

    if device.type == "cpu":  # before the data and the model take memory and time
        estimate_s = cpu_step_estimate(torch, dims, batch, dtype)
        check_step_time(estimate_s, args.seconds, preset, kind, "would take")

    # Data in the compute dtype: autocast has no input cast to do, and a window holds twice as much.
    store = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(dtype, torch.float32)
    budget = 256 * 2**20
    if dev["memory_gib"]:
        budget = int(min(2 * 2**30, 0.1 * dev["memory_gib"] * 2**30))
    task = Task(torch, device, dims, batch, store, budget, args.seed, dist.rank)
    trainer = Trainer(torch, device, dims, dtype, args.optimizer, lr, dist, args.compile)
    clock = Clock(args.seconds, args.probe_seconds)

    emit(
        "start",
        device=kind,
        device_name=dev["name"],
        capability=dev.get("capability"),
        world_size=dist.world,
        nnodes=dist.nnodes,
        node_rank=dist.node_rank,
        dtype=dtype,
        preset=preset,
        batch=batch,
        model={"in": n_in, "hidden": hidden, "out": n_out},
        classes=n_out,
        lr=lr,
        optimizer=args.optimizer,
        optimizer_impl=trainer.opt_impl,
        compile=args.compile,
        seconds=args.seconds,
        threads=threads,
        window_batches=task.max_batches,
        flops_per_step=flops,
        flops_per_step_6n=flops_per_step_6n(batch, n_in, hidden, n_out),
        peak_tflops=peak,
        peak_source=peak_source,
        peak_estimate=estimate,
        torch=torch.__version__,
        python=platform.python_version(),
        expected_s=clock.expected(),
    )

    nvml = None
    if kind == "cuda" and dist.local_rank_zero and not getattr(torch.version, "hip", None):
        try:
            nvml = Nvml(dev.get("uuid"), device.index or 0)
        except Exception:
            nvml = None  # no nvidia-ml-py in this environment, or no match: telemetry is n/a
    telemetry = Telemetry(emit, nvml) if dist.local_rank_zero else None

    def evaluate(phase, batches=None, step=0):
        """Held-out loss and accuracy (or, given batches, on those), between timed windows."""
        t = time.perf_counter()
        ls, correct, n = dist.reduce(trainer.evaluate(torch, batches or task.eval))
        clock.eval_s = time.perf_counter() - t
        if batches is None:
            emit("eval", phase=phase, step=step, loss=ls / n, accuracy=correct / n,
                 samples=int(n), chance=task.chance, expected_s=clock.expected())  # fmt: skip
        return ls / n, correct / n

    _, acc_initial = evaluate("initial")
    probe = gemm_probe(torch, device, dims, batch, dtype, args.probe_seconds)
    if probe is not None:
        probe = dist.reduce([probe])[0] / dist.world
    if telemetry is not None and nvml is not None:
        telemetry.start()  # NVML reads run beside the GPU's work; process stats wait for edges

    # Warm-up: the first step pays for lazy init (and compilation with --compile). Every
    # count below comes from timings reduced over ranks, so all ranks run the same steps.
    t = time.perf_counter()
    first, second = task.fresh(2)
    t1 = time.perf_counter()
    loss_first = float(trainer.step(*first))
    first_s = time.perf_counter() - t1
    loss_first, first_s = dist.reduce([loss_first, first_s])
    loss_first, first_s = loss_first / dist.world, first_s / dist.world
    check_finite(loss_first, 1, lr)
    if device.type == "cpu" and not args.compile:  # a GPU's first step pays for its lazy init
        check_step_time(first_s, args.seconds, preset, kind)
    t1 = time.perf_counter()
    trainer.step(*second)
    sync(torch, device)
    step_s = dist.reduce([time.perf_counter() - t1], op="max")[0]
    check_step_time(step_s, args.seconds, preset, kind)
    more = max(0, min(args.warmup_steps - 2, int(3.0 / max(step_s, 1e-9)), task.max_batches))
    batches = task.fresh(more)
    sync(torch, device)
    t1 = time.perf_counter()
    for x, y in batches:
        trainer.step(x, y)
    sync(torch, device)
    if more >= 5:
        step_s = dist.reduce([(time.perf_counter() - t1) / more], op="max")[0]
    warm = 2 + more
    warmup_s = time.perf_counter() - t
    plan = min(window_steps(step_s, args.window_seconds, args.seconds), task.max_batches)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    # The measurement: each window's batches are made first, then only training steps are
    # timed, from one device sync to the next; reading the loss, evaluating and telemetry
    # happen between windows.
    energy0 = nvml.energy_mj() if nvml else None
    steps, elapsed, n = 0, 0.0, plan
    windows = []
    # One CPU process runs its steps synchronously, so its clock can end a window on time when
    # the machine slows down mid-window; ranks in lockstep and queued GPU work cannot.
    cut_short = device.type == "cpu" and not dist.on
    clock.measuring()
    share = CpuShare()
    share.begin()
    since_eval = time.perf_counter()
    batches = []
    while elapsed < args.seconds:
        previous, batches = batches, task.fresh(n)
        sync(torch, device)
        dist.barrier()  # every rank starts its clock together
        w_start = time.perf_counter()
        losses = train_window(trainer.step, batches, w_start, args.seconds - elapsed, cut_short)
        sync(torch, device)
        w_end = time.perf_counter()
        n = len(losses)
        batches = batches[:n]  # the ones trained on
        w_time, eval_due = dist.reduce([w_end - w_start, w_end - since_eval], op="max")
        loss_mean = dist.reduce([float(torch.stack(losses).sum())])[0] / (n * dist.world)
        steps += n
        check_finite(loss_mean, warm + steps, lr)
        elapsed += w_time
        clock.measured(elapsed)
        per_device = n * flops / w_time / 1e12
        windows.append((n * batch * dist.world / w_time, loss_mean))
        emit(
            "step",
            step=steps,
            samples=steps * batch * dist.world,
            elapsed=elapsed,
            window_s=w_time,
            loss=loss_mean,
            samples_per_s=windows[-1][0],
            tflops=per_device,
            mfu=ratio(per_device, peak),
            mfu_ceiling=ratio(per_device, probe),
            expected_s=clock.expected(),
        )
        if telemetry is not None and nvml is None:
            telemetry.tick()
        if eval_due >= EVAL_EVERY_S and elapsed < args.seconds:
            evaluate("during", step=steps)
            since_eval = time.perf_counter()
        # What is left of --seconds, at this window's pace, becomes the last window when it
        # is short (no sliver of a window at the end).
        left = math.ceil((args.seconds - elapsed) / (w_time / n))
        n = min(max(1, left) if left < 1.5 * plan else plan, task.max_batches)
    busy = share.end()
    energy1 = nvml.energy_mj() if nvml else None
    memory_mib = None
    if device.type == "cuda":
        memory_mib = torch.cuda.max_memory_allocated(device) / 2**20
    if telemetry is not None:
        telemetry.stop()
    loss_eval, accuracy = evaluate("final", step=steps)
    # Accuracy on the batches the last windows trained on: with fresh data it tracks held-out
    # (a short last window borrows from the one before, so it is not only the latest steps).
    seen = (previous + batches)[-max(1, -(-Task.EVAL_SAMPLES // batch)) :]
    train_loss, train_accuracy = evaluate("train", batches=seen)

    total_s = elapsed
    samples = steps * batch * dist.world
    sps = samples / total_s
    per_device = steps * flops / total_s / 1e12
    energy_j = (energy1 - energy0) / 1000.0 if energy0 is not None and energy1 is not None else None
    baseline = args.baseline_samples_per_s
    others_cores = None
    if busy is not None and dist.nnodes == 1:
        wall, machine, own = busy
        own = dist.reduce([own])[0]  # every rank is this machine's own work, not another's
        others_cores = max(0.0, (machine - own) / wall) if wall > 0 else None
    warm_sps = batch * dist.world / step_s if step_s > 0 else None
    summary = dict(
        device=kind,
        device_name=dev["name"],
        world_size=dist.world,
        nnodes=dist.nnodes,
        node_rank=dist.node_rank,
        dtype=dtype,
        preset=preset,
        batch=batch,
        model={"in": n_in, "hidden": hidden, "out": n_out},
        samples_per_s=sps,
        samples_per_s_per_device=sps / dist.world,
        samples_per_s_median=statistics.median(w[0] for w in windows),
        tflops=per_device,
        tflops_total=per_device * dist.world,
        mfu=ratio(per_device, peak),
        mfu_6n=ratio(steps * flops_per_step_6n(batch, n_in, hidden, n_out) / total_s / 1e12, peak),
        mfu_ceiling=ratio(per_device, probe),
        peak_tflops=peak,
        peak_source=peak_source,
        peak_estimate=estimate,
        probe_tflops=probe,
        flops_per_step=flops,
        loss_first=loss_first,
        loss_last=windows[-1][1],
        eval_loss=loss_eval,
        eval_accuracy=accuracy,
        loss_eval=loss_eval,
        accuracy=accuracy,
        accuracy_initial=acc_initial,
        train_loss=train_loss,
        train_accuracy=train_accuracy,
        chance=task.chance,
        steps=steps,
        seconds=total_s,
        wall_s=time.perf_counter() - T0,
        warmup_steps=warm,
        warmup_s=warmup_s,
        first_step_s=first_s,
        optimizer=args.optimizer,
        optimizer_impl=trainer.opt_impl,
        compile=args.compile,
        threads=threads,
        lr=lr,
        max_memory_mib=memory_mib,
        energy_j=energy_j,
        samples_per_j=(samples / dist.world) / energy_j if energy_j else None,
        baseline_samples_per_s=baseline,
        scaling_efficiency=sps / (dist.world * baseline) if baseline else None,
        torch=torch.__version__,
        other_cpu_cores=None if others_cores is None else round(others_cores, 2),
        warmup_samples_per_s=warm_sps,
        disturbance=disturbance(others_cores, usable_cpus(), sps, warm_sps, accuracy, task.chance),
    )
    if telemetry is not None:
        summary["telemetry"] = telemetry.digest()
    emit("summary", **summary)


def main(argv=None):
    args = parse_args(argv)
    holder, dists = [], []
    try:
        run(args, holder, dists)
        # The group goes only after run() has dropped the DDP model: a reducer that outlives
        # its gloo group aborts the process at exit.
        gc.collect()
        for dist in dists:
            dist.close()
    except BenchError as e:
        report(holder, str(e), e.hint)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        text = "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0] if str(e) else "")
        hint = None
        if "out of memory" in text.lower():
            hint = "the preset does not fit this device: try --preset medium or tiny"
        report(holder, text, hint)
        return 1
    return 0


def report(holder, message, hint):
    """An error event on stdout (rank 0, or before ranks are known) and the message on stderr."""
    rank0 = os.environ.get("LOCAL_RANK", "0") == "0"
    emit = holder[0] if holder else Emitter(rank0)
    emit("error", message=message, hint=hint)
    sys.stderr.write("benchmark error: %s\n" % message)


if __name__ == "__main__":
    sys.exit(main())
