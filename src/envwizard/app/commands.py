"""The subcommands behind the CLI: each loads its inputs, calls the core, and renders.

Imports of the planner and of Rich happen inside the commands that need them: `probe --json`
is meant to be fast, and loading YAML, packaging and the knowledge file is most of its cost.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from envwizard.core.errors import EXIT_OK, InvalidInput
from envwizard.core.i18n import _, set_answers_language
from envwizard.facts.model import Facts

if TYPE_CHECKING:
    from envwizard.app.session import Session
    from envwizard.plan.build import Plan
    from envwizard.settings.answers import Answers


FACTS_MAX_BYTES = 64 * 2**20


def load_facts(path: str) -> Facts:
    """A facts file from `envwizard probe --json` (here or on another machine)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(FACTS_MAX_BYTES + 1)  # bounded: /dev/zero or a pipe never ends
        if len(raw) > FACTS_MAX_BYTES:
            raise InvalidInput(
                _("{path}: is larger than {limit} MiB; a facts file is far smaller").format(
                    path=path, limit=FACTS_MAX_BYTES // 2**20
                )
            )
        # PowerShell 5's Out-File and `>` write UTF-16 with a byte-order mark
        utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
        text = raw.decode("utf-16" if utf16 else "utf-8")
    except FileNotFoundError:
        raise InvalidInput(_("{path}: no such facts file").format(path=path)) from None
    except IsADirectoryError:
        raise InvalidInput(
            _("{path}: is a directory, not a facts file").format(path=path)
        ) from None
    except UnicodeDecodeError:
        raise InvalidInput(
            _(
                "{path}: cannot be read as text (a binary file?); a facts file is JSON or a "
                "tool's output as printed"
            ).format(path=path)
        ) from None
    except OSError as e:
        raise InvalidInput(
            _("{path}: cannot be read ({error})").format(path=path, error=e.strerror or e)
        ) from None
    from envwizard.facts.load import facts_from_json  # its parsers' patterns: facts files only

    try:
        return facts_from_json(text, where=path)
    except RecursionError:
        raise InvalidInput(
            _("{path}: is nested too deeply to be a facts file").format(path=path)
        ) from None


def probe_here() -> Facts:
    from envwizard.facts.probe import probe

    return probe()


def plan_for(answers: Answers, facts_path: str | None) -> tuple[Facts, Plan]:
    """The session's plan stage, for this machine or for the one a facts file describes."""
    from envwizard.app.session import plan_answers

    facts = load_facts(facts_path) if facts_path else probe_here()
    return facts, plan_answers(facts, answers, here=not facts_path).plan


def mirrors_command(args: argparse.Namespace) -> int:
    from envwizard.knowledge.mirrors import presets
    from envwizard.plan.route import Target, measure

    rows = [p.to_dict() for p in presets()]
    if args.measure:
        m = measure(Target(p.name, p.location("cpu")) for p in presets())
        for row in rows:
            probe = m.probe(row["name"])
            row["seconds"] = probe.to_dict()["seconds"] if probe else None
            row["answer"] = (probe.why or "ok") if probe else None
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    from rich.table import Table

    from envwizard.report.render import SafeConsole

    t = Table(box=None, pad_edge=False)
    for col in (_("name"), _("kind"), _("region"), "URL"):
        t.add_column(col, no_wrap=col != "URL", overflow="fold")
    if args.measure:
        t.add_column(_("measured"), no_wrap=True)
    for row in rows:
        cells = [row["name"], row["kind"], row["region"], row["url"]]
        if args.measure:
            sec = row["seconds"]
            cells.append(
                _("{ms} ms").format(ms=round(sec * 1000)) if sec is not None else _("no answer")
            )
        t.add_row(*cells)
    console = SafeConsole()
    console.print(t)
    console.print(
        _(
            "Use one in an answers file with `mirror: NAME` (a site name such as `nju` takes all its presets), or `mirror: auto` to measure and choose."
        )
    )
    return EXIT_OK


def probe_command(args: argparse.Namespace) -> int:
    facts = probe_here()
    if args.json:
        print(facts.to_json())
        return EXIT_OK
    from envwizard.report.facts_render import print_facts

    print_facts(facts)
    return EXIT_OK


def plan_command(args: argparse.Namespace) -> int:
    from envwizard.settings.answers import load_answers

    answers = load_answers(args.answers)

    set_answers_language(answers.lang)
    _, plan = plan_for(answers, args.facts)
    if args.json:
        from envwizard.core.redact import redact

        print(json.dumps(redact(plan.to_dict()), indent=2))
        return EXIT_OK
    from envwizard.report.render import print_plan

    print_plan(plan)
    return EXIT_OK


