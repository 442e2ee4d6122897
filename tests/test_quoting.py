"""Printed commands are pasted into shells (issue 18): every path is quoted for the shell that
reads it, POSIX sh or PowerShell, so `'`, `;`, `$(…)` and spaces stay part of the path."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from envwizard.facts.load import facts_from_dict
from envwizard.knowledge import load
from envwizard.plan.build import CONSTRAINTS_FILE, make_plan
from envwizard.settings.answers import validate

from .builders import tool

KB = load()
HOSTILE = "/srv/it's; $(touch PWNED) `id` a b"


def facts(system: str = "Linux") -> object:
    exe = "C:\\Python311\\python.exe" if system == "Windows" else "/usr/bin/python3.11"
    return facts_from_dict({
        "schema": 1, "os": {"system": system, "machine": "x86_64", "glibc": None},
        "python": {"version": "3.11.9", "executable": exe}, "gpus": [], "nvidia_driver": None,
    })  # fmt: skip


def test_posix_commands_read_back_as_the_same_words() -> None:
    p = make_plan(facts(), validate({"env": HOSTILE, "compute": "cpu"}), KB)  # type: ignore[arg-type]
    assert shlex.split(p.activate) == ["source", f"{HOSTILE}/bin/activate"]
    assert shlex.split(p.install_more) == [
        f"{HOSTILE}/bin/python",
        "-m",
        "pip",
        "install",
        "PACKAGE",
    ]
    uv = make_plan(facts(), validate({"env": HOSTILE, "manager": "uv", "offline": True,
                                      "find_links": ["/w"], "compute": "cpu"}), KB)  # type: ignore[arg-type]  # fmt: skip
    assert shlex.split(uv.install_more)[-3:] == [
        "--constraint",
        f"{HOSTILE}/{CONSTRAINTS_FILE}",
        "PACKAGE",
    ]
    conda = make_plan(facts(), validate({"env": HOSTILE, "manager": "conda", "compute": "cpu"}), KB)  # type: ignore[arg-type]
    assert shlex.split(conda.activate) == ["conda", "activate", HOSTILE]


def test_a_venv_path_its_own_activate_script_would_expand_is_warned_about() -> None:
    p = make_plan(facts(), validate({"env": HOSTILE, "compute": "cpu"}), KB)  # type: ignore[arg-type]
    assert any("activate script" in w.text and "$" in w.text for w in p.warnings)
    uv = make_plan(facts(), validate({"env": HOSTILE, "manager": "uv", "compute": "cpu"}), KB)  # type: ignore[arg-type]
    assert not any("activate script" in w.text for w in uv.warnings)


def test_powershell_commands_single_quote_and_call_quoted_programs() -> None:
    env = "C:\\envs\\it's $(calc) ‘x’"
    p = make_plan(facts("Windows"), validate({"env": env, "compute": "cpu"}), KB)  # type: ignore[arg-type]
    assert p.activate == "& 'C:\\envs\\it''s $(calc) ‘‘x’’\\Scripts\\Activate.ps1'"
    assert (
        p.install_more
        == "& 'C:\\envs\\it''s $(calc) ‘‘x’’\\Scripts\\python.exe' -m pip install PACKAGE"
    )
    plain = make_plan(facts("Windows"), validate({"env": "C:\\envs\\dl", "compute": "cpu"}), KB)  # type: ignore[arg-type]
    assert plain.activate == "C:\\envs\\dl\\Scripts\\Activate.ps1"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_printed_activation_works_in_a_real_shell_and_runs_nothing_else(tmp_path: Path) -> None:
    env = tmp_path / "it's; $(touch PWNED) `touch PWNED2` a b"
    # uv writes an activate script that quotes the path (python -m venv's own does not: the plan
    # warns about such a path for manager: venv)
    subprocess.run([tool("uv"), "venv", "-q", str(env)], check=True)
    p = make_plan(facts(), validate({"env": str(env), "manager": "uv", "compute": "cpu"}), KB)  # type: ignore[arg-type]
    r = subprocess.run(["bash", "-c", p.activate + ' && printf %s "$VIRTUAL_ENV"'],
                       capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout == str(env)
    assert not list(tmp_path.glob("PWNED*"))
