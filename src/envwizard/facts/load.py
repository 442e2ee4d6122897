"""Facts from a file's contents: JSON from `envwizard probe --json`, or what other tools print.

Forms other tools print ("sm_89", "ldd (GNU libc) 2.35", "Windows_NT") are read first
(facts.normalise) and each rewrite is kept in `normalised`; collect_env's printed report and
`ansible -m setup`'s output are read as people paste them (facts.foreign).
"""

from __future__ import annotations

import json
from typing import Any

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _
from envwizard.facts import foreign
from envwizard.facts.model import Facts
from envwizard.facts.normalise import normalise


def facts_from_dict(data: Any, where: str = "facts") -> Facts:
    """Load and check facts; a wrong contract key is an InvalidInput naming its path."""
    data, notes = normalise(data)
    return Facts.read(data, where, notes)


def facts_from_json(text: str, where: str = "facts") -> Facts:
    """JSON facts, or a paste: collect_env (plain or sectioned), `ansible -m setup`, an
    nvidia-smi table, Windows' Win32_VideoController list."""
    text = text.lstrip("\ufeff")  # Windows editors and PowerShell write a BOM
    try:
        data = json.loads(text)
    except ValueError as e:
        data = foreign.parse_paste(text)
        if data is None:
            raise InvalidInput(
                _("{where}: not valid JSON ({error})").format(where=where, error=e)
            ) from None
    return facts_from_dict(data, where)
