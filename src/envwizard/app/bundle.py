"""`envwizard bundle` and `envwizard --answers FILE --bundle DIR`: gather here, install there.

The bundle command plans for the target (this machine, or the one `--facts` describes),
resolves for the target's platform and Python, and fetches every file of the lock into OUT
with a progress bar (docs/bundle.md). Installing from a bundle checks it before anything is
created, then runs the usual steps from the bundle's folder only.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from envwizard.core.errors import EXIT_OK, InvalidInput
from envwizard.core.i18n import _, set_answers_language
from envwizard.plan.steps import StepKind
from envwizard.plan.wheeltags import Target
from envwizard.run.bundle import (
    PYTHON_DIR,
    TOOLS,
    BundledFile,
    Manifest,
    check_bundle,
    fetch_all,
    human_size,
    isolated_env,
    now,
    open_bundle,
    prepare_folder,
    write_bundle,
)
from envwizard.run.fetch import Fetcher, file_digest

if TYPE_CHECKING:
    from envwizard.facts.model import Facts
    from envwizard.plan.build import Plan
    from envwizard.plan.lock import Lock
    from envwizard.settings.answers import Answers


# ---- making a bundle -----------------------------------------------------------------------------
def bundle_command(args: argparse.Namespace) -> int:
    from envwizard.app.commands import plan_for
    from envwizard.settings.answers import load_answers

    answers = load_answers(args.answers)
    set_answers_language(answers.lang)
    if answers.is_conda:
        raise InvalidInput(
            _(
                "manager: {manager} installs conda packages, and a bundle holds wheels; choose "
                "manager: venv, virtualenv or uv for a bundle"
            ).format(manager=answers.manager)
        )
    out = Path(args.out).expanduser().absolute()
    prepare_folder(out)
    started = time.monotonic()
    facts, plan = plan_for(answers, args.facts)
    target = Target.of(facts, plan.decision.python)
    console = Console(stderr=True)
    console.print(
        _("bundle: planning for {target}; resolving what the environment installs").format(
            target=target.describe()
        )
    )
    lock = resolve_for(plan, facts, answers, here=args.facts is None)
    fetcher = Fetcher(sources(plan, facts, answers), cafile=cafile(facts))
    with DownloadView(console) as view:
        files = fetch_all(lock, out, target, fetcher, view.update)
    python = uv = None
    if args.with_python:
        python, uv = with_python(target, out, answers, console)
    torch = lock.get("torch")
    manifest = Manifest(
        target=target,
        variant=lock.variant or plan.decision.variant,
        torch=torch.version if torch else None,
        installer=lock.installer.value,
        manager=plan.manager,
        files=tuple(files),
        python=python,
        uv=uv,
        created=now(),
        seconds=round(time.monotonic() - started, 1),
    )
    write_bundle(out, manifest, lock, answers, plan.to_dict())
    print(
        _(
            "bundle: {out} holds {count} files ({size}) for {target}, made in {seconds:.0f} s. "
            "On that machine: envwizard --answers {out}/answers.yaml --bundle {out}"
        ).format(
            out=out,
            count=len(files),
            size=human_size(manifest.size),
            target=target.describe(),
            seconds=manifest.seconds or 0,
        )
    )
    return EXIT_OK


def resolve_for(plan: Plan, facts: Facts, answers: Answers, *, here: bool) -> Lock:
    """The lock of the plan, resolved for the target's platform and Python."""
    from envwizard.run.resolve import resolve
    from envwizard.run.runner import new_run_dir

    run_dir = new_run_dir(plan)
    stall = float(answers.stall_seconds)
    locked = asyncio.run(resolve(plan, facts, run_dir, stall_seconds=stall, here=here))
    assert locked.lock is not None
    return locked.lock


def sources(plan: Plan, facts: Facts, answers: Answers) -> list[str]:
    """Every index and wheel folder the run may use, credentials included (kept in memory)."""
    out = [answers.index_url, plan.decision.index_url, *answers.find_links]
    cfg = facts.pip_config
    if cfg is not None:
        out += [cfg.index_url, *cfg.extra_index_urls, *cfg.find_links]
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL"):
        out += os.environ.get(name, "").split()
    return [s for s in dict.fromkeys(out) if s]


def cafile(facts: Facts) -> str | None:
    """The CA bundle pip would use here (PIP_CERT, pip's `cert`), else SSL's own variables."""
    cfg = facts.pip_config
    for value in (
        os.environ.get("PIP_CERT"),
        cfg.cert if cfg else None,
        os.environ.get("SSL_CERT_FILE"),
        os.environ.get("REQUESTS_CA_BUNDLE"),
    ):
        if value and os.path.isfile(value):
            return value
    return None


def with_python(
    target: Target, out: Path, answers: Answers, console: Console
) -> tuple[BundledFile, BundledFile]:
    from envwizard.run.standalone import fetch_python, fetch_uv, uv_binary

    uv = uv_binary()
    console.print(
        _("bundle: fetching a standalone Python {python} and uv for {platform}").format(
            python=target.python, platform=target.platform
        )
    )
    archive, version = fetch_python(target, out / PYTHON_DIR, uv)
    pip_sources = {"PIP_FIND_LINKS": " ".join(answers.find_links)} if answers.find_links else {}
    if answers.index_url:
        pip_sources["PIP_INDEX_URL"] = answers.index_url
    if answers.offline:
        pip_sources["PIP_NO_INDEX"] = "1"
    wheel, uv_version = fetch_uv(target, out / TOOLS, uv, pip_sources)
    return (
        _bundled("python", version, archive, out),
        _bundled("uv", uv_version, wheel, out),
    )


