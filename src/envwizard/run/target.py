"""The environment directory a plan targets: what is there now, and how a run may start there.

The rules that keep users' files safe live here: an environment this run creates may be removed
when the run fails; one that existed before is never deleted unless the answers say
`existing: recreate` (and a person confirms, or passed --yes); a directory that is not a Python
environment, a system interpreter or a conda base is never written into or deleted.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envwizard import __version__
from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import N_, _, join
from envwizard.plan.build import CONSTRAINTS_FILE, STATE_FILE, Plan
from envwizard.plan.lock import LOCK_FILE
from envwizard.plan.steps import StepKind
from envwizard.plan.steps import plan_hash as steps_hash
from envwizard.run.envlock import read_marker
from envwizard.settings.answers import CONDA_LIKE, Answers

BENCH_AGAIN_HINT = N_(
    "the environment was finished in an earlier run; pass --rebenchmark to measure it again"
)
"""Why a finished environment is not benchmarked again (kept in English in the report)."""

ENVWIZARD_ENTRIES = frozenset({STATE_FILE, CONSTRAINTS_FILE, LOCK_FILE, ".envwizard-lock"})
"""What envwizard itself writes into an environment (the pin writes pip.conf, pip.ini too)."""
VENV_ENTRIES = ENVWIZARD_ENTRIES | {
    # venv, virtualenv and uv, POSIX and Windows layouts; `share`, `etc` and the like belong to
    # a venv only when an installed package's RECORD says it put files there.
    "bin", "Scripts", "lib", "Lib", "lib64", "include", "Include", "pyvenv.cfg",
    "pip.conf", "pip.ini",
}  # fmt: skip
CONDA_ENTRIES = VENV_ENTRIES | {
    # conda, mamba and micromamba: these top-level folders are conda's own in a conda environment
    "share", "conda-meta", "etc", "man", "ssl", "libexec", "sbin", "var", "compiler_compat",
    "x86_64-conda-linux-gnu", "aarch64-conda-linux-gnu", "Library", "DLLs", "Tools",
    "python.exe", "pythonw.exe", ".condarc", "doc", "docs",
}  # fmt: skip
"""What a conda environment folder holds besides what its packages' records list."""
TOOL_FILES = {
    ".gitignore": "*",  # uv and virtualenv: ignore the whole environment
    "CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55",
    ".lock": "",  # uv's lock on the environment
}
"""Small files venv tools write, recognised by their content (a project's own .gitignore is not)."""

LEFTOVER_MARKS = ("creating", "removing")
"""Marker states of an environment an earlier run was still creating or removing when it died."""


