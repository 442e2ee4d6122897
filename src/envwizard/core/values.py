"""The base of envwizard's closed sets of words: enums whose text is their JSON/YAML value."""

from __future__ import annotations

from enum import Enum


class StrValue(str, Enum):
    """A `str` enum whose text is its value, so reports and f-strings show what the contract
    says, and comparisons with the plain word still hold."""

    def __str__(self) -> str:
        return str.__str__(self)
