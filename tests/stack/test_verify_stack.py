"""scripts/verify_stack.py, run by real environments: each check passes where the package works,
and a failure names the package and its cause in one line.

The CPU environment (tests/stack/conftest.py) holds torch, numpy, the LLM set, jax,
tensorflow-cpu and ipykernel. Broken set-ups are made by putting packages in front of it with
PYTHONPATH: a CUDA-built torchvision beside the CPU torch, a numpy that cannot be imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from envwizard.core.versions import major_minor
from envwizard.knowledge.stack import load_stack
from envwizard.plan.build import script_path

from .conftest import local_sources

SCRIPT = script_path("verify_stack.py")


def verify(
    python: Path | str, *args: str, env: dict[str, str] | None = None
) -> tuple[dict[str, Any], int]:
    r = subprocess.run(
        [str(python), SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, r.stdout[-2000:] + r.stderr[-2000:]
    return json.loads(lines[0]), r.returncode


def by_name(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in out["packages"]}


def with_path(overlay: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(overlay)}


def test_without_torch_every_check_fails_with_the_import_error() -> None:
    out, rc = verify(sys.executable, "--check", "numpy", "--check", "llm")
    assert rc == 1 and out["ok"] is False
    assert [p["name"] for p in out["packages"]] == [
        "numpy", "transformers", "peft", "accelerate", "datasets",
    ]  # fmt: skip
    for p in out["packages"]:
        assert p["ok"] is False
        assert p["cause"].startswith("import torch failed: ModuleNotFoundError")
        assert "\n" not in p["cause"]


@pytest.mark.slow
def test_the_cpu_stack_passes_every_check_with_no_download(
    stack_python: Path, tmp_path: Path
) -> None:
    data = tmp_path / "jupyter"
    env = {**os.environ, "JUPYTER_DATA_DIR": str(data), "HF_HOME": str(tmp_path / "hf")}
    subprocess.run(
        [str(stack_python), "-m", "ipykernel", "install", "--user", "--name", "stack-test"],
        check=True,
        env=env,
        capture_output=True,
        timeout=300,
    )
    out, rc = verify(
        stack_python,
        *("--check", "numpy", "--check", "llm", "--check", "jax=cpu"),
        *("--check", "tensorflow=cpu", "--check", "jupyter", "--kernel", "stack-test"),
        env=env,
    )
    rows = by_name(out)
    assert rc == 0 and out["ok"] is True, out
    assert set(rows) == {
        "numpy", "transformers", "peft", "accelerate", "datasets", "jax", "tensorflow",
        "ipykernel",
    }  # fmt: skip
    for p in rows.values():
        assert p["ok"] and p["cause"] is None and p["version"] and p["device"] == "cpu", p
    assert 0 < rows["transformers"]["loss"] < 10
    assert rows["ipykernel"]["kernel"] == "stack-test"
    assert rows["ipykernel"]["kernel_torch"]
    assert out["numpy_warning"] is None
    # Nothing was fetched: the hub cache the checks would have used stayed empty.
    assert not (tmp_path / "hf").exists() or not any((tmp_path / "hf").rglob("*.safetensors"))


@pytest.mark.slow
def test_a_cuda_torchvision_beside_the_cpu_torch_fails_nms(
    stack_python: Path, overlay: Path
) -> None:
    """torchvision pins torch==X.Y.Z, which a +cpu build meets; the CUDA wheel installs and then
    lacks its CPU kernels: "operator torchvision::nms does not exist"."""
    torch = subprocess.run(
        [str(stack_python), "-c", "import importlib.metadata as m; print(m.version('torch'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert torch.endswith("+cpu"), torch
    row = load_stack().companion("torchvision", major_minor(torch))
    assert row is not None
    req = f"torchvision=={row.lines[major_minor(torch)]}.*" if row.lines else row.requirement
    target = ["--no-deps", "--target", str(overlay), str(req)]
    r = subprocess.run(
        [str(stack_python), "-m", "pip", "install", *target, *local_sources()],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    out, rc = verify(stack_python, "--check", "torchvision", env=with_path(overlay))
    tv = by_name(out)["torchvision"]
    assert rc == 1 and tv["ok"] is False
    assert "torchvision::nms does not exist" in tv["cause"], tv


@pytest.mark.slow
def test_import_torch_without_numpy_is_caught(stack_python: Path, overlay: Path) -> None:
    (overlay / "numpy").mkdir()
    # What an environment without numpy looks like to torch's import (it catches exactly this).
    missing = "raise ModuleNotFoundError(\"No module named 'numpy'\", name='numpy')\n"
    (overlay / "numpy" / "__init__.py").write_text(missing)
    out, rc = verify(stack_python, "--check", "numpy", env=with_path(overlay))
    assert rc == 1
    assert out["numpy_warning"].startswith("Failed to initialize NumPy")
    assert by_name(out)["numpy"]["cause"].startswith("import torch warned: Failed to initialize")


@pytest.mark.slow
def test_wrong_device_missing_package_and_the_lock(stack_python: Path) -> None:
    out, rc = verify(
        stack_python,
        *("--check", "jax=gpu", "--check", "torchaudio", "--check", "numpy"),
        *("--check", "nonsense", "--expect", "numpy==0.0.1"),
    )
    rows = by_name(out)
    assert rc == 1
    assert rows["jax"]["cause"] == "jax runs on cpu, gpu was expected"
    assert rows["torchaudio"]["cause"] == "ModuleNotFoundError: No module named 'torchaudio'"
    assert rows["numpy"]["cause"].endswith("the lock says 0.0.1")
    assert rows["nonsense"]["cause"] == "envwizard has no check named 'nonsense'"
