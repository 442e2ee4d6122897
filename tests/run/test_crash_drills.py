"""Fault drills (issue 9): real processes, real signals, a real small filesystem.

Each test is one drill: a closed terminal, kill -9, a half-installed package, a full disk,
kill -9 during rollback, recreate in a project folder, reuse + cancel, a lock shared between
users, the small pre-flight and report gaps, and credentials in index URLs.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import json
import os
import pty
import signal
import subprocess
import sys
import termios
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from envwizard.core.errors import InvalidInput
from envwizard.plan.build import STATE_FILE, Plan, script_path
from envwizard.run.envlock import EnvLock, lock_path, read_marker
from envwizard.run.runner import Notice, Runner, StepFinished
from envwizard.run.target import Start, inspect_target, resolve_start
from envwizard.settings.answers import Answers

from ..builders import answers_for, command_step, env_python, make_plan, start_envwizard, tiny_plan
from .indexes import IndexHandler, serve

LINUX_X86 = sys.platform == "linux" and os.uname().machine == "x86_64"
needs_linux_x86 = pytest.mark.skipif(
    not LINUX_X86, reason="the fake torch wheel the slow index serves is for Linux x86_64"
)
needs_posix = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and process groups")


# ---- helpers ------------------------------------------------------------------------------


def home_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The CLI's environment. ENVWIZARD_DRILL_SRC=/old/src runs the CLI drills against another
    version's source tree (how the "before" column of the drill table was measured)."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    env.pop("VIRTUAL_ENV", None)
    if os.environ.get("ENVWIZARD_DRILL_SRC"):
        env["PYTHONPATH"] = os.environ["ENVWIZARD_DRILL_SRC"]
    return {**env, **extra}


def slow_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """home_env without this machine's pip and uv settings: torch must come from the slow index.
    A configured wheel folder holding torch would let the install finish, in a second or two
    now that nothing is compiled, before the drill acts."""
    env = {k: v for k, v in home_env(tmp_path).items() if not k.startswith(("PIP_", "UV_"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull, **extra}


def answers_file(tmp_path: Path, **keys: object) -> Path:
    p = tmp_path / "answers.yaml"
    keys.setdefault("compute", "cpu")
    keys.setdefault("benchmark", {"enabled": False})
    p.write_text(json.dumps(keys))  # JSON is YAML
    return p


def wait_for_installer(pid: int, index: type[IndexHandler], timeout: float = 120) -> set[int]:
    """The pids of envwizard's children once an install step is running and downloading from
    `index` (the run's environment is slow_env's: no wheel folder can serve torch instead)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(" install " in line and "torch" in line for line in command_lines(pid)):
            if not index.downloading.wait(max(1.0, deadline - time.monotonic())):
                pytest.fail("the installer never downloaded from the slow index")
            return {p.pid for p in psutil.Process(pid).children(recursive=True)}
        time.sleep(0.2)
    pytest.fail("the install step never started")


def command_lines(pid: int) -> list[str]:
    """The command lines of a process's descendants; ones that exit meanwhile are left out."""
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    lines = []
    for k in kids:
        try:
            lines.append(" ".join(k.cmdline()))
        except psutil.Error:
            continue
    return lines


def alive(pids: set[int]) -> list[int]:
    out = []
    for p in pids:
        try:
            if psutil.Process(p).status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.Error:
            pass
    return out


def reports(tmp_path: Path) -> list[dict]:
    runs = tmp_path / "state" / "envwizard" / "log" / "runs"
    return [json.loads(p.read_text()) for p in sorted(runs.glob("*/report.json"))]


def drain(stream: object) -> list[str]:
    """Read a pipe in a thread so the child never blocks on a full pipe."""
    got: list[str] = []

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            got.append(line)

    threading.Thread(target=pump, daemon=True).start()
    return got


def run(runner: Runner) -> list:
    async def go() -> list:
        return [ev async for ev in runner.run()]

    return asyncio.run(go())


@pytest.fixture
def slow_index() -> Iterator[tuple[str, type[IndexHandler]]]:
    """A torch index whose wheel trickles: an install stays in flight until the drill acts."""
    with serve("slow") as served:
        yield served


