"""What a failed step's output says: the cause whole, and whether a retry can help."""

from __future__ import annotations

import pytest

from envwizard.run.failure import FailureKind, classify

# The last lines of real runs on the development machine (pip 23.0.1, uv 0.13.9).
PIP_NO_VERSION = [
    "Looking in links: /opt/wheels",
    "ERROR: Could not find a version that satisfies the requirement torchaudio>=2.12 (from "
    "versions: 2.0.0, 2.0.1, 2.9.1, 2.10.0, 2.11.0, 2.11.1)",
    "ERROR: No matching distribution found for torchaudio>=2.12",
]
UV_NO_SOLUTION = [
    "Using Python 3.11.7 environment at: /home/ada/envs/dl",
    "error: No solution found when resolving dependencies",
    "  cause: Because only torchaudio<=2.11.1 is available and you require torchaudio>=2.12, "
    "we can conclude that your requirements are unsatisfiable.",
]
# uv wraps to the terminal's width (here COLUMNS=60), in its plain and its drawn form.
UV_WRAPPED = [
    "error: No solution found when resolving dependencies",
    "  cause: Because tinypkg was not found in the provided",
    "         package locations and you require tinypkg>=2,",
    "         we can conclude that your requirements are",
    "         unsatisfiable.",
]
UV_DRAWN = [
    "  × No solution found when resolving dependencies:",
    "  ╰─▶ Because only tinypkg==1.0 is available and you require tinypkg>=2, we",
    "      can conclude that your requirements are unsatisfiable.",
    "",
    "      hint: a later line of its own",
]
UV_WHOLE = (
    "Because tinypkg was not found in the provided package locations and you require tinypkg>=2, "
    "we can conclude that your requirements are unsatisfiable."
)
PIP_CONFLICT = [
    "ERROR: Cannot install torch==2.13.0 and torchaudio==2.11.0 because these package versions "
    "have conflicting dependencies.",
    "",
    "The conflict is caused by:",
    "    The user requested torch==2.13.0",
    "    torchaudio 2.11.0 depends on torch==2.11.0",
    "",
    "To fix this you could try to:",
    "1. loosen the range of package versions you've specified",
    "",
    "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/",
]
PIP_TIMEOUT = [
    "WARNING: Retrying (Retry(total=4, connect=None, read=None)) after connection broken by "
    "'ReadTimeoutError(\"HTTPSConnectionPool(host='mirror.example', port=443): Read timed out.\")'",
    "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool: Read timed out.",
]


@pytest.mark.parametrize(
    ("tail", "kind", "cause"),
    [
        (
            PIP_NO_VERSION,
            FailureKind.RESOLUTION,
            "No matching distribution found for torchaudio>=2.12",
        ),
        (UV_NO_SOLUTION, FailureKind.RESOLUTION, UV_NO_SOLUTION[2].split("cause: ")[1]),
        (UV_WRAPPED, FailureKind.RESOLUTION, UV_WHOLE),
        (
            UV_DRAWN,
            FailureKind.RESOLUTION,
            "Because only tinypkg==1.0 is available and you require tinypkg>=2, we can conclude "
            "that your requirements are unsatisfiable.",
        ),
        (
            PIP_CONFLICT,
            FailureKind.RESOLUTION,
            "Cannot install torch==2.13.0 and torchaudio==2.11.0 because these package versions "
            "have conflicting dependencies: The user requested torch==2.13.0; torchaudio 2.11.0 "
            "depends on torch==2.11.0",
        ),
        (PIP_TIMEOUT, FailureKind.NETWORK, PIP_TIMEOUT[1].removeprefix("ERROR: ")),
        (
            ["OSError: [Errno 28] No space left on device"],
            FailureKind.DISK_FULL,
            "OSError: [Errno 28] No space left on device",
        ),
        (
            [
                "  error: subprocess-exited-with-error",
                "ERROR: Failed building wheel for flash-attn",
            ],
            FailureKind.BUILD,
            "Failed building wheel for flash-attn",
        ),
        (
            ["Traceback (most recent call last):", "KeyError: 'x'"],
            FailureKind.OTHER,
            "KeyError: 'x'",
        ),
        ([], FailureKind.OTHER, ""),
    ],
)
def test_kind_and_cause(tail: list[str], kind: FailureKind, cause: str) -> None:
    failure = classify(tail)
    assert failure.kind is kind
    assert failure.cause == cause  # whole: never cut at a width


def test_only_what_a_retry_can_fix_is_retryable() -> None:
    assert not classify(UV_NO_SOLUTION).retryable
    assert not classify(PIP_CONFLICT).retryable
    assert classify(PIP_TIMEOUT).retryable
    assert classify(["something odd"]).retryable  # unknown: offering a retry costs nothing
    assert "loosen the torch version" in classify(UV_NO_SOLUTION).advice()
