"""The lock written in the formats other tools read (docs/export.md).

Each writer is pure: a lock (and the machine it is for) in, text out. What they share:
- exact pins with the local build tag (`torch==2.13.0+cpu`), every file's hash where the lock
  has one for every file (pip checks hashes all or nothing);
- the sources the lock was resolved against, as `--index-url` / `--extra-index-url` /
  `--find-links` lines, with credentials taken out: a URL with a password is written without
  its user and password, and pip, uv and conda find them in ~/.netrc, a keyring or their own
  configuration on the machine that uses the file. Nothing secret is written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _
from envwizard.core.redact import has_secret, split_credentials
from envwizard.knowledge.mirrors import Kind, presets
from envwizard.plan.lock import DEFAULT_INDEX, Lock, Locked
from envwizard.plan.wheeltags import Target

IMAGE_ROOT = "/opt/envwizard"
"""Where the Dockerfile puts the lock, the verify script and the wheels inside the image."""
IMAGE_ENV = "/opt/env"
"""The environment inside the image."""
DEBIAN_GLIBC = (("bookworm", (2, 36)), ("trixie", (2, 41)))
"""The Debian releases of the python:X.Y-slim images and their glibc."""


# ---- the sources -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceLines:
    """The lock's sources as pip's options, credentials taken out."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    had_credentials: bool = False

    def lines(self) -> list[str]:
        out = ["--no-index"] if self.no_index else []
        out += [f"--index-url {self.index_url}"] if self.index_url else []
        out += [f"--extra-index-url {u}" for u in self.extra_index_urls]
        out += [f"--find-links {u}" for u in self.find_links]
        return out


def without_credentials(url: str) -> str:
    return split_credentials(url)[0] if "://" in url else url


def is_links(source: str) -> bool:
    """A wheel folder or a flat page of links (--find-links), not an index (--index-url)."""
    if "://" not in source:
        return True
    if source.startswith("file://"):
        folder = urllib.parse.unquote(urllib.parse.urlsplit(source).path)
        try:
            return any(name.endswith(".whl") for name in os.listdir(folder))
        except OSError:
            return "simple" not in folder.rstrip("/").split("/")
    bare = without_credentials(source).rstrip("/")
    return any(p.kind is Kind.TORCH_LINKS and _matches_shape(bare, p.url) for p in presets())


def _matches_shape(url: str, shape: str) -> bool:
    head, _sep, tail = shape.rstrip("/").partition("{variant}")
    return url.startswith(head) and url.endswith(tail) if _sep else url == head


def source_lines(lock: Lock, local: bool = True) -> SourceLines:
    """The lock's sources (and those its files came from) as pip options. pip's built-in default
    index stays the default when a locked file came from it; otherwise the first index the lock
    names is the index, and with wheel folders alone, no index at all. `local` False leaves out
    wheel folders and file:// sources (they are not on another machine)."""
    used_default = any(p.source == DEFAULT_INDEX for p in lock.packages)
    indexes: list[str] = []
    links: list[str] = []
    secret = False
    named = [*lock.sources, *(p.source for p in lock.packages if p.source)]
    for s in dict.fromkeys(named):
        if s == DEFAULT_INDEX:
            continue
        secret = secret or has_secret(s) or "****@" in s
        if not local and ("://" not in s or s.startswith("file://")):
            continue
        (links if is_links(s) else indexes).append(without_credentials(s))
    indexes = list(dict.fromkeys(indexes))
    links = list(dict.fromkeys(links))
    if used_default or not indexes:
        # Only wheel folders and no default index: the set came from them alone.
        alone = not used_default and not indexes and bool(links)
        return SourceLines(None, tuple(indexes), tuple(links), alone, secret)
    return SourceLines(indexes[0], tuple(indexes[1:]), tuple(links), False, secret)


def without_userinfo(lock: Lock) -> Lock:
    """The lock with no user name or masked password left in any URL (a file that leaves)."""

    def bare(value: str | None) -> str | None:
        return without_credentials(value) if value else value

    packages = tuple(
        dataclasses.replace(p, url=bare(p.url), source=bare(p.source)) for p in lock.packages
    )
    return dataclasses.replace(
        lock,
        packages=packages,
        sources=tuple(without_credentials(s) for s in lock.sources),
        command=(),
    )


def _hashed(packages: Sequence[Locked]) -> bool:
    return bool(packages) and all(p.hashes for p in packages)


