"""Putting a repaired environment back: real installs of tiny wheels, then the files compared."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from envwizard.doctor.undo import KEEP_DIR, Undo, installed

from ..builders import build_wheel, create_argv, env_python, tool

pytestmark = pytest.mark.slow


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and KEEP_DIR not in p.parts
    }


def uv_pip(env: Path, *args: str) -> None:
    subprocess.run([tool("uv"), "pip", *args, "--python", env_python(env)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip


def test_a_repair_is_undone_file_for_file(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    for name, version in [
        ("tinypkg", "1.0"),
        ("tinypkg", "2.0"),
        ("keptpkg", "1.0"),
        ("newpkg", "1.0"),
    ]:
        build_wheel(wheels, name, version, body=f"# {name} {version}\n")
    env = tmp_path / "env"
    subprocess.run(create_argv("uv", env), check=True, timeout=120, capture_output=True)
    uv_pip(
        env, "install", "--no-index", "--find-links", str(wheels), "tinypkg==1.0", "keptpkg==1.0"
    )
    site = next(env.glob("lib/python3*/site-packages"))
    before = tree(env)
    undo = Undo(env, [site])
    undo.save(["tinypkg", "keptpkg", "notinstalled"])
    # the repair: one package removed, one replaced, one added
    uv_pip(env, "uninstall", "keptpkg")
    uv_pip(env, "install", "--no-index", "--find-links", str(wheels), "tinypkg==2.0", "newpkg==1.0")
    assert undo.changed() == ["keptpkg", "newpkg", "tinypkg"]
    assert undo.restore() == []
    assert undo.changed() == []
    assert tree(env) == before
    assert {d.version for d in installed([site]).values() if d.name == "tinypkg"} == {"1.0"}
    undo.discard()
    assert not (env / KEEP_DIR).exists()


def test_a_package_that_was_not_kept_is_named(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinypkg", "1.0")
    env = tmp_path / "env"
    subprocess.run(create_argv("uv", env), check=True, timeout=120, capture_output=True)
    uv_pip(env, "install", "--no-index", "--find-links", str(wheels), "tinypkg==1.0")
    site = next(env.glob("lib/python3*/site-packages"))
    undo = Undo(env, [site])
    uv_pip(env, "uninstall", "tinypkg")
    assert undo.restore() == ["tinypkg==1.0"]
