"""Rich renderings of a plan, shared by `plan`, `--dry-run` and the headless run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from envwizard.core.i18n import _
from envwizard.core.redact import redact_text, safe_text
from envwizard.decide.decision import Decision
from envwizard.plan.build import Plan
from envwizard.plan.lockcheck import where
from envwizard.report.linebreak import install as install_line_breaking
from envwizard.run.outcome import EnvOutcome, RunResult, RunStatus
from envwizard.run.runner import BENCH_SKIPPED_REASON


class SafeConsole(Console):
    """The console every command prints through: each string and Text it is given has its
    credentials masked and its control characters shown instead of acted on, and Chinese
    lines break between characters (report.linebreak)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        install_line_breaking()
        super().__init__(*args, **kwargs)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_safe(o) for o in objects), **kwargs)


def _safe(obj: Any) -> Any:
    if isinstance(obj, str):
        return safe_text(obj)
    if isinstance(obj, Text):
        shown = safe_text(obj.plain)
        if shown != obj.plain:  # styles of the parts are lost only where something was masked
            return Text(shown, style=obj.style, no_wrap=obj.no_wrap, overflow=obj.overflow)
    return obj


STEP_ICONS = {
    "pending": "[dim]·[/]",
    "running": "[cyan]▶[/]",
    "ok": "[green]✓[/]",
    "failed": "[red]✗[/]",
    "skipped": "[dim]–[/]",
    "not-run": "[dim]·[/]",
    "cancelled": "[yellow]■[/]",
}
"""A step's status as Rich markup, the same in the headless output and the wizard."""


def outcome_line(
    result: RunResult, plan: Plan, report_path: str | None, answers_path: str | None = None
) -> str:
    """The one line both front ends leave on the terminal: what happened and what to do next.

    `answers_path`: the answers file that resumes an unfinished environment (the run folder
    keeps a copy of the answers when the person has none)."""
    env, activate = plan.env_path, plan.activate
    report = report_path or result.run_dir
    answers = answers_path or str(Path(result.run_dir) / "answers.yaml")
    if result.status is RunStatus.DONE:
        if any(s.reason == BENCH_SKIPPED_REASON for s in result.steps):
            return _("Done; the benchmark was skipped. Activate with: {command}").format(
                command=activate
            )
        return _("Done. Activate with: {command}").format(command=activate)
    if result.status is RunStatus.CANCELLED:
        if result.env is EnvOutcome.READY:
            return _(
                "Cancelled during the benchmark: the environment is installed and verified. "
                "Activate with: {command}"
            ).format(command=activate)
        if result.env is EnvOutcome.REMOVED:
            return _("Cancelled: what this run made was removed. Report: {report}").format(
                report=report
            )
        return _(
            "Cancelled: the unfinished environment stays at {env}; resume with: envwizard "
            "--answers {answers}. Report: {report}"
        ).format(env=env, answers=answers, report=report)
    if result.env is EnvOutcome.REMOVED:
        return _("Failed: what this run made was removed. Report: {report}").format(report=report)
    return _(
        "Failed: the unfinished environment stays at {env}; resume with: envwizard --answers "
        "{answers}. Report: {report}"
    ).format(env=env, answers=answers, report=report)


def decision_head(d: Decision) -> str:
    """The decision's first line, as markup that Rich and Textual both read: one whole
    sentence per source, so no language has to glue "from" to a name."""
    if d.index_url:
        template = _("[b]torch {torch}[/]  build [b]{variant}[/]  from [cyan]{source}[/]")
    elif d.source == "conda-forge":
        template = _("[b]torch {torch}[/]  build [b]{variant}[/]  from conda-forge")
    else:
        template = _(
            "[b]torch {torch}[/]  build [b]{variant}[/]  from the installer's default index"
        )
    return template.format(
        torch=d.torch, variant=d.variant, source=escape(redact_text(d.index_url or ""))
    )


def lock_line(plan: Plan) -> str:
    """What the resolve locked, in one line: torch's exact build and where it comes from."""
    lock = plan.lock
    torch = (lock.get("torch") or lock.get("pytorch")) if lock is not None else None
    if lock is None or torch is None:
        return ""
    return _(
        "locked: torch {version} ({build}) from {source}, {count} distributions in all; lock: {path}"
    ).format(
        version=torch.version,
        build=lock.variant,
        source=where(torch.source),
        count=len(lock.packages),
        path=plan.lock_path,
    )


def decision_panel(plan: Plan) -> Panel:
    d = plan.decision
    head = Text.from_markup(decision_head(d))
    lines: list[Text] = [head, Text()]
    lines += [Text("• " + redact_text(r)) for r in d.reasons]
    for w in plan.warnings:
        lines.append(Text("⚠ " + redact_text(w.text), style="yellow"))
    return Panel(Group(*lines), title=_("Decision"), title_align="left", border_style="cyan")


def steps_table(plan: Plan) -> Table:
    t = Table(title=None, show_lines=False, expand=True, box=None, pad_edge=False)
    t.add_column("#", style="dim", width=3)
    t.add_column(_("step"), style="bold", no_wrap=True)
    t.add_column(_("command"), overflow="fold")
    for i, s in enumerate(plan.steps, 1):
        t.add_row(str(i), s.id, plan.command_line(s))
    return t


def print_plan(plan: Plan, commands_only: bool = False, console: Console | None = None) -> None:
    console = console or SafeConsole()
    if not commands_only:
        console.print(decision_panel(plan))
    env = Text.assemble(
        (_("environment "), "bold"),
        (plan.env_path, "cyan"),
        (f"  ({plan.manager}, {plan.size_text})", "dim"),
    )
    console.print(env)
    console.print(Text(plan.installer.reason, style="dim"))
    console.print(steps_table(plan))
