"""The whole probe, for real, on this machine: valid schema-1 facts, also through the CLI."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from envwizard.facts.load import facts_from_dict
from envwizard.facts.model import SCHEMA, Facts
from envwizard.facts.probe import probe

CONTRACT = ("schema", "os", "python", "gpus", "nvidia_driver")


@pytest.fixture(scope="module")
def facts() -> Facts:
    return probe()


def test_probe_gives_valid_schema_1_facts(facts: Facts) -> None:
    data = json.loads(facts.to_json())
    assert list(data)[:5] == list(CONTRACT) and data["schema"] == SCHEMA
    again = facts_from_dict(data)
    assert again.to_dict() == data


def test_probe_describes_this_machine(facts: Facts) -> None:
    assert facts.os.system == platform.system() and facts.os.machine == platform.machine()
    assert facts.python.executable == sys.executable
    assert facts.python.version == platform.python_version()
    assert facts.pythons[0] is facts.python
    assert facts.home == os.path.expanduser("~")
    assert facts.cpu["logical_cores"] == os.cpu_count()
    assert facts.memory_mib and facts.memory_mib > 0
    assert facts.disk["free_mib"] > 0


def test_every_fact_says_where_it_came_from(facts: Facts) -> None:
    assert facts.sources["python"] == "the running interpreter"
    for key in ("os.system", "cpu", "memory_mib", "disk", "pythons"):
        assert key in facts.sources, key
    for i, g in enumerate(facts.gpus):
        assert g.source and facts.sources[f"gpus[{i}]"] == g.source


@pytest.mark.skipif(platform.system() != "Linux", reason="Linux facts")
def test_linux_facts(facts: Facts) -> None:
    assert facts.os.glibc == platform.libc_ver()[1]
    assert facts.os.distro
    assert facts.sources["os.glibc"] == "os.confstr(CS_GNU_LIBC_VERSION)"


def test_env_dir_decides_where_disk_is_measured(tmp_path: Path) -> None:
    f = probe(env_dir=str(tmp_path / "envs" / "dl"))
    assert f.disk["path"] == str(tmp_path / "envs" / "dl")
    assert f.disk["measured_at"] == str(tmp_path)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envwizard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "160"},
    )


def test_probe_json_cli() -> None:
    r = run_cli("probe", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    for key in CONTRACT:
        assert key in data
    assert data["python"]["executable"] == sys.executable
    facts_from_dict(data)


def test_probe_cli_shows_tables_and_verdicts() -> None:
    r = run_cli("probe")
    assert r.returncode == 0, r.stderr
    for title in ("System", "Python interpreters", "Environment managers", "GPUs"):
        assert title in r.stdout
    assert f"Python {sys.version_info[0]}.{sys.version_info[1]}: " in r.stdout
    assert "✓" in r.stdout


def test_probe_json_does_not_import_rich() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from envwizard.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['probe', '--json'])\n"
        "print('rich' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
