"""Facts + Answers -> Plan: the torch build decision and the exact commands that make it real.

`make_plan` is pure and deterministic: the same facts and answers give the same plan on any
machine, which is what lets `envwizard plan --facts other-host.json` and table tests work.
It builds every argv here (the front ends never do), and never touches the disk.
"""

from __future__ import annotations

import dataclasses
import ntpath
import posixpath
import re
import shlex
import subprocess
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from packaging.requirements import Requirement

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import N_, _
from envwizard.core.notes import Note, NoteCode
from envwizard.core.redact import redact_text
from envwizard.core.versions import major_minor, vkey
from envwizard.decide.decision import Decision, decide
from envwizard.facts.model import Facts, PythonInfo
from envwizard.knowledge import Knowledge
from envwizard.knowledge import load as load_knowledge
from envwizard.plan.bench_argv import BenchOptions, nvml_env, thread_env
from envwizard.plan.installer import Installer, InstallerChoice, choose_installer, uv_sources
from envwizard.plan.lock import Group, Lock
from envwizard.plan.lockcheck import variant_kind
from envwizard.plan.route import Measurement, Route, apply_route, fitted, route
from envwizard.plan.steps import (
    Bench,
    CreateEnv,
    Install,
    Pin,
    Sources,
    Step,
    Verify,
)
from envwizard.settings.answers import COMPANIONS, Answers

CONSTRAINTS_FILE = "envwizard-constraints.txt"
STATE_FILE = "envwizard-state.json"
PIP_RAW_PROGRESS = (24, 1)
"""pip learned `--progress-bar raw` (parseable download progress) in 24.1."""
NAMED_KINDS = ("cpu", "cuda", "rocm", "xpu")
"""Builds that say what they are (torch reports its CUDA/HIP version, or none): verify checks them."""
VIRTUALENV_PIP_RAW = (20, 26, 3)
"""The first virtualenv that seeds a pip with raw progress."""


