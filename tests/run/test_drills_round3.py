"""Fault drills, third round (issue 18): real processes, real signals, real filesystems, a real
second user. Each test is one drill; each failed before its fix (the drill table in the issue's
closing note says what happened before and after).

S1 first: nothing a person made is ever deleted (a symlinked path, a stale or planted marker,
recreate beside a project's own folders), and no credential reaches a screen, a log, a report or
any process's command line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from ..builders import build_wheel, env_python, start_envwizard
from ..conftest import local_torch_version, pip_find_links
from .indexes import private_index
from .test_crash_drills import alive, answers_file, command_lines, drain, home_env, reports

LINUX = sys.platform == "linux"


def local_torch() -> tuple[str, Path]:
    """The torch version and wheel folder pip is configured with (skip where there is none)."""
    version = local_torch_version()
    if not version:
        pytest.skip("no torch wheel for this Python in pip's configured wheel folders")
    folder = next(f for f in pip_find_links() if any(f.glob(f"torch-{version}*.whl")))
    return version, folder


@pytest.fixture(scope="session")
def other_user() -> Iterator[str]:
    """A second real user on this machine (made for the session when it is not there)."""
    if not LINUX or os.geteuid() != 0:
        pytest.skip("a second user needs root on Linux to make")
    name = "envwizard-drill"
    made = False
    if subprocess.run(["id", name], capture_output=True).returncode != 0:
        r = subprocess.run(
            ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            capture_output=True, text=True,
        )  # fmt: skip
        if r.returncode != 0:
            pytest.skip(f"cannot add a user here: {r.stderr.strip()}")
        made = True
    yield name
    if made:
        subprocess.run(["userdel", name], capture_output=True)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder every user may write to, like /tmp (mode 1777)."""
    d = Path(tempfile.mkdtemp(prefix="envwizard-shared-", dir="/tmp"))
    d.chmod(0o1777)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def persons_venv(path: Path) -> Path:
    """A person's own venv, with their own module in it: what must survive every drill."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    [site] = path.glob("lib/python3*/site-packages")
    mine = site / "mine.py"
    mine.write_text("ANSWER = 42\n")
    return mine


def wait_until(what: str, predicate: object, proc: subprocess.Popen[str], got: list[str],
               timeout: float = 300) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert proc.poll() is None, f"envwizard ended before {what}:\n" + "".join(got)[-3000:]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# ---- S1.1 a symlinked path names the same environment, and the same lock -------------------


@pytest.mark.slow
def test_s1_1_recreate_through_a_symlink_is_refused_while_the_first_run_works(
    tmp_path: Path,
) -> None:
    version, folder = local_torch()
    envs = tmp_path / "envs"
    envs.mkdir()
    real = envs / "x"
    link = tmp_path / "link"
    link.symlink_to(real)
    # Run A: a real torch environment, then a benchmark long enough for run B to meet it.
    a = answers_file(
        tmp_path, manager="uv", env=str(real), python=sys.executable, torch=f"=={version}",
        torch_index="default", find_links=[str(folder)],
        benchmark={"enabled": True, "device": "cpu", "preset": "tiny", "seconds": 12},
    )  # fmt: skip
    first = start_envwizard("--answers", str(a), env=home_env(tmp_path, COLUMNS="300"))
    got = drain(first.stdout)
    wait_until("run A's benchmark", lambda: any("worker" in c for c in command_lines(first.pid)),
               first, got)  # fmt: skip
    b_dir = tmp_path / "b"
    b_dir.mkdir()
    b = answers_file(
        b_dir, manager="uv", env=str(link), python=sys.executable, torch=f"=={version}",
        torch_index="default", find_links=[str(folder)], existing="recreate",
    )  # fmt: skip
    second = subprocess.run(
        [sys.executable, "-m", "envwizard", "--answers", str(b), "--yes"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        env=home_env(b_dir, COLUMNS="300"),
    )  # fmt: skip
    assert first.wait(timeout=600) == 0, "".join(got)[-4000:]
    assert second.returncode == 2, second.stdout[-3000:] + second.stderr[-2000:]
    assert f"another envwizard run (pid {first.pid})" in second.stderr
    assert (real / "pyvenv.cfg").is_file()
    [report] = reports(tmp_path)
    assert report["status"] == "done" and report["verify"]["ok"] is True
    assert [s["status"] for s in report["steps"]] == ["ok"] * len(report["steps"])


# ---- S1.2 a marker alone never licenses deleting an environment ------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("who", ["stale", "planted"])
def test_s1_2_a_creating_marker_beside_a_persons_venv_deletes_nothing_on_reuse(
    tmp_path: Path, shared_dir: Path, who: str, request: pytest.FixtureRequest
) -> None:
    version, folder = local_torch()
    env = shared_dir / "mine"
    mine = persons_venv(env)
    marker = shared_dir / ".mine.envwizard-lock"
    text = json.dumps({"env": "creating", "pid": 2**22 + 7, "empty_before": False})
    if who == "planted":  # another user, in a folder everyone may write to
        user = request.getfixturevalue("other_user")
        subprocess.run(["sh", "-c", 'printf "%s" "$1" > "$2"', "sh", text, str(marker)],
                       user=user, check=True)  # fmt: skip
    else:  # left by this user's run, killed long ago
        marker.write_text(text)
    a = answers_file(
        tmp_path, manager="venv", env=str(env), python=sys.executable, torch=f"=={version}",
        torch_index="default", find_links=[str(folder)], existing="reuse", installer="uv",
    )  # fmt: skip
    proc = start_envwizard("--answers", str(a), env=home_env(tmp_path, COLUMNS="300"))
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-4000:]
    assert "installing into the existing environment" in out
    assert "removed the environment" not in out
    assert mine.read_text() == "ANSWER = 42\n"
    assert list(env.glob("lib/python3*/site-packages/torch/__init__.py"))
    [report] = reports(tmp_path)
    assert report["status"] == "done" and report["verify"]["ok"] is True


def test_s1_2_only_a_state_file_this_user_wrote_makes_a_folder_a_leftover(tmp_path: Path) -> None:
    from envwizard.plan.build import STATE_FILE
    from envwizard.run.target import inspect_target

    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / ".env.envwizard-lock").write_text(json.dumps({"env": "creating"}))
    assert inspect_target(env).kind == "python-env"  # a marker alone proves nothing
    state = env / STATE_FILE
    state.write_text(json.dumps({"status": "running", "plan": "x", "created": True}))
    assert inspect_target(env).kind == "leftover"  # envwizard's own record, this user's
    if LINUX and os.geteuid() == 0:
        os.chown(state, 4242, 4242)  # written by someone else
        assert inspect_target(env).kind == "envwizard"
        os.chown(state, 0, 0)
        os.chown(tmp_path / ".env.envwizard-lock", 4242, 4242)  # a marker someone else left
        assert inspect_target(env).kind == "envwizard"


# ---- S1.3 recreate beside a project's own folders --------------------------------------------

PROJECT_FOLDERS = ("docs", "doc", "etc", "var", "man")


@pytest.mark.slow
def test_s1_3_recreate_refuses_to_delete_a_projects_docs_etc_var_man_and_gitignore(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    mine = persons_venv(project)
    for name in PROJECT_FOLDERS:
        (project / name).mkdir()
        (project / name / "keep.txt").write_text(name)
    (project / ".gitignore").write_text("__pycache__/\n*.ckpt\n")
    version, folder = local_torch()
    a = answers_file(
        tmp_path, manager="venv", env=str(project), existing="recreate", torch=f"=={version}",
        offline=True, find_links=[str(folder)], python=sys.executable,
    )  # fmt: skip
    proc = start_envwizard("--answers", str(a), "--yes", env=home_env(tmp_path, COLUMNS="400"))
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 2, out
    assert ".gitignore, doc, docs, etc, man, var, which" in out and "will not delete them" in out
    for name in PROJECT_FOLDERS:
        assert (project / name / "keep.txt").read_text() == name
    assert (project / ".gitignore").read_text() == "__pycache__/\n*.ckpt\n"
    assert mine.is_file()


def _data_wheel(directory: Path) -> Path:
    """A wheel that puts files in the environment's share/ and etc/ (as jupyter's packages do)."""
    import zipfile

    out = directory / "withdata-1.0-py3-none-any.whl"
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "withdata/__init__.py": "",
        "withdata-1.0.data/data/share/withdata/kernel.json": "{}",
        "withdata-1.0.data/data/etc/withdata/config.json": "{}",
        "withdata-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: withdata\nVersion: 1.0\n",
        "withdata-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        "withdata-1.0.dist-info/RECORD": "",
    }
    with zipfile.ZipFile(out, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return out


@pytest.mark.slow
def test_s1_3_a_venvs_share_and_etc_count_only_when_its_packages_put_them_there(
    tmp_path: Path,
) -> None:
    from envwizard.run.target import env_entries, foreign_entries, remove_environment

    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, capture_output=True)
    (env / "docs").mkdir()
    assert foreign_entries(env, "venv") == ["docs"]
    wheel = _data_wheel(tmp_path / "wheels")
    subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index",
                    "--no-deps", str(wheel)], check=True)  # fmt: skip
    assert {"share", "etc"} <= env_entries(env, "venv")
    assert foreign_entries(env, "venv") == ["docs"]
    assert remove_environment(env, manager="venv") == ["docs"]
    assert sorted(p.name for p in env.iterdir()) == ["docs"]


def test_s1_3_what_an_environment_is_depends_on_what_the_folder_really_is(tmp_path: Path) -> None:
    from envwizard.run.target import foreign_entries

    venv, conda = tmp_path / "venv", tmp_path / "conda"
    for d in (venv, conda):
        for name in ("bin", "lib", "etc", "share", "man"):
            (d / name).mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / ".gitignore").write_text("# created by virtualenv automatically\n*\n")
    (venv / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    (conda / "conda-meta").mkdir()
    assert foreign_entries(venv, "venv") == ["etc", "man", "share"]
    assert foreign_entries(conda, "conda") == []  # a conda environment's etc/ is conda's
    assert foreign_entries(venv, "conda") == ["etc", "man", "share"]  # what it is, not the answer
    (venv / ".gitignore").write_text("*.pyc\n")
    assert ".gitignore" in foreign_entries(venv, "venv")


# ---- S1.5 no credential on any command line, in the output, the logs or the report -----------


class CommandLines(threading.Thread):
    """Every process's command line (/proc/*/cmdline), sampled until stopped: what any local
    user can read while a run works."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen: set[str] = set()
        self.samples = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                        raw = f.read()
                except OSError:
                    continue
                if raw:
                    self.seen.add(raw.replace(b"\0", b" ").decode(errors="replace"))
            self.samples += 1
            time.sleep(0.01)

    def __enter__(self) -> CommandLines:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join()


