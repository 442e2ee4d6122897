"""End to end: `envwizard --answers` builds a real torch environment, verifies it, benchmarks it.

Torch comes from pip's configured wheel folder when it holds one (offline machines), else
from PyTorch's CPU index — so the test runs the same way here and on a machine with internet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ..conftest import local_torch_version, pip_find_links
from .conftest import run_envwizard

SUMMARY_KEYS = (
    "device", "device_name", "world_size", "dtype", "preset", "samples_per_s", "tflops", "mfu",
    "loss_first", "loss_last", "accuracy", "batch", "model",
)  # fmt: skip


def torch_answers(env: Path) -> str:
    version = local_torch_version()
    lines = [f"manager: uv\nenv: {env}\npython: {sys.executable}"]
    if version:
        folder = next(f for f in pip_find_links() if any(f.glob(f"torch-{version}*.whl")))
        lines.append(f"torch: '=={version}'\ntorch_index: default\nfind_links: [{folder}]")
    else:
        lines.append("compute: cpu\ntorch: '>=2.9'")
    lines.append("benchmark: {enabled: true, device: cpu, preset: tiny, seconds: 3}")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.timed
def test_uv_environment_with_real_torch_verified_and_benchmarked(tmp_path: Path) -> None:
    env = tmp_path / "env"
    answers = tmp_path / "torch.yaml"
    answers.write_text(torch_answers(env))
    report = tmp_path / "out" / "report.json"
    r = run_envwizard(
        "--answers", str(answers), "--yes", "--report", str(report), state=tmp_path / "state"
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]

    data = json.loads(report.read_text())
    assert [s["id"] for s in data["steps"]] == [
        "create-env",
        "install-torch",
        "pin",
        "verify",
        "benchmark",
    ]
    assert all(s["status"] == "ok" and Path(s["log"]).is_file() for s in data["steps"])
    verify = data["verify"]
    assert verify["ok"] is True and verify["torch_version"].startswith(
        data["decision"]["torch"].rstrip("*")
    )
    assert verify["cuda_available"] is False and verify["matmul"][0]["ok"] is True
    bench = data["benchmark"]
    assert all(k in bench for k in SUMMARY_KEYS)
    assert bench["device"] == "cpu" and bench["world_size"] == 1
    assert bench["loss_last"] < bench["loss_first"]
    assert (report.with_suffix(".md")).read_text().startswith("# envwizard report: done")
    # The pin guard names the exact build that was verified.
    pinned = (env / "envwizard-constraints.txt").read_text().splitlines()[-1]
    assert pinned == f"torch=={verify['torch_version']}"
    assert "Done. Activate with: source" in r.stdout
