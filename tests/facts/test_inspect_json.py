"""The inspect script writes its report without `import json` (the probe starts every interpreter
on the machine, and json with the `re` it imports was most of each start): its own encoder must
give JSON that json reads back to the same values, for any path a file system can hold."""

from __future__ import annotations

import json
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.tiers import examples

from envwizard.facts import inspect_script
from envwizard.facts.pythons import inspect_source

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@given(values)
@settings(max_examples=examples(100), deadline=None)  # a loaded machine is no bug
def test_round_trips_through_json(value: object) -> None:
    text = inspect_script.to_json(value)
    assert text.isascii()
    assert json.loads(text) == value


def test_the_report_of_this_interpreter_matches_what_json_would_write() -> None:
    out = subprocess.run(
        [sys.executable, "-E", "-s", "-S", "-c", inspect_source()],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    report = json.loads(out.split(inspect_script.MARK, 1)[1])
    assert report["version"] == ".".join(map(str, sys.version_info[:3]))
    assert report["implementation"] == "CPython" and report["executable"] == sys.executable
    assert report["in_venv"] is (sys.prefix != sys.base_prefix)
