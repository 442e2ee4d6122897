"""Credentials reach an installer through its environment or a private file, never its argv.

A command line is readable by every local user (`/proc/PID/cmdline`, `ps`); a process's
environment only by its owner. So before a child starts, every `scheme://user:secret@` URL on its
argv is taken off it:

- an index option's values move, whole and in order, to the variable the installer reads for
  that option (the command line overrides the variable, so nothing else changes): uv's
  `UV_INDEX_URL`, `UV_DEFAULT_INDEX`, `UV_EXTRA_INDEX_URL`, `UV_INDEX`, `UV_FIND_LINKS`; pip's
  `PIP_INDEX_URL`. These are honoured by every uv release that has the option and by every pip.
- any other URL keeps its place without its userinfo, and the credentials go into a private
  netrc file (mode 0600, in a folder only this user can open, removed when the child has gone)
  named by `NETRC`, after the person's own netrc. pip (21.0 on) and uv read it; pip's option
  that adds to its configuration (`--extra-index-url`, `--find-links`) must stay on the argv,
  because pip's variable for it would replace the configured value instead of adding to it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envwizard.core.i18n import _
from envwizard.core.redact import has_secret, split_argv_credentials, split_credentials

UV_OPTIONS = {
    "--index-url": ("UV_INDEX_URL", " "),
    "-i": ("UV_INDEX_URL", " "),
    "--default-index": ("UV_DEFAULT_INDEX", " "),
    "--extra-index-url": ("UV_EXTRA_INDEX_URL", " "),
    "--index": ("UV_INDEX", " "),
    "--find-links": ("UV_FIND_LINKS", ","),
    "-f": ("UV_FIND_LINKS", ","),
}
"""uv's options that take URLs, the variable that stands for each, and how a list is joined."""
PIP_OPTIONS = {"--index-url": ("PIP_INDEX_URL", ""), "-i": ("PIP_INDEX_URL", "")}
"""pip's: only the one whose variable replaces the configured value as the option does."""


@dataclass
class Hidden:
    """What the child is started with, and the private folder to remove once it has gone."""

    argv: list[str]
    env: dict[str, str] | None
    folder: Path | None = None

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def hide(argv: list[str], env: Mapping[str, str] | None = None) -> Hidden:
    """The argv with no credential on it, and the environment that carries them instead.

    OSError when credentials cannot be carried (two URLs of one host with different ones).
    """
    if not any(has_secret(a) for a in argv):
        return Hidden(list(argv), dict(env) if env is not None else None)
    child = dict(os.environ if env is None else env)
    argv = _move_options(argv, _options(argv), child)
    argv, moved = split_argv_credentials(argv)
    hidden = Hidden(argv, child)
    if moved:
        hidden.folder = _private_netrc(moved, child)
    return hidden


def _options(argv: list[str]) -> dict[str, tuple[str, str]]:
    exe = os.path.basename(argv[0]).lower() if argv else ""
    if exe in ("uv", "uv.exe"):
        return UV_OPTIONS
    if argv[1:3] == ["-m", "pip"] or exe.startswith("pip"):
        return PIP_OPTIONS
    return {}


def _move_options(
    argv: list[str], options: Mapping[str, tuple[str, str]], env: dict[str, str]
) -> list[str]:
    """Take every value of an option off the argv into its variable, where one carries a secret."""
    found: dict[str, list[tuple[int, int, str]]] = {}  # variable -> (index, width, value)
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if arg in options and i + 1 < len(argv):
            found.setdefault(options[arg][0], []).append((i, 2, argv[i + 1]))
            i += 2
            continue
        if eq and name in options and name.startswith("--"):
            found.setdefault(options[name][0], []).append((i, 1, value))
        i += 1
    drop: set[int] = set()
    joins = {var: sep for var, sep in options.values()}
    for var, hits in found.items():
        values = [hit[2] for hit in hits]
        sep = joins[var]
        if not any(has_secret(v) for v in values) or (sep and any(sep in v for v in values)):
            continue  # nothing to hide, or a value the variable's list cannot hold
        env[var] = sep.join(values) if sep else values[-1]
        for index, width, _value in hits:
            drop.update(range(index, index + width))
    return [a for i, a in enumerate(argv) if i not in drop]


def _private_netrc(moved: list[tuple[str, str]], env: dict[str, str]) -> Path:
    """Write the credentials of `moved` into a fresh private netrc; point NETRC at it."""
    entries: dict[str, tuple[str, str]] = {}
    for bare, url in moved:
        host = urllib.parse.urlsplit(bare).hostname or ""
        _bare, user, password = split_credentials(url)
        pair = (user or "", password or "")
        if entries.get(host, pair) != pair:
            raise OSError(
                _(
                    "two URLs on {host} carry different credentials; envwizard hands credentials "
                    "to the installer by host, so give that host's URLs one set of credentials"
                ).format(host=host)
            )
        entries[host] = pair
    own = env.get("NETRC") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".netrc")
    before = ""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        before = Path(own).read_text(encoding="utf-8") + "\n\n"
    folder = Path(tempfile.mkdtemp(prefix="envwizard-", dir=_runtime_dir(env)))
    path = folder / "netrc"
    lines = [f"machine {h} login {_word(u)} password {_word(p)}" for h, (u, p) in entries.items()]
    # Later entries win (Python's netrc and uv's): the URL's own credentials come last.
    text = before + "\n".join(lines) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    env["NETRC"] = str(path)
    return folder


def _word(value: str) -> str:
    """A netrc token: bare when it can be, else quoted (an empty password is `""`)."""
    if value and not re.search(r'[\s"\\]', value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _runtime_dir(env: Mapping[str, str]) -> str | None:
    """The user's private runtime folder (a tmpfs cleared at logout) when there is one."""
    run = env.get("XDG_RUNTIME_DIR")
    return run if run and os.path.isdir(run) and os.access(run, os.W_OK) else None
