"""Helpers for the probe tests: captured samples, fake trees, stand-in executables."""

from __future__ import annotations

import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Build a fake file-system tree (sysfs, /proc, /etc) under `root`."""
    for rel, text in files.items():
        path = root / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def stand_in(bin_dir: Path, name: str, body: str) -> Path:
    """A stand-in executable for a tool that cannot run here (nvidia-smi, micromamba, …).

    `body` is Python run by this interpreter, with `args` = sys.argv[1:].
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text(
        f"#!{sys.executable}\nimport sys, time, json\nargs = sys.argv[1:]\n{body}\n",
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path
