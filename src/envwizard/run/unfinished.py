"""The environment an earlier run left unfinished, found again so that a new wizard can offer it.

Every run keeps a folder with its report and the answers it ran with (runner.py). The newest
run of each environment path says what became of it; one that ended unfinished, and whose
environment is still there and still unfinished, can be resumed: the same answers plan the
same steps, and the run starts after the last one that finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from envwizard.run.runner import runs_root
from envwizard.run.target import inspect_target

LOOK_BACK = 50
"""How many of the newest run folders are read (each a small JSON file)."""


@dataclass(frozen=True)
class Unfinished:
    env: str
    answers: str
    """The answers the run had (its run folder's copy): they resume it."""
    last: str | None
    """The last step that finished, if any."""
    run_dir: str


def latest_unfinished(root: Path | None = None) -> Unfinished | None:
    """The newest unfinished environment that is still there to resume, or None."""
    base = root or runs_root()
    try:
        folders = sorted(
            (d for d in base.iterdir() if d.is_dir()),
            key=lambda d: d.stat().st_mtime,
            reverse=True,
        )[:LOOK_BACK]
    except OSError:
        return None
    seen: set[str] = set()
    for folder in folders:
        try:
            report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
            env = str(report["env"]["path"])
            outcome = report["env"].get("outcome")
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if env in seen:
            continue  # a newer run of this environment said what became of it
        seen.add(env)
        answers = folder / "answers.yaml"
        if outcome != "unfinished" or not answers.is_file():
            continue
        target = inspect_target(env)
        saved = target.saved or {}
        if target.kind == "envwizard" and saved.get("status") != "done":
            done = saved.get("completed") or []
            return Unfinished(env, str(answers), done[-1] if done else None, str(folder))
    return None
