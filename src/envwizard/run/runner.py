"""Run a plan: each step a child process, streamed as events; cancel, logs, state and rollback.

UI-free: the headless front end and the wizard both iterate `Runner.run()` and render the
events; the last event carries the `RunResult` both report from. Each step's whole output goes
to its own log file in a run folder (which also keeps the plan and the answers); the environment
records finished steps so the same answers resume. The runner alone decides what a cancel or a
failure rolls back: an environment this run created goes, unless every required step finished
(a stopped or failed benchmark never costs the person a verified environment).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import platformdirs

from envwizard.core.errors import (
    EXIT_CANCELLED,
    EXIT_OK,
    EXIT_STEP_FAILED,
    EnvwizardError,
    InvalidInput,
)
from envwizard.core.i18n import N_, _
from envwizard.core.redact import redact, redact_text
from envwizard.plan.build import Plan
from envwizard.plan.lock import LOCK_FILE
from envwizard.plan.steps import Install, Step, StepKind
from envwizard.run.childenv import child_env
from envwizard.run.envlock import EnvLock
from envwizard.run.outcome import EnvOutcome, RunResult, RunStatus, StepResult, StepStatus
from envwizard.run.proc import Child
from envwizard.run.progress import Progress, ProgressParser
from envwizard.run.resolve import write_lock
from envwizard.run.stall import StallWatch, stalled_message
from envwizard.run.target import Start, StateFile, remove_environment
from envwizard.settings.answers import Answers


@dataclass
class StepStarted:
    step: Step
    index: int
    total: int
    log_path: str


@dataclass
class StepOutput:
    step_id: str
    lines: list[str]


@dataclass
class StepProgress:
    step_id: str
    progress: Progress


@dataclass
class BenchEvent:
    """One JSON line of the benchmark worker (the contract's start/step/eval/…/summary)."""

    step_id: str
    data: dict[str, Any]


@dataclass
class StepFinished:
    step_id: str
    status: StepStatus
    returncode: int | None
    seconds: float
    log_path: str | None
    tail: list[str] = field(default_factory=list)
    """The last lines of output, for a failure message."""
    reason: str | None = None
    """Why the step did not run, when it did not."""


@dataclass
class Notice:
    text: str
    level: str = "info"


@dataclass
class RunFinished:
    result: RunResult

    @property
    def status(self) -> RunStatus:
        return self.result.status

    @property
    def exit_code(self) -> int:
        return self.result.exit_code


Event = Union[StepStarted, StepOutput, StepProgress, BenchEvent, StepFinished, Notice, RunFinished]

# Reasons are kept in English in the report; front ends translate them when they show them.
NOT_RUN_REASON = N_("not run: an earlier step failed")
CANCELLED_REASON = N_("not run: the run was cancelled")
DONE_BEFORE_REASON = N_("done in an earlier run")
BENCH_SKIPPED_REASON = N_("skipped: the benchmark was stopped on request")


def runs_root() -> Path:
    """Where every run's folder goes: the user's log directory."""
    return Path(platformdirs.user_log_dir("envwizard")) / "runs"


def new_run_dir(plan: Plan, root: Path | None = None) -> Path:
    """A fresh folder for this run's logs under the user's log directory, holding the plan.

    InvalidInput (exit 2) when it cannot be written (a full or read-only disk): said before
    anything is made, since a run that cannot keep its record cannot be resumed or reported.
    """
    base = root or runs_root()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(plan.env_path).name) or "env"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        d = base / (f"{stamp}-{name}" + (f"-{n}" if n else ""))
        try:
            d.mkdir(parents=True)
        except FileExistsError:
            continue
        except OSError as e:
            raise _unwritable(base, e) from None
        _keep(d, "plan.json", json.dumps(redact(plan.to_dict()), indent=2))
        return d
    raise RuntimeError(_("cannot create a run folder"))  # pragma: no cover


def _keep(folder: Path, name: str, text: str) -> None:
    try:
        (folder / name).write_text(text, encoding="utf-8")
    except OSError as e:
        raise _unwritable(folder, e) from None


def _unwritable(folder: Path, e: OSError) -> InvalidInput:
    return InvalidInput(
        _(
            "cannot write envwizard's run folder {folder} ({error}); free some space there or "
            "make it writable (XDG_STATE_HOME moves it on Linux), then run again"
        ).format(folder=folder, error=e.strerror or e)
    )


