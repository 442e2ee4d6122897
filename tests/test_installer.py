"""installer: auto | pip | uv — who fills the environment, why, and uv told what pip is told."""

from __future__ import annotations

import json
from typing import Any

import pytest

from envwizard.core.errors import InvalidInput
from envwizard.facts.load import facts_from_dict
from envwizard.facts.model import Facts
from envwizard.plan.build import CONSTRAINTS_FILE, make_plan
from envwizard.plan.installer import Installer
from envwizard.settings.answers import validate

ENV = "/srv/envs/dl"
PIP_CONFIG = {
    "extra_index_urls": ["file:///mirror/simple"],
    "find_links": ["/opt/wheels"],
    "constraints": ["/etc/policy.txt"],
    "trusted_hosts": ["pypi.internal"],
    "cert": "/etc/ca.pem",
}


def facts(uv: bool = True, pip_config: dict[str, Any] | None = PIP_CONFIG) -> Facts:
    data: dict[str, Any] = {
        "schema": 1,
        "os": {"system": "Linux", "machine": "x86_64", "glibc": "2.35", "wsl": False},
        "python": {"version": "3.11.9", "executable": "/usr/bin/python3.11"},
        "gpus": [],
        "nvidia_driver": None,
        "managers": {"uv": {"path": "/opt/uv", "version": "0.9.1"}} if uv else {},
        "pip_config": pip_config,
    }
    return facts_from_dict(json.loads(json.dumps(data)))


def plan(f: Facts, **answers: Any):  # type: ignore[no-untyped-def]
    return make_plan(f, validate({"env": ENV, "benchmark": False, **answers}, cwd="/work"))


def test_auto_fills_a_venv_with_uv_given_pips_own_settings() -> None:
    p = plan(facts(), manager="virtualenv", torch_index="default", packages=["numpy"])
    assert p.installer.installer is Installer.UV and "installer: auto" in p.installer.reason
    torch = p.step("install-torch")
    assert torch.argv[:6] == ["/opt/uv", "pip", "install", "--python", f"{ENV}/bin/python", "torch==2.14.*"]  # fmt: skip
    args = torch.argv[6:]
    for flag, value in [("--extra-index-url", "file:///mirror/simple"), ("--find-links", "/opt/wheels"), ("--constraint", "/etc/policy.txt"), ("--allow-insecure-host", "pypi.internal"), ("--index-strategy", "unsafe-best-match")]:  # fmt: skip
        assert args[args.index(flag) + 1] == value
    # Not --compile-bytecode: the verify step's first import compiles what torch loads.
    assert "--no-config" in args and "--compile-bytecode" not in args
    assert "pip" not in args  # a virtualenv has pip already
    assert torch.env["SSL_CERT_FILE"] == "/etc/ca.pem"
    packages = p.step("install-packages").argv
    assert packages.count("--constraint") == 2 and f"{ENV}/{CONSTRAINTS_FILE}" in packages
    pin = p.step("pin").argv
    assert pin[pin.index("--keep-constraint") + 1] == "/etc/policy.txt"
    assert p.to_dict()["installer"]["name"] == "uv"


def test_the_plans_index_replaces_pips_index_and_keeps_its_extras() -> None:
    f = facts(pip_config={**PIP_CONFIG, "index_url": "https://mirror.example/simple"})
    args = plan(f, manager="venv", compute="cpu").step("install-torch").argv
    assert args[args.index("--index-url") + 1].endswith("/cpu")
    assert "https://mirror.example/simple" not in args and "file:///mirror/simple" in args


@pytest.mark.parametrize(
    ("f", "answers", "why"),
    [
        (facts(uv=False), {}, "uv was not found"),
        (facts(pip_config=None), {}, "not known"),
        (facts(pip_config={"untranslated": ["pre"]}), {}, "sets pre"),
        (facts(), {"installer": "pip"}, "installer: pip"),
    ],
)
def test_pip_installs_when_uv_could_not_install_what_pip_would(f: Facts, answers: dict[str, Any], why: str) -> None:  # fmt: skip
    p = plan(f, manager="venv", **answers)
    assert p.installer.installer is Installer.PIP and why in p.installer.reason
    assert p.step("install-torch").argv[1:4] == ["-m", "pip", "install"]


def test_impossible_choices_are_one_sentence_errors() -> None:
    with pytest.raises(InvalidInput, match="uv was not found"):
        plan(facts(uv=False), manager="venv", installer="uv")
    with pytest.raises(InvalidInput, match="no pip of its own"):
        plan(facts(), manager="uv", installer="pip")
    with pytest.raises(InvalidInput, match="did you mean 'pip'"):
        validate({"env": ENV, "installer": "pipx"})


def test_a_uv_environment_gets_pip_and_says_how_to_install_more() -> None:
    p = plan(facts(), manager="uv")
    assert p.step("install-torch").argv[-1] == "pip" or "pip" in p.step("install-torch").argv
    assert p.install_more == f"{ENV}/bin/python -m pip install PACKAGE"
    offline = plan(facts(), manager="uv", offline=True, find_links=["/w"])
    assert "pip" not in offline.step("install-torch").argv[5:]
    assert f"--constraint {ENV}/{CONSTRAINTS_FILE}" in offline.install_more
