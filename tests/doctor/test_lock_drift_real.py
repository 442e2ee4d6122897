"""An environment envwizard made, changed afterwards by a plain `pip install`: doctor compares it
with the lock envwizard left inside, names what changed, and `--fix` installs the locked
versions again through the resolve, the runner and the undo (real CPU torch, real pip)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from envwizard.plan.build import STATE_FILE
from envwizard.plan.lock import LOCK_FILE

from ..builders import run_envwizard
from .conftest import doctor, python_of, run, torch_version
from .test_fix import CPU_BOX, freeze

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths in the answers"),
]


def findings(stdout: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {f["code"]: f for f in json.loads(stdout)["findings"]}


def test_numpy_downgraded_after_the_lock_is_found_and_restored(tmp_path: Path) -> None:
    version = torch_version()
    env = tmp_path / "env"
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "".join(
            f"{k}: {json.dumps(v)}\n"
            for k, v in {
                "manager": "venv",
                "env": str(env),
                "python": sys.executable,
                "benchmark": False,
                "compute": "cpu",
                "torch_index": "default",
                "torch": f"=={version}",
                "packages": ["numpy==2.2.6"],
                "stack": "torch",
            }.items()
        )
    )
    made = run_envwizard("--answers", str(answers), state=tmp_path / "state", timeout=1500)
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-2000:]
    assert (env / STATE_FILE).is_file() and (env / LOCK_FILE).is_file()
    lock_before = (env / LOCK_FILE).read_bytes()
    locked = freeze(env)
    assert "numpy==2.2.6" in locked

    r = doctor(str(env), "--json", "--facts", str(CPU_BOX), cwd=tmp_path)
    assert "LOCK_DRIFT" not in findings(r.stdout), r.stdout

    # a later pip install, as people do: NumPy 1 in place of the locked NumPy 2
    run([str(python_of(env)), "-m", "pip", "install", "--quiet", "numpy==1.26.4"])
    r = doctor(str(env), "--json", "--facts", str(CPU_BOX), cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    f = findings(r.stdout)["LOCK_DRIFT"]
    assert f["severity"] == "warning"
    assert "numpy 2.2.6 → 1.26.4" in f["message"] and str(env / LOCK_FILE) in f["message"]
    (option,) = f["repair"]["options"]
    assert option["steps"][0]["packages"] == ["numpy==2.2.6"]
    assert "numpy==1.26.4" in freeze(env)  # diagnosing changed nothing

    fixed = doctor(str(env), "--fix", "--yes", "--facts", str(CPU_BOX), cwd=tmp_path)
    said = " ".join(fixed.stdout.split())
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "numpy: 1.26.4 → 2.2.6" in said  # what the repair's resolve locked, shown first
    assert "is healthy now" in said
    assert freeze(env) == locked
    # the environment's own lock and state are as envwizard left them
    assert (
        json.loads((env / LOCK_FILE).read_text())["packages"] == json.loads(lock_before)["packages"]
    )
    report = Path(said.split("report: ")[1].split()[0])
    data = json.loads(report.read_text())
    assert data["doctor"]["fixed"] == ["LOCK_DRIFT"]
    repair_lock = json.loads(Path(data["lock"]).read_text())
    assert [(p["name"], p["version"]) for p in repair_lock["packages"]] == [("numpy", "2.2.6")]
    r = doctor(str(env), "--json", "--facts", str(CPU_BOX), cwd=tmp_path)
    assert "LOCK_DRIFT" not in findings(r.stdout)
