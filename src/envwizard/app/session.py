"""Applying one plan, the same for both front ends: plan -> prepare -> run -> report.

The headless front end and the wizard render what this module returns and the events it yields,
and ask the person where it says a question is needed; they decide nothing themselves. Every rule
about whether and how a run may start lives here, so neither front end can skip one:

- plan: the `python:` given as a path is probed, the environment path must be one this machine
  can create (not in /proc, not below a file), a Windows path only on Windows, the benchmark's
  device one the machine has (settings/fits.py); `mirror: auto`
  measures its sources (a blocking call: the wizard makes it in a worker) and the measurement
  is kept, so each set of sources is measured once.
- prepare: how the run starts at its target (create, resume, reuse, recreate) or why it may not,
  a confirmation before deleting anything, a refusal while another live run holds the
  environment, the pre-flight checks, and the resolve: the installer's own dry run, whose lock
  the plan then installs exactly (a resume takes the environment's own lock instead, and a
  run that installs nothing needs none); then the environment's lock, and a second look under it.
- run: the runner's events; retry and rollback under the same lock.
- report: one report, in the run folder and where the person asked for it.

The prepare stage is blocking (pre-flight asks the network, the resolve runs the installer, the
lock may wait for an installer an earlier run left behind): the wizard calls it from a thread
worker.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from envwizard.core.errors import EnvwizardError, InvalidInput
from envwizard.core.i18n import _
from envwizard.core.notes import Note
from envwizard.decide.decision import decide
from envwizard.facts.model import Facts
from envwizard.knowledge import Knowledge
from envwizard.knowledge import load as load_knowledge
from envwizard.plan.build import Plan, make_plan
from envwizard.plan.lock import LOCK_FILE, Lock, lock_files
from envwizard.plan.route import Measurement, Target, auto_targets, measure
from envwizard.report.report import build_report, write_report
from envwizard.run.envlock import EnvLock, refuse_if_running
from envwizard.run.outcome import RunResult
from envwizard.run.preflight import Preflight, run_preflight
from envwizard.run.resolve import resolve, saved_lock
from envwizard.run.runner import Event, RunFinished, Runner, new_run_dir
from envwizard.run.target import Start, inspect_target, resolve_start
from envwizard.settings.answers import Answers, is_windows_path
from envwizard.settings.fits import check_fits

# ---- plan ------------------------------------------------------------------------------------


def add_answer_interpreter(facts: Facts, answers: Answers) -> None:
    """A `python:` given as a path is probed, so the planner knows its version."""
    want = answers.python
    if want == "current" or want[0].isdigit():
        return
    if any(p.executable == want for p in [facts.python, *facts.pythons]):
        return
    if not os.path.exists(want):
        raise InvalidInput(_("python: {path} does not exist").format(path=want))
    from envwizard.facts.pythons import inspect_interpreter

    facts.pythons.append(inspect_interpreter(want, origin="answers"))


def check_env_location(env: str) -> None:
    """An environment path this machine can create: not inside /proc, /sys or /dev, and not
    below a file (`/etc/passwd/env`)."""
    if env == "/" or any(env.startswith(root + "/") for root in ("/proc", "/sys", "/dev")):
        raise InvalidInput(
            _(
                "env: {env} is inside a system folder of the kernel; choose a path for a new environment"
            ).format(env=env)
        )
    for parent in Path(env).parents:
        if parent.exists() and not parent.is_dir():
            raise InvalidInput(
                _("env: {env} cannot be created: {parent} is a file, not a folder").format(
                    env=env, parent=parent
                )
            )


def check_location(facts: Facts, answers: Answers, *, here: bool) -> None:
    """The path rules: a Windows path only for a Windows machine; on this machine (`here`), a
    path it can create."""
    if here and not answers.env_is_name:
        check_env_location(answers.env)
    if facts.os.system != "Windows" and is_windows_path(answers.env):
        raise InvalidInput(
            _(
                "env: {env} is a Windows path, and the plan is for a {system} machine; write a path of that machine"
            ).format(env=answers.env, system=facts.os.system)
        )


class Measurements:
    """What `mirror: auto` measured, kept by the sources measured: each set is measured once."""

    def __init__(self) -> None:
        self._kept: dict[tuple[Target, ...], Measurement] = {}

    def get(self, targets: tuple[Target, ...]) -> Measurement | None:
        return self._kept.get(targets)

    def measure(self, targets: tuple[Target, ...]) -> Measurement:
        """Measure (blocking, at most route.BUDGET_S seconds) unless already measured."""
        found = self._kept.get(targets)
        if found is None:
            found = self._kept[targets] = measure(targets)
        return found


@dataclass(frozen=True)
class Planned:
    """A plan, and the `mirror: auto` sources it still has to measure (the plan then takes the
    official sources; plan again with `measure=True` for the measured route)."""

    plan: Plan
    unmeasured: tuple[Target, ...] = ()


def plan_answers(
    facts: Facts,
    answers: Answers,
    *,
    kb: Knowledge | None = None,
    here: bool = True,
    measurements: Measurements | None = None,
    measure: bool = True,
) -> Planned:
    """The plan stage: the path rules, the decision (made once), the mirror measurement, the plan.

    `here`: the facts are this machine's, so local paths are checked and a `python:` path is
    probed. `measure=False` never touches the network: a plan made from what was measured
    before, or from the official sources with `unmeasured` saying what is still to measure.
    """
    kb = kb or load_knowledge()
    if here:
        add_answer_interpreter(facts, answers)
    check_location(facts, answers, here=here)
    check_fits(answers, facts)
    decision = decide(facts, answers, kb)
    targets = auto_targets(decision, answers)
    kept = measurements or Measurements()
    measured = None
    if targets:
        measured = kept.measure(targets) if measure else kept.get(targets)
    plan = make_plan(facts, answers, kb, measured, decision=decision)
    return Planned(plan, targets if targets and measured is None else ())


# ---- prepare ---------------------------------------------------------------------------------


def _blocking(work: Coroutine[object, object, Plan]) -> Plan:
    """Run a coroutine to its end from blocking code: here, or in a thread of its own when this
    thread already runs an event loop (a caller inside an async test or app)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


