"""`doctor --fix` on real environments: the repair runs through the session and the runner, a
repair that fails or changes nothing good is put back file for file, and nothing else changes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from envwizard.app.doctor_fix import apply_repair, choose, preflight_refusal
from envwizard.core.errors import InvalidInput
from envwizard.doctor.diagnose import diagnose
from envwizard.doctor.envs import at_prefix
from envwizard.doctor.fix import Chosen
from envwizard.doctor.model import Action, Code, RepairOption, RepairStep, Text
from envwizard.facts.load import facts_from_json
from envwizard.plan.build import STATE_FILE

from ..builders import build_wheel, create_argv, file_index
from .conftest import doctor, python_of, run, snapshot, uv

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[1] / "data"
CPU_BOX = DATA / "facts_cpu_box.json"


def cpu_facts():  # type: ignore[no-untyped-def]
    return facts_from_json(CPU_BOX.read_text(), where="facts_cpu_box.json")


def freeze(env: Path) -> list[str]:
    return run([str(python_of(env)), "-m", "pip", "freeze", "--all"]).stdout.split()


def test_fix_removes_the_cuda_torchvision_when_no_cpu_build_is_reachable(
    broken_env: Path, tmp_path: Path
) -> None:
    before = freeze(broken_env)
    # without a terminal to ask, --fix needs --yes
    r = doctor(str(broken_env), "--fix", "--facts", str(CPU_BOX), cwd=tmp_path)
    assert r.returncode == 2 and "pass --yes" in r.stderr
    assert freeze(broken_env) == before
    r = doctor(str(broken_env), "--fix", "--yes", "--facts", str(CPU_BOX), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    # the recommended repair (torchvision's CPU build from PyTorch's index) cannot run here:
    # said, and the next choice, removing torchvision, is taken
    assert "cannot reach" in r.stdout and "Remove torchvision" in r.stdout
    assert "is healthy now" in r.stdout
    after = freeze(broken_env)
    assert [p for p in before if p not in after] == ["torchvision==0.28.0"]
    assert [p for p in after if p not in before] == []
    assert not (broken_env / STATE_FILE).exists()  # envwizard leaves no record in a foreign env
    assert not any(p.name.startswith(".envwizard") for p in broken_env.iterdir())
    assert doctor(str(broken_env), "--facts", str(CPU_BOX), cwd=tmp_path).returncode == 0
    report = Path(r.stdout.split("report: ")[1].split()[0])
    data = json.loads(report.read_text())
    assert data["status"] == "done" and data["env"]["outcome"] != "removed"
    assert data["doctor"]["fixed"] == ["COMPANION_VARIANT_MISMATCH"]
    assert data["doctor"]["after"]["healthy"] is True and data["doctor"]["restored"] is False


def test_a_companion_of_another_build_is_refused_by_the_resolve(
    broken_env: Path, tmp_path: Path
) -> None:
    """torchvision again from the configured index: the resolve, asked beside the torch that
    stays, locks the index's CUDA build next to the CPU torch; the lock check refuses it in one
    sentence before anything changes."""
    result = diagnose(at_prefix(broken_env, "path"), cpu_facts(), os.environ, cwd=str(tmp_path))
    same_again = RepairOption(
        "reinstall",
        Text("reinstall torchvision"),
        (
            RepairStep(Action.UNINSTALL, ("torchvision",)),
            RepairStep(Action.INSTALL, ("torchvision==0.28.0",), no_deps=True),
        ),
    )
    before = snapshot(broken_env)
    why = preflight_refusal(result, same_again) or ""
    assert "no CPU build of torchvision among the configured sources" in why, why
    assert "\n" not in why and why.count(". ") <= 1
    finding = next(
        f for f in result.diagnosis.findings if f.code is Code.COMPANION_VARIANT_MISMATCH
    )
    with pytest.raises(InvalidInput, match="no CPU build of torchvision"):
        apply_repair(result, [Chosen(finding, same_again)], Console(file=io.StringIO()))
    assert snapshot(broken_env) == before


def test_a_repair_that_does_not_help_is_put_back(broken_env: Path, tmp_path: Path) -> None:
    """pillow installed again runs fine but leaves the CUDA torchvision: doctor looks again,
    finds the problem still there, and puts pillow's files back byte for byte."""
    result = diagnose(at_prefix(broken_env, "path"), cpu_facts(), os.environ, cwd=str(tmp_path))
    finding = next(
        f for f in result.diagnosis.findings if f.code is Code.COMPANION_VARIANT_MISMATCH
    )
    pillow = next(p for p in freeze(broken_env) if p.lower().startswith("pillow=="))
    useless = RepairOption(
        "useless",
        Text("reinstall pillow"),
        (RepairStep(Action.UNINSTALL, ("pillow",)), RepairStep(Action.INSTALL, (pillow,))),
    )
    before = snapshot(broken_env)
    code = apply_repair(result, [Chosen(finding, useless)], Console(file=io.StringIO()))
    assert code == 1
    assert snapshot(broken_env)[0] == before[0]  # pip freeze
    kept = {k: v for k, v in before[1].items() if "PIL" in k or "pillow" in k}
    now = {k: v for k, v in snapshot(broken_env)[1].items() if "PIL" in k or "pillow" in k}
    assert kept and {k: v[0] for k, v in now.items()} == {k: v[0] for k, v in kept.items()}
    assert not (broken_env / STATE_FILE).exists()