@dataclass
class Plan:
    decision: Decision
    steps: list[Step]
    env_path: str
    env_python: str
    manager: str
    estimate_mib: int
    warnings: list[Note] = field(default_factory=list)
    activate: str = ""
    """The command a person runs to use the environment."""
    windows: bool = False
    installer: InstallerChoice = field(
        default_factory=lambda: InstallerChoice(Installer.PIP, "pip installs")
    )
    """Who fills the environment (pip or uv), and why."""
    install_more: str = ""
    """The command that installs more packages into the environment with the torch pin."""
    lock: Lock | None = None
    """What the resolve found (None before a resolve): the install steps install exactly it."""
    lock_path: str | None = None
    """Where the lock's JSON lies in the run folder."""

    @property
    def size_text(self) -> str:
        """The disk estimate in words: a bound when the configured index decides the build."""
        gib = self.estimate_mib / 1024
        if self.decision.variant == "default":
            return _("up to {gib:.1f} GiB").format(gib=gib)
        return _("about {gib:.1f} GiB").format(gib=gib)

    def command_line(self, step: Step) -> str:
        """A step's argv as one line a person could paste into their shell (credentials masked)."""
        line = subprocess.list2cmdline(step.argv) if self.windows else shlex.join(step.argv)
        return redact_text(line)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision.to_dict(),
            "steps": [s.to_dict() for s in self.steps],
            "env": {
                "path": self.env_path,
                "python": self.env_python,
                "manager": self.manager,
                "activate": self.activate,
                "install_more": self.install_more,
            },
            "installer": self.installer.to_dict(),
            "estimate_mib": self.estimate_mib,
            "warnings": [w.text for w in self.warnings],
            "lock": None
            if self.lock is None
            else {"path": self.lock_path, "digest": self.lock.digest()},
        }

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def installs(self) -> list[Install]:
        return [s.spec for s in self.steps if isinstance(s.spec, Install)]

    def installs_pending(self, skip: set[str]) -> list[Step]:
        """The install steps a run that skips `skip` still runs."""
        return [s for s in self.steps if isinstance(s.spec, Install) and s.id not in skip]

    def stages(self) -> list[tuple[Step, Group, Sources]]:
        """The install steps in order, each with the group it installs and the sources its part
        is resolved against: its own; a second step of torch's group (the dependencies after a
        flat links page) also sees where torch's files lie. Pure: the same plan, the same stages.

        The packages' step keeps to its own sources (PyTorch's index stays torch's); the resolve
        sets the exact torch group beside it (run/resolve.py)."""
        out: list[tuple[Step, Group, Sources]] = []
        earlier = Sources()
        for step in self.steps:
            spec = step.spec
            if not isinstance(spec, Install):
                continue
            group = Group.PACKAGES if step.id == "install-packages" else Group.TORCH
            sources = spec.sources
            if group is Group.TORCH and out:
                seen = Sources(
                    extra_index_urls=tuple(
                        u for u in [earlier.index_url, *earlier.extra_index_urls] if u
                    ),
                    find_links=earlier.find_links,
                )
                sources = sources.union(seen)
            out.append((step, group, sources))
            earlier = earlier.union(spec.sources)
        return out

    def group_sources(self) -> dict[Group, Sources]:
        """What each group's locked install step installs from: the sources it was resolved
        against (torch's group: its steps' together)."""
        out: dict[Group, Sources] = {}
        for _step, group, sources in self.stages():
            out[group] = out[group].union(sources) if group in out else sources
        return out

    def with_lock(self, lock: Lock, files: Mapping[Group, str], lock_path: str) -> Plan:
        """The same plan installing exactly `lock`: torch's group in install-torch (the flat
        links page's second step merges into it), the rest in install-packages (dropped when
        nothing is left for it), each pinned, without dependencies, from the sources its part
        was resolved against; verify compares the environment with the lock and its build.
        Steps of another installer than the lock's (pip beside conda-forge's torch) stay as asked.
        """
        sources = self.group_sources()
        variant = lock.variant
        steps: list[Step] = []
        for step in self.steps:
            spec = step.spec
            if isinstance(spec, Install) and spec.installer is Installer.CONDA:
                specs = tuple(lock.conda_specs(Group.TORCH))
                spec = dataclasses.replace(spec, requirements=specs, lock_digest=lock.digest())
            elif isinstance(spec, Install) and lock.installer is not Installer.CONDA:
                group = Group.PACKAGES if step.id == "install-packages" else Group.TORCH
                if step.id == "install-torch-deps" or not lock.group(group):
                    continue
                spec = dataclasses.replace(
                    spec,
                    requirements=(),
                    lock_file=files[group],
                    lock_digest=lock.digest(group),
                    sources=sources[group],
                    no_deps=True,
                    pin_file=None,
                )
            elif isinstance(spec, Verify):
                spec = dataclasses.replace(spec, lock_file=lock_path, variant=variant or None)
            steps.append(step.with_spec(spec))
        torch = lock.get("torch") or lock.get("pytorch")
        if torch is not None:
            first = next(i for i, s in enumerate(steps) if s.id == "install-torch")
            fields = {**steps[first].fields, "torch": torch.version, "variant": variant}
            steps[first] = dataclasses.replace(
                steps[first],
                title=steps[first].template.format(**fields),
                fields=fields,
            )
        return dataclasses.replace(self, steps=steps, lock=lock, lock_path=lock_path)


def script_path(name: str) -> str:
    """Absolute path of a standalone script shipped with envwizard (run by the target Python)."""
    return str(resources.files("envwizard.scripts").joinpath(name))


