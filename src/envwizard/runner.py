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
import re
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import platformdirs

from envwizard.answers import Answers
from envwizard.childenv import child_env
from envwizard.errors import EXIT_CANCELLED, EXIT_OK, EXIT_STEP_FAILED
from envwizard.i18n import N_
from envwizard.outcome import EnvOutcome, RunResult, RunStatus, StepResult, StepStatus
from envwizard.plan import Plan, Step
from envwizard.proc import Child
from envwizard.progress import Progress, ProgressParser
from envwizard.target import Start, StateFile


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


def new_run_dir(plan: Plan, root: Path | None = None) -> Path:
    """A fresh folder for this run's logs under the user's log directory."""
    base = root or Path(platformdirs.user_log_dir("envwizard")) / "runs"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(plan.env_path).name) or "env"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        d = base / (f"{stamp}-{name}" + (f"-{n}" if n else ""))
        try:
            d.mkdir(parents=True)
            return d
        except FileExistsError:
            continue
    raise RuntimeError("cannot create a run folder")  # pragma: no cover


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
    ) -> None:
        self.plan = plan
        self.answers = answers
        self.start = start
        self.run_dir = run_dir or new_run_dir(plan)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.base_env = base_env
        self.results: list[StepResult] = []
        self.verify: dict[str, Any] | None = None
        self.bench: dict[str, Any] | None = None
        self.bench_error: str | None = None
        self.status = RunStatus.PENDING
        self.exit_code: int | None = None
        self.result: RunResult | None = None
        """Set when the run has finished (the value RunFinished carries)."""
        self._cancel = asyncio.Event()
        self._created_env = start.owns_env and "create-env" in start.skip
        """True once the environment is this run's own (created by it, or by the run it retries)."""
        (self.run_dir / "plan.json").write_text(
            json.dumps(plan.to_dict(), indent=2), encoding="utf-8"
        )
        (self.run_dir / "answers.yaml").write_text(answers.to_yaml(), encoding="utf-8")

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def owns_env(self) -> bool:
        """Whether a rollback may remove the environment (this run, or the one it retries, made it)."""
        return self._created_env

    @property
    def running(self) -> bool:
        return self.status is RunStatus.RUNNING

    def cancel(self) -> None:
        """Stop the run: the current child's tree is stopped and the run rolls back."""
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
        """
        self.status = RunStatus.RUNNING
        state = StateFile(self.plan.env_path, self.plan, str(self.run_dir))
        state.load_completed(self.start.skip - self.start.never_done)
        if self.start.message:
            yield Notice(self.start.message)
        failed = False
        total = len(self.plan.steps)
        for i, step in enumerate(self.plan.steps, 1):
            if step.id in self.start.skip:
                why = self.start.why.get(step.id, DONE_BEFORE_REASON)
                self.results.append(StepResult(step.id, StepStatus.DONE_BEFORE, reason=why))
                yield StepFinished(step.id, StepStatus.DONE_BEFORE, None, 0.0, None, reason=why)
                continue
            if self.cancelled or failed:
                status, why = (
                    (StepStatus.CANCELLED, CANCELLED_REASON)
                    if self.cancelled
                    else (StepStatus.NOT_RUN, NOT_RUN_REASON)
                )
                self.results.append(StepResult(step.id, status, reason=why))
                yield StepFinished(step.id, status, None, 0.0, None, reason=why)
                continue
            async for ev in self._run_step(step, i, total, state):
                yield ev
            result = self.results[-1]
            if result.status is StepStatus.FAILED and not step.optional:
                failed = True
        if self.cancelled:
            self.status, self.exit_code = RunStatus.CANCELLED, EXIT_CANCELLED
        elif failed:
            self.status, self.exit_code = RunStatus.FAILED, EXIT_STEP_FAILED
        else:
            self.status, self.exit_code = RunStatus.DONE, EXIT_OK
        complete = self._complete()
        state.mark(status=RunStatus.DONE.value if complete else self.status.value)
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
        if not complete and (self.cancelled or not keep_failed):
            async for ev in self.rollback():
                yield ev
        yield RunFinished(self.result)

    def retry_start(self) -> Start:
        """How to run the same plan again after a failure: skip what finished, keep ownership."""
        done = {r.id for r in self.results if r.status.finished}
        done -= {s.id for s in self.plan.steps if s.kind in ("verify", "bench")}
        return Start(
            "resume",
            skip=done,
            owns_env=self._created_env,
            empty_before=self.start.empty_before,
            message="retrying from the failed step",
        )

    async def _run_step(
        self, step: Step, index: int, total: int, state: StateFile
    ) -> AsyncIterator[Event]:
        log_path = self.run_dir / f"{index:02d}-{step.id}.log"
        yield StepStarted(step, index, total, str(log_path))
        parser = ProgressParser(step.progress)
        tail: list[str] = []
        json_lines: list[dict[str, Any]] = []
        t0 = time.monotonic()
        rc: int | None = None
        try:
            child = Child(step.argv, env=child_env(self.base_env, step.env), log_path=log_path)
            async with child:
                if step.kind == "create-env":
                    self._created_env = self.start.owns_env
                watcher = asyncio.ensure_future(self._watch_cancel(child))
                try:
                    async for batch in child.batches():
                        shown, progress = parser.feed(batch)
                        if progress:
                            yield StepProgress(step.id, progress)
                        if step.kind in ("verify", "bench"):
                            shown, found = self._split_json(step, shown)
                            json_lines += found
                            if step.kind == "bench":
                                for data in found:
                                    yield BenchEvent(step.id, data)
                        if shown:
                            tail = (tail + shown)[-40:]
                            yield StepOutput(step.id, shown)
                    rc = await child.wait()
                finally:
                    watcher.cancel()
        except FileNotFoundError as e:
            tail = [f"cannot start {step.argv[0]}: {e.strerror or e}"]
            yield StepOutput(step.id, tail)
        except OSError as e:
            tail = [f"cannot start {step.argv[0]}: {e}"]
            yield StepOutput(step.id, tail)
        seconds = time.monotonic() - t0
        if self.cancelled:
            status = StepStatus.CANCELLED
        elif rc == 0:
            status = StepStatus.OK
        else:
            status = StepStatus.FAILED
        if step.kind == "verify" and json_lines:
            self.verify = json_lines[-1]
        if step.kind == "bench" and status is StepStatus.FAILED and not self.bench_error:
            self.bench_error = tail[-1] if tail else f"exit code {rc}"
        if status is StepStatus.OK:
            state.mark(step.id)
        self.results.append(StepResult(step.id, status, seconds, str(log_path), rc))
        failed = status is StepStatus.FAILED
        yield StepFinished(
            step.id, status, rc, seconds, str(log_path), tail[-15:] if failed else []
        )

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
                    if step.kind == "bench" and data.get("event") == "summary":
                        self.bench = data
                    if step.kind == "bench" and data.get("event") == "error":
                        self.bench_error = str(data.get("message") or data.get("error") or data)
                    continue
            shown.append(line)
        return shown, sink

    async def _watch_cancel(self, child: Child) -> None:
        await self._cancel.wait()
        await child.stop()

    async def rollback(self) -> AsyncIterator[Event]:
        """Remove the environment if this run created it (never one that existed before)."""
        outcome, text = self._roll_back()
        if self.result is not None:
            self.result.env = outcome
            if text:
                self.result.notes.append(text)
        if text:
            yield Notice(text, "warn")

    def _roll_back(self) -> tuple[EnvOutcome, str | None]:
        env = Path(self.plan.env_path)
        if not env.exists():
            return EnvOutcome.REMOVED, None
        if self.answers.keep_failed:
            return (
                EnvOutcome.UNFINISHED,
                f"keep_failed is set: the unfinished environment stays at {env}.",
            )
        if not self._created_env:
            if self.start.action in ("resume", "reuse"):
                return (
                    EnvOutcome.UNTOUCHED,
                    f"{env} existed before this run and was left as it is; run the same answers "
                    "again to resume, or set existing: recreate to start over.",
                )
            return EnvOutcome.UNTOUCHED, None
        if self.start.empty_before:
            for child in env.iterdir():
                _remove(child)
            return (
                EnvOutcome.REMOVED,
                f"rolled back: emptied {env} (it was an empty directory before).",
            )
        _remove(env)
        return EnvOutcome.REMOVED, f"rolled back: removed the unfinished environment {env}."


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