class Runner:
    """Executes a plan once. Create it, iterate `run()`, call `cancel()` from anywhere."""

    def __init__(
        self,
        plan: Plan,
        answers: Answers,
        start: Start,
        *,
        run_dir: Path | None = None,
        base_env: dict[str, str] | None = None,
        lock: EnvLock | None = None,
        stall_seconds: float | None = None,
    ) -> None:
        self.plan = plan
        self.answers = answers
        self.start = start
        self.run_dir = run_dir or new_run_dir(plan)
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _unwritable(self.run_dir, e) from None
        self.base_env = base_env
        self.lock = lock
        self.stall_seconds = float(stall_seconds or answers.stall_seconds)
        self.state_error: str | None = None
        """Why the state file could not be written (a full disk), for the report."""
        self.changed_reused_env = False
        """An install step ran in an environment this run did not create."""
        self._stalled: str | None = None
        self._failed = False
        self.removed = False
        """The rollback removed (or emptied) the environment."""
        self.results: list[StepResult] = []
        self.verify: dict[str, Any] | None = None
        self.bench: dict[str, Any] | None = None
        self.bench_error: str | None = None
        self.status = RunStatus.PENDING
        self.exit_code: int | None = None
        self.result: RunResult | None = None
        """Set when the run has finished (the value RunFinished carries)."""
        self._cancel = asyncio.Event()
        self.benchmark_skipped = False
        """The person stopped the benchmark alone (not the run): the run is done without it."""
        self._bench_running = False
        self._created_env = start.owns_env and "create-env" in start.skip
        """True once the environment is this run's own (created by it, or by the run it retries)."""
        if plan.lock is not None and plan.lock_path:
            # The files the install steps read (a resumed plan's lock is written here first).
            try:
                write_lock(plan.lock, Path(plan.lock_path).parent)
            except OSError as e:
                raise _unwritable(Path(plan.lock_path).parent, e) from None
        _keep(self.run_dir, "plan.json", json.dumps(redact(plan.to_dict()), indent=2))
        _keep(self.run_dir, "answers.yaml", redact_text(answers.to_yaml()))

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set() and not self.benchmark_skipped

    @property
    def owns_env(self) -> bool:
        """Whether a rollback may remove the environment (this run, or the one it retries, made it)."""
        return self._created_env

    @property
    def running(self) -> bool:
        return self.status is RunStatus.RUNNING

    def cancel(self) -> None:
        """Stop the run: the current child's tree is stopped and the run rolls back."""
        self.benchmark_skipped = False
        self._cancel.set()

    @property
    def benchmarking(self) -> bool:
        return self._bench_running

    def skip_benchmark(self) -> None:
        """Stop only the benchmark: the environment is installed and verified, so the run is
        done (exit 0) and the benchmark step says it was skipped. A cancel wins over it."""
        if self._bench_running and not self._cancel.is_set():
            self.benchmark_skipped = True
            self._cancel.set()

    def _complete(self) -> bool:
        """Every required step finished: the environment is usable, whatever the benchmark did."""
        optional = {s.id for s in self.plan.steps if s.optional}
        return all(r.status.finished for r in self.results if r.id not in optional)

    async def run(self, *, keep_failed: bool = False) -> AsyncIterator[Event]:
        """Run the steps, then roll back what the outcome calls for.

        A cancelled run removes an unfinished environment it created. A failed one does too,
        unless `keep_failed` (the wizard: the person chooses Retry, which resumes with
        `retry_start`, or Roll back, which calls `rollback`). A complete environment stays.
        The environment's lock is held throughout (taken here unless the caller holds it).
        """
        self.status = RunStatus.RUNNING
        own_lock = self.lock is None
        if own_lock:
            try:
                self.lock = EnvLock(self.plan.env_path).__enter__()
            except EnvwizardError as e:
                yield Notice(str(e), "error")
                self.status, self.exit_code = RunStatus.FAILED, e.exit_code
                self.result = RunResult(
                    status=self.status,
                    exit_code=e.exit_code,
                    steps=[],
                    env=EnvOutcome.UNTOUCHED,
                    run_dir=str(self.run_dir),
                    notes=[str(e)],
                )
                yield RunFinished(self.result)
                return
        try:
            async for ev in self._run(keep_failed):
                yield ev
        finally:
            if own_lock and self.lock is not None:
                self.lock.__exit__(None, None, None)
                self.lock = None

    async def _run(self, keep_failed: bool) -> AsyncIterator[Event]:
        state = StateFile(self.plan.env_path, self.plan, str(self.run_dir))
        state.load_completed(self.start.skip - self.start.never_done)
        state.data["created"] = self.start.created_by_envwizard or self.start.owns_env
        if self.start.message:
            yield Notice(redact_text(self.start.message))
        env = Path(self.plan.env_path)
        if self.start.cleanup and env.exists():
            self._mark(env="removing")
            left = remove_environment(
                env, keep_dir=self.start.empty_before, manager=self.plan.manager
            )
            yield Notice(_("removed the environment at {env}").format(env=env), "warn")
            if left:
                yield Notice(
                    _("kept {names} in {env}: not part of an environment").format(
                        names=", ".join(left), env=env
                    ),
                    "warn",
                )
        if self.start.owns_env and "create-env" not in self.start.skip:
            self._mark(env="creating", empty_before=self.start.empty_before)
        for sid in sorted(self.start.repair):
            yield Notice(
                _(
                    "step {sid} was interrupted in an earlier run; reinstalling what it installs so that no half-installed package is left"
                ).format(sid=sid),
                "warn",
            )
        async for ev in self._steps(self.plan.steps, state, set(self.start.repair)):
            yield ev
        if (
            not self.cancelled
            and self._verify_failed()
            and self.start.action == "resume"
            and self.start.created_by_envwizard
        ):
            yield Notice(
                _(
                    "verify failed on an environment envwizard created earlier; reinstalling its packages cleanly and verifying again"
                ),
                "warn",
            )
            again = [
                s for s in self.plan.steps if s.kind.changes_packages or s.kind is StepKind.VERIFY
            ]
            self.results = [r for r in self.results if r.id not in {s.id for s in again}]
            repair = {s.id for s in again if s.kind.repairable}
            async for ev in self._steps(again, state, repair):
                yield ev
        if self.cancelled:
            self.status, self.exit_code = RunStatus.CANCELLED, EXIT_CANCELLED
        elif self._failed:
            self.status, self.exit_code = RunStatus.FAILED, EXIT_STEP_FAILED
        else:
            self.status, self.exit_code = RunStatus.DONE, EXIT_OK
        complete = self._complete()
        self.result = RunResult(
            status=self.status,
            exit_code=self.exit_code,
            steps=self.results,
            env=EnvOutcome.READY if complete else EnvOutcome.UNFINISHED,
            run_dir=str(self.run_dir),
            verify=self.verify,
            benchmark=self.bench,
            benchmark_error=self.bench_error,
        )
        # Rollback first, then the record: on a full disk the removal frees the space.
        if not complete and (self.cancelled or not keep_failed):
            async for ev in self.rollback(state):
                yield ev
        if env.is_dir() and not self.removed:
            state.mark(status=RunStatus.DONE.value if complete else self.status.value)
        self.state_error = state.error or self.state_error
        if state.error:
            yield Notice(
                _("the environment's state was not saved: {error}").format(error=state.error),
                "warn",
            )
        yield RunFinished(self.result)

    def _verify_failed(self) -> bool:
        return any(r.status is StepStatus.FAILED for r in self.results if r.id == "verify")

    def _mark(self, **values: object) -> None:
        if self.lock is not None:
            self.lock.update(**values)

    async def _steps(
        self, steps: list[Step], state: StateFile, repair: set[str]
    ) -> AsyncIterator[Event]:
        """Run steps in order; `_failed` says afterwards whether a required one failed."""
        self._failed = False
        total = len(self.plan.steps)
        for step in steps:
            i = self.plan.steps.index(step) + 1
            if step.id in self.start.skip and step.id not in repair:
                why = self.start.why.get(step.id, DONE_BEFORE_REASON)
                self.results.append(StepResult(step.id, StepStatus.DONE_BEFORE, reason=why))
                yield StepFinished(step.id, StepStatus.DONE_BEFORE, None, 0.0, None, reason=why)
                continue
            if self.cancelled or self._failed:
                status, why = (
                    (StepStatus.CANCELLED, CANCELLED_REASON)
                    if self.cancelled
                    else (StepStatus.NOT_RUN, NOT_RUN_REASON)
                )
                self.results.append(StepResult(step.id, status, reason=why))
                yield StepFinished(step.id, status, None, 0.0, None, reason=why)
                continue
            async for ev in self._run_step(step, i, total, state, step.id in repair):
                yield ev
            if self.results[-1].status is StepStatus.FAILED and not step.optional:
                self._failed = True

    def retry_start(self) -> Start:
        """How to run the same plan again after a failure: skip what finished, keep ownership."""
        done = {r.id for r in self.results if r.status.finished}
        done -= {s.id for s in self.plan.steps if s.kind.read_only}
        return Start(
            "resume",
            skip=done,
            owns_env=self._created_env,
            empty_before=self.start.empty_before,
            message=_("retrying from the failed step"),
        )

    async def _run_step(
        self, step: Step, index: int, total: int, state: StateFile, repair: bool = False
    ) -> AsyncIterator[Event]:
        log_path = self.run_dir / f"{index:02d}-{step.id}.log"
        yield StepStarted(step, index, total, str(log_path))
        parser = ProgressParser(step.progress)
        tail: list[str] = []
        json_lines: list[dict[str, Any]] = []
        t0 = time.monotonic()
        rc: int | None = None
        argv = step.spec.repaired().argv() if repair else step.argv
        if step.kind.changes_packages:
            state.begin(step.id)
            if not self._created_env:
                self.changed_reused_env = True
        if isinstance(step.spec, Install) and step.spec.locked:
            self._lock_beside_env()
        self._stalled = None
        stall = StallWatch(self.stall_seconds) if step.kind.stall_watched else None
        self._bench_running = step.kind is StepKind.BENCH
        child = Child(argv, env=child_env(self.base_env, step.env), log_path=log_path)
        try:
            async with child:
                if step.kind is StepKind.CREATE_ENV:
                    self._created_env = self.start.owns_env
                watcher = asyncio.ensure_future(self._watch_cancel(child))
                stall_task = (
                    asyncio.ensure_future(self._watch_stall(child, stall, step)) if stall else None
                )
                try:
                    async for batch in child.batches():
                        batch = [redact_text(line) for line in batch]
                        shown, progress = parser.feed(batch)
                        if stall:
                            stall.saw(batch, progress is not None)
                        if progress:
                            yield StepProgress(step.id, progress)
                        if step.kind.emits_json:
                            shown, found = self._split_json(step, shown)
                            json_lines += found
                            if step.kind is StepKind.BENCH:
                                for data in found:
                                    yield BenchEvent(step.id, data)
                        if shown:
                            tail = (tail + shown)[-40:]
                            yield StepOutput(step.id, shown)
                    rc = await child.wait()
                finally:
                    watcher.cancel()
                    if stall_task:
                        stall_task.cancel()
        except FileNotFoundError as e:
            tail = [f"cannot start {step.argv[0]}: {e.strerror or e}"]
            yield StepOutput(step.id, tail)
        except OSError as e:
            tail = [f"cannot start {step.argv[0]}: {e}"]
            yield StepOutput(step.id, tail)
        if child.log_error:  # the step is judged on its own: a full log disk is not its failure
            yield Notice(
                _(
                    "the log of step {id} could not be written ({error}); its output was shown here"
                ).format(id=step.id, error=child.log_error),
                "warn",
            )
        seconds = time.monotonic() - t0
        self._bench_running = False
        reason = None
        if step.kind is StepKind.BENCH and self.benchmark_skipped:
            status, reason = StepStatus.DONE_BEFORE, BENCH_SKIPPED_REASON
            self._cancel.clear()  # only the benchmark was stopped
        elif self.cancelled:
            status = StepStatus.CANCELLED
        elif rc == 0 and not self._stalled:
            status = StepStatus.OK
        else:
            status = StepStatus.FAILED
        if self._stalled:
            tail.append(self._stalled)
            yield StepOutput(step.id, [self._stalled])
        if step.kind is StepKind.VERIFY and json_lines:
            self.verify = json_lines[-1]
            problems = self.verify.get("problems") or []
            if status is StepStatus.FAILED and problems:
                tail.append("verify: " + "; ".join(str(p) for p in problems))
        if step.kind is StepKind.BENCH and status is StepStatus.FAILED and not self.bench_error:
            self.bench_error = tail[-1] if tail else f"exit code {rc}"
        if status is StepStatus.OK:
            state.mark(step.id)
            if step.kind is StepKind.CREATE_ENV and self.start.owns_env:
                self._mark(env="created")
        self.results = [r for r in self.results if r.id != step.id]
        self.results.append(StepResult(step.id, status, seconds, str(log_path), rc, reason))
        failed = status is StepStatus.FAILED
        yield StepFinished(
            step.id, status, rc, seconds, str(log_path), tail[-15:] if failed else [], reason
        )

    def _lock_beside_env(self) -> None:
        """The lock goes into the environment with the first package: from then on the
        environment says what it was meant to hold (a later resume installs the same)."""
        env = Path(self.plan.env_path)
        if self.plan.lock is None or not env.is_dir():
            return
        tmp = env / (LOCK_FILE + ".tmp")
        try:
            tmp.write_text(self.plan.lock.to_json(), encoding="utf-8")
            os.replace(tmp, env / LOCK_FILE)
        except OSError as e:  # a full disk: the install step that follows says so too
            self.state_error = self.state_error or f"cannot write {env / LOCK_FILE}: {e}"

    def _split_json(self, step: Step, lines: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
        """JSON lines from verify/bench become data; anything else stays visible output."""
        shown: list[str] = []
        sink: list[dict[str, Any]] = []
        for line in lines:
            s = line.strip()
            if s.startswith("{") and s.endswith("}"):
                try:
                    data = json.loads(s)
                except ValueError:
                    shown.append(line)
                    continue
                if isinstance(data, dict):
                    sink.append(data)
                    bench = step.kind is StepKind.BENCH
                    if bench and data.get("event") == "summary":
                        self.bench = data
                    if bench and data.get("event") == "error":
                        self.bench_error = str(data.get("message") or data.get("error") or data)
                    continue
            shown.append(line)
        return shown, sink

    async def _watch_cancel(self, child: Child) -> None:
        await self._cancel.wait()
        await child.stop()

    async def _watch_stall(self, child: Child, stall: StallWatch, step: Step) -> None:
        """Stop an installer that has shown nothing and downloaded nothing for too long."""
        while True:
            await asyncio.sleep(min(1.0, stall.limit / 4))
            if child.pid is not None and stall.stalled(child.pid):
                self._stalled = stalled_message(step.id, stall.limit)
                await child.stop()
                return

    async def rollback(self, state: StateFile | None = None) -> AsyncIterator[Event]:
        """Remove the environment if this run created it (never one that existed before).

        The marker beside the environment says "removing" until the folder is gone, and the
        state file is deleted last, so a run killed here is finished by the next one.
        """
        outcome, text = await self._roll_back(state)
        if self.result is not None:
            self.result.env = outcome
            if text:
                self.result.notes.append(text)
        if text:
            yield Notice(text, "warn")

    async def _roll_back(self, state: StateFile | None) -> tuple[EnvOutcome, str | None]:
        env = Path(self.plan.env_path)
        if not env.exists():
            return EnvOutcome.REMOVED, None
        if self.answers.keep_failed:
            return (
                EnvOutcome.UNFINISHED,
                _("keep_failed is set: the unfinished environment stays at {env}.").format(env=env),
            )
        if not self._created_env:
            if self.changed_reused_env:
                return (
                    EnvOutcome.UNFINISHED,
                    _(
                        "{env} existed before this run, and this run was stopped while it installed into it, so packages there may now be half-installed (import torch may fail). Run the same answers again to repair it: envwizard reinstalls what the interrupted step was installing."
                    ).format(env=env),
                )
            if self.start.action in ("resume", "reuse"):
                return (
                    EnvOutcome.UNTOUCHED,
                    _(
                        "{env} existed before this run and was left as it is; run the same answers again to resume, or set existing: recreate to start over."
                    ).format(env=env),
                )
            return EnvOutcome.UNTOUCHED, None
        self._mark(env="removing", empty_before=self.start.empty_before)
        if state is not None:
            state.mark(status="rolling-back")
        left = await asyncio.to_thread(
            remove_environment, env, keep_dir=self.start.empty_before, manager=self.plan.manager
        )
        self._mark(env="removed")
        self.removed = True
        if self.start.empty_before:
            return (
                EnvOutcome.REMOVED,
                _("rolled back: emptied {env} (it was an empty directory before).").format(env=env),
            )
        if left:
            return (
                EnvOutcome.REMOVED,
                _("rolled back: removed the environment from {env}; kept {names}.").format(
                    env=env, names=", ".join(left)
                ),
            )
        return EnvOutcome.REMOVED, _(
            "rolled back: removed the unfinished environment {env}."
        ).format(env=env)
