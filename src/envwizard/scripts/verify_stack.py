"""Prove that the packages beside torch work on the device, with no download.

Run by the environment's own Python (stdlib + the packages it checks):
    python verify_stack.py --device cuda --check torchvision --check llm --check jax=gpu
        [--kernel NAME | --kernel-record ENV/envwizard-kernel.json] [--expect NAME==VERSION ...]

Checks: torchvision (ops.nms on the device), torchaudio (a MelSpectrogram on the device), numpy
(interop both ways, and `import torch` without the NumPy warning), llm (a tiny randomly
initialised causal LM from a config, wrapped in LoRA by peft, one AdamW step with a finite loss;
transformers, peft, accelerate, datasets), bitsandbytes (its native library loads for the
device), xformers and flash-attn (attention on the GPU), triton (a kernel on the GPU), jax and
tensorflow (a matmul on the device they report; `=gpu` says which one is expected), jupyter (the
kernel NAME starts through jupyter_client and runs `import torch`).

Prints one JSON object, {"ok", "device", "packages": [{"name", "version", "device", "ok",
"cause", "seconds"}]}; a failure's `cause` is one line. Nothing is downloaded: the Hugging Face
hub is switched off, and every model is built from a config. Exit 0 when all passed, else 1.
"""

import argparse
import json
import math
import os
import sys
import time
import warnings

# Before anything imports them: no hub, no telemetry, quiet TensorFlow.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

LLM = ("transformers", "peft", "accelerate", "datasets")
DISTRIBUTIONS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos"),
    "triton": ("triton", "pytorch-triton-rocm", "pytorch-triton-xpu", "pytorch-triton"),
    "jupyter": ("ipykernel",),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps", "xpu"])
    ap.add_argument("--check", action="append", default=[], help="NAME or NAME=DEVICE")
    ap.add_argument("--kernel", default=None, help="the Jupyter kernel the jupyter check starts")
    ap.add_argument(
        "--kernel-record", default=None, help="kernel.py's record: the kernel it registered"
    )
    ap.add_argument("--expect", action="append", default=[], help="NAME==VERSION from the lock")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds for the kernel check")
    args = ap.parse_args(argv)
    if args.kernel_record and not args.kernel:
        # kernel.py may have taken NAME-2 beside someone else's NAME: start the one it made.
        try:
            with open(args.kernel_record, encoding="utf-8") as f:
                args.kernel = json.load(f).get("name")
        except (OSError, ValueError, AttributeError):
            args.kernel = None
    # Libraries print to stdout (TensorFlow, transformers): keep it for the one JSON line.
    out = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)
    result = run(args)
    out.write(json.dumps(result) + "\n")
    out.flush()
    return 0 if result["ok"] else 1


def run(args):
    expected = dict(e.split("==", 1) for e in args.expect if "==" in e)
    rows = []
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            import torch
        except Exception as e:  # every check needs torch: each says so
            torch = None
            torch_error = "import torch failed: " + first_line(e)
    numpy_warning = next(
        (str(w.message).splitlines()[0] for w in caught if "NumPy" in str(w.message)), None
    )
    dev = args.device
    if torch is not None and dev == "cuda" and not torch.cuda.is_available():
        dev = "cpu"  # verify.py reports the missing GPU; these checks still say what works
    for spec in args.check:
        name, _, want = spec.partition("=")
        started = time.perf_counter()
        if torch is None:
            found = [row(n, False, dev, torch_error) for n in names_of(name)]
        else:
            found = check(name, torch, dev, want or None, args, numpy_warning)
        seconds = round(time.perf_counter() - started, 2)
        for r in found:
            r["seconds"] = seconds
            lock = expected.get(r["name"])
            if r["ok"] and lock and r["version"] and r["version"] != lock:
                r["ok"] = False
                r["cause"] = "installed %s %s, the lock says %s" % (r["name"], r["version"], lock)
            rows.append(r)
    return {
        "ok": all(r["ok"] for r in rows),
        "device": dev,
        "packages": rows,
        "numpy_warning": numpy_warning,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def names_of(name):
    return list(LLM) if name == "llm" else [name]


def version_of(name):
    from importlib import metadata

    for dist in DISTRIBUTIONS.get(name, (name,)):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def row(name, ok, device, cause=None, version=None):
    dist = DISTRIBUTIONS.get(name, (name,))[0]
    return {
        "name": dist,
        "version": version if version is not None else version_of(name),
        "device": device,
        "ok": bool(ok),
        "cause": None if ok else (cause or "failed"),
    }


def check(name, torch, dev, want, args, numpy_warning):
    fn = CHECKS.get(name)
    if fn is None:
        return [row(name, False, dev, "envwizard has no check named %r" % name)]
    try:
        return fn(torch, dev, want, args, numpy_warning)
    except Exception as e:
        return [row(n, False, dev, first_line(e)) for n in names_of(name)]


# ---- the checks ------------------------------------------------------------------------------
def check_numpy(torch, dev, want, args, numpy_warning):
    if numpy_warning:
        return [row("numpy", False, dev, "import torch warned: " + numpy_warning)]
    import numpy as np

    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = torch.from_numpy(a).to(dev) * 2
    back = t.cpu().numpy()
    ok = back.shape == (2, 3) and float(back.sum()) == 30.0
    ok = ok and torch.as_tensor(back).sum().item() == 30.0
    return [row("numpy", ok, dev, "numpy interop returned %r" % back.tolist())]


def check_torchvision(torch, dev, want, args, numpy_warning):
    from torchvision.ops import nms

    boxes = torch.tensor(
        [[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60.0]], device=dev, dtype=torch.float32
    )
    scores = torch.tensor([0.9, 0.8, 0.7], device=dev)
    keep = nms(boxes, scores, 0.5).cpu().tolist()
    return [row("torchvision", keep == [0, 2], dev, "ops.nms kept %r, expected [0, 2]" % keep)]


def check_torchaudio(torch, dev, want, args, numpy_warning):
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_mels=40).to(dev)
    shape = tuple(mel(torch.randn(1, 16000, device=dev)).shape)
    return [row("torchaudio", shape == (1, 40, 81), dev, "MelSpectrogram gave %r" % (shape,))]


