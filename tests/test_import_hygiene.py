"""The core never imports Textual, and envwizard itself never imports torch (README: how it works)."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "envwizard.settings.answers",
    "envwizard.decide.decision",
    "envwizard.plan.build",
    "envwizard.knowledge",
    "envwizard.facts.probe",
    "envwizard.run.runner",
    "envwizard.run.preflight",
    "envwizard.run.target",
    "envwizard.report.report",
    "envwizard.app.headless",
    "envwizard.cli",
    "envwizard.app.commands",
]


def loaded_after(modules: list[str]) -> set[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print('\\n'.join(sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {line.split(".")[0] for line in r.stdout.split()}


def test_core_and_headless_never_import_textual_or_torch() -> None:
    top = loaded_after(CORE)
    assert "textual" not in top
    assert "torch" not in top


def test_plan_json_path_does_not_even_load_rich() -> None:
    """`envwizard plan --json` and `probe --json` stay light: no Rich, no Textual."""
    top = loaded_after(
        ["envwizard.cli", "envwizard.app.commands", "envwizard.plan.build", "envwizard.facts.probe"]
    )
    assert "rich" not in top and "textual" not in top


def test_the_wizard_does_import_textual() -> None:
    """The check above can fail: importing the TUI does load Textual."""
    assert "textual" in loaded_after(["envwizard.tui.app"])
