"""The lock: parsing what pip, uv and conda said (recorded real outputs, tests/data/resolve),
the build it holds checked against the plan's choice, and the plan that installs exactly it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from envwizard.core.errors import InvalidInput
from envwizard.facts.load import facts_from_dict
from envwizard.facts.model import Facts
from envwizard.knowledge import load
from envwizard.plan.build import Plan, make_plan
from envwizard.plan.lock import (
    DEFAULT_INDEX,
    Group,
    Lock,
    Locked,
    conda_packages,
    last_json_object,
    parse_uv_requirements,
    pip_packages,
    source_of,
    uv_packages,
)
from envwizard.plan.lockcheck import Alternative, LockRefused, check_lock
from envwizard.plan.steps import DryRun, Install, Installer, Output, Sources, Verify, plan_hash
from envwizard.run.resolve import _Resolver, installer_error, pip_platform_tags, uv_platform
from envwizard.settings.answers import validate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).parent / "data" / "resolve"
KB = load()
ENV = "/srv/envs/dl"
# The sources of the machine the outputs were recorded on: pip's configuration (a wheel folder
# holding torch 2.13.0+cpu, two file:// indexes holding the default index's CUDA builds).
SOURCES = ["file:///opt/pypi/simple", "file:///opt/pypi-more/simple", "/opt/wheels"]
LOCAL_CPU = [Alternative("torch", "2.13.0+cpu", "/opt/wheels")]


GEFORCE = {"vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "compute_capability": "8.9"}


def facts(gpu: bool = False, **os_keys: Any) -> Facts:
    data: dict[str, Any] = {
        "schema": 1,
        "os": {"system": "Linux", "machine": "x86_64", "glibc": "2.36", **os_keys},
        "python": {"version": "3.11.7", "executable": "/usr/bin/python3.11"},
        "gpus": [GEFORCE] if gpu else [],
        "nvidia_driver": "580.95.05" if gpu else None,
    }
    return facts_from_dict(json.loads(json.dumps(data)))


def plan(gpu: bool = False, **answers: Any) -> Plan:
    a = {"env": ENV, "benchmark": False, "installer": "pip", "stack": "torch", **answers}
    return make_plan(facts(gpu), validate(a, cwd="/work"))


def pip_lock(name: str, group: Group = Group.TORCH) -> Lock:
    report = json.loads((DATA / name).read_text())
    packages = pip_packages(report, group, SOURCES, default_index=True)
    return Lock(Installer.PIP, "3.11.7", "linux-x86_64", tuple(packages), tuple(SOURCES))


def uv_lock(stem: str) -> Lock:
    text = (DATA / f"{stem}.txt").read_text()
    pylock = tomllib.loads((DATA / f"{stem}.pylock.toml").read_text())
    packages = uv_packages(text, pylock, Group.TORCH, SOURCES)
    return Lock(Installer.UV, "3.11.7", "x86_64-manylinux_2_36", tuple(packages), tuple(SOURCES))


# ---- pip's report ---------------------------------------------------------------------------------
def test_pips_report_of_the_configured_index_is_read_whole() -> None:
    lock = pip_lock("pip-report-torch214.json")
    torch = lock.get("torch")
    assert torch is not None and torch.version == "2.14.1" and torch.local is None
    assert torch.source == "file:///opt/pypi-more/simple" and torch.requested
    assert torch.filename == "torch-2.14.1-cp311-cp311-manylinux_2_28_x86_64.whl"
    assert dict(torch.hashes)["sha256"].startswith("305a61f6")
    nvidia = [p.name for p in lock.packages if p.name.startswith("nvidia-")]
    assert len(nvidia) == 15
    filelock = lock.get("filelock")
    assert filelock is not None and filelock.source == DEFAULT_INDEX  # on no configured host
    assert lock.get("Jinja2") is lock.get("jinja2")  # names are normalised


def test_a_cpu_plan_refuses_the_default_index_cuda_torch_and_says_where_the_cpu_one_is() -> None:
    p = plan(compute="cpu", torch_index="default")
    assert p.decision.variant == "cpu" and p.decision.torch == "2.14.*"
    lock = pip_lock("pip-report-torch214.json")
    with pytest.raises(LockRefused) as e:
        check_lock(lock, p.decision, KB, "linux-x86_64", alternatives=LOCAL_CPU)
    text = str(e.value)
    assert "torch 2.14.1 from file:///opt/pypi-more/simple, the CUDA 13.0 build" in text
    assert "NVIDIA CUDA packages" in text and "the plan chose the CPU build" in text
    assert "nothing was created" in text
    assert '/opt/wheels holds torch 2.13.0+cpu (CPU): set torch: "==2.13.0"' in text
    assert "torch_index: auto" in text
    assert e.value.exit_code == 2 and not e.value.retryable


def test_without_a_local_cpu_build_the_refusal_says_how_to_get_one() -> None:
    p = plan(compute="cpu", torch_index="default")
    with pytest.raises(LockRefused, match="to get it, set torch_index: auto"):
        check_lock(pip_lock("pip-report-torch214.json"), p.decision, KB, "linux-x86_64")


def test_the_same_cuda_torch_is_right_for_cu130_and_for_the_default_index() -> None:
    lock = pip_lock("pip-report-torch214.json")
    cu130 = plan(gpu=True, compute="cu130", torch_index="default")
    assert check_lock(lock, cu130.decision, KB, "linux-x86_64") == "cu130"
    default = plan(torch_index="default")  # no GPU: the CUDA build runs on the CPU too
    assert check_lock(lock, default.decision, KB, "linux-x86_64") == "cu130"
    with pytest.raises(LockRefused, match=r"CUDA 13\.0 build"):
        check_lock(
            lock, plan(True, compute="cu126", torch_index="default").decision, KB, "linux-x86_64"
        )


def test_a_companion_without_the_cpu_build_is_refused_by_name() -> None:
    p = plan(compute="cpu", torch_index="default", torch="==2.13.*")
    lock = pip_lock("pip-report-torch213-companions.json")
    torch = lock.get("torch")
    assert torch is not None and torch.local == "cpu" and torch.source == "/opt/wheels"
    with pytest.raises(LockRefused) as e:
        check_lock(lock, p.decision, KB, "linux-x86_64")
    text = str(e.value)
    assert text.startswith("no CPU build of torchvision among the configured sources")
    assert "file:///opt/pypi-more/simple holds its CUDA 13.0 build (torchvision 0.28.0)" in text
    assert (
        "add PyTorch's cpu index or a wheel folder that has one, or leave torchvision out" in text
    )


def test_torchaudio_without_the_cpu_build_is_named_too() -> None:
    p = plan(compute="cpu", torch_index="default", torch="==2.13.*")
    lock = pip_lock("pip-report-torch213-companions.json")
    no_vision = Lock(lock.installer, lock.python, lock.platform,
                     tuple(x for x in lock.packages if x.name != "torchvision"))  # fmt: skip
    with pytest.raises(LockRefused, match=r"no CPU build of torchaudio .* the installer's default index holds its CUDA 13\.0 build"):  # fmt: skip
        check_lock(no_vision, p.decision, KB, "linux-x86_64")


def test_another_report_format_is_refused() -> None:
    with pytest.raises(InvalidInput, match="format 2"):
        pip_packages({"version": "2", "install": []}, Group.TORCH, [], True)


# ---- uv's compile ---------------------------------------------------------------------------------
def test_uvs_resolution_names_the_index_of_each_package_and_its_file() -> None:
    lock = uv_lock("uv-torch213-companions")
    torch = lock.get("torch")
    assert torch is not None and torch.version == "2.13.0+cpu"
    assert torch.source == "/opt/wheels"  # uv's file:///opt/wheels, as the sources spell it
    assert torch.url == "file:///opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
    audio = lock.get("torchaudio")
    assert audio is not None and audio.source == "https://index.invalid/simple"
    assert audio.hashes and audio.requested
    vision = lock.get("torchvision")
    assert vision is not None and vision.source == "file:///opt/pypi-more/simple"
    p = plan(compute="cpu", torch_index="default", torch="==2.13.*")
    with pytest.raises(LockRefused, match="no CPU build of torchvision"):
        check_lock(lock, p.decision, KB, "linux-x86_64")


def test_uvs_cuda_torch_is_refused_for_a_cpu_plan_as_pips_is() -> None:
    lock = uv_lock("uv-torch214")
    p = plan(compute="cpu", torch_index="default")
    with pytest.raises(LockRefused, match=r"torch 2\.14\.1 from file:///opt/pypi-more/simple"):
        check_lock(lock, p.decision, KB, "linux-x86_64")


def test_uv_annotations_with_several_reasons_are_read() -> None:
    text = (DATA / "uv-torch213-companions.txt").read_text()
    torch = parse_uv_requirements(text)["torch"]
    assert torch["via"] == [
        "-c /etc/xdg/pip/constraints.txt",
        "-r comp.in",
        "torchaudio",
        "torchvision",
    ]
    assert torch["from"] == "file:///opt/wheels"


# ---- conda ----------------------------------------------------------------------------------------
def test_condas_dry_run_json_is_read_after_its_progress_records() -> None:
    body = (DATA / "conda-create-dry-run-pytorch-cpu.json").read_text()
    out = '{"fetch":"pytorch","finished":false,"maxval":1,"progress":0.5}\n\0' + body
    data = last_json_object(out)
    assert data is not None and data["success"] is True
    packages = conda_packages(data, "conda-forge")
    lock = Lock(Installer.CONDA, "3.11", "linux-x86_64", tuple(packages))
    torch = lock.get("pytorch")
    assert torch is not None and torch.build == "cpu_mkl_py311h7d3f1a2_100"
    assert torch.url and torch.url.endswith(".conda") and dict(torch.hashes)["md5"]
    assert lock.conda_specs(Group.TORCH)[2] == "pytorch==2.5.1=cpu_mkl_py311h7d3f1a2_100"
    cpu = plan(manager="conda", torch_source="conda-forge", compute="cpu", torch="==2.5.*")
    assert check_lock(lock, cpu.decision, KB, "linux-x86_64") == "cpu"


def test_a_conda_cuda_build_is_refused_for_a_cpu_plan() -> None:
    data = json.loads((DATA / "conda-create-dry-run-pytorch-cpu.json").read_text())
    for link in data["actions"]["LINK"]:
        if link["name"] == "pytorch":
            link["build_string"] = "cuda126_mkl_py311h1234567_300"
    lock = Lock(Installer.CONDA, "3.11", "linux-x86_64", tuple(conda_packages(data, "conda-forge")))
    cpu = plan(manager="conda", torch_source="conda-forge", compute="cpu", torch="==2.5.*")
    with pytest.raises(
        LockRefused, match=r"the CUDA 12\.6 build, but the plan chose the CPU build.*compute: cu126"
    ):
        check_lock(lock, cpu.decision, KB, "linux-x86_64")


# ---- the lock as a value --------------------------------------------------------------------------
def test_the_lock_round_trips_through_json_and_pins_exact_files() -> None:
    lock = pip_lock("pip-report-torch213-companions.json")
    again = Lock.from_dict(json.loads(lock.to_json()))
    assert again == lock and again.digest() == lock.digest()
    text = lock.requirements(Group.TORCH)
    assert "torch==2.13.0+cpu --hash=sha256:6746dbcb" in text
    assert text.count("--hash=") == len(lock.packages)
    assert lock.requirements(Group.PACKAGES) == "\n"
    assert json.loads(lock.to_json())["packages"][0]["hashes"]  # algorithm -> digest
    with pytest.raises(InvalidInput, match="schema 7"):
        Lock.from_dict({**json.loads(lock.to_json()), "schema": 7})


def test_hashes_are_written_all_or_nothing() -> None:
    lock = pip_lock("pip-report-torch213-companions.json")
    first, *rest = lock.packages
    bare = Lock(lock.installer, lock.python, lock.platform,
                (type(first)(first.name, first.version), *rest))  # fmt: skip
    assert "--hash" not in bare.requirements(Group.TORCH)


def test_credentials_never_enter_the_lock() -> None:
    report = {
        "version": "1",
        "install": [{
            "metadata": {"name": "torch", "version": "2.13.0+cpu"},
            "download_info": {"url": "https://u:s3cret@mirror.invalid/files/torch-2.13.0+cpu-cp311-none-any.whl"},
        }],
    }  # fmt: skip
    [torch] = pip_packages(report, Group.TORCH, ["https://u:s3cret@mirror.invalid/simple"], False)
    assert "s3cret" not in json.dumps(torch.to_dict())
    assert torch.source == "https://u:****@mirror.invalid/simple"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///opt/wheels/torch-2.13.0%2Bcpu-cp311-cp311-linux_x86_64.whl", "/opt/wheels"),
        (
            "file:///opt/pypi-more/files/torch-2.14.1-cp311-none-any.whl",
            "file:///opt/pypi-more/simple",
        ),
        (
            "http://127.0.0.1:9/files/torch-2.13.1+cpu-cp311-none-any.whl",
            "http://127.0.0.1:9/whl/cpu",
        ),
        ("https://files.index.invalid/packages/t/torch-2.14.1-cp311-none-any.whl", DEFAULT_INDEX),
    ],
)
def test_a_file_is_traced_to_the_source_it_came_from(url: str, expected: str) -> None:
    sources = [*SOURCES, "http://127.0.0.1:9/whl/cpu"]
    assert source_of(url, sources, default_index=True) == expected


def test_a_file_on_no_configured_host_is_unknown_without_the_default_index() -> None:
    url = "https://files.index.invalid/packages/t/torch-2.14.1-cp311-none-any.whl"
    assert source_of(url, ["https://mirror.invalid/simple"], default_index=False) is None


# ---- the plan that installs the lock --------------------------------------------------------------
def locked(p: Plan, lock: Lock, folder: str = "/run") -> Plan:
    files = {g: f"{folder}/envwizard-lock-{g.value}.txt" for g in Group}
    return p.with_lock(lock, files, f"{folder}/envwizard-lock.json")


def test_the_locked_plan_installs_the_lock_and_nothing_else() -> None:
    p = plan(compute="cpu", torch_index="default", torch="==2.13.*", packages=["tinypkg"])
    lock = pip_lock("pip-report-torch213-companions.json")
    lock = Lock(lock.installer, lock.python, lock.platform, lock.packages, variant="cpu")
    lp = locked(p, lock)
    torch = lp.step("install-torch")
    at = torch.argv.index("-r")
    assert torch.argv[at + 1] == "/run/envwizard-lock-torch.txt" and torch.argv[-1] == "--no-deps"
    assert "torch==2.13.*" not in torch.argv
    assert torch.label() == "Install torch 2.13.0+cpu (cpu)"
    assert [s.id for s in lp.steps] == [
        "create-env",
        "install-torch",
        "pin",
        "verify",
    ]  # no packages left
    verify = lp.step("verify").spec
    assert isinstance(verify, Verify)
    assert lp.step("verify").argv[-4:] == ["--lock", "/run/envwizard-lock.json", "--variant", "cpu"]
    assert lp.to_dict()["lock"] == {"path": "/run/envwizard-lock.json", "digest": lock.digest()}


def test_the_plan_hash_covers_the_lock_but_not_where_its_files_lie() -> None:
    p = plan(compute="cpu", torch_index="default", torch="==2.13.*")
    lock = pip_lock("pip-report-torch213-companions.json")
    one, two = locked(p, lock, "/run/a"), locked(p, lock, "/run/b")
    assert plan_hash(one.steps) == plan_hash(two.steps) != plan_hash(p.steps)
    other = pip_lock("pip-report-torch214.json")
    assert plan_hash(locked(p, other).steps) != plan_hash(one.steps)


def test_a_flat_links_mirror_is_resolved_then_installed_with_its_index() -> None:
    # A flat links page: torch with --no-index from the page, then its dependencies from the
    # index; the lock installs both in one step, from both.
    linked = plan(compute="cpu", mirror="aliyun-pytorch")
    stages = linked.stages()
    assert [s.id for s, _g, _s in stages] == ["install-torch", "install-torch-deps"]
    page = stages[0][2].find_links
    assert stages[0][2].no_index and len(page) == 1 and stages[1][2].find_links == page
    lp = locked(linked, pip_lock("pip-report-torch213-companions.json"))
    assert [s.id for s in lp.steps][:3] == ["create-env", "install-torch", "pin"]
    spec = lp.step("install-torch").spec
    assert isinstance(spec, Install) and not spec.sources.no_index
    assert spec.sources.find_links == page and spec.no_deps


def test_the_packages_step_keeps_to_its_own_sources() -> None:
    p = plan(compute="cpu", packages=["tinypkg"], index_url="https://mirror.invalid/simple")
    [(_t, tg, ts), (_p, pg, ps)] = p.stages()
    assert tg is Group.TORCH and ts.index_url == "https://download.pytorch.org/whl/cpu"
    assert pg is Group.PACKAGES and ps.index_url == "https://mirror.invalid/simple"
    assert ps.extra_index_urls == ()  # PyTorch's index stays torch's
    assert p.group_sources()[Group.PACKAGES] == ps


def test_an_offline_plan_resolves_and_installs_every_group_without_an_index() -> None:
    p = plan(compute="cpu", torch_index="default", offline=True, find_links=["/w"],
             packages=["tinypkg"])  # fmt: skip
    assert [(s.id, src.no_index, src.find_links) for s, _g, src in p.stages()] == [
        ("install-torch", True, ("/w",)),
        ("install-packages", True, ("/w",)),
    ]
    torch = pip_lock("pip-report-torch213-companions.json")
    tiny = Locked("tinypkg", "1.0", Group.PACKAGES, "/w", "/w/tinypkg-1.0-py3-none-any.whl")
    lock = Lock(torch.installer, torch.python, torch.platform, (*torch.packages, tiny))
    lp = locked(p, lock)
    for step_id in ("install-torch", "install-packages"):
        assert "--no-index" in lp.step(step_id).argv


def test_stand_ins_carry_a_locked_name_and_version_only(tmp_path: Path) -> None:
    from envwizard.plan.lock import Locked
    from envwizard.run.resolve import stand_ins

    folder = stand_ins(
        [Locked("torch", "2.13.0+cpu"), Locked("typing-extensions", "4.16.0")], tmp_path
    )
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "torch-2.13.0+cpu-py3-none-any.whl",
        "typing_extensions-4.16.0-py3-none-any.whl",
    ]
    import zipfile

    with zipfile.ZipFile(folder / names[0]) as z:
        meta = z.read("torch-2.13.0+cpu.dist-info/METADATA").decode()
    assert meta == "Metadata-Version: 2.1\nName: torch\nVersion: 2.13.0+cpu\n"


# ---- asking the installers ------------------------------------------------------------------------
def test_the_dry_runs_each_installer_is_asked() -> None:
    s = Sources(index_url="https://mirror.invalid/simple", find_links=("/w",))
    pip = DryRun(Output.PIP_REPORT, ("py", "-m", "pip"), ("torch==2.13.*",), s, out_file="r.json")
    assert pip.argv()[:8] == ["py", "-m", "pip", "install", "--dry-run", "--ignore-installed", "--report", "r.json"]  # fmt: skip
    assert "--platform" not in pip.argv()
    away = DryRun(Output.PIP_REPORT, ("py", "-m", "pip"), ("torch",), s, python="3.12",
                  pip_platforms=("manylinux_2_28_x86_64", "linux_x86_64"))  # fmt: skip
    args = away.argv()
    assert args[args.index("--python-version") + 1] == "3.12" and "--only-binary=:all:" in args
    assert args.count("--platform") == 2
    # pip before 24.1 takes platform options only when installing into a --target folder
    assert args[args.index("--target") + 1] == ".target"
    uv = DryRun(Output.UV_PYLOCK, ("uv",), ("torch",), s, out_file="pylock.x.toml",
                requirements_file="in.txt", reads_config=False, python="3.11.7",
                platform="x86_64-manylinux_2_36")  # fmt: skip
    a = uv.argv()
    assert a[:6] == ["uv", "pip", "compile", "in.txt", "--output-file", "pylock.x.toml"]
    assert "--compile-bytecode" not in a and "--no-config" in a and "pylock.toml" in a
    conda = DryRun(
        Output.CONDA_JSON, ("conda",), ("python=3.11", "pip"), Sources(channel="cf"), prefix=ENV
    )
    assert conda.argv() == ["conda", "create", "--dry-run", "--json", "--yes", "--prefix", ENV, "python=3.11", "pip", "--override-channels", "--channel", "cf"]  # fmt: skip


def test_the_target_platform_as_uv_and_pip_name_it() -> None:
    assert uv_platform(facts()) == "x86_64-manylinux_2_36"
    assert uv_platform(facts(glibc="2.17")) == "x86_64-manylinux_2_17"
    assert uv_platform(facts(glibc="2.45")) == "x86_64-manylinux_2_40"
    assert (
        uv_platform(facts(system="Darwin", machine="arm64", glibc=None)) == "aarch64-apple-darwin"
    )
    assert (
        uv_platform(facts(system="Windows", machine="AMD64", glibc=None))
        == "x86_64-pc-windows-msvc"
    )
    tags = pip_platform_tags(facts(glibc="2.28"))
    assert tags[0] == "manylinux_2_28_x86_64" and "manylinux2014_x86_64" in tags
    assert tags[-1] == "linux_x86_64"


def test_pip_runs_the_targets_interpreter_only_for_this_machine(tmp_path: Path) -> None:
    # The facts name /usr/bin/python3.11; a facts file of another machine may name a path that
    # exists here too, yet that interpreter is not the target's: its tags are given instead.
    here = facts()
    if not Path(here.python.executable).exists():
        pytest.skip("the facts' interpreter is not on this machine")
    p = make_plan(here, validate({"env": ENV, "benchmark": False, "installer": "pip"}, cwd="/w"))
    mine = _Resolver(p, here, tmp_path, None, 30.0).pip_runner()
    assert here.python.executable in mine[0] and mine[1] == ()
    runner, tags = _Resolver(p, here, tmp_path, None, 30.0, here=False).pip_runner()
    assert runner == (sys.executable, "-m", "pip")
    assert tags == pip_platform_tags(here) and tags[0] == "manylinux_2_36_x86_64"


def test_an_installers_failure_is_kept_whole_from_its_first_error_line() -> None:
    lines = [
        "WARNING: Location 'file:///opt/x/' is ignored",
        "ERROR: Could not find a version that satisfies the requirement torchaudio==2.14.* "
        "(from versions: 2.9.0, 2.10.0, 2.11.0, 2.11.1)",
        "ERROR: No matching distribution found for torchaudio==2.14.*",
    ]
    assert installer_error(lines) == lines[1:]
    uv = [
        "  × No solution found when resolving dependencies:",
        "  ╰─▶ Because torchaudio==2.14.* …",
    ]
    assert installer_error(uv) == uv


def test_a_gpu_machine_on_the_default_index_refuses_a_cpu_torch_from_a_wheel_folder() -> None:
    p = plan(gpu=True, torch_index="default", torch="==2.13.*")
    assert p.decision.variant == "default" and p.decision.kind == "cuda"
    lock = pip_lock("pip-report-torch213-companions.json")
    with pytest.raises(LockRefused, match=r"torch 2\.13\.0\+cpu from /opt/wheels, the CPU build"):
        check_lock(lock, p.decision, KB, "linux-x86_64")


# ---- verify against the lock ----------------------------------------------------------------------
class _Torch:
    def __init__(self, version: str) -> None:
        self.__version__ = version


def _result(cuda: str | None = None, hip: str | None = None) -> dict[str, Any]:
    return {"cuda_version": cuda, "hip_version": hip, "problems": [], "hints": []}


def test_verify_fails_a_cuda_torch_where_the_cpu_build_was_chosen() -> None:
    from envwizard.scripts import verify

    r = _result(cuda="13.0")
    verify.check_variant(_Torch("2.14.1"), "cpu", r)
    assert r["build"] == "cu130"
    assert r["problems"] == ["torch 2.14.1 is the cu130 build; the cpu build was chosen"]
    ok = _result()
    verify.check_variant(_Torch("2.13.0+cpu"), "cpu", ok)
    assert ok["problems"] == [] and ok["build"] == "cpu"
    rocm = _result(hip="6.4.43482")
    verify.check_variant(_Torch("2.9.1+rocm6.4"), "rocm6.4", rocm)
    assert rocm["problems"] == []


def test_verify_compares_what_is_installed_with_the_lock(tmp_path: Path) -> None:
    from importlib import metadata

    from envwizard.scripts import verify

    here = metadata.version("pytest")
    lock = {
        "installer": "uv",
        "packages": [
            {"name": "pytest", "version": here},
            {"name": "packaging", "version": "0.0.1"},
            {"name": "no-such-dist-xyz", "version": "1.0"},
        ],
    }
    path = tmp_path / "lock.json"
    path.write_text(json.dumps(lock))
    r = _result()
    verify.check_lock(str(path), r)
    assert r["lock_ok"] is False
    [problem] = r["problems"]
    assert problem.startswith("2 installed distribution(s) differ from the lock")
    assert "packaging" in problem and "(locked 0.0.1)" in problem
    assert "no-such-dist-xyz missing (locked 1.0)" in problem and "pytest" not in problem