def check_llm(torch, dev, want, args, numpy_warning):
    """A tiny Llama from a config, LoRA on q/v, one AdamW step: a finite loss, LoRA weights moved."""
    import accelerate  # noqa: F401 (imported: its presence is part of the check)
    import datasets
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=128,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=64,
    )
    lora = LoraConfig(
        r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"],
        task_type="CAUSAL_LM",
    )  # fmt: skip
    model = get_peft_model(LlamaForCausalLM(cfg), lora).to(dev)
    trainable = [p for p in model.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in trainable]
    opt = torch.optim.AdamW(trainable, lr=1e-3)
    data = datasets.Dataset.from_dict({"ids": [list(range(16)), list(range(16, 32))]})
    ids = torch.stack([r["ids"] for r in data.with_format("torch")]).to(dev) % cfg.vocab_size
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    opt.step()
    value = float(loss.item())
    moved = any(not torch.equal(a, b.detach()) for a, b in zip(before, trainable))
    ok = math.isfinite(value) and moved
    cause = "LoRA step: loss %r, LoRA weights moved: %s" % (value, moved)
    rows = [row(n, ok, dev, cause) for n in LLM]
    for r in rows:
        r["loss"] = value
    return rows


def check_bitsandbytes(torch, dev, want, args, numpy_warning):
    import bitsandbytes
    from bitsandbytes import cextension

    kind = type(cextension.lib).__name__
    if kind == "ErrorHandlerMockBNBNativeLibrary" or "Mock" in kind:
        return [row("bitsandbytes", False, dev, "its native library did not load (%s)" % kind)]
    if dev == "cuda" and "Cuda" not in kind:
        return [row("bitsandbytes", False, dev, "loaded %s, not its CUDA library" % kind)]
    if dev == "cuda":
        import bitsandbytes.functional as F

        q, state = F.quantize_4bit(torch.randn(64, 64, device="cuda", dtype=torch.float16))
        back = F.dequantize_4bit(q, state)
        if not bool(torch.isfinite(back).all()):
            return [row("bitsandbytes", False, dev, "4-bit round trip gave non-finite values")]
    return [row("bitsandbytes", True, dev, version=getattr(bitsandbytes, "__version__", None))]


def check_xformers(torch, dev, want, args, numpy_warning):
    import xformers.ops as xops

    if dev != "cuda":
        return [row("xformers", False, dev, "xformers' kernels need a CUDA device")]
    q = torch.randn(1, 16, 2, 32, device="cuda", dtype=torch.float16)
    out = xops.memory_efficient_attention(q, q, q)
    ok = tuple(out.shape) == (1, 16, 2, 32) and bool(torch.isfinite(out).all())
    return [row("xformers", ok, dev, "memory_efficient_attention gave %r" % (tuple(out.shape),))]


