"""Bundles and exports used for real (slow): a real torch CPU bundle made here and installed in a
network namespace with no network and pip's and uv's configuration emptied; a bundle for an
aarch64 machine checked by its wheel tags; refusals through the command line; requirements and
pylock exports recreating the same set in a fresh venv offline; the Dockerfile built where a
container engine answers."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from envwizard.plan.wheeltags import Target

from ..conftest import local_torch_version
from .conftest import build_wheel, run_envwizard

pytestmark = pytest.mark.slow

NO_NETWORK = shutil.which("unshare") is not None and os.geteuid() == 0


def offline_env(state: Path) -> dict[str, str]:
    """A child environment with pip's and uv's configuration emptied and no PIP_*/UV_* left."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        UV_NO_CONFIG="1",
        XDG_STATE_HOME=str(state),
        XDG_DATA_HOME=str(state / "data"),
    )
    return env


def in_no_network(
    argv: list[str], env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """argv in a new network namespace: only a loopback that is down, no route anywhere."""
    return subprocess.run(
        ["unshare", "--net", "--", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def local_index() -> str | None:
    """A file:// index pip is configured with here (offline copies of the default index), so
    that the bundle is made without reaching the network."""
    r = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    )
    for line in r.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.strip().endswith(("extra-index-url", "index-url")):
            for url in value.strip().strip("'\"").split():
                if url.startswith("file://"):
                    return url
    return None


def freeze(python: Path) -> list[str]:
    r = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )
    return sorted(line for line in r.stdout.splitlines() if not line.startswith("pip=="))


@pytest.fixture(scope="module")
def cpu_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """`envwizard bundle` of the CPU stack (torch from the local wheel folder, numpy), then its
    install from the bundle with no network: made once, read by several tests."""
    version = local_torch_version()
    if not version:
        pytest.skip("no local torch wheel for this Python in pip's wheel folders")
    root = tmp_path_factory.mktemp("cpu-stack")
    answers = root / "answers.yaml"
    env_dir = root / "env"
    index = local_index()
    answers.write_text(
        f"manager: venv\nenv: {env_dir}\npython: {sys.executable}\ncompute: cpu\n"
        f"torch: '=={version.split('+')[0]}'\ntorch_index: default\npackages: [numpy]\n"
        "benchmark: {enabled: true, seconds: 2}\n" + (f"index_url: {index}\n" if index else "")
    )
    out = root / "bundle"
    t0 = time.monotonic()
    made = run_envwizard("bundle", "--answers", str(answers), str(out), state=root / "state")
    bundle_seconds = time.monotonic() - t0
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    report = root / "report.json"
    t0 = time.monotonic()
    installed = in_no_network(
        [sys.executable, "-m", "envwizard", "--answers", str(answers), "--bundle", str(out),
         "--yes", "--report", str(report)],
        offline_env(root / "state"),
        timeout=1800,
    )  # fmt: skip
    install_seconds = time.monotonic() - t0
    yield {
        "root": root,
        "answers": answers,
        "bundle": out,
        "env": env_dir,
        "made": made,
        "installed": installed,
        "report": report,
        "bundle_seconds": bundle_seconds,
        "install_seconds": install_seconds,
    }
    shutil.rmtree(root, ignore_errors=True)  # two environments and a bundle: about 2 GB


@pytest.mark.skipif(not NO_NETWORK, reason="needs unshare and root for a network namespace")
def test_bundle_here_then_install_offline_verified(cpu_stack: dict[str, object]) -> None:
    made = cpu_stack["made"]
    installed = cpu_stack["installed"]
    assert isinstance(made, subprocess.CompletedProcess)
    assert isinstance(installed, subprocess.CompletedProcess)
    out = Path(str(cpu_stack["bundle"]))
    manifest = json.loads((out / "envwizard-bundle.json").read_text())
    names = {f["name"] for f in manifest["files"]}
    assert {"torch", "numpy"} <= names
    assert manifest["torch"].endswith("+cpu") and manifest["variant"] == "cpu"
    here = Target(**{k: manifest["target"][k] for k in ("system", "machine", "python", "glibc")})
    for f in manifest["files"]:
        assert here.wheel_problem(Path(f["path"]).name) is None
    assert installed.returncode == 0, installed.stdout[-4000:] + installed.stderr[-3000:]
    data = json.loads(Path(str(cpu_stack["report"])).read_text())
    assert data["status"] == "done"
    assert data["verify"]["ok"] is True
    assert data["verify"]["torch_version"] == manifest["torch"]
    assert data["benchmark"] is not None
    print(  # the figures of the closing note (pytest -s shows them)
        f"\nbundle: {manifest['size'] / 2**20:.0f} MiB, {len(manifest['files'])} files, "
        f"{cpu_stack['bundle_seconds']:.1f} s; offline install: {cpu_stack['install_seconds']:.1f} s"
    )


@pytest.mark.skipif(not NO_NETWORK, reason="needs unshare and root for a network namespace")
def test_requirements_export_recreates_the_same_set_offline(
    cpu_stack: dict[str, object], tmp_path: Path
) -> None:
    env = Path(str(cpu_stack["env"]))
    installed = cpu_stack["installed"]
    assert isinstance(installed, subprocess.CompletedProcess) and installed.returncode == 0
    req = tmp_path / "requirements.txt"
    r = run_envwizard(
        "export", str(env), "--format", "requirements", "-o", str(req), state=tmp_path / "s"
    )
    assert r.returncode == 0, r.stderr
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(fresh)], check=True, timeout=300)
    py = fresh / "bin" / "python"
    done = in_no_network(
        [str(py), "-m", "pip", "install", "--no-deps", "--require-hashes", "-r", str(req)],
        offline_env(tmp_path / "s"),
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert freeze(py) == freeze(env / "bin" / "python")


@pytest.mark.skipif(not NO_NETWORK, reason="needs unshare and root for a network namespace")
def test_pylock_export_recreates_the_same_set_offline(
    cpu_stack: dict[str, object], tmp_path: Path
) -> None:
    env = Path(str(cpu_stack["env"]))
    installed = cpu_stack["installed"]
    assert isinstance(installed, subprocess.CompletedProcess) and installed.returncode == 0
    lock = tmp_path / "pylock.toml"
    r = run_envwizard("export", str(env), "--format", "pylock", "-o", str(lock), state=tmp_path)
    assert r.returncode == 0, r.stderr
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(fresh)], check=True, timeout=300)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    done = in_no_network(
        [uv, "pip", "install", "--python", str(fresh / "bin" / "python"), "--offline",
         "--no-cache", "-r", str(lock)],
        offline_env(tmp_path / "s"),
        timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert freeze(fresh / "bin" / "python") == freeze(env / "bin" / "python")


def _engine() -> str | None:
    """Why no image can be built here, or None when a container engine answers."""
    docker = shutil.which("docker")
    if docker is None:
        return "no container engine: docker is not installed"
    r = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=60, check=False)
    if r.returncode != 0:
        return "no container engine: `docker info` finds no daemon (docker is only a client here)"
    return None


