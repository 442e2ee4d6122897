"""LOCK_DRIFT: the packages installed now against the lock envwizard left in the environment,
and the repair that installs the locked versions again (over the inspect script's report)."""

from __future__ import annotations

import json
from pathlib import Path

from envwizard.doctor.diagnose import Result
from envwizard.doctor.drift import read_lock
from envwizard.doctor.envs import Env, EnvKind
from envwizard.doctor.fix import Chosen, repair_plan, steps_of
from envwizard.doctor.inspect import Inspection
from envwizard.doctor.judge import Context, judge
from envwizard.doctor.model import (
    Action,
    Code,
    Diagnosis,
    Finding,
    RepairOption,
    RepairStep,
    Severity,
    Text,
)
from envwizard.doctor.repair import decision_for
from envwizard.knowledge.mirrors import Kind, presets
from envwizard.plan.lock import LOCK_FILE, Group, Lock, Locked
from envwizard.plan.steps import Install, Installer, Uninstall

from .test_judge import ENV, KB, PREFIX, base_static, dist, facts

CU130 = KB.index_url("cu130")


def lock(*packages: Locked, installer: Installer = Installer.PIP) -> Lock:
    return Lock(installer, "3.11.9", "linux-x86_64", packages, variant="cu130")


CUDA_LOCK = lock(
    Locked("torch", "2.14.1+cu130", Group.TORCH, CU130, requested=True),
    Locked("nvidia-cublas", "13.1.0.3", Group.TORCH, CU130),
    Locked("numpy", "2.1.3", Group.PACKAGES, "default", requested=True),
    Locked("tinypkg", "1.0", Group.PACKAGES, "/srv/wheels", requested=True),
)


def judged(static: dict, the_lock: Lock | None, machine: str = "facts_cpu_box.json") -> Result:  # type: ignore[type-arg]
    f = facts(machine)
    ins = Inspection(static, None)
    decision = decision_for(f, ENV, ins, KB)[0]
    findings = judge(Context(ENV, ins, f, KB, decision, the_lock))
    return Result(ENV, ins, f, decision, Diagnosis(PREFIX, findings))


def drift(r: Result):  # type: ignore[no-untyped-def]
    found = [f for f in r.diagnosis.findings if f.code is Code.LOCK_DRIFT]
    assert len(found) <= 1
    return found[0] if found else None


def test_a_cpu_torch_swapped_in_after_the_lock_is_named_with_what_changed() -> None:
    static = base_static()  # torch 2.13.0+cpu installed now, numpy 2.1.3, no nvidia-*
    static["dists"].append(dist("tinypkg", "1.0"))
    f = drift(judged(static, CUDA_LOCK))
    assert f is not None and f.severity is Severity.WARNING and f.package is None
    text = f.message.show()
    assert "2 packages changed since envwizard locked" in text
    assert "torch 2.14.1+cu130 → 2.13.0+cpu" in text and "nvidia-cublas 13.1.0.3 → -" in text
    assert f"{PREFIX}/{LOCK_FILE}" in text and "numpy" not in text
    values = [(e.fact, e.value) for e in f.evidence]
    assert ("torch", f"locked 2.14.1+cu130 ({CU130})") in values
    assert ("torch", "installed 2.13.0+cpu (pip)") in values
    assert ("nvidia-cublas", "not installed") in values
    (option,) = f.repair
    assert option.id == "restore-lock"
    (step,) = option.steps
    assert (step.action, step.index_url, step.no_deps) == (Action.INSTALL, CU130, True)
    assert step.packages == ("nvidia-cublas==13.1.0.3", "torch==2.14.1+cu130")


def test_the_restore_is_resolved_against_the_locked_build() -> None:
    """The repair plan's decision is the lock's build (cu130), not the CPU torch that is there
    nor the planner's CPU choice for this box: the resolve refuses anything else."""
    static = base_static()
    r = judged(static, CUDA_LOCK)
    f = drift(r)
    assert f is not None
    plan = repair_plan(r, steps_of([Chosen(f, f.repair[0])]))
    assert (plan.decision.variant, plan.decision.kind, plan.decision.torch) == (
        "cu130",
        "cuda",
        "2.14.1+cu130",
    )
    (step,) = plan.steps
    assert step.id == "install-torch" and isinstance(step.spec, Install)
    assert step.spec.requirements == ("nvidia-cublas==13.1.0.3", "torch==2.14.1+cu130")
    assert step.spec.sources.index_url == CU130 and step.spec.no_deps