def pip_config_values(key: str) -> list[str]:
    """What pip's configuration (files and PIP_* variables) says for `key`, split."""
    r = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    out: list[str] = []
    for line in r.stdout.splitlines():
        name, _, value = line.partition("=")
        if name.strip().endswith("." + key):
            out += value.strip().strip("'\"").split()
    return list(dict.fromkeys(out))


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="/proc/*/cmdline is Linux's")
@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_s1_5_tokens_from_answers_pip_conf_and_pip_variables_reach_no_command_line(
    tmp_path: Path, installer: str
) -> None:
    version, folder = local_torch()
    [torch_wheel] = folder.glob(f"torch-{version}*.whl")
    wheels = {n: build_wheel(tmp_path / "w" / n, n, "1.0") for n in ("pkgb", "pkgc", "pkgd")}
    token = {k: f"tok{k}{os.urandom(6).hex()}" for k in ("torch", "extra", "links", "main")}
    realms = {
        "torch": ("alice", token["torch"], [torch_wheel]),  # the answers' torch_index
        "extra": ("bob", token["extra"], [wheels["pkgb"]]),  # PIP_EXTRA_INDEX_URL
        "links": ("carol", token["links"], [wheels["pkgc"]]),  # pip.conf's find-links
        "main": ("dave", token["main"], [wheels["pkgd"]]),  # the answers' index_url
    }
    with private_index(realms) as (urls, index):

        def at(prefix: str, tail: str) -> str:
            user, secret, _ = realms[prefix]
            return urls[prefix].replace("http://", f"http://{user}:{secret}@") + f"/{tail}"

        pip_conf = tmp_path / "pip.conf"
        links = " ".join([*pip_config_values("find-links"), at("links", "")])
        pip_conf.write_text(f"[global]\nfind-links = {links}\n")
        extra = " ".join([*pip_config_values("extra-index-url"), at("extra", "simple")])
        env = home_env(tmp_path, COLUMNS="300", PIP_CONFIG_FILE=str(pip_conf),
                       PIP_EXTRA_INDEX_URL=extra)  # fmt: skip
        env.pop("PIP_FIND_LINKS", None)  # pip.conf's find-links count
        target = tmp_path / "env"
        a = answers_file(
            tmp_path, manager="venv", env=str(target), python=sys.executable,
            torch=f"=={version}", torch_index=at("torch", "whl"), index_url=at("main", "simple"),
            packages=["pkgb", "pkgc", "pkgd"], installer=installer,
        )  # fmt: skip
        with CommandLines() as lines:
            proc = start_envwizard("--answers", str(a), env=env)
            out, _ = proc.communicate(timeout=900)
        authorised = {path.split("/")[1] for path, ok in index.seen if ok}
    assert proc.returncode == 0, out[-5000:]
    assert set(realms) <= authorised, index.seen  # every credential reached the installer
    # pkgd comes in with the lock's packages group (its install reads the lock's file)
    installs = [c for c in lines.seen if " install " in c and "envwizard-lock-packages" in c]
    assert installs and lines.samples > 50  # the sampler saw the installer at work
    for secret in token.values():
        assert not [c for c in lines.seen if secret in c], secret
        assert secret not in out
        for f in (tmp_path / "state").rglob("*"):
            assert not f.is_file() or secret not in f.read_text(errors="replace"), f
    assert "alice:****@127.0.0.1" in out
    [report] = reports(tmp_path)
    # the lock names where torch really came from: the torch index (masked) or pip.conf's own
    # wheel folder, which holds the same wheel (uv and pip may prefer either)
    source = report["installed"]["index"]
    assert report["status"] == "done"
    assert source.startswith("http://alice:****@") or Path(source) == folder, source
    check = "import pkgb, pkgc, pkgd"
    subprocess.run([env_python(target), "-c", check], check=True)