def slow_torch_answers(tmp_path: Path, env: Path, index_url: str, **keys: object) -> Path:
    """Answers that install torch 2.13.1 into `env` with venv and uv from `index_url`.

    uv resolves from the index's metadata (pip's dry run before 25.3 downloads the whole wheel,
    which would move the drill into the resolve), and the slow index's wheel begins as a zip, so
    uv's install streams it and stays in flight."""
    return answers_file(
        tmp_path,
        manager="venv",
        env=str(env),
        torch="==2.13.1",
        torch_index=index_url,
        installer="uv",
        **keys,
    )


TinyEnv = tuple[Path, Plan, Answers]


@pytest.fixture
def installed_tiny_env(tmp_path: Path, wheelhouse: Path) -> Callable[[str], TinyEnv]:
    """Make `tmp_path/env` with a first real run of the tiny plan: (env, plan, answers)."""

    def make(manager: str = "venv") -> TinyEnv:
        env = tmp_path / "env"
        plan = tiny_plan(manager, env, wheelhouse)
        answers = answers_for(env)
        first = Runner(plan, answers, Start("create"), run_dir=tmp_path / "r1")
        run(first)
        assert first.status == "done", [r.status for r in first.results]
        return env, plan, answers

    return make


# ---- 1. closing the terminal (SIGHUP) ------------------------------------------------------


