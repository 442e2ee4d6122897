"""Check that the torch in this environment really runs on the device it was chosen for.

Run by the environment's own Python (stdlib + torch only):
    python verify.py --device cuda [--cc 8.9 ...] [--gfx gfx1100 ...] [--gpus N]
                     [--lock envwizard-lock.json] [--variant cpu|cuNNN|rocmX.Y|xpu|default]

Prints one JSON object: torch and CUDA/HIP versions, whether the device is available, device
names, the build's arch list, whether every GPU's architecture is covered, and a small matmul
on every device checked against the CPU. With --lock, every distribution of the lock must be
installed at the locked version, and torch must be the --variant build: a CUDA torch where the
CPU build was chosen is a failed verify, whatever it can compute. Exit 0 when everything
expected holds, 1 otherwise; `hints` says what to try next.
"""

import argparse
import json
import sys
import time


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps", "xpu"])
    ap.add_argument(
        "--cc", action="append", default=[], help="compute capability that must be covered"
    )
    ap.add_argument("--gfx", action="append", default=[], help="AMD target that must be covered")
    ap.add_argument("--gpus", type=int, default=0, help="how many GPUs should be visible")
    ap.add_argument("--lock", help="envwizard's lock: what must be installed")
    ap.add_argument("--variant", help="the build torch must be (cpu, cu130, rocm6.4, xpu)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    result = {"ok": False, "expected_device": args.device, "problems": [], "hints": []}
    prefetch = start_prefetch("torch")
    try:
        import torch
    except (Exception, SystemExit) as e:  # an import failure is the answer, not a crash
        stop_prefetch(prefetch)
        result["problems"].append("import torch failed: " + first_line(e))
        result["hints"].append("the install did not complete; look at the install step's log")
        print(json.dumps(result))
        return 1
    stop_prefetch(prefetch)
    try:
        return check(torch, args, result, t0)
    except (Exception, SystemExit) as e:  # a package named torch that is not PyTorch
        version = str(getattr(torch, "__version__", "?"))
        result["torch_version"] = version
        result["ok"] = False
        result["problems"].append(
            "torch %s is not a working PyTorch (%s)" % (version, first_line(e))
        )
        result["hints"].append(
            "a package that only takes torch's name was installed; check the index and the "
            "wheel folders it came from (the install step's log names the file)"
        )
        print(json.dumps(result))
        return 1


def check(torch, args, result, t0):
    """Everything verified once torch imported; any exception means torch is not PyTorch."""
    result.update(
        torch_version=torch.__version__,
        cuda_version=getattr(torch.version, "cuda", None),
        hip_version=getattr(torch.version, "hip", None),
        cuda_available=bool(torch.cuda.is_available()),
        device_names=[],
        arch_list=[],
        capabilities=[],
        covered=None,
        matmul=[],
    )
    if args.lock:
        check_lock(args.lock, result)
    if args.variant:
        check_variant(torch, args.variant, result)
    devices = ["cpu"]
    if args.device == "cuda":
        check_cuda(torch, args, result)
        devices += (
            ["cuda:%d" % i for i in range(torch.cuda.device_count())]
            if result["cuda_available"]
            else []
        )
    elif args.device == "mps":
        ok = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
        result["mps_available"] = ok
        if ok:
            devices.append("mps")
            result["device_names"] = ["Apple GPU (MPS)"]
        else:
            result["problems"].append("torch.backends.mps.is_available() is False")
            result["hints"].append(
                "MPS needs an arm64 Python on Apple Silicon and macOS 14 or newer"
            )
    elif args.device == "xpu":
        xpu = getattr(torch, "xpu", None)
        ok = bool(xpu and xpu.is_available())
        result["xpu_available"] = ok
        if ok:
            n = xpu.device_count()
            devices += ["xpu:%d" % i for i in range(n)]
            result["device_names"] = [xpu.get_device_name(i) for i in range(n)]
        else:
            result["problems"].append("torch.xpu.is_available() is False")
            result["hints"].append(
                "install Intel's GPU driver (level-zero) for this Arc/Flex/Max GPU"
            )
    for dev in devices:
        result["matmul"].append(matmul_check(torch, dev))
    for m in result["matmul"]:
        if not m["ok"]:
            result["problems"].append(
                "matmul on %s: %s" % (m["device"], m.get("error") or "wrong result")
            )
    result["ok"] = not result["problems"]
    result["seconds"] = round(time.perf_counter() - t0, 3)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


def check_cuda(torch, args, result):
    hip = result["hip_version"]
    if not result["cuda_available"]:
        local = torch.__version__.split("+")[-1] if "+" in torch.__version__ else ""
        result["problems"].append("torch.cuda.is_available() is False")
        if local == "cpu" or (not result["cuda_version"] and not hip):
            result["hints"].append(
                "this is a CPU build of torch (%s): the index served the wrong variant; "
                "check torch_index and that the mirror carries GPU builds" % torch.__version__
            )
        else:
            result["hints"].append(
                "the GPU build cannot reach the GPU: check the driver (nvidia-smi / rocm-smi), "
                "and for a CUDA build that the driver is new enough for CUDA %s"
                % (result["cuda_version"] or hip)
            )
        return
    n = torch.cuda.device_count()
    result["device_names"] = [torch.cuda.get_device_name(i) for i in range(n)]
    try:
        result["arch_list"] = list(torch.cuda.get_arch_list())
    except Exception as e:
        result["problems"].append("get_arch_list failed: " + first_line(e))
    if args.gpus and n < args.gpus:
        result["problems"].append("%d GPU(s) visible to torch, %d expected" % (n, args.gpus))
        result["hints"].append("check CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES")
    uncovered = []
    for i in range(n):
        if hip:
            name = getattr(torch.cuda.get_device_properties(i), "gcnArchName", "") or ""
            arch = name.split(":")[0]
            result["capabilities"].append(arch)
            if arch and result["arch_list"] and arch not in result["arch_list"]:
                uncovered.append(arch)
        else:
            major, minor = torch.cuda.get_device_capability(i)
            cc = "%d.%d" % (major, minor)
            result["capabilities"].append(cc)
            if result["arch_list"] and not cuda_covered(result["arch_list"], major, minor):
                uncovered.append("sm_%d%d" % (major, minor))
    result["covered"] = not uncovered
    if uncovered:
        result["problems"].append(
            "this build has no kernels for %s (it carries %s)"
            % (", ".join(uncovered), " ".join(result["arch_list"]))
        )
        result["hints"].append(
            "choose a variant whose arch list covers this GPU (envwizard plan lists them)"
        )


def check_lock(path, result):
    """Every locked distribution installed at its locked version (wheels; conda: torch only)."""
    from importlib import metadata

    try:
        with open(path, encoding="utf-8") as f:
            lock = json.load(f)
    except (OSError, ValueError) as e:
        result["problems"].append("cannot read the lock %s: %s" % (path, e))
        return
    result["lock"] = path
    conda = lock.get("installer") == "conda"
    differ = []
    for p in lock.get("packages") or []:
        name, want = p.get("name"), p.get("version")
        if conda and name != "pytorch":
            continue
        try:
            got = metadata.version("torch" if conda else name)
        except metadata.PackageNotFoundError:
            got = None
        if got != want and not (conda and got and got.split("+")[0] == want):
            differ.append("%s %s (locked %s)" % (name, got or "missing", want))
    result["lock_ok"] = not differ
    if differ:
        result["problems"].append(
            "%d installed distribution(s) differ from the lock: %s"
            % (len(differ), ", ".join(differ[:6]) + (" …" if len(differ) > 6 else ""))
        )
        result["hints"].append("run the same answers again to reinstall exactly the lock")


def check_variant(torch, variant, result):
    """The torch build must be the one chosen: its CUDA/HIP version says what it was built for."""
    cuda = result.get("cuda_version")
    hip = result.get("hip_version")
    built = "cu" + cuda.replace(".", "") if cuda else ("rocm" + hip if hip else None)
    if built is None:
        built = "xpu" if "+xpu" in torch.__version__ else "cpu"
    result["build"] = built
    if variant == "default":
        return
    if variant.startswith("cu"):
        ok = bool(cuda) and built == variant
    elif variant.startswith("rocm"):
        ok = bool(hip) and hip.startswith(variant[4:])
    else:
        ok = built == variant
    if not ok:
        result["problems"].append(
            "torch %s is the %s build; the %s build was chosen"
            % (torch.__version__, built, variant)
        )
        result["hints"].append(
            "the installer took another build than the lock; check the sources and run again"
        )


def cuda_covered(arch_list, major, minor):
    """SASS sm_XY runs on the same major with minor >= Y; PTX compute_XY JITs to anything newer."""
    for a in arch_list:
        kind, _, num = a.partition("_")
        digits = "".join(ch for ch in num if ch.isdigit())
        if len(digits) < 2:
            continue
        amaj, amin = int(digits[:-1]), int(digits[-1])
        if kind == "sm" and amaj == major and amin <= minor:
            return True
        if kind == "compute" and (amaj, amin) <= (major, minor):
            return True
    return False


def matmul_check(torch, device):
    out = {"device": device, "ok": False}
    try:
        if device.startswith("cuda"):
            torch.backends.cuda.matmul.allow_tf32 = False
        gen = torch.Generator().manual_seed(0)
        a = torch.randn(64, 64, generator=gen)
        b = torch.randn(64, 64, generator=gen)
        ref = a.double() @ b.double()
        t0 = time.perf_counter()
        got = (a.to(device) @ b.to(device)).to("cpu").double()
        out["ms"] = round((time.perf_counter() - t0) * 1000, 2)
        err = float((got - ref).abs().max() / ref.abs().max())
        out["rel_err"] = err
        out["ok"] = err < 1e-3
    except Exception as e:
        out["error"] = first_line(e)
    return out


def start_prefetch(package):
    """prefetch.py beside this script, writing on another core the bytecode of what
    `import PACKAGE` is about to load (envwizard's installs leave it to the first import).

    None where it cannot help: the bytecode is there already, one CPU, Windows (where the child
    cannot be stopped between two files), an old Python. It never makes verify fail.
    """
    try:
        import importlib.util
        import os
        import subprocess

        if os.name == "nt" or sys.version_info < (3, 7):
            return None
        if hasattr(os, "sched_getaffinity"):
            cpus = len(os.sched_getaffinity(0))
        else:
            cpus = os.cpu_count() or 1
        spec = importlib.util.find_spec(package)
        if cpus < 2 or spec is None or not spec.origin:
            return None
        if os.path.exists(importlib.util.cache_from_source(spec.origin)):
            return None
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prefetch.py")
        return subprocess.Popen(
            [sys.executable, script, package],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except Exception:
        return None


def stop_prefetch(proc):
    """SIGTERM lets it finish the file it is writing; then it is gone."""
    if proc is None:
        return
    try:
        proc.terminate()
        proc.wait(timeout=10)
    except Exception:
        try:
            proc.kill()
            proc.wait(timeout=10)
        except Exception:
            pass


def first_line(e):
    text = str(e).strip().splitlines()
    return type(e).__name__ + (": " + text[0] if text else "")


if __name__ == "__main__":
    sys.exit(main())
