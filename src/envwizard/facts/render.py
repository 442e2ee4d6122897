"""Rich rendering of the facts (minimal first version)."""

from __future__ import annotations

from rich.console import Console

from envwizard.facts.model import Facts


def print_facts(facts: Facts, console: Console | None = None) -> None:
    console = console or Console()
    console.print(
        f"{facts.os.system} {facts.os.machine}; Python {facts.python.version} ({facts.python.executable})"
    )
    for g in facts.gpus:
        console.print(f"GPU: {g.name}")