@needs_linux_x86
@pytest.mark.slow
@pytest.mark.timed
def test_1_closing_the_terminal_cancels_rolls_back_reports_and_leaves_no_child(
    tmp_path: Path, slow_index: tuple[str, type[IndexHandler]]
) -> None:
    env = tmp_path / "env"
    url, index = slow_index
    a = slow_torch_answers(tmp_path, env, url)
    master, slave = pty.openpty()

    def own_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [sys.executable, "-m", "envwizard", "--answers", str(a)],
        stdin=slave, stdout=slave, stderr=slave, preexec_fn=own_terminal,
        env=slow_env(tmp_path, TERM="xterm"),
    )  # fmt: skip
    os.close(slave)
    screen: list[bytes] = []

    def pump() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            screen.append(data)

    threading.Thread(target=pump, daemon=True).start()
    kids = wait_for_installer(proc.pid, index)
    os.close(master)  # the terminal window closes: the kernel sends SIGHUP
    rc = proc.wait(timeout=60)
    assert rc == 130, b"".join(screen)[-3000:]
    deadline = time.monotonic() + 10
    while alive(kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(kids) == []
    assert not env.exists()
    [report] = reports(tmp_path)
    assert report["status"] == "cancelled" and report["exit_code"] == 130


# ---- 2. kill -9 of envwizard ---------------------------------------------------------------


@needs_linux_x86
@pytest.mark.slow
@pytest.mark.timed
def test_2_kill_9_takes_the_installer_with_it_and_frees_the_lock(
    tmp_path: Path, slow_index: tuple[str, type[IndexHandler]]
) -> None:
    env = tmp_path / "env"
    url, index = slow_index
    a = slow_torch_answers(tmp_path, env, url)
    proc = start_envwizard("--answers", str(a), env=slow_env(tmp_path))
    drain(proc.stdout)
    kids = wait_for_installer(proc.pid, index)
    proc.kill()
    proc.wait()
    t0 = time.monotonic()
    while alive(kids) and time.monotonic() - t0 < 15:
        time.sleep(0.05)
    took = time.monotonic() - t0
    print(f"kill -9: {len(kids)} children gone {took:.2f} s after envwizard")
    assert alive(kids) == []
    # The lock was held until the last child died; now a new run may take it at once.
    with EnvLock(str(env), wait_seconds=0):
        pass
    state = json.loads((env / STATE_FILE).read_text())
    assert state["current"] == "install-torch"  # the next run repairs this step


@needs_posix
@pytest.mark.slow
def test_2_a_run_that_finds_an_orphaned_installer_waits_for_it_or_refuses(tmp_path: Path) -> None:
    env = tmp_path / "env"
    orphan_maker = f"""
import os, subprocess, sys
from envwizard.run.envlock import EnvLock
from envwizard.run import proc
lock = EnvLock({str(env)!r}).__enter__()
subprocess.Popen(["sleep", "3"], pass_fds=tuple(proc.inherited_fds), start_new_session=True)
os._exit(0)  # dies like kill -9: the installer it started lives on, holding the lock
"""
    subprocess.run([sys.executable, "-c", orphan_maker], check=True, timeout=60)
    with pytest.raises(InvalidInput, match=r"still working on .* stop it or wait"):
        EnvLock(str(env), wait_seconds=0.3).__enter__()
    said: list[str] = []
    t0 = time.monotonic()
    with EnvLock(str(env), wait_seconds=30, on_wait=said.append):
        waited = time.monotonic() - t0
    assert said and "waiting up to 30 s" in said[0]
    assert waited > 0.5  # it really waited for the orphan instead of writing beside it


# ---- 3. half-installed packages --------------------------------------------------------------


def _break_tinypkg(env: Path) -> None:
    """What a kill leaves while the installer copies files: the dist-info is there, code is not."""
    [init] = env.glob("lib/python3*/site-packages/tinypkg/__init__.py")
    init.unlink()


@pytest.mark.slow
def test_3_an_interrupted_install_step_is_repaired_on_resume(
    tmp_path: Path, installed_tiny_env: Callable[[str], TinyEnv]
) -> None:
    env, plan, answers = installed_tiny_env("uv")
    # Killed in the middle of install-torch: the state says so, the package is half there.
    state = json.loads((env / STATE_FILE).read_text())
    state.update(status="running", completed=["create-env"], current="install-torch")
    (env / STATE_FILE).write_text(json.dumps(state))
    _break_tinypkg(env)

    start = resolve_start(inspect_target(env), plan, answers)
    assert start.action == "resume" and start.repair == {"install-torch"}
    second = Runner(plan, answers, start, run_dir=tmp_path / "r2")
    events = run(second)
    assert second.status == "done", [r.status for r in second.results]
    assert any(isinstance(e, Notice) and "interrupted" in e.text for e in events)
    log = next((tmp_path / "r2").glob("*install-torch.log")).read_text()
    assert "--reinstall" in log.splitlines()[0]


@pytest.mark.slow
def test_3_verify_failing_on_a_resumed_envwizard_env_reinstalls_cleanly(
    tmp_path: Path, installed_tiny_env: Callable[[str], TinyEnv]
) -> None:
    env, plan, answers = installed_tiny_env("venv")
    _break_tinypkg(env)  # "complete", yet broken: every resume used to fail verify forever
    start = resolve_start(inspect_target(env), plan, answers)
    assert start.action == "resume" and start.created_by_envwizard and not start.repair
    runner = Runner(plan, answers, start, run_dir=tmp_path / "r2")
    events = run(runner)
    assert any(isinstance(e, Notice) and "reinstalling its packages" in e.text for e in events)
    assert runner.status == "done"
    assert [r.status for r in runner.results if r.id == "verify"] == ["ok"]


@pytest.mark.slow
def test_3_a_failed_verify_says_its_cause_in_one_line(tmp_path: Path, wheelhouse: Path) -> None:
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheelhouse)
    verify = command_step(
        "verify", "Verify", [env_python(env), script_path("verify.py"), "--device", "cpu"], "verify"
    )
    plan = make_plan(env, [*plan.steps[:3], verify])
    runner = Runner(
        plan, answers_for(env, keep_failed=True), Start("create"), run_dir=tmp_path / "r"
    )
    events = run(runner)
    [done] = [e for e in events if isinstance(e, StepFinished) and e.step_id == "verify"]
    assert done.status == "failed"
    assert any(line.startswith("verify: import torch failed") for line in done.tail), done.tail


# ---- 4. a full disk -------------------------------------------------------------------------