UNMADE_RUN_DIR = Path("<run folder>")
"""Where a plan not run (a dry run) says its lock's files would lie: no folder is made for it."""


@dataclass(frozen=True)
class Ready:
    """The run may start like this; `warnings` are pre-flight's, to show before it starts."""

    start: Start
    warnings: tuple[Note, ...] = ()


@dataclass(frozen=True)
class NeedsConfirm:
    """The start deletes an existing environment: ask, then prepare again with `confirmed`."""

    start: Start

    @property
    def question(self) -> str:
        return self.start.message


@dataclass(frozen=True)
class Refused:
    """The run may not start: one sentence that says why and what would help (exit 2 when
    the front end ends there)."""

    message: str
    warnings: tuple[Note, ...] = ()

    def error(self) -> InvalidInput:
        return InvalidInput(self.message)


Prepared = Union[Ready, NeedsConfirm, Refused]


@dataclass(frozen=True)
class Reported:
    """Where the report went: the run folder, and the extra path when asked; `error` when the
    extra path failed, `warning` when the run folder's disk could not hold it."""

    path: Path | None
    error: str | None = None
    warning: str | None = None


@dataclass
class Session:
    """One plan applied to this machine, from its first check to its report.

    Create it with the facts, answers and plan of the plan stage; `prepare()` until `Ready`,
    `lock()`, iterate `run()`; `retry()` and `rollback()` after a failure; `release()` at the end
    (or use the session as a context manager).
    """

    facts: Facts
    answers: Answers
    plan: Plan
    rebenchmark: bool = False
    """Benchmark a finished environment again (it is only verified otherwise)."""
    stall_seconds: float | None = None
    wizard: bool = False
    """Remedies name the wizard's controls ("Take torch from") instead of the answers keys."""
    runner: Runner | None = None
    result: RunResult | None = None
    """The last run's result (None until a run has finished)."""
    report_path: Path | None = None
    given_lock: Lock | None = None
    """A lock installed as it is, never resolved again: a bundle's, its files where the bundle
    holds them (app/bundle.py)."""
    check: Callable[[Plan], object] | None = None
    """One more check before anything is made (a bundle's files against its lock, for this
    plan); its InvalidInput refuses the run."""
    _lock: EnvLock | None = field(default=None, repr=False)
    _run_dir: Path | None = field(default=None, repr=False)
    """The first run's folder, made by prepare(): the resolve's logs and lock go there too."""

    # ---- before anything changes ---------------------------------------------------------
    def inspect(self) -> Start:
        """How the run begins at its target; InvalidInput when it may not (someone else's
        folder, a system interpreter, `existing: abort` and something is there).

        An environment a run began with a lock is resumed with that lock: the plan installs it;
        so is a lock the session was given."""
        check_location(self.facts, self.answers, here=True)
        if self.plan.lock is None:
            folder = self._run_dir or UNMADE_RUN_DIR
            self.plan = saved_lock(self.plan, folder) or self._given(folder) or self.plan
        return resolve_start(
            inspect_target(self.plan.env_path),
            self.plan,
            self.answers,
            rebenchmark=self.rebenchmark,
        )

    def _given(self, folder: Path) -> Plan | None:
        if self.given_lock is None:
            return None
        return self.plan.with_lock(self.given_lock, lock_files(folder), str(folder / LOCK_FILE))

    def look(self) -> Start:
        """What a person choosing the path sees: how the run would begin, or the refusal it
        would meet there, another live run holding the environment included. Changes nothing."""
        start = self.inspect()
        refuse_if_running(self.plan.env_path)
        return start

    def preflight(self, start: Start, *, network: bool = True) -> Preflight:
        return run_preflight(self.plan, self.answers, start, network=network, wizard=self.wizard)

    def prepare(
        self, *, confirmed: bool = False, on_output: Callable[[list[str]], None] | None = None
    ) -> Prepared:
        """Every check a run makes before it changes anything, the resolve last (blocking:
        pre-flight may ask the network for a few seconds, the installer's dry run for more).

        `on_output` sees the resolve's lines as the installer prints them.
        """
        try:
            # First of all: what a live run leaves half-made is not the person's to decide on
            # (it read "already exists"), and a second run must not spend seconds on the network.
            refuse_if_running(self.plan.env_path)
            if self._run_dir is None and self.runner is None:
                # A full or read-only log folder is refused before anything is made; the
                # folder exists before the look at the target, whose saved lock it holds.
                self._run_dir = new_run_dir(self.plan)
            start = self.inspect()
            if start.destructive and not confirmed:
                return NeedsConfirm(start)
            if self.check is not None:
                self.check(self.plan)
        except EnvwizardError as e:
            return Refused(str(e))
        pf = self.preflight(start)
        warnings = tuple(pf.warnings)
        if pf.errors:
            return Refused(
                _("pre-flight: {problems}").format(problems=" | ".join(pf.errors)), warnings
            )
        try:
            self.resolve(start, on_output)
        except EnvwizardError as e:
            return Refused(str(e), warnings)
        return Ready(start, warnings)

    def resolve(self, start: Start, on_output: Callable[[list[str]], None] | None = None) -> None:
        """Resolve first: the plan becomes the one that installs the installer's own answer
        (run/resolve.py), unless it has its lock already or installs nothing now."""
        if self.plan.lock is not None or not self.plan.installs_pending(start.skip):
            return
        folder = self._run_dir or (self.runner.run_dir if self.runner is not None else None)
        assert folder is not None, "prepare() makes the run folder first"
        if on_output is not None:
            on_output(
                [
                    _(
                        "resolving: asking {installer} what it would install, before anything is made"
                    ).format(installer=self.plan.installer.installer.value)
                ]
            )
        stall = float(self.stall_seconds or self.answers.stall_seconds)
        self.plan = _blocking(
            resolve(self.plan, self.facts, folder, stall_seconds=stall, on_output=on_output)
        )

    def lock(self, ready: Ready, on_wait: Callable[[str], None] | None = None) -> Prepared:
        """Take the environment's lock and look again under it: an earlier run may have
        finished or left something meanwhile. Blocking: the lock waits (up to
        envlock.ORPHAN_WAIT_SECONDS) for an installer a dead run left behind."""
        if self._run_dir is None and self.runner is None:
            try:  # a full or read-only log folder: refused before anything is made
                self._run_dir = new_run_dir(self.plan)
            except EnvwizardError as e:
                return Refused(str(e), ready.warnings)
        if self._lock is None:
            lock = EnvLock(self.plan.env_path, on_wait=on_wait)
            try:
                lock.__enter__()
            except EnvwizardError as e:
                return Refused(str(e), ready.warnings)
            self._lock = lock
        try:
            again = self.inspect()
        except EnvwizardError as e:
            self.release()
            return Refused(str(e), ready.warnings)
        if again.destructive and not ready.start.destructive:
            self.release()
            return Refused(
                _("env: {path} changed while envwizard was checking it; run again").format(
                    path=self.plan.env_path
                ),
                ready.warnings,
            )
        return Ready(again, ready.warnings)

    # ---- the run -------------------------------------------------------------------------
    async def run(self, start: Start, *, keep_failed: bool = False) -> AsyncIterator[Event]:
        """The runner's events; the report is written when the run finishes.

        `keep_failed`: a failed run keeps what it made, for `retry()` or `rollback()`.
        """
        assert self._lock is not None, "lock() before run()"
        self.result = None
        run_dir, self._run_dir = self._run_dir, None  # the first run's, made by lock()
        self.runner = Runner(
            self.plan,
            self.answers,
            start,
            run_dir=run_dir,
            lock=self._lock,
            stall_seconds=self.stall_seconds,
        )
        async for ev in self.runner.run(keep_failed=keep_failed):
            if isinstance(ev, RunFinished):
                self.result = ev.result
                self.write_report()
            yield ev

    def retry(self) -> AsyncIterator[Event]:
        """The same plan again after a failure: what finished is skipped."""
        assert self.runner is not None
        return self.run(self.runner.retry_start(), keep_failed=True)

    async def rollback(self) -> AsyncIterator[Event]:
        """Remove what the failed run made; the report says so afterwards."""
        assert self.runner is not None
        async for ev in self.runner.rollback():
            yield ev
        self.write_report()

    def cancel(self) -> None:
        if self.runner is not None:
            self.runner.cancel()

    def skip_benchmark(self) -> None:
        """Stop the benchmark alone: the verified environment makes the run done (exit 0)."""
        if self.runner is not None:
            self.runner.skip_benchmark()

    @property
    def benchmarking(self) -> bool:
        """The benchmark is what runs now (the environment is installed and verified)."""
        return self.runner is not None and self.runner.running and self.runner.benchmarking

    @property
    def running(self) -> bool:
        return self.runner is not None and self.runner.running

    @property
    def owns_env(self) -> bool:
        """Whether what the run made may be removed (this run, or the one it retried, made it)."""
        return self.runner is not None and self.runner.owns_env

    def release(self) -> None:
        """Let go of the environment's lock (after the run, its retries and its rollback)."""
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
            self._lock = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # ---- the report ----------------------------------------------------------------------
    def write_report(self, extra: str | None = None) -> Reported:
        """The run's report in its run folder (rewritten when a rollback changes the outcome),
        and at `extra` when asked (`--report`); `error` says why `extra` could not be written."""
        assert self.runner is not None and self.result is not None
        data = build_report(self.facts, self.answers, self.plan, self.result)
        if self.runner.state_error:
            data["state_error"] = self.runner.state_error
        # The run folder gets it first (the environment's disk may be the full one); when the
        # run folder's own disk is full, that costs the record, never the environment.
        warning = None
        try:
            self.report_path, _md = write_report(data, self.runner.run_dir / "report.json")
        except OSError as e:
            self.report_path = None
            warning = _("cannot write the report to the run folder {folder} ({error})").format(
                folder=self.runner.run_dir, error=e.strerror or e
            )
        if extra:
            try:
                path, _md = write_report(data, extra)
            except OSError as e:
                where = (
                    _("cannot write the report to {report} ({error}); it is in {path}")
                    if self.report_path
                    else _("cannot write the report to {report} ({error})")
                )
                return Reported(
                    self.report_path,
                    where.format(report=extra, error=e.strerror or e, path=self.report_path),
                    warning,
                )
            self.report_path = path
        return Reported(self.report_path, None, warning)