def _bundled(name: str, version: str, path: Path, out: Path) -> BundledFile:
    return BundledFile(
        name,
        version,
        path.relative_to(out).as_posix(),
        file_digest(path),
        path.stat().st_size,
        group="extra",
    )


class DownloadView:
    """A progress bar per file on a terminal; one line per file otherwise."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.last = ""

    def __enter__(self) -> DownloadView:
        if self.live:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.__exit__(None, None, None)

    def update(self, label: str, done: int, total: int | None) -> None:
        if self.live:
            if label not in self.tasks:
                self.tasks[label] = self.progress.add_task(label, total=total)
            self.progress.update(self.tasks[label], completed=done, total=total)
            return
        if total is not None and done >= total and label != self.last:
            self.last = label
            self.console.print(
                _("fetched {label} ({size})").format(label=label, size=human_size(done))
            )


# ---- installing from one -------------------------------------------------------------------------
def apply_bundle_command(args: argparse.Namespace) -> int:
    """`envwizard --answers FILE --bundle DIR`: the headless run, from the bundle only."""
    from envwizard.app.commands import dry_run, probe_here
    from envwizard.app.headless import apply
    from envwizard.app.session import Session, plan_answers
    from envwizard.settings.answers import load_answers

    answers = load_answers(args.answers)
    set_answers_language(answers.lang)
    console = Console()
    bundle = Bundle.open(args.bundle)
    facts = probe_here()
    answers = bundle.answers(answers, facts, console)
    plan = bundle.plan(plan_answers(facts, answers, here=True).plan)
    done = bundle.check(facts, plan)
    console.print(
        _("bundle: {count} files checked against the lock ({size}), for {target}").format(
            count=done,
            size=human_size(bundle.manifest.size),
            target=bundle.target_here(facts, plan),
        )
    )
    session = Session(
        facts,
        answers,
        plan,
        rebenchmark=args.rebenchmark,
        stall_seconds=getattr(args, "stall_seconds", None),
        given_lock=bundle.lock_here,
    )
    if args.dry_run:
        return dry_run(session)
    return apply(session, yes=args.yes, report=args.report)


@dataclasses.dataclass(frozen=True)
class Bundle:
    """A bundle to install from: the answers, plan and lock that install it here, and the
    check that it would install exactly its lock on this machine (both front ends use it)."""

    root: Path
    manifest: Manifest
    lock: Lock

    @classmethod
    def open(cls, folder: str) -> Bundle:
        """InvalidInput in one sentence when `folder` is not a bundle."""
        root = Path(folder).expanduser().absolute()
        manifest, lock = open_bundle(root)
        return cls(root, manifest, lock)

    @property
    def lock_here(self) -> Lock:
        """The lock with every file where the bundle holds it: what the session installs."""
        from envwizard.run.bundle import relocated

        return relocated(self.lock, self.root)

    def answers(self, answers: Answers, facts: Facts, console: Console | None = None) -> Answers:
        """The answers installing from the bundle only; with the bundle's own CPython as the
        interpreter when it has one and this machine (`facts`) has no Python of its version."""
        from envwizard.core.versions import major_minor
        from envwizard.run.bundle import bundle_answers

        answers = bundle_answers(answers, self.root)
        version = self.manifest.target.python
        pythons = [facts.python, *facts.pythons]
        if self.manifest.python is not None and not any(
            major_minor(p.version) == version for p in pythons if not p.error
        ):
            answers = _bundled_python(answers, self.root, self.manifest, console)
        return answers

    def plan(self, plan: Plan) -> Plan:
        """The plan with install steps that no configuration of pip or uv can add a source to."""
        env = isolated_env(self.root)
        steps = [
            dataclasses.replace(s, env={**s.env, **env}) if s.kind is StepKind.INSTALL else s
            for s in plan.steps
        ]
        return dataclasses.replace(plan, steps=steps)

    def target_here(self, facts: Facts, plan: Plan) -> str:
        return Target.of(facts, plan.decision.python).describe()

    def check(self, facts: Facts, plan: Plan) -> int:
        """Refuse (InvalidInput, one sentence) a bundle that would not install exactly its lock
        for this plan here; the number of files checked."""
        done: list[str] = []
        here = Target.of(facts, plan.decision.python)
        check_bundle(
            self.root, self.manifest, self.lock, here, plan.decision.variant, on_file=done.append
        )
        return len(done)


def _bundled_python(
    answers: Answers, root: Path, manifest: Manifest, console: Console | None
) -> Answers:
    """The answers with the bundle's own standalone Python as the interpreter."""
    from envwizard.run.standalone import unpack_python

    assert manifest.python is not None
    python = unpack_python(root / manifest.python.path, manifest.python.sha256)
    if console is not None:
        console.print(
            _("bundle: using its standalone Python {version} ({path})").format(
                version=manifest.python.version, path=python
            )
        )
    return dataclasses.replace(answers, python=str(python))
