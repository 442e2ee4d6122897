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