@dataclass
class Target:
    path: Path
    kind: str
    """absent, empty, envwizard, python-env, leftover, remnant, conda-base, system, running or other."""
    saved: dict[str, Any] | None = None
    """The envwizard state file, when there is one."""

    def describe(self) -> str:
        if self.kind == "envwizard" and self.saved:
            status = self.saved.get("status", "?")
            done = self.saved.get("completed") or []
            if status == "done":
                return _("an environment envwizard finished")
            last = done[-1] if done else "nothing"
            return _(
                "an environment envwizard did not finish (status {status}, last completed step: {last})"
            ).format(status=status, last=last)
        if self.kind == "remnant":
            return _(
                "what is left of a Python environment ({entries}) without its pyvenv.cfg"
            ).format(entries=_listing(self.path))
        return {
            "empty": _("an empty directory"),
            "leftover": _(
                "an environment an earlier envwizard run was creating or removing when it stopped"
            ),
            "python-env": _("an existing Python environment"),
            "conda-base": _("a conda base installation"),
            "system": _("a system Python installation"),
            "running": _("the Python installation envwizard itself runs from"),
            "other": _("a directory that is not a Python environment")
            if self.path.is_dir() or not self.path.exists()
            else _("a file, not a directory"),
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
    cleanup: bool = False
    """Remove what an earlier run left (only environment entries) before the first step."""
    repair: set[str] = field(default_factory=set)
    """Install steps an earlier run was interrupted in: reinstall what they install."""
    created_by_envwizard: bool = False
    """The environment was made by envwizard (its state or marker says so)."""


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
    status = saved.get("status") if isinstance(saved, dict) else None
    if _made_here(p) and (
        (read_marker(p, owned=True).get("env") in LEFTOVER_MARKS and status != "done")
        or status == "rolling-back"
    ):
        return Target(p, "leftover", saved if isinstance(saved, dict) else None)
    if saved is not None and isinstance(saved, dict):
        return Target(p, "envwizard", saved)
    if (p / "pyvenv.cfg").is_file() or (p / "conda-meta").is_dir():
        return Target(p, "python-env")
    if any(p.glob("lib/python3*/EXTERNALLY-MANAGED")) or str(p.resolve()) in _system_prefixes():
        return Target(p, "system")
    try:
        entries = {c.name for c in p.iterdir()}
    except OSError:
        return Target(p, "other")
    if not entries:
        return Target(p, "empty")
    if not foreign_entries(p) and entries & {"bin", "lib", "Lib", "Scripts", "lib64"}:
        return Target(p, "remnant")
    return Target(p, "other")


def _made_here(path: Path) -> bool:
    """Whether envwizard can prove it made this folder, so that finishing a removal is safe.

    The proof is envwizard's own state file inside (written only once the folder exists), a
    regular file, owned like the folder by the user running now. A marker beside the folder is
    not enough: it may be left from a run killed long ago, before the person made their own
    environment there, or planted by another user in a shared folder.
    """
    try:
        folder = path.stat()
        state = (path / STATE_FILE).lstat()
    except OSError:
        return False
    if not stat.S_ISREG(state.st_mode):
        return False
    me = _euid()
    return me is None or (folder.st_uid == me and state.st_uid == me)


def _euid() -> int | None:
    """The effective user id (None where the platform has none: Windows)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid() if geteuid else None


def foreign_entries(path: Path, manager: str | None = None) -> list[str]:
    """What a folder holds besides an environment: `recreate` refuses to delete these."""
    try:
        names = sorted(c.name for c in path.iterdir())
    except OSError:
        return []
    known = env_entries(path, manager)
    return [n for n in names if n not in known]


def env_entries(path: Path, manager: str | None = None) -> set[str]:
    """The top-level names that are part of the environment at `path`, and nothing else.

    What the folder really is decides: a conda environment (conda-meta) owns conda's folders
    and whatever its package records list; a venv owns its own layout, the files its tools
    write, and what its packages' RECORD files list. A folder that is neither yet (a remnant)
    is judged by the manager that was making it.
    """
    conda = (path / "conda-meta").is_dir() or (
        manager in CONDA_LIKE and not (path / "pyvenv.cfg").exists()
    )
    known = set(CONDA_ENTRIES if conda else VENV_ENTRIES)
    known |= _conda_files(path) if conda else _record_files(path)
    for name, signature in TOOL_FILES.items():
        if _tool_file(path / name, signature):
            known.add(name)
    return known


def _tool_file(path: Path, signature: str) -> bool:
    """Whether `path` is the small file a venv tool writes (its content says so)."""
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 4096:
            return False
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if not signature:
        return not lines
    return bool(lines) and lines[0] == signature and (signature != "*" or lines == ["*"])


def _conda_files(path: Path) -> set[str]:
    """Top-level names conda's own records say its packages installed."""
    out: set[str] = set()
    meta = path / "conda-meta"
    if not meta.is_dir():
        return out
    for record in meta.glob("*.json"):
        with contextlib.suppress(OSError, ValueError, AttributeError, TypeError):
            for f in json.loads(record.read_text(encoding="utf-8")).get("files") or []:
                out.add(str(f).replace("\\", "/").split("/", 1)[0])
    return out


def _record_files(path: Path) -> set[str]:
    """Top-level names of a venv that its installed packages' RECORD files say they wrote."""
    out: set[str] = set()
    root = os.path.realpath(path)
    for record in [*path.glob("lib/python*/site-packages/*.dist-info/RECORD"),
                   *path.glob("Lib/site-packages/*.dist-info/RECORD")]:  # fmt: skip
        site = os.path.dirname(os.path.dirname(record))
        with contextlib.suppress(OSError, csv.Error):
            text = record.read_text(encoding="utf-8", errors="replace")
            for row in csv.reader(text.splitlines()):
                if not row or not row[0].startswith(".."):
                    continue
                full = os.path.normpath(os.path.join(os.path.realpath(site), row[0]))
                inside = os.path.relpath(full, root).replace("\\", "/")
                if not inside.startswith(".."):
                    out.add(inside.split("/", 1)[0])
    return out


def _listing(path: Path, limit: int = 6) -> str:
    try:
        names = sorted(c.name + ("/" if c.is_dir() else "") for c in path.iterdir())
    except OSError:
        return "?"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return join(names[:limit]) + more


def remove_environment(
    path: Path, *, keep_dir: bool = False, manager: str | None = None
) -> list[str]:
    """Delete the environment entries of `path` (and the folder when nothing else is left).

    Returns the names of what was left because it is not part of an environment.
    """
    known = env_entries(path, manager)
    left = foreign_entries(path, manager)
    for child in sorted(path.iterdir()) if path.is_dir() else []:
        if child.name not in known or child.name == STATE_FILE:
            continue
        _remove(child)
    # The state file goes last: while it is there a later run knows whose folder this is.
    (path / STATE_FILE).unlink(missing_ok=True)
    if not left and not keep_dir:
        with contextlib.suppress(OSError):
            path.rmdir()
    return left


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _system_prefixes() -> set[str]:
    return {os.path.realpath(x) for x in ("/usr", "/usr/local", "/")}


def plan_hash(plan: Plan) -> str:
    """Identifies what the environment is meant to contain, its lock included (a locked install
    counts by the lock's content); verify and bench steps do not count."""
    return steps_hash(plan.steps)


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
            "create",
            empty_before=True,
            message=_("{where} is empty; creating the environment there").format(where=where),
        )
    if target.kind == "leftover":
        marker = read_marker(target.path, owned=True)
        return Start(
            "create",
            cleanup=True,
            empty_before=bool(marker.get("empty_before")),
            message=_(
                "an earlier envwizard run stopped while it was creating or removing {where}; finishing its removal and creating the environment again"
            ).format(where=where),
        )
    if target.kind in ("conda-base", "system", "running"):
        raise InvalidInput(
            _(
                "env: {where} is {describe}; envwizard never installs into a system interpreter or a conda base. Choose a path for a new environment"
            ).format(where=where, describe=target.describe())
        )
    if target.kind == "other":
        raise InvalidInput(
            _(
                "env: {where} is {describe}; envwizard will not write into or delete it. Choose a path for a new environment"
            ).format(where=where, describe=target.describe())
        )
    if target.kind == "remnant" and answers.existing != "recreate":
        raise InvalidInput(
            _(
                "env: {where} is {describe}; set existing: recreate to delete it and build the environment again, or choose another env path"
            ).format(where=where, describe=target.describe())
        )
    saved = target.saved or {}
    created = bool(saved.get("created")) or read_marker(target.path).get("env") == "created"
    same = target.kind == "envwizard" and saved.get("plan") == plan_hash(plan)
    if same:
        done = set(saved.get("completed") or [])
        # Steps that change nothing run again when an environment is resumed (a finished
        # environment's benchmark only when asked: it takes its full time and changes nothing).
        rerun = {s.id for s in plan.steps if s.kind.read_only}
        skip = {s.id for s in plan.steps if s.id in done and s.id not in rerun}
        current = saved.get("current")
        repair = {
            s.id for s in plan.steps if s.id == current and s.kind.repairable and s.id not in done
        }
        why: dict[str, str] = {}
        never_done: set[str] = set()
        if saved.get("status") == "done":
            msg = _("{where} is already complete; verifying it again").format(where=where)
            if not rebenchmark:
                bench = {s.id for s in plan.steps if s.kind is StepKind.BENCH}
                skip |= bench
                why = dict.fromkeys(bench, BENCH_AGAIN_HINT)
                never_done = bench - done
        else:
            last = (saved.get("completed") or ["nothing"])[-1]
            msg = _("resuming the unfinished environment at {where} after step {last}").format(
                where=where, last=last
            )
        if answers.existing != "recreate":
            return Start(
                "resume",
                skip=skip,
                why=why,
                never_done=never_done,
                owns_env=False,
                message=msg,
                repair=repair,
                created_by_envwizard=created,
            )
    if answers.existing == "abort":
        raise InvalidInput(
            _(
                "env: {where} already exists ({describe}). Set existing: reuse to install into it, or existing: recreate to delete and rebuild it"
            ).format(where=where, describe=target.describe())
        )
    if answers.existing == "reuse":
        return Start(
            "reuse",
            skip={"create-env"},
            owns_env=False,
            message=_("installing into the existing environment at {where}").format(where=where),
        )
    foreign = foreign_entries(target.path, plan.manager)
    if foreign:
        shown = join(foreign[:6]) + (f" and {len(foreign) - 6} more" if len(foreign) > 6 else "")
        raise InvalidInput(
            _(
                "env: existing: recreate would delete the environment at {where}, but that folder also holds {shown}, which are not part of an environment; envwizard will not delete them. Move them out, or choose another env path"
            ).format(where=where, shown=shown)
        )
    return Start(
        "recreate",
        destructive=True,
        cleanup=True,
        message=_("{where} ({describe}: {entries}) will be deleted and rebuilt").format(
            where=where, describe=target.describe(), entries=_listing(target.path)
        ),
    )


