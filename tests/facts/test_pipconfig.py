"""pip's configuration read as pip reads it: files in pip's order, [install] over [global], PIP_* last."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from envwizard.facts.pipconfig import read_pip_config

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file locations")


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, str]:
    """A machine of its own: global files under XDG_CONFIG_DIRS, user files under HOME."""
    write(
        tmp_path / "etc/pip/pip.conf",
        "[global]\nconstraint = /policy/c.txt\nindex-url = https://mirror.example/simple\n",
    )
    write(
        tmp_path / "home/.config/pip/pip.conf",
        "[global]\nfind-links = /wheels /more\n[install]\nindex-url = https://user.example/simple\n",
    )
    return {"XDG_CONFIG_DIRS": str(tmp_path / "etc"), "HOME": str(tmp_path / "home")}  # fmt: skip


def test_files_in_pips_order_and_install_over_global(machine: dict[str, str]) -> None:
    cfg = read_pip_config(machine, machine["HOME"])
    assert cfg.constraints == ["/policy/c.txt"]
    assert cfg.index_url == "https://user.example/simple"  # [install] beats [global]
    assert cfg.find_links == ["/wheels", "/more"]
    assert cfg.untranslated == [] and cfg.errors == []
    ours = [f for f in cfg.files if f != "/etc/pip.conf"]  # pip always reads /etc/pip.conf too
    assert ours == [f"{machine['XDG_CONFIG_DIRS']}/pip/pip.conf", f"{machine['HOME']}/.config/pip/pip.conf"]  # fmt: skip


def test_variables_win_and_a_config_file_variable_hides_the_user_files(
    machine: dict[str, str], tmp_path: Path
) -> None:
    own = write(tmp_path / "own.conf", "[global]\nextra-index-url = https://a.example https://b.example\npre = true\n")  # fmt: skip
    env = {**machine, "PIP_CONFIG_FILE": own, "PIP_CONSTRAINT": "/shell/c.txt"}
    cfg = read_pip_config(env, machine["HOME"])
    assert cfg.find_links == []  # the user file is not read when PIP_CONFIG_FILE exists
    assert cfg.index_url == "https://mirror.example/simple"
    assert cfg.extra_index_urls == ["https://a.example", "https://b.example"]
    assert cfg.constraints == ["/shell/c.txt"]
    assert cfg.untranslated == ["pre"]  # changes what pip installs; uv is not told
    assert cfg.variables == ["PIP_CONSTRAINT"]


def test_the_null_device_turns_every_file_off(machine: dict[str, str]) -> None:
    cfg = read_pip_config({**machine, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "yes"}, machine["HOME"])  # fmt: skip
    assert (cfg.files, cfg.constraints, cfg.index_url, cfg.no_index) == ([], [], None, True)


@pytest.mark.slow
def test_agrees_with_pip_config_list(machine: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")} | machine
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], env=env, capture_output=True, text=True
    ).stdout
    cfg = read_pip_config(env, machine["HOME"])
    assert "global.constraint='/policy/c.txt'" in out and cfg.constraints == ["/policy/c.txt"]
    assert "install.index-url='https://user.example/simple'" in out
    assert "global.find-links='/wheels /more'" in out
