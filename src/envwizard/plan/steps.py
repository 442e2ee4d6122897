"""Typed steps: what each step of a plan does, as a frozen value, and its command line.

A step's spec (`CreateEnv`, `Install`, `Bench`, and the `Script`s: `Pin`, `Verify`,
`VerifyStack`, `Kernel`) says what the step is made of: which interpreter creates the
environment, which requirements or which lock an installer installs from which sources, which
build verification expects. Every argv is built here from a spec, and nowhere else; the
runner, pre-flight, repair, the report and the screens read the spec's fields, never the argv
back. `StepKind` carries the rules each kind of step follows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from envwizard.core.i18n import _
from envwizard.core.values import StrValue
from envwizard.plan.bench_argv import BenchOptions, worker_argv


class StepKind(StrValue):
    """What a step is; each kind's rules are properties, so callers never compare strings."""

    CREATE_ENV = "create-env"
    INSTALL = "install"
    PIN = "pin"
    VERIFY = "verify"
    KERNEL = "kernel"
    """Registers the environment as a Jupyter kernel (outside it: rollback removes it)."""
    BENCH = "bench"

    @property
    def stall_watched(self) -> bool:
        """An installer that shows nothing and downloads nothing for too long is stopped."""
        return self in (StepKind.CREATE_ENV, StepKind.INSTALL)

    @property
    def defines_env(self) -> bool:
        """What the environment is meant to contain: the plan hash covers these steps, and
        pre-flight checks their tools, space and sources."""
        return self in (StepKind.CREATE_ENV, StepKind.INSTALL)

    @property
    def changes_packages(self) -> bool:
        """Changes what is installed in an environment that exists: a run killed inside one
        leaves it half-done (the state file records it in flight)."""
        return self in (StepKind.INSTALL, StepKind.PIN)

    @property
    def repairable(self) -> bool:
        """Can be told to reinstall what it installs (after an interrupted run)."""
        return self is StepKind.INSTALL

    @property
    def read_only(self) -> bool:
        """Changes nothing: runs again on every resume, never counts as a change."""
        return self in (StepKind.VERIFY, StepKind.BENCH)

    @property
    def emits_json(self) -> bool:
        """Writes JSON lines that are data, not output to show."""
        return self in (StepKind.VERIFY, StepKind.KERNEL, StepKind.BENCH)


class Installer(StrValue):
    """Who installs packages: pip or uv fill venv/virtualenv/uv environments (and pip wheels in
    a conda one); conda installs conda-forge's torch into a conda environment."""

    PIP = "pip"
    UV = "uv"
    CONDA = "conda"


class Spec:
    """What a step does. Subclasses are frozen dataclasses; `argv` is built from the fields."""

    @property
    def kind(self) -> StepKind:
        raise NotImplementedError

    def argv(self) -> list[str]:
        raise NotImplementedError

    @property
    def program(self) -> str:
        """The program the step starts (pre-flight checks that it exists)."""
        raise NotImplementedError

    def identity(self) -> list[str]:
        """What the plan hash covers for this step: its argv, unless a spec says otherwise."""
        return self.argv()

    def repaired(self) -> Spec:
        """The same step, told to reinstall what it installs (only installs can be)."""
        return self

    @property
    def progress(self) -> str | None:
        """How the step's output reports download progress: pip-raw, uv or None."""
        return None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": type(self).__name__}
        if dataclasses.is_dataclass(self):
            data.update(_plain(dataclasses.asdict(self)))
        return data


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class CreateEnv(Spec):
    """Make the environment: venv, virtualenv, uv or a conda-like manager."""

    manager: str
    tool: str
    """The program that creates it: the interpreter for venv, else the manager's executable."""
    prefix: str
    python: str = ""
    """virtualenv, uv: their --python; conda: the python= version (venv: the tool itself)."""
    clear: bool = False
    channel: str = "conda-forge"
    launcher: str | None = None
    """Windows' `py -X.Y` version, when venv is started through the launcher."""

    @property
    def kind(self) -> StepKind:
        return StepKind.CREATE_ENV

    @property
    def program(self) -> str:
        return "py" if self.launcher else self.tool

    @property
    def interpreter(self) -> str | None:
        """The Python that creates a venv/virtualenv environment (None: a tool finds or fetches
        one, or it is a version request virtualenv resolves itself)."""
        if self.manager == "venv":
            return None if self.launcher else self.tool
        if self.manager == "virtualenv":
            return self.python
        return None

    def argv(self) -> list[str]:
        clear = ["--clear"] if self.clear else []
        if self.manager == "venv":
            head = ["py", f"-{self.launcher}"] if self.launcher else [self.tool]
            return [*head, "-m", "venv", self.prefix, *clear]
        if self.manager == "virtualenv":
            return [self.tool, self.prefix, "--python", self.python, "--no-periodic-update", *clear]
        if self.manager == "uv":
            return [self.tool, "venv", self.prefix, "--python", self.python, *clear]
        return [
            self.tool, "create", "--yes", "--prefix", self.prefix, f"python={self.python}", "pip",
            "--override-channels", "--channel", self.channel,
        ]  # fmt: skip


