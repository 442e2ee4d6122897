"""The stack in the plan and through the lock: what torch's step and the packages step install,
what verify proves, the Jupyter kernel step, and a companion the sources hold only in another
build — left out when the stack brought it, refused when `packages:` asked for it.

The lock is pip's own report recorded on this project's machine (tests/data/resolve: torch
2.13.0+cpu from /opt/wheels beside the default index's CUDA torchvision 0.28.0 and torchaudio
2.11.1), so the decision is tested on what pip really answers.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from envwizard.decide.stack import why
from envwizard.decide.stack_wording import Why
from envwizard.knowledge import load
from envwizard.plan.build import KERNEL_RECORD, Plan, make_plan, script_path
from envwizard.plan.lock import Group, Lock, pip_packages
from envwizard.plan.lockcheck import LockRefused, check_lock
from envwizard.plan.steps import Installer, Kernel, VerifyStack
from envwizard.report.stack_view import run_lines
from envwizard.settings.answers import validate

from ..test_decide import machine

KB = load()
ENV = "/srv/envs/dl"
ENV_PY = f"{ENV}/bin/python"
CPU = machine()
DATA = Path(__file__).parent.parent / "data" / "resolve"
SOURCES = ["/opt/wheels", "file:///opt/pypi/simple", "file:///opt/pypi-more/simple"]


def plan(**answers: Any) -> Plan:
    a = {"env": ENV, "benchmark": False, "installer": "pip", "compute": "cpu", **answers}
    return make_plan(CPU, validate(a, cwd="/work"), KB)


def recorded_lock() -> Lock:
    """pip 23.2.1's report for torch==2.13.* torchvision==0.28.* torchaudio==2.11.* here."""
    report = json.loads((DATA / "pip-report-torch213-companions.json").read_text())
    packages = pip_packages(report, Group.TORCH, SOURCES, default_index=True)
    return Lock(Installer.PIP, "3.11.7", "linux-x86_64", tuple(packages), tuple(SOURCES))


TUTORIAL = {"torch_index": "default", "torch": "==2.13.*"}


def test_the_tutorial_stack_installs_the_trio_with_torch_and_numpy_after_it() -> None:
    p = plan(**TUTORIAL)
    torch = p.step("install-torch").spec
    # torchvision 0.28 is built for torch 2.13 alone; torchaudio 2.11 serves 2.11 and later
    # (stack.toml's companion rows; pytorch/vision README table, pytorch/audio#4212).
    assert torch.requirements == ("torch==2.13.*", "torchvision==0.28.*", "torchaudio>=2.11.1,<2.12")  # type: ignore[attr-defined]  # fmt: skip
    assert p.step("install-packages").spec.requirements[0].startswith("numpy")  # type: ignore[attr-defined]
    assert p.step("pin").spec.names == ("torch", "torchvision", "torchaudio")  # type: ignore[attr-defined]
    steps = [s.id for s in p.steps]
    assert steps[-2:] == ["verify", "verify-stack"]
    spec = p.step("verify-stack").spec
    assert isinstance(spec, VerifyStack)
    assert spec.checks == ("torchvision", "torchaudio", "numpy") and spec.device == "cpu"
    assert p.step("verify-stack").argv[:2] == [ENV_PY, script_path("verify_stack.py")]


def test_stack_torch_has_nothing_beside_torch_to_verify() -> None:
    p = plan(stack="torch")
    assert [s.id for s in p.steps] == ["create-env", "install-torch", "pin", "verify"]


def test_jupyter_registers_the_kernel_after_verify_and_verify_starts_it() -> None:
    p = plan(stack="llm", jupyter=True, **TUTORIAL)
    ids = [s.id for s in p.steps]
    assert ids[ids.index("verify") :] == ["verify", "jupyter-kernel", "verify-stack"]
    kernel = p.step("jupyter-kernel").spec
    assert isinstance(kernel, Kernel)
    assert p.step("jupyter-kernel").argv == [
        ENV_PY,
        script_path("kernel.py"),
        "--name",
        "dl",
        "--display",
        "Python (dl, torch {torch})",
        "--record",
        f"{ENV}/{KERNEL_RECORD}",
    ]
    spec = p.step("verify-stack").spec
    assert isinstance(spec, VerifyStack)
    # bitsandbytes >= 0.48 ships a CPU library too (stack.toml's bitsandbytes rows).
    assert spec.checks == ("torchvision", "torchaudio", "numpy", "llm", "bitsandbytes", "jupyter")
    assert spec.kernel_record == f"{ENV}/{KERNEL_RECORD}"
    packages = p.step("install-packages").spec.requirements  # type: ignore[attr-defined]
    assert [r.split("<")[0].split(">")[0] for r in packages] == [
        "numpy", "transformers", "peft", "accelerate", "datasets", "bitsandbytes", "ipykernel"
    ]  # fmt: skip


