"""Resolve first, then install exactly that: the installer's own dry run, before anything is made.

Between planning and creating the environment, the plan's installer is asked what it would
install for the target — `pip install --dry-run --ignore-installed --report`, `uv pip compile`
(requirements with index annotations, and pylock.toml for the exact files), `conda create
--dry-run --json` — against exactly the sources each install step uses, step by step: a later
step is resolved beside the exact files of the earlier ones. The answer is the lock
(envwizard.plan.lock); the build it holds is checked against the plan's choice
(envwizard.plan.lockcheck), and the plan comes back with install steps that install the lock
and nothing else.

Which pip answers, and why it is truthful:
- the target interpreter's own pip (`python -m pip`) when it has one that writes reports (pip
  >= 22.2): markers, wheel tags and Requires-Python are the target's own;
- else envwizard's pip run under the target interpreter (`pip --python TARGET`, pip >= 22.3),
  which evaluates all of that in the target interpreter as well;
- else (no target interpreter yet: a conda environment's Python; or the target is another
  machine, a facts file's, where no interpreter here may stand in for it: `here=False`)
  envwizard's pip told the target's Python version and platform tags (`--python-version
  --platform --only-binary=:all:`); markers are then evaluated for envwizard's own interpreter,
  the one approximation, and only in this case.
pip reads the same configuration files and PIP_* variables as the environment's pip will (the
environment's own pip.conf is written by the pin step, after the install). pip before 25.3
downloads each wheel during a dry run even where the index serves its metadata (pypa/pip#12603,
fixed by pypa/pip#13482): the files land in pip's cache and the install takes them from there.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import urllib.parse
import zipfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _
from envwizard.core.redact import redact_text
from envwizard.core.versions import major_minor, platform_key, vkey
from envwizard.decide.stack import why
from envwizard.decide.stack_wording import Why
from envwizard.facts.model import Facts
from envwizard.knowledge import Knowledge
from envwizard.knowledge import load as load_knowledge
from envwizard.plan.build import STATE_FILE, Plan
from envwizard.plan.lock import (
    LOCK_FILE,
    Group,
    Lock,
    Locked,
    conda_packages,
    last_json_object,
    lock_files,
    pip_packages,
    uv_packages,
)
from envwizard.plan.lockcheck import Alternative, LockRefused, check_lock
from envwizard.plan.steps import (
    CreateEnv,
    DryRun,
    Install,
    Installer,
    Output,
    Sources,
    plan_hash,
)
from envwizard.run.childenv import child_env
from envwizard.run.proc import Child
from envwizard.run.stall import StallWatch, stalled_message

PIP_REPORT = (22, 2)
"""pip learned `install --dry-run --report` in 22.2."""
PIP_PYTHON_OPTION = (22, 3)
"""pip learned `--python TARGET` (run under another interpreter) in 22.3."""
SHOWN_LINES = 60
"""At most this many lines of an installer's failure are put in the message (the log has all)."""


class ResolveStalled(InvalidInput):
    """The installer showed nothing and downloaded nothing for too long during the resolve
    (exit 2 like pre-flight's unreachable index, nothing made). Retryable: it may answer later."""

    retryable = True


class ResolveFailed(InvalidInput):
    """The installer could not resolve the plan's set against its sources (exit 2, nothing made).

    Its message carries the installer's own words whole. Not retryable: the same sources give
    the same answer until the answers or the sources change.
    """

    retryable = False

    def __init__(self, message: str, said: str = "") -> None:
        super().__init__(message)
        self.said = said
        """The installer's own words, when it said any."""


