"""`envwizard doctor ENV --fix [--yes]`: apply the repairs through the session, like any run.

For each problem with a repair, one option is chosen (asked on a terminal, the recommended
one with --yes); an option the session's pre-flight refuses (its index cannot be reached, a
tool is missing) is said and the next one offered. The chosen steps become one plan that the
session prepares, locks and runs with the normal runner, into the environment as it is. Before
it runs, the files of every package it may change are kept (envwizard.doctor.undo); when a step
fails or the environment is worse afterwards (doctor looks again), they are put back. The
environment itself is never removed or recreated, and nothing but the named packages changes:
envwizard's state file is not left in an environment envwizard did not make.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

from packaging.utils import canonicalize_name
from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm, IntPrompt

from envwizard.app.headless import _drive, _View
from envwizard.app.session import Ready, Refused, Session
from envwizard.core.errors import EXIT_CANCELLED, EXIT_OK, EXIT_STEP_FAILED, InvalidInput
from envwizard.core.i18n import _
from envwizard.doctor.diagnose import Result, diagnose
from envwizard.doctor.drift import read_lock, same_version
from envwizard.doctor.fix import (
    Chosen,
    Outcome,
    advice_of,
    conda_owned,
    held_versions,
    names,
    option_steps,
    outcome,
    refusal,
    repair_answers,
    repair_plan,
    repairable,
    steps_of,
)
from envwizard.doctor.model import Action, Finding, RepairOption, RepairStep
from envwizard.doctor.render import print_result
from envwizard.doctor.undo import Undo
from envwizard.facts.model import Facts
from envwizard.plan.build import STATE_FILE, Plan
from envwizard.plan.lock import LOCK_FILE
from envwizard.report.render import lock_line
from envwizard.run.runner import Event

Ask = Callable[[Finding, list[RepairOption], list[str]], "RepairOption | None"]


def fix_command(args: argparse.Namespace, result: Result) -> int:
    console = Console(soft_wrap=True, highlight=False)
    why = refusal(result.env)
    if why:
        raise InvalidInput(why)
    interactive = sys.stdin.isatty() and console.is_terminal
    if not args.yes and not interactive:
        raise InvalidInput(
            _("--fix asks before it changes anything; without a terminal to ask, pass --yes")
        )
    print_result(result)
    ask: Ask | None = None if args.yes else _prompt(console)
    chosen = choose(result, ask, console)
    if not chosen:
        console.print(escape(_("Nothing to repair that doctor can change here.")))
        return EXIT_OK if result.diagnosis.healthy else EXIT_STEP_FAILED
    steps = steps_of(chosen)
    session = prepared_session(result, steps)
    console.print("[bold]" + escape(_("The repair:")) + "[/]")
    for step in session.plan.steps:
        console.print("  $ " + escape(session.plan.command_line(step)))
    for line in lock_lines(result, session.plan):
        console.print("  " + escape(line))
    if ask is not None and not Confirm.ask(
        escape(_("Change {env} like this?").format(env=result.env.prefix)),
        console=console,
        default=False,
    ):
        console.print(escape(_("Nothing was changed.")))
        return EXIT_CANCELLED
    return apply_repair(result, chosen, console, report=getattr(args, "report", None))


def _prompt(console: Console) -> Ask:
    def ask(
        finding: Finding, options: list[RepairOption], refused: list[str]
    ) -> RepairOption | None:
        for text in refused:
            console.print("[yellow]⚠[/] " + escape(text))
        console.print(
            "[bold]"
            + escape(f"{finding.code.value} ({finding.package or '-'}): {finding.message.show()}")
            + "[/]"
        )
        for i, o in enumerate(options, 1):
            console.print(escape(f"  {i}) {o.title.show()}"))
        console.print(escape(_("  0) leave it as it is")))
        n = IntPrompt.ask(
            escape(_("Which repair?")),
            console=console,
            choices=[str(i) for i in range(len(options) + 1)],
            default=1,
        )
        return options[n - 1] if n else None

    return ask


_PREPARED: dict[tuple[str, tuple[RepairStep, ...]], tuple[Session, Ready]] = {}
"""Repairs this process has prepared (pre-flight and resolve done), by environment and steps:
the option checked while choosing is the one run, without resolving it again."""


def prepared_session(result: Result, steps: list[RepairStep]) -> Session:
    """The session of these repair steps, prepared: pre-flight passed and its installs resolved
    and checked against the build the repair keeps or wants. InvalidInput when refused."""
    return _prepared(result, steps)[0]


def _prepared(result: Result, steps: list[RepairStep]) -> tuple[Session, Ready]:
    key = (str(result.env.prefix), tuple(steps))
    if key not in _PREPARED:
        owned = conda_owned(result, steps)
        if owned:
            raise InvalidInput(
                _(
                    "conda installed {packages} in this environment; repair them with conda, not pip"
                ).format(packages=", ".join(owned))
            )
        plan = repair_plan(result, steps, _held(result, steps))
        session = Session(_facts(result), repair_answers(result.env), plan)
        prepared = session.prepare()
        if isinstance(prepared, Refused):
            raise prepared.error()
        assert isinstance(prepared, Ready)  # a repair never deletes, so never asks to confirm
        _PREPARED[key] = (session, prepared)
    return _PREPARED[key]


_HELD: list[tempfile.TemporaryDirectory[str]] = []
"""The folder of this process's constraint files, made on first use, removed when it ends."""