def test_dockerfile_builds_where_a_container_engine_answers(
    cpu_stack: dict[str, object], tmp_path: Path
) -> None:
    ctx = tmp_path / "ctx"
    r = run_envwizard(
        "export", str(cpu_stack["bundle"]), "--format", "dockerfile", "-o", str(ctx),
        state=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    text = (ctx / "Dockerfile").read_text()
    assert text.splitlines()[0] == "# syntax=docker/dockerfile:1"
    assert "FROM python:3.11-slim-bookworm" in text and "--no-index" not in text
    assert "--no-index" in (ctx / "requirements.txt").read_text()  # every file is in the context
    assert {p.name for p in (ctx / "wheels").iterdir()} == {
        Path(f["path"]).name
        for f in json.loads((Path(str(cpu_stack["bundle"])) / "envwizard-bundle.json").read_text())[
            "files"
        ]
    }
    why = _engine()
    if why:
        pytest.skip(why)
    built = subprocess.run(
        ["docker", "build", "-t", "envwizard-test-env", str(ctx)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]


# ---- another machine ---------------------------------------------------------------------------
ARM_FACTS = {
    "schema": 1,
    "os": {"system": "Linux", "machine": "aarch64", "glibc": "2.35", "wsl": False},
    # A path that exists on this machine too, for another Python: never to be run for the target.
    "python": {"version": "3.12.9", "executable": "/usr/bin/python3"},
    "gpus": [],
    "nvidia_driver": None,
}


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_bundle_for_another_platform_holds_its_wheels(tmp_path: Path, installer: str) -> None:
    """A facts file of an aarch64 machine with Python 3.12: every file of the bundle is for it.

    The configured indexes here hold no aarch64 torch, so the test makes a local wheel folder
    holding the CPU torch and a dependency for both platforms and both Pythons; the bundle must
    take exactly the aarch64 / cp312 ones, whether uv or pip (envwizard's own, told the
    target's tags) resolves.
    """
    folder = tmp_path / "wheels"
    for py in ("cp311", "cp312"):
        for arch in ("x86_64", "aarch64"):
            tag = f"{py}-{py}-manylinux_2_28_{arch}"
            build_wheel(folder, "torch", "2.13.0+cpu", tag=tag)
            build_wheel(folder, "tinynum", "1.0", tag=tag)
    facts = tmp_path / "arm.json"
    # uv where that machine has it (not on this one): this machine's uv resolves
    uv = {"name": "uv", "path": "/opt/target-only/bin/uv", "version": "0.9.0"}
    facts.write_text(json.dumps({**ARM_FACTS, "managers": {"uv": uv}}))
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        f"manager: venv\ninstaller: {installer}\nenv: /home/me/envs/dl\ncompute: cpu\n"
        "torch: '==2.13.*'\nstack: torch\n"
        f"torch_index: default\npackages: [tinynum]\nfind_links: [{folder}]\noffline: true\n"
    )
    out = tmp_path / "bundle"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1")
    r = subprocess.run(
        [sys.executable, "-m", "envwizard", "bundle", "--answers", str(answers), "--facts",
         str(facts), str(out)],
        capture_output=True, text=True, timeout=900, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    manifest = json.loads((out / "envwizard-bundle.json").read_text())
    assert manifest["target"]["platform"] == "linux-aarch64"
    assert manifest["target"]["python"] == "3.12"
    wheels = sorted(p.name for p in (out / "wheels").iterdir())
    assert wheels == [
        "tinynum-1.0-cp312-cp312-manylinux_2_28_aarch64.whl",
        "torch-2.13.0+cpu-cp312-cp312-manylinux_2_28_aarch64.whl",
    ]
    arm = Target("Linux", "aarch64", "3.12", "2.35")
    assert all(arm.wheel_problem(w) is None for w in wheels)
    # and this machine refuses it in one sentence, before anything is made
    here_answers = tmp_path / "here.yaml"
    here_answers.write_text(f"manager: venv\nenv: {tmp_path / 'env'}\ncompute: cpu\n")
    refused = run_envwizard(
        "--answers", str(here_answers), "--bundle", str(out), "--yes", state=tmp_path / "s"
    )
    assert refused.returncode == 2
    assert "made for linux-aarch64" in refused.stderr
    assert not (tmp_path / "env").exists()


# ---- refusals through the command line ---------------------------------------------------------
def _other_python() -> str | None:
    """An interpreter this machine has, of a version envwizard can plan for, other than this one."""
    from envwizard.facts.probe import probe

    mine = f"{sys.version_info.major}.{sys.version_info.minor}"
    for p in probe().pythons:
        if p.version.startswith(("3.12.", "3.13.", "3.10.")) and not p.version.startswith(mine):
            return p.executable
    return None


@pytest.mark.parametrize("damage", ["tampered", "missing", "python"])
def test_the_command_line_refuses_a_damaged_bundle_before_creating_anything(
    cpu_stack: dict[str, object], tmp_path: Path, damage: str
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(str(cpu_stack["bundle"]), bundle)
    answers = tmp_path / "answers.yaml"
    env_dir = tmp_path / "env"
    text = Path(str(cpu_stack["answers"])).read_text()
    text = text.replace(str(cpu_stack["env"]), str(env_dir))
    numpy = next((bundle / "wheels").glob("numpy-*.whl"))
    if damage == "tampered":
        with numpy.open("r+b") as f:
            f.seek(-1, os.SEEK_END)
            last = f.read(1)
            f.seek(-1, os.SEEK_END)
            f.write(bytes([last[0] ^ 0xFF]))
        expect = f"{numpy.name} is not the file its lock names"
    elif damage == "missing":
        numpy.unlink()
        expect = f"{numpy.name} is missing"
    else:
        other = _other_python()
        if other is None:
            pytest.skip("no Python of another version here")
        text = text.replace(f"python: {sys.executable}", f"python: {other}")
        expect = "holds wheels for Python 3.11"
    answers.write_text(text)
    r = run_envwizard("--answers", str(answers), "--bundle", str(bundle), "--yes", state=tmp_path)
    assert r.returncode == 2, r.stdout[-2000:] + r.stderr[-2000:]
    error = [line for line in r.stderr.splitlines() if line.startswith("envwizard: error:")]
    assert len(error) == 1 and expect in error[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not env_dir.exists()


# ---- --with-python ---------------------------------------------------------------------------
def _standalone_archive(prefix: Path, out: Path, version: str) -> Path:
    """A CPython installation packed the way python-build-standalone packs one (`python/...`),
    without its test suite and caches, under that project's file name."""
    name = f"cpython-{version}+20990101-x86_64-unknown-linux-gnu-install_only.tar.gz"
    skip = ("/test/", "/__pycache__", "/site-packages/", "/idlelib", "/tkinter", "/turtledemo")

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        return None if any(s in info.name + "/" for s in skip) else info

    out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out / name, "w:gz", compresslevel=1) as tar:
        for sub in ("bin", "lib"):
            tar.add(prefix / sub, arcname=f"python/{sub}", filter=keep)
    return out / name


def _uv_wheel(folder: Path) -> Path:
    """This machine's uv binary in a wheel for this platform (uv ships as such wheels)."""
    from envwizard.run.standalone import uv_binary, uv_version

    uv = uv_binary()
    version = uv_version(uv)
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"uv-{version}-py3-none-manylinux_2_17_x86_64.whl"
    dist = f"uv-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(uv, f"uv-{version}.data/scripts/uv")
        z.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: uv\nVersion: {version}\n")
        z.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n")
        z.writestr(f"{dist}/RECORD", "")
    return wheel


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the archive name is x86_64 Linux")
def test_with_python_bundles_a_standalone_cpython_and_uv_and_the_target_uses_them(
    tmp_path: Path,
) -> None:
    """A target with no Python 3.12: the bundle's own CPython creates the environment.

    uv takes the standalone build from a downloads list (UV_PYTHON_DOWNLOADS_JSON_URL, uv's
    own setting for a mirror of the builds) that names an archive packed here from this
    machine's 3.12; uv's wheel comes from a local wheel folder. Making the bundle runs no
    installer on the network; the install side runs with a HOME and PATH where no 3.12 is.
    """
    from envwizard.facts.probe import probe

    py312 = next((p for p in probe().pythons if p.version.startswith("3.12.")), None)
    if py312 is None:
        pytest.skip("no Python 3.12 here to pack as a standalone build")
    prefix = Path(
        subprocess.run(
            [py312.executable, "-c", "import sys; print(sys.base_prefix)"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    archive = _standalone_archive(prefix, tmp_path / "mirror", py312.version)
    key = f"cpython-{py312.version}-linux-x86_64-gnu"
    major, minor, patch = (int(x) for x in py312.version.split("."))
    downloads = tmp_path / "downloads.json"
    downloads.write_text(json.dumps({key: {
        "name": "cpython", "arch": {"family": "x86_64", "variant": None}, "os": "linux",
        "libc": "gnu", "major": major, "minor": minor, "patch": patch, "prerelease": "",
        "url": archive.as_uri(), "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
        "variant": None, "build": "20990101",
    }}))  # fmt: skip
    wheels = tmp_path / "wheels"
    _uv_wheel(wheels)
    build_wheel(wheels, "torch", "2.13.0+cpu", tag="cp312-cp312-manylinux_2_28_x86_64")
    answers = tmp_path / "answers.yaml"
    env_dir = tmp_path / "env"
    answers.write_text(
        f"manager: venv\nenv: {env_dir}\npython: '3.12'\ncompute: cpu\ntorch: '==2.13.*'\n"
        "stack: torch\n"
        f"torch_index: default\nfind_links: [{wheels}]\noffline: true\nbenchmark: false\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1")
    out = tmp_path / "bundle"
    made = subprocess.run(
        [sys.executable, "-m", "envwizard", "bundle", "--answers", str(answers), "--with-python",
         str(out)],
        capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
        env={**env, "UV_PYTHON_DOWNLOADS_JSON_URL": str(downloads)},
    )  # fmt: skip
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    manifest = json.loads((out / "envwizard-bundle.json").read_text())
    assert manifest["python"]["version"] == py312.version
    assert manifest["python"]["path"] == f"python/{archive.name}"
    assert manifest["python"]["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert manifest["uv"]["path"].startswith("tools/uv-")
    assert "standalone CPython" in (out / "README.md").read_text()
    # The target: no Python 3.12 on its PATH or in its home; the bundle's own one is used.
    home = tmp_path / "home"
    home.mkdir()
    target_env = {
        **env,
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    target_env.pop("PYENV_ROOT", None)
    dry = subprocess.run(
        [sys.executable, "-m", "envwizard", "--answers", str(answers), "--bundle", str(out),
         "--dry-run"],
        capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, env=target_env,
    )  # fmt: skip
    assert dry.returncode == 0, dry.stdout[-3000:] + dry.stderr[-3000:]
    unpacked = tmp_path / "data" / "envwizard" / "python" / archive.name.split(".tar.")[0]
    assert (unpacked / "python" / "bin" / "python3").is_file()
    assert f"using its standalone Python {py312.version}" in dry.stdout
    assert f"{unpacked}/python/bin/python3 -m venv {env_dir}" in dry.stdout
    assert not env_dir.exists()


# ---- a private index: credentials work as in a run and stay out of the bundle ----------------
SECRET = "s3cr3t-t0ken"


class _PrivateIndex(http.server.BaseHTTPRequestHandler):
    """A PEP 503 index of a folder of wheels, for the user `me` with the password SECRET only."""

    folder = Path()
    seen: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self.answer(body_too=False)

    def do_GET(self) -> None:
        self.answer(body_too=True)

    def answer(self, *, body_too: bool) -> None:
        want = "Basic " + base64.b64encode(f"me:{SECRET}".encode()).decode()
        self.seen.append(self.path)
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="index"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        body, ctype = b"", "text/html"
        if parts[:1] == ["simple"] and len(parts) == 2:
            links = []
            for wheel in sorted(self.folder.glob("*.whl")):
                if wheel.name.split("-")[0].replace("_", "-") == parts[1]:
                    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
                    links.append(f'<a href="/files/{wheel.name}#sha256={digest}">{wheel.name}</a>')
            body = ("<html><body>" + "".join(links) + "</body></html>").encode()
        elif parts[:1] == ["files"] and len(parts) == 2 and (self.folder / parts[1]).is_file():
            body, ctype = (self.folder / parts[1]).read_bytes(), "application/octet-stream"
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body_too:
            self.wfile.write(body)


def test_a_private_index_works_as_in_a_run_and_nothing_secret_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "served"
    py = f"cp{sys.version_info.major}{sys.version_info.minor}"
    build_wheel(folder, "torch", "2.13.0+cpu", tag=f"{py}-{py}-manylinux_2_28_x86_64")
    build_wheel(folder, "tinydep", "1.0")
    handler = type("Handler", (_PrivateIndex,), {"folder": folder, "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        index = f"http://me:{SECRET}@127.0.0.1:{server.server_address[1]}/simple"
        answers = tmp_path / "answers.yaml"
        answers.write_text(
            f"manager: venv\nenv: {tmp_path / 'env'}\npython: {sys.executable}\ncompute: cpu\n"
            f"torch: '==2.13.*'\ntorch_index: default\npackages: [tinydep]\nindex_url: {index}\n"
            "stack: torch\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
        env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1", XDG_STATE_HOME=str(tmp_path))
        out = tmp_path / "bundle"
        r = subprocess.run(
            [sys.executable, "-m", "envwizard", "bundle", "--answers", str(answers), str(out)],
            capture_output=True, text=True, timeout=900, env=env, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert SECRET not in r.stdout + r.stderr
    assert sorted(p.name for p in (out / "wheels").iterdir()) == sorted(
        p.name for p in folder.iterdir()
    )
    assert any(p.startswith("/files/") for p in handler.seen)  # fetched from the index itself
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert "me:****@127.0.0.1" in (out / "answers.yaml").read_text()
