"""The Jupyter kernel a run registered, removed by rollback and before `recreate` — and only it.

scripts/kernel.py (run by the environment) writes ENV/envwizard-kernel.json with the folder the
kernel spec went to, and marks the spec's kernel.json with the environment's prefix. This side
needs no Jupyter: it removes that folder when the spec there still says it is this
environment's, so a spec someone installed since under the same name is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from envwizard.plan.build import KERNEL_RECORD

RECORD = KERNEL_RECORD
MAX_BYTES = 64 * 1024


def _read(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as f:
            data = json.loads(f.read(MAX_BYTES))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def registered_kernel(env: str) -> Path | None:
    """The kernel spec folder this environment registered, when it is still there and still its."""
    record = _read(Path(env) / RECORD)
    if not record or not isinstance(record.get("dir"), str):
        return None
    folder = Path(record["dir"])
    spec = _read(folder / "kernel.json")
    if spec is None:
        return None
    meta = spec.get("metadata")
    marker = meta.get("envwizard") if isinstance(meta, dict) else None
    owner = marker.get("env") if isinstance(marker, dict) else None
    if not isinstance(owner, str) or not _same(owner, env):
        return None
    return folder


def remove_kernel(env: str) -> Path | None:
    """Remove the kernel spec this environment registered; the folder removed, or None."""
    folder = registered_kernel(env)
    if folder is None:
        return None
    shutil.rmtree(folder, ignore_errors=True)
    (Path(env) / RECORD).unlink(missing_ok=True)
    return folder
