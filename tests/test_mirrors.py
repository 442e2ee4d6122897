"""Mirrors: presets as data, `mirror: auto` measured against local HTTP servers standing in for
mirrors (different delays, one dead, one flat link page, one index copy), and the exact argv the
planner makes of a preset for pip, uv and conda.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import platform
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from envwizard.core.errors import ImpossibleRequest, InvalidInput
from envwizard.knowledge import mirrors
from envwizard.knowledge.mirrors import Kind, Preset
from envwizard.plan import route as route_module
from envwizard.plan.build import Plan, make_plan
from envwizard.plan.route import Measurement, Probe, Target, measure, route, targets_for
from envwizard.settings.answers import validate
from tests.run.conftest import tool
from tests.test_plan import CONDA, ENV, ENV_PY, KB, LINUX, PIP_OFF, machine

CPU_BOX = machine()
WHEEL = "torch-2.14.0%2Bcpu-cp311-cp311-manylinux_2_28_x86_64.whl"
OLD_WHEEL = "torch-2.13.0%2Bcpu-cp311-cp311-manylinux_2_28_x86_64.whl"


def page(*wheels: str) -> bytes:
    links = "".join(f'<a href="{w}#sha256=00">{w.replace("%2B", "+")}</a><br>\n' for w in wheels)
    return f"<!DOCTYPE html><html><body>\n{links}</body></html>\n".encode()


class Server:
    """An HTTP server on 127.0.0.1 that answers `routes` after `delay` seconds."""

    def __init__(self, delay: float, routes: dict[str, bytes]) -> None:
        delay_s, table = delay, routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(delay_s)
                body = table.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(body or b"not here")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # Closing neither waits for handlers still sleeping out their delay nor for a slow poll.
        self.httpd.block_on_close = False
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def dead() -> Iterator[str]:
    """A port that accepts connections and never says a word: the worst kind of dead mirror."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()


@pytest.fixture
def sources(dead: str) -> Iterator[dict[str, Any]]:
    official = Server(2.0, {"/whl/cpu/torch/": page(WHEEL)})
    index_copy = Server(0.1, {"/pytorch/whl/cpu/torch/": page(OLD_WHEEL, WHEEL)})
    links = Server(1.0, {"/wheels/cpu/": page(WHEEL)})
    stale = Server(0.0, {"/stale/cpu/": page(OLD_WHEEL)})  # fastest, but without the build
    pypi_fast = Server(0.02, {"/simple/pip/": page("pip-25.0-py3-none-any.whl")})
    pypi_slow = Server(1.5, {"/simple/pip/": page("pip-25.0-py3-none-any.whl")})
    conda = Server(0.02, {"/conda-forge/noarch/": b"<html></html>"})
    pool = (
        Preset("copy", "copysite", Kind.TORCH_INDEX, index_copy.base + "/pytorch/whl/{variant}", "ZZ", "test"),
        Preset("links", "linksite", Kind.TORCH_LINKS, links.base + "/wheels/{variant}/", "ZZ", "test"),
        Preset("stale", "stalesite", Kind.TORCH_LINKS, stale.base + "/stale/{variant}/", "ZZ", "test"),
        Preset("dead", "deadsite", Kind.TORCH_INDEX, dead + "/whl/{variant}", "ZZ", "test"),
        Preset("fast-pypi", "copysite", Kind.PYPI, pypi_fast.base + "/simple", "ZZ", "test"),
        Preset("slow-pypi", "linksite", Kind.PYPI, pypi_slow.base + "/simple", "ZZ", "test"),
        Preset("fast-conda", "copysite", Kind.CONDA, conda.base + "/conda-forge", "ZZ", "test"),
    )  # fmt: skip
    servers = [official, index_copy, links, stale, pypi_fast, pypi_slow, conda]
    yield {"pool": pool, "official": official.base + "/whl/cpu", "servers": servers}
    for s in servers:
        s.close()


def answers(**more: Any) -> Any:
    return validate({"env": ENV, "compute": "cpu", "benchmark": False, **more}, cwd="/work")


def decision_for(a: Any) -> Any:
    from envwizard.decide.decision import decide

    return decide(CPU_BOX, a, KB)


