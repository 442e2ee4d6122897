"""What doctor says about an environment, as data: findings with evidence and repairs.

A finding's sentence is a template with named values (English in the code, translated where
it is shown), so `--json` and the screens carry the same words in the person's language and
tests can compare the values. Codes and severities are closed sets: scripts match on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from envwizard.core.i18n import _


class Code(str, Enum):
    """What a finding is about. Values are stable: scripts and reports match on them."""

    # can doctor look at all (exit 2, never a finding in a report)
    ENV_NOT_FOUND = "ENV_NOT_FOUND"
    ENV_INTERPRETER_BROKEN = "ENV_INTERPRETER_BROKEN"
    # is torch there, and which one is loaded
    TORCH_MISSING = "TORCH_MISSING"
    TORCH_IMPORT_FAILED = "TORCH_IMPORT_FAILED"
    SHADOWED_TORCH = "SHADOWED_TORCH"
    DUPLICATE_DIST = "DUPLICATE_DIST"
    TORCH_FILES_MIXED = "TORCH_FILES_MIXED"
    SYSTEM_SITE_LEAK = "SYSTEM_SITE_LEAK"
    USER_SITE_ACTIVE = "USER_SITE_ACTIVE"
    # is it the right build for this machine
    TORCH_CPU_ON_GPU_MACHINE = "TORCH_CPU_ON_GPU_MACHINE"
    TORCH_ARCH_MISSING = "TORCH_ARCH_MISSING"
    TORCH_PTX_ONLY = "TORCH_PTX_ONLY"
    GPU_UNSUPPORTED = "GPU_UNSUPPORTED"
    DRIVER_TOO_OLD = "DRIVER_TOO_OLD"
    TORCH_VARIANT_OFF_PLAN = "TORCH_VARIANT_OFF_PLAN"
    # do the pieces belong together
    COMPANION_VARIANT_MISMATCH = "COMPANION_VARIANT_MISMATCH"
    COMPANION_VERSION_MISMATCH = "COMPANION_VERSION_MISMATCH"
    CONDA_PIP_MIX = "CONDA_PIP_MIX"
    EXTENSION_ABI_MISMATCH = "EXTENSION_ABI_MISMATCH"
    PIP_CHECK_CONFLICT = "PIP_CHECK_CONFLICT"
    NUMPY_ABI = "NUMPY_ABI"
    NUMPY_MISSING = "NUMPY_MISSING"
    # are the native libraries the right ones
    LD_LIBRARY_PATH_OVERRIDE = "LD_LIBRARY_PATH_OVERRIDE"
    NVIDIA_WHEEL_MISMATCH = "NVIDIA_WHEEL_MISMATCH"
    NVIDIA_WHEEL_MIX = "NVIDIA_WHEEL_MIX"
    NVIDIA_LIBS_MISSING = "NVIDIA_LIBS_MISSING"
    WINDOWS_DLL_MISSING = "WINDOWS_DLL_MISSING"
    # the device check
    DEVICE_CHECK_FAILED = "DEVICE_CHECK_FAILED"
    DEVICE_CHECK_PASSED = "DEVICE_CHECK_PASSED"
    # what changed since envwizard locked it
    LOCK_DRIFT = "LOCK_DRIFT"

    def __str__(self) -> str:
        return self.value


class Severity(str, Enum):
    """error: something fails to run; warning: runs, but not as it should here; info: worth knowing."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value

    @property
    def problem(self) -> bool:
        """Errors and warnings make an environment unhealthy (exit 1); info does not."""
        return self is not Severity.INFO


@dataclass(frozen=True)
class Text:
    """A sentence with named values: the English template, translated where it is shown.

    A value may itself be a Text (a cause inside a sentence) or a list of them (joined with
    "; "): each is translated with the sentence around it.
    """

    template: str
    fields: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def show(self) -> str:
        return _(self.template).format(**{k: _value(v, True) for k, v in self.fields.items()})

    def english(self) -> str:
        return self.template.format(**{k: _value(v, False) for k, v in self.fields.items()})


def _value(v: Any, translate: bool) -> str:
    if isinstance(v, Text):
        return v.show() if translate else v.english()
    if isinstance(v, (list, tuple)):
        return "; ".join(_value(x, translate) for x in v)
    return str(v)


@dataclass(frozen=True)
class Evidence:
    """One fact doctor read, and where: a file, a command, a variable, or the machine's probe."""

    fact: str
    value: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"fact": self.fact, "value": self.value, "source": self.source}


class Action(str, Enum):
    """What a repair step does to the environment."""

    INSTALL = "install"
    UNINSTALL = "uninstall"
    ADVICE = "advice"
    """Something outside the environment (a variable, a driver, a file elsewhere): said, not done."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RepairStep:
    """One step of a repair, in the terms of a plan's install steps.

    `packages` are requirements (install) or project names (uninstall); `index_url` is the
    index the requirements come from (None: the installer's configured one); `find_links` are
    wheel folders added to it (where a lock says a file came from); `keep` are the
    requirements held where they are while installing (torch's exact version), never changed.
    """

    action: Action
    packages: tuple[str, ...] = ()
    index_url: str | None = None
    no_deps: bool = False
    keep: tuple[str, ...] = ()
    advice: Text | None = None
    find_links: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"action": self.action.value}
        if self.packages:
            d["packages"] = list(self.packages)
        if self.index_url:
            d["index_url"] = self.index_url
        if self.find_links:
            d["find_links"] = list(self.find_links)
        if self.no_deps:
            d["no_deps"] = True
        if self.keep:
            d["keep"] = list(self.keep)
        if self.advice:
            d["advice"] = self.advice.show()
        return d


@dataclass(frozen=True)
class RepairOption:
    """One way to repair a finding; a finding's first option is the one doctor recommends."""

    id: str
    title: Text
    steps: tuple[RepairStep, ...]

    @property
    def changes_env(self) -> bool:
        return any(s.action is not Action.ADVICE for s in self.steps)


@dataclass(frozen=True)
class Finding:
    code: Code
    severity: Severity
    message: Text
    package: str | None = None
    evidence: tuple[Evidence, ...] = ()
    repair: tuple[RepairOption, ...] = ()

    def to_dict(self, argv_of: Any = None) -> dict[str, Any]:
        """The JSON contract's finding; `argv_of(step)` gives each step's command, when known."""
        options = []
        for o in self.repair:
            steps = []
            for s in o.steps:
                d = s.to_dict()
                argv = argv_of(s) if argv_of else None
                if argv:
                    d["argv"] = argv
                steps.append(d)
            options.append({"id": o.id, "title": o.title.show(), "steps": steps})
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "package": self.package,
            "message": self.message.show(),
            "evidence": [e.to_dict() for e in self.evidence],
            "repair": {"options": options} if options else None,
        }


@dataclass
class Diagnosis:
    """Everything doctor found in one environment."""

    env: str
    findings: list[Finding]
    python: str = ""
    kind: str = ""
    notes: list[Text] = field(default_factory=list)
    """Context a person reads beside the findings (what the planner would choose here)."""

    @property
    def healthy(self) -> bool:
        return not any(f.severity.problem for f in self.findings)

    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity.problem]
