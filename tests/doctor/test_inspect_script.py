"""The target-side script's readers, on real files (no torch needed)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from envwizard.scripts import doctor_inspect as script

SCRIPT = Path(script.__file__)


def test_elf_needed_agrees_with_readelf() -> None:
    ext = Path(sysconfig.get_paths()["stdlib"]) / "lib-dynload"
    so = next(ext.glob("_ssl*.so"), None) or next(ext.glob("*.so"))
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("readelf is not installed")
    out = subprocess.run(
        [readelf, "-d", str(so)], capture_output=True, text=True, check=True
    ).stdout
    want = [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]
    assert script.elf_needed(str(so)) == want
    assert script.elf_needed(str(SCRIPT)) is None  # not an ELF file


def test_version_py_is_read_without_running_it(tmp_path: Path) -> None:
    (tmp_path / "version.py").write_text(
        "from typing import Optional\n"
        "__all__ = ['__version__']\n"
        "__version__ = '2.14.1+cu130'\n"
        "debug = False\n"
        "cuda: Optional[str] = '13.0'\n"
        "hip: Optional[str] = None\n"
        "raise SystemExit('executed')\n"
    )
    assert script.version_py(str(tmp_path)) == {
        "__version__": "2.14.1+cu130",
        "cuda": "13.0",
        "hip": None,
    }
    assert script.version_py(str(tmp_path / "missing")) is None


def test_numpy_1_builds_are_told_apart_by_their_strings(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "old").mkdir(parents=True)
    (site / "new").mkdir()
    (site / "numpy" / "core").mkdir(parents=True)
    (site / "old" / "_ext.cpython-311-x86_64-linux-gnu.so").write_bytes(
        b"\0numpy.core._multiarray_umath\0"
    )
    (site / "new" / "_ext.cpython-311-x86_64-linux-gnu.so").write_bytes(
        b"\0numpy._core._multiarray_umath\0numpy.core._multiarray_umath\0"
    )
    (site / "numpy" / "core" / "_m.cpython-311-x86_64-linux-gnu.so").write_bytes(
        b"numpy.core._multiarray_umath"
    )
    (site / "old" / "libplain.so").write_bytes(b"numpy.core._multiarray_umath")  # not an extension
    found = script.numpy_abi([str(site)], ("numpy",))
    assert found == [
        {"file": str(site / "old" / "_ext.cpython-311-x86_64-linux-gnu.so"), "package": "old"}
    ]


def test_record_check_finds_a_file_from_another_install(tmp_path: Path) -> None:
    (tmp_path / "torch").mkdir()
    init = tmp_path / "torch" / "__init__.py"
    init.write_text("A = 1\n")
    digest = base64.urlsafe_b64encode(hashlib.sha256(b"A = 1\n").digest()).rstrip(b"=").decode()
    info = tmp_path / "torch-2.13.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text(f"torch/__init__.py,sha256={digest},6\n")
    d = {"path": str(info), "entry": str(tmp_path)}
    assert script.record_mismatches(d, ("torch/__init__.py",)) == []
    init.write_text("A = 2\n")
    assert script.record_mismatches(d, ("torch/__init__.py",)) == [
        {"file": str(init), "problem": "differs"}
    ]


def test_pth_lines_that_put_a_folder_first(tmp_path: Path) -> None:
    (tmp_path / "plain.pth").write_text("/somewhere/else\n")
    (tmp_path / "zz-shadow.pth").write_text("import sys; sys.path.insert(0, '/tmp/shadow')\n")
    (tmp_path / "distutils-precedence.pth").write_text(
        "import os; var = 'SETUPTOOLS_USE_DISTUTILS'\n"
    )
    assert script.pth_imports([str(tmp_path)]) == [
        {
            "file": str(tmp_path / "zz-shadow.pth"),
            "line": "import sys; sys.path.insert(0, '/tmp/shadow')",
        }
    ]


def test_the_static_read_of_this_interpreter(tmp_path: Path) -> None:
    """Every distribution on sys.path, with where it is; the working folder's torch.py noticed."""
    (tmp_path / "torch.py").write_text("")
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "static", "--cwd", str(tmp_path)],
        capture_output=True, text=True, check=True, cwd=tmp_path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    ).stdout  # fmt: skip
    line = out.strip().splitlines()[-1]
    assert line.startswith(script.MARK)
    report = json.loads(line[len(script.MARK) :])
    names = {d["name"] for d in report["dists"]}
    assert {"envwizard", "packaging", "rich"} <= names
    assert report["python"]["executable"] == sys.executable
    assert report["cwd"] == {"dir": str(tmp_path), "torch_dir": False, "torch_py": True}
    assert str(SCRIPT.parent) not in report["sys_path"]  # the script's own folder is not searched


def other_interpreters() -> list[str]:
    """Interpreters 3.6+ on this machine besides the one running the tests (pyenv's, PATH's)."""
    found = []
    for minor in range(6, 15):
        pyenv = sorted(Path.home().glob(f".pyenv/versions/3.{minor}.*/bin/python3"))
        exe = shutil.which(f"python3.{minor}")
        for p in [*(str(x) for x in pyenv), exe]:
            if not p or "shims" in p or os.path.realpath(p) == os.path.realpath(sys.executable):
                continue
            found.append(p)
            break
    return found


@pytest.mark.parametrize(
    "python", other_interpreters() or [pytest.param(None, marks=pytest.mark.skip)]
)
def test_the_script_runs_on_every_python_torch_supported(python: str) -> None:
    out = subprocess.run(
        [python, str(SCRIPT), "static"], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1][len(script.MARK) :])
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert report["python"]["version"] == version


def tiny_elf(section: bytes) -> bytes:
    """A 64-bit ELF file with one `.nv_fatbin` section holding `section` (and its name table)."""
    names = b"\0.shstrtab\0.nv_fatbin\0"
    data_at = 64
    names_at = data_at + len(section)
    shoff = (names_at + len(names) + 7) // 8 * 8
    head = bytearray(64)
    head[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", head, 0x28, shoff)
    struct.pack_into("<HHH", head, 0x3A, 64, 3, 1)
    body = bytes(head) + section + names
    body += b"\0" * (shoff - len(body))
    null = struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    strtab = struct.pack("<IIQQQQIIQQ", 1, 3, 0, 0, names_at, len(names), 0, 0, 1, 0)
    fatbin = struct.pack("<IIQQQQIIQQ", 11, 1, 0, 0, data_at, len(section), 0, 0, 8, 0)
    return body + null + strtab + fatbin


def fat_entry(kind: int, arch: int, payload: bytes = b"\0" * 8) -> bytes:
    e = bytearray(64)
    struct.pack_into("<HHIQ", e, 0, kind, 0, 64, len(payload))
    struct.pack_into("<I", e, 28, arch)
    return bytes(e) + payload


def test_gpu_architectures_are_read_from_the_fatbin(tmp_path: Path) -> None:
    entries = fat_entry(2, 80) + fat_entry(2, 90) + fat_entry(1, 90)
    blob = struct.pack("<IHHQ", script.FATBIN_MAGIC, 1, 16, len(entries)) + entries
    lib = tmp_path / "libtorch_cuda.so"
    lib.write_bytes(tiny_elf(b"\0" * 8 + blob))  # padding before the fat binary is skipped
    assert script.fatbin_archs(str(lib)) == ["sm_80", "compute_90", "sm_90"]
    plain = tmp_path / "libplain.so"
    plain.write_bytes(tiny_elf(b""))
    assert script.fatbin_archs(str(plain)) == []
    assert script.fatbin_archs(str(SCRIPT)) is None