def test_a_companion_of_another_build_is_named_by_the_refusal() -> None:
    p = plan(**TUTORIAL)
    with pytest.raises(LockRefused) as e:
        check_lock(recorded_lock(), p.decision, KB, "linux-x86_64")
    c = e.value.companion
    assert c is not None and (c.name, c.version, c.theirs, c.want) == (
        "torchvision",
        "0.28.0",
        "cu130",
        "cpu",
    )
    assert c.source == "file:///opt/pypi-more/simple"


def test_a_companion_the_stack_brought_is_left_out_of_every_step_and_said() -> None:
    p = plan(**TUTORIAL)
    assert p.stack is not None and p.stack.optional == ["torchvision", "torchaudio"]
    with pytest.raises(LockRefused) as e:
        check_lock(recorded_lock(), p.decision, KB, "linux-x86_64")
    assert e.value.companion is not None
    out = p.leave_out("torchvision", why(Why.RESOLVE_OTHER_BUILD, **e.value.companion.fields()))
    assert out.step("install-torch").spec.requirements == ("torch==2.13.*", "torchaudio>=2.11.1,<2.12")  # type: ignore[attr-defined]  # fmt: skip
    assert out.step("pin").spec.names == ("torch", "torchaudio")  # type: ignore[attr-defined]
    assert out.step("verify-stack").spec.checks == ("torchaudio", "numpy")  # type: ignore[attr-defined]
    assert out.stack is not None
    gone = out.stack.item("torchvision")
    assert gone is not None and not gone.included and gone.requirement is None
    assert gone.why == (
        "the configured sources hold no CPU build of torchvision: file:///opt/pypi-more/simple "
        "has its CUDA 13.0 build (torchvision 0.28.0), which would fail beside this torch; "
        "PyTorch's cpu index or a wheel folder with one would add it"
    )
    assert gone.codes == ["resolve-other-build"]
    assert out.stack.optional == ["torchaudio"]
    # The plan JSON says it as every left-out package is said.
    row = next(x for x in out.to_dict()["stack"]["packages"] if x["name"] == "torchvision")
    assert row["included"] is False and "CUDA 13.0 build" in row["why"]


def test_an_asked_companion_is_not_left_out_but_refused_by_the_lock_check() -> None:
    p = plan(packages=["torchvision"], **TUTORIAL)
    assert p.stack is not None and p.stack.optional == ["torchaudio"]


def test_the_locked_plan_expects_the_locked_versions_and_says_what_the_lock_lacks() -> None:
    p = plan(**TUTORIAL)
    lock = recorded_lock()
    kept = tuple(x for x in lock.packages if x.name not in ("torchvision", "torchaudio"))
    numpy = next(x for x in lock.packages if x.name == "numpy") if lock.get("numpy") else None
    lock = replace(lock, packages=kept, variant="cpu")
    files = {Group.TORCH: "/run/lock-torch.txt", Group.PACKAGES: "/run/lock-packages.txt"}
    locked = p.with_lock(lock, files, "/run/envwizard-lock.json")
    assert locked.stack is not None
    for name in ("torchvision", "torchaudio"):
        item = locked.stack.item(name)
        assert item is not None and not item.included
        assert item.why == "not in the environment's lock, which was resolved without it"
    spec = locked.step("verify-stack").spec
    assert isinstance(spec, VerifyStack) and spec.checks == ("numpy",)
    assert spec.expect == ((f"numpy=={numpy.version}",) if numpy else ())


def test_the_summary_says_per_package_what_verify_found() -> None:
    p = plan(jupyter=True, **TUTORIAL)
    p = p.leave_out("torchaudio", why(Why.NOT_IN_LOCK))
    # The kernel's check stays when a package is left out (it runs after the kernel step).
    assert p.step("verify-stack").spec.checks == ("torchvision", "numpy", "jupyter")  # type: ignore[attr-defined]
    verify_stack = {
        "ok": False,
        "packages": [
            {"name": "torchvision", "version": "0.28.0", "device": "cpu", "ok": False,
             "cause": "RuntimeError: operator torchvision::nms does not exist"},
            {"name": "numpy", "version": "2.4.6", "device": "cpu", "ok": True, "cause": None},
            {"name": "ipykernel", "version": "7.4.0", "device": "cpu", "ok": True,
             "kernel": "dl-2", "kernel_torch": "2.13.0+cpu"},
        ],
    }  # fmt: skip
    kernel = {"ok": True, "name": "dl-2", "asked": "dl"}
    lines = run_lines(p.stack, verify_stack, kernel)
    assert lines == [
        (
            "✗",
            "torchvision 0.28.0 on cpu: failed — RuntimeError: operator torchvision::nms does "
            "not exist",
        ),
        ("–", "torchaudio: not in the environment's lock, which was resolved without it"),
        ("✓", "numpy 2.4.6 on cpu: verified"),
        ("✓", "ipykernel 7.4.0 on cpu: verified"),  # proven by the kernel it serves
        ("✓", "Jupyter kernel dl-2 runs torch 2.13.0+cpu"),
        ("!", "a kernel named dl belongs to another Python, so this one is dl-2"),
    ]


