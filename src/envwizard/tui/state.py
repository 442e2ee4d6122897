"""What the wizard has learned and chosen so far; the screens read it, the app changes it.

The draft is an `Answers` (the value an answers file loads to). A screen's choices are merged by
validating the draft's document with them through the same validator as an answers file, so
every choice made on screen is checked by the same code as headless mode, and saving the draft
gives a file that replays headless to the same plan. Plans come from the session's plan stage,
so the wizard applies the same path rules as the command line.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envwizard.app.session import Measurements, Planned, plan_answers
from envwizard.core.errors import EnvwizardError, unlabel
from envwizard.core.i18n import _
from envwizard.facts.model import Facts
from envwizard.knowledge import Knowledge
from envwizard.plan.build import Plan
from envwizard.plan.route import Target
from envwizard.settings.answers import CONDA_LIKE, Answers, validate

if TYPE_CHECKING:
    from envwizard.app.bundle import Bundle

WIZARD_ENV = "~/envs/torch"
"""Where the wizard proposes to put the environment (an answers file must say `env:`)."""


def first_draft(cwd: str) -> Answers:
    """The answers every default gives, with the wizard's proposed environment path and, for the
    tutorial stack the wizard starts with, a Jupyter kernel (the tutorials run in notebooks)."""
    return validate({"env": WIZARD_ENV, "jupyter": True}, where="answers", cwd=cwd)


@dataclass
class WizardState:
    kb: Knowledge
    facts: Facts | None = None
    cwd: str = field(default_factory=os.getcwd)
    draft: Answers = field(init=False)
    dry_run: bool = False
    rebenchmark: bool = False
    """Benchmark a finished environment again (`--rebenchmark`); else it is only verified."""
    plan: Plan | None = None
    unmeasured: tuple[Target, ...] = ()
    """The `mirror: auto` sources the plan has not measured yet (measured in a worker)."""
    measurements: Measurements = field(default_factory=Measurements)
    saved_answers: str | None = None
    prefilled: bool = False
    """The draft came from an answers file (`--answers FILE --interactive`, or a resume)."""
    dry_run_problems: list[str] | None = None
    """What would stop a real run here (a dry run's pre-flight); None until it has run."""
    report_path: str | None = None
    own_python: str = field(default_factory=lambda: sys.executable)
    """The interpreter envwizard runs from: where a missing virtualenv is installed on request."""
    bundle: Bundle | None = None
    """The bundle to install from (`--bundle DIR`, or the choice "Install from a bundle
    folder"): every plan then installs its lock from its folder only."""

    def __post_init__(self) -> None:
        self.draft = first_draft(self.cwd)

    def with_changes(self, changes: dict[str, Any]) -> Answers:
        """The draft with a screen's answers (keys of an answers file); InvalidInput if they are
        not valid answers. Only conda-like managers can take torch from conda-forge."""
        doc = {**self.draft.to_dict(), **changes}
        return validate(_pip_unless_conda(doc), where="answers", cwd=self.cwd)

    def merge(self, changes: dict[str, Any]) -> str | None:
        """Take a screen's answers into the draft and replan; the reason when they are not valid
        answers (the draft is kept). A screen that changes nothing keeps the plan it showed."""
        if not changes:
            return None
        try:
            self.draft = self.with_changes(changes)
        except EnvwizardError as e:
            return unlabel(str(e), "answers")
        if self.facts is not None:
            try:
                self.use(self.planned(self.draft))
            except EnvwizardError:
                self.plan = None  # the build screen says why, and holds Next until it plans
        return None

    def use(self, planned: Planned) -> None:
        self.plan, self.unmeasured = planned.plan, planned.unmeasured

    def planned(self, answers: Answers, *, measure: bool = False) -> Planned:
        """The session's plan stage for these answers; the network only with `measure` (a
        worker's call), else from what was measured before."""
        assert self.facts is not None
        if self.bundle is not None:
            answers = self.bundle.answers(answers, self.facts)
        planned = plan_answers(
            self.facts, answers, kb=self.kb, measurements=self.measurements, measure=measure
        )
        if self.bundle is not None:
            return dataclasses.replace(planned, plan=self.bundle.plan(planned.plan))
        return planned

    def run_answers(self) -> Answers:
        """The answers the install runs with: the draft, from the bundle only when one was chosen."""
        if self.bundle is None or self.facts is None:
            return self.draft
        return self.bundle.answers(self.draft, self.facts)

    def try_plan(self, **changes: Any) -> tuple[Planned | None, str | None]:
        """The plan the draft would give with `changes`, or the one-sentence reason it has none."""
        if self.facts is None:
            return None, _("the machine has not been probed yet")
        try:
            return self.planned(self.with_changes(changes)), None
        except EnvwizardError as e:
            return None, unlabel(str(e), "answers")

    def prefill(self, answers: Answers) -> None:
        self.draft = answers

    def save(self, path: str) -> str:
        """Write the draft as an answers file; returns the absolute path."""
        target = Path(os.path.expanduser(path))
        if not target.is_absolute():
            target = Path(self.cwd) / target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.draft.to_yaml(), encoding="utf-8")
        self.saved_answers = str(target)
        return self.saved_answers


def _pip_unless_conda(doc: dict[str, Any]) -> dict[str, Any]:
    if doc.get("manager") not in CONDA_LIKE:
        return {**doc, "torch_source": "pip"}
    return doc
