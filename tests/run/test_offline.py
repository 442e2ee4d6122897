"""An air-gapped install: a wheelhouse made beforehand, then `offline: true` with no network.

"No network" is enforced, not assumed: every proxy variable points at a closed local port, so
any attempt to reach an index fails at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from envwizard.knowledge import load

from ..conftest import local_torch_version
from .conftest import run_envwizard

DEAD = "http://127.0.0.1:9"


@pytest.mark.slow
def test_wheelhouse_only_install_needs_no_network(tmp_path: Path) -> None:
    wheels = tmp_path / "wheelhouse"
    version = local_torch_version()
    source = [f"torch=={version}"] if version else ["torch", "--index-url", load().index_url("cpu")]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(wheels), *source],
        check=True,
        timeout=1800,
        stdin=subprocess.DEVNULL,
    )
    pinned = next(wheels.glob("torch-*.whl")).name.split("-")[1]
    env = tmp_path / "env"
    answers = tmp_path / "offline.yaml"
    answers.write_text(
        f"manager: uv\nenv: {env}\npython: {sys.executable}\ntorch: '=={pinned.split('+')[0]}'\n"
        f"torch_index: default\nfind_links: [{wheels}]\noffline: true\nbenchmark: false\n"
        "stack: torch\n"  # the wheelhouse holds torch and what it needs
    )
    report = tmp_path / "report.json"
    cut_off = {
        k: DEAD
        for k in (
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        )
    }
    r = run_envwizard(
        "--answers", str(answers), "--yes", "--report", str(report),
        state=tmp_path / "state", env={**cut_off, "NO_PROXY": "", "no_proxy": ""}, timeout=900,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    data = json.loads(report.read_text())
    install = next(s for s in data["steps"] if s["id"] == "install-torch")
    assert "--no-index" in Path(install["log"]).read_text().splitlines()[0]
    assert data["verify"]["ok"] is True
    assert data["verify"]["torch_version"] == pinned
