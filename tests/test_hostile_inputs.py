"""Hostile values in files (issue 18): one sentence and exit 2, never an internal error; text
read from files never drives the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_cli_core import answers, assert_clean_error, envwizard

FACTS = {
    "schema": 1, "os": {"system": "Linux", "machine": "x86_64", "glibc": "2.35"},
    "python": {"version": "3.11.7"}, "nvidia_driver": "580.95.05",
    "gpus": [{"vendor": "nvidia", "name": "RTX", "memory_mib": 24564, "compute_capability": "8.9"}],
}  # fmt: skip


@pytest.mark.parametrize(
    ("number", "shown"),
    [("Infinity", "is inf"), ("-Infinity", "is -inf"), ("1e400", "is inf"), ("9" * 40, "9999")],
)
def test_a_number_no_fact_can_be_is_refused_by_its_key(
    tmp_path: Path, number: str, shown: str
) -> None:
    text = json.dumps(FACTS).replace("24564", number)
    facts = tmp_path / "facts.json"
    facts.write_text(text)
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\n")
    r = envwizard("plan", "--facts", str(facts), "--answers", str(a))
    assert_clean_error(r, "gpus[0].memory_mib", shown, "finite number")


def test_an_env_path_too_long_for_the_files_inside_it_is_refused(tmp_path: Path) -> None:
    deep = "/".join(["d" * 200] * 20)  # every name fits; the whole path does not
    a = answers(tmp_path, f"env: {tmp_path}/{deep}\ncompute: cpu\n")
    r = envwizard("--answers", str(a), "--dry-run")
    assert_clean_error(r, "env is", "expected a path of at most 3584 bytes")


ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\x9b31m\u202e"


def test_escape_sequences_in_a_facts_file_never_reach_the_terminal(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    gpu = {**FACTS["gpus"][0], "name": "RTX 4090" + ESCAPES}  # type: ignore[index]
    facts.write_text(json.dumps({**FACTS, "gpus": [gpu]}))
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\n")
    for args in (["plan"], ["plan", "--json"]):
        r = envwizard(*args, "--facts", str(facts), "--answers", str(a))
        assert r.returncode == 0, r.stderr
        assert not set(r.stdout) & set("\x1b\x07\x9b\u202e"), repr(r.stdout)
    assert (
        "RTX 4090\\x1b]0;PWNED\\x07"
        in envwizard("plan", "--facts", str(facts), "--answers", str(a)).stdout
    )


def test_escape_sequences_in_a_report_never_reach_the_terminal(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_text(json.dumps({
        "host": "evil" + ESCAPES, "status": "done" + ESCAPES, "exit_code": 0, "reason": ESCAPES,
        "facts": {"gpus": [{"name": ESCAPES}]}, "decision": {"variant": "cpu" + ESCAPES},
        "steps": [], "verify": None,
    }))  # fmt: skip
    for flags in ([], ["--markdown"], ["--json"]):
        r = envwizard("report", str(report), *flags)
        assert not set(r.stdout + r.stderr) & set("\x1b\x07\x9b\u202e"), (flags, r.stdout)
        assert "evil" in r.stdout


def test_an_error_naming_a_hostile_file_name_shows_it_escaped(tmp_path: Path) -> None:
    r = envwizard("validate", str(tmp_path / f"a{ESCAPES}.yaml"))
    assert_clean_error(r, "\\x1b]0;PWNED\\x07")
    assert "\x1b" not in r.stderr