def _held(result: Result, steps: list[RepairStep]) -> tuple[str, ...]:
    """A constraints file holding every package the steps do not name (fix.held_versions)."""
    lines = held_versions(result, steps)
    if not lines:
        return ()
    if not _HELD:
        _HELD.append(tempfile.TemporaryDirectory(prefix="envwizard-doctor-"))
    folder = Path(_HELD[0].name)
    path = folder / f"held-{len(list(folder.iterdir())) + 1}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return (str(path),)


def preflight_refusal(result: Result, option: RepairOption) -> str | None:
    """Why the session would not run this option here (pre-flight, or the resolve: the lock
    would hold another build than the repair keeps or wants), before anything changes; None
    when it would."""
    try:
        prepared_session(result, option_steps(option))
    except InvalidInput as e:
        return _("{option}: {why}").format(option=option.title.show(), why=e)
    return None


def lock_lines(result: Result, plan: Plan) -> list[str]:
    """What the resolve locked for the repair, and each locked distribution that is installed
    now at another version (what the repair changes besides what it names)."""
    if plan.lock is None:
        return []
    out = [line] if (line := lock_line(plan)) else []
    for p in plan.lock.packages:
        d = result.inspection.dist(p.name)
        now = str(d.get("version")) if d is not None else None
        if now is None or not same_version(now, p.version):
            out.append(
                _("{name}: {before} → {after}").format(
                    name=p.name, before=now or "-", after=p.version
                )
            )
    return out


def choose(result: Result, ask: Ask | None, console: Console) -> list[Chosen]:
    """One option per repairable problem: the person's (ask), else the first the session
    accepts. An option refused here is said, and the next one offered."""
    chosen = []
    for f in repairable(result.diagnosis):
        options = [o for o in f.repair if o.changes_env]
        refused: list[str] = []
        while options:
            option = options[0] if ask is None else ask(f, options, refused)
            if option is None:
                break
            why = preflight_refusal(result, option)
            if why is None:
                chosen.append(Chosen(f, option))
                break
            refused = [why]
            if ask is None:
                console.print("[yellow]⚠[/] " + escape(why))
            options = [o for o in options if o is not option]
        else:
            if refused and ask is not None:
                console.print("[yellow]⚠[/] " + escape(refused[0]))
    return chosen


def apply_repair(
    result: Result,
    chosen: list[Chosen],
    console: Console,
    *,
    report: str | None = None,
    signals: bool = True,
) -> int:
    """Run the chosen repairs through the session; undo them if they fail or make it worse.

    `signals`: Ctrl+C, SIGTERM and SIGHUP cancel the run (the command line); the wizard runs
    this in a thread, where signals cannot be caught, and shows the output when it is done.
    The repair's session is the one prepared while choosing, or prepared here: InvalidInput
    when it is refused (pre-flight, or the resolve), before anything changes.
    """
    env = result.env
    steps = steps_of(chosen)
    session, ready = _prepared(result, steps)
    _PREPARED.pop((str(env.prefix), tuple(steps)), None)  # a session runs once
    plan = session.plan
    records = [env.prefix / STATE_FILE, env.prefix / LOCK_FILE]
    records_before = [p.read_bytes() if p.is_file() else None for p in records]
    undo = Undo(env.prefix, [Path(p) for p in result.inspection.env_sites])
    locked = [p.name for p in plan.lock.packages] if plan.lock is not None else []
    undo.save([*names(steps), *locked])
    after: Result | None = None
    verdict: Outcome | None = None
    restored: list[str] | None = None
    try:
        with session:
            held = session.lock(ready)
            if isinstance(held, Refused):
                raise held.error()
            assert isinstance(held, Ready)
            view = _View(plan, console)
            events = session.run(held.start)
            asyncio.run(_drive(events, session.cancel, view) if signals else _show(events, view))
        run = session.result
        assert run is not None
        if run.exit_code == 0:
            after = diagnose(env, result.facts, os.environ, cwd=os.getcwd())
            verdict = outcome(chosen, after.diagnosis, result.diagnosis)
        if verdict is None or not verdict.ok:
            restored = undo.restore()
    except BaseException:
        undo.restore()
        raise
    finally:
        for path, before in zip(records, records_before):
            _put_back(path, before)
        if restored is None and verdict is not None and records_before[1] is not None:
            _update_env_lock(env.prefix / LOCK_FILE, steps, plan)
        undo.discard()
    reported = session.write_report(report)
    if reported.warning:
        console.print("[yellow]⚠[/] " + escape(reported.warning))
    if reported.path is not None:
        _add_to_report(reported.path, result, after, verdict, restored)
    return _say(console, result, after, verdict, restored, reported.path, chosen)


