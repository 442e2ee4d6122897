"""Rich renderings of a plan, shared by `plan`, `--dry-run` and the headless run."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from envwizard.core.i18n import _
from envwizard.core.redact import redact_text
from envwizard.plan.build import Plan
from envwizard.run.outcome import EnvOutcome, RunResult, RunStatus

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


def outcome_line(result: RunResult, plan: Plan, report_path: str | None) -> str:
    """The one line both front ends leave on the terminal: what happened and what to do next."""
    env, activate = plan.env_path, plan.activate
    report = report_path or result.run_dir
    if result.status is RunStatus.DONE:
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
        return _("Cancelled: the unfinished environment stays at {env}. Report: {report}").format(
            env=env, report=report
        )
    if result.env is EnvOutcome.REMOVED:
        return _("Failed: what this run made was removed. Report: {report}").format(report=report)
    return _(
        "Failed: the unfinished environment stays at {env}; run the same answers again to "
        "resume. Report: {report}"
    ).format(env=env, report=report)


def decision_panel(plan: Plan) -> Panel:
    d = plan.decision
    head = Text.assemble(
        ("torch ", "bold"),
        (d.torch, "bold cyan"),
        (_("  build "), "bold"),
        (d.variant, "bold cyan"),
        (_("  from "), ""),
        (
            redact_text(d.index_url or "")
            or ("conda-forge" if d.source == "conda-forge" else _("the installer's default index")),
            "cyan",
        ),
    )
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
    console = console or Console()
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