def test_torchs_group_is_checked_before_the_packages_are_resolved() -> None:
    from envwizard.run.resolve import _companions_early

    p = plan(**TUTORIAL)
    found = list(recorded_lock().packages)
    with pytest.raises(LockRefused) as e:
        _companions_early(p, KB, "linux-x86_64", {"torchvision", "torchaudio"})(found)
    assert e.value.companion is not None and e.value.companion.name == "torchvision"
    # One the person asked for waits for the whole lock: its refusal names the local builds.
    _companions_early(p, KB, "linux-x86_64", {"torchaudio"})(
        [x for x in found if x.name != "torchaudio"]
    )


def test_the_markdown_report_says_what_is_beside_torch() -> None:
    from envwizard.report.report import markdown

    p = plan(**TUTORIAL).leave_out("torchaudio", why(Why.NOT_IN_LOCK))
    report = {
        "status": "done", "env": {"path": ENV, "activate": "x"}, "exit_code": 0, "steps": [],
        "decision": p.decision.to_dict(), "stack": p.to_dict()["stack"],
        "verify": {"ok": True, "packages": [
            {"name": "torchvision", "version": "0.28.0", "device": "cpu", "ok": False,
             "cause": "RuntimeError: operator torchvision::nms does not exist"}]},
    }  # fmt: skip
    text = markdown(report)
    section = text[text.index("## Beside torch (tutorial)") :]
    assert (
        "- torchvision 0.28.0 on cpu: failed — RuntimeError: operator torchvision::nms" in section
    )
    assert "- left out: torchaudio: not in the environment's lock" in section


def test_the_size_estimate_counts_what_goes_beside_torch() -> None:
    from envwizard.knowledge.stack import load_stack

    sizes = load_stack().size_mib
    assert set(sizes) <= set(load_stack().known()) | {"jax", "tensorflow"}
    torch_only = plan(stack="torch").estimate_mib
    assert plan().estimate_mib == torch_only + sizes["numpy"] + sizes["torchvision"] + sizes["torchaudio"]  # fmt: skip
    # The llm set with both frameworks: about 2.5 GiB more than torch (du of the envs made here).
    full = plan(stack="llm", jupyter=True, frameworks=["jax", "tensorflow"])
    assert 2400 <= full.estimate_mib - torch_only <= 2800
    assert full.size_text == "about 3.7 GiB"


def test_what_the_resolve_left_out_is_said_when_the_lock_is_taken() -> None:
    from envwizard.report.stack_view import resolve_left_out

    p = plan(**TUTORIAL)
    assert resolve_left_out(p.stack) == []  # the plan's own choices are said by the plan
    with pytest.raises(LockRefused) as e:
        check_lock(recorded_lock(), p.decision, KB, "linux-x86_64")
    assert e.value.companion is not None
    out = p.leave_out("torchvision", why(Why.RESOLVE_OTHER_BUILD, **e.value.companion.fields()))
    out = out.leave_out("torchaudio", why(Why.NOT_IN_LOCK))
    assert resolve_left_out(out.stack) == [
        "torchvision: the configured sources hold no CPU build of torchvision: "
        "file:///opt/pypi-more/simple has its CUDA 13.0 build (torchvision 0.28.0), which would "
        "fail beside this torch; PyTorch's cpu index or a wheel folder with one would add it"
    ]


def test_the_plan_says_which_companions_the_resolve_may_still_leave_out() -> None:
    """Before the resolve, the plan and the wizard's review list the companions the stack
    brought; one line says they are installed only where a matching build is found."""
    from envwizard.report.stack_view import optional_note

    note = optional_note(plan(**TUTORIAL).stack)
    assert note is not None and note.startswith("torchvision, torchaudio: installed only where")
    assert optional_note(plan(packages=["torchvision"], **TUTORIAL).stack) == (
        "torchaudio: installed only where the sources hold a build that matches torch; "
        "otherwise the resolve leaves it out, before anything changes, and says so"
    )
    assert optional_note(plan(packages=["torchvision", "torchaudio"], **TUTORIAL).stack) is None
    assert optional_note(plan(stack="torch").stack) is None
