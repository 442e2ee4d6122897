"""The judge over inspections as the script reports them, against facts files of other machines.

The inspections here are the script's JSON shapes written out (the real script's output over
real environments is checked in test_real_envs.py); these tests cover the rules that need a
GPU machine, a conda record or a broken library path, which this machine cannot make.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from envwizard.doctor.diagnose import Result
from envwizard.doctor.envs import Env, EnvKind
from envwizard.doctor.inspect import Inspection
from envwizard.doctor.judge import Context, judge
from envwizard.doctor.model import Action, Code, Diagnosis, Finding, Severity
from envwizard.doctor.repair import decision_for
from envwizard.facts.load import facts_from_json
from envwizard.facts.model import Facts
from envwizard.knowledge import load

DATA = Path(__file__).resolve().parents[1] / "data"
KB = load()
PREFIX = "/home/ada/envs/dl"
SITE = f"{PREFIX}/lib/python3.11/site-packages"
ENV = Env(Path(PREFIX), Path(f"{PREFIX}/bin/python"), EnvKind.VENV, "path")


def facts(name: str) -> Facts:
    return facts_from_json((DATA / name).read_text(), where=name)


def dist(name: str, version: str, requires: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    entry = kw.pop("entry", SITE)
    return {
        "name": name,
        "version": version,
        "path": f"{entry}/{name.replace('-', '_')}-{version}.dist-info",
        "entry": entry,
        "installer": kw.pop("installer", "pip"),
        "requested": True,
        "requires": requires or [],
        **kw,
    }


def base_static(torch_version: str = "2.13.0+cpu", cuda: str | None = None) -> dict[str, Any]:
    return {
        "schema": 1,
        "python": {
            "version": "3.11.9",
            "executable": f"{PREFIX}/bin/python",
            "prefix": PREFIX,
            "base_prefix": "/usr",
            "implementation": "CPython",
            "system": "Linux",
            "machine": "x86_64",
            "bits": 64,
        },
        "sys_path": ["/usr/lib/python311.zip", "/usr/lib/python3.11", SITE],
        "site": {
            "purelib": SITE,
            "platlib": SITE,
            "site_packages": [SITE],
            "user_site": "/home/ada/.local/lib/python3.11/site-packages",
            "user_site_enabled": False,
        },
        "pyvenv": {"home": "/usr/bin", "include-system-site-packages": "false"},
        "conda": None,
        "env_vars": {},
        "dists": [
            dist("torch", torch_version.split("+")[0] if cuda else torch_version),
            dist("numpy", "2.1.3"),
            dist("pip", "24.2"),
        ],
        "user_site_dists": [],
        "modules": {
            "torch": {
                "origin": f"{SITE}/torch/__init__.py",
                "folder": f"{SITE}/torch",
                "namespace": False,
            },
            "torchvision": None,
            "torchaudio": None,
            "numpy": {
                "origin": f"{SITE}/numpy/__init__.py",
                "folder": f"{SITE}/numpy",
                "namespace": False,
            },
        },
        "family": {
            "torch": {
                "folder": f"{SITE}/torch",
                "version_py": {"__version__": torch_version, "cuda": cuda, "hip": None},
                "libs": ["libc10.so", "libtorch_cpu.so"]
                + (["libc10_cuda.so", "libtorch_cuda.so"] if cuda else []),
            }
        },
        "pth_imports": [],
        "record_mismatches": [],
        "numpy1_extensions": [],
        "ld_library_path": [],
        "cwd": {"dir": "/home/ada/work", "torch_dir": False, "torch_py": False},
    }


def run(static: dict[str, Any], machine: str | None, live: dict[str, Any] | None = None) -> Result:
    f = facts(machine) if machine else None
    ins = Inspection(static, live)
    decision = decision_for(f, ENV, ins, KB)[0] if f else None
    findings = judge(Context(ENV, ins, f, KB, decision))
    return Result(ENV, ins, f, decision, Diagnosis(PREFIX, findings))


def codes(r: Result) -> dict[str, str]:
    return {f.code.value: f.severity.value for f in r.diagnosis.findings}


def only(r: Result, code: Code, package: str | None = "any") -> Finding:
    found = [f for f in r.diagnosis.findings if f.code is code and package in ("any", f.package)]
    assert len(found) == 1, [f.code for f in r.diagnosis.findings]
    return found[0]


def test_cpu_torch_on_a_gpu_workstation_is_reinstalled_as_the_plan_variant() -> None:
    r = run(base_static(), "facts_workstation.json")
    f = only(r, Code.TORCH_CPU_ON_GPU_MACHINE)
    assert f.severity is Severity.WARNING and not r.diagnosis.healthy
    assert "GeForce RTX 4090 (sm_89)" in f.message.show() and "cu126" in f.message.show()
    steps = f.repair[0].steps
    assert [s.action for s in steps] == [Action.UNINSTALL, Action.INSTALL]
    assert steps[1].packages == ("torch==2.14.*",)
    assert steps[1].index_url == KB.index_url("cu126")
    argv = r.argv(steps[1]) or []
    assert argv[:4] == [f"{PREFIX}/bin/python", "-m", "pip", "install"]
    assert argv[-3:] == ["torch==2.14.*", "--index-url", KB.index_url("cu126")]


def test_cpu_torch_on_a_cpu_box_is_healthy() -> None:
    r = run(base_static(), "facts_cpu_box.json")
    assert r.diagnosis.healthy, codes(r)


def test_a_cuda_torch_without_kernels_for_the_gpu(tmp_path: Path) -> None:
    """torch 2.14 cu130 starts at sm_75: the GTX 1080 (sm_61) has no kernels in it."""
    r = run(base_static("2.14.1+cu130", cuda="13.0"), "facts_workstation.json")
    f = only(r, Code.TORCH_ARCH_MISSING)
    assert f.severity is Severity.ERROR
    assert "GeForce GTX 1080 (sm_61)" in f.message.show()
    assert any(e.source == "envwizard's build table" for e in f.evidence)
    assert f.repair[0].steps[-1].index_url == KB.index_url("cu126")


def test_the_compiled_architectures_read_from_the_library_win_over_the_table() -> None:
    static = base_static("2.14.1+cu130", cuda="13.0")
    static["family"]["torch"]["fatbin"] = ["sm_61", "sm_89"]
    r = run(static, "facts_workstation.json")
    assert "TORCH_ARCH_MISSING" not in codes(r)
    static["family"]["torch"]["fatbin"] = ["sm_89"]
    f = only(run(static, "facts_workstation.json"), Code.TORCH_ARCH_MISSING)
    assert any(e.source.startswith("the .nv_fatbin section of") for e in f.evidence)


def test_live_arch_list_wins_over_the_table() -> None:
    live = {
        "schema": 1,
        "warnings": [],
        "torch": {
            "ok": True, "version": "2.14.1+cu130", "cuda": "13.0", "cuda_available": True,
            "device_count": 2, "arch_list": ["sm_60", "sm_70", "sm_80", "sm_89"],
            "matmul": [{"device": "cpu", "ok": True}, {"device": "cuda:0", "ok": True}],
        },
    }  # fmt: skip
    r = run(base_static("2.14.1+cu130", cuda="13.0"), "facts_workstation.json", live)
    assert "TORCH_ARCH_MISSING" not in codes(r)
    assert codes(r)["DEVICE_CHECK_PASSED"] == "info"


def test_a_driver_too_old_for_the_cuda_major() -> None:
    r = run(base_static("2.14.1+cu130", cuda="13.0"), "facts/gtx1080-r580.json")
    assert "DRIVER_TOO_OLD" not in codes(r)  # 580 runs CUDA 13
    static = base_static("2.14.1+cu130", cuda="13.0")
    r = run(static, "facts/k80-r470.json")
    f = only(r, Code.DRIVER_TOO_OLD)
    assert "470" in f.message.show() and "CUDA 13.x" in f.message.show()
    assert f.repair[0].id == "driver"


def test_companion_of_another_variant_and_release() -> None:
    static = base_static()
    static["dists"].append(dist("torchvision", "0.29.1", ["numpy", "torch>=2.14.0"]))
    static["family"]["torchvision"] = {
        "folder": f"{SITE}/torchvision",
        "version_py": {"__version__": "0.29.1+cu130"},
        "extensions": [
            {
                "file": f"{SITE}/torchvision/_C_stable.so",
                "needed": ["libc10_cuda.so", "libcudart.so.13"],
            }
        ],
    }
    r = run(static, "facts_cpu_box.json")
    variant = only(r, Code.COMPANION_VARIANT_MISMATCH, "torchvision")
    assert "cu130 (CUDA 13.0) build, but torch 2.13.0+cpu is a cpu build" in variant.message.show()
    assert [o.id for o in variant.repair] == ["replace", "remove"]
    replace_steps = variant.repair[0].steps
    assert replace_steps[1].packages == ("torchvision==0.28.*",)
    assert replace_steps[1].index_url == KB.index_url("cpu")
    assert replace_steps[1].keep == ("torch==2.13.0+cpu",)
    version = only(r, Code.COMPANION_VERSION_MISMATCH, "torchvision")
    assert "belongs to torch 2.14" in version.message.show()
    pip = only(r, Code.PIP_CHECK_CONFLICT, "torchvision")
    assert pip.severity is Severity.ERROR
    assert "torch>=2.14.0 is required, but torch 2.13.0+cpu is installed" in pip.message.show()
    assert pip.repair == ()  # never changes torch by itself


def test_a_companion_with_no_tag_is_read_from_what_it_links() -> None:
    static = base_static()
    static["dists"].append(dist("torchvision", "0.28.0"))
    static["family"]["torchvision"] = {
        "folder": f"{SITE}/torchvision",
        "version_py": {"__version__": "0.28.0"},
        "extensions": [{"file": f"{SITE}/torchvision/_C.so", "needed": ["libtorch_cuda.so"]}],
    }
    r = run(static, "facts_cpu_box.json")
    assert codes(r)["COMPANION_VARIANT_MISMATCH"] == "error"
    assert "COMPANION_VERSION_MISMATCH" not in codes(r)


def test_shadowing_copy_on_pythonpath_with_the_live_error() -> None:
    static = base_static()
    shadow = "/tmp/shadow"
    static["sys_path"].insert(0, shadow)
    static["env_vars"]["PYTHONPATH"] = shadow
    static["dists"].insert(0, dist("torch", "2.14.1", entry=shadow))
    static["modules"]["torch"] = {
        "origin": f"{shadow}/torch/__init__.py",
        "folder": f"{shadow}/torch",
    }
    static["family"]["torch"]["folder"] = f"{shadow}/torch"
    static["family"]["torch"]["version_py"] = {"__version__": "2.14.1+cu130", "cuda": "13.0"}
    live = {
        "schema": 1,
        "warnings": [],
        "torch": {
            "ok": False,
            "error": {
                "type": "ImportError",
                "message": "libcudnn.so.9: cannot open shared object file: No such file or directory",
                "text": "ImportError: libcudnn.so.9: cannot open shared object file: No such file or directory\n",
                "file": f"{shadow}/torch/__init__.py",
            },
        },
    }
    r = run(static, "facts_cpu_box.json", live)
    shadowed = only(r, Code.SHADOWED_TORCH)
    assert shadowed.severity is Severity.ERROR
    assert "through PYTHONPATH" in shadowed.message.show()
    assert shadowed.repair[0].steps[0].action is Action.ADVICE
    dup = only(r, Code.DUPLICATE_DIST, "torch")
    assert dup.severity is Severity.ERROR  # 2.14.1 and 2.13.0+cpu
    libs = only(r, Code.NVIDIA_LIBS_MISSING, "torch")
    assert "libcudnn.so.9" in libs.message.show()


def test_a_torch_folder_in_the_working_directory() -> None:
    static = base_static()
    static["cwd"] = {"dir": "/home/ada/work", "torch_dir": True, "torch_py": False}
    f = only(run(static, "facts_cpu_box.json"), Code.SHADOWED_TORCH)
    assert "/home/ada/work/torch/" in f.message.show()


def test_numpy_1_extensions_under_numpy_2() -> None:
    static = base_static()
    static["dists"].append(dist("scipy", "1.10.0", ["numpy<1.27.0,>=1.19.5"]))
    static["numpy1_extensions"] = [
        {"file": f"{SITE}/scipy/linalg/_fblas.cpython-311-x86_64-linux-gnu.so", "package": "scipy"}
    ]
    r = run(static, "facts_cpu_box.json")
    f = only(r, Code.NUMPY_ABI, "scipy")
    assert (
        f.message.show() == "scipy was compiled against NumPy 1.x and cannot run with NumPy 2.1.3."
    )
    assert f.repair[0].steps[0].packages == ("numpy<2",)
    assert only(r, Code.PIP_CHECK_CONFLICT, "scipy").severity is Severity.WARNING


def test_nvidia_wheels_missing_mismatched_and_mixed() -> None:
    static = base_static("2.14.1", cuda="13.0")
    static["dists"][0]["requires"] = [
        "nvidia-nccl-cu13==2.30.7; platform_system == 'Linux'",
        "nvidia-cudnn-cu13==9.24.0.43; platform_system == 'Linux'",
        "nvidia-cufile-cu13==1.15; platform_system == 'Windows'",
    ]
    static["dists"] += [dist("nvidia-nccl-cu13", "2.28.0"), dist("nvidia-nccl-cu12", "2.27.3")]
    r = run(static, "facts_cpu_box.json")
    missing = only(r, Code.NVIDIA_LIBS_MISSING)
    assert "nvidia-cudnn-cu13==9.24.0.43" in missing.message.show()
    assert "cufile" not in missing.message.show()  # its marker is false on Linux
    assert only(r, Code.NVIDIA_WHEEL_MISMATCH, "nvidia-nccl-cu13").repair[0].steps[0].no_deps
    mix = only(r, Code.NVIDIA_WHEEL_MIX)
    assert mix.repair[0].steps[0].packages == ("nvidia-nccl-cu12",)


def test_ld_library_path_with_cuda_libraries() -> None:
    static = base_static("2.14.1", cuda="13.0")
    static["ld_library_path"] = [
        {"dir": "/usr/local/cuda-12.1/lib64", "cuda_libs": ["libnvJitLink.so.12"]}
    ]
    f = only(run(static, "facts_cpu_box.json"), Code.LD_LIBRARY_PATH_OVERRIDE)
    assert f.severity is Severity.WARNING and f.repair[0].steps[0].action is Action.ADVICE


def test_conda_record_under_a_pip_torch() -> None:
    static = base_static()
    static["conda"] = {
        "path": f"{PREFIX}/conda-meta",
        "history": True,
        "records": [
            {"name": "pytorch", "version": "2.5.1", "build": "cpu_py311h1a3f8f9_0",
             "channel": "https://conda.anaconda.org/conda-forge/linux-64", "file": "x.json"}
        ],
    }  # fmt: skip
    f = only(run(static, "facts_cpu_box.json"), Code.CONDA_PIP_MIX, "torch")
    assert (
        "cpu_py311h1a3f8f9_0" in f.message.show()
        and "pip installed torch 2.13.0+cpu" in f.message.show()
    )


def test_flash_attn_built_for_another_torch() -> None:
    static = base_static("2.14.1", cuda="13.0")
    static["dists"].append(dist("flash-attn", "2.8.3+cu12torch2.3cxx11abiFALSE"))
    f = only(run(static, "facts_cpu_box.json"), Code.EXTENSION_ABI_MISMATCH)
    assert "built for torch 2.3" in f.message.show()


def test_record_mismatch_means_mixed_files() -> None:
    static = base_static()
    static["record_mismatches"] = [{"file": f"{SITE}/torch/__init__.py", "problem": "differs"}]
    f = only(run(static, "facts_cpu_box.json"), Code.TORCH_FILES_MIXED)
    assert f.repair[0].steps[1].packages == ("torch==2.13.0+cpu",)


def test_no_torch_is_information_unless_a_companion_needs_it() -> None:
    static = base_static()
    static["dists"] = [dist("numpy", "2.1.3")]
    static["modules"]["torch"] = None
    static["family"] = {}
    r = run(static, "facts_cpu_box.json")
    assert r.diagnosis.healthy and codes(r) == {"TORCH_MISSING": "info"}
    static["dists"].append(dist("torchaudio", "2.13.0"))
    assert codes(run(static, "facts_cpu_box.json"))["TORCH_MISSING"] == "warning"


def test_the_json_finding_has_the_contract_keys() -> None:
    static = copy.deepcopy(base_static())
    static["dists"] = [d for d in static["dists"] if d["name"] != "numpy"]
    r = run(static, "facts_cpu_box.json")
    data = r.to_dict()
    assert {"env", "healthy", "findings"} <= set(data)
    f = next(x for x in data["findings"] if x["code"] == "NUMPY_MISSING")
    assert set(f) == {"code", "severity", "package", "message", "evidence", "repair"}
    assert f["repair"]["options"][0]["steps"][0]["argv"][-2:] == ["numpy", "torch==2.13.0+cpu"]


def test_user_site_with_torch() -> None:
    static = base_static()
    static["site"]["user_site_enabled"] = True
    static["user_site_dists"] = ["torch 2.1.0", "rich 13.0"]
    f = only(run(static, "facts_cpu_box.json"), Code.USER_SITE_ACTIVE)
    assert "torch 2.1.0" in f.message.show() and "rich" not in f.message.show()


@pytest.mark.parametrize("version", ["2.4.0", "2.4.0+cpu"])
def test_windows_torch_2_4_0_without_libomp(version: str) -> None:
    static = base_static(version)
    static["python"]["system"] = "Windows"
    static["family"]["torch"]["libs"] = ["c10.dll", "torch_cpu.dll"]
    assert "WINDOWS_DLL_MISSING" in codes(run(static, "facts_cpu_box.json"))


def test_every_finding_code_is_in_the_docs() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "doctor.md").read_text()
    assert [c.value for c in Code if f"| `{c.value}` |" not in docs] == []
