"""The two tiers of the suite: `pytest -m "not slow"` (every change) and `pytest` (everything).

`FAST` is set by tests/conftest.py before any test module is imported. Property tests ask
`examples(n)` for their example count: the full count in the whole suite, a sixth of it (at
least 20) in the fast tier, so a change that breaks a property still fails there in seconds.
"""

from __future__ import annotations

FAST = False


def examples(full: int) -> int:
    return max(20, full // 6) if FAST else full
