"""Export writers: the lock as requirements.txt, pylock.toml, environment.yml, a Dockerfile and a
devcontainer — the text checked here; the files used for real (round trips) in
tests/run/test_bundle_e2e.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import tomllib
import yaml

from envwizard.cli import main
from envwizard.plan.build import script_path
from envwizard.plan.export import (
    base_image,
    conda_yaml,
    devcontainer_context,
    dockerfile_context,
    pylock_toml,
    requirements_txt,
    source_lines,
)
from envwizard.plan.lock import DEFAULT_INDEX, LOCK_FILE, Group, Lock, Locked
from envwizard.plan.steps import Installer
from envwizard.plan.wheeltags import Target

from .builders import build_wheel

SECRET = "s3cr3t-t0ken"
HERE = Target("Linux", "x86_64", "3.11", "2.36")
PRIVATE = f"https://me:{SECRET}@private.invalid/simple"
MASKED = "https://me:****@private.invalid/simple"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def a_lock(tmp_path: Path, *, variant: str = "cpu", default: bool = False) -> Lock:
    """torch from a local wheel folder, a dependency from a private index (masked, as locks are)."""
    folder = tmp_path / "wheels"
    torch = build_wheel(
        folder, "torch", f"2.13.0+{variant}", tag="cp311-cp311-manylinux_2_28_x86_64"
    )
    index = tmp_path / "index" / "simple"
    (index / "tinydep").mkdir(parents=True, exist_ok=True)
    return Lock(
        Installer.PIP,
        "3.11.7",
        "linux-x86_64 glibc 2.36",
        (
            Locked(
                "tinydep",
                "1.0",
                Group.TORCH,
                source=DEFAULT_INDEX if default else MASKED,
                url="https://me:****@private.invalid/files/tinydep-1.0-py3-none-any.whl",
                hashes=(("sha256", "ab" * 32),),
            ),
            Locked(
                "torch",
                f"2.13.0+{variant}",
                Group.TORCH,
                source=str(folder),
                url=torch.as_uri(),
                hashes=(("sha256", digest(torch)),),
                requested=True,
            ),
        ),
        sources=(MASKED, index.as_uri(), str(folder)),
        variant=variant,
    )


def test_sources_are_sorted_into_indexes_and_wheel_folders(tmp_path: Path) -> None:
    lines = source_lines(a_lock(tmp_path))
    assert lines.index_url == "https://private.invalid/simple"
    assert lines.extra_index_urls == ((tmp_path / "index" / "simple").as_uri(),)
    assert lines.find_links == (str(tmp_path / "wheels"),)
    assert lines.had_credentials
    # a file from pip's own default index keeps the default: every named index is an extra one
    default = source_lines(a_lock(tmp_path, default=True))
    assert default.index_url is None and len(default.extra_index_urls) == 2


def test_requirements_pin_every_file_with_its_hash_and_no_credential(tmp_path: Path) -> None:
    text = requirements_txt(a_lock(tmp_path))
    assert "--index-url https://private.invalid/simple" in text
    assert f"--find-links {tmp_path / 'wheels'}" in text
    assert "torch==2.13.0+cpu \\\n    --hash=sha256:" in text
    assert "tinydep==1.0 \\\n    --hash=sha256:" + "ab" * 32 in text
    assert SECRET not in text and "me:" not in text and "****" not in text
    assert "~/.netrc" in text  # says where the credentials come from instead


def test_requirements_without_every_hash_write_none(tmp_path: Path) -> None:
    lock = a_lock(tmp_path)
    first = lock.packages[0]
    bare = Lock(
        lock.installer,
        lock.python,
        lock.platform,
        (Locked(first.name, first.version, source=first.source, url=first.url), lock.packages[1]),
        lock.sources,
        variant="cpu",
    )
    text = requirements_txt(bare)
    assert "--hash" not in text and "--require-hashes" not in text


def test_pylock_is_pep_751(tmp_path: Path) -> None:
    data = tomllib.loads(pylock_toml(a_lock(tmp_path), HERE))
    assert data["lock-version"] == "1.0" and data["created-by"] == "envwizard"
    assert data["requires-python"] == "==3.11.*"
    assert data["environments"] == ["sys_platform == 'linux' and platform_machine == 'x86_64'"]
    by_name = {p["name"]: p for p in data["packages"]}
    torch = by_name["torch"]
    assert torch["version"] == "2.13.0+cpu"
    (wheel,) = torch["wheels"]
    assert wheel["url"].startswith("file://") and wheel["name"].startswith("torch-2.13.0+cpu")
    assert set(wheel["hashes"]) == {"sha256"}
    assert by_name["tinydep"]["index"] == "https://private.invalid/simple"
    assert by_name["tinydep"]["wheels"][0]["url"] == (
        "https://private.invalid/files/tinydep-1.0-py3-none-any.whl"
    )
    assert SECRET not in json.dumps(data) and "****" not in json.dumps(data)


def test_conda_environment_of_a_pip_lock(tmp_path: Path) -> None:
    data = yaml.safe_load(conda_yaml(a_lock(tmp_path), "dl"))
    assert data["name"] == "dl" and data["channels"] == ["conda-forge"]
    assert "python=3.11.7" in data["dependencies"] and "pip" in data["dependencies"]
    pip = next(d["pip"] for d in data["dependencies"] if isinstance(d, dict))
    assert "--index-url https://private.invalid/simple" in pip
    assert any(p.startswith("torch==2.13.0+cpu --hash=sha256:") for p in pip)


def test_conda_environment_of_a_conda_lock() -> None:
    lock = Lock(
        Installer.CONDA,
        "3.12",
        "linux-64",
        (
            Locked("pytorch", "2.5.1", build="cpu_mkl_py312h1", source="conda-forge"),
            Locked("python", "3.12.7", build="h2628c8c_0", source="conda-forge"),
        ),
        sources=("conda-forge",),
        variant="cpu",
    )
    data = yaml.safe_load(conda_yaml(lock, "dl"))
    assert data["channels"] == ["conda-forge"]
    assert data["dependencies"] == ["python=3.12.7=h2628c8c_0", "pytorch=2.5.1=cpu_mkl_py312h1"]


def test_dockerfile_copies_local_wheels_and_runs_verify(tmp_path: Path) -> None:
    ctx = dockerfile_context(a_lock(tmp_path), HERE, "# verify\n")
    text = ctx.files["Dockerfile"]
    assert "FROM python:3.11-slim-bookworm" in text
    assert "--require-hashes -r /opt/envwizard/requirements.txt" in text
    assert "RUN /opt/env/bin/python /opt/envwizard/verify.py --lock" in text
    assert "--variant cpu --device cpu" in text
    assert "--mount=type=secret,id=netrc,target=/root/.netrc" in text  # credentials: a secret
    (copy,) = ctx.copies
    assert copy.startswith("wheels/torch-2.13.0+cpu")
    req = ctx.files["requirements.txt"]
    assert "--find-links /opt/envwizard/wheels" in req
    assert "--index-url https://private.invalid/simple" in req
    assert "file://" not in req and str(tmp_path) not in req  # nothing of this machine's disk
    for body in ctx.files.values():
        assert SECRET not in body


def test_dockerfile_for_a_cuda_build_verifies_on_the_gpu_when_run(tmp_path: Path) -> None:
    ctx = dockerfile_context(a_lock(tmp_path, variant="cu130"), HERE, "")
    text = ctx.files["Dockerfile"]
    assert '"--variant", "cu130", "--device", "cuda"]' in text  # CMD: on the device
    assert "--variant cu130 --device cpu" in text  # RUN at build time: the lock, no GPU needed
    assert "docker run --rm --gpus all" in text


def test_base_image_follows_the_newest_glibc_a_wheel_needs(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "new", "1.0", tag="cp312-cp312-manylinux_2_39_x86_64")
    lock = Lock(
        Installer.PIP, "3.12", "linux", (Locked("new", "1.0", url=wheel.as_uri()),), variant=""
    )
    assert base_image(lock, Target("Linux", "x86_64", "3.12")) == "python:3.12-slim-trixie"


def test_devcontainer_builds_the_dockerfile(tmp_path: Path) -> None:
    ctx = devcontainer_context(a_lock(tmp_path, variant="cu130"), HERE, "", "dl")
    config = json.loads(ctx.files[".devcontainer/devcontainer.json"])
    assert config["build"] == {"dockerfile": "Dockerfile", "context": "."}
    assert config["runArgs"] == ["--gpus", "all"] and config["hostRequirements"] == {"gpu": True}
    assert "verify.py" in config["postCreateCommand"]
    assert ".devcontainer/Dockerfile" in ctx.files
    assert all(c.startswith(".devcontainer/wheels/") for c in ctx.copies)


# ---- the command -----------------------------------------------------------------------------
@pytest.fixture
def env_with_lock(tmp_path: Path) -> Path:
    env = tmp_path / "env"
    env.mkdir()
    (env / LOCK_FILE).write_text(a_lock(tmp_path).to_json())
    return env


def test_export_prints_requirements(
    env_with_lock: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(env_with_lock), "--format", "requirements"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Made by envwizard") and "torch==2.13.0+cpu" in out


def test_export_refuses_without_a_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path), "--format", "pylock"]) == 2
    err = capsys.readouterr().err
    assert "has no envwizard lock" in err and err.count("\n") == 1 and "Traceback" not in err


def test_export_refuses_a_pylock_name_installers_refuse(
    env_with_lock: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lock.toml"
    assert main(["export", str(env_with_lock), "--format", "pylock", "-o", str(out)]) == 2
    assert "pylock.toml" in capsys.readouterr().err and not out.exists()
    good = tmp_path / "pylock.toml"
    assert main(["export", str(env_with_lock), "--format", "pylock", "-o", str(good)]) == 0
    assert tomllib.loads(good.read_text())["lock-version"] == "1.0"


def test_export_writes_a_docker_context_and_never_replaces_a_file(
    env_with_lock: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ctx"
    assert main(["export", str(env_with_lock), "--format", "dockerfile", "-o", str(out)]) == 0
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names[:4] == ["Dockerfile", "envwizard-lock.json", "requirements.txt", "verify.py"]
    assert names[4].startswith("wheels/torch-")
    own = Path(script_path("verify.py")).read_text()
    assert (out / "verify.py").read_text() == own  # envwizard's own verify script
    (out / "Dockerfile").write_text("mine")
    assert main(["export", str(env_with_lock), "--format", "dockerfile", "-o", str(out)]) == 2
    assert (out / "Dockerfile").read_text() == "mine"
    dev = tmp_path / "project"
    assert main(["export", str(env_with_lock), "--format", "devcontainer", "-o", str(dev)]) == 0
    assert (dev / ".devcontainer" / "devcontainer.json").is_file()


def test_a_lock_from_wheel_folders_alone_is_installed_with_no_index(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w", "tinydep", "1.0")
    folder = str(tmp_path / "w")
    lock = Lock(
        Installer.PIP,
        "3.11",
        "linux-x86_64",
        (Locked("tinydep", "1.0", source=folder, url=wheel.as_uri(), hashes=(("sha256", "a"),)),),
        sources=(folder,),
    )
    assert requirements_txt(lock).splitlines()[2:4] == ["--no-index", f"--find-links {folder}"]
