"""Stacks installed for real, as users run envwizard: `envwizard --answers` with this machine's
own pip configuration (its wheel folder's CPU torch, its indexes), resolved first, installed
exactly, each package proven on the device by verify, the Jupyter kernel started.

What the sources hold decides what a stack can have: where they hold no CPU build of a
companion (here: only the default index's CUDA builds of torchvision and torchaudio), the
default stack leaves it out and says why, and one asked for in `packages:` is refused before
anything is made. Skipped where pip's configuration has no local torch wheel.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..builders import run_envwizard
from ..conftest import local_torch_version

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths in the answers"),
]


def real_torch() -> str:
    version = local_torch_version()
    if not version:
        pytest.skip("no torch wheel in pip's configured find-links")
    return version


def answers(tmp_path: Path, **keys: object) -> Path:
    data = {
        "manager": "venv",
        "env": str(tmp_path / "env"),
        "python": sys.executable,
        "benchmark": False,
        "compute": "cpu",
        "torch_index": "default",
        "installer": "pip",
        **keys,
    }
    path = tmp_path / "answers.yaml"
    path.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in data.items()))
    return path


def run(tmp_path: Path, a: Path, timeout: float = 2400) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:  # fmt: skip
    report = tmp_path / "report.json"
    r = run_envwizard(
        "--answers", str(a), "--report", str(report), state=tmp_path / "state", timeout=timeout,
        env={"JUPYTER_DATA_DIR": str(tmp_path / "jupyter"), "COLUMNS": "200"},
    )  # fmt: skip
    data = json.loads(report.read_text()) if report.exists() else {}
    return r, data


def rows(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in (data.get("verify") or {}).get("packages") or []}


def stack_item(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in data["stack"]["packages"] if p["name"] == name)


def test_the_tutorial_stack_on_the_cpu_path_with_jupyter(tmp_path: Path) -> None:
    version = real_torch()
    a = answers(tmp_path, torch=f"=={version}", jupyter=True)
    r, data = run(tmp_path, a)
    said = " ".join(r.stdout.split())
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert data["installed"]["torch"].endswith("+cpu") and data["verify"]["ok"]
    found = rows(data)
    # Each companion is either installed and proven (nms, a MelSpectrogram) or, where the sources
    # hold only another build of it, left out before anything was made, with why — never
    # installed and unproven.
    for name in ("torchvision", "torchaudio"):
        item = stack_item(data, name)
        if item["included"]:
            assert found[name]["ok"] and found[name]["device"] == "cpu", found[name]
        else:
            assert name not in found
            assert item["codes"] in (["resolve-other-build"], ["resolve-not-found"]), item
            assert f"the configured sources hold no CPU build of {name}" in item["why"] or (
                f"hold no {name} that installs beside torch" in item["why"]
            )
            assert f"– {name}: the configured sources hold no" in said
    lock = json.loads(Path(data["lock"]).read_text())
    locked = {p["name"] for p in lock["packages"]}
    assert not any(n.startswith("nvidia-") for n in locked)
    for name in ("torchvision", "torchaudio"):
        assert (name in locked) == stack_item(data, name)["included"]
    # numpy: interop proven, and `import torch` no longer warns "Failed to initialize NumPy".
    assert found["numpy"]["ok"] and "numpy" in locked
    env_py = tmp_path / "env" / "bin" / "python"
    imp = subprocess.run([str(env_py), "-c", "import torch"], capture_output=True, text=True)
    assert imp.returncode == 0 and "NumPy" not in imp.stderr, imp.stderr
    # The kernel: registered after verify under JUPYTER_DATA_DIR, started through
    # jupyter_client, `import torch` run in it.
    kernel = data["jupyter"]
    assert kernel["ok"] and kernel["name"] == "env"
    assert Path(kernel["dir"]).parent == tmp_path / "jupyter" / "kernels"
    assert kernel["display_name"] == f"Python (env, torch {data['installed']['torch']})"
    assert found["ipykernel"]["ok"] and found["ipykernel"]["kernel_torch"] == data["installed"]["torch"]  # fmt: skip
    assert "✓ numpy" in said and f"✓ Jupyter kernel env runs torch {data['installed']['torch']}" in said  # fmt: skip
    steps = [s["id"] for s in data["steps"]]
    assert steps[steps.index("verify") :] == ["verify", "jupyter-kernel", "verify-stack"]

    # Recreate removes the kernel this environment registered with it (and makes it again).
    a = answers(tmp_path, torch=f"=={version}", jupyter=True, stack="torch", existing="recreate")
    r2 = run_envwizard(
        "--answers", str(a), "--yes", state=tmp_path / "state", timeout=1800,
        env={"JUPYTER_DATA_DIR": str(tmp_path / "jupyter"), "COLUMNS": "200"},
    )  # fmt: skip
    assert r2.returncode == 0, r2.stdout[-3000:] + r2.stderr[-2000:]
    assert f"removed the Jupyter kernel at {kernel['dir']}" in " ".join(r2.stdout.split())


def test_a_cuda_torchvision_asked_beside_a_cpu_torch_is_refused_before_anything_is_made(
    tmp_path: Path,
) -> None:
    version = real_torch()
    a = answers(tmp_path, torch=f"=={version}", stack="torch", packages=["torchvision"])
    r, _data = run(tmp_path, a, timeout=900)
    if r.returncode == 0:
        pytest.skip("the configured sources hold a CPU build of torchvision")
    assert r.returncode == 2, r.stdout[-3000:] + r.stderr[-2000:]
    err = r.stderr.strip()
    assert err.startswith("envwizard: ") and err.count("\n") == 0  # one sentence
    assert "no CPU build of torchvision among the configured sources" in err
    assert "nothing was created" in err and "Traceback" not in err
    assert not (tmp_path / "env").exists()


def test_the_llm_stack_with_jax_tensorflow_and_jupyter_on_the_cpu(tmp_path: Path) -> None:
    version = real_torch()
    a = answers(
        tmp_path, torch=f"=={version}", stack="llm", frameworks=["jax", "tensorflow"], jupyter=True
    )
    r, data = run(tmp_path, a, timeout=3000)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    found = rows(data)
    # A tiny causal LM from a config, wrapped in LoRA by peft, one AdamW step, finite loss.
    for name in ("transformers", "peft", "accelerate", "datasets"):
        assert found[name]["ok"] and found[name]["device"] == "cpu", found[name]
    assert found["jax"]["ok"] and found["jax"]["device"] == "cpu"
    assert found["tensorflow"]["ok"] and found["tensorflow"]["device"] == "cpu"
    assert found["ipykernel"]["ok"]
    for p in data["stack"]["packages"]:
        if p["included"] and p["check"]:
            assert p["name"] in found or p["name"] == "ipykernel", p
        if not p["included"]:
            assert p["why"], p
    # Extensions built for CUDA torch are left out of a CPU torch, each with why.
    for name in ("flash-attn", "xformers"):
        assert "this one is the CPU build" in stack_item(data, name)["why"]
    lock = json.loads(Path(data["lock"]).read_text())
    assert not any(p["name"].startswith("nvidia-") for p in lock["packages"])