# ---- S3 the refusal while another user's run is live -----------------------------------------

HOLD = """
import fcntl, json, os, subprocess, sys, time
env, lock = sys.argv[1], sys.argv[2]
subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, json.dumps({"pid": os.getpid(), "env": "created"}).encode())
with open(os.path.join(env, "envwizard-state.json"), "w") as f:
    json.dump({"status": "running", "plan": "theirs", "completed": ["create-env"],
               "current": "install-torch", "created": True}, f)
print("held", flush=True)
time.sleep(120)
"""


@pytest.mark.slow
def test_s3_a_live_run_of_another_user_is_named_not_called_an_existing_environment(
    tmp_path: Path, shared_dir: Path, other_user: str
) -> None:
    env = shared_dir / "env"
    holder = subprocess.Popen(
        ["/usr/bin/python3", "-c", HOLD, str(env), str(shared_dir / ".env.envwizard-lock")],
        user=other_user, stdout=subprocess.PIPE, text=True, cwd="/",
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        a = answers_file(tmp_path, manager="venv", env=str(env), offline=True,
                         find_links=[str(tmp_path)])  # fmt: skip
        proc = start_envwizard("--answers", str(a), env=home_env(tmp_path, COLUMNS="300"))
        out, _ = proc.communicate(timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 2, out
    assert f"another envwizard run (pid {holder.pid}) is working on {env}" in out
    assert "already exists" not in out
    assert (env / "pyvenv.cfg").is_file()


# ---- S3 pip's configuration cannot be loaded -------------------------------------------------


@pytest.mark.slow
def test_s3_a_pip_config_pip_cannot_load_is_refused_before_the_environment_is_made(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "pip.conf"
    bad.write_text("index-url = https://mirror.test/simple\n")  # no [global]: pip will not start
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinypkg", "1.0")
    env = tmp_path / "env"
    a = answers_file(tmp_path, manager="venv", env=str(env), installer="pip", offline=True,
                     find_links=[str(wheels)], torch="==2.13.0")  # fmt: skip
    proc = start_envwizard("--answers", str(a), env=home_env(tmp_path, COLUMNS="300",
                                                               PIP_CONFIG_FILE=str(bad)))  # fmt: skip
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 2, out
    assert f"pip cannot load its configuration ({bad} cannot be read as pip reads it" in out
    assert "Traceback" not in out and "Create the venv environment" not in out
    assert not env.exists()


# ---- S3 a squatted torch in a wheel folder -----------------------------------------------------


@pytest.mark.slow
def test_s3_a_squatted_torch_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    # What a squatter uploads: the name and a version that sorts first, nothing of PyTorch.
    build_wheel(wheels, "torch", "2.13.0+zzz", body="print('owned')\n")
    env = tmp_path / "env"
    a = answers_file(tmp_path, manager="venv", env=str(env), installer="pip", offline=True,
                     find_links=[str(wheels)], torch="==2.13.0", python=sys.executable)  # fmt: skip
    proc = start_envwizard("--answers", str(a), env=home_env(tmp_path, COLUMNS="300"))
    out, _ = proc.communicate(timeout=600)
    # The resolve sees a build no PyTorch index publishes where the CPU build was chosen.
    assert proc.returncode == 2, out
    assert "Traceback" not in out
    assert f"torch 2.13.0+zzz from {wheels}, the +zzz build, but the plan chose the CPU" in out
    assert "nothing was created" in out and not env.exists()


# ---- S2 full or read-only disks for envwizard's own records ----------------------------------


@contextlib.contextmanager
def tmpfs(where: Path, size: str, *options: str) -> Iterator[Path]:
    """A real small filesystem at `where` (root on Linux; the test is skipped, saying why, else)."""
    if not LINUX or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join([f"size={size}", *options]),
                        "tmpfs", str(where)], capture_output=True, text=True)  # fmt: skip
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path) -> None:
    """Write into `folder` until its filesystem is full."""
    with open(folder / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * 2**16)
                f.flush()
        except OSError:
            pass


