"""Which installer sentences say a package is not among the sources at all (the resolve then
leaves out a companion the stack brought unasked)."""

from __future__ import annotations

import pytest

from envwizard.run.resolve import _not_found


@pytest.mark.parametrize(
    "said",
    [
        # pip 23-25
        "ERROR: No matching distribution found for torchvision==0.28.*",
        # uv 0.13, a private index that holds torch alone
        "Because there are no versions of torchvision and you require torchvision==0.28.*, we "
        "can conclude that your requirements are unsatisfiable.",
        "Because there is no version of torchvision==0.28.* and you require it, …",
        "Because torchvision was not found in the provided package locations and you require it, …",
    ],
)
def test_the_installers_not_found_sentences_are_read(said: str) -> None:
    assert _not_found("torchvision", said)


def test_another_packages_absence_or_a_conflict_is_not_read_as_this_one() -> None:
    assert not _not_found("torchvision", "Because there are no versions of numpy and you require …")
    assert not _not_found(
        "torchvision", "Because torch==2.13.0 depends on filelock and you require torchvision, …"
    )
