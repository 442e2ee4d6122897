"""Bundles: the layout and manifest, the files fetched by their own URL and hash, and the
refusals before anything is created (another platform, another Python, a tampered or missing
file). Tiny real wheels built here; the real torch bundle and its offline install are in
test_bundle_e2e.py."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from envwizard.app.session import Session
from envwizard.core.errors import InvalidInput
from envwizard.plan.build import make_plan
from envwizard.plan.lock import LOCK_FILE, Group, Lock, Locked
from envwizard.plan.steps import Install, Installer
from envwizard.plan.wheeltags import Target
from envwizard.run.bundle import (
    MANIFEST,
    Manifest,
    bundle_answers,
    check_bundle,
    fetch_all,
    open_bundle,
    prepare_folder,
    relocated,
    write_bundle,
)
from envwizard.run.fetch import Fetcher, FetchFailed, Wanted
from envwizard.settings.answers import Answers

from ..builders import answers_for, build_wheel, plain_facts

HERE = Target("Linux", "x86_64", "3.11", "2.36")
ARM = Target("Linux", "aarch64", "3.12", "2.35")
SECRET = "s3cr3t-t0ken"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def locked(wheel: Path, name: str, version: str, source: str) -> Locked:
    return Locked(
        name,
        version,
        Group.TORCH,
        source=source,
        url=wheel.as_uri(),
        hashes=(("sha256", sha256(wheel)),),
        requested=name == "torch",
    )


def tiny_lock(folder: Path, target: Target = HERE) -> Lock:
    """A lock of two real wheels for `target`: a stand-in torch +cpu and a pure-Python package."""
    py = "cp" + target.python.replace(".", "")
    plat = f"manylinux_2_28_{target.arch}"
    torch = build_wheel(folder, "torch", "2.13.0+cpu", tag=f"{py}-{py}-{plat}")
    dep = build_wheel(folder, "tinydep", "1.0")
    return Lock(
        Installer.PIP,
        target.python,
        f"{target.platform} glibc {target.glibc}",
        (
            locked(dep, "tinydep", "1.0", str(folder)),
            locked(torch, "torch", "2.13.0+cpu", str(folder)),
        ),
        sources=(str(folder),),
        variant="cpu",
    )


def make(out: Path, lock: Lock, target: Target = HERE, answers: Answers | None = None) -> Manifest:
    prepare_folder(out)
    files = fetch_all(lock, out, target, Fetcher(lock.sources))
    manifest = Manifest(target, "cpu", "2.13.0+cpu", "pip", "venv", tuple(files))
    answers = answers or Answers(env=str(out.parent / "env"))
    write_bundle(out, manifest, lock, answers, {"decision": {"variant": "cpu"}})
    return manifest


# ---- wheel tags ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filename", "fits"),
    [
        ("torch-2.13.0+cpu-cp312-cp312-manylinux_2_28_aarch64.whl", True),
        ("numpy-2.4.6-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", True),
        ("tinydep-1.0-py3-none-any.whl", True),
        ("cryptography-46.0.0-cp311-abi3-manylinux_2_28_aarch64.whl", True),
        ("torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_aarch64.whl", False),
        ("torch-2.13.0+cpu-cp312-cp312-manylinux_2_28_x86_64.whl", False),
        ("thing-1.0-cp312-cp312-manylinux_2_39_aarch64.whl", False),
        ("thing-1.0-cp312-cp312-win_amd64.whl", False),
        ("thing-1.0-py2-none-any.whl", False),
    ],
)
def test_wheel_tags_against_a_target(filename: str, fits: bool) -> None:
    assert (ARM.wheel_problem(filename) is None) is fits


def test_wheel_problems_say_which_mismatch() -> None:
    glibc = ARM.wheel_problem("thing-1.0-cp312-cp312-manylinux_2_39_aarch64.whl")
    assert glibc is not None and "glibc 2.39" in glibc and "2.35" in glibc
    python = ARM.wheel_problem("torch-2.13.0-cp311-cp311-manylinux_2_28_aarch64.whl")
    assert python is not None and "Python" in python and "3.12" in python
    platform = ARM.wheel_problem("torch-2.13.0-cp312-cp312-manylinux_2_28_x86_64.whl")
    assert platform is not None and "linux-aarch64" in platform


def test_platform_tags_for_pip_download() -> None:
    tags = ARM.platform_tags()
    assert tags[0] == "manylinux_2_35_aarch64" and "manylinux2014_aarch64" in tags
    assert all(t.endswith("aarch64") for t in tags)
    assert Target("Darwin", "arm64", "3.12", macos="14.5").platform_tags()[0] == "macosx_14_0_arm64"
    assert Target("Windows", "AMD64", "3.12").platform_tags() == ["win_amd64"]


# ---- fetching ------------------------------------------------------------------------------------
def test_fetch_checks_the_hash_and_keeps_a_matching_file(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "src", "tinydep", "1.0")
    good = Wanted(wheel.as_uri(), tmp_path / "out" / wheel.name, (("sha256", sha256(wheel)),), "x")
    seen: list[tuple[int, int | None]] = []
    got = Fetcher([]).fetch(good, lambda _label, done, total: seen.append((done, total)))
    assert got.sha256 == sha256(wheel) and not got.reused
    assert seen[-1] == (wheel.stat().st_size, wheel.stat().st_size)
    assert Fetcher([]).fetch(good).reused  # a second bundle run takes what is there
    bad = Wanted(wheel.as_uri(), tmp_path / "bad" / wheel.name, (("sha256", "0" * 64),), "tinydep")
    with pytest.raises(FetchFailed, match="not the file the lock names"):
        Fetcher([]).fetch(bad)
    assert not (tmp_path / "bad" / wheel.name).exists()
    assert not list((tmp_path / "bad").glob("*.part"))


class _AuthHandler(http.server.BaseHTTPRequestHandler):
    """Serves one file to the user `me` with the password SECRET, nothing to anyone else."""

    body = b""
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        self.seen.append(self.path + " " + auth)
        want = "Basic " + base64.b64encode(f"me:{SECRET}".encode()).decode()
        if auth != want:
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def auth_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    wheel = build_wheel(tmp_path / "served", "tinydep", "1.0")
    _AuthHandler.body = wheel.read_bytes()
    _AuthHandler.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AuthHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", wheel
    finally:
        server.shutdown()
        server.server_close()


def test_credentials_come_from_the_configured_source_never_from_the_lock(
    tmp_path: Path, auth_server: tuple[str, Path]
) -> None:
    base, wheel = auth_server
    masked_url = f"http://me:****@127.0.0.1:{base.rsplit(':', 1)[1]}/files/{wheel.name}"
    want = Wanted(masked_url, tmp_path / "out" / wheel.name, (("sha256", sha256(wheel)),), "x")
    with pytest.raises(FetchFailed, match="HTTP 401") as e:
        Fetcher([]).fetch(want)
    assert SECRET not in str(e.value)
    index = f"http://me:{SECRET}@127.0.0.1:{base.rsplit(':', 1)[1]}/simple"
    got = Fetcher([index]).fetch(want)
    assert got.sha256 == sha256(wheel)
    assert any(f"/files/{wheel.name} Basic" in s for s in _AuthHandler.seen)


# ---- making and checking a bundle ----------------------------------------------------------------
def test_a_bundle_holds_the_files_the_lock_names_and_its_documents(tmp_path: Path) -> None:
    lock = tiny_lock(tmp_path / "src")
    answers = Answers(
        env=str(tmp_path / "env"), index_url=f"https://me:{SECRET}@mirror.invalid/simple"
    )
    manifest = make(tmp_path / "b", lock, answers=answers)
    out = tmp_path / "b"
    names = sorted(p.name for p in (out / "wheels").iterdir())
    assert names == sorted(p.filename or "" for p in lock.packages)
    data = json.loads((out / MANIFEST).read_text())
    assert data["target"]["platform"] == "linux-x86_64" and data["target"]["python"] == "3.11"
    assert {f["name"] for f in data["files"]} == {"torch", "tinydep"}
    assert (
        data["size"] == manifest.size == sum(f.stat().st_size for f in (out / "wheels").iterdir())
    )
    readme = (out / "README.md").read_text()
    assert "envwizard --answers answers.yaml --bundle" in readme
    assert "简体中文" in readme and "这个文件夹" in readme
    requirements = (out / "requirements.txt").read_text()
    assert "--no-index" in requirements and "--find-links wheels" in requirements
    assert "torch==2.13.0+cpu" in requirements and "--hash=sha256:" in requirements
    # nothing secret anywhere in the bundle
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    copy = yaml.safe_load((out / "answers.yaml").read_text())
    assert copy["index_url"] == "https://me:****@mirror.invalid/simple"
    assert copy["python"] == "3.11"  # the target's Python by version, not this machine's path
    again, again_lock = open_bundle(out)
    assert again == manifest and again_lock == lock


def test_a_lock_for_another_target_is_not_bundled(tmp_path: Path) -> None:
    lock = tiny_lock(tmp_path / "src", ARM)
    prepare_folder(tmp_path / "b")
    with pytest.raises(InvalidInput, match=r"not for the bundle's target.*linux-x86_64"):
        fetch_all(lock, tmp_path / "b", HERE, Fetcher([]))


def test_a_folder_with_other_files_is_refused_and_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("keep me")
    with pytest.raises(InvalidInput, match="already holds other files"):
        prepare_folder(out)
    assert (out / "thesis.tex").read_text() == "keep me"
    assert not (out / ".envwizard-bundle").exists()


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[Path, Manifest, Lock]:
    lock = tiny_lock(tmp_path / "src")
    manifest = make(tmp_path / "b", lock)
    return tmp_path / "b", manifest, lock


def test_a_good_bundle_passes_its_checks(bundle: tuple[Path, Manifest, Lock]) -> None:
    out, manifest, lock = bundle
    seen: list[str] = []
    check_bundle(out, manifest, lock, HERE, "cpu", on_file=seen.append)
    assert len(seen) == 2


def test_refuses_a_bundle_for_another_python(bundle: tuple[Path, Manifest, Lock]) -> None:
    out, manifest, lock = bundle
    with pytest.raises(InvalidInput) as e:
        check_bundle(out, manifest, lock, Target("Linux", "x86_64", "3.12", "2.36"), "cpu")
    assert "Python 3.11" in str(e.value) and "Python 3.12" in str(e.value)
    assert "\n" not in str(e.value)


def test_refuses_a_bundle_for_another_platform(bundle: tuple[Path, Manifest, Lock]) -> None:
    out, manifest, lock = bundle
    with pytest.raises(
        InvalidInput, match="made for linux-x86_64 and this machine is linux-aarch64"
    ):
        check_bundle(out, manifest, lock, Target("Linux", "aarch64", "3.11", "2.36"), "cpu")


def test_refuses_a_bundle_of_another_build(bundle: tuple[Path, Manifest, Lock]) -> None:
    out, manifest, lock = bundle
    with pytest.raises(InvalidInput, match=r"holds the cpu build.*chooses cu130"):
        check_bundle(out, manifest, lock, HERE, "cu130")


def test_refuses_a_tampered_wheel(bundle: tuple[Path, Manifest, Lock]) -> None:
    out, manifest, lock = bundle
    wheel = next((out / "wheels").glob("tinydep-*.whl"))
    data = bytearray(wheel.read_bytes())
    data[-1] ^= 0xFF  # same size, one byte changed
    wheel.write_bytes(bytes(data))
    with pytest.raises(
        InvalidInput, match=r"tinydep-1\.0-py3-none-any\.whl is not the file its lock"
    ):
        check_bundle(out, manifest, lock, HERE, "cpu")


def test_a_manifest_edited_to_match_a_changed_file_is_still_caught(
    bundle: tuple[Path, Manifest, Lock],
) -> None:
    out, _manifest, lock = bundle
    wheel = next((out / "wheels").glob("tinydep-*.whl"))
    build_wheel(wheel.parent, "tinydep", "1.0", body="x = 'changed'\n")
    data = json.loads((out / MANIFEST).read_text())
    for f in data["files"]:
        if f["name"] == "tinydep":
            f["sha256"], f["size"] = sha256(wheel), wheel.stat().st_size
    (out / MANIFEST).write_text(json.dumps(data))
    edited, _lock = open_bundle(out)
    with pytest.raises(InvalidInput, match="not the file its lock names"):
        check_bundle(out, edited, lock, HERE, "cpu")


def test_refuses_a_missing_file(bundle: tuple[Path, Manifest, Lock]) -> None:
    out, manifest, lock = bundle
    next((out / "wheels").glob("torch-*.whl")).unlink()
    with pytest.raises(InvalidInput, match=r"torch-2.13.0\+cpu-.*is missing \(torch 2.13.0\+cpu\)"):
        check_bundle(out, manifest, lock, HERE, "cpu")


def test_refuses_a_folder_that_is_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not an envwizard bundle"):
        open_bundle(tmp_path)
    (tmp_path / MANIFEST).write_text("{not json")
    (tmp_path / LOCK_FILE).write_text("{}")
    with pytest.raises(InvalidInput, match="is damaged"):
        open_bundle(tmp_path)


def test_bundle_answers_use_the_bundle_only(tmp_path: Path) -> None:
    a = Answers(env="/x", index_url="https://mirror.invalid/simple", mirror="auto")
    b = bundle_answers(a, tmp_path)
    assert b.offline and b.index_url is None and b.mirror == "none"
    assert b.find_links == [str((tmp_path / "wheels").resolve())]


def test_an_install_from_a_bundle_names_the_bundle_as_the_source(
    bundle: tuple[Path, Manifest, Lock],
) -> None:
    out, _manifest, lock = bundle
    moved = relocated(lock, out)
    wheels = (out / "wheels").resolve()
    assert moved.sources == (str(wheels),)
    for before, after in zip(lock.packages, moved.packages, strict=True):
        assert after.source == str(wheels) and after.hashes == before.hashes
        assert after.url == (wheels / (before.filename or "")).as_uri()
        assert after.filename == before.filename


def test_an_install_from_a_bundle_installs_its_lock_from_the_bundle_without_resolving(
    bundle: tuple[Path, Manifest, Lock],
) -> None:
    out, _manifest, lock = bundle
    answers = bundle_answers(
        answers_for(out.parent / "env", compute="cpu", torch="==2.13.*", torch_index="default"),
        out,
    )
    facts = plain_facts()
    plan = make_plan(facts, answers)
    assert plan.lock is None
    session = Session(facts, answers, plan, given_lock=relocated(lock, out))
    session.inspect()
    assert session.plan.lock == relocated(lock, out)
    step = session.plan.step("install-torch")
    assert isinstance(step.spec, Install) and step.spec.lock_file
    assert "--no-index" in step.argv
    assert step.argv[step.argv.index("--find-links") + 1] == str((out / "wheels").resolve())
    # the resolve stage leaves a plan with its lock alone: no installer is asked
    before = session.plan
    session.resolve(session.inspect())
    assert session.plan is before


def test_the_download_view_draws_a_bar_per_file_on_a_terminal_and_lines_elsewhere() -> None:
    import io

    from rich.console import Console

    from envwizard.app.bundle import DownloadView

    plain = io.StringIO()
    with DownloadView(Console(file=plain, force_terminal=False, width=100)) as view:
        for done in (0, 512, 1024):
            view.update("numpy 2.4.6", done, 1024)
    assert plain.getvalue().splitlines() == ["fetched numpy 2.4.6 (1.0 KiB)"]
    live = io.StringIO()
    with DownloadView(Console(file=live, force_terminal=True, width=100)) as view:
        view.update("torch 2.13.0+cpu", 0, 2048)
        view.update("torch 2.13.0+cpu", 2048, 2048)
        view.update("numpy 2.4.6", 1024, 1024)
        assert [t.completed for t in view.progress.tasks] == [2048, 1024]
    assert "torch 2.13.0+cpu" in live.getvalue() and "━" in live.getvalue()