@dataclass(frozen=True)
class Sources:
    """Where an installer looks for distributions, exactly as its command line says it.

    pip reads its own configuration besides (`Install.reads_config`); uv, when it fills a
    venv, is handed pip's configuration here and told to ignore its own.
    """

    index_url: str | None = None
    no_index: bool = False
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    channel: str | None = None
    """conda's channel (with --override-channels)."""

    def urls(self) -> list[str]:
        """Every index and wheel location named, in order."""
        first = [self.index_url] if self.index_url else []
        return [*first, *self.extra_index_urls, *self.find_links]

    def union(self, other: Sources) -> Sources:
        """Both sets together: what a lock made from both resolves against."""
        return Sources(
            index_url=self.index_url or other.index_url,
            no_index=self.no_index and other.no_index,
            extra_index_urls=_merged(self.extra_index_urls, other.extra_index_urls),
            find_links=_merged(self.find_links, other.find_links),
            constraints=_merged(self.constraints, other.constraints),
            trusted_hosts=_merged(self.trusted_hosts, other.trusted_hosts),
            channel=self.channel or other.channel,
        )


def _merged(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*a, *b]))


@dataclass(frozen=True)
class Install(Spec):
    """Install requirements (before a resolve) or a lock (after one) into the environment.

    With a lock, `lock_file` is a requirements file of exact pins (`name==version`, hashes
    where the installer gave them) and `no_deps` is set: the installer installs those files and
    nothing else, from the same sources the resolve asked.
    """

    installer: Installer
    target: str
    """The environment's Python (pip, uv) or its prefix (conda)."""
    requirements: tuple[str, ...] = ()
    sources: Sources = field(default_factory=Sources)
    tool: str = ""
    """uv's or conda's executable (pip runs as `target -m pip`)."""
    reads_config: bool = True
    """pip reads pip.conf and PIP_*; uv is told --no-config when pip's settings were handed to it."""
    pin_file: str | None = None
    """The environment's own torch pin, a constraint for packages installed after torch."""
    no_deps: bool = False
    raw_progress: bool = False
    """pip prints parseable `Progress x of y` lines (pip >= 24.1)."""
    lock_file: str | None = None
    lock_digest: str = ""
    """Identifies the locked set, so the plan hash does not depend on where the file lies."""
    reinstall: bool = False

    @property
    def kind(self) -> StepKind:
        return StepKind.INSTALL

    @property
    def program(self) -> str:
        return self.target if self.installer is Installer.PIP else self.tool or str(self.installer)

    @property
    def progress(self) -> str | None:
        if self.installer is Installer.UV:
            return "uv"
        return "pip-raw" if self.installer is Installer.PIP and self.raw_progress else None

    @property
    def locked(self) -> bool:
        return bool(self.lock_digest)

    def repaired(self) -> Install:
        return dataclasses.replace(self, reinstall=True)

    def identity(self) -> list[str]:
        if self.lock_file is None:
            return self.argv()
        return dataclasses.replace(self, lock_file=f"lock:{self.lock_digest}").argv()

    def what(self) -> list[str]:
        return ["-r", self.lock_file] if self.lock_file else list(self.requirements)

    def argv(self) -> list[str]:
        if self.installer is Installer.CONDA:
            again = ["--force-reinstall"] if self.reinstall else []
            return [
                self.tool, "install", *again, "--yes", "--prefix", self.target,
                *self.requirements, "--override-channels", "--channel",
                self.sources.channel or "conda-forge",
            ]  # fmt: skip
        tail = [*(["--constraint", self.pin_file] if self.pin_file else [])]
        tail += ["--no-deps"] if self.no_deps else []
        if self.installer is Installer.UV:
            again = ["--reinstall"] if self.reinstall else []
            head = [self.tool or "uv", "pip", "install", *again, "--python", self.target]
            return [*head, *self.what(), *uv_source_args(self.sources, self.reads_config), *tail]
        again = ["--force-reinstall"] if self.reinstall else []
        head = [self.target, "-m", "pip", "install", *again, "--no-input"]
        head += ["--disable-pip-version-check", "--no-compile", "--progress-bar"]
        head.append("raw" if self.raw_progress else "off")
        return [*head, *self.what(), *pip_source_args(self.sources), *tail]


