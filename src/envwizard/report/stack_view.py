"""What the stack holds and what was left out, for people: the plan's panel, the report's and
the Done screen's lines. Read from the plan's `stack` object (its JSON form), so a report file
renders the same as a live plan.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from envwizard.core.i18n import _, join, ngettext
from envwizard.decide.stack import StackDecision
from envwizard.decide.stack_wording import Why


def held_and_left_out(
    stack: dict[str, Any], verified: list[dict[str, Any]] | None = None
) -> tuple[list[str], list[str]]:
    """(one line per package installed, one line per package left out, with why).

    `verified` are verify's package rows: a held package shows the version and device found
    and the result, a failure its one-line cause.
    """
    found = {r.get("name"): r for r in verified or []}
    held, left = [], []
    for p in stack.get("packages", []):
        name = p["name"]
        if not p["included"]:
            left.append(_("{name}: {why}").format(name=name, why=p["why"]))
            continue
        row = found.get(name)
        if row is None:
            held.append(f"{p['requirement']}")
        elif row.get("ok"):
            held.append(
                _("{name} {version} on {device}: verified").format(
                    name=name, version=row.get("version") or "?", device=row.get("device") or "?"
                )
            )
        else:
            held.append(
                _("{name} {version} on {device}: failed — {cause}").format(
                    name=name,
                    version=row.get("version") or "?",
                    device=row.get("device") or "?",
                    cause=row.get("cause") or "",
                )
            )
    return held, left


def optional_note(stack: StackDecision | None) -> str | None:
    """Before the resolve: the companions the stack brought unasked may still be left out (the
    plan and the review list them, the resolve decides)."""
    if stack is None or not stack.optional:
        return None
    return ngettext(
        "{names}: installed only where the sources hold a build that matches torch; otherwise "
        "the resolve leaves it out, before anything changes, and says so",
        "{names}: installed only where the sources hold a build that matches torch; otherwise "
        "the resolve leaves them out, before anything changes, and says so",
        len(stack.optional),
    ).format(names=join(stack.optional))


def resolve_left_out(stack: StackDecision | None) -> list[str]:
    """What the resolve left out of the stack (a companion whose matching build the sources
    lack), one line each with why: said as soon as the lock is taken."""
    if stack is None:
        return []
    found = {Why.RESOLVE_OTHER_BUILD.value, Why.RESOLVE_NOT_FOUND.value}
    return [
        _("{name}: {why}").format(name=i.name, why=i.why)
        for i in stack.left_out
        if found & set(i.codes)
    ]


def run_lines(
    stack: StackDecision | None,
    verify_stack: dict[str, Any] | None,
    kernel: dict[str, Any] | None,
) -> list[tuple[str, str]]:
    """After a run, for the summary and the Done screen: (mark, text) per package beside torch —
    ✓ verified, ✗ failed with its cause, – left out with why — and the Jupyter kernel."""
    if stack is None:
        return []
    rows = (verify_stack or {}).get("packages") or []
    found = {r.get("name"): r for r in rows}
    out: list[tuple[str, str]] = []
    for p in stack.to_dict()["packages"]:
        held, left = held_and_left_out({"packages": [p]}, rows)
        row = found.get(p["name"])
        if left:
            out.append(("–", left[0]))
        elif row is None:  # not checked (verify stopped before it, or nothing to check)
            out.append(("·", held[0]))
        else:
            out.append(("✓" if row.get("ok") else "✗", held[0]))
    for r in rows:
        if "kernel" in r:  # the jupyter check's row (ipykernel's): which kernel, which torch
            mark = "✓" if r.get("ok") else "✗"
            text = (
                _("Jupyter kernel {name} runs torch {torch}").format(
                    name=r.get("kernel"), torch=r.get("kernel_torch")
                )
                if r.get("ok")
                else _("Jupyter kernel {name}: failed — {cause}").format(
                    name=r.get("kernel"), cause=r.get("cause") or ""
                )
            )
            out.append((mark, text))
    if kernel and kernel.get("ok") and kernel.get("name") != kernel.get("asked"):
        out.append(
            (
                "!",
                _("a kernel named {asked} belongs to another Python, so this one is {name}").format(
                    asked=kernel.get("asked"), name=kernel.get("name")
                ),
            )
        )
    return out


def stack_panel(stack: StackDecision) -> Panel:
    """The plan's stack: each package with its requirement, each left out with why."""
    held, left = held_and_left_out(stack.to_dict())
    lines = [Text(_("stack: {name}").format(name=stack.name), style="bold")]
    lines += [Text("✓ " + h) for h in held]
    lines += [Text("– " + x, style="yellow") for x in left]
    note = optional_note(stack)
    if note:
        lines.append(Text(note, style="dim"))
    if stack.kernel:
        lines.append(Text(_("Jupyter kernel: {name}").format(name=stack.kernel.name), style="dim"))
    return Panel(Group(*lines), title=_("Beside torch"), title_align="left", border_style="cyan")
