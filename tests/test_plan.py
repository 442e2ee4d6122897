"""The planner: exact argv per manager and OS, the options applied exactly, determinism, and
(for venv, virtualenv and uv) the create and install commands really run.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from envwizard.core.errors import InvalidInput
from envwizard.core.notes import NoteCode
from envwizard.facts.load import facts_from_dict
from envwizard.facts.model import Facts
from envwizard.knowledge import load
from envwizard.plan.build import CONSTRAINTS_FILE, Plan, make_plan, script_path
from envwizard.settings.answers import validate

KB = load()
CU126 = KB.index_url("cu126")
CPU = KB.index_url("cpu")
PY = "/usr/bin/python3.11"
ENV = "/srv/envs/dl"
ENV_PY = f"{ENV}/bin/python"
# --no-compile: the verify step's first import writes the bytecode of what torch loads.
PIP = [ENV_PY, "-m", "pip", "install", "--no-input", "--disable-pip-version-check", "--no-compile"]
PIP_OFF = [*PIP, "--progress-bar", "off"]
GTX1080 = {"vendor": "nvidia", "name": "NVIDIA GeForce GTX 1080", "compute_capability": "6.1"}
RX7900 = {"vendor": "amd", "name": "AMD Radeon RX 7900 XTX", "arch": "gfx1100"}


def machine(
    *gpus: dict[str, Any],
    system: str = "Linux",
    arch: str = "x86_64",
    python: dict[str, Any] | None = None,
    driver: str | None = "580.95.05",
    macos: str | None = None,
    **extra: Any,
) -> Facts:
    data = {
        "schema": 1,
        "os": {"system": system, "machine": arch, "macos_version": macos}
        | {"glibc": "2.35" if system == "Linux" else None, "wsl": False},
        "python": python or {"version": "3.11.9", "executable": PY},
        "gpus": list(gpus),
        "nvidia_driver": driver if gpus else None,
        **extra,
    }
    return facts_from_dict(json.loads(json.dumps(data)))


LINUX = machine(GTX1080)
WINDOWS = machine(GTX1080, system="Windows", arch="AMD64", python={"version": "3.11.9"} | {
    "executable": "C:\\Python311\\python.exe"
})  # fmt: skip
CONDA = {"conda": {"path": "/opt/conda/bin/conda", "envs_dir": "/opt/conda/envs"}}


def plan(facts: Facts = LINUX, **answers: Any) -> Plan:
    return make_plan(facts, validate({"env": ENV, **answers}, cwd="/work"), KB)


def argv(p: Plan, step_id: str) -> list[str]:
    return p.step(step_id).argv


# ---- the steps, manager by manager ------------------------------------------------------------


@pytest.mark.parametrize(
    ("manager", "create"),
    [
        ("venv", [PY, "-m", "venv", ENV]),
        ("virtualenv", ["virtualenv", ENV, "--python", PY, "--no-periodic-update"]),
        ("uv", ["uv", "venv", ENV, "--python", PY]),
        ("conda", ["conda", "create", "--yes", "--prefix", ENV, "python=3.11", "pip", "--override-channels", "--channel", "conda-forge"]),
        ("mamba", ["mamba", "create", "--yes", "--prefix", ENV, "python=3.11", "pip", "--override-channels", "--channel", "conda-forge"]),
        ("micromamba", ["micromamba", "create", "--yes", "--prefix", ENV, "python=3.11", "pip", "--override-channels", "--channel", "conda-forge"]),
    ],
)  # fmt: skip
def test_create_step_per_manager(manager: str, create: list[str]) -> None:
    p = plan(manager=manager)
    assert argv(p, "create-env") == create
    assert (p.env_path, p.env_python, p.manager) == (ENV, ENV_PY, manager)
    assert [s.id for s in p.steps] == ["create-env", "install-torch", "pin", "verify", "benchmark"]
    assert p.step("create-env").kind == "create-env"


@pytest.mark.parametrize("manager", ["venv", "virtualenv", "conda", "mamba", "micromamba"])
def test_torch_step_with_pip(manager: str) -> None:
    p = plan(manager=manager, packages=["torchvision", "torchaudio"])
    progress = "raw" if manager in ("conda", "mamba", "micromamba") else "off"
    assert argv(p, "install-torch") == [
        *PIP,
        "--progress-bar",
        progress,
        "torch==2.14.*",
        "torchvision==0.29.*",
        "torchaudio==2.11.*",
        "--index-url",
        CU126,
    ]
    assert p.step("install-torch").title == "Install torch 2.14.* (cu126)"


def test_torch_and_packages_with_uv() -> None:
    p = plan(manager="uv", packages=["torchvision", "numpy<3"])
    uv_pip = ["uv", "pip", "install", "--python", ENV_PY]
    assert argv(p, "install-torch") == [
        *uv_pip,
        "torch==2.14.*",
        "torchvision==0.29.*",
        "pip",  # so that pip after activation installs here, with the pin
        "--index-url",
        CU126,
    ]
    assert argv(p, "install-packages") == [
        *uv_pip,
        "numpy<3",
        "--constraint",
        f"{ENV}/{CONSTRAINTS_FILE}",
    ]
    assert p.step("install-torch").progress == "uv"


def test_tools_found_by_the_probe_are_called_by_path() -> None:
    facts = machine(GTX1080, managers={"uv": {"path": "/opt/uv/bin/uv"}} | {
        "virtualenv": {"path": "/opt/venvs/bin/virtualenv"}})  # fmt: skip
    assert argv(plan(facts, manager="uv"), "create-env")[0] == "/opt/uv/bin/uv"
    assert argv(plan(facts, manager="uv"), "install-torch")[0] == "/opt/uv/bin/uv"
    assert argv(plan(facts, manager="virtualenv"), "create-env")[0] == "/opt/venvs/bin/virtualenv"


def test_other_packages_are_installed_under_the_pin() -> None:
    p = plan(packages=["torchvision", "numpy<3", "pillow[avif]"])
    assert [s.id for s in p.steps] == [
        "create-env",
        "install-torch",
        "pin",
        "install-packages",
        "verify",
        "benchmark",
    ]
    assert argv(p, "pin") == [
        ENV_PY,
        script_path("pin.py"),
        "--prefix",
        ENV,
        "torch",
        "torchvision",
    ]
    assert argv(p, "install-packages") == [
        *PIP_OFF,
        "numpy<3",
        "pillow[avif]",
        "--constraint",
        f"{ENV}/{CONSTRAINTS_FILE}",
    ]
    assert p.step("install-packages").title == "Install numpy<3, pillow[avif]"


def test_python_version_requests() -> None:
    # A version that the facts do not have: the tool finds (or downloads) it.
    assert argv(plan(manager="uv", python="3.12"), "create-env")[-1] == "3.12"
    assert argv(plan(manager="virtualenv", python="3.12"), "create-env")[3] == "3.12"
    assert argv(plan(python="3.12"), "create-env")[0] == "python3.12"
    assert "python=3.12.4" in argv(plan(manager="conda", python="3.12.4"), "create-env")
    # A version the facts have: that interpreter.
    facts = machine(GTX1080, pythons=[{"version": "3.12.4", "executable": "/opt/py312/bin/python"}])
    assert argv(plan(facts, python="3.12"), "create-env")[0] == "/opt/py312/bin/python"
    assert argv(plan(facts, manager="uv", python="3.12"), "create-env")[-1] == "3.12"


# ---- existing environments ---------------------------------------------------------------------


@pytest.mark.parametrize("manager", ["venv", "virtualenv", "uv"])
def test_recreate_adds_the_tools_clear_flag(manager: str) -> None:
    assert "--clear" not in argv(plan(manager=manager), "create-env")
    assert argv(plan(manager=manager, existing="recreate"), "create-env")[-1] == "--clear"
    assert "--clear" not in argv(plan(manager=manager, existing="reuse"), "create-env")


@pytest.mark.parametrize("manager", ["conda", "mamba", "micromamba"])
def test_conda_create_replaces_with_yes_alone(manager: str) -> None:
    # `create --yes` already replaces a prefix; no extra flag.
    assert argv(plan(manager=manager, existing="recreate"), "create-env") == argv(
        plan(manager=manager), "create-env"
    )


# ---- conda specifics ---------------------------------------------------------------------------


def test_conda_named_env_needs_envs_dir() -> None:
    with pytest.raises(InvalidInput, match=r"cannot tell where conda .*\(conda was not found\)"):
        make_plan(LINUX, validate({"env": "dl", "manager": "conda"}), KB)
    # Hand-written facts that name conda but not its envs directory: say which key is missing.
    no_dir = machine(GTX1080, managers={"conda": {"path": "/opt/conda/bin/conda"}})
    with pytest.raises(InvalidInput, match=r"facts do not say .*managers\.conda\.envs_dir"):
        make_plan(no_dir, validate({"env": "dl", "manager": "conda"}), KB)
    facts = machine(GTX1080, managers=CONDA)
    p = make_plan(facts, validate({"env": "dl", "manager": "conda"}), KB)
    assert p.env_path == "/opt/conda/envs/dl"
    assert argv(p, "create-env")[:5] == [
        "/opt/conda/bin/conda",
        "create",
        "--yes",
        "--prefix",
        "/opt/conda/envs/dl",
    ]
    assert p.activate == "conda activate dl"


def test_conda_forge_torch() -> None:
    p = plan(manager="conda", torch_source="conda-forge", packages=["torchvision", "numpy"])
    assert argv(p, "install-torch") == [
        "conda",
        "install",
        "--yes",
        "--prefix",
        ENV,
        "pytorch=2.13.*=cuda*",
        "torchvision=0.28.*",
        "cuda-version=12.9",
        "--override-channels",
        "--channel",
        "conda-forge",
    ]
    assert argv(p, "pin")[-3:] == ["--conda", "torch", "torchvision"]
    # Other packages still come from pip, under the pin.
    assert argv(p, "install-packages")[:4] == [ENV_PY, "-m", "pip", "install"]


def test_conda_forge_cpu_and_exact_pin() -> None:
    p = plan(machine(), manager="micromamba", torch_source="conda-forge", torch="==2.13.0")
    assert argv(p, "install-torch")[5:6] == ["pytorch=2.13.0=cpu*"]


def test_conda_cannot_be_offline() -> None:
    with pytest.raises(InvalidInput, match="offline: conda cannot create"):
        plan(manager="conda", offline=True, find_links=["/opt/wheels"])


# ---- indexes, mirrors, wheelhouses -------------------------------------------------------------


def test_index_url_is_for_the_other_packages() -> None:
    p = plan(packages=["numpy"], index_url="https://mirror.example/simple")
    assert argv(p, "install-torch")[-2:] == ["--index-url", CU126]
    assert argv(p, "install-packages")[-4:-2] == ["--index-url", "https://mirror.example/simple"]


def test_torch_index_mirror() -> None:
    p = plan(torch_index="https://mirror.example/pytorch/whl")
    assert argv(p, "install-torch")[-2:] == [
        "--index-url",
        "https://mirror.example/pytorch/whl/cu126",
    ]


def test_torch_index_default_uses_the_installers_index_or_index_url() -> None:
    p = plan(torch_index="default")
    assert "--index-url" not in argv(p, "install-torch")
    p = plan(torch_index="default", index_url="https://mirror.example/simple")
    assert argv(p, "install-torch")[-2:] == ["--index-url", "https://mirror.example/simple"]


def test_macos_wheel_comes_from_the_default_index_or_the_mirror() -> None:
    facts = machine(system="Darwin", arch="arm64", macos="14.5")
    assert "--index-url" not in argv(plan(facts), "install-torch")
    p = plan(facts, index_url="https://mirror.example/simple")
    assert argv(p, "install-torch")[-2:] == ["--index-url", "https://mirror.example/simple"]


def test_find_links_on_every_install() -> None:
    p = plan(packages=["numpy"], find_links=["/opt/wheels", "https://w.example/links"])
    links = ["--find-links", "/opt/wheels", "--find-links", "https://w.example/links"]
    assert argv(p, "install-torch")[-6:] == ["--index-url", CU126, *links]
    assert argv(p, "install-packages")[-6:] == [*links, "--constraint", f"{ENV}/{CONSTRAINTS_FILE}"]


@pytest.mark.parametrize("manager", ["venv", "uv"])
def test_offline_uses_no_index(manager: str) -> None:
    p = plan(manager=manager, packages=["numpy"], offline=True, find_links=["/opt/wheels"])
    for step in ("install-torch", "install-packages"):
        args = argv(p, step)
        assert "--no-index" in args and "--index-url" not in args
        assert args[args.index("--find-links") + 1] == "/opt/wheels"


# ---- the interpreter and its pip ----------------------------------------------------------------


def test_missing_ensurepip_refuses_venv_with_the_apt_hint() -> None:
    facts = machine(GTX1080, python={"version": "3.11.2", "executable": PY, "has_ensurepip": False})
    with pytest.raises(InvalidInput) as e:
        plan(facts)
    assert "apt install python3.11-venv" in str(e.value)
    assert "manager: virtualenv or uv" in str(e.value)
    assert plan(facts, manager="virtualenv")  # virtualenv seeds pip itself


def test_missing_venv_module_refuses_venv() -> None:
    facts = machine(GTX1080, python={"version": "3.11.2", "executable": PY, "has_venv": False})
    with pytest.raises(InvalidInput, match="has no venv module"):
        plan(facts)


@pytest.mark.parametrize(
    ("pip", "bar"), [("24.1", "raw"), ("26.3", "raw"), ("24.0", "off"), ("23.2.1", "off")]
)
def test_pip_raw_progress_only_where_pip_has_it(pip: str, bar: str) -> None:
    facts = machine(GTX1080, python={"version": "3.11.9", "executable": PY, "ensurepip_pip": pip})
    step = plan(facts).step("install-torch")
    assert step.argv[step.argv.index("--progress-bar") + 1] == bar
    assert step.progress == ("pip-raw" if bar == "raw" else None)


@pytest.mark.parametrize(
    ("version", "bar"), [("20.26.3", "raw"), ("20.26.2", "off"), (None, "off")]
)
def test_virtualenv_seeds_a_pip_with_raw_progress(version: str | None, bar: str) -> None:
    facts = machine(GTX1080, managers={"virtualenv": {"version": version}})
    args = argv(plan(facts, manager="virtualenv"), "install-torch")
    assert args[args.index("--progress-bar") + 1] == bar


# ---- verify and benchmark ----------------------------------------------------------------------


def test_verify_step_checks_what_was_decided() -> None:
    p = plan()
    assert argv(p, "verify") == [
        ENV_PY,
        script_path("verify.py"),
        "--device",
        "cuda",
        "--cc",
        "6.1",
        "--gpus",
        "1",
        "--variant",  # the build chosen by name must be the one installed
        p.decision.variant,
    ]
    amd = plan(machine(RX7900))
    assert argv(amd, "verify")[2:] == [
        "--device", "cuda", "--gfx", "gfx1100", "--gpus", "1", "--variant", amd.decision.variant,
    ]  # fmt: skip
    assert argv(plan(machine()), "verify")[2:] == ["--device", "cpu", "--variant", "cpu"]
    default = plan(machine(), torch_index="default")
    assert default.decision.variant == "default" and "--variant" not in argv(default, "verify")


def test_benchmark_step() -> None:
    p = plan(benchmark={"seconds": 12.5, "preset": "tiny", "dtype": "fp32"})
    step = p.step("benchmark")
    assert step.optional and step.kind == "bench"
    assert step.argv[2:] == [
        "--device",
        "auto",
        "--preset",
        "tiny",
        "--seconds",
        "12.5",
        "--dtype",
        "fp32",
    ]
    assert argv(plan(), "benchmark")[argv(plan(), "benchmark").index("--seconds") + 1] == "30"
    multi = argv(plan(benchmark={"nproc": 2}), "benchmark")
    assert multi[:5] == [
        ENV_PY,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
    ]
    assert "benchmark" not in [s.id for s in plan(benchmark=False).steps]


# ---- Windows -------------------------------------------------------------------------------------


def test_windows_paths_and_command_lines() -> None:
    a = {"env": "C:\\envs\\my env", "manager": "venv", "packages": ["numpy<3"]}
    p = make_plan(WINDOWS, validate(a), KB)
    env_py = "C:\\envs\\my env\\Scripts\\python.exe"
    assert p.windows and p.env_python == env_py
    assert argv(p, "create-env") == ["C:\\Python311\\python.exe", "-m", "venv", "C:\\envs\\my env"]
    assert p.command_line(p.step("install-packages")).startswith(f'"{env_py}" -m pip install')
    assert " numpy<3 " in p.command_line(p.step("install-packages"))
    assert p.activate == "& 'C:\\envs\\my env\\Scripts\\Activate.ps1'"
    assert argv(p, "install-packages")[-1] == "C:\\envs\\my env\\envwizard-constraints.txt"


def test_windows_conda_python_and_py_launcher() -> None:
    conda = make_plan(WINDOWS, validate({"env": "C:\\envs\\dl", "manager": "conda"}), KB)
    assert conda.env_python == "C:\\envs\\dl\\python.exe"
    assert conda.activate == "conda activate C:\\envs\\dl"
    venv = make_plan(WINDOWS, validate({"env": "C:\\envs\\dl", "python": "3.12"}), KB)
    assert argv(venv, "create-env") == ["py", "-3.12", "-m", "venv", "C:\\envs\\dl"]


def test_posix_command_line_quotes() -> None:
    p = plan(packages=["numpy<3"])
    assert p.command_line(p.step("install-torch")).endswith(f"'torch==2.14.*' --index-url {CU126}")
    assert "'numpy<3'" in p.command_line(p.step("install-packages"))
    assert p.activate == f"source {ENV}/bin/activate"


# ---- the plan as a whole ---------------------------------------------------------------------------


def test_plan_json_contract_and_determinism() -> None:
    answers = {"packages": ["torchvision", "numpy"], "index_url": "https://m.example/simple"}
    first = json.dumps(plan(**answers).to_dict())
    for _ in range(3):
        assert json.dumps(plan(**answers).to_dict()) == first
    data = json.loads(first)
    assert {"variant", "torch", "index_url", "reasons"} <= set(data["decision"])
    assert data["decision"]["variant"] == "cu126" and data["decision"]["torch"] == "2.14.*"
    for s in data["steps"]:
        assert isinstance(s["id"], str) and isinstance(s["title"], str)
        assert all(isinstance(x, str) for x in s["argv"])
    assert data["env"] == {"path": ENV, "python": ENV_PY, "manager": "venv"} | {
        "activate": f"source {ENV}/bin/activate",
        "install_more": f"{ENV_PY} -m pip install PACKAGE",
    }
    assert data["installer"]["name"] == "pip"  # facts without pip's configuration: pip itself


@pytest.mark.parametrize(
    ("facts", "kind"),
    [
        (LINUX, "cuda"),
        (machine(), "cpu"),
        (machine(RX7900), "rocm"),
        (machine(system="Darwin", arch="arm64", macos="14.5"), "mps"),
    ],
)
def test_estimate_follows_the_build_kind(facts: Facts, kind: str) -> None:
    p = plan(facts)
    assert p.decision.kind == kind and p.estimate_mib == KB.size_mib[kind]


def test_a_python_the_machine_lacks_is_flagged_for_venv() -> None:
    facts = machine(GTX1080, pythons=[{"version": "3.12.4", "executable": "/opt/py312/bin/python"}])
    p = plan(facts, python="3.10")
    [missing] = [w for w in p.warnings if w.code is NoteCode.PYTHON_MISSING]
    assert "Python 3.10 is not among the interpreters" in missing.text
    assert "python3.10" in missing.text
    for other in (plan(facts, python="3.10", manager="uv"), plan(facts, python="3.12")):
        assert NoteCode.PYTHON_MISSING not in {w.code for w in other.warnings}


def test_path_warnings() -> None:
    p = make_plan(LINUX, validate({"env": "/srv/my envs/dl"}), KB)
    assert [w.text for w in p.warnings if w.code is NoteCode.PATH_SPACE] == [
        "the environment path has a space (/srv/my envs/dl); some build tools break on such paths"
    ]
    p = make_plan(LINUX, validate({"env": "/srv/环境/dl"}), KB)
    [ascii_] = [w for w in p.warnings if w.code is NoteCode.PATH_NON_ASCII]
    assert "non-ASCII characters (环)" in ascii_.text  # the character, not its Unicode name
    assert ascii_.code.about_env_path
    # the decision's warnings come first
    assert [w.code for w in p.warnings] == [NoteCode.DRIVER_EOL, NoteCode.PATH_NON_ASCII]
    assert p.warnings[0].text.startswith("GeForce GTX 1080")
    p = make_plan(LINUX, validate({"env": "/srv/e\u0301nv"}), KB)  # a combining accent: named
    assert any("COMBINING ACUTE ACCENT" in w.text for w in p.warnings)


# ---- the commands really run (venv, virtualenv, uv) -----------------------------------------------


def tiny_wheel(folder: Path) -> Path:
    """A minimal pure-Python wheel, so installs run offline."""
    name, version = "envwizard_tiny", "1.0"
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": b"VALUE = 42\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([path, f"sha256={digest}", len(data)])
    writer.writerow([f"{dist}/RECORD", "", ""])
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
        z.writestr(f"{dist}/RECORD", record.getvalue())
    return wheel


def tool(name: str) -> str | None:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


@pytest.mark.slow
@pytest.mark.parametrize("manager", ["venv", "virtualenv", "uv"])
def test_create_and_install_steps_run_for_real(tmp_path: Path, manager: str) -> None:
    if manager != "venv" and tool(manager) is None:
        pytest.skip(f"{manager} is not installed")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    tiny_wheel(wheels)
    version = ".".join(map(str, sys.version_info[:3]))
    managers = {m: {"path": tool(m)} for m in ("uv", "virtualenv") if tool(m)}
    facts = machine(python={"version": version, "executable": sys.executable}, managers=managers)
    env = tmp_path / "env"
    answers = {"env": str(env), "manager": manager, "packages": ["envwizard-tiny"]}
    answers |= {"offline": True, "find_links": [str(wheels)], "benchmark": False}
    p = make_plan(facts, validate(answers), KB)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL"))}

    def run(step_id: str) -> None:
        r = subprocess.run(
            argv(p, step_id), capture_output=True, text=True, timeout=300, env=clean, check=False
        )
        assert r.returncode == 0, r.stdout + r.stderr

    run("create-env")
    assert Path(p.env_python).exists()
    # The pin step needs torch; write the constraints it would write, then install under them.
    (env / CONSTRAINTS_FILE).write_text("envwizard-tiny==1.0\n")
    run("install-packages")
    out = subprocess.run(
        [p.env_python, "-c", "import envwizard_tiny, sys; print(envwizard_tiny.VALUE, sys.prefix)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert out == ["42", str(env)]
    # existing: recreate really clears the environment it made.
    again = make_plan(facts, validate(answers | {"existing": "recreate"}), KB)
    r = subprocess.run(argv(again, "create-env"), capture_output=True, timeout=300, env=clean)
    assert r.returncode == 0, r.stderr
    gone = subprocess.run([p.env_python, "-c", "import envwizard_tiny"], capture_output=True)
    assert gone.returncode != 0