def _pin_lines(packages: Sequence[Locked], hashes: bool) -> list[str]:
    out = []
    for p in packages:
        line = f"{p.name}=={p.version}"
        if hashes:
            line += "".join(f" \\\n    --hash={a}:{d}" for a, d in p.hashes)
        out.append(line)
    return out


def describe(lock: Lock) -> str:
    """`torch 2.13.0+cpu (cpu) for Python 3.11 on linux-x86_64 glibc 2.36`"""
    torch = lock.get("torch") or lock.get("pytorch")
    what = f"{torch.label} ({lock.variant or '-'})" if torch else f"{len(lock.packages)} packages"
    return _("{what} for Python {python} on {platform}").format(
        what=what, python=lock.python, platform=lock.platform
    )


# ---- requirements.txt ----------------------------------------------------------------------------
def requirements_txt(
    lock: Lock,
    *,
    find_links: Iterable[str] | None = None,
    no_index: bool = False,
    sources: SourceLines | None = None,
) -> str:
    """pip's requirements file of the whole lock, installable with `--require-hashes`.

    `find_links`/`no_index` replace the lock's sources (a bundle's own folder, a Docker image's).
    """
    if find_links is not None or no_index:
        sources = SourceLines(find_links=tuple(find_links or ()), no_index=no_index)
    sources = sources or source_lines(lock)
    packages = sorted(lock.packages, key=lambda p: p.name)
    hashed = _hashed(packages)
    head = [
        "# " + _("Made by envwizard from its lock: {what}.").format(what=describe(lock)),
        "# "
        + _("Install into a new environment of that Python with: {command}").format(
            command="python -m pip install --no-deps"
            + (" --require-hashes" if hashed else "")
            + " -r requirements.txt"
        ),
    ]
    if sources.had_credentials:
        head.append(
            "# "
            + _(
                "Credentials are not written here: pip takes them from ~/.netrc, a keyring or "
                "PIP_INDEX_URL on the machine that installs."
            )
        )
    if not hashed:
        head.append("# " + _("Some files have no hash in the lock, so none is written."))
    return "\n".join([*head, *sources.lines(), *_pin_lines(packages, hashed)]) + "\n"


# ---- pylock.toml (PEP 751) -----------------------------------------------------------------------
def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def markers(target: Target) -> str:
    """The PEP 508 environment markers of the machine a lock is for."""
    sys_platform = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}.get(
        target.system, target.system.lower()
    )
    return f"sys_platform == '{sys_platform}' and platform_machine == '{target.machine}'"


def pylock_toml(lock: Lock, target: Target) -> str:
    """A PEP 751 lock file (lock-version 1.0): one wheel per package, its URL and hashes.

    Files in a local folder keep their file:// URL (a lock for this machine); credentials are
    taken out of every URL.
    """
    sources = source_lines(lock)
    indexes = {u for u in [sources.index_url, *sources.extra_index_urls] if u}
    out = [
        "# " + _("Made by envwizard from its lock: {what}.").format(what=describe(lock)),
        'lock-version = "1.0"',
        f"environments = [{_toml(markers(target))}]",
        f"requires-python = {_toml('==' + target.python + '.*')}",
        'created-by = "envwizard"',
    ]
    for p in sorted(lock.packages, key=lambda p: p.name):
        out += ["", "[[packages]]", f"name = {_toml(p.name)}", f"version = {_toml(p.version)}"]
        src = without_credentials(p.source) if p.source else None
        if src in indexes:
            out.append(f"index = {_toml(src)}")
        if p.url:
            url = _file_url(without_credentials(p.url))
            hashes = ", ".join(f"{a} = {_toml(d)}" for a, d in p.hashes)
            entry = f"name = {_toml(p.filename or '')}, url = {_toml(url)}, hashes = {{{hashes}}}"
            key = "wheels" if (p.filename or "").endswith(".whl") else "sdist"
            out.append(f"{key} = [{{{entry}}}]" if key == "wheels" else f"sdist = {{{entry}}}")
    return "\n".join(out) + "\n"


def _file_url(url: str) -> str:
    if "://" in url:
        return url
    return "file://" + urllib.parse.quote(os.path.abspath(url))