@pytest.mark.slow
@pytest.mark.parametrize("how", ["read-only", "full"])
def test_s2_a_state_folder_that_cannot_be_written_is_one_sentence_before_anything_is_made(
    tmp_path: Path, how: str
) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinypkg", "1.0")
    env = tmp_path / "env"
    a = answers_file(tmp_path, manager="venv", env=str(env), offline=True,
                     find_links=[str(wheels)], torch="==2.13.0")  # fmt: skip
    options = ["ro"] if how == "read-only" else []
    with tmpfs(tmp_path / "state", "256k", *options) as state:
        if how == "full":
            fill(state)
        proc = start_envwizard("--answers", str(a), env=home_env(tmp_path, COLUMNS="300"))
        out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 2, out
    assert "cannot write envwizard's run folder" in out
    assert "internal error" not in out and "Traceback" not in out
    assert not env.exists() and not (tmp_path / ".env.envwizard-lock").exists()


@pytest.mark.slow
def test_s2_a_log_folder_filling_mid_run_costs_the_logs_not_the_environment(
    tmp_path: Path,
) -> None:
    version, folder = local_torch()
    env = tmp_path / "env"
    report = tmp_path / "out" / "report.json"
    a = answers_file(tmp_path, manager="venv", env=str(env), python=sys.executable,
                     torch=f"=={version}", torch_index="default", find_links=[str(folder)],
                     installer="uv")  # fmt: skip
    with tmpfs(tmp_path / "state", "16m") as state:
        proc = start_envwizard("--answers", str(a), "--report", str(report),
                               env=home_env(tmp_path, COLUMNS="300"))  # fmt: skip
        got = drain(proc.stdout)
        wait_until("the torch install", lambda: any(  # the lock's torch group, installed
            " install " in c and "envwizard-lock-torch.txt" in c for c in command_lines(proc.pid)), proc, got)  # fmt: skip
        fill(state)  # something else fills the log disk while torch installs
        proc.wait(timeout=900)
    out = "".join(got)
    assert proc.returncode == 0, out[-4000:]
    assert "could not be written (No space left on device)" in out
    assert "internal error" not in out and "rolled back" not in out
    data = json.loads(report.read_text())
    assert data["status"] == "done" and data["verify"]["ok"] is True
    assert (env / "pyvenv.cfg").is_file()


