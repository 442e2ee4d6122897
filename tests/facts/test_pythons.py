"""Interpreters: real ones inspected, broken ones reported, discovery, dedupe and the cache."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from facts_helpers import stand_in, write_tree

from envwizard.facts import inspect_script
from envwizard.facts.interpreter_cache import InterpreterCache
from envwizard.facts.managers import which
from envwizard.facts.pythons import (
    candidates,
    current_interpreter,
    dedupe,
    guess_version,
    identity,
    inspect_interpreter,
    inspect_source,
    parse_report,
    probe_pythons,
)


def test_running_an_interpreter_matches_asking_it_in_process() -> None:
    here = current_interpreter()
    there = inspect_interpreter(sys.executable, "PATH")
    assert there.error is None
    assert there.version == here.version == ".".join(map(str, sys.version_info[:3]))
    assert (there.bits, there.in_venv, there.pip, there.has_venv) == (
        here.bits,
        here.in_venv,
        here.pip,
        here.has_venv,
    )
    assert there.in_venv == (sys.prefix != sys.base_prefix)
    assert there.origin == "PATH" and here.origin == "current"


def test_pep668_marker_is_read_where_pip_reads_it() -> None:
    info = current_interpreter()
    marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
    assert info.externally_managed == (os.path.isfile(marker) and sys.prefix == sys.base_prefix)


def test_missing_file(tmp_path: Path) -> None:
    info = inspect_interpreter(str(tmp_path / "python3.12"), "PATH")
    assert info.error == "no such file" and info.version == "3.12"


def test_not_executable(tmp_path: Path) -> None:
    path = write_tree(tmp_path, {"bin/python3": "not a program"}) / "bin" / "python3"
    assert inspect_interpreter(str(path), "PATH").error == "not executable"


def test_crashing_interpreter_reports_its_last_words(tmp_path: Path) -> None:
    path = stand_in(
        tmp_path,
        "python3.9",
        "sys.stderr.write('Traceback...\\nImportError: libpython3.9.so.1.0: cannot open\\n'); sys.exit(1)",
    )
    info = inspect_interpreter(str(path), "PATH")
    assert info.error == "exited with 1: ImportError: libpython3.9.so.1.0: cannot open"
    assert info.version == "3.9"


@pytest.mark.slow
@pytest.mark.timed
def test_hanging_interpreter_times_out(tmp_path: Path) -> None:
    path = stand_in(tmp_path, "python3", "time.sleep(30)")
    info = inspect_interpreter(str(path), "PATH", timeout=0.5)
    assert info.error == "python3 timed out after 0.5 s" and info.version == "0.0"


def test_report_among_noise() -> None:
    out = f'sitecustomize says hi\n{inspect_script.MARK}{{"version": "3.12.1"}}\nbye\n'
    assert parse_report(out) == {"version": "3.12.1"}
    assert parse_report(f"{inspect_script.MARK}not json\n") is None
    assert parse_report("nothing\n") is None


@pytest.mark.parametrize(
    ("path", "version"),
    [
        ("/usr/bin/python3.12", "3.12"),
        ("/root/.pyenv/versions/3.11.7/bin/python3", "3.11.7"),
        ("/opt/x86_64/bin/python", "0.0"),
        ("C:\\Python310\\python.exe", "0.0"),
    ],
)
def test_guess_version(path: str, version: str) -> None:
    assert guess_version(path) == version


def find_python2() -> str | None:
    """A real Python 2 (pyenv's shims are bash scripts that may point nowhere)."""
    found = which("python2", os.environ) or which("python2.7", os.environ)
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = found or next(iter(sorted(glob.glob(f"{pyenv}/versions/2.*/bin/python"))), None)
    return found


@pytest.mark.skipif(find_python2() is None, reason="no Python 2 on this machine")
def test_python2_is_described_not_broken() -> None:
    info = inspect_interpreter(find_python2() or "", "pyenv")
    assert info.error is None
    assert info.version.startswith("2.") and info.has_venv is False


def test_inspect_script_is_python2_syntax_safe() -> None:
    """Python 2 must be able to parse it: no f-strings, annotations or `nonlocal`."""
    import tokenize

    src = inspect_source()
    tokens = list(tokenize.generate_tokens(iter(src.splitlines(keepends=True)).__next__))
    strings = [t.string for t in tokens if t.type == tokenize.STRING]
    assert not [s for s in strings if s[:2].lower() in ("f'", 'f"', "rf", "fr")]
    # A type comment (`# type: () -> dict`) is a comment to Python 2; an annotation is not.
    assert not [t for t in tokens if t.type == tokenize.OP and t.string == "->"]
    assert not [t for t in tokens if t.type == tokenize.NAME and t.string == "nonlocal"]
    assert "print(" not in src


def link(target: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def test_candidates_from_path_pyenv_and_uv_deduped(tmp_path: Path) -> None:
    base = os.path.realpath(sys.executable)
    bin_dir = tmp_path / "bin"
    link(base, bin_dir / "python3")
    link(base, bin_dir / "python3.99")
    stand_in(bin_dir, "python3.98", "pass")  # a wrapper script, not an interpreter
    stand_in(tmp_path / ".pyenv" / "shims", "python3", "pass")
    link(base, tmp_path / ".pyenv" / "versions" / "3.99.0" / "bin" / "python3")
    link(
        base,
        tmp_path / "data" / "uv" / "python" / "cpython-3.99.0-linux-x86_64-gnu" / "bin" / "python3",
    )
    env = {
        "PATH": os.pathsep.join([str(tmp_path / ".pyenv" / "shims"), str(bin_dir)]),
        "PYENV_ROOT": str(tmp_path / ".pyenv"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    found = candidates(env, str(tmp_path))
    assert [(Path(p).relative_to(tmp_path).as_posix(), o) for p, o in found] == [
        ("bin/python3", "PATH"),
        ("bin/python3.99", "PATH"),
        (".pyenv/versions/3.99.0/bin/python3", "pyenv"),
        ("data/uv/python/cpython-3.99.0-linux-x86_64-gnu/bin/python3", "uv"),
    ]
    # All four are one binary: the first one found stands for it.
    assert dedupe(found) == [(str(bin_dir / "python3"), "PATH")]


def test_pyenv_versions_in_version_order(tmp_path: Path) -> None:
    for v in ("3.10.13", "3.9.18", "2.7.18"):
        link(sys.executable, tmp_path / ".pyenv" / "versions" / v / "bin" / "python3")
    found = candidates({"PATH": ""}, str(tmp_path))
    assert [Path(p).parts[-3] for p, _ in found] == ["2.7.18", "3.9.18", "3.10.13"]


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True
    )
    return tmp_path / "venv"


def venv_python(venv: Path) -> str:
    return str(venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))


def test_a_venv_is_not_its_base_interpreter(venv: Path) -> None:
    py = venv_python(venv)
    assert os.path.realpath(py) == os.path.realpath(sys._base_executable)
    assert identity(py) != identity(os.path.realpath(sys._base_executable))
    assert len(dedupe([(py, "PATH"), (os.path.realpath(sys._base_executable), "PATH")])) == 2


def test_cache_reuses_a_report_until_site_packages_changes(venv: Path, tmp_path: Path) -> None:
    py = venv_python(venv)
    cache = InterpreterCache(str(tmp_path / "cache"), inspect_source())
    first = inspect_interpreter(py, "PATH", cache=cache)
    assert first.error is None and first.in_venv and first.pip is None
    cache.save()

    reloaded = InterpreterCache(str(tmp_path / "cache"), inspect_source())
    assert reloaded.get(py) is not None
    # pip appears in the venv: the site-packages directory changes, the entry is stale.
    (site,) = glob.glob(str(venv / "lib" / "python*" / "site-packages"))
    write_tree(Path(site), {"pip/__init__.py": "", "pip-99.0.dist-info/METADATA": ""})
    assert reloaded.get(py) is None
    assert inspect_interpreter(py, "PATH", cache=reloaded).pip == "99.0"


def test_cache_from_another_inspect_script_is_ignored(venv: Path, tmp_path: Path) -> None:
    py = venv_python(venv)
    cache = InterpreterCache(str(tmp_path), inspect_source())
    inspect_interpreter(py, "PATH", cache=cache)
    cache.save()
    assert InterpreterCache(str(tmp_path), inspect_source() + "\n# changed").get(py) is None


def test_broken_interpreters_are_not_cached(tmp_path: Path) -> None:
    path = stand_in(tmp_path, "python3", "sys.exit(3)")
    cache = InterpreterCache(str(tmp_path / "cache"), inspect_source())
    assert inspect_interpreter(str(path), "PATH", cache=cache).error
    assert cache.entries == {}


def test_probe_pythons_lists_current_first_and_each_once(venv: Path) -> None:
    env = {"PATH": str(Path(venv_python(venv)).parent)}
    found = probe_pythons(current_interpreter(), 10.0, env=env, home=str(venv.parent))
    paths = [p.executable for p in found.value]
    assert paths[0] == sys.executable and found.value[0].origin == "current"
    assert venv_python(venv) in paths or os.path.samefile(sys.executable, venv_python(venv))
    assert len({identity(p) for p in paths}) == len(paths)


def test_parallel_map_keeps_order_limits_threads_and_reraises() -> None:
    import threading
    import time

    from envwizard.facts.found import parallel_map

    running, peak, lock = [0], [0], threading.Lock()

    def work(x: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return x * x

    assert parallel_map(work, list(range(10)), limit=3) == [x * x for x in range(10)]
    assert peak[0] <= 3

    def boom(x: int) -> int:
        raise ValueError(x)

    with pytest.raises(ValueError):
        parallel_map(boom, [1, 2])
