"""What a run did, as values: each step's status and the run's result.

Both front ends and the report read these, so "done in an earlier run" and "not run because an
earlier step failed" can never be mixed up again (a retry that counted the second as the first
finished "done" without installing anything after the failed step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from envwizard.core.values import StrValue


class StepStatus(StrValue):
    """A step's state. The values are the report's JSON `status` strings."""

    PENDING = "pending"
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    CANCELLED = "cancelled"
    """Stopped by a cancel, or never started because the run was cancelled before it."""
    DONE_BEFORE = "skipped"
    """Not run now: an earlier run finished it (or, for the benchmark, measured it)."""
    NOT_RUN = "not-run"
    """Not run because an earlier step failed: still to do."""

    @property
    def finished(self) -> bool:
        """The step's work is in the environment (this run or an earlier one)."""
        return self in (StepStatus.OK, StepStatus.DONE_BEFORE)


class RunStatus(StrValue):
    """A run's state. The values are the report's JSON `status` strings."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class EnvOutcome(StrValue):
    """What became of the environment, so a front end never offers one that is gone."""

    READY = "ready"
    """Every required step finished: the environment is usable (whatever the benchmark did)."""
    UNFINISHED = "unfinished"
    """Kept although unfinished: to retry, to resume with the same answers, or kept on request."""
    REMOVED = "removed"
    """Rolled back: what this run created is gone."""
    UNTOUCHED = "untouched"
    """Existed before this run and was left as it was (never removed by a rollback)."""


@dataclass
class StepResult:
    id: str
    status: StepStatus
    seconds: float = 0.0
    log: str | None = None
    returncode: int | None = None
    reason: str | None = None
    """Why a step did not run (DONE_BEFORE, NOT_RUN, CANCELLED before it started)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "seconds": round(self.seconds, 2),
            "log": self.log,
        }
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass
class RunResult:
    """Everything a front end or the report needs to tell what a run did."""

    status: RunStatus
    exit_code: int
    steps: list[StepResult]
    env: EnvOutcome
    run_dir: str
    verify: dict[str, Any] | None = None
    benchmark: dict[str, Any] | None = None
    benchmark_error: str | None = None
    notes: list[str] = field(default_factory=list)
    """Sentences about the environment's fate (rolled back, kept, left as it was)."""

    def step(self, step_id: str) -> StepResult | None:
        return next((s for s in self.steps if s.id == step_id), None)