@pytest.mark.slow
def test_s2_a_full_report_disk_leaves_no_empty_report(tmp_path: Path) -> None:
    env = tmp_path / "env"
    (tmp_path / "empty").mkdir()
    a = answers_file(tmp_path, manager="venv", env=str(env), offline=True,
                     find_links=[str(tmp_path / "empty")], torch="==2.13.0")  # fmt: skip
    with tmpfs(tmp_path / "out", "64k") as out_dir:
        fill(out_dir)
        report = out_dir / "report.json"
        proc = start_envwizard("--answers", str(a), "--report", str(report),
                               env=home_env(tmp_path, COLUMNS="300"))  # fmt: skip
        out, _ = proc.communicate(timeout=300)
        left = sorted(p.name for p in out_dir.iterdir())
    # The resolve refuses (torch is in no source): the report's disk does not hide that.
    assert proc.returncode == 2, out
    assert f"cannot write the report to {report} (No space left on device); it is in" in out
    assert left == ["filler"]  # no empty or cut report.json / report.md, no temporary file
    [saved] = reports(tmp_path)
    assert saved["status"] == "invalid" and "nothing was created" in saved["reason"]


# ---- S2 closing the terminal during the wizard's install ---------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="a pseudo-terminal and its hang-up, as on Linux")
def test_s2_closing_the_wizards_terminal_cancels_rolls_back_and_reports(tmp_path: Path) -> None:
    from .indexes import serve

    env = tmp_path / "env"
    with serve("slow") as (url, index):
        a = answers_file(tmp_path, manager="venv", env=str(env), torch="==2.13.0",
                         torch_index=url, installer="pip", python=sys.executable)  # fmt: skip
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

        def own_terminal() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(
            [sys.executable, "-m", "envwizard", "--answers", str(a), "--interactive"],
            stdin=slave, stdout=slave, stderr=slave, preexec_fn=own_terminal,
            env=home_env(tmp_path, TERM="xterm-256color"),
        )  # fmt: skip
        os.close(slave)
        screen = bytearray()
        threading.Thread(target=_pump, args=(master, screen), daemon=True).start()
        deadline = time.monotonic() + 180
        while not any(" install " in c and "torch" in c for c in command_lines(proc.pid)):
            assert proc.poll() is None and time.monotonic() < deadline, bytes(screen[-3000:])
            os.write(master, b"\x0e")  # ctrl+n: Next, screen after screen, then Install
            time.sleep(1.5)
        index.downloading.wait(10)
        kids = {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
        os.close(master)  # the terminal window closes: the kernel sends SIGHUP
        rc = proc.wait(timeout=90)
    assert rc == 130
    deadline = time.monotonic() + 10
    while alive(kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(kids) == []
    assert not env.exists()
    [report] = reports(tmp_path)
    assert report["status"] == "cancelled" and report["exit_code"] == 130


def _pump(master: int, screen: bytearray) -> None:
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            return
        if not data:
            return
        screen.extend(data)