def tiny_env(tmp_path: Path) -> tuple[Path, Path]:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinypkg", "1.0")
    env = tmp_path / "env"
    run([sys.executable, "-m", "venv", str(env)])
    run([str(python_of(env)), "-m", "pip", "install", "--quiet", "--no-index", "--find-links",
         str(wheels), "tinypkg==1.0"])  # fmt: skip
    return env, wheels


def replace_tiny(tmp_path: Path, version: str, links: Path) -> RepairOption:
    (tmp_path / "empty").mkdir(exist_ok=True)
    return RepairOption(
        "replace",
        Text("replace tinypkg"),
        (
            RepairStep(Action.UNINSTALL, ("tinypkg",)),
            RepairStep(
                Action.INSTALL,
                (f"tinypkg=={version}",),
                index_url=(tmp_path / "empty").as_uri(),
                find_links=(str(links),),
            ),
        ),
    )


def test_a_repair_the_resolve_refuses_changes_nothing(tmp_path: Path) -> None:
    """The repair's installs are resolved before anything runs: a version no source holds is
    the installer's own words, and the environment is as it was (tinypkg not even removed)."""
    env, wheels = tiny_env(tmp_path)
    result = diagnose(at_prefix(env, "path"), cpu_facts(), os.environ, cwd=str(tmp_path))
    finding = result.diagnosis.findings[0]
    before = snapshot(env)
    with pytest.raises(InvalidInput, match=r"cannot install tinypkg==9\.9"):
        apply_repair(
            result,
            [Chosen(finding, replace_tiny(tmp_path, "9.9", wheels))],
            Console(file=io.StringIO()),
        )
    assert snapshot(env) == before


def test_a_step_that_fails_puts_back_what_the_steps_before_it_changed(tmp_path: Path) -> None:
    """Resolved, then the wheel is gone before the install: the removal that ran first is put
    back."""
    env, _ = tiny_env(tmp_path)
    newer = tmp_path / "newer"
    build_wheel(newer, "tinypkg", "2.0")
    result = diagnose(at_prefix(env, "path"), cpu_facts(), os.environ, cwd=str(tmp_path))
    finding = result.diagnosis.findings[0]
    option = replace_tiny(tmp_path, "2.0", newer)
    assert preflight_refusal(result, option) is None  # resolved: tinypkg 2.0 from `newer`
    for wheel in newer.glob("*.whl"):
        wheel.unlink()
    before = snapshot(env)
    code = apply_repair(result, [Chosen(finding, option)], Console(file=io.StringIO()))
    assert code == 1
    assert snapshot(env)[0] == before[0]
    assert "tinypkg==1.0" in freeze(env)
    import_ok = subprocess.run([str(python_of(env)), "-c", "import tinypkg"], capture_output=True)
    assert import_ok.returncode == 0


def test_the_person_chooses_and_a_refused_choice_is_said(broken_env: Path, tmp_path: Path) -> None:
    result = diagnose(at_prefix(broken_env, "path"), cpu_facts(), os.environ, cwd=str(tmp_path))
    asked: list[tuple[str, list[str], list[str]]] = []

    def ask(f, options, refused):  # type: ignore[no-untyped-def]
        asked.append((f.code.value, [o.id for o in options], refused))
        return options[0]

    chosen = choose(result, ask, Console(file=io.StringIO()))
    assert [(c.finding.code, c.option.id) for c in chosen] == [
        (Code.COMPANION_VARIANT_MISMATCH, "remove")
    ]
    assert asked[0] == ("COMPANION_VARIANT_MISMATCH", ["replace", "remove"], [])
    assert asked[1][1] == ["remove"] and "cannot reach" in asked[1][2][0]
    assert choose(result, lambda f, o, r: None, Console(file=io.StringIO())) == []