class StateFile:
    """envwizard-state.json inside the environment: which steps are done, for resume.

    Writing it never fails a run: on a full disk the rollback matters more than the record, so
    a failed write is kept in `error` for the report instead of being raised.
    """

    def __init__(self, env_path: str | Path, plan: Plan, run_dir: str) -> None:
        self.path = Path(env_path) / STATE_FILE
        self.error: str | None = None
        self.order = [s.id for s in plan.steps]
        self.data: dict[str, Any] = {
            "envwizard": __version__,
            "plan": plan_hash(plan),
            "status": "running",
            "completed": [],
            "current": None,
            "created": False,
            "run_dir": run_dir,
            "pid": os.getpid(),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    def load_completed(self, done: set[str]) -> None:
        earlier = [s for s in self.order if s in done]  # in the plan's order
        self.data["completed"] = [s for s in self.data["completed"] if s not in done] + earlier

    def begin(self, step_id: str) -> None:
        """Record the step in flight, so a run killed in it knows to repair it next time."""
        self.data["current"] = step_id
        self._write()

    def mark(self, step_id: str | None = None, status: str | None = None) -> None:
        if step_id and step_id not in self.data["completed"]:
            self.data["completed"].append(step_id)
        if step_id and self.data.get("current") == step_id:
            self.data["current"] = None
        if status:
            self.data["status"] = status
        self._write()

    def _write(self) -> None:
        self.data["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        if not self.path.parent.is_dir():
            return
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as e:
            self.error = f"cannot write {self.path}: {e.strerror or e}"
            with contextlib.suppress(OSError):
                tmp.unlink()