def test_packages_from_several_sources_are_restored_from_each() -> None:
    static = base_static("2.14.1+cu130", cuda="13.0")
    static["dists"] = [
        dist("torch", "2.14.1+cu130"),
        dist("nvidia-cublas", "13.1.0.3"),
        dist("numpy", "1.26.4"),
        dist("pip", "24.2"),
    ]
    f = drift(judged(static, CUDA_LOCK, "facts_workstation.json"))
    assert f is not None and f.severity is Severity.WARNING
    assert "numpy 2.1.3 → 1.26.4" in f.message.show()
    # numpy is watched: only the watched packages are restored (tinypkg is left as it is)
    (step,) = f.repair[0].steps
    assert step.packages == ("numpy==2.1.3",) and step.index_url is None and not step.find_links


def test_an_unwatched_package_is_worth_knowing_only() -> None:
    static = base_static()
    static["dists"].append(dist("tinypkg", "2.0"))
    small = lock(
        Locked("torch", "2.13.0+cpu", Group.TORCH, "/opt/wheels"),
        Locked("tinypkg", "1.0", Group.PACKAGES, "/srv/wheels"),
    )
    r = judged(static, small)
    f = drift(r)
    assert f is not None and f.severity is Severity.INFO and r.diagnosis.healthy
    (step,) = f.repair[0].steps
    assert step.packages == ("tinypkg==1.0",) and step.find_links == ("/srv/wheels",)
    assert step.index_url is None


def test_a_file_from_a_page_of_links_is_restored_with_find_links(tmp_path: Path) -> None:
    """A mirror's flat page of wheel links and a file:// wheel folder are --find-links sources:
    as --index-url pip would find nothing there. A file:// index stays an index."""
    (page,) = [p.location("cpu") for p in presets() if p.kind is Kind.TORCH_LINKS][:1]
    static = base_static("2.12.0+cpu")
    f = drift(judged(static, lock(Locked("torch", "2.13.0+cpu", Group.TORCH, page))))
    assert f is not None
    (step,) = f.repair[0].steps
    assert (step.packages, step.index_url, step.find_links) == (
        ("torch==2.13.0+cpu",),
        None,
        (page,),
    )
    # unwatched packages, each from its own kind of local source
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "tinypkg-1.0-py3-none-any.whl").write_bytes(b"")
    index = tmp_path / "simple"
    (index / "otherpkg").mkdir(parents=True)
    static = base_static()
    static["dists"] += [dist("tinypkg", "2.0"), dist("otherpkg", "2.0")]
    local = lock(
        Locked("torch", "2.13.0+cpu", Group.TORCH, "/opt/wheels"),
        Locked("tinypkg", "1.0", Group.PACKAGES, wheels.as_uri()),
        Locked("otherpkg", "1.0", Group.PACKAGES, index.as_uri()),
    )
    f = drift(judged(static, local))
    assert f is not None
    found = {s.packages: (s.index_url, s.find_links) for s in f.repair[0].steps}
    assert found == {
        ("tinypkg==1.0",): (None, (wheels.as_uri(),)),
        ("otherpkg==1.0",): (index.as_uri(), ()),
    }


def test_no_lock_a_matching_lock_or_a_conda_lock_finds_nothing() -> None:
    static = base_static()
    assert drift(judged(static, None)) is None
    same = lock(
        Locked("torch", "2.13.0+cpu", Group.TORCH, "/opt/wheels"),
        Locked("numpy", "2.1.3", Group.PACKAGES),
    )
    assert drift(judged(static, same)) is None
    conda = lock(Locked("pytorch", "2.5.1", build="cpu_mkl_0"), installer=Installer.CONDA)
    assert drift(judged(static, conda)) is None


def test_a_copy_outside_the_environment_does_not_count_as_installed() -> None:
    static = base_static()
    static["dists"].insert(0, dist("tinypkg", "1.0", entry="/home/ada/.local/lib/site"))
    small = lock(Locked("tinypkg", "1.0", Group.PACKAGES))
    f = drift(judged(static, small))
    assert f is not None and "tinypkg 1.0 → -" in f.message.show()


def test_the_lock_file_is_read_from_the_environment(tmp_path: Path) -> None:
    assert read_lock(tmp_path) is None
    (tmp_path / LOCK_FILE).write_text(CUDA_LOCK.to_json())
    assert read_lock(tmp_path) == CUDA_LOCK
    (tmp_path / LOCK_FILE).write_text(json.dumps({"schema": 99}))
    assert read_lock(tmp_path) is None
    (tmp_path / LOCK_FILE).write_text("{not json")
    assert read_lock(tmp_path) is None


