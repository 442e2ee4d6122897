"""doctor on real environments made here: healthy, broken the ways people break them, conda-style.

Every test also checks that looking changed nothing: `pip freeze --all` and every file's size
and modification time are the same before and after (no __pycache__ appears either).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envwizard.scripts import doctor_inspect as script

from ..builders import create_argv
from .conftest import doctor, links, python_of, run, snapshot, torch_version, uv, venv_with_uv_torch

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[1] / "data"
CPU_BOX = str(DATA / "facts_cpu_box.json")


def findings(r: subprocess.CompletedProcess[str]) -> dict[tuple[str, str | None], dict]:  # type: ignore[type-arg]
    data = json.loads(r.stdout)
    return {(f["code"], f["package"]): f for f in data["findings"]}


def test_healthy_cpu_torch(healthy_env: Path, tmp_path: Path) -> None:
    before = snapshot(healthy_env)
    r = doctor(str(healthy_env), "--json", cwd=tmp_path)  # this machine's real probe
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["healthy"] is True and data["env"] == str(healthy_env)
    assert data["kind"] == "venv" and data["plan"]["variant"] == "cpu"
    found = findings(r)
    assert found[("DEVICE_CHECK_PASSED", "torch")]["message"].startswith(
        f"torch {torch_version()}+cpu computed a matrix product on cpu"
    )
    assert {f["severity"] for f in found.values()} == {"info"}
    # the active environment, and the interpreter, name the same environment
    r2 = doctor(cwd=tmp_path, env={"VIRTUAL_ENV": str(healthy_env)})
    assert r2.returncode == 0 and "healthy" in r2.stdout
    r3 = doctor("--python", str(python_of(healthy_env)), "--facts", CPU_BOX, cwd=tmp_path)
    assert r3.returncode == 0
    assert snapshot(healthy_env) == before


def test_cpu_torch_with_the_index_cuda_torchvision(torchvision_env: Path, tmp_path: Path) -> None:
    before = snapshot(torchvision_env)
    r = doctor(str(torchvision_env), "--json", "--facts", CPU_BOX, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    found = findings(r)
    f = found[("COMPANION_VARIANT_MISMATCH", "torchvision")]
    assert f["severity"] == "error"
    assert f["message"].startswith(
        "torchvision 0.28.0+cu130 is a cu130 (CUDA 13.0) build, but torch"
    )
    facts = {e["fact"]: e["value"] for e in f["evidence"]}
    assert "libc10_cuda.so" in facts["torchvision's extension needs"]
    assert facts["import torchvision"] == "RuntimeError: operator torchvision::nms does not exist"
    options = f["repair"]["options"]
    assert [o["id"] for o in options] == ["replace", "remove"]
    assert options[1]["steps"] == [
        {
            "action": "uninstall",
            "packages": ["torchvision"],
            "argv": [
                str(python_of(torchvision_env)),
                "-m",
                "pip",
                "uninstall",
                "--yes",
                "torchvision",
            ],
        }
    ]
    assert options[0]["steps"][1]["packages"] == ["torchvision==0.28.*"]
    assert snapshot(torchvision_env) == before
    # the GPU code in the wheel, read without CUDA (the same reader serves torch's library)
    ext = next((torchvision_env / "lib").glob("python3*/site-packages/torchvision/_C.so"))
    assert script.fatbin_archs(str(ext)) == [
        "sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "compute_120", "sm_120",
    ]  # fmt: skip
    text = doctor(str(torchvision_env), "--facts", CPU_BOX, cwd=tmp_path)
    assert "COMPANION_VARIANT_MISMATCH (torchvision)" in text.stdout
    assert (
        "$ " + str(python_of(torchvision_env)) + " -m pip uninstall --yes torchvision"
        in text.stdout
    )


def test_torch_shadowed_by_a_copy_on_pythonpath(healthy_env: Path, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    run([uv(), "pip", "install", "--quiet", "--no-deps", "--target", str(shadow),
         f"torch=={torch_version()}", *links()])  # fmt: skip
    before = snapshot(healthy_env)
    r = doctor(
        str(healthy_env),
        "--json",
        "--facts",
        CPU_BOX,
        cwd=tmp_path,
        env={"PYTHONPATH": str(shadow)},
    )
    assert r.returncode == 1, r.stderr
    found = findings(r)
    f = found[("SHADOWED_TORCH", "torch")]
    assert f["severity"] == "error"
    assert f"from {shadow / 'torch'} (through PYTHONPATH)" in f["message"]
    assert f["repair"]["options"][0]["steps"][0]["action"] == "advice"
    dup = found[("DUPLICATE_DIST", "torch")]
    assert dup["severity"] == "warning" and len(dup["evidence"]) == 2
    assert snapshot(healthy_env) == before
    # without PYTHONPATH the same environment is healthy again
    assert doctor(str(healthy_env), "--facts", CPU_BOX, cwd=tmp_path).returncode == 0


def test_a_torch_folder_where_python_starts(healthy_env: Path, tmp_path: Path) -> None:
    (tmp_path / "torch").mkdir()
    r = doctor(str(healthy_env), "--json", "--facts", CPU_BOX, cwd=tmp_path)
    assert r.returncode == 1
    f = findings(r)[("SHADOWED_TORCH", "torch")]
    assert str(tmp_path / "torch/") in f["message"]


def test_conda_style_environment_by_path_and_by_name(tmp_path: Path) -> None:
    """conda cannot be reached here: a virtualenv with conda's metadata stands in (as the conda
    stand-in makes them), with a conda record of pytorch and a torch pip put over it."""
    root = tmp_path / "conda"
    env = venv_with_uv_torch(root / "envs" / "dl", maker="virtualenv")
    meta = env / "conda-meta"
    meta.mkdir()
    (meta / "history").write_text(
        "==> 2026-01-05 10:00:00 <==\n# cmd: conda create -n dl python=3.11\n"
    )
    record = {
        "name": "pytorch", "version": "2.5.1", "build": "cpu_generic_py311_h1a2b3c4_0",
        "channel": "https://conda.anaconda.org/conda-forge/linux-64", "files": [],
    }  # fmt: skip
    (meta / "pytorch-2.5.1-cpu_generic_py311_h1a2b3c4_0.json").write_text(json.dumps(record))
    before = snapshot(env)
    r = doctor(str(env), "--json", "--facts", CPU_BOX, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    data = json.loads(r.stdout)
    assert data["kind"] == "conda"
    mix = findings(r)[("CONDA_PIP_MIX", "torch")]
    assert (
        "cpu_generic_py311_h1a2b3c4_0" in mix["message"] and "uv installed torch" in mix["message"]
    )
    # by name, through conda's list of environments
    home = tmp_path / "home"
    (home / ".conda").mkdir(parents=True)
    (home / ".conda" / "environments.txt").write_text(f"{env}\n")
    by_name = doctor("dl", "--json", "--facts", CPU_BOX, cwd=tmp_path, env={"HOME": str(home)})
    assert json.loads(by_name.stdout)["env"] == str(env)
    # the active conda environment
    active = doctor("--json", "--facts", CPU_BOX, cwd=tmp_path, env={"CONDA_PREFIX": str(env)})
    assert json.loads(active.stdout)["env"] == str(env)
    assert snapshot(env) == before


def test_a_uv_environment_without_pip(tmp_path: Path) -> None:
    """uv environments have no pip: doctor reads them all the same, and repairs with uv."""
    env = tmp_path / "envU"
    # This Python, not whichever uv finds first: the local CPU wheel is built for it alone, and
    # any other would bring PyTorch's default (CUDA, several GB) from the index.
    run(create_argv("uv", env))
    run([uv(), "pip", "install", "--quiet", "--python", str(python_of(env)),
         f"torch=={torch_version()}", *links()])  # fmt: skip
    files = sorted(str(p) for p in env.rglob("*"))
    r = doctor(str(env), "--json", "--facts", CPU_BOX, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["kind"] == "uv"
    numpy = findings(r)[("NUMPY_MISSING", "numpy")]
    argv = numpy["repair"]["options"][0]["steps"][0]["argv"]
    assert argv[1:5] == ["pip", "install", "--python", str(python_of(env))]
    assert os.path.basename(argv[0]).startswith("uv")
    assert sorted(str(p) for p in env.rglob("*")) == files  # no __pycache__ written
    assert shutil.which(argv[0]) or Path(argv[0]).is_file()


def test_a_numpy_1_extension_under_numpy_2(tmp_path: Path) -> None:
    """scipy 1.10.0 was built against NumPy 1: beside NumPy 2 its import dies with
    `_ARRAY_API not found` (reproduced here); doctor names it without importing it."""
    env = tmp_path / "env"
    run([sys.executable, "-m", "venv", str(env)])
    py = str(python_of(env))
    run([py, "-m", "pip", "install", "--quiet", "numpy==2.1.3"])
    run([py, "-m", "pip", "install", "--quiet", "--no-deps", "scipy==1.10.0"])
    broken = subprocess.run([py, "-c", "import scipy.linalg"], capture_output=True, text=True)
    assert "_ARRAY_API not found" in broken.stderr + broken.stdout
    before = snapshot(env)
    r = doctor(str(env), "--json", "--facts", CPU_BOX, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    found = findings(r)
    f = found[("NUMPY_ABI", "scipy")]
    assert f["message"] == "scipy was compiled against NumPy 1.x and cannot run with NumPy 2.1.3."
    assert f["repair"]["options"][0]["steps"][0]["packages"] == ["numpy<2"]
    pip = found[("PIP_CHECK_CONFLICT", "scipy")]
    assert "numpy<1.27.0,>=1.19.5 is required, but numpy 2.1.3 is installed" in pip["message"]
    assert found[("TORCH_MISSING", "torch")]["severity"] == "info"
    assert snapshot(env) == before


def test_a_paste_checked_against_the_environment(torchvision_env: Path, tmp_path: Path) -> None:
    """pytorch#122494's error, pasted with the environment it came from: the same code there."""
    paste = (DATA / "doctor" / "pastes" / "torchvision-nms-cpu-torch.txt").read_text()
    f = tmp_path / "error.txt"
    f.write_text(paste.partition("\n\n")[2])
    r = doctor("--traceback", str(f), str(torchvision_env), "--facts", CPU_BOX, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    paragraph, _, rest = r.stdout.partition("\n\n")
    assert "is COMPANION_VARIANT_MISMATCH" in paragraph
    assert rest.startswith(f"In {torchvision_env} doctor finds the same: torchvision 0.28.0+cu130")
