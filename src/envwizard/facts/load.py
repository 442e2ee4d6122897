"""Facts from a file's contents: JSON from `envwizard probe --json`, or what other tools print.

Forms other tools print ("sm_89", "ldd (GNU libc) 2.35", "Windows_NT") are read first
(facts.normalise) and each rewrite is kept in `normalised`; collect_env's printed report and
`ansible -m setup`'s output are read as people paste them (facts.foreign).
"""

from __future__ import annotations

import json
import math
from typing import Any

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _
from envwizard.core.redact import neutralise_all
from envwizard.facts import foreign
from envwizard.facts.model import Facts
from envwizard.facts.normalise import normalise


def facts_from_dict(data: Any, where: str = "facts") -> Facts:
    """Load and check facts; a wrong contract key is an InvalidInput naming its path."""
    _numbers_in_range(data, where)
    data, notes = normalise(neutralise_all(data))  # a GPU name must not drive the terminal
    return Facts.read(data, where, notes)


def facts_from_json(text: str, where: str = "facts") -> Facts:
    """JSON facts, or a paste: collect_env (plain or sectioned), `ansible -m setup`, an
    nvidia-smi table, Windows' Win32_VideoController list."""
    text = text.lstrip("\ufeff")  # Windows editors and PowerShell write a BOM
    try:
        data = json.loads(text)
    except ValueError as e:
        data = foreign.parse_paste(text)
        if data is None and text.lstrip().startswith(("{", "[")):
            raise InvalidInput(
                _("{where}: not valid JSON ({error})").format(where=where, error=e)
            ) from None
        if data is None:
            raise InvalidInput(
                _(
                    "{where}: not valid JSON, nor a paste envwizard reads (collect_env, "
                    "nvidia-smi's table, -L list or CSV query, Win32_VideoController, ansible -m "
                    "setup); `envwizard probe --json` on that machine writes a facts file"
                ).format(where=where)
            ) from None
    return facts_from_dict(data, where)


BIGGEST = 2**63
"""No fact is a number beyond this (a GPU's MiB, a count of cores): larger ones are mistakes."""


def _numbers_in_range(data: Any, where: str, path: str = "") -> None:
    """Refuse `Infinity`, `NaN` and numbers too large to be a fact, naming their key path.

    Python's JSON reader accepts `Infinity` and `NaN` (JSON does not), and 1e400 reads as
    infinity; each would end as an overflow deep inside, not as this sentence.
    """
    if isinstance(data, dict):
        for key, value in data.items():
            _numbers_in_range(value, where, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _numbers_in_range(value, where, f"{path}[{i}]")
    elif isinstance(data, bool):
        return
    elif (isinstance(data, float) and not math.isfinite(data)) or (
        isinstance(data, (int, float)) and abs(data) > BIGGEST
    ):
        raise InvalidInput(
            _("{where}: {path} is {value}; expected a finite number no larger than 2**63").format(
                where=where, path=path or "the value", value=data
            )
        )
