"""Rich rendering of the facts: system, Pythons, managers and GPUs, then the verdicts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from envwizard.core.i18n import _
from envwizard.decide.verdicts import Verdict, gib, verdicts
from envwizard.facts.model import Facts, PythonInfo
from envwizard.report.render import SafeConsole

MARKS = {"ok": ("✓", "green"), "warn": ("⚠", "yellow"), "bad": ("✗", "red")}


def print_facts(facts: Facts, console: Console | None = None) -> None:
    from envwizard.knowledge import load

    console = console or SafeConsole()
    for table in (
        system_table(facts),
        pythons_table(facts),
        managers_table(facts),
        gpus_table(facts),
    ):
        console.print(table)
    console.print(verdicts_text(verdicts(facts, load())))


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", title_style="bold", expand=False)


def _yes(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def system_table(facts: Facts) -> Table:
    t = _table("System")
    t.add_column("fact", style="bold")
    t.add_column("value")
    t.add_column("from", style="dim")
    os_, src = facts.os, facts.sources
    rows = [
        ("OS", os_.distro or os_.system, src.get("os.distro")),
        ("machine", os_.machine, src.get("os.system")),
        ("kernel", os_.kernel, src.get("os.kernel")),
    ]
    if os_.system == "Linux":
        rows.append(("glibc", os_.glibc or "unknown", src.get("os.glibc")))
        rows.append(("WSL", _yes(os_.wsl), src.get("os.wsl")))
    if os_.macos_version:
        rows.append(("macOS", os_.macos_version, src.get("os.macos_version")))
    if os_.rosetta:
        rows.append(("Rosetta", "yes: this Python is translated", src.get("os.rosetta")))
    if os_.jetson_l4t:
        rows.append(("Jetson L4T", os_.jetson_l4t, src.get("os.jetson_l4t")))
    cpu = facts.cpu
    if cpu:
        flags = " ".join(cpu.get("flags") or [])
        cores = (
            f"{cpu.get('physical_cores') or '?'} cores, {cpu.get('logical_cores') or '?'} threads"
        )
        rows.append(("CPU", f"{cpu.get('model') or '?'} ({cores})", src.get("cpu")))
        if flags:
            rows.append(("CPU features", flags, src.get("cpu")))
    if facts.memory_mib is not None:
        rows.append(("RAM", gib(facts.memory_mib), src.get("memory_mib")))
    if facts.disk.get("free_mib") is not None:
        rows.append(
            (
                "free disk",
                f"{gib(facts.disk['free_mib'])} at {facts.disk.get('path')}",
                src.get("disk"),
            )
        )
    if facts.nvidia_driver:
        cuda = f" (CUDA ≤ {facts.cuda_driver})" if facts.cuda_driver else ""
        rows.append(("NVIDIA driver", facts.nvidia_driver + cuda, src.get("nvidia_driver")))
    for name, value, source in rows:
        t.add_row(name, str(value or "unknown"), source or "")
    return t


def _python_note(p: PythonInfo) -> Text:
    if p.error:
        return Text(p.error, style="red")
    notes = []
    if p.in_venv:
        notes.append("virtual environment")
    if p.conda_base:
        notes.append("conda base")
    if p.externally_managed:
        notes.append("PEP 668")
    if p.free_threaded:
        notes.append("free-threaded")
    if p.bits == 32:
        notes.append("32-bit")
    if p.implementation and p.implementation != "CPython":
        notes.append(p.implementation)
    return Text(", ".join(notes))


def pythons_table(facts: Facts) -> Table:
    t = _table("Python interpreters")
    for col in ("version", "path", "found via", "venv", "ensurepip (pip)", "pip", "notes"):
        t.add_column(col, overflow="fold")
    for p in facts.pythons or [facts.python]:
        ensurepip = _yes(p.has_ensurepip) + (f" ({p.ensurepip_pip})" if p.ensurepip_pip else "")
        version = Text(p.version if not p.error else "?", style="red" if p.error else "")
        t.add_row(
            version,
            p.executable,
            p.origin or "",
            _yes(p.has_venv),
            ensurepip,
            p.pip or "none",
            _python_note(p),
        )
    return t


def managers_table(facts: Facts) -> Table:
    t = _table("Environment managers")
    for col in ("tool", "version", "path", "environments"):
        t.add_column(col, overflow="fold")
    for m in facts.managers.values():
        envs = Text(m.error, style="yellow") if m.error else Text(m.envs_dir or "")
        t.add_row(m.name, m.version or "?", m.path or "", envs)
    if not facts.managers:
        t.add_row("none found", "", "", "")
    return t


def gpus_table(facts: Facts) -> Table:
    t = _table("GPUs")
    for col in ("#", "vendor", "name", "memory", "arch", "kind", "from"):
        t.add_column(col, overflow="fold")
    for g in facts.gpus:
        arch = (f"sm_{g.compute_capability.replace('.', '')}" if g.compute_capability else "") or (
            g.arch or "?"
        )
        t.add_row(
            str(g.index if g.index is not None else ""),
            g.vendor,
            g.name,
            gib(g.memory_mib) if g.memory_mib else "",
            arch,
            "integrated" if g.integrated else "discrete",
            g.source or "",
        )
    if not facts.gpus:
        t.add_row("", "", "none found", "", "", "", "")
    return t


def verdicts_text(items: list[Verdict]) -> Text:
    """One line per verdict: ✓ / ⚠ / ✗, the subject in bold, then the message."""
    text = Text()
    for v in items:
        mark, style = MARKS[v.level]
        text.append(f"{mark} ", style=f"bold {style}")
        text.append(_(v.subject), style="bold")
        text.append(f": {v.message}\n")
    text.rstrip()
    return text