def use_pool(monkeypatch: pytest.MonkeyPatch, pool: tuple[Preset, ...]) -> None:
    monkeypatch.setattr(mirrors, "presets", lambda: pool)
    monkeypatch.setattr(route_module, "presets", lambda: pool)


# ---- auto: measured against the local servers ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.timed
def test_auto_picks_the_fastest_source_that_has_the_build(
    sources: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_pool(monkeypatch, sources["pool"])
    a = answers(mirror="auto", manager="uv")
    m = measure(targets_for(decision_for(a), a, official=sources["official"]), budget=5.0)
    probes = {p.name: p for p in m.probes}
    assert probes["stale"].answered and probes["stale"].has_build is False
    assert probes["copy"].has_build and probes["links"].has_build and probes["pytorch"].has_build
    assert not probes["dead"].answered
    p = make_plan(CPU_BOX, a, KB, measured=m)
    copy = sources["pool"][0].location("cpu")
    fast_pypi = sources["pool"][4].url
    assert p.decision.index_url == copy
    assert p.step("install-torch").argv == [
        "uv",
        "pip",
        "install",
        "--python",
        ENV_PY,
        "torch==2.14.*",
        "pip",
        "--index-url",
        copy,
    ]  # fmt: skip (a uv environment gets pip too, so that pip inside it keeps the pin)
    reasons = "\n".join(p.decision.reasons)
    assert "mirror: auto measured 7 sources" in reasons
    assert "stale: " in reasons and "without this build" in reasons
    assert "no answer from dead (" in reasons
    assert "auto chose copy for torch" in reasons
    assert f"other packages from {fast_pypi}" in reasons


def test_auto_keeps_the_official_index_when_it_is_fastest(
    sources: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_pool(monkeypatch, sources["pool"])
    a = answers(mirror="auto")
    d = decision_for(a)
    fast = Measurement(
        2.0,
        (
            Probe("pytorch", sources["official"], 0.01, True),
            Probe("copy", "x", 0.2, True),
            Probe("fast-pypi", "y", 0.01),
        ),
        "torch 2.14 cpu cp311",
    )
    r = route(a, d, fast, sources["pool"])
    assert (r.torch_index, r.torch_links, r.index_url) == (None, None, None)
    assert any("kept PyTorch's own index" in x for x in r.reasons)


@pytest.mark.slow
@pytest.mark.timed
def test_a_dead_mirror_never_blocks_longer_than_the_budget(dead: str) -> None:
    budget = 1.0
    started = time.monotonic()
    m = measure([Target("dead", dead + "/whl/cpu/torch/")], budget=budget)
    elapsed = time.monotonic() - started
    print(f"dead mirror: measurement returned after {elapsed:.2f} s (budget {budget} s)")
    assert not m.probes[0].answered
    # The server never answers: without the budget this call would not return at all.
    assert elapsed < budget + 1.0


# ---- NAME: the exact argv per installer ---------------------------------------------------------


def plan_with(
    pool: tuple[Preset, ...], monkeypatch: pytest.MonkeyPatch, facts: Any = CPU_BOX, **a: Any
) -> Plan:
    use_pool(monkeypatch, pool)
    return make_plan(facts, answers(**a), KB)


def test_flat_links_with_pip_cannot_fall_back_to_another_build(
    sources: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = plan_with(sources["pool"], monkeypatch, mirror="linksite", manager="venv")
    links = sources["pool"][1].location("cpu")
    slow_pypi = sources["pool"][5].url
    assert [s.id for s in p.steps] == [
        "create-env",
        "install-torch",
        "install-torch-deps",
        "pin",
        "verify",
    ]
    assert p.step("install-torch").argv == [
        *PIP_OFF[:-2], "--progress-bar", p.step("install-torch").argv[8],
        "torch==2.14.*", "--no-index", "--find-links", links, "--no-deps",
    ]  # fmt: skip
    assert p.step("install-torch-deps").argv[-3:] == ["torch==2.14.*", "--index-url", slow_pypi]
    assert p.decision.index_url is None


def test_flat_links_with_uv(sources: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    p = plan_with(
        sources["pool"], monkeypatch, mirror="links", manager="uv", packages=["torchvision"]
    )
    links = sources["pool"][1].location("cpu")
    assert p.step("install-torch").argv == [
        "uv", "pip", "install", "--python", ENV_PY, "torch==2.14.*", "torchvision==0.29.*",
        "--no-index", "--find-links", links, "--no-deps",
    ]  # fmt: skip
    assert p.step("install-torch-deps").argv == [
        "uv", "pip", "install", "--python", ENV_PY, "torch==2.14.*", "torchvision==0.29.*",
    ]  # fmt: skip


def test_index_copy_with_pip(sources: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    p = plan_with(sources["pool"], monkeypatch, mirror="copy", manager="venv")
    copy = sources["pool"][0].location("cpu")
    assert p.step("install-torch").argv[-3:] == ["torch==2.14.*", "--index-url", copy]
    assert [s.id for s in p.steps] == ["create-env", "install-torch", "pin", "verify"]


def test_conda_channel_and_pip_inside_conda(
    sources: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    conda_url = sources["pool"][6].url
    copy = sources["pool"][0].location("cpu")
    facts = machine(managers=CONDA)
    p = plan_with(sources["pool"], monkeypatch, facts=facts, mirror="copysite", manager="conda")
    assert p.step("create-env").argv == [
        "/opt/conda/bin/conda", "create", "--yes", "--prefix", ENV, "python=3.11", "pip",
        "--override-channels", "--channel", conda_url,
    ]  # fmt: skip
    assert p.step("install-torch").argv[-3:] == ["torch==2.14.*", "--index-url", copy]
    p = plan_with(
        sources["pool"], monkeypatch, facts=facts, mirror="copysite", manager="mamba",
        torch_source="conda-forge",
    )  # fmt: skip
    assert p.step("install-torch").argv[-3:] == ["--override-channels", "--channel", conda_url]


def test_explicit_keys_win(sources: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    p = plan_with(
        sources["pool"], monkeypatch, mirror="copysite", manager="venv",
        torch_index="https://example.invalid/whl", index_url="https://example.invalid/simple",
    )  # fmt: skip
    assert p.step("install-torch").argv[-3:] == [
        "torch==2.14.*",
        "--index-url",
        "https://example.invalid/whl/cpu",
    ]


def test_shipped_presets_are_complete_and_named_once() -> None:
    pool = mirrors.presets()
    assert len({p.name for p in pool}) == len(pool)
    assert {p.kind for p in pool} == set(Kind)
    for p in pool:
        assert p.url.startswith("https://") and p.source and p.region
        assert ("{variant}" in p.url) == p.kind.serves_torch
    assert {"tuna", "ustc", "sjtu", "nju", "aliyun", "tencent", "huawei"} <= {p.site for p in pool}


def test_shipped_torch_preset_goes_into_the_torch_step() -> None:
    p = make_plan(LINUX, validate({"env": ENV, "mirror": "nju-pytorch"}, cwd="/work"), KB)
    assert p.decision.variant.startswith("cu")
    want = f"https://mirrors.nju.edu.cn/pytorch/whl/{p.decision.variant}"
    assert p.step("install-torch").argv[-2:] == ["--index-url", want]


def test_unknown_mirror_is_an_error_with_a_guess() -> None:
    with pytest.raises(InvalidInput) as e:
        validate({"env": ENV, "mirror": "nju-pytorh"})
    assert "mirror is 'nju-pytorh'" in str(e.value) and "did you mean 'nju-pytorch'?" in str(
        e.value
    )


def test_mirrors_json_lists_name_kind_url(capsys: pytest.CaptureFixture[str]) -> None:
    from envwizard.cli import main

    assert main(["mirrors", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all({"name", "kind", "url", "region", "source"} <= set(r) for r in rows)
    assert {r["kind"] for r in rows} == {k.value for k in Kind}


# ---- the flat-links argv, really run --------------------------------------------------------------


def tiny_wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> None:
    """A real wheel (RECORD hashes and all) with the dependencies given."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {
        f"{name}/__init__.py": f'__version__ = "{version}"\n',
        f"{dist}/METADATA": meta,
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as z:
        for path, text in files.items():
            z.writestr(path, text)


class FolderServer:
    """Serves a folder over HTTP on 127.0.0.1; its directory listings are link pages."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
        handler.log_message = lambda *a: None  # type: ignore[attr-defined]
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # Closing neither waits for handlers still sleeping out their delay nor for a slow poll.
        self.httpd.block_on_close = False
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.slow
@pytest.mark.parametrize("manager", ["venv", "uv"])
def test_flat_links_install_really_takes_the_build_from_the_mirror(
    manager: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The general index holds a newer torch (a stand-in for a CPU build from the default index);
    the plan's two steps still install the mirror's torch, and its dependency from the index."""
    root = tmp_path / "www"
    tiny_wheel(root / "links" / "cpu", "torch", "2.14.0+cpu", ("tinydep",))
    tiny_wheel(root / "simple" / "torch", "torch", "2.14.1", ("tinydep",))
    tiny_wheel(root / "simple" / "tinydep", "tinydep", "1.0")
    server = FolderServer(root)
    try:
        pool = (
            Preset("links", "site", Kind.TORCH_LINKS, server.base + "/links/{variant}/", "ZZ", "test"),
            Preset("pypi", "site", Kind.PYPI, server.base + "/simple", "ZZ", "test"),
        )  # fmt: skip
        use_pool(monkeypatch, pool)
        py = {"version": platform.python_version(), "executable": sys.executable}
        facts = machine(python=py, managers={"uv": {"path": tool("uv")}})
        env = tmp_path / "env"
        a = validate({"env": str(env), "compute": "cpu", "manager": manager, "mirror": "site"})
        p = make_plan(facts, a, KB)
        for step in p.steps[:3]:
            assert step.id in ("create-env", "install-torch", "install-torch-deps")
            r = subprocess.run(step.argv, capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, (step.argv, r.stdout[-2000:], r.stderr[-2000:])
        shown = subprocess.run(
            [p.env_python, "-c", "import torch, tinydep; print(torch.__version__)"],
            capture_output=True,
            text=True,
        )
        assert shown.stdout.strip() == "2.14.0+cpu"
    finally:
        server.close()


@pytest.mark.slow
@pytest.mark.timed
def test_preflight_offers_the_mirrors_that_answered(
    sources: dict[str, Any], dead: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyTorch's index does not answer (here: a dead port in its place): the error names the
    mirror presets that did, fastest first, and leaves out the dead one."""
    from envwizard.run.preflight import _reachable
    from envwizard.run.target import Start

    p = plan_with(sources["pool"], monkeypatch, manager="venv", torch_index=dead + "/official")
    monkeypatch.setattr("envwizard.run.preflight.NET_TIMEOUT", 1.0)
    problems = _reachable(p, answers(), Start("create"))
    assert len(problems) == 1
    text = problems[0]
    assert text.startswith(f"cannot reach {dead}/official/cpu")
    offer = text.split("These mirrors answered here: ")[1]
    assert "copy (" in offer and "links (" in offer and "dead (" not in offer
    assert "set mirror: NAME in the answers, or mirror: auto." in text
    # Inside the wizard the remedy names its controls, not the answers keys.
    (wizard,) = _reachable(p, answers(), Start("create"), wizard=True)
    assert "set “Take torch from” to your installer's configured index" in wizard
    assert "choose one under “Mirror preset” on the PyTorch build screen" in wizard
    assert "torch_index" not in wizard and "mirror: NAME" not in wizard


# ---- a named mirror says what it cannot serve --------------------------------------------------
GPU_BOX = machine(
    {"vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "compute_capability": "8.9"},
    driver="580.95.05",
)


@pytest.fixture
def pypi_only() -> Iterator[dict[str, Any]]:
    """A site that copies PyPI only (as TUNA does) and one that copies PyTorch's index."""
    pypi = Server(0.0, {"/simple/pip/": page("pip-25.0-py3-none-any.whl")})
    copy = Server(0.0, {"/pytorch/whl/cpu/torch/": page(WHEEL)})
    pool = (
        Preset("only-pypi", "pypionly", Kind.PYPI, pypi.base + "/simple", "ZZ", "test"),
        Preset("only-conda", "pypionly", Kind.CONDA, pypi.base + "/conda-forge", "ZZ", "test"),
        Preset("copy", "copysite", Kind.TORCH_INDEX, copy.base + "/pytorch/whl/{variant}", "ZZ", "test"),
        Preset("copy-pypi", "copysite", Kind.PYPI, pypi.base + "/simple", "ZZ", "test"),
    )  # fmt: skip
    yield {"pool": pool}
    pypi.close()
    copy.close()


def test_a_pypi_only_site_refuses_a_cpu_build_and_names_one_that_serves_it(
    pypi_only: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `mirror: tuna` took torch from download.pytorch.org and failed where that is unreachable
    use_pool(monkeypatch, pypi_only["pool"])
    with pytest.raises(ImpossibleRequest) as e:
        make_plan(CPU_BOX, answers(mirror="pypionly"), KB)
    assert str(e.value) == (
        "mirror: pypionly copies PyPI and conda-forge but not PyTorch's own index, and the default "
        "index has no torch 2.14 cpu build here (it serves cu130); sites that copy PyTorch's "
        "wheels: copysite (mirror: copysite), or mirror: auto to measure which answers here"
    )
    # the site it names really serves the build: its page lists the wheel
    p = make_plan(CPU_BOX, answers(mirror="copysite"), KB)
    m = measure(
        [Target("copy", p.decision.index_url + "/torch/", route_module.need_for(p.decision))]
    )
    assert m.probes[0].has_build is True


def test_a_pypi_only_site_serves_the_default_build_itself(
    pypi_only: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_pool(monkeypatch, pypi_only["pool"])
    a = validate(
        {"env": ENV, "manager": "venv", "mirror": "pypionly", "benchmark": False}, cwd="/w"
    )
    p = make_plan(GPU_BOX, a, KB)
    pypi = pypi_only["pool"][0].url
    # auto would take cu132 from PyTorch's index; the copy of PyPI holds cu130, which runs too
    assert (p.decision.variant, p.decision.index_url) == ("cu130", None)
    assert p.step("install-torch").argv[-2:] == ["--index-url", pypi]
    reasons = "\n".join(p.decision.reasons)
    assert "planned instead of cu132, which only PyTorch's own index holds" in reasons
    # asked for by name, a build the copy does not hold is refused, not quietly rerouted
    with pytest.raises(ImpossibleRequest):
        make_plan(GPU_BOX, validate({"env": ENV, "mirror": "pypionly", "compute": "cu126"}), KB)
    # one preset named on purpose (not a site) keeps PyTorch's index, and says so
    p = make_plan(CPU_BOX, answers(mirror="only-pypi"), KB)
    assert p.decision.index_url == "https://download.pytorch.org/whl/cpu"
    assert any("still comes from PyTorch's index" in r for r in p.decision.reasons)


def refused_port() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens: connections are refused at once
    return f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_auto_with_every_mirror_dead_says_no_mirror_answered_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = tuple(
        Preset(f"m{i}", f"site{i}", kind, refused_port() + path, "ZZ", "test")
        for i, (kind, path) in enumerate(
            [(Kind.PYPI, "/simple")] * 6 + [(Kind.TORCH_INDEX, "/whl/{variant}")] * 6
        )
    )
    use_pool(monkeypatch, pool)
    a = answers(mirror="auto")
    m = measure(targets_for(decision_for(a), a, pool, official=refused_port() + "/whl/cpu"))
    assert len(m.probes) == 13 and not any(p.answered for p in m.probes)
    p = make_plan(CPU_BOX, a, KB, measured=m)
    mirror_lines = [r for r in p.decision.reasons if "mirror" in r]
    assert len(mirror_lines) == 1
    line = mirror_lines[0]
    assert line.startswith("mirror: auto: no mirror answered within 3 s (13 tried: pytorch, m6, ")
    assert line.endswith("so the official locations stay")
    assert line.count("refused") == 1  # the reason once, not thirteen times


@pytest.mark.parametrize(
    ("written", "site"),
    [("tsinghua", "tuna"), ("清华", "tuna"), ("Tsinghua", "tuna"), ("阿里云", "aliyun"),
     ("中科大", "ustc"), ("北外", "bfsu"), ("tuna", "tuna"), ("nju-pytorch", "nju-pytorch")],
)  # fmt: skip
def test_the_names_people_use_for_a_site(written: str, site: str) -> None:
    assert validate({"env": ENV, "mirror": written}).mirror == site


def test_a_misspelt_alias_gets_a_did_you_mean() -> None:
    with pytest.raises(InvalidInput) as e:
        validate({"env": ENV, "mirror": "tsinghau"})
    assert "mirror is 'tsinghau'" in str(e.value) and "did you mean 'tsinghua'?" in str(e.value)