async def resolve(
    plan: Plan,
    facts: Facts,
    run_dir: Path,
    *,
    stall_seconds: float,
    kb: Knowledge | None = None,
    base_env: dict[str, str] | None = None,
    on_output: Callable[[list[str]], None] | None = None,
    here: bool = True,
) -> Plan:
    """The plan installing exactly what its installer resolves (see the module docstring).

    `here=False`: the facts describe another machine; no interpreter here is run for it (a path
    of that machine may name another Python here), its Python and platform are given as tags.

    Writes run_dir/envwizard-lock.json and the requirement files the install steps read.
    Raises ResolveFailed or LockRefused (not retryable) or ResolveStalled (an installer silent
    for `stall_seconds`), all exit 2, before anything is created. `on_output` sees the
    installer's output as it comes (credentials masked); the run folder's logs keep all of it.
    """
    if not plan.installs():
        return plan
    kb = kb or load_knowledge()
    run_dir.mkdir(parents=True, exist_ok=True)
    platform = platform_key(facts.os.system, facts.os.machine)
    # A companion the stack brought unasked whose matching build the sources lack is left out
    # (and said), and the rest resolved again without it; one named in `packages:` is refused.
    first = 1
    while True:
        optional = set(plan.stack.optional) if plan.stack else set()

        resolver = _Resolver(plan, facts, run_dir, base_env, stall_seconds, on_output, here)
        resolver.first = first
        if optional:
            resolver.early = _companions_early(plan, kb, platform, optional)
        first += len(plan.stages())  # each pass's logs beside the earlier ones
        try:
            lock = await resolver.run()
            alternatives = local_alternatives(lock, plan, facts)
            variant = check_lock(lock, plan.decision, kb, platform, alternatives=alternatives)
        except ResolveFailed as e:
            missing = next((n for n in sorted(optional) if _not_found(n, e.said)), None)
            if missing is None:
                raise
            reason = why(
                Why.RESOLVE_NOT_FOUND,
                name=missing,
                torch=plan.decision.release,
                said=_last_line(e.said),
            )
            plan = plan.leave_out(missing, reason)
            continue
        except LockRefused as e:
            if e.companion is None or e.companion.name not in optional:
                raise
            plan = plan.leave_out(
                e.companion.name, why(Why.RESOLVE_OTHER_BUILD, **e.companion.fields())
            )
            continue
        break
    lock = replace(lock, variant=variant)
    write_lock(lock, run_dir)
    return plan.with_lock(lock, lock_files(run_dir), str(run_dir / LOCK_FILE))


def _companions_early(
    plan: Plan, kb: Knowledge, platform: str, optional: set[str]
) -> Callable[[list[Locked]], None]:
    """torch's group checked before the packages are resolved: a companion of another build
    that the stack brought unasked is left out before the (long) resolve of everything else.
    Any other refusal waits for the whole lock, whose sentence can name the local builds."""

    def check(found: list[Locked]) -> None:
        try:
            check_lock(Lock(Installer.PIP, "", "", tuple(found)), plan.decision, kb, platform)
        except LockRefused as e:
            if e.companion is not None and e.companion.name in optional:
                raise

    return check


def _not_found(name: str, said: str) -> bool:
    """Whether the installer's own words say `name` has no matching distribution: pip's "No
    matching distribution found for NAME…", uv's "no version(s) of NAME" / "NAME was not found"."""
    text = said.lower()
    return any(
        phrase in text
        for phrase in (
            f"no matching distribution found for {name}",
            f"no version of {name}",
            f"no versions of {name}",
            f"{name} was not found",
        )
    )


