"""What the wizard has learned and chosen so far; the screens read and change it.

The draft is an answers document (the same keys as an answers file), so every choice made on
screen is validated by the same code as headless mode, and saving it gives a file that replays
headless to the same plan.
"""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envwizard.core.errors import EnvwizardError, unlabel
from envwizard.core.i18n import _
from envwizard.facts.model import Facts
from envwizard.knowledge import Knowledge
from envwizard.plan.build import Plan, make_plan
from envwizard.plan.route import measure_for
from envwizard.settings.answers import CONDA_LIKE, Answers, validate

DEFAULT_DRAFT: dict[str, Any] = {
    "python": "current",
    "manager": "venv",
    "env": "~/envs/torch",
    "existing": "abort",
    "compute": "auto",
    "torch": None,
    "packages": [],
    "torch_index": "auto",
    "index_url": None,
    "find_links": [],
    "offline": False,
    "torch_source": "pip",
    "installer": "auto",
    "keep_failed": False,
    "mirror": "none",
    "lang": None,
    "benchmark": {
        "enabled": True,
        "device": "auto",
        "preset": "auto",
        "seconds": 30,
        "nproc": 1,
        "dtype": "auto",
    },
}


@dataclass
class WizardState:
    kb: Knowledge
    facts: Facts | None = None
    draft: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_DRAFT))
    dry_run: bool = False
    rebenchmark: bool = False
    """Benchmark a finished environment again (`--rebenchmark`); else it is only verified."""
    plan: Plan | None = None
    saved_answers: str | None = None
    report_path: str | None = None
    cwd: str = field(default_factory=os.getcwd)
    own_python: str = field(default_factory=lambda: sys.executable)
    """The interpreter envwizard runs from: where a missing virtualenv is installed on request."""

    def answers(self) -> Answers:
        """The draft, validated (raises InvalidInput with the same messages as headless mode)."""
        return validate(self.draft, where="answers", cwd=self.cwd)

    def replan(self) -> Plan:
        assert self.facts is not None
        answers = self.answers()
        measured = measure_for(self.facts, answers)  # mirror: auto only; a few seconds at most
        self.plan = make_plan(self.facts, answers, self.kb, measured=measured)
        return self.plan

    def merge(self, changes: dict[str, Any]) -> None:
        """Take a screen's answers into the draft, and replan once the draft makes a plan.

        Only conda-like managers can take torch from conda-forge; any other manager means pip.
        A screen that changes nothing (the review) keeps the plan it showed.
        """
        if not changes:
            return
        self.draft.update(changes)
        if self.draft.get("manager") not in CONDA_LIKE:
            self.draft["torch_source"] = "pip"
        if self.facts is not None:
            try:
                self.replan()
            except EnvwizardError:
                self.plan = None  # the build screen says why, and holds Next until it plans

    def try_plan(self, **changes: Any) -> tuple[Plan | None, str | None]:
        """The plan the draft would give with `changes`, or the one-sentence reason it has none."""
        if self.facts is None:
            return None, _("the machine has not been probed yet")
        draft = {**copy.deepcopy(self.draft), **changes}
        try:
            return make_plan(
                self.facts, validate(draft, where="answers", cwd=self.cwd), self.kb
            ), None
        except EnvwizardError as e:
            return None, unlabel(str(e), "answers")

    def prefill(self, answers: Answers) -> None:
        self.draft = answers.to_dict()

    def save(self, path: str) -> str:
        """Write the draft as an answers file; returns the absolute path."""
        answers = self.answers()
        target = Path(os.path.expanduser(path))
        if not target.is_absolute():
            target = Path(self.cwd) / target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(answers.to_yaml(), encoding="utf-8")
        self.saved_answers = str(target)
        return self.saved_answers
