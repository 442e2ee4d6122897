"""A standalone CPython and uv for a bundle's target (`envwizard bundle --with-python`).

A target machine may have no Python of the version the bundle's wheels are for. uv knows the
standalone CPython builds for every platform (`uv python install` takes a key such as
`cpython-3.12-linux-aarch64-gnu`, for any platform) and checks each archive's SHA-256 against
its own table; with UV_PYTHON_CACHE_DIR it keeps the archive it fetched, and that archive is
what goes into the bundle. uv's mirror settings (UV_PYTHON_INSTALL_MIRROR,
UV_PYTHON_DOWNLOADS_JSON_URL) are honoured, as in any uv run. uv itself for the target is its
wheel from the configured indexes (`pip download uv==X --platform ...`).

On the target, the archive (checked against the manifest) is unpacked into envwizard's data
folder and its interpreter creates the environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _
from envwizard.core.redact import redact_text
from envwizard.plan.wheeltags import Target
from envwizard.run.childenv import child_env
from envwizard.run.fetch import FetchFailed, file_digest

ARCHIVE = re.compile(r"^(?:[0-9a-f]+-)?(cpython-(\d+\.\d+\.\d+)\+\d+-[^/]+\.tar\.(?:gz|zst))$")
"""python-build-standalone's archive name (uv's cache puts a short hash in front)."""
TIMEOUT = 1800


def python_key(target: Target) -> str:
    """uv's download key for the target: `cpython-3.12-linux-aarch64-gnu`."""
    os_name = target.platform.split("-", 1)[0]
    libc = "none"
    if os_name == "linux":
        libc = "musl" if target.libc == "musl" else "gnu"
    return f"cpython-{target.python}-{os_name}-{target.arch}-{libc}"


def uv_binary() -> str:
    """envwizard's own uv (a dependency), else the one on PATH."""
    from envwizard.run.resolve import own_uv

    found = own_uv()
    if not found:
        raise InvalidInput(
            _("--with-python needs uv, and none is installed here; install uv and run again")
        )
    return found


def fetch_python(target: Target, into: Path, uv: str) -> tuple[Path, str]:
    """The standalone CPython archive for the target in `into`, and its full version."""
    key = python_key(target)
    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="envwizard-python-") as tmp:
        cache = Path(tmp) / "cache"
        argv = [uv, "python", "install", key, "--install-dir", str(Path(tmp) / "install")]
        argv += ["--no-bin", "--no-registry", "--no-config"]
        env = child_env(None, {"UV_PYTHON_CACHE_DIR": str(cache), "UV_NO_PROGRESS": "1"})
        try:
            done = subprocess.run(
                argv, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise FetchFailed(
                _("cannot fetch a standalone Python {key}: {error}").format(key=key, error=e)
            ) from None
        found = [p for p in cache.rglob("*") if p.is_file() and ARCHIVE.match(p.name)]
        if not found and done.returncode == 0:
            found = _local_download(uv, key, env)  # uv reads a file:// mirror in place
        if not found:
            lines = (done.stderr or done.stdout).strip().splitlines()
            raise FetchFailed(
                _("uv could not fetch a standalone Python {key}: {said}").format(
                    key=key, said=redact_text(lines[-1]) if lines else done.returncode
                )
            )
        match = ARCHIVE.match(found[0].name)
        assert match is not None
        dest = into / match.group(1)
        shutil.copyfile(found[0], dest)
        return dest, match.group(2)


def _local_download(uv: str, key: str, env: Mapping[str, str]) -> list[Path]:
    """The archive uv installed from, when its list of builds names a local file (a mirror on
    disk): uv checked its SHA-256 as it installed it."""
    argv = [uv, "python", "list", key, "--only-downloads", "--all-platforms"]
    argv += ["--output-format", "json", "--no-config"]
    done = subprocess.run(argv, env=dict(env), capture_output=True, text=True, check=False)
    try:
        rows = json.loads(done.stdout or "[]")
    except ValueError:
        return []
    for row in rows if isinstance(rows, list) else []:
        url = str(row.get("url") or "")
        if url.startswith("file://"):
            path = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
            if path.is_file() and ARCHIVE.match(path.name):
                return [path]
    return []


def fetch_uv(target: Target, into: Path, uv: str, sources: Mapping[str, str]) -> tuple[Path, str]:
    """uv's own wheel for the target, from the configured sources, and its version.

    `sources` are pip's variables for the answers' index and wheel folders (PIP_INDEX_URL,
    PIP_FIND_LINKS, PIP_NO_INDEX): credentials go through the environment, never the
    command line."""
    version = uv_version(uv)
    into.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    argv += ["--disable-pip-version-check", "--no-input", "--dest", str(into)]
    argv += ["--python-version", target.python, "--implementation", "cp"]
    for tag in target.platform_tags():
        argv += ["--platform", tag]
    argv.append(f"uv=={version}")
    done = subprocess.run(
        argv,
        env=child_env(None, dict(sources)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    wheels = sorted(into.glob(f"uv-{version}-*.whl"))
    if done.returncode != 0 or not wheels:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise FetchFailed(
            _("cannot fetch uv {version} for {platform}: {said}").format(
                version=version,
                platform=target.platform,
                said=redact_text(lines[-1]) if lines else done.returncode,
            )
        )
    return wheels[0], version


def uv_version(uv: str) -> str:
    out = subprocess.run([uv, "--version"], capture_output=True, text=True, check=False).stdout
    m = re.search(r"(\d+\.\d+\.\d+)", out)
    if not m:
        raise InvalidInput(_("cannot tell the version of {uv}").format(uv=uv))
    return m.group(1)


def unpack_python(archive: Path, sha256: str, root: Path | None = None) -> Path:
    """The interpreter of a bundled standalone CPython, unpacked once into envwizard's data
    folder (checked against the manifest's SHA-256 first)."""
    if file_digest(archive) != sha256:
        raise InvalidInput(
            _(
                "bundle: {file} is not the file its manifest names (its SHA-256 differs); copy it "
                "again"
            ).format(file=archive)
        )
    base = root or Path(platformdirs.user_data_dir("envwizard")) / "python"
    name = archive.name.split(".tar.")[0]
    dest = base / name
    python = _interpreter(dest)
    if python is not None:
        return python
    part = base / (name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(part, filter="data")
    os.replace(part, dest)
    python = _interpreter(dest)
    if python is None:
        raise InvalidInput(_("bundle: {file} holds no Python interpreter").format(file=archive))
    return python


def _interpreter(folder: Path) -> Path | None:
    for rel in ("python/bin/python3", "python/install/bin/python3", "python/python.exe"):
        if (folder / rel).is_file():
            return folder / rel
    return None
