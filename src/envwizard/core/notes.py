"""Warnings as values: a code that programs and screens filter on, and the sentence people read.

The sentence is translated; the code never is. A screen that shows only some warnings chooses
them by code (filtering by words would lose them in every other language).
"""

from __future__ import annotations

from dataclasses import dataclass

from envwizard.core.values import StrValue


class NoteCode(StrValue):
    """What a warning is about."""

    EXPERIMENTAL = "experimental"
    """The chosen build is experimental for this release."""
    GPU_UNUSED = "gpu-unused"
    """A GPU of another vendor than the build's sits idle."""
    GPUS_IDLE_ON_CPU = "gpus-idle-on-cpu"
    """A CPU build on a machine with accelerators."""
    DRIVER_EOL = "driver-eol"
    """A GPU family's last driver branch (no newer CUDA for it)."""
    FORECAST = "forecast"
    """A release newer than the knowledge, planned by the newest known release's rules."""
    ROSETTA = "rosetta"
    """An x86-64 Python under Rosetta on Apple silicon."""
    SETTING = "setting"
    """A setting this machine needs beside the build."""
    PYTHON_MISSING = "python-missing"
    """The Python version asked for is not on this machine, and the manager cannot fetch it."""
    PATH_SPACE = "path-space"
    """The environment path has a space."""
    PATH_NON_ASCII = "path-non-ascii"
    """The environment path has non-ASCII characters."""
    PATH_EXPANDED = "path-expanded"
    """The environment path holds characters venv's activate script lets the shell expand."""
    DISK_TIGHT = "disk-tight"
    """Little more free space than the environment needs."""
    SHELL_VARIABLE = "shell-variable"
    """A variable in the caller's shell changes what installs do."""

    @property
    def about_env_path(self) -> bool:
        """Whether it is about the environment's path (the environment screen shows these)."""
        return self in (NoteCode.PATH_SPACE, NoteCode.PATH_NON_ASCII, NoteCode.PATH_EXPANDED)


@dataclass(frozen=True)
class Note:
    """One warning: its code and its sentence (already in the language shown)."""

    code: NoteCode
    text: str

    def __str__(self) -> str:
        return self.text