def _big_wheel(directory: Path, name: str, version: str, mib: int) -> Path:
    """A valid wheel with an incompressible payload, so installing it needs `mib` MiB."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = f"{name}-{version}.dist-info"
    out = directory / f"{name}-{version}-py3-none-any.whl"
    files = {
        f"{name}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        f"{name}/payload.bin": os.urandom(mib * 2**20),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    import hashlib

    rec = [
        f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode()},{len(b)}"
        for p, b in files.items()
    ]
    files[f"{dist}/RECORD"] = ("\n".join([*rec, f"{dist}/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for p, b in files.items():
            z.writestr(p, b)
    return out


@pytest.fixture
def small_disk(tmp_path: Path):
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    mnt = tmp_path / "small"
    mnt.mkdir()
    # Big enough for pre-flight (tmpfs uses memory only for what is written); the drill shrinks
    # it once the run has started, as if something else had filled the disk.
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1400m", "tmpfs", str(mnt)], capture_output=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.slow
def test_4_a_full_disk_during_pip_install_rolls_back_and_reports(
    tmp_path: Path, small_disk: Path
) -> None:
    env = small_disk / "env"
    wheels = tmp_path / "wheels"
    # 2.13.1: not the machine's own wheel folder's build, which the installer would prefer.
    _big_wheel(wheels, "torch", "2.13.1+cpu", 64)
    a = answers_file(
        tmp_path, manager="venv", env=str(env), torch="==2.13.1", offline=True,
        find_links=[str(wheels)],
    )  # fmt: skip
    proc = start_envwizard("--answers", str(a), env=home_env(tmp_path))
    got = drain(proc.stdout)
    deadline = time.monotonic() + 120
    # The create-env step running means pre-flight has passed.
    while not any(str(env) in line for line in command_lines(proc.pid)):
        assert time.monotonic() < deadline and proc.poll() is None, "".join(got)
        time.sleep(0.05)
    subprocess.run(["mount", "-o", "remount,size=48m", str(small_disk)], check=True)
    proc.wait(timeout=600)
    time.sleep(0.5)
    out = "".join(got)
    assert proc.returncode == 1, out
    assert "internal error" not in out and "Traceback" not in out
    assert "No space left on device" in out or "Errno 28" in out
    assert "rolled back" in out
    assert not env.exists()
    used = os.statvfs(small_disk)
    assert (used.f_blocks - used.f_bfree) * used.f_frsize < 4 * 2**20  # the space is back
    [report] = reports(tmp_path)
    assert report["status"] == "failed"
    assert any(s["id"] == "install-torch" and s["status"] == "failed" for s in report["steps"])


# ---- 5. kill -9 during rollback -------------------------------------------------------------


@pytest.mark.slow
def test_5_the_marker_is_written_before_the_environment_exists(
    tmp_path: Path, wheelhouse: Path
) -> None:
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheelhouse)
    check = (
        "import json, sys; d = json.load(open(sys.argv[1])); "
        "sys.exit(0 if d.get('env') == 'creating' else 3)"
    )
    steps = [
        command_step(
            "create-env", "Check", [sys.executable, "-c", check, str(lock_path(env))], "create-env"
        ),
        *plan.steps,
    ]
    runner = Runner(
        make_plan(env, steps), answers_for(env), Start("create"), run_dir=tmp_path / "r"
    )
    run(runner)
    assert runner.results[0].status == "ok"
    assert read_marker(env)["env"] == "created"


@pytest.mark.slow
@pytest.mark.timed
def test_5_a_rollback_killed_half_way_is_finished_by_the_next_run(
    tmp_path: Path, installed_tiny_env: Callable[[str], TinyEnv]
) -> None:
    env, plan, answers = installed_tiny_env("venv")
    # What kill -9 during the removal leaves: bin/ and lib/, no pyvenv.cfg, marker "removing".
    with EnvLock(str(env)) as lock:
        lock.update(env="removing")
    (env / "pyvenv.cfg").unlink()
    (env / STATE_FILE).write_text(json.dumps({"status": "rolling-back", "plan": "x"}))
    target = inspect_target(env)
    assert target.kind == "leftover"
    for existing in ("abort", "recreate"):
        start = resolve_start(target, plan, answers_for(env, existing=existing))
        assert start.action == "create" and start.cleanup
    runner = Runner(plan, answers, start, run_dir=tmp_path / "r2")
    run(runner)
    assert runner.status == "done" and (env / "pyvenv.cfg").is_file()


def test_5_what_is_left_of_an_environment_can_be_recreated(tmp_path: Path) -> None:
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    (env / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    target = inspect_target(env)
    assert target.kind == "remnant"
    plan = make_plan(env, [])
    with pytest.raises(InvalidInput, match="existing: recreate"):
        resolve_start(target, plan, answers_for(env))
    start = resolve_start(target, plan, answers_for(env, existing="recreate"))
    assert start.action == "recreate" and start.cleanup and start.destructive


# ---- 6. recreate in a project folder --------------------------------------------------------


@pytest.mark.slow
def test_6_recreate_never_deletes_files_that_are_not_the_environment(tmp_path: Path) -> None:
    project = tmp_path / "project"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project)], check=True)
    (project / "src").mkdir()
    (project / "src" / "train.py").write_text("print('mine')\n")
    (project / "notes.md").write_text("mine\n")
    a = answers_file(tmp_path, manager="venv", env=str(project), existing="recreate")
    proc = start_envwizard("--answers", str(a), "--yes", env=home_env(tmp_path))
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2, out
    assert "notes.md, src" in out and "will not delete them" in out
    assert (project / "src" / "train.py").read_text() == "print('mine')\n"
    assert (project / "notes.md").exists() and (project / "pyvenv.cfg").exists()
    [report] = reports(tmp_path)
    assert report["status"] == "invalid" and "notes.md" in report["reason"]


# ---- 7. reuse + cancel ----------------------------------------------------------------------


@needs_linux_x86
@pytest.mark.slow
@pytest.mark.timed
def test_7_cancel_while_installing_into_a_reused_env_says_how_to_repair(
    tmp_path: Path, slow_index: tuple[str, type[IndexHandler]]
) -> None:
    env = tmp_path / "mine"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, capture_output=True)
    url, index = slow_index
    a = slow_torch_answers(tmp_path, env, url, existing="reuse")
    proc = start_envwizard("--answers", str(a), env=slow_env(tmp_path, COLUMNS="400"))
    got = drain(proc.stdout)
    wait_for_installer(proc.pid, index)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    out = "".join(got)
    assert proc.returncode == 130, out
    assert "was left as it is" not in out
    assert "may now be half-installed" in out and "Run the same answers again to repair" in out
    assert (env / "pyvenv.cfg").exists()
    assert json.loads((env / STATE_FILE).read_text())["current"] == "install-torch"


# ---- 8. the lock lives with the environment -------------------------------------------------


@pytest.mark.slow
def test_8_two_users_with_different_state_folders_share_one_lock(tmp_path: Path) -> None:
    env = tmp_path / "env"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from envwizard.run.envlock import EnvLock\nimport sys, time\n"
         f"with EnvLock({str(env)!r}):\n print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "a")},
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        a = answers_file(
            tmp_path, manager="venv", env=str(env), offline=True, find_links=[str(tmp_path)]
        )
        proc = start_envwizard("--answers", str(a), env=home_env(tmp_path))
        out, _ = proc.communicate(timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 2, out
    assert f"another envwizard run (pid {holder.pid})" in out
    assert not env.exists()


# ---- 10. the smaller gaps -------------------------------------------------------------------


@needs_posix
@pytest.mark.slow
@pytest.mark.timed
def test_10_sigterm_during_preflight_exits_130_with_a_report(tmp_path: Path) -> None:
    env = tmp_path / "env"
    with serve("hang-all") as (url, handler):
        a = answers_file(tmp_path, manager="venv", env=str(env), torch_index=url)
        proc = start_envwizard("--answers", str(a), env=home_env(tmp_path))
        got = drain(proc.stdout)
        deadline = time.monotonic() + 120
        # "Decision" is printed just before pre-flight; the index's first request is pre-flight
        # waiting on it.
        while not (any("Decision" in line for line in got) and handler.seen_auth):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(got)
            time.sleep(0.05)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
        took = time.monotonic() - t0
    print(f"SIGTERM during pre-flight: exit {rc} after {took:.2f} s")
    assert rc == 130, "".join(got)
    [report] = reports(tmp_path)
    assert report["status"] == "cancelled"
    assert not env.exists()


@needs_posix
@pytest.mark.slow
@pytest.mark.timed
def test_10_sigint_during_the_probe_exits_130_with_a_report(tmp_path: Path) -> None:
    # The pre-flight probes the index, which never answers here: signal while it waits.
    with serve("hang-all") as (url, handler):
        a = answers_file(tmp_path, manager="venv", env=str(tmp_path / "env"), torch_index=url)
        proc = start_envwizard("--answers", str(a), env=home_env(tmp_path))
        deadline = time.monotonic() + 60
        while not handler.seen_auth:
            assert time.monotonic() < deadline and proc.poll() is None, "no index probe came"
            time.sleep(0.02)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    print(f"SIGINT during the probe: exit {proc.returncode} after {time.monotonic() - t0:.2f} s")
    assert proc.returncode == 130, out
    assert reports(tmp_path)[0]["status"] == "cancelled"


@pytest.mark.slow
def test_10_input_and_preflight_errors_leave_a_report_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("manager: venvv\nenv: /tmp/x\n")
    out = tmp_path / "out" / "r.json"
    proc = start_envwizard("--answers", str(bad), "--report", str(out), env=home_env(tmp_path))
    text, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, text
    assert json.loads(out.read_text())["status"] == "invalid"
    assert "manager" in json.loads(out.read_text())["reason"]

    a = answers_file(
        tmp_path,
        manager="venv",
        env=str(tmp_path / "env"),
        torch_index="default",
    )
    env = home_env(tmp_path, PIP_INDEX_URL="http://127.0.0.1:9/simple", VIRTUAL_ENV="/x", COLUMNS="400",
                   PIP_REQUIRE_VIRTUALENV="1")  # fmt: skip
    proc = start_envwizard("--answers", str(a), env=env)
    text, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2, text
    assert "cannot reach http://127.0.0.1:9/simple" in text  # the installer's own index
    assert "VIRTUAL_ENV is set" in text and "PIP_REQUIRE_VIRTUALENV is set" in text
    assert any("cannot reach" in r["reason"] for r in reports(tmp_path))
    assert not (tmp_path / "env").exists()


def test_10_pip_and_uv_config_indexes_are_found(tmp_path: Path) -> None:
    from envwizard.run.preflight import configured_indexes

    (tmp_path / "pip").mkdir()
    (tmp_path / "pip" / "pip.conf").write_text(
        "[global]\nindex-url = https://mirror.test/simple\nextra-index-url = https://extra.test/simple\n"
    )
    (tmp_path / "uv").mkdir()
    (tmp_path / "uv" / "uv.toml").write_text('[[index]]\nurl = "https://uv.test/simple"\n')
    env = {"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    assert configured_indexes("pip", env) == [
        "https://mirror.test/simple",
        "https://extra.test/simple",
    ]
    assert configured_indexes("uv", env) == ["https://uv.test/simple"]
    env["UV_INDEX_URL"] = "https://env.test/simple"
    assert configured_indexes("uv", env)[0] == "https://env.test/simple"


@pytest.mark.slow
def test_10_unwritable_report_after_success_is_a_clear_error(
    tmp_path: Path,
    wheelhouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from envwizard.app.headless import apply
    from envwizard.app.session import Session
    from envwizard.facts.load import facts_from_json

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    env = tmp_path / "env"
    plan = tiny_plan("venv", env, wheelhouse)
    facts = facts_from_json(json.dumps({
        "schema": 1, "os": {"system": "Linux", "machine": "x86_64", "glibc": "2.36"},
        "python": {"version": "3.11.7", "executable": sys.executable}, "gpus": [], "nvidia_driver": None,
    }))  # fmt: skip
    blocker = tmp_path / "file"
    blocker.write_text("")
    rc = apply(Session(facts, answers_for(env), plan), report=str(blocker / "r.json"))
    err = capsys.readouterr().err
    assert rc == 2
    assert "cannot write the report to" in err and "internal error" not in err
    assert reports(tmp_path)[0]["status"] == "done"  # the run folder has it


@needs_linux_x86
@pytest.mark.slow
@pytest.mark.timed
def test_10_a_hanging_index_is_a_clear_stall_failure(tmp_path: Path) -> None:
    env = tmp_path / "env"
    with serve("hang") as (url, _):
        a = answers_file(tmp_path, manager="venv", env=str(env), torch="==2.13.1", torch_index=url)
        proc = start_envwizard("--answers", str(a), "--stall-seconds", "4", env=home_env(tmp_path))
        out, _ = proc.communicate(timeout=300)
    # The resolve meets the hanging index first: refused before anything is made.
    assert proc.returncode == 2, out
    assert "stalled: no output and no bytes downloaded for 4 s" in out
    assert not env.exists()


# ---- 11. credentials in index URLs ----------------------------------------------------------


def test_11_redaction_is_the_way_pip_writes_it() -> None:
    from envwizard.core.redact import redact_text, split_credentials

    assert (
        redact_text("-i https://alice:s3cret@h.test/simple")
        == "-i https://alice:****@h.test/simple"
    )
    assert redact_text("https://tok3n@h.test/x and http://u:p@proxy:3128") == (
        "https://****@h.test/x and http://u:****@proxy:3128"
    )
    assert redact_text("mail me: a@b.test") == "mail me: a@b.test"
    assert split_credentials("https://alice:s%40cret@h.test:8443/simple") == (
        "https://h.test:8443/simple", "alice", "s@cret",
    )  # fmt: skip


@pytest.mark.slow
def test_11_secrets_stay_out_of_dry_run_plan_json_and_errors(tmp_path: Path) -> None:
    secret = "s3cretTOKEN"
    a = answers_file(
        tmp_path, manager="uv", env=str(tmp_path / "env"),
        torch_index=f"https://alice:{secret}@127.0.0.1:9/whl/cpu",
        index_url=f"https://alice:{secret}@127.0.0.1:9/simple",
    )  # fmt: skip
    env = home_env(tmp_path, COLUMNS="300")
    dry = subprocess.run([sys.executable, "-m", "envwizard", "--answers", str(a), "--dry-run"],
                         capture_output=True, text=True, env=env)  # fmt: skip
    plan = subprocess.run([sys.executable, "-m", "envwizard", "plan", "--answers", str(a), "--json"],
                          capture_output=True, text=True, env=env)  # fmt: skip
    real = subprocess.run([sys.executable, "-m", "envwizard", "--answers", str(a)],
                          capture_output=True, text=True, env=env)  # fmt: skip
    assert plan.returncode == 0, plan.stderr
    # The dry run shows every command, then says its pre-flight would refuse the dead index.
    assert dry.returncode == 0, dry.stderr
    assert "alice:****@127.0.0.1:9" in dry.stdout
    assert "cannot reach https://alice:****@127.0.0.1:9" in dry.stderr
    assert "alice:****@127.0.0.1:9" in plan.stdout
    # Pre-flight parses the URL (host 127.0.0.1, not "alice:...@127.0.0.1") and masks it.
    assert real.returncode == 2 and "cannot reach https://alice:****@127.0.0.1:9" in real.stderr
    for text in (dry.stdout, dry.stderr, plan.stdout, real.stdout, real.stderr):
        assert secret not in text
    for report in reports(tmp_path):
        assert secret not in json.dumps(report)


@needs_linux_x86
@pytest.mark.slow
def test_11_credentials_reach_the_installer_and_nothing_else(tmp_path: Path) -> None:
    secret = "s3cretTOKEN"
    header = "Basic " + base64.b64encode(f"alice:{secret}".encode()).decode()
    env = tmp_path / "env"
    with serve("slow", auth=header) as (url, handler):
        authed = url.replace("http://", f"http://alice:{secret}@")
        a = slow_torch_answers(tmp_path, env, authed)
        proc = start_envwizard("--answers", str(a), env=slow_env(tmp_path))
        got = drain(proc.stdout)
        wait_for_installer(proc.pid, handler)
        deadline = time.monotonic() + 60
        while len(handler.seen_auth) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the installer has asked the index for torch
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        seen = list(handler.seen_auth)
    out = "".join(got)
    assert proc.returncode == 130, out
    assert seen.count(header) >= 2  # pre-flight and pip both authenticated
    assert secret not in out
    [run_dir] = (tmp_path / "state" / "envwizard" / "log" / "runs").iterdir()
    for f in run_dir.iterdir():
        assert secret not in f.read_text(errors="replace"), f.name
    assert "alice:****@" in (run_dir / "plan.json").read_text()