def _last_line(said: str) -> str:
    lines = [line.strip() for line in said.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def write_lock(lock: Lock, folder: Path) -> None:
    """The lock's JSON and one requirements file per group (lock_files) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LOCK_FILE).write_text(lock.to_json(), encoding="utf-8")
    for group, path in lock_files(folder).items():
        Path(path).write_text(lock.requirements(group), encoding="utf-8")


def saved_lock(plan: Plan, run_dir: Path) -> Plan | None:
    """The plan installing the environment's own lock, when its state file says the run that
    began it had exactly this plan and lock: a resume installs what was locked, unresolved.
    Nothing is written: the runner writes the lock's files into `run_dir` when it runs."""
    env = Path(plan.env_path)
    try:
        state = json.loads((env / STATE_FILE).read_text(encoding="utf-8"))
        lock = Lock.from_dict(json.loads((env / LOCK_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, InvalidInput):
        return None
    if not isinstance(state, dict):
        return None
    locked = plan.with_lock(lock, lock_files(run_dir), str(run_dir / LOCK_FILE))
    return locked if state.get("plan") == plan_hash(locked.steps) else None


class _Resolver:
    """One resolve: the install steps' parts asked in order, each into the growing lock."""

    def __init__(
        self,
        plan: Plan,
        facts: Facts,
        run_dir: Path,
        base_env: dict[str, str] | None,
        stall_seconds: float,
        on_output: Callable[[list[str]], None] | None = None,
        here: bool = True,
    ) -> None:
        self.plan = plan
        self.here = here
        self.stall_seconds = stall_seconds
        self.on_output = on_output
        self.facts = facts
        self.run_dir = run_dir
        self.env = child_env(base_env, {"PIP_BREAK_SYSTEM_PACKAGES": "1"})
        self.python = plan.decision.python
        self.commands: list[str] = []
        self.platform = ""
        self.first = 1
        """The number of the first stage's log (a second pass keeps the first's logs)."""
        self.early: Callable[[list[Locked]], None] | None = None
        """Called with torch's group before the packages are resolved (may refuse)."""

    async def run(self) -> Lock:
        found: list[Locked] = []
        installer = Installer.PIP
        for n, (step, group, sources) in enumerate(self.plan.stages(), self.first):
            spec = step.spec
            assert isinstance(spec, Install)
            if spec.installer is Installer.CONDA:
                found += await self.conda(spec, n)
                installer = Installer.CONDA
                continue
            if installer is Installer.CONDA:
                continue  # pip beside conda-forge's torch cannot see it: installed as asked
            installer = spec.installer
            pinned = {p.name for p in found}
            reqs = [f"{p.name}=={p.version}" for p in found]
            reqs += [r for r in spec.requirements if _name(r) not in pinned]
            asked = sources
            if group is Group.PACKAGES and found and self.early is not None:
                self.early(found)
            if group is Group.PACKAGES and found:
                # Beside the exact torch group, without its sources: a folder of stand-ins
                # (name and version only) lets the installer take each as given.
                beside = stand_ins(found, self.run_dir / f"resolve-{n}-beside")
                asked = replace(sources, find_links=(*sources.find_links, str(beside)))
            ask = self.uv if spec.installer is Installer.UV else self.pip
            new = await ask(spec, reqs, asked, group, n)
            found += [p for p in new if p.name not in pinned]
        return Lock(
            installer,
            self.python,
            self.platform,
            tuple(sorted(found, key=lambda p: p.name)),
            tuple(redact_text(s) for s in source_list(self.plan, self.facts)),
            tuple(redact_text(c) for c in self.commands),
        )

    # ---- pip ---------------------------------------------------------------------------------
    async def pip(
        self, spec: Install, reqs: list[str], sources: Sources, group: Group, n: int
    ) -> list[Locked]:
        runner, tags = self.pip_runner()
        out = self.run_dir / f"resolve-{n}.json"
        dry = DryRun(
            Output.PIP_REPORT,
            runner,
            tuple(reqs),
            sources,
            out_file=str(out),
            python=self.python,
            pip_platforms=tags,
            no_deps=spec.no_deps,
        )
        self.platform = platform_key(self.facts.os.system, self.facts.os.machine)
        if self.facts.os.glibc:
            self.platform += f" glibc {self.facts.os.glibc}"
        await self.ask(dry.argv(), n, "pip", reqs)
        try:
            report = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ResolveFailed(
                _("pip wrote no readable installation report ({error}); see {log}").format(
                    error=e, log=self.log(n)
                )
            ) from None
        cfg = self.facts.pip_config
        names = source_list(self.plan, self.facts, [sources])
        default = not sources.no_index and not sources.index_url and not (cfg and cfg.index_url)
        default = default and not (cfg and cfg.no_index)
        return pip_packages(report, group, names, default)

    def pip_runner(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """How to start pip for the target, and the platform tags when it cannot run there."""
        create = next((s.spec for s in self.plan.steps if isinstance(s.spec, CreateEnv)), None)
        # A plan that creates nothing (doctor's repair) installs into an environment that is
        # there: its own interpreter is the target.
        interp = create.interpreter if create is not None else self.plan.env_python
        exe = shutil.which(interp) if interp and self.here else None
        own = _own_pip()
        if exe:
            info = next(
                (p for p in [self.facts.python, *self.facts.pythons] if p.executable == interp),
                None,
            )
            if info is not None and info.pip and vkey(info.pip) >= PIP_REPORT:
                return (exe, "-m", "pip"), ()
            if own >= PIP_PYTHON_OPTION:
                return (sys.executable, "-m", "pip", "--python", exe), ()
        if own >= PIP_REPORT:
            return (sys.executable, "-m", "pip"), pip_platform_tags(self.facts)
        raise ResolveFailed(
            _(
                "no pip here can tell what would be installed (pip 22.2 or newer is needed, in "
                "envwizard's own environment or in {python}); install it and run again"
            ).format(python=interp or self.python)
        )

    # ---- uv ----------------------------------------------------------------------------------
    async def uv(
        self, spec: Install, reqs: list[str], sources: Sources, group: Group, n: int
    ) -> list[Locked]:
        infile = self.run_dir / f"resolve-{n}.in"
        infile.write_text("\n".join(reqs) + "\n", encoding="utf-8")
        self.platform = uv_platform(self.facts) or ""
        base = DryRun(
            Output.UV_REQUIREMENTS,
            (spec.tool or "uv",) if self.here else (own_uv() or "uv",),
            tuple(reqs),
            sources,
            requirements_file=str(infile),
            reads_config=spec.reads_config,
            python=self.python,
            platform=self.platform,
            no_deps=spec.no_deps,
        )
        text_out = self.run_dir / f"resolve-{n}.txt"
        lock_out = self.run_dir / f"pylock.resolve-{n}.toml"
        pylock_run = replace(base, output=Output.UV_PYLOCK, out_file=str(lock_out))
        # The two forms of one resolution, asked side by side: each is a whole uv start and
        # resolve, and the run waits on both before anything is made.
        await both(
            self.ask(replace(base, out_file=str(text_out)).argv(), n, "uv", reqs),
            self.ask(pylock_run.argv(), n, "uv", reqs, log=self.log(n, "pylock")),
        )
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        try:
            text = text_out.read_text(encoding="utf-8")
            pylock = tomllib.loads(lock_out.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ResolveFailed(
                _("uv wrote no readable resolution ({error}); see {log}").format(
                    error=e, log=self.log(n)
                )
            ) from None
        return uv_packages(text, pylock, group, source_list(self.plan, self.facts, [sources]))

    # ---- conda -------------------------------------------------------------------------------
    async def conda(self, spec: Install, n: int) -> list[Locked]:
        create = next((s.spec for s in self.plan.steps if isinstance(s.spec, CreateEnv)), None)
        py = f"python={create.python}" if create is not None else f"python={self.python}"
        dry = DryRun(
            Output.CONDA_JSON,
            (spec.tool,),
            (py, "pip", *spec.requirements),
            spec.sources,
            prefix=spec.target,
        )
        lines = await self.ask(dry.argv(), n, "conda", list(spec.requirements), json_out=True)
        data = last_json_object("\n".join(lines))
        channel = spec.sources.channel or "conda-forge"
        self.platform = platform_key(self.facts.os.system, self.facts.os.machine)
        if data is None or data.get("exception_name") or data.get("error"):
            said = (
                (data or {}).get("message") or (data or {}).get("error") or "\n".join(lines[-20:])
            )
            raise ResolveFailed(self.failed("conda", list(spec.requirements), str(said)), str(said))
        return conda_packages(data, channel)

    # ---- running -----------------------------------------------------------------------------
    def log(self, n: int, form: str = "") -> Path:
        return self.run_dir / f"00-resolve-{n}{'-' + form if form else ''}.log"

    async def ask(
        self,
        argv: list[str],
        n: int,
        who: str,
        reqs: list[str],
        *,
        json_out: bool = False,
        log: Path | None = None,
    ) -> list[str]:
        """Run one dry run; its output lines. ResolveFailed with its own words when it fails."""
        self.commands.append(" ".join(argv))
        lines: list[str] = []
        stall = StallWatch(self.stall_seconds)
        stalled = False

        async def watch(child: Child) -> None:
            nonlocal stalled
            while True:
                await asyncio.sleep(min(1.0, stall.limit / 4))
                if child.pid is not None and stall.stalled(child.pid):
                    stalled = True
                    await child.stop()
                    return

        try:
            async with Child(argv, env=self.env, log_path=log or self.log(n)) as child:
                watcher = asyncio.ensure_future(watch(child))
                try:
                    async for batch in child.batches():
                        stall.saw(batch)
                        shown = [redact_text(line) for line in batch]
                        lines += shown
                        if self.on_output is not None:
                            self.on_output(shown)
                    rc = await child.wait()
                finally:
                    watcher.cancel()
        except OSError as e:
            raise ResolveFailed(
                _("cannot start {program} to resolve: {error}").format(
                    program=argv[0], error=e.strerror or e
                )
            ) from None
        if stalled:
            raise ResolveStalled(stalled_message(_("the resolve"), stall.limit))
        if rc != 0 and not json_out:
            said = "\n".join(installer_error(lines))
            raise ResolveFailed(self.failed(who, reqs, said), said)
        return lines

    def failed(self, who: str, reqs: list[str], said: str) -> str:
        return _(
            "{installer} cannot install {requirements} for Python {python} from the configured "
            "sources, so nothing was created. It said:\n{said}"
        ).format(installer=who, requirements=", ".join(reqs), python=self.python, said=said)


async def both(first: Awaitable[object], second: Awaitable[object]) -> None:
    """Await two dry runs at once; when one fails the other is cancelled (its Child stops its
    process tree) before the failure is raised."""
    tasks = [asyncio.ensure_future(first), asyncio.ensure_future(second)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def source_list(plan: Plan, facts: Facts, groups: Iterable[Sources] | None = None) -> list[str]:
    """Every location the installer looks in: the sources on its command line and, for pip,
    the index, extra indexes and wheel folders of its configuration."""
    out: list[str] = []
    for s in plan.group_sources().values() if groups is None else groups:
        out += s.urls()
    cfg = facts.pip_config
    if cfg is not None and plan.installer.installer is Installer.PIP:
        out += [u for u in [cfg.index_url, *cfg.extra_index_urls, *cfg.find_links] if u]
    return list(dict.fromkeys(out))


def stand_ins(packages: Iterable[Locked], folder: Path) -> Path:
    """Wheels that carry only a name and a version, one per package already locked: what a
    later step is resolved beside, so it needs neither their sources nor their files."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in packages:
        dist = p.name.replace("-", "_")
        info = f"{dist}-{p.version}.dist-info"
        files = {
            f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {p.name}\nVersion: {p.version}\n",
            f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: envwizard\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n",
        }
        files[f"{info}/RECORD"] = "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"])
        with zipfile.ZipFile(folder / f"{dist}-{p.version}-py3-none-any.whl", "w") as z:
            for name, text in files.items():
                z.writestr(name, text)
    return folder


def installer_error(lines: list[str]) -> list[str]:
    """The installer's own error, whole: from its first error line to the end (pip's warnings
    before it are left to the log); the last lines when no line says error."""
    starts = ("ERROR:", "error:", "×", "  ×")
    first = next((i for i, line in enumerate(lines) if line.lstrip().startswith(starts)), None)
    picked = lines[first:] if first is not None else lines[-20:]
    return picked[:SHOWN_LINES]


def _name(requirement: str) -> str:
    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return requirement


def own_uv() -> str | None:
    """envwizard's own uv (a dependency), else the one on PATH: the uv that resolves for
    another machine, whose uv's path means nothing here."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _own_pip() -> tuple[int, ...]:
    try:
        return vkey(metadata.version("pip"))
    except metadata.PackageNotFoundError:
        return ()


# ---- the target platform as installers name it ----------------------------------------------
def uv_platform(facts: Facts) -> str | None:
    """uv's --python-platform for the target machine (None: let uv use its own)."""
    plat = platform_key(facts.os.system, facts.os.machine)
    arch = "aarch64" if plat.endswith(("aarch64", "arm64")) else "x86_64"
    if plat.startswith("linux-"):
        if facts.os.libc == "musl":
            return f"{arch}-unknown-linux-musl"
        minor = _glibc_minor(facts)
        if minor is None or minor < 28:
            return f"{arch}-manylinux_2_17"
        if minor < 31:
            return f"{arch}-manylinux_2_28"
        return f"{arch}-manylinux_2_{min(minor, 40)}"
    if plat.startswith("macos-"):
        return f"{arch}-apple-darwin"
    if plat.startswith("windows-"):
        return f"{arch}-pc-windows-msvc"
    return None


def pip_platform_tags(facts: Facts) -> tuple[str, ...]:
    """pip's --platform tags for a target pip cannot run on: every tag its wheels may carry."""
    plat = platform_key(facts.os.system, facts.os.machine)
    arch = "aarch64" if plat.endswith(("aarch64", "arm64")) else "x86_64"
    if plat.startswith("linux-"):
        minor = _glibc_minor(facts) or 17
        tags = [f"manylinux_2_{m}_{arch}" for m in range(minor, 16, -1)]
        tags.append(f"manylinux2014_{arch}")
        if arch == "x86_64":
            tags += ["manylinux2010_x86_64", "manylinux1_x86_64"]
        return (*tags, f"linux_{arch}")
    if plat.startswith("macos-"):
        major = int((facts.os.macos_version or "11").split(".")[0])
        mac_arch = "arm64" if arch == "aarch64" else "x86_64"
        tags = [f"macosx_{m}_0_{mac_arch}" for m in range(max(major, 11), 10, -1)]
        if mac_arch == "x86_64":
            tags += [f"macosx_10_{m}_x86_64" for m in range(15, 8, -1)]
        return (*tags, "macosx_11_0_universal2")
    if plat.startswith("windows-"):
        return ("win_arm64",) if arch == "aarch64" else ("win_amd64",)
    return ()


def _glibc_minor(facts: Facts) -> int | None:
    try:
        return int((facts.os.glibc or "").split(".")[1])
    except (IndexError, ValueError):
        return None


# ---- what the local sources hold ------------------------------------------------------------
def local_alternatives(lock: Lock, plan: Plan, facts: Facts) -> list[Alternative]:
    """torch-family wheels for the target Python in local wheel folders and file:// indexes:
    what a refusal can point at ("/opt/wheels holds torch 2.13.0+cpu")."""
    names = [p.name for p in lock.packages if p.name in ("torch", "torchvision", "torchaudio")]
    cfg = facts.pip_config
    places = [u for s in plan.group_sources().values() for u in s.urls()]
    if cfg is not None:
        places += [
            *cfg.find_links,
            *cfg.extra_index_urls,
            *([cfg.index_url] if cfg.index_url else []),
        ]
    tag = "cp" + major_minor(plan.decision.python).replace(".", "")
    out: list[Alternative] = []
    for place in places:
        for name in names:
            for filename in _wheel_names(place, name):
                try:
                    dist, version, _build, tags = parse_wheel_filename(filename)
                except ValueError:
                    continue
                if canonicalize_name(dist) != name:
                    continue
                if not any(t.interpreter in (tag, "py3") for t in tags):
                    continue
                out.append(Alternative(name, str(version), place))
    return out


def _wheel_names(place: str, name: str) -> list[str]:
    """Wheel file names in a local folder, or on a file:// index's page for `name`."""
    if "://" not in place:
        folder = place
    elif place.startswith("file://"):
        folder = urllib.parse.unquote(urllib.parse.urlsplit(place).path)
        page = os.path.join(folder, name, "index.html")
        if os.path.isfile(page):
            try:
                with open(page, encoding="utf-8", errors="replace") as f:
                    text = f.read(4 * 2**20)
            except OSError:
                return []
            return [h.split("#")[0].rsplit("/", 1)[-1] for h in _hrefs(text) if ".whl" in h]
    else:
        return []
    try:
        return [f for f in os.listdir(folder) if f.endswith(".whl")]
    except OSError:
        return []


def _hrefs(page: str) -> list[str]:
    return [urllib.parse.unquote(part.split('"', 1)[0]) for part in page.split('href="')[1:]]
