"""Errors that reach the user as one clear message and an exit code (docs/cli.md)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_STEP_FAILED = 1
EXIT_INVALID = 2
EXIT_CANCELLED = 130


class EnvwizardError(Exception):
    """A failure the user can act on; the CLI prints `str(self)` and exits with `exit_code`."""

    exit_code = EXIT_INVALID


class InvalidInput(EnvwizardError):
    """Bad answers, facts or flags, or a request this machine cannot satisfy (exit 2)."""


class ImpossibleRequest(InvalidInput):
    """The answers are well-formed but ask for a build that cannot run here (exit 2)."""


class StepFailed(EnvwizardError):
    """A plan step exited non-zero (exit 1)."""

    exit_code = EXIT_STEP_FAILED


class Cancelled(EnvwizardError):
    """The user or a signal stopped the run (exit 130)."""

    exit_code = EXIT_CANCELLED


def unlabel(message: str, where: str) -> str:
    """The message without its leading `where:` label, in either language's colon (`env: …`,
    `env：…`): a screen that shows it beside the field needs no label."""
    for colon in (": ", "："):
        if message.startswith(where + colon):
            return message[len(where) + len(colon) :]
    return message