def make_plan(
    facts: Facts,
    answers: Answers,
    kb: Knowledge | None = None,
    measured: Measurement | None = None,
    decision: Decision | None = None,
) -> Plan:
    """The plan for these facts and answers; InvalidInput/ImpossibleRequest when there is none.

    `measured` is what `mirror: auto` measured beforehand (route.measure), given as data;
    `decision` is `decide()`'s answer when the caller needed it first (to know what to measure),
    so that the decision is made once per plan.
    """
    kb = kb or load_knowledge()
    decision = fitted(facts, answers, decision or decide(facts, answers, kb))
    way = route(answers, decision, measured)
    answers = apply_route(way, answers, decision)
    return _Builder(facts, answers, kb, decision, way).build()


class _Builder:
    def __init__(
        self, facts: Facts, answers: Answers, kb: Knowledge, decision: Decision, way: Route
    ) -> None:
        self.way = way
        self.facts = facts
        self.a = answers
        self.kb = kb
        self.d = decision
        self.windows = facts.os.system == "Windows"
        self.path = ntpath if self.windows else posixpath
        self.py_version, self.py_exe = decision.python, decision.interpreter
        self.manager = answers.manager
        self.prefix = self.env_prefix()
        self.env_py = self.env_python()
        self.installer = choose_installer(facts, answers)

    # ---- where things are ------------------------------------------------------------------
    def tool(self, name: str) -> str:
        m = self.facts.managers.get(name)
        return m.path if m and m.path else name

    def env_prefix(self) -> str:
        if self.a.env_is_name:
            m = self.facts.managers.get(self.manager)
            if not m or not m.path:
                raise InvalidInput(
                    _(
                        "env: {env} is a {manager} environment name, but envwizard cannot tell "
                        "where {manager} keeps named environments ({manager} was not found); "
                        "give env as a path instead"
                    ).format(env=repr(self.a.env), manager=self.manager)
                )
            if not m.envs_dir:  # hand-written facts: conda's default depends on write access
                raise InvalidInput(
                    _(
                        "env: {env} is a {manager} environment name, but the facts do not say "
                        "where {manager} keeps named environments (managers.{manager}.envs_dir); "
                        "give env as a path instead"
                    ).format(env=repr(self.a.env), manager=self.manager)
                )
            return str(self.path.join(m.envs_dir, self.a.env))
        return self.a.env

    def env_python(self) -> str:
        if not self.windows:
            return posixpath.join(self.prefix, "bin", "python")
        if self.a.is_conda:
            return ntpath.join(self.prefix, "python.exe")
        return ntpath.join(self.prefix, "Scripts", "python.exe")

    def interpreter(self) -> str:
        """The Python that creates a venv/virtualenv environment."""
        if self.py_exe:
            return self.py_exe
        if self.windows:
            return "py"
        return f"python{major_minor(self.py_version)}"

    # ---- the plan -------------------------------------------------------------------------
    def build(self) -> Plan:
        steps = [self.create_step(), self.torch_step(), self.pin_step()]
        if self.way.torch_links:
            steps.insert(2, self.torch_deps_step())
        others = self.other_packages()
        if others:
            steps.append(self.packages_step(others))
        steps.append(self.verify_step())
        if self.a.benchmark.enabled:
            steps.append(self.bench_step())
        return Plan(
            decision=self.d,
            steps=steps,
            env_path=self.prefix,
            env_python=self.env_py,
            manager=self.manager,
            estimate_mib=self.kb.size_mib.get(self.d.kind, 2000),
            warnings=self.d.warnings + self.path_warnings(),
            activate=self.activate(),
            windows=self.windows,
            installer=self.installer,
            install_more=self.install_more(),
        )

    def create_step(self) -> Step:
        a = self.a
        recreate = a.existing == "recreate"
        if self.manager == "venv":
            info = self._py_info()
            if info is not None and info.has_venv is False:
                raise InvalidInput(
                    _(
                        "python: {python} has no venv module; choose manager: virtualenv or uv"
                    ).format(python=info.executable)
                )
            if info is not None and info.has_ensurepip is False:
                raise InvalidInput(
                    _(
                        "python: {python} has no ensurepip, so `python -m venv` cannot install pip "
                        "into a new environment (Debian/Ubuntu: apt install python{version}-venv); "
                        "or choose manager: virtualenv or uv"
                    ).format(python=info.executable, version=major_minor(info.version))
                )
            launcher = major_minor(self.py_version) if self.windows and not self.py_exe else None
            spec = CreateEnv(
                "venv", self.interpreter(), self.prefix, clear=recreate, launcher=launcher
            )
        elif self.manager == "virtualenv":
            python = self.py_exe or major_minor(self.py_version)
            spec = CreateEnv("virtualenv", self.tool("virtualenv"), self.prefix, python, recreate)
        elif self.manager == "uv":
            # uv finds (or downloads) a version itself; a path or "current" names the interpreter.
            want = a.python if a.python[0].isdigit() else self.py_exe
            spec = CreateEnv("uv", self.tool("uv"), self.prefix, want or self.py_version, recreate)
        else:
            if a.offline:
                raise InvalidInput(
                    _(
                        "offline: {manager} cannot create an environment from a wheelhouse; "
                        "choose manager: venv, virtualenv or uv for an offline install"
                    ).format(manager=self.manager)
                )
            conda_py = self.py_version if a.python[0].isdigit() else major_minor(self.py_version)
            # `create --yes` replaces an environment already at the prefix (conda's own
            # documentation of --yes): the runner checks `existing` before this step runs.
            spec = CreateEnv(
                self.manager,
                self.tool(self.manager),
                self.prefix,
                conda_py,
                channel=self.way.channel,
            )
        return Step.titled(
            "create-env",
            N_("Create the {manager} environment"),
            {"manager": str(self.manager)},
            spec,
        )

    def torch_step(self) -> Step:
        d = self.d
        reqs = [d.requirement, *d.companions]
        title = N_("Install torch {torch} ({variant})")
        fields = {"torch": str(d.torch), "variant": str(d.variant)}
        if d.source == "conda-forge":
            specs = [self.conda_spec(r) for r in reqs]
            if d.kind == "cuda" and d.cuda:
                specs[0] += "=cuda*"
                specs.append(f"cuda-version={d.cuda}")
            elif d.kind == "cpu":
                specs[0] += "=cpu*"
            spec = Install(
                Installer.CONDA,
                self.prefix,
                tuple(specs),
                Sources(channel=self.way.channel),
                tool=self.tool(self.manager),
            )
            return Step.titled(
                "install-torch",
                N_("Install torch {torch} ({variant}) from conda-forge"),
                fields,
                spec,
            )
        # No PyTorch index (torch_index: default, or macOS's default wheel): torch comes from the
        # index every other package comes from, which is the user's mirror when they set one.
        if self.way.torch_links:
            # A flat page of links is no index: with --no-index and --no-deps nothing else can
            # stand in for the build; torch's own dependencies come in the next step.
            links = Sources(no_index=True, find_links=(self.way.torch_links,))
            return self.install_step("install-torch", title, reqs, links, fields, no_deps=True)
        url = d.index_url or self.a.index_url
        if self.manager == "uv" and not self.a.offline:
            # uv makes environments without pip; with pip, `pip install` after activation
            # installs here (not into whatever pip PATH finds) and honours the torch pin.
            reqs.append("pip")
        return self.install_step("install-torch", title, reqs, Sources(index_url=url), fields)

    def torch_deps_step(self) -> Step:
        """After a --no-deps torch from wheel links: its dependencies, torch itself is kept."""
        reqs = [self.d.requirement, *self.d.companions]
        sources = Sources(index_url=self.a.index_url)
        return self.install_step(
            "install-torch-deps", N_("Install what torch needs"), reqs, sources
        )

    def install_step(
        self,
        step_id: str,
        title: str,
        reqs: list[str],
        sources: Sources,
        fields: dict[str, str] | None = None,
        *,
        no_deps: bool = False,
        pin_file: str | None = None,
    ) -> Step:
        """`title` is a template when `fields` are given; the answers' wheel folders are added."""
        links = (*sources.find_links, *self.a.find_links)
        if self.a.offline:
            sources = Sources(no_index=True, find_links=links)
        else:
            sources = dataclasses.replace(sources, find_links=links)
        env: dict[str, str] = {}
        if self.installer.installer is Installer.UV:
            sources, reads_config, env = uv_sources(self.installer, sources)
            spec = Install(
                Installer.UV,
                self.env_py,
                tuple(reqs),
                sources,
                tool=self.installer.uv or "uv",
                reads_config=reads_config,
                pin_file=pin_file,
                no_deps=no_deps,
            )
        else:
            spec = Install(
                Installer.PIP,
                self.env_py,
                tuple(reqs),
                sources,
                pin_file=pin_file,
                no_deps=no_deps,
                raw_progress=self.pip_has_raw(),
            )
        return Step.titled(step_id, title, fields or {}, spec, env=env)

    def pin_step(self) -> Step:
        names = ["torch"] + [Requirement(c).name for c in self.d.companions]
        # The environment's pip.conf outranks the machine's files: it must repeat their constraints.
        keep = self.facts.pip_config.constraints if self.facts.pip_config else []
        spec = Pin(
            self.env_py,
            script_path("pin.py"),
            self.prefix,
            tuple(names),
            conda=self.d.source == "conda-forge",
            keep_constraints=tuple(keep),
        )
        return Step("pin", N_("Pin the installed torch build"), spec)

    def other_packages(self) -> list[str]:
        return [p for p in self.a.packages if Requirement(p).name.lower() not in COMPANIONS]

    def packages_step(self, packages: list[str]) -> Step:
        return self.install_step(
            "install-packages",
            N_("Install {packages}"),
            packages,
            Sources(index_url=self.a.index_url),
            {"packages": ", ".join(packages)},
            pin_file=self.path.join(self.prefix, CONSTRAINTS_FILE),
        )

    def verify_step(self) -> Step:
        exp = self.d.expect
        spec = Verify(
            self.env_py,
            script_path("verify.py"),
            exp["device"],
            tuple(exp.get("compute_capabilities", [])),
            tuple(exp.get("gfx", [])),
            int(exp.get("gpus") or 0),
            # A build chosen by name must be the one installed (a lock sets the locked one).
            variant=self.d.variant if variant_kind(self.d.variant) in NAMED_KINDS else None,
        )
        return Step("verify", N_("Verify torch on the device"), spec)

    def bench_step(self) -> Step:
        b = self.a.benchmark
        opts = BenchOptions(
            device=b.device,
            preset=b.preset,
            dtype=b.dtype,
            seconds=b.seconds,
            nproc=b.nproc,
            optimizer=b.optimizer,
        )
        cpus = self.facts.cpu.get("logical_cores")
        env = thread_env(b.nproc, cpus if isinstance(cpus, int) else None)
        if self.d.kind == "cuda":
            env.update(nvml_env())
        return Step(
            "benchmark",
            N_("Training benchmark"),
            Bench(self.env_py, opts),
            env=env,
            optional=True,
        )

    # ---- details ---------------------------------------------------------------------------
    def _py_info(self) -> PythonInfo | None:
        for p in [self.facts.python, *self.facts.pythons]:
            if p.executable == self.py_exe:
                return p
        return None

    def pip_has_raw(self) -> bool:
        if self.a.is_conda:
            return True  # conda-forge's pip is current
        if self.manager == "virtualenv":
            v = self.facts.managers.get("virtualenv")
            return bool(v and v.version and vkey(v.version) >= VIRTUALENV_PIP_RAW)
        info = self._py_info()
        pip = info.ensurepip_pip if info else None
        return bool(pip and vkey(pip) >= PIP_RAW_PROGRESS)

    def conda_spec(self, req: str) -> str:
        r = Requirement(req)
        name = "pytorch" if r.name == "torch" else r.name
        exact = [s.version for s in r.specifier if s.operator == "=="]
        return f"{name}={exact[0]}" if exact else f"{name}=*"

    def install_more(self) -> str:
        """How to add packages later without swapping torch (pip reads the environment's pin)."""
        constraints = self.path.join(self.prefix, CONSTRAINTS_FILE)
        if self.manager == "uv" and self.a.offline:
            return (
                _command(
                    ["uv", "pip", "install", "--python", self.env_py, "--constraint", constraints],
                    self.windows,
                )
                + " PACKAGE"
            )
        return _command([self.env_py, "-m", "pip", "install"], self.windows) + " PACKAGE"

    def activate(self) -> str:
        """The command that activates the environment, quoted for the person's shell: POSIX sh,
        or PowerShell on Windows."""
        if self.a.is_conda:
            target = self.a.env if self.a.env_is_name else self.prefix
            return _command([self.manager, "activate", target], self.windows)
        if self.windows:
            return _command([ntpath.join(self.prefix, "Scripts", "Activate.ps1")], True)
        return _command(["source", posixpath.join(self.prefix, "bin", "activate")], False)

    def path_warnings(self) -> list[Note]:
        out = []
        if self.manager in ("venv", "virtualenv") and not self.py_exe and self.facts.pythons:
            # venv and virtualenv cannot fetch a Python; uv and conda can.
            out.append(
                Note(
                    NoteCode.PYTHON_MISSING,
                    _(
                        "Python {version} is not among the interpreters found on this machine; "
                        "creating the environment needs `{python}`"
                    ).format(version=self.py_version, python=self.interpreter()),
                )
            )
        if " " in self.prefix:
            out.append(
                Note(
                    NoteCode.PATH_SPACE,
                    _(
                        "the environment path has a space ({path}); some build tools break on such paths"
                    ).format(path=self.prefix),
                )
            )
        if self.manager == "venv" and not self.windows and re.search(r'[$`"\\]', self.prefix):
            out.append(
                Note(
                    NoteCode.PATH_EXPANDED,
                    _(
                        'the environment path holds $, `, " or \\ ({path}); the activate script '
                        "`python -m venv` writes puts the path in double quotes, where the shell "
                        "expands them, so activating would run what they spell. Choose a path "
                        "without them, or manager: uv or virtualenv"
                    ).format(path=self.prefix),
                )
            )
        if any(ord(c) > 127 for c in self.prefix):
            c = next(c for c in self.prefix if ord(c) > 127)
            # The character itself where it can be seen, its Unicode name where it cannot.
            visible = unicodedata.category(c)[0] in "LNPS"  # not a mark, a space or a control
            name = c if visible else unicodedata.name(c, hex(ord(c)))
            out.append(
                Note(
                    NoteCode.PATH_NON_ASCII,
                    _(
                        "the environment path has non-ASCII characters ({name}); some tools break "
                        "on such paths"
                    ).format(name=name),
                )
            )
        return out


_PS_BARE = re.compile(r"[A-Za-z0-9_.:\\/-]+")
"""What PowerShell reads as one plain word (no quote, `$`, `;`, space, backtick, `@`, comma…)."""


def _quote(word: str, windows: bool) -> str:
    """One word as the person's shell reads it literally: `shlex.quote` for POSIX shells; for
    PowerShell a single-quoted string, where only quotes (also the typographic ones, which
    PowerShell takes as quotes too) are doubled."""
    if not windows:
        return shlex.quote(word)
    if _PS_BARE.fullmatch(word):
        return word
    return "'" + re.sub(r"(['\u2018\u2019\u201a\u201b])", r"\1\1", word) + "'"


def _command(words: list[str], windows: bool) -> str:
    """A command line to paste; PowerShell runs a quoted program only after its call operator."""
    line = " ".join(_quote(w, windows) for w in words)
    return "& " + line if windows and line.startswith("'") else line
