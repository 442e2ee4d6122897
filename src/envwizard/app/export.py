"""`envwizard export ENV --format ...`: an environment's lock in the files other tools read.

ENV is an environment envwizard made (its lock lies inside it), a bundle, or a lock file. The
writers are in envwizard.plan.export; this module finds the lock and the machine it is for,
and writes the files without replacing anything it was not told to (docs/export.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import sys
from pathlib import Path

from envwizard.core.errors import EXIT_OK, InvalidInput
from envwizard.core.i18n import _
from envwizard.plan.export import (
    Container,
    conda_yaml,
    devcontainer_context,
    dockerfile_context,
    pylock_toml,
    requirements_txt,
)
from envwizard.plan.lock import LOCK_FILE, Lock
from envwizard.plan.wheeltags import Target

PYLOCK_NAME = re.compile(r"^pylock(\.[^.]+)?\.toml$")
"""PEP 751's file names: pylock.toml or pylock.NAME.toml."""


def load_lock(where: str) -> tuple[Lock, Target, str]:
    """The lock at ENV (an environment, a bundle or the lock file itself), the machine it is
    for, and a name for it."""
    path = Path(where).expanduser()
    if not path.exists():
        raise InvalidInput(_("{env}: no such environment, bundle or lock file").format(env=where))
    lock_path = path if path.is_file() else path / LOCK_FILE
    if not lock_path.is_file():
        raise InvalidInput(
            _(
                "{env} has no envwizard lock ({lock}); export reads environments envwizard made, "
                "its bundles, or a lock file"
            ).format(env=where, lock=LOCK_FILE)
        )
    try:
        lock = Lock.from_dict(json.loads(lock_path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as e:
        raise InvalidInput(
            _("{lock}: not an envwizard lock ({error})").format(lock=lock_path, error=e)
        ) from None
    folder = lock_path.parent
    name = folder.name or "env"
    if (folder / "envwizard-bundle.json").is_file():
        from envwizard.run.bundle import open_bundle

        manifest, _lock = open_bundle(folder)
        return lock, manifest.target, name
    libc, glibc = platform.libc_ver()
    return (
        lock,
        Target(
            platform.system(),
            platform.machine(),
            ".".join(lock.python.split(".")[:2]),
            glibc if libc == "glibc" else None,
        ),
        name,
    )


def verify_script() -> str:
    from envwizard.plan.build import script_path

    return Path(script_path("verify.py")).read_text(encoding="utf-8")


def export_command(args: argparse.Namespace) -> int:
    lock, target, name = load_lock(args.env)
    fmt = args.format
    if fmt in ("requirements", "pylock", "conda"):
        if fmt == "requirements":
            text = requirements_txt(lock)
        elif fmt == "pylock":
            if args.output and not PYLOCK_NAME.match(Path(args.output).name):
                raise InvalidInput(
                    _(
                        "-o {path}: a PEP 751 lock file is named pylock.toml or "
                        "pylock.NAME.toml, and installers refuse other names"
                    ).format(path=args.output)
                )
            text = pylock_toml(lock, target)
        else:
            text = conda_yaml(lock, name)
        _guard(text)
        if not args.output:
            sys.stdout.write(text)
            return EXIT_OK
        out = Path(args.output).expanduser()
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as e:
            raise InvalidInput(
                _("cannot write {path}: {error}").format(path=out, error=e.strerror or e)
            ) from None
        _said(_("wrote {path}").format(path=out))
        return EXIT_OK
    if fmt == "dockerfile":
        folder = Path(args.output or "envwizard-docker").expanduser()
        ctx = dockerfile_context(lock, target, verify_script())
        write_context(folder, ctx)
        _said(
            _("wrote {path}: build it with `docker build -t envwizard-env {path}`").format(
                path=folder
            )
        )
        return EXIT_OK
    folder = Path(args.output or ".").expanduser()
    ctx = devcontainer_context(lock, target, verify_script(), name)
    write_context(folder, ctx)
    _said(
        _("wrote {path}: open the folder in an editor that reads devcontainers").format(
            path=folder / ".devcontainer"
        )
    )
    return EXIT_OK


def write_context(folder: Path, ctx: Container) -> None:
    """The context's files into `folder`; refused, before anything is written, when one of them
    is already there (nothing is replaced that export was not asked to replace)."""
    names = [*ctx.files, *ctx.copies]
    there = [n for n in names if (folder / n).exists()]
    if there:
        raise InvalidInput(
            _("{path} already exists; choose another -o folder or move it away").format(
                path=folder / there[0]
            )
        )
    for text in ctx.files.values():
        _guard(text)
    for rel, text in ctx.files.items():
        dest = folder / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    for rel, src in ctx.copies.items():
        dest = folder / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dest)  # same disk: no copy of a 2 GB wheel
        except OSError:
            with contextlib.suppress(FileNotFoundError):
                dest.unlink()
            try:
                shutil.copyfile(src, dest)
            except OSError as e:
                raise InvalidInput(
                    _("cannot copy {src} into {dest}: {error}").format(
                        src=src, dest=dest, error=e.strerror or e
                    )
                ) from None


USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s@'\"]+@")


def _guard(text: str) -> None:
    """A last check: no user name or password in a URL reaches an exported file."""
    if USERINFO.search(text):
        raise InvalidInput(_("export: refusing to write a credential into a file"))


def _said(text: str) -> None:
    print(text, file=sys.stderr)
