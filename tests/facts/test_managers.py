"""Environment managers: versions without starting Python tools, envs directories, stand-ins."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from facts_helpers import stand_in, write_tree

from envwizard.facts.managers import (
    conda_envs_dir,
    dist_version,
    meta_version,
    parse_conda_info,
    parse_version_output,
    probe_managers,
    shebang_python,
)

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("uv 0.8.3 (7e78f54e7 2025-07-24)\n", "0.8.3"),
        ("uv 0.13.9 (x86_64-unknown-linux-gnu)\n", "0.13.9"),
        ("2.0.5\n", "2.0.5"),
        ("mamba 1.5.8\nconda 24.1.2\n", "1.5.8"),
        ("virtualenv 20.26.3 from /x/virtualenv/__init__.py\n", "20.26.3"),
        ("pip 24.0 from /usr/lib/python3/dist-packages/pip (python 3.12)\n", "24.0"),
        ("conda 25.9.1\n", "25.9.1"),
        ("no version here\n", None),
    ],
)
def test_parse_version_output(text: str, expected: str | None) -> None:
    assert parse_version_output(text) == expected


def test_parse_conda_info_both_spellings() -> None:
    conda = {"envs_dirs": ["/opt/conda/envs", "/root/.conda/envs"], "root_prefix": "/opt/conda"}
    micromamba = {
        "envs directories": ["/root/micromamba/envs"],
        "base environment": "/root/micromamba",
    }
    assert parse_conda_info(conda) == "/opt/conda/envs"
    assert parse_conda_info(micromamba) == "/root/micromamba/envs"
    assert parse_conda_info({"envs directories": "/x/envs"}) == "/x/envs"
    assert parse_conda_info([]) is None and parse_conda_info({}) is None


def conda_base(root: Path) -> Path:
    """A conda base as an installer leaves it: conda-meta records and condabin/conda."""
    write_tree(
        root, {"conda-meta/conda-24.7.1-py312h06a4308_0.json": "{}", "conda-meta/history": ""}
    )
    # conda is slow to start; the probe must read its version, so running it fails the test.
    stand_in(root / "condabin", "conda", "sys.exit('conda must not be started by the probe')")
    return root


def test_meta_version(tmp_path: Path) -> None:
    base = conda_base(tmp_path / "miniforge3")
    assert meta_version(str(base), "conda") == "24.7.1"
    assert meta_version(str(base), "mamba") is None


def test_conda_envs_dir_precedence(tmp_path: Path) -> None:
    base = conda_base(tmp_path / "miniforge3")
    home = tmp_path / "home"
    home.mkdir()
    assert conda_envs_dir(str(base), {}, str(home)) == (
        str(base / "envs"),
        "conda's default (base is writable)",
    )
    write_tree(base, {".condarc": "envs_dirs:\n  - /data/base-envs\n"})
    assert conda_envs_dir(str(base), {}, str(home))[0] == "/data/base-envs"
    write_tree(home, {".condarc": "channels: [conda-forge]\nenvs_dirs: [~/my-envs, /other]\n"})
    assert conda_envs_dir(str(base), {}, str(home)) == (
        os.path.expanduser("~/my-envs"),
        str(home / ".condarc"),
    )
    env = {"CONDA_ENVS_DIRS": os.pathsep.join(["/fast/envs", "/slow/envs"])}
    assert conda_envs_dir(str(base), env, str(home)) == ("/fast/envs", "$CONDA_ENVS_DIRS")


def test_unreadable_condarc_is_skipped(tmp_path: Path) -> None:
    base = conda_base(tmp_path / "base")
    write_tree(tmp_path / "home", {".condarc": "envs_dirs: [unclosed\n"})
    assert conda_envs_dir(str(base), {}, str(tmp_path / "home"))[0] == str(base / "envs")


def test_conda_found_by_its_base_without_running_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    base = conda_base(home / "miniforge3")
    found = probe_managers(5.0, env={"PATH": ""}, home=str(home))
    conda = found.value["conda"]
    assert (conda.version, conda.path, conda.envs_dir) == (
        "24.7.1",
        str(base / "condabin" / "conda"),
        str(base / "envs"),
    )
    assert conda.error is None
    assert found.sources["managers.conda.version"] == "conda-meta"


def test_micromamba_stand_in(tmp_path: Path) -> None:
    info = {
        "envs directories": [str(tmp_path / "mm" / "envs")],
        "base environment": str(tmp_path / "mm"),
    }
    body = f"print('2.0.5') if args == ['--version'] else print(json.dumps({info!r}))"
    mm = stand_in(tmp_path / "bin", "micromamba", body)
    found = probe_managers(5.0, env={"PATH": str(mm.parent)}, home=str(tmp_path))
    m = found.value["micromamba"]
    assert (m.version, m.envs_dir, m.error) == ("2.0.5", str(tmp_path / "mm" / "envs"), None)


def test_a_failing_manager_keeps_an_error(tmp_path: Path) -> None:
    mm = stand_in(
        tmp_path / "bin",
        "micromamba",
        "print('2.0.5') if args == ['--version'] else sys.exit('critical libmamba error')",
    )
    m = probe_managers(5.0, env={"PATH": str(mm.parent)}, home=str(tmp_path)).value["micromamba"]
    assert m.version == "2.0.5"
    assert m.error == "envs directory unknown: micromamba exited with 1: critical libmamba error"


@pytest.mark.slow
@pytest.mark.timed
def test_hanging_uv_times_out_into_an_error(tmp_path: Path) -> None:
    uv = stand_in(tmp_path / "bin", "uv", "time.sleep(30)")
    m = probe_managers(0.5, env={"PATH": str(uv.parent)}, home=str(tmp_path)).value["uv"]
    assert m.error == "uv timed out after 0.5 s" and m.path == str(uv)


@pytest.mark.skipif(
    not (BIN / "virtualenv").exists(), reason="virtualenv is not installed beside this Python"
)
def test_virtualenv_version_read_from_its_dist_info() -> None:
    script = str(BIN / "virtualenv")
    assert shebang_python(script) is not None
    assert dist_version(script, "virtualenv") == version("virtualenv")


def test_real_tools_beside_this_python() -> None:
    """uv, virtualenv and pip of the test environment, found on PATH and versioned correctly."""
    found = probe_managers(10.0, env={"PATH": str(BIN)}, home=str(Path.home()))
    managers = found.value
    if (BIN / "uv").exists():
        real = subprocess.run([str(BIN / "uv"), "--version"], capture_output=True, text=True).stdout
        assert managers["uv"].version == parse_version_output(real)
    if (BIN / "pip").exists():
        assert managers["pip"].version == version("pip")
        assert found.sources["managers.pip.version"] == "dist-info beside its interpreter"
    assert "conda" not in managers and "micromamba" not in managers


def test_long_shebang_form(tmp_path: Path) -> None:
    # pip writes this form when the interpreter path is too long for a #! line.
    script = (
        write_tree(
            tmp_path,
            {
                "bin/tool": "#!/bin/sh\n'''exec' \"/very/long/prefix/bin/python3.12\" \"$0\" \"$@\"\n' '''\nimport sys\n"
            },
        )
        / "bin"
        / "tool"
    )
    assert shebang_python(str(script)) == "/very/long/prefix/bin/python3.12"
