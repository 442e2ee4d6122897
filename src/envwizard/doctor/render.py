"""doctor's findings for a terminal: one block per finding, its evidence and repairs.

Commands are printed on one unwrapped line each, ready to copy (as `--dry-run` prints plans).
"""

from __future__ import annotations

import shlex
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from envwizard.core.i18n import _
from envwizard.core.redact import redact_text
from envwizard.doctor.diagnose import Result
from envwizard.doctor.model import Finding, Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def severity_word(s: Severity) -> str:
    return {
        Severity.ERROR: _("error"),
        Severity.WARNING: _("warning"),
        Severity.INFO: _("info"),
    }[s]


def print_result(result: Result, file: TextIO | None = None) -> None:
    console = Console(file=file, soft_wrap=True, highlight=False)
    env = result.env
    d = result.diagnosis
    made = _(", made by envwizard") if env.envwizard else ""
    console.print(
        "[bold]"
        + escape(
            _("envwizard doctor: {path} ({kind}, Python {version}{made})").format(
                path=env.prefix, kind=env.kind.value, version=d.python or "?", made=made
            )
        )
        + "[/]"
    )
    for f in d.findings:
        print_finding(console, result, f)
    for note in d.notes:
        console.print(escape(note.show()))
    problems = d.problems()
    if not problems:
        console.print(
            "[green]" + escape(_("healthy: nothing in this environment needs fixing")) + "[/]"
        )
        return
    errors = sum(1 for f in problems if f.severity is Severity.ERROR)
    console.print(
        "[bold]"
        + escape(
            _(
                "{count} problem(s) ({errors} error(s)); `envwizard doctor {env} --fix` applies the first repair of each"
            ).format(count=len(problems), errors=errors, env=shlex.quote(str(env.prefix)))
        )
        + "[/]"
    )


def print_finding(console: Console, result: Result, f: Finding) -> None:
    pkg = f" ({f.package})" if f.package else ""
    console.print(
        f"[{_STYLE[f.severity]}]{escape(severity_word(f.severity))}[/] "
        f"[bold]{escape(f.code.value)}[/]{escape(pkg)}: {escape(f.message.show())}"
    )
    for e in f.evidence:
        console.print(
            "    "
            + escape(
                _("{fact}: {value} (from {source})").format(
                    fact=e.fact, value=e.value, source=e.source
                )
            )
        )
    for i, option in enumerate(f.repair):
        head = _("repair: {title}") if i == 0 else _("or: {title}")
        console.print("  " + escape(head.format(title=option.title.show())))
        for step in option.steps:
            argv = result.argv(step)
            if argv:
                console.print("      $ " + escape(redact_text(shlex.join(argv))))
            elif step.advice:
                console.print("      " + escape(step.advice.show()))
