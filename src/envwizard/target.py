"""The environment directory a plan targets: what is there now, and how a run may start there.

The rules that keep users' files safe live here: an environment this run creates may be removed
when the run fails; one that existed before is never deleted unless the answers say
`existing: recreate` (and a person confirms, or passed --yes); a directory that is not a Python
environment, a system interpreter or a conda base is never written into or deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envwizard import __version__
from envwizard.answers import Answers
from envwizard.errors import InvalidInput
from envwizard.i18n import N_
from envwizard.plan import STATE_FILE, Plan

ALWAYS_RERUN = ("verify", "bench")
"""Step kinds that change nothing and run again when an environment is resumed (a finished
environment's benchmark only when asked: it takes its full time and changes nothing)."""
BENCH_AGAIN_HINT = N_(
    "the environment was finished in an earlier run; pass --rebenchmark to measure it again"
)
"""Why a finished environment is not benchmarked again (kept in English in the report)."""


@dataclass
class Target:
    path: Path
    kind: str
    """absent, empty, envwizard, python-env, conda-base, system, running or other."""
    saved: dict[str, Any] | None = None
    """The envwizard state file, when there is one."""

    def describe(self) -> str:
        if self.kind == "envwizard" and self.saved:
            status = self.saved.get("status", "?")
            done = self.saved.get("completed") or []
            if status == "done":
                return "an environment envwizard finished"
            last = done[-1] if done else "nothing"
            return f"an environment envwizard did not finish (status {status}, last completed step: {last})"
        return {
            "empty": "an empty directory",
            "python-env": "an existing Python environment",
            "conda-base": "a conda base installation",
            "system": "a system Python installation",
            "running": "the Python installation envwizard itself runs from",
            "other": "a directory that is not a Python environment",
        }.get(self.kind, self.kind)


@dataclass
class Start:
    """How a run begins at its target."""

    action: str
    """create, resume, reuse or recreate."""
    skip: set[str] = field(default_factory=set)
    """Step ids that are already done."""
    why: dict[str, str] = field(default_factory=dict)
    """For skipped steps whose reason is not plainly "done in an earlier run": why not."""
    never_done: set[str] = field(default_factory=set)
    """Skipped steps no earlier run finished (a finished environment's failed benchmark): the
    state file must not list them as completed."""
    destructive: bool = False
    """True when the start deletes an existing environment: confirm first."""
    owns_env: bool = True
    """Whether a failed run may remove the environment (only one it created itself)."""
    empty_before: bool = False
    message: str = ""


def inspect_target(path: str | Path) -> Target:
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        return Target(p, "absent")
    if not p.is_dir():
        return Target(p, "other")
    state = p / STATE_FILE
    saved = None
    if state.is_file():
        with contextlib.suppress(OSError, ValueError):
            saved = json.loads(state.read_text(encoding="utf-8"))
    if os.path.realpath(p) in {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}:
        return Target(p, "running")
    if (p / "condabin").is_dir() or ((p / "conda-meta").is_dir() and (p / "pkgs").is_dir()):
        return Target(p, "conda-base")
    if saved is not None and isinstance(saved, dict):
        return Target(p, "envwizard", saved)
    if (p / "pyvenv.cfg").is_file() or (p / "conda-meta").is_dir():
        return Target(p, "python-env")
    if any(p.glob("lib/python3*/EXTERNALLY-MANAGED")) or str(p.resolve()) in _system_prefixes():
        return Target(p, "system")
    try:
        empty = not any(p.iterdir())
    except OSError:
        empty = False
    return Target(p, "empty" if empty else "other")


def _system_prefixes() -> set[str]:
    return {os.path.realpath(x) for x in ("/usr", "/usr/local", "/")}


def plan_hash(plan: Plan) -> str:
    """Identifies what the environment is meant to contain; verify and bench steps do not count."""
    key = [(s.id, s.argv) for s in plan.steps if s.kind in ("create-env", "install")]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]


def resolve_start(
    target: Target, plan: Plan, answers: Answers, *, rebenchmark: bool = False
) -> Start:
    """Decide create / resume / reuse / recreate, or refuse with one clear sentence.

    A finished environment is verified again but benchmarked again only with `rebenchmark`.
    """
    where = str(target.path)
    if target.kind == "absent":
        return Start("create")
    if target.kind == "empty":
        return Start(
            "create", empty_before=True, message=f"{where} is empty; creating the environment there"
        )
    if target.kind in ("conda-base", "system", "running"):
        raise InvalidInput(
            f"env: {where} is {target.describe()}; envwizard never installs into a system "
            "interpreter or a conda base. Choose a path for a new environment"
        )
    if target.kind == "other":
        raise InvalidInput(
            f"env: {where} is {target.describe()}; envwizard will not write into or delete it. "
            "Choose a path for a new environment"
        )
    saved = target.saved or {}
    same = target.kind == "envwizard" and saved.get("plan") == plan_hash(plan)
    if same:
        done = set(saved.get("completed") or [])
        rerun = {s.id for s in plan.steps if s.kind in ALWAYS_RERUN}
        skip = {s.id for s in plan.steps if s.id in done and s.id not in rerun}
        why: dict[str, str] = {}
        never_done: set[str] = set()
        if saved.get("status") == "done":
            msg = f"{where} is already complete; verifying it again"
            if not rebenchmark:
                bench = {s.id for s in plan.steps if s.kind == "bench"}
                skip |= bench
                why = dict.fromkeys(bench, BENCH_AGAIN_HINT)
                never_done = bench - done
        else:
            last = (saved.get("completed") or ["nothing"])[-1]
            msg = f"resuming the unfinished environment at {where} after step {last}"
        if answers.existing != "recreate":
            return Start(
                "resume", skip=skip, why=why, never_done=never_done, owns_env=False, message=msg
            )
    if answers.existing == "abort":
        raise InvalidInput(
            f"env: {where} already exists ({target.describe()}). Set existing: reuse to install "
            "into it, or existing: recreate to delete and rebuild it"
        )
    if answers.existing == "reuse":
        return Start(
            "reuse",
            skip={"create-env"},
            owns_env=False,
            message=f"installing into the existing environment at {where}",
        )
    return Start(
        "recreate",
        destructive=True,
        message=f"{where} ({target.describe()}) will be deleted and rebuilt",
    )


class StateFile:
    """envwizard-state.json inside the environment: which steps are done, for resume."""

    def __init__(self, env_path: str | Path, plan: Plan, run_dir: str) -> None:
        self.path = Path(env_path) / STATE_FILE
        self.order = [s.id for s in plan.steps]
        self.data: dict[str, Any] = {
            "envwizard": __version__,
            "plan": plan_hash(plan),
            "status": "running",
            "completed": [],
            "run_dir": run_dir,
            "pid": os.getpid(),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    def load_completed(self, done: set[str]) -> None:
        earlier = [s for s in self.order if s in done]  # in the plan's order
        self.data["completed"] = [s for s in self.data["completed"] if s not in done] + earlier

    def mark(self, step_id: str | None = None, status: str | None = None) -> None:
        if step_id and step_id not in self.data["completed"]:
            self.data["completed"].append(step_id)
        if status:
            self.data["status"] = status
        self.data["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        if self.path.parent.is_dir():
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
            os.replace(tmp, self.path)