@dataclass(frozen=True)
class Uninstall(Spec):
    """Remove distributions from an environment that exists (doctor's repairs): its own pip,
    or uv for an environment without pip. Changes packages like an install does."""

    installer: Installer
    target: str
    """The environment's Python."""
    packages: tuple[str, ...]
    tool: str = ""
    """uv's executable."""

    @property
    def kind(self) -> StepKind:
        return StepKind.INSTALL

    @property
    def program(self) -> str:
        return (self.tool or "uv") if self.installer is Installer.UV else self.target

    def argv(self) -> list[str]:
        if self.installer is Installer.UV:
            return [self.tool or "uv", "pip", "uninstall", "--python", self.target, *self.packages]
        return [self.target, "-m", "pip", "uninstall", "--yes", *self.packages]


def pip_source_args(s: Sources) -> list[str]:
    out = ["--index-url", s.index_url] if s.index_url else []
    out += ["--no-index"] if s.no_index else []
    for url in s.extra_index_urls:
        out += ["--extra-index-url", url]
    for folder in s.find_links:
        out += ["--find-links", folder]
    for path in s.constraints:
        out += ["--constraint", path]
    for host in s.trusted_hosts:
        out += ["--trusted-host", host]
    return out


def uv_source_args(s: Sources, reads_config: bool) -> list[str]:
    """uv's flags for the sources; with pip's settings handed over, uv also takes the best
    version across all indexes (as pip does) and ignores its own configuration.

    Installs compile no bytecode (pip is told --no-compile): compiling every module of torch was
    most of an install's time, while verify's first `import torch` writes what it loads
    (benchmarks/bytecode_cost.py)."""
    out = pip_source_args(dataclasses.replace(s, trusted_hosts=()))
    for host in s.trusted_hosts:
        out += ["--allow-insecure-host", host]
    if not reads_config:
        out += ["--index-strategy", "unsafe-best-match", "--no-config"]
    return out


class Output(StrValue):
    """What a dry run writes: pip's installation report, uv's two forms, conda's JSON."""

    PIP_REPORT = "pip-report"
    UV_REQUIREMENTS = "uv-requirements"
    UV_PYLOCK = "uv-pylock"
    CONDA_JSON = "conda-json"


