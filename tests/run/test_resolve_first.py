"""Resolve first, then install exactly that: `envwizard --answers` as users run it, against real
sources — an index holding the default index's (CUDA) builds, a wheel folder holding a CPU torch.

The refusals are tested against sources built here (tiny wheels, a file:// index), so they hold
on any machine; the installs take the real CPU torch from this machine's own wheel folder and
are skipped where there is none.
"""

from __future__ import annotations

import http.server
import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..builders import build_wheel, file_index, run_envwizard
from ..conftest import local_torch_version, pip_find_links

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths in the answers"),
]


def isolated(tmp_path: Path, index: str, folder: Path) -> dict[str, str]:
    """A machine whose pip is configured with exactly `index` and the wheel folder `folder`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,  # none of this machine's own pip configuration
            "PIP_INDEX_URL": index,
            "PIP_FIND_LINKS": str(folder),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        }
    )
    return env


def answers(tmp_path: Path, **keys: object) -> Path:
    data = {
        "manager": "venv",
        "env": str(tmp_path / "env"),
        "python": sys.executable,
        "benchmark": False,
        **keys,
    }
    path = tmp_path / "answers.yaml"
    path.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in data.items()))
    return path


@pytest.fixture
def cuda_index_and_cpu_folder(tmp_path: Path) -> tuple[str, Path]:
    """What this machine's pip is configured with, in miniature: an index holding the default
    index's builds (no local tag: CUDA on Linux x86-64), a wheel folder holding `+cpu`."""
    built = tmp_path / "built"
    index = file_index(
        tmp_path / "index",
        [
            build_wheel(built, "torch", "2.14.1"),
            build_wheel(built, "torch", "2.13.0"),
            build_wheel(built, "torchvision", "0.28.0", requires=("torch==2.13.0",)),
            build_wheel(built, "torchaudio", "2.11.1", requires=("torch>=2.11",)),
        ],
    )
    folder = tmp_path / "wheels"
    build_wheel(folder, "torch", "2.13.0+cpu")
    return index, folder


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="untagged torch is CUDA on x86-64")
@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_cpu_against_an_index_of_cuda_builds_stops_before_anything_is_made(
    tmp_path: Path, cuda_index_and_cpu_folder: tuple[str, Path], installer: str
) -> None:
    index, folder = cuda_index_and_cpu_folder
    a = answers(tmp_path, compute="cpu", torch_index="default", installer=installer)
    report = tmp_path / "report.json"
    r = run_envwizard(
        "--answers", str(a), "--report", str(report), state=tmp_path / "state",
        env=isolated(tmp_path, index, folder),
    )  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    err = r.stderr
    assert (
        f"torch 2.14.1 from {index}, the CUDA 13.0 build, but the plan chose the CPU build" in err
    )
    assert "nothing was created" in err
    assert f'{folder} holds torch 2.13.0+cpu (CPU): set torch: "==2.13.0" to install it' in err
    assert "Traceback" not in err and err.count("\n") == 1  # one sentence
    assert not (tmp_path / "env").exists()
    saved = json.loads(report.read_text())
    assert saved["status"] == "invalid" and "CUDA 13.0 build" in saved["reason"]


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="untagged builds are CUDA on x86-64")
def test_companions_without_a_cpu_build_stop_before_anything_is_made(
    tmp_path: Path, cuda_index_and_cpu_folder: tuple[str, Path]
) -> None:
    index, folder = cuda_index_and_cpu_folder
    a = answers(
        tmp_path, compute="cpu", torch_index="default", torch="==2.13.*", installer="pip",
        packages=["torchvision", "torchaudio"],
    )  # fmt: skip
    r = run_envwizard(
        "--answers", str(a), state=tmp_path / "state", env=isolated(tmp_path, index, folder)
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert (
        f"no CPU build of torchvision among the configured sources — {index} holds its CUDA 13.0 "
        "build (torchvision 0.28.0); add PyTorch's cpu index or a wheel folder that has one, or "
        "leave torchvision out; nothing was created"
    ) in r.stderr
    assert "locked: torch 2.13.0+cpu" not in r.stdout  # refused before the lock was taken
    assert not (tmp_path / "env").exists()
    # The pin follows torchaudio's stable ABI: 2.11 for torch 2.13, never "torch's version".
    log = next((tmp_path / "state").rglob("resolve-1.json")).read_text()
    assert '"version": "2.11.1"' in log


def test_a_set_the_sources_do_not_hold_is_the_installers_own_words_whole(
    tmp_path: Path, cuda_index_and_cpu_folder: tuple[str, Path]
) -> None:
    _index, folder = cuda_index_and_cpu_folder
    built = tmp_path / "built2"
    bare = file_index(tmp_path / "bare", [build_wheel(built, "torch", "2.13.0")])  # no torchaudio
    a = answers(
        tmp_path, compute="cpu", torch_index="default", torch="==2.13.*", installer="pip",
        packages=["torchaudio"],
    )  # fmt: skip
    r = run_envwizard(
        "--answers", str(a), state=tmp_path / "state", env=isolated(tmp_path, bare, folder)
    )
    assert r.returncode == 2, r.stdout + r.stderr
    err = r.stderr
    assert "pip cannot install torch==2.13.*, torchaudio==2.11.* for Python" in err
    assert "nothing was created. It said: ERROR:" in err
    assert err.rstrip().endswith("No matching distribution found for torchaudio==2.11.*")
    assert not (tmp_path / "env").exists()


# ---- installs of the real CPU torch ---------------------------------------------------------------
def real_torch() -> tuple[str, Path]:
    version = local_torch_version()
    if not version:
        pytest.skip("no torch wheel in pip's configured find-links")
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    wheel = next(
        w for f in pip_find_links() for w in sorted(f.glob(f"torch-{version}*-{tag}-*.whl"))
    )
    return version, wheel


def test_a_wheel_folder_run_installs_the_cpu_build_and_names_the_folder(tmp_path: Path) -> None:
    version, wheel = real_torch()
    a = answers(tmp_path, compute="cpu", torch_index="default", torch=f"=={version}")
    report = tmp_path / "report.json"
    r = run_envwizard(
        "--answers", str(a), "--report", str(report), state=tmp_path / "state", timeout=1500
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    data = json.loads(report.read_text())
    installed = data["installed"]
    assert installed["torch"].endswith("+cpu") and installed["build"] == "cpu"
    assert installed["source"] == str(wheel.parent) and installed["verified"] is True
    assert data["verify"]["ok"] and data["verify"]["build"] == "cpu" and data["verify"]["lock_ok"]
    lock = json.loads((tmp_path / "env" / "envwizard-lock.json").read_text())
    assert lock["variant"] == "cpu" and lock == json.loads(Path(data["lock"]).read_text())
    assert not any(p["name"].startswith("nvidia-") for p in lock["packages"])
    assert f"from {wheel.parent}" in " ".join(r.stdout.split())  # the summary says it too

    # The same answers again: the environment's own lock, not a new resolve; nothing reinstalled.
    dry = run_envwizard("--answers", str(a), "--dry-run", state=tmp_path / "state")
    assert dry.returncode == 0 and "is already complete" in dry.stdout, dry.stdout + dry.stderr
    again = run_envwizard("--answers", str(a), state=tmp_path / "state", timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    said = " ".join(again.stdout.split())  # Rich wraps lines at the terminal's width
    assert "resolving:" not in said and "is already complete; verifying it again" in said
    assert f"locked: torch {installed['torch']} (cpu) from {wheel.parent}" in said
    assert not list((tmp_path / "state").rglob("00-resolve-1.log"))[1:]  # the first run's only


@pytest.fixture
def links_page(tmp_path: Path) -> Iterator[str]:
    """A flat page of wheel links over HTTP, as the mirrors of PyTorch's wheel pages are."""
    _version, wheel = real_torch()
    root = tmp_path / "mirror"
    (root / "whl" / "cpu").mkdir(parents=True)
    (root / "whl" / "cpu" / wheel.name).symlink_to(wheel)
    (root / "whl" / "cpu" / "torch_stable.html").write_text(
        f'<html><body><a href="{wheel.name.replace("+", "%2B")}">{wheel.name}</a></body></html>'
    )
    handler = type(
        "Quiet",
        (http.server.SimpleHTTPRequestHandler,),
        {"log_message": lambda *a: None, "__init__": _serve_from(str(root))},
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/whl/cpu/torch_stable.html"
    finally:
        server.shutdown()
        server.server_close()


def _serve_from(root: str):  # type: ignore[no-untyped-def]
    def init(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        http.server.SimpleHTTPRequestHandler.__init__(self, *args, directory=root, **kwargs)

    return init


def test_a_flat_links_mirror_run_names_the_links_page(tmp_path: Path, links_page: str) -> None:
    import dataclasses

    from envwizard.app.commands import plan_for
    from envwizard.app.headless import apply
    from envwizard.app.session import Session
    from envwizard.plan.steps import Install
    from envwizard.settings.answers import load_answers

    version, wheel = real_torch()
    a = load_answers(
        str(answers(tmp_path, compute="cpu", torch=f"=={version}", mirror="aliyun-pytorch",
                    installer="pip"))
    )  # fmt: skip
    facts, plan = plan_for(a, None)
    # The preset's page, moved here: the plan is the one `mirror:` makes for a links page.
    torch = plan.step("install-torch")
    assert isinstance(torch.spec, Install) and torch.spec.sources.no_index
    sources = dataclasses.replace(torch.spec.sources, find_links=(links_page,))
    plan.steps[1] = torch.with_spec(dataclasses.replace(torch.spec, sources=sources))
    report = tmp_path / "report.json"
    os.environ["XDG_STATE_HOME"] = str(tmp_path / "state")
    try:
        code = apply(Session(facts, a, plan), yes=True, report=str(report))
    finally:
        del os.environ["XDG_STATE_HOME"]
    data = json.loads(report.read_text())
    assert code == 0, data
    assert data["installed"]["source"] == links_page
    assert data["installed"]["file"] == wheel.name and data["installed"]["verified"] is True
    assert data["installed"]["index"] == links_page  # not "the installer's configured index"
    steps = [s["id"] for s in data["steps"]]
    assert "install-torch-deps" not in steps  # one locked install from the page and the index