def test_a_repair_removes_first_and_installs_once() -> None:
    """Removals come first; a second install is resolved beside the first (folded into the
    lock by the resolve), so the lock is installed once, after every removal."""
    uv_env = Env(Path(PREFIX), Path(f"{PREFIX}/bin/python"), EnvKind.UV, "path")
    static = base_static()
    static["dists"] = [d for d in static["dists"] if d["name"] != "pip"]
    ins = Inspection(static, None)
    r = Result(uv_env, ins, facts("facts_cpu_box.json"), None, Diagnosis(PREFIX, []))
    a = RepairOption(
        "a",
        Text("a"),
        (
            RepairStep(Action.UNINSTALL, ("torchvision",)),
            RepairStep(Action.INSTALL, ("torchvision==0.28.*",), index_url="file:///x"),
        ),
    )
    b = RepairOption(
        "b",
        Text("b"),
        (
            RepairStep(Action.UNINSTALL, ("numpy",)),
            RepairStep(Action.UNINSTALL, ("numpy",)),
            RepairStep(Action.INSTALL, ("numpy<2",)),
        ),
    )
    f = Finding(Code.NUMPY_ABI, Severity.ERROR, Text("x"), "numpy")
    plan = repair_plan(r, steps_of([Chosen(f, a), Chosen(f, b)]))
    assert [s.id for s in plan.steps] == [
        "remove-1",
        "remove-2",
        "remove-3",
        "install-torch",
        "install-torch-deps",
    ]
    assert all(isinstance(s.spec, Uninstall) for s in plan.steps[:3])
    assert plan.steps[1].argv[:5] == [
        plan.steps[1].argv[0],
        "pip",
        "uninstall",
        "--python",
        f"{PREFIX}/bin/python",
    ]
    assert plan.installer.installer is Installer.UV
    assert plan.steps[3].label() == "Install torchvision==0.28.*, numpy<2"


def test_doctor_json_is_a_row_of_envwizard_report(tmp_path: Path) -> None:
    """`envwizard doctor --json > host.json` for each machine, then `envwizard report *.json`:
    each environment is a row with its torch as installed and its first problem."""
    from tests.builders import cli

    sick = judged(base_static(), CUDA_LOCK, "facts_workstation.json").to_dict()
    well = judged(base_static(), None).to_dict()
    assert sick["torch"] == {"version": "2.13.0+cpu", "variant": "cpu"}
    assert sick["facts"]["gpus"] and sick["host"]
    (tmp_path / "ws-1.json").write_text(json.dumps({**sick, "host": "ws-1"}))
    (tmp_path / "box.json").write_text(json.dumps({**well, "host": "box"}))
    r = cli("report", "--json", str(tmp_path / "ws-1.json"), str(tmp_path / "box.json"))
    assert r.returncode == 1, r.stderr  # one environment has problems
    rows = {row["host"]: row for row in json.loads(r.stdout)}
    assert rows["box"]["status"] == "healthy" and rows["box"]["failure"] is None
    assert rows["ws-1"]["status"] == "problems"
    assert rows["ws-1"]["failure"].startswith(("LOCK_DRIFT: ", "TORCH_CPU_ON_GPU_MACHINE: "))
    assert rows["ws-1"]["torch_version"] == "2.13.0+cpu" and rows["ws-1"]["env"] == PREFIX
    assert "RTX 4090" in " ".join(rows["ws-1"]["gpus"])
    only_well = cli("report", str(tmp_path / "box.json"))
    assert only_well.returncode == 0 and "healthy" in only_well.stdout


def test_a_repair_that_keeps_torch_holds_every_package_it_does_not_name() -> None:
    from envwizard.doctor.fix import held_versions

    static = base_static()
    static["dists"].append(dist("weird", "not a version"))
    static["dists"].append(dist("tinypkg", "1.0", entry="/home/ada/.local/lib/site"))
    r = judged(static, None)
    numpy2 = [RepairStep(Action.INSTALL, ("numpy<2",), keep=("torch==2.13.0+cpu",))]
    assert held_versions(r, numpy2) == ["pip==24.2"]  # not numpy, torch (kept), nor outside
    plan = repair_plan(r, numpy2, ("/tmp/held.txt",))
    spec = plan.steps[0].spec
    assert isinstance(spec, Install) and spec.sources.constraints == ("/tmp/held.txt",)
    assert "--constraint" in plan.steps[0].argv
    new_torch = [RepairStep(Action.INSTALL, ("torch==2.14.*",), index_url=CU130)]
    assert held_versions(r, new_torch) == []  # a new build brings its own dependencies
    assert held_versions(r, [RepairStep(Action.UNINSTALL, ("numpy",))]) == []