@dataclass(frozen=True)
class DryRun:
    """The installer asked what it would install for the target, changing nothing.

    pip runs under the target interpreter when it exists (its markers, tags and Python are
    then the target's own); otherwise `pip_platforms` and `python` describe the target.
    uv is told the target's Python version and platform; conda solves a new prefix.
    """

    output: Output
    runner: tuple[str, ...]
    """How to start the installer: (python, -m, pip[, --python, target]), (uv,), (conda,)."""
    requirements: tuple[str, ...]
    sources: Sources
    out_file: str = ""
    """Where the report / compiled output goes (conda prints its JSON instead)."""
    requirements_file: str = ""
    """uv reads the requirements from this file."""
    reads_config: bool = True
    python: str = ""
    platform: str = ""
    """uv's --python-platform."""
    pip_platforms: tuple[str, ...] = ()
    no_deps: bool = False
    prefix: str = ""
    """conda: the environment's prefix (nothing is made there)."""

    def argv(self) -> list[str]:
        run = list(self.runner)
        if self.output is Output.PIP_REPORT:
            out = [*run, "install", "--dry-run", "--ignore-installed", "--report", self.out_file]
            out += ["--no-input", "--disable-pip-version-check", "--progress-bar", "off"]
            out += [*self.requirements, *pip_source_args(self.sources)]
            if self.pip_platforms:
                out += ["--python-version", self.python, "--implementation", "cp"]
                # pip before 24.1 takes platform options only with --target; a dry run writes
                # nothing there.
                out += ["--only-binary=:all:", "--target", f"{self.out_file}.target"]
                for tag in self.pip_platforms:
                    out += ["--platform", tag]
            return out + (["--no-deps"] if self.no_deps else [])
        if self.output is Output.CONDA_JSON:
            return [
                *run, "create", "--dry-run", "--json", "--yes", "--prefix", self.prefix,
                *self.requirements, "--override-channels", "--channel",
                self.sources.channel or "conda-forge",
            ]  # fmt: skip
        out = [*run, "pip", "compile", self.requirements_file, "--output-file", self.out_file]
        if self.output is Output.UV_PYLOCK:
            out += ["--format", "pylock.toml"]
        else:
            out += ["--emit-index-annotation"]
        out += ["--python-version", self.python]
        out += ["--python-platform", self.platform] if self.platform else []
        # --quiet: the resolution goes to the file only (uv also prints it), errors still show.
        out += ["--quiet", *uv_source_args(self.sources, self.reads_config)]
        return out + (["--no-deps"] if self.no_deps else [])


@dataclass(frozen=True)
class Script(Spec):
    """A script of envwizard's run by the environment's own Python: `python script ARGS`."""

    python: str
    script: str

    @property
    def program(self) -> str:
        return self.python

    def argv(self) -> list[str]:
        return [self.python, self.script, *self.args()]

    def args(self) -> list[str]:
        """The script's options, from the spec's other fields."""
        raise NotImplementedError


@dataclass(frozen=True)
class Pin(Script):
    """Pin the installed torch build in the environment (scripts/pin.py)."""

    prefix: str
    names: tuple[str, ...]
    conda: bool = False
    keep_constraints: tuple[str, ...] = ()

    @property
    def kind(self) -> StepKind:
        return StepKind.PIN

    def args(self) -> list[str]:
        out = ["--prefix", self.prefix]
        out += ["--conda"] if self.conda else []
        for path in self.keep_constraints:
            out += ["--keep-constraint", path]
        return [*out, *self.names]


@dataclass(frozen=True)
class Verify(Script):
    """Check torch on the device (scripts/verify.py), and against the lock when there is one."""

    device: str
    compute_capabilities: tuple[str, ...] = ()
    gfx: tuple[str, ...] = ()
    gpus: int = 0
    lock_file: str | None = None
    variant: str | None = None
    """The build the lock holds (cpu, cu130, rocm6.4, xpu, default): what must be installed."""

    @property
    def kind(self) -> StepKind:
        return StepKind.VERIFY

    def args(self) -> list[str]:
        out = ["--device", self.device]
        out += _repeated("--cc", self.compute_capabilities) + _repeated("--gfx", self.gfx)
        out += ["--gpus", str(self.gpus)] if self.gpus else []
        out += ["--lock", self.lock_file] if self.lock_file else []
        return out + (["--variant", self.variant] if self.variant else [])