def _say(
    console: Console,
    before: Result,
    after: Result | None,
    verdict: Outcome | None,
    restored: list[str] | None,
    report: Path | None,
    chosen: list[Chosen],
) -> int:
    for text in advice_of(chosen):
        console.print("[yellow]⚠[/] " + escape(text.show()))
    if restored is not None:
        if verdict is not None:
            for f in verdict.remaining + verdict.new:
                console.print("[red]✗[/] " + escape(f.message.show()))
        line = _("The repair did not work; {env} was put back as it was.").format(
            env=before.env.prefix
        )
        if restored:
            line += " " + _("Not restored (reinstall them by hand): {packages}.").format(
                packages=", ".join(restored)
            )
        console.print("[red]" + escape(line) + "[/]")
        if report is not None:
            console.print(escape(_("report: {path}").format(path=report)))
        return EXIT_STEP_FAILED
    assert after is not None and verdict is not None
    for f in verdict.fixed:
        console.print(
            "[green]✓[/] " + escape(_("repaired: {message}").format(message=f.message.show()))
        )
    if report is not None:
        console.print(escape(_("report: {path}").format(path=report)))
    if after.diagnosis.healthy:
        console.print(
            "[green]" + escape(_("{env} is healthy now.").format(env=before.env.prefix)) + "[/]"
        )
        return EXIT_OK
    for f in after.diagnosis.problems():
        console.print("[yellow]⚠[/] " + escape(f"{f.code.value}: {f.message.show()}"))
    return EXIT_STEP_FAILED


async def _show(events: AsyncIterator[Event], view: _View) -> None:
    async for event in events:
        view.handle(event)


def _put_back(record: Path, before: bytes | None) -> None:
    """The runner records its steps and its lock in the environment; a repair leaves those
    records as they were (the repair's own lock is in its run folder)."""
    if before is None:
        record.unlink(missing_ok=True)
    else:
        record.write_bytes(before)


def _add_to_report(
    path: Path,
    before: Result,
    after: Result | None,
    verdict: Outcome | None,
    restored: list[str] | None,
) -> None:
    """The run's report, with doctor's findings before and after and what was put back."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    data["doctor"] = {
        "before": before.to_dict(),
        "after": after.to_dict() if after else None,
        "fixed": [f.code.value for f in verdict.fixed] if verdict is not None else [],
        "restored": restored is not None,
        "not_restored": restored or [],
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def _facts(result: Result) -> Facts:
    assert result.facts is not None  # the command always diagnoses against facts
    return result.facts


def _update_env_lock(path: Path, steps: list[RepairStep], plan: Plan) -> None:
    """An environment envwizard made keeps a lock of what it should hold: after a repair that
    worked, the packages it removed leave the lock and the ones it installed enter it as the
    repair's resolve locked them, so doctor compares with what is there on purpose."""
    old = read_lock(path.parent)
    if old is None:
        return
    removed = {
        canonicalize_name(p) for s in steps if s.action is Action.UNINSTALL for p in s.packages
    }
    added = {p.name: p for p in plan.lock.packages} if plan.lock is not None else {}
    for p in old.packages:  # a package locked before keeps its place in the lock
        if p.name in added:
            added[p.name] = replace(added[p.name], group=p.group, requested=p.requested)
    kept = [p for p in old.packages if p.name not in removed and p.name not in added]
    packages = tuple(sorted([*kept, *added.values()], key=lambda p: p.name))
    with contextlib.suppress(OSError):
        path.write_text(replace(old, packages=packages).to_json(), encoding="utf-8")