def validate_command(args: argparse.Namespace) -> int:
    """Valid means "this would run here": the file, the plan, and the target directory.

    Everything a run checks before it changes anything is checked, and nothing is changed:
    the interpreter exists, a torch release matches, the build runs on this machine (or the
    one `--facts` describes), and the environment path is one envwizard may create or use.
    """
    from envwizard.settings.answers import load_answers

    answers = load_answers(args.file)
    set_answers_language(answers.lang)
    facts_path = getattr(args, "facts", None)
    facts, plan = plan_for(answers, facts_path)
    if not facts_path:
        from envwizard.app.session import Session

        session = Session(facts, answers, plan)
        # The run's own pre-flight, less the network: a missing conda, an unwritable folder,
        # a missing wheel folder are reasons the run would stop before changing anything.
        pf = session.preflight(session.inspect(), network=False)
        if pf.errors:
            raise InvalidInput(
                _("{file}: the run would stop at its pre-flight checks here: {problems}").format(
                    file=args.file, problems=" | ".join(pf.errors)
                )
            )
    d = plan.decision
    text = (
        _(
            "{file}: valid ({manager} environment at {env}); on the machine in {facts} it would "
            "install torch {torch} ({variant})"
        )
        if facts_path
        else _(
            "{file}: valid ({manager} environment at {env}); on this machine it would install "
            "torch {torch} ({variant})"
        )
    )
    print(
        text.format(
            file=args.file,
            manager=answers.manager,
            env=answers.env,
            facts=facts_path,
            torch=d.torch,
            variant=d.variant,
        )
    )
    return EXIT_OK


def apply_command(args: argparse.Namespace) -> int:
    from envwizard.settings.answers import load_answers

    answers = load_answers(args.answers)

    set_answers_language(answers.lang)
    facts, plan = plan_for(answers, None)
    from envwizard.app.session import Session

    session = Session(
        facts,
        answers,
        plan,
        rebenchmark=args.rebenchmark,
        stall_seconds=getattr(args, "stall_seconds", None),
    )
    if args.dry_run:
        return dry_run(session)
    from envwizard.app.headless import apply

    return apply(session, yes=args.yes, report=args.report, answers_file=args.answers)


def dry_run(session: Session) -> int:
    """What the real run would do here, and the pre-flight checks it would make; changes nothing.

    The start is resolved against the environment as it is now, so the steps a real run would
    skip (done in an earlier run, or a finished environment's benchmark) are shown as skipped;
    an environment begun with a lock is shown installing that lock, as a resume would.
    """
    plan = session.plan
    start = session.inspect()
    print_dry_run(plan, start.skip, start.why)
    if start.message:
        print(_("start: {message}").format(message=start.message))
    pf = session.preflight(start)
    for w in pf.warnings:
        print(_("warning: {text}").format(text=w), file=sys.stderr)
    # The answers are good, so a dry run succeeds (the CLI contract): what the pre-flight found
    # is said plainly, as the reason the real run would stop here.
    if pf.errors:
        print(
            _(
                "dry run: the real run would stop at its pre-flight checks here: {problems}. "
                "Nothing was run or created."
            ).format(problems=" | ".join(pf.errors)),
            file=sys.stderr,
        )
        return EXIT_OK
    print(_("dry run: the pre-flight checks passed; nothing was run or created."), file=sys.stderr)
    return EXIT_OK


def print_dry_run(
    plan: Plan, skip: set[str] | None = None, why: dict[str, str] | None = None
) -> None:
    """The decision, then every command on one unwrapped line each, ready to copy."""
    from envwizard.report.render import SafeConsole, decision_panel
    from envwizard.run.runner import DONE_BEFORE_REASON

    SafeConsole().print(decision_panel(plan))
    print(
        _("environment: {path} ({manager}, python {python})").format(
            path=plan.env_path, manager=plan.manager, python=plan.env_python
        )
    )
    for i, step in enumerate(plan.steps, 1):
        skipped = bool(skip and step.id in skip)
        if skipped and step.optional:
            line = _("{n}. {step} (optional; skipped: {reason})")
        elif skipped:
            line = _("{n}. {step} (skipped: {reason})")
        elif step.optional:
            line = _("{n}. {step} (optional)")
        else:
            line = "{n}. {step}"
        reason = (why or {}).get(step.id, DONE_BEFORE_REASON)
        print(line.format(n=i, step=step.label(), reason=_(reason)))
        print(f"   {plan.command_line(step)}")
