"""Finding the environment: a folder, a conda name, --python, or the active one (no Python runs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envwizard.cli import main
from envwizard.core.errors import InvalidInput
from envwizard.doctor.envs import EnvKind, kind_of, locate
from envwizard.facts.model import Facts, Manager, OSInfo, PythonInfo


def make_env(root: Path, cfg: str | None = "home = /usr/bin\n", conda: bool = False) -> Path:
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "python").write_text("")
    if cfg is not None:
        (root / "pyvenv.cfg").write_text(cfg)
    if conda:
        (root / "conda-meta").mkdir()
        (root / "conda-meta" / "history").write_text("")
    return root


@pytest.mark.parametrize(
    ("cfg", "conda", "kind"),
    [
        ("home = /usr/bin\nversion = 3.11.7\n", False, EnvKind.VENV),
        ("home = /usr/bin\nvirtualenv = 21.15.14\n", False, EnvKind.VIRTUALENV),
        ("home = /usr/bin\nuv = 0.13.9\n", False, EnvKind.UV),
        (None, True, EnvKind.CONDA),
        (None, False, EnvKind.PYTHON),
    ],
)
def test_kind_from_the_folder(tmp_path: Path, cfg: str | None, conda: bool, kind: EnvKind) -> None:
    assert kind_of(make_env(tmp_path / "e", cfg, conda)) is kind


def test_a_path_a_conda_name_and_the_active_one(tmp_path: Path) -> None:
    env = make_env(tmp_path / "envs" / "dl", None, conda=True)
    facts = Facts(OSInfo("Linux", "x86_64"), PythonInfo("3.11.7", "/usr/bin/python3"))
    facts.managers["conda"] = Manager(
        "conda", "/opt/conda/bin/conda", envs_dir=str(tmp_path / "envs")
    )
    assert locate(str(env), None, {}).prefix == env
    found = locate("dl", None, {}, facts)
    assert (found.prefix, found.kind) == (env, EnvKind.CONDA)
    # conda's own list of environments, when no manager was probed
    home = tmp_path / "home"
    (home / ".conda").mkdir(parents=True)
    (home / ".conda" / "environments.txt").write_text(f"/nowhere/dl\n{env}\n")
    assert locate("dl", None, {"HOME": str(home)}).prefix == env
    assert locate(None, None, {"CONDA_PREFIX": str(env)}).found_by == "CONDA_PREFIX"
    venv = make_env(tmp_path / "v")
    assert locate(None, None, {"VIRTUAL_ENV": str(venv), "CONDA_PREFIX": str(env)}).prefix == venv
    by_python = locate(None, str(venv / "bin" / "python"), {})
    assert (by_python.prefix, by_python.kind) == (venv, EnvKind.VENV)


@pytest.mark.parametrize(
    ("args", "environ", "words"),
    [
        ([], {}, "no environment is active"),
        (["nosuchname"], {"HOME": "/nonexistent"}, "no conda environment of that name"),
        (["./missing"], {}, "there is no environment at"),
        (["--python", "/nonexistent/python"], {}, "does not exist"),
    ],
)
def test_what_cannot_be_found_is_one_sentence_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    environ: dict[str, str],
    words: str,
) -> None:
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    for k, v in environ.items():
        monkeypatch.setenv(k, v)
    facts = str(Path(__file__).resolve().parents[1] / "data" / "facts_cpu_box.json")
    code = main(["doctor", *args, "--facts", facts])
    err = capsys.readouterr().err
    assert code == 2 and words in err and err.count("\n") == 1


def test_a_folder_without_python_and_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InvalidInput, match="is not a Python environment"):
        locate(str(tmp_path), None, {})
    with pytest.raises(InvalidInput, match="is a file"):
        locate(str(tmp_path / "notes.txt"), None, {})
    with pytest.raises(InvalidInput, match="not both"):
        locate(str(tmp_path), "/usr/bin/python3", {})


def test_an_interpreter_that_does_not_start_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A venv whose base Python was removed: its bin/python is a dangling link."""
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text(f"home = {tmp_path / 'gone' / 'bin'}\n")
    os.symlink(tmp_path / "gone" / "bin" / "python3.11", env / "bin" / "python")
    facts = str(Path(__file__).resolve().parents[1] / "data" / "facts_cpu_box.json")
    code = main(["doctor", str(env), "--facts", facts])
    err = capsys.readouterr().err
    assert code == 2 and "does not start" in err and "is gone" in err
