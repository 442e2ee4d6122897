"""`envwizard --answers FILE` as users run it: a real process, real signals, real files."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from envwizard.lock import EnvLock


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Run logs and locks go under tmp_path (platformdirs follows XDG_STATE_HOME)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}


def envwizard(*args: str, env: dict[str, str], **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "envwizard", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        **kw,  # type: ignore[call-overload]
    )


WHEEL = "torch-2.13.0+cpu-cp{v}-cp{v}-manylinux_2_28_x86_64.whl".format(
    v=f"{sys.version_info[0]}{sys.version_info[1]}"
)


class _SlowIndex(http.server.BaseHTTPRequestHandler):
    """A PyTorch-index mirror whose torch wheel downloads at a trickle, so an install is in flight."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/torch"):
            body = f'<html><body><a href="/files/{WHEEL}">{WHEEL}</a></body></html>'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/files/"):
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(200 * 2**20))
            self.end_headers()
            try:
                for _ in range(600):
                    self.wfile.write(b"\0" * 4096)
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass
            return
        body = b"<html></html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def slow_index() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowIndex)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine != "x86_64",
    reason="the fake wheel name is for Linux x86_64",
)
def test_sigint_mid_install_exits_130_quickly_leaves_no_child_and_no_env(
    tmp_path: Path, home: dict[str, str], slow_index: str
) -> None:
    env = tmp_path / "env"
    answers = tmp_path / "a.yaml"
    answers.write_text(
        f"manager: venv\nenv: {env}\ncompute: cpu\ntorch: '==2.13.0'\n"
        f"torch_index: {slow_index}\nbenchmark: {{enabled: false}}\n"
        "installer: pip\n"  # pip's own download, stopped mid-way
    )
    proc = envwizard("--answers", str(answers), env=home)
    seen: list[str] = []
    kids: set[int] = set()
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        seen.append(line)
        if "Downloading" in line or "Collecting torch" in line:
            break
        assert time.monotonic() < deadline, "".join(seen)
    else:
        pytest.fail("install never started:\n" + "".join(seen))
    time.sleep(1.0)  # the download is under way
    kids = {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
    assert kids, "the install step should be running"
    assert env.exists()

    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=10)
    took = time.monotonic() - t0

    assert proc.returncode == 130, "".join(seen) + out
    print(f"SIGINT to exit: {took:.2f} s, {len(kids)} child processes stopped")
    assert took < 5.0
    alive = [
        p
        for p in kids
        if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ]
    assert alive == []
    assert not env.exists()
    assert "Cancelled" in out and "rolled back" in out
    assert "Traceback" not in out


def test_recreate_without_a_terminal_or_yes_is_refused_and_changes_nothing(
    tmp_path: Path, home: dict[str, str]
) -> None:
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    before = sorted(p.name for p in env.iterdir())
    answers = tmp_path / "a.yaml"
    answers.write_text(
        f"manager: venv\nenv: {env}\nexisting: recreate\ncompute: cpu\nbenchmark: false\n"
    )
    proc = envwizard("--answers", str(answers), env=home)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out
    assert "pass --yes" in out
    assert sorted(p.name for p in env.iterdir()) == before


def test_a_second_run_on_the_same_env_is_refused_while_one_holds_it(
    tmp_path: Path, home: dict[str, str]
) -> None:
    env = tmp_path / "env"
    answers = tmp_path / "a.yaml"
    answers.write_text(f"manager: venv\nenv: {env}\ncompute: cpu\nbenchmark: false\n")
    with EnvLock(str(env)):
        proc = envwizard("--answers", str(answers), env=home)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out
    assert f"another envwizard run (pid {os.getpid()})" in out
    assert not env.exists()


def test_unreachable_index_is_a_preflight_error_that_creates_nothing(
    tmp_path: Path, home: dict[str, str]
) -> None:
    env = tmp_path / "env"
    answers = tmp_path / "a.yaml"
    # Port 9 (discard) on loopback: refused at once, no network needed.
    answers.write_text(
        f"manager: venv\nenv: {env}\ncompute: cpu\ntorch_index: http://127.0.0.1:9\nbenchmark: false\n"
    )
    proc = envwizard("--answers", str(answers), env=home)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out
    assert "cannot reach http://127.0.0.1:9/cpu" in out
    assert "torch_index: default" in out and "find_links" in out
    assert not env.exists()
    assert "Traceback" not in out


def test_dry_run_report_contract_fields_are_written(tmp_path: Path, home: dict[str, str]) -> None:
    """--dry-run never writes a report or an environment; the plan printout carries the commands."""
    env = tmp_path / "env"
    answers = tmp_path / "a.yaml"
    answers.write_text(
        f"manager: uv\nenv: {env}\ncompute: cpu\ntorch: '==2.13.*'\npackages: [torchvision]\n"
    )
    proc = envwizard(
        "--answers", str(answers), "--dry-run", "--report", str(tmp_path / "r.json"), env=home
    )
    out, _ = proc.communicate(timeout=60)
    # Good answers: the dry run succeeds, and says when its pre-flight would stop the real run.
    assert proc.returncode == 0, out
    assert str(env) in out and "torch==2.13.*" in out and "torchvision==0.28.*" in out
    assert not env.exists() and not (tmp_path / "r.json").exists()
    json_plan = subprocess.run(
        [sys.executable, "-m", "envwizard", "plan", "--answers", str(answers), "--json"],
        capture_output=True, text=True, env=home, check=True,
    ).stdout  # fmt: skip
    assert json.loads(json_plan)["steps"][0]["argv"][:2][1] == "venv"