@dataclass(frozen=True)
class VerifyStack(Script):
    """Prove the packages beside torch on the device (scripts/verify_stack.py), no download."""

    device: str
    checks: tuple[str, ...]
    """verify_stack.py's checks: `torchvision`, `llm`, `jax=gpu`, `jupyter`, …"""
    kernel_record: str | None = None
    """The kernel step's record: the jupyter check starts the kernel it names."""
    expect: tuple[str, ...] = ()
    """`NAME==VERSION` from the lock: what must be installed."""

    @property
    def kind(self) -> StepKind:
        return StepKind.VERIFY

    def args(self) -> list[str]:
        out = ["--device", self.device, *_repeated("--check", self.checks)]
        out += ["--kernel-record", self.kernel_record] if self.kernel_record else []
        return out + _repeated("--expect", self.expect)


def _repeated(flag: str, values: tuple[str, ...]) -> list[str]:
    """`--flag a --flag b`: an option given once per value."""
    return [arg for value in values for arg in (flag, value)]


@dataclass(frozen=True)
class Kernel(Script):
    """Register the environment as a Jupyter kernel (scripts/kernel.py), never over another
    environment's kernel of the same name; `record` says which folder is this one's."""

    name: str
    display_name: str
    record: str

    @property
    def kind(self) -> StepKind:
        return StepKind.KERNEL

    def args(self) -> list[str]:
        return ["--name", self.name, "--display", self.display_name, "--record", self.record]


@dataclass(frozen=True)
class Bench(Spec):
    """The training benchmark, run by the environment's Python."""

    python: str
    options: BenchOptions

    @property
    def kind(self) -> StepKind:
        return StepKind.BENCH

    @property
    def program(self) -> str:
        return self.python

    def argv(self) -> list[str]:
        return worker_argv(self.python, self.options)


@dataclass(frozen=True)
class Command(Spec):
    """A step given as a ready command line, of a kind whose rules it follows: for plans
    written by hand around a program envwizard has no spec for (benchmarks, tests)."""

    step_kind: StepKind
    command: tuple[str, ...]

    @property
    def kind(self) -> StepKind:
        return self.step_kind

    @property
    def program(self) -> str:
        return self.command[0]

    def argv(self) -> list[str]:
        return list(self.command)


@dataclass(frozen=True)
class Step:
    """One step of the plan: an id, a title for people, and the spec that says what it does."""

    id: str
    title: str
    spec: Spec
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment variables for this child only."""
    optional: bool = False
    """A failure is reported but does not fail the run (the benchmark)."""
    fields: Mapping[str, str] = field(default_factory=dict)
    """The values in `title` when it was made from a template (the template is `template`)."""
    template: str = ""

    @classmethod
    def command(cls, step_id: str, title: str, argv: list[str], kind: str, **kw: Any) -> Step:
        """A step of a ready command line (see `Command`)."""
        return cls(step_id, title, Command(StepKind(kind), tuple(argv)), **kw)

    @classmethod
    def titled(
        cls,
        step_id: str,
        template: str,
        fields: dict[str, str],
        spec: Spec,
        env: Mapping[str, str] | None = None,
    ) -> Step:
        """A step whose title is a sentence with values: English in the plan, translated on screen."""
        return cls(
            step_id,
            template.format(**fields),
            spec,
            env=dict(env or {}),
            fields=fields,
            template=template,
        )

    @property
    def kind(self) -> StepKind:
        return self.spec.kind

    @property
    def argv(self) -> list[str]:
        """The exact command line: no shell, no hidden arguments."""
        return self.spec.argv()

    @property
    def progress(self) -> str | None:
        return self.spec.progress

    def with_spec(self, spec: Spec) -> Step:
        return dataclasses.replace(self, spec=spec)

    def label(self) -> str:
        """The title in the current language."""
        if self.template:
            return _(self.template).format(**self.fields)
        return _(self.title)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "argv": self.argv,
            "kind": self.kind.value,
            "spec": self.spec.to_dict(),
        }
        if self.env:
            d["env"] = dict(self.env)
        if self.progress:
            d["progress"] = self.progress
        if self.optional:
            d["optional"] = True
        return d


def plan_hash(steps: list[Step]) -> str:
    """Identifies what the environment is meant to contain: the steps that define it, a locked
    install by its lock's content; verify, pin and bench steps do not count."""
    key = [(s.id, s.spec.identity()) for s in steps if s.kind.defines_env]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]