def check_flash_attn(torch, dev, want, args, numpy_warning):
    from flash_attn import flash_attn_func

    if dev != "cuda":
        return [row("flash-attn", False, dev, "flash-attn needs a CUDA device")]
    q = torch.randn(1, 16, 2, 32, device="cuda", dtype=torch.float16)
    out = flash_attn_func(q, q, q)
    ok = tuple(out.shape) == (1, 16, 2, 32) and bool(torch.isfinite(out).all())
    return [row("flash-attn", ok, dev, "flash_attn_func gave %r" % (tuple(out.shape),))]


def check_triton(torch, dev, want, args, numpy_warning):
    import triton
    import triton.language as tl

    if dev != "cuda":
        return [row("triton", True, dev, version=triton.__version__)]

    @triton.jit
    def add(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        tl.store(
            out_ptr + offs,
            tl.load(x_ptr + offs, mask=mask) + tl.load(y_ptr + offs, mask=mask),
            mask=mask,
        )

    x = torch.arange(1000, device="cuda", dtype=torch.float32)
    out = torch.empty_like(x)
    add[(4,)](x, x, out, 1000, BLOCK=256)
    ok = bool(torch.equal(out, x * 2))
    return [row("triton", ok, dev, "a triton kernel gave a wrong sum", version=triton.__version__)]


def check_jax(torch, dev, want, args, numpy_warning):
    import jax
    import jax.numpy as jnp

    backend = jax.default_backend()
    x = jnp.ones((64, 64), dtype=jnp.float32)
    y = (x @ x).block_until_ready()
    got = float(y[0, 0])
    where = jax.devices()[0].platform
    if want and backend != want:
        return [row("jax", False, where, "jax runs on %s, %s was expected" % (backend, want))]
    return [row("jax", got == 64.0, where, "matmul gave %r, expected 64.0" % got)]


def check_tensorflow(torch, dev, want, args, numpy_warning):
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if want == "gpu" and not gpus:
        return [row("tensorflow", False, "cpu", "TensorFlow sees no GPU, one was expected")]
    name = "/GPU:0" if want == "gpu" else "/CPU:0"
    with tf.device(name):
        x = tf.ones((64, 64))
        y = tf.matmul(x, x)
    got = float(y.numpy()[0, 0])
    where = "gpu" if "GPU" in y.device else "cpu"
    return [row("tensorflow", got == 64.0, where, "matmul on %s gave %r" % (y.device, got))]


def check_jupyter(torch, dev, want, args, numpy_warning):
    """Start the kernel by name as Jupyter would, and run `import torch` in it."""
    from jupyter_client.manager import KernelManager

    if not args.kernel:
        return [
            row("jupyter", False, dev, "no kernel was registered (no --kernel name, no record)")
        ]
    km = KernelManager(kernel_name=args.kernel)
    km.start_kernel()
    text = []
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=args.timeout)

        def hook(msg):
            # stdout only: torch's own warnings (no numpy in a torch-only stack) go to stderr.
            if msg.get("msg_type") == "stream" and msg["content"].get("name") == "stdout":
                text.append(msg["content"].get("text", ""))

        reply = kc.execute_interactive(
            "import sys, torch; print('envwizard-kernel', torch.__version__, sys.executable)",
            timeout=args.timeout,
            output_hook=hook,
        )
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
    line = next((t for t in "".join(text).splitlines() if t.startswith("envwizard-kernel ")), "")
    out = line.split()[1:]
    status = reply["content"].get("status")
    ok = status == "ok" and bool(out) and out[0] == torch.__version__
    cause = "kernel %r: status %s, printed %r" % (args.kernel, status, " ".join(out)[:120])
    r = row("jupyter", ok, "cpu", cause)
    r["kernel"] = args.kernel
    r["kernel_torch"] = out[0] if out else None
    return [r]


CHECKS = {
    "numpy": check_numpy,
    "torchvision": check_torchvision,
    "torchaudio": check_torchaudio,
    "llm": check_llm,
    "bitsandbytes": check_bitsandbytes,
    "xformers": check_xformers,
    "flash-attn": check_flash_attn,
    "triton": check_triton,
    "jax": check_jax,
    "tensorflow": check_tensorflow,
    "jupyter": check_jupyter,
}


def first_line(e):
    text = str(e).strip().splitlines()
    return type(e).__name__ + (": " + text[0] if text else "")


if __name__ == "__main__":
    sys.exit(main())