# ---- conda environment.yml -----------------------------------------------------------------------
def conda_yaml(lock: Lock, name: str) -> str:
    """conda's environment.yml: conda packages with their channel, or (for a pip lock) Python
    and pip with the pinned wheels and their index lines in its `pip:` section."""
    lines = [
        "# " + _("Made by envwizard from its lock: {what}.").format(what=describe(lock)),
        "# " + _("Create it with: {command}").format(command="conda env create -f environment.yml"),
        f"name: {_yaml(name)}",
        "channels:",
    ]
    if lock.installer.value == "conda":
        channels = [without_credentials(s) for s in lock.sources] or ["conda-forge"]
        lines += [f"  - {_yaml(c)}" for c in dict.fromkeys(channels)]
        lines += ["dependencies:"]
        for p in sorted(lock.packages, key=lambda p: p.name):
            spec = f"{p.name}={p.version}" + (f"={p.build}" if p.build else "")
            lines.append(f"  - {_yaml(spec)}")
        return "\n".join(lines) + "\n"
    lines += [
        "  - conda-forge",
        "dependencies:",
        f"  - python={lock.python}",
        "  - pip",
        "  - pip:",
    ]
    sources = source_lines(lock)
    packages = sorted(lock.packages, key=lambda p: p.name)
    hashed = _hashed(packages)
    for line in sources.lines():
        lines.append(f"    - {_yaml(line)}")
    for p in packages:
        pin = f"{p.name}=={p.version}" + "".join(
            f" --hash={a}:{d}" for a, d in (p.hashes if hashed else ())
        )
        lines.append(f"    - {_yaml(pin)}")
    return "\n".join(lines) + "\n"


def _yaml(text: str) -> str:
    plain = all(c.isalnum() or c in "-_.=+<>!/:~ " for c in text) and not text.startswith(
        ("-", ":", "!")
    )
    return text if plain and ": " not in text else json.dumps(text, ensure_ascii=False)


# ---- Dockerfile and devcontainer ---------------------------------------------------------------
@dataclass(frozen=True)
class Container:
    """A build context: files to write (relative path -> text) and local wheels to copy in."""

    files: dict[str, str]
    copies: dict[str, str] = field(default_factory=dict)
    """Relative path in the context -> the local file to copy there."""


def device_of(variant: str) -> str:
    """verify.py's --device for a build."""
    if variant.startswith(("cu", "rocm")):
        return "cuda"  # ROCm builds answer through torch.cuda too
    if variant in ("xpu", "mps"):
        return variant
    return "cpu"


def base_image(lock: Lock, target: Target) -> str:
    """python:X.Y-slim on the oldest Debian whose glibc loads every wheel of the lock."""
    need: tuple[int, ...] = (2, 17)
    for p in lock.packages:
        if p.filename:
            got = target.glibc_needed(p.filename)
            if got:
                need = max(need, tuple(int(x) for x in got.split(".")))
    debian = next((name for name, have in DEBIAN_GLIBC if have >= need), DEBIAN_GLIBC[-1][0])
    return f"python:{target.python}-slim-{debian}"


def local_file(p: Locked) -> str | None:
    """The path of a locked file that lies on this machine (a wheel folder, a file:// index)."""
    if not p.url:
        return None
    if p.url.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlsplit(p.url).path)
    return None if "://" in p.url else p.url