def test_a_missing_dependency_is_installed_without_moving_what_is_there(tmp_path: Path) -> None:
    """`app` needs `liba`, which is missing; `liba` needs `libb`, installed at 1.0 while the
    wheel folder also holds 2.0. The repair is resolved with every package it does not name held
    where it is: `liba` comes in, `libb` stays 1.0, nothing else changes."""
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "doctorfix_app", "1.0", requires=("doctorfix_liba", "doctorfix_libb"))
    build_wheel(wheels, "doctorfix_liba", "1.0", requires=("doctorfix_libb>=1",))
    build_wheel(wheels, "doctorfix_libb", "1.0")
    build_wheel(wheels, "doctorfix_libb", "2.0")
    env = tmp_path / "env"
    run([sys.executable, "-m", "venv", str(env)])
    run([str(python_of(env)), "-m", "pip", "install", "--quiet", "--no-index", "--find-links",
         str(wheels), "--no-deps", "doctorfix_app==1.0", "doctorfix_libb==1.0"])  # fmt: skip
    before = freeze(env)
    links = {"PIP_FIND_LINKS": f"{os.environ.get('PIP_FIND_LINKS', '')} {wheels}".strip()}
    r = doctor(str(env), "--json", "--facts", str(CPU_BOX), cwd=tmp_path, env=links)
    codes = {f["code"]: f for f in json.loads(r.stdout)["findings"]}
    message = codes["PIP_CHECK_CONFLICT"]["message"]
    assert "liba is not installed" in message and "libb" not in message
    r = doctor(str(env), "--fix", "--yes", "--facts", str(CPU_BOX), cwd=tmp_path, env=links)
    said = " ".join(r.stdout.split())
    assert r.returncode == 0, r.stdout + r.stderr
    assert "doctorfix-libb: 1.0 → 2.0" not in said and "doctorfix-liba: - → 1.0" in said
    after = freeze(env)
    assert [p.replace("-", "_") for p in after if p not in before] == ["doctorfix_liba==1.0"]
    assert [p for p in before if p not in after] == []


CPU_TORCHVISION = """
import types as _types


def _nms(boxes, scores, threshold):
    import torch

    keep = []
    for i in scores.argsort(descending=True).tolist():
        a = boxes[i].tolist()
        for j in keep:
            b = boxes[j].tolist()
            w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
            if union > 0 and w * h / union > threshold:
                break
        else:
            keep.append(i)
    return torch.tensor(keep)


ops = _types.SimpleNamespace(nms=_nms)
"""


def test_the_person_chooses_replace_and_a_cpu_torchvision_takes_its_place(
    broken_env: Path, tmp_path: Path
) -> None:
    """doctor's own "replace" option, with PyTorch's CPU index (not reachable here) stood in for
    by a local index holding a `torchvision 0.28.0+cpu` (pure Python, nms included): the repair
    is resolved beside the CPU torch, passes the lock check, replaces the CUDA build, and the
    environment passes."""
    index = file_index(
        tmp_path / "cpu-index",
        [build_wheel(tmp_path / "built", "torchvision", "0.28.0+cpu", CPU_TORCHVISION,
                     requires=("torch==2.13.0",))],
    )  # fmt: skip
    result = diagnose(at_prefix(broken_env, "path"), cpu_facts(), os.environ, cwd=str(tmp_path))
    finding = next(
        f for f in result.diagnosis.findings if f.code is Code.COMPANION_VARIANT_MISMATCH
    )
    ours = next(o for o in finding.repair if o.id == "replace")
    remove, install = ours.steps
    assert install.packages == ("torchvision==0.28.*",) and install.keep
    local = RepairOption(ours.id, ours.title, (remove, replace(install, index_url=index)))
    before = freeze(broken_env)
    out = io.StringIO()
    code = apply_repair(result, [Chosen(finding, local)], Console(file=out, width=200))
    assert code == 0, out.getvalue()
    after = freeze(broken_env)
    assert [p for p in before if p not in after] == ["torchvision==0.28.0"]
    assert [p for p in after if p not in before] == ["torchvision==0.28.0+cpu"]
    r = doctor(str(broken_env), "--json", "--facts", str(CPU_BOX), cwd=tmp_path)
    assert r.returncode == 0, r.stdout


def test_a_uv_environment_is_repaired_with_uv_through_its_resolve(tmp_path: Path) -> None:
    """A uv environment has no pip: the repair is resolved by `uv pip compile` for its Python
    and installed by `uv pip install`, the packages it does not name held as they are."""
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "doctorfix_app", "1.0", requires=("doctorfix_liba", "doctorfix_libb"))
    build_wheel(wheels, "doctorfix_liba", "1.0", requires=("doctorfix_libb>=1",))
    build_wheel(wheels, "doctorfix_libb", "1.0")
    build_wheel(wheels, "doctorfix_libb", "2.0")
    env = tmp_path / "envU"
    run(create_argv("uv", env))
    run([uv(), "pip", "install", "--quiet", "--python", str(python_of(env)), "--no-index",
         "--find-links", str(wheels), "--no-deps", "doctorfix_app==1.0", "doctorfix_libb==1.0"])  # fmt: skip
    links = {"UV_FIND_LINKS": str(wheels)}
    r = doctor(str(env), "--fix", "--yes", "--facts", str(CPU_BOX), cwd=tmp_path, env=links)
    said = " ".join(r.stdout.split())
    assert r.returncode == 0, r.stdout + r.stderr
    assert "uv pip install" in said and "envwizard-lock-torch.txt" in said
    assert "doctorfix-liba: - → 1.0" in said and "doctorfix-libb: 1.0 → 2.0" not in said
    listed = run([uv(), "pip", "freeze", "--python", str(python_of(env))]).stdout.split()
    assert sorted(p.replace("-", "_") for p in listed) == [
        "doctorfix_app==1.0", "doctorfix_liba==1.0", "doctorfix_libb==1.0",
    ]  # fmt: skip
    assert not (env / "envwizard-lock.json").exists() and not (env / STATE_FILE).exists()
