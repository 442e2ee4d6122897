"""Rich rendering of the facts: system, Pythons, managers and GPUs, then the verdicts."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from envwizard.core.i18n import N_, _
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


def _table(title: str, *columns: str, style: dict[int, str] | None = None) -> Table:
    t = Table(title=_(title), title_justify="left", title_style="bold", expand=False)
    for i, col in enumerate(columns):
        t.add_column(_(col), overflow="fold", style=(style or {}).get(i))
    return t


def _yes(value: bool | None) -> str:
    return "?" if value is None else (_("yes") if value else _("no"))


def system_table(facts: Facts) -> Table:
    t = _table(N_("System"), N_("fact"), N_("value"), N_("from"), style={0: "bold", 2: "dim"})
    os_, src = facts.os, facts.sources
    rows = [
        ("OS", os_.distro or os_.system, src.get("os.distro")),
        (_("machine"), os_.machine, src.get("os.system")),
        (_("kernel"), os_.kernel, src.get("os.kernel")),
    ]
    if os_.system == "Linux":
        rows.append(("glibc", os_.glibc or _("unknown"), src.get("os.glibc")))
        rows.append(("WSL", _yes(os_.wsl), src.get("os.wsl")))
    if os_.macos_version:
        rows.append(("macOS", os_.macos_version, src.get("os.macos_version")))
    if os_.rosetta:
        rows.append(("Rosetta", _("yes: this Python is translated"), src.get("os.rosetta")))
    if os_.jetson_l4t:
        rows.append(("Jetson L4T", os_.jetson_l4t, src.get("os.jetson_l4t")))
    cpu = facts.cpu
    if cpu:
        flags = " ".join(cpu.get("flags") or [])
        cores = _("{model} ({cores} cores, {threads} threads)").format(
            model=cpu.get("model") or "?",
            cores=cpu.get("physical_cores") or "?",
            threads=cpu.get("logical_cores") or "?",
        )
        rows.append(("CPU", cores, src.get("cpu")))
        if flags:
            rows.append((_("CPU features"), flags, src.get("cpu")))
    if facts.memory_mib is not None:
        rows.append((_("memory"), gib(facts.memory_mib), src.get("memory_mib")))
    if facts.disk.get("free_mib") is not None:
        rows.append(
            (
                _("free disk"),
                _("{size} at {path}").format(
                    size=gib(facts.disk["free_mib"]), path=facts.disk.get("path")
                ),
                src.get("disk"),
            )
        )
    if facts.nvidia_driver:
        driver = (
            _("{driver} (CUDA ≤ {cuda})").format(driver=facts.nvidia_driver, cuda=facts.cuda_driver)
            if facts.cuda_driver
            else facts.nvidia_driver
        )
        rows.append((_("NVIDIA driver"), driver, src.get("nvidia_driver")))
    for name, value, source in rows:
        t.add_row(name, str(value or _("unknown")), source or "")
    return t


def _python_note(p: PythonInfo) -> Text:
    if p.error:
        return Text(p.error, style="red")
    notes = []
    if p.in_venv:
        notes.append(_("virtual environment"))
    if p.conda_base:
        notes.append("conda base")
    if p.externally_managed:
        notes.append("PEP 668")
    if p.free_threaded:
        notes.append(_("free-threaded"))
    if p.bits == 32:
        notes.append(_("32-bit"))
    if p.implementation and p.implementation != "CPython":
        notes.append(p.implementation)
    return Text(_(", ").join(notes))


def pythons_table(facts: Facts) -> Table:
    t = _table(
        N_("Python interpreters"),
        N_("version"),
        N_("path"),
        N_("found via"),
        "venv",
        N_("ensurepip (pip)"),
        "pip",
        N_("notes"),
    )
    for p in facts.pythons or [facts.python]:
        ensurepip = (
            _("{answer} ({version})").format(answer=_yes(p.has_ensurepip), version=p.ensurepip_pip)
            if p.ensurepip_pip
            else _yes(p.has_ensurepip)
        )
        version = Text(p.version if not p.error else "?", style="red" if p.error else "")
        t.add_row(
            version,
            p.executable,
            _("running envwizard") if p.origin == "current" else p.origin or "",
            _yes(p.has_venv),
            ensurepip,
            p.pip or _("none"),
            _python_note(p),
        )
    return t


def managers_table(facts: Facts) -> Table:
    t = _table(
        N_("Environment managers"), N_("tool"), N_("version"), N_("path"), N_("environments")
    )
    for m in facts.managers.values():
        envs = Text(m.error, style="yellow") if m.error else Text(m.envs_dir or "")
        t.add_row(m.name, m.version or "?", m.path or "", envs)
    if not facts.managers:
        t.add_row(_("none found"), "", "", "")
    return t


def gpus_table(facts: Facts) -> Table:
    t = _table(
        N_("GPUs"), "#", N_("vendor"), N_("name"), N_("memory"), N_("arch"), N_("kind"), N_("from")
    )
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
            _("integrated") if g.integrated else _("discrete"),
            g.source or "",
        )
    if not facts.gpus:
        t.add_row("", "", _("none found"), "", "", "", "")
    return t


def verdicts_text(items: list[Verdict]) -> Text:
    """One line per verdict: ✓ / ⚠ / ✗, the subject in bold, then the message."""
    text = Text()
    for v in items:
        mark, style = MARKS[v.level]
        text.append(f"{mark} ", style=f"bold {style}")
        text.append_text(
            Text.from_markup(
                _("[b]{subject}[/]: {message}").format(
                    subject=escape(_(v.subject)), message=escape(v.message)
                )
            )
        )
        text.append("\n")
    text.rstrip()
    return text