def dockerfile_context(
    lock: Lock, target: Target, verify_script: str, prefix: str = ""
) -> Container:
    """A Dockerfile that recreates the environment from the lock and runs envwizard's verify.

    Files that lie on this machine are copied into the context (`wheels/`); the rest come from
    the lock's remote indexes. With credentials, BuildKit's secret mount gives pip a netrc for
    the one RUN that installs, so they never enter a layer.
    """
    if lock.installer.value == "conda":
        raise InvalidInput(
            _(
                "a Dockerfile is written for pip's and uv's locks; for a conda environment, "
                "export --format conda and build it on a conda image"
            )
        )
    copies: dict[str, str] = {}
    for p in lock.packages:
        path = local_file(p)
        if path and p.filename:
            copies[f"{prefix}wheels/{p.filename}"] = path
    remote = source_lines(lock, local=False)
    has_remote = bool(remote.index_url or remote.extra_index_urls) or _default_used(lock)
    sources = SourceLines(
        remote.index_url,
        remote.extra_index_urls,
        (f"{IMAGE_ROOT}/wheels",) if copies else (),
        no_index=not has_remote,
        had_credentials=remote.had_credentials,
    )
    device = device_of(lock.variant)
    verify = [
        f"{IMAGE_ENV}/bin/python",
        f"{IMAGE_ROOT}/verify.py",
        "--lock",
        f"{IMAGE_ROOT}/envwizard-lock.json",
    ]
    verify += ["--variant", lock.variant] if lock.variant else []
    secret = "--mount=type=secret,id=netrc,target=/root/.netrc " if sources.had_credentials else ""
    text = [
        "# syntax=docker/dockerfile:1",
        "# " + _("Made by envwizard from its lock: {what}.").format(what=describe(lock)),
        "# " + _("Build it with: {command}").format(command="docker build -t envwizard-env ."),
    ]
    if sources.had_credentials:
        text.append(
            "# "
            + _(
                "The index needs credentials: pass them as a secret, never as an argument: {command}"
            ).format(command="docker build --secret id=netrc,src=$HOME/.netrc -t envwizard-env .")
        )
    text += [
        f"FROM {base_image(lock, target)}",
        "ENV PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1",
        f"COPY requirements.txt envwizard-lock.json verify.py {IMAGE_ROOT}/",
    ]
    if copies:
        text.append(f"COPY wheels/ {IMAGE_ROOT}/wheels/")
    hashed = _hashed(lock.packages)
    text += [
        f"RUN python -m venv {IMAGE_ENV}",
        f"RUN {secret}{IMAGE_ENV}/bin/python -m pip install --no-deps"
        + (" --require-hashes" if hashed else "")
        + f" -r {IMAGE_ROOT}/requirements.txt",
        "# "
        + _("envwizard's verify: every locked distribution at its version, torch the chosen build"),
        "RUN " + " ".join([*verify, "--device", "cpu"]),
        f'ENV PATH="{IMAGE_ENV}/bin:$PATH" VIRTUAL_ENV="{IMAGE_ENV}"',
        "# " + _("Run it on the device: {command}").format(command=run_hint(device)),
        "CMD " + json.dumps([*verify, "--device", device]),
    ]
    files = {
        f"{prefix}Dockerfile": "\n".join(text) + "\n",
        f"{prefix}requirements.txt": requirements_txt(lock, sources=sources),
        f"{prefix}envwizard-lock.json": without_userinfo(lock).to_json(),
        f"{prefix}verify.py": verify_script,
    }
    return Container(files, copies)


def _default_used(lock: Lock) -> bool:
    return any(p.source == DEFAULT_INDEX for p in lock.packages)


def run_hint(device: str) -> str:
    if device == "cuda":
        return "docker run --rm --gpus all envwizard-env"
    return "docker run --rm envwizard-env"


def run_args(variant: str) -> list[str]:
    """What `docker run` needs to reach the GPUs of a build."""
    if variant.startswith("cu"):
        return ["--gpus", "all"]
    if variant.startswith("rocm"):
        return ["--device=/dev/kfd", "--device=/dev/dri", "--group-add", "video"]
    if variant == "xpu":
        return ["--device=/dev/dri"]
    return []


def devcontainer_context(lock: Lock, target: Target, verify_script: str, name: str) -> Container:
    """`.devcontainer/` with devcontainer.json building the Dockerfile above."""
    inner = dockerfile_context(lock, target, verify_script, prefix=".devcontainer/")
    config = {
        "name": f"envwizard: {name}",
        "build": {"dockerfile": "Dockerfile", "context": "."},
        "runArgs": run_args(lock.variant),
        "containerEnv": {"VIRTUAL_ENV": IMAGE_ENV},
        "customizations": {
            "vscode": {
                "settings": {"python.defaultInterpreterPath": f"{IMAGE_ENV}/bin/python"},
                "extensions": ["ms-python.python"],
            }
        },
        "postCreateCommand": " ".join(
            [
                f"{IMAGE_ENV}/bin/python",
                f"{IMAGE_ROOT}/verify.py",
                "--lock",
                f"{IMAGE_ROOT}/envwizard-lock.json",
                *(["--variant", lock.variant] if lock.variant else []),
                "--device",
                device_of(lock.variant),
            ]
        ),
    }
    if lock.variant.startswith("cu"):
        config["hostRequirements"] = {"gpu": True}
    files = dict(inner.files)
    files[".devcontainer/devcontainer.json"] = json.dumps(config, indent=2) + "\n"
    return Container(files, inner.copies)
