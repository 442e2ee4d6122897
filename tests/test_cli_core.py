"""`envwizard plan | validate | --answers --dry-run` as scripts run them: argv in, exit code and
text out.

Most tests call the executable's entry point, `main(argv)`, in this process: the same code from
argument parsing to the exit code, without an interpreter start for each call (which cost ~0.3 s
a test). `test_the_real_executable_*` run `python -m envwizard` as a program, and so do the dry
runs (slow tier: they probe this machine and run the real pre-flight).

Facts files in tests/data/facts hold only the schema-1 keys of docs/facts.md (the Jetson one adds
`os.jetson_l4t`), so `plan --facts` is shown to work from exactly the contract.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .builders import cli as envwizard

FACTS = Path(__file__).parent / "data" / "facts"
SCHEMA_1 = {"schema", "os", "python", "gpus", "nvidia_driver"}


def executable(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m envwizard ARGS` as a program."""
    return subprocess.run(
        [sys.executable, "-m", "envwizard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def answers(tmp_path: Path, text: str, name: str = "answers.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def plan_json(facts: Path | str, answers_file: Path) -> dict[str, Any]:
    r = envwizard("plan", "--facts", str(facts), "--answers", str(answers_file), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def assert_clean_error(r: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 2, one line on stderr naming the problem, no traceback."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("envwizard: error: "), r.stderr
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


# ---- the program itself ---------------------------------------------------------------------------


def test_the_real_executable_plans_from_a_facts_file_and_refuses_in_one_line(
    tmp_path: Path,
) -> None:
    a = answers(tmp_path, f"manager: uv\nenv: {tmp_path / 'env'}\n")
    r = executable(
        "plan", "--facts", str(FACTS / "gtx1080-r580.json"), "--answers", str(a), "--json"
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["decision"]["variant"] == "cu126"
    bad = answers(tmp_path, "env: /srv/e\ncompute: cu12.6\n", "bad.yaml")
    assert_clean_error(executable("validate", str(bad)), "did you mean 'cu126'?")


# ---- plan --facts --answers --json ----------------------------------------------------------------


def test_fixtures_hold_only_schema_1_keys() -> None:
    files = sorted(FACTS.glob("*.json"))
    assert len(files) >= 10
    for f in files:
        data = json.loads(f.read_text())
        assert set(data) == SCHEMA_1, f.name
        assert set(data["os"]) - {"jetson_l4t"} == {
            "system",
            "machine",
            "glibc",
            "wsl",
            "macos_version",
        }
        assert set(data["python"]) == {"version", "executable"}


@pytest.mark.parametrize(
    ("fixture", "variant", "torch"),
    [
        ("gtx1080-r580", "cu126", "2.14.*"),
        ("rtx5090-r570", "cu128", "2.11.*"),
        # cuDNN 9 (torch >= 2.4) starts at SM 5.0; 2.3 keeps cuDNN 8 for Kepler (Python 3.8 here):
        # https://docs.nvidia.com/deeplearning/cudnn/backend/v9.0.0/reference/support-matrix.html
        ("k80-r470", "cu118", "2.3.*"),
        ("mixed-1080-4090-r580", "cu126", "2.14.*"),
        ("intel-uhd770", "cpu", "2.14.*"),
        ("amd-rx6700xt", "cpu", "2.14.*"),
        ("macos14-arm64", "mps", "2.14.*"),
        ("windows-rtx4090-r528", "cu118", "2.7.*"),
        ("wsl-rtx4090-r528", "cu118", "2.7.*"),
        ("centos7-glibc217", "cpu", "2.6.*"),
        ("jetson-orin-l4t36", "cu126", "2.11.*"),
        ("gb10-aarch64-r580", "cu132", "2.14.*"),
    ],
)
def test_plan_from_a_schema_1_facts_file(
    tmp_path: Path, fixture: str, variant: str, torch: str
) -> None:
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\nstack: torch\npackages: [torchvision]\n")
    p = plan_json(FACTS / f"{fixture}.json", a)
    d = p["decision"]
    assert (d["variant"], d["torch"]) == (variant, torch), d["reasons"]
    assert d["reasons"] and all(isinstance(r, str) and r for r in d["reasons"])
    assert [s["id"] for s in p["steps"]] == [
        "create-env",
        "install-torch",
        "pin",
        "verify",
        "verify-stack",  # the torchvision asked for is proven with ops.nms
        "benchmark",
    ]
    assert p["steps"][4]["spec"]["checks"] == ["torchvision"]
    torch_argv = p["steps"][1]["argv"]
    assert f"torch=={torch}" in torch_argv
    assert any(x.startswith("torchvision") for x in torch_argv)
    if d["index_url"]:
        assert torch_argv[torch_argv.index("--index-url") + 1] == d["index_url"]
    assert not (tmp_path / "env").exists()


def test_plan_reasons_match_the_checks(tmp_path: Path) -> None:
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\n")
    d = plan_json(FACTS / "gtx1080-r580.json", a)["decision"]
    assert any(r.startswith("not cu130: kernels: ") and "sm_75" in r for r in d["reasons"])
    d = plan_json(FACTS / "rtx5090-r570.json", a)["decision"]
    assert any("driver: CUDA 13.x needs driver 580.65.06" in r for r in d["reasons"])


def test_plan_without_json_renders_the_decision(tmp_path: Path) -> None:
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\n")
    r = envwizard("plan", "--facts", str(FACTS / "gtx1080-r580.json"), "--answers", str(a))
    assert r.returncode == 0, r.stderr
    assert "Decision" in r.stdout and "cu126" in r.stdout and "create-env" in r.stdout


def test_plan_for_an_impossible_request(tmp_path: Path) -> None:
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\ncompute: cu130\n")
    r = envwizard("plan", "--facts", str(FACTS / "gtx1080-r580.json"), "--answers", str(a))
    assert_clean_error(r, "compute: 'cu130' cannot run here: kernels check", "compute: cu126")
    # cu130 on an Intel Mac: no release has it; the message offers what works (torch 2.2 cpu).
    r = envwizard("plan", "--facts", str(FACTS / "intel-mac.json"), "--answers", str(a))
    assert_clean_error(r, "compute: 'cu130'", "compute: cpu (torch 2.2)")


@pytest.mark.parametrize(
    ("change", "note"),
    [
        # Forms real tools and exports print: read, and said so in the reasons.
        (
            lambda d: d["gpus"][0].update(compute_capability=6.1),
            "gpus[0].compute_capability 6.1 read as '6.1'",
        ),
        (
            lambda d: d["gpus"][0].update(memory_mib="8 GB"),
            "gpus[0].memory_mib '8 GB' read as 8192",
        ),
        (lambda d: d["os"].update(wsl="no"), "os.wsl 'no' read as False"),
        (lambda d: d["os"].update(system="Linux "), "os.system 'Linux ' read as 'Linux'"),
        (lambda d: d.update(nvidia_driver=580.95), "nvidia_driver 580.95 read as '580.95'"),
    ],
    ids=["cc-number", "memory-string", "wsl-no", "system-space", "driver-number"],
)
def test_tool_forms_in_a_facts_file_plan(tmp_path: Path, change: Any, note: str) -> None:
    f = tmp_path / "facts.json"
    f.write_text(json.dumps(break_facts(change)))
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\n")
    p = plan_json(f, a)
    assert f"facts: {note}" in p["decision"]["reasons"]


def test_plan_for_a_python_outside_every_window(tmp_path: Path) -> None:
    facts = json.loads((FACTS / "gtx1080-r580.json").read_text())
    facts["python"]["version"] = "3.7.17"
    f = tmp_path / "old-python.json"
    f.write_text(json.dumps(facts))
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\n")
    assert_clean_error(
        envwizard("plan", "--facts", str(f), "--answers", str(a)),
        "Python 3.7.17 is outside every torch release's window",
        "torch 2.2–2.4 support Python 3.8–3.12",
    )


def break_facts(change: Any) -> dict[str, Any]:
    data = json.loads((FACTS / "gtx1080-r580.json").read_text())
    change(data)
    return data


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (break_facts(lambda d: d["gpus"][0].update(compute_capability="fast")), ["gpus[0].compute_capability is 'fast'", "a dotted version"]),
        (break_facts(lambda d: d["gpus"][0].update(vendor="nvdia", name="Mystery 9")), ["gpus[0].vendor is 'nvdia'", "nvidia"]),
        (break_facts(lambda d: d["gpus"][0].update(memory_mib="lots")), ["gpus[0].memory_mib"]),
        (break_facts(lambda d: d["os"].update(wsl="maybe")), ["os.wsl is 'maybe'", "true or false"]),
        (break_facts(lambda d: d["os"].update(system="Plan 9")), ["os.system is 'Plan 9'", "Darwin"]),
        (break_facts(lambda d: d.update(nvidia_driver="latest")), ["nvidia_driver is 'latest'"]),
        (break_facts(lambda d: d.update(gpus=1080)), ["gpus is 1080", "a list"]),
        (break_facts(lambda d: d.pop("python")), ["missing key 'python'"]),
        (break_facts(lambda d: d["os"].pop("machine")), ["missing key 'os.machine'"]),
        (break_facts(lambda d: d["python"].update(version="three")), ["python.version is 'three'"]),
        (break_facts(lambda d: d.update(schema=2)), ["schema is 2", "schema 1"]),
        ([1, 2], ["top level is a list", "an object"]),
        ("{not json", ["not valid JSON"]),
        ("[" * 100000, ["nested too deeply"]),
        (b"\xff\xfe\x00binary", ["cannot be read"]),
    ],
    ids=lambda v: None if isinstance(v, list) and v and isinstance(v[0], str) else "",
)  # fmt: skip
def test_bad_facts_file_names_the_key(tmp_path: Path, content: Any, fragments: list[str]) -> None:
    f = tmp_path / "facts.json"
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content if isinstance(content, str) else json.dumps(content))
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\n")
    r = envwizard("plan", "--facts", str(f), "--answers", str(a), "--json")
    assert_clean_error(r, "facts.json: ", *fragments)
    assert r.stdout == ""


def test_a_facts_path_that_is_no_file_is_named_as_such(tmp_path: Path) -> None:
    # The same sentences the answers file gets: a folder, or a binary, is not a facts file.
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\n")
    r = envwizard("plan", "--facts", str(tmp_path), "--answers", str(a))
    assert_clean_error(r, f"{tmp_path}: is a directory, not a facts file")
    binary = tmp_path / "facts.bin"
    binary.write_bytes(bytes(range(128, 256)))
    r = envwizard("plan", "--facts", str(binary), "--answers", str(a))
    assert_clean_error(r, "facts.bin: cannot be read as text (a binary file?)")


def test_missing_facts_file(tmp_path: Path) -> None:
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\n")
    r = envwizard("plan", "--facts", str(tmp_path / "nope.json"), "--answers", str(a))
    assert_clean_error(r, "no such facts file")


# ---- validate ------------------------------------------------------------------------------------


def test_validate_good_file(tmp_path: Path) -> None:
    a = answers(tmp_path, f"manager: uv\nenv: {tmp_path / 'env'}\n")
    r = envwizard("validate", str(a))
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith(
        f"{a}: valid (uv environment at {tmp_path / 'env'}); on this machine"
    )
    assert not (tmp_path / "env").exists()


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        # What the run would refuse before changing anything: validate refuses it too.
        ("manager: venv\nenv: {tmp}/env\npython: /nonexistent/bin/python3\n", ["does not exist"]),
        (
            "manager: venv\nenv: {tmp}/env\ntorch: '==1.13.*'\n",
            ["matches no release envwizard knows"],
        ),
        (
            "manager: venv\nenv: {tmp}/notenv\nexisting: reuse\n",
            ["is a directory that is not a Python environment"],
        ),
        # conda's own rule (conda/base/context.py: no '/', ' ', ':', '#' in a name).
        ("manager: conda\nenv: my env\n", ["conda refuses them"]),
    ],
    ids=["no-interpreter", "no-release", "not-an-env", "conda-name"],
)
def test_validate_means_it_would_run_here(
    tmp_path: Path, content: str, fragments: list[str]
) -> None:
    (tmp_path / "notenv").mkdir()
    (tmp_path / "notenv" / "notes.txt").write_text("mine")
    p = tmp_path / "a.yaml"
    p.write_text(content.replace("{tmp}", str(tmp_path)))
    r = envwizard("validate", str(p))
    assert_clean_error(r, *fragments)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.yaml", "notenv"]


def test_validate_against_a_facts_file(tmp_path: Path) -> None:
    a = answers(tmp_path, f"manager: uv\nenv: {tmp_path / 'env'}\ncompute: cu132\n")
    r = envwizard("validate", str(a), "--facts", str(FACTS / "gtx1080-r580.json"))
    assert_clean_error(r, "compute: 'cu132' cannot run here", "GTX 1080")


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("manger: venv\nenv: /srv/e\n", ["unknown key `manger`; did you mean `manager`?"]),
        ("env: /srv/e\ncompute: cu12.6\n", ["compute is 'cu12.6'", "did you mean 'cu126'?"]),
        ("env: /srv/e\ntorch: 2.13\n", ["torch is 2.13", "'==2.13.*'"]),
        ("env: /srv/e\npackages: ['--index-url=https://x.example']\n", ["not an installer option"]),
        ("env: /srv/e\nenv: /srv/f\n", ["key `env` appears twice"]),
        ("env: !!python/object/apply:os.system ['true']\n", ["is not valid YAML"]),
        ("", ["is empty"]),
        ("- env\n", ["must be a mapping", "not a list"]),
        (b"\x00\x01\x02\x03", ["is a binary file"]),
        (b"env: caf\xe9\n", ["is not UTF-8 text"]),
        (b"#" * (256 * 1024 + 1), ["an answers file is at most 256 KiB"]),
    ],
    ids=lambda v: v[0][:40] if isinstance(v, list) else "",
)
def test_validate_bad_file(tmp_path: Path, content: str | bytes, fragments: list[str]) -> None:
    p = tmp_path / "bad.yaml"
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    r = envwizard("validate", str(p))
    assert_clean_error(r, f"{p}: ", *fragments)
    assert r.stdout == ""


# What the benchmark at the end of a run would refuse, `validate` and `--dry-run` refuse first.
LINUX_FACTS = FACTS / "gtx1080-r580.json"


@pytest.mark.parametrize(
    ("benchmark", "facts", "fragments"),
    [
        (
            "{device: mps, nproc: 4}",
            None,
            ["benchmark.nproc is 4; expected 1 with benchmark.device mps", "cuda or cpu only"],
        ),
        (
            "{device: mps}",
            LINUX_FACTS,
            ["benchmark.device is 'mps', but the machine is Linux x86_64", "Apple silicon"],
        ),
        (
            "{device: cpu, dtype: tf32}",
            None,
            ["benchmark.dtype is 'tf32'; expected fp32, bf16, fp16 or auto", "NVIDIA GPU mode"],
        ),
        (
            "{device: cuda, nproc: 2}",
            LINUX_FACTS,
            ["benchmark.nproc is 2, but the machine has 1 GPU(s) for cuda"],
        ),
        ("{device: xpu}", LINUX_FACTS, ["benchmark.device is 'xpu'", "no Intel GPU"]),
    ],
    ids=["mps-nproc", "mps-on-linux", "cpu-tf32", "nproc-over-gpus", "xpu-without-intel"],
)
def test_validate_refuses_a_benchmark_the_run_would_refuse(
    tmp_path: Path, benchmark: str, facts: Path | None, fragments: list[str]
) -> None:
    a = answers(tmp_path, f"manager: venv\nenv: {tmp_path / 'env'}\nbenchmark: {benchmark}\n")
    where = ["--facts", str(facts)] if facts else []
    assert_clean_error(envwizard("validate", str(a), *where), *fragments)
    assert_clean_error(envwizard("plan", "--answers", str(a), *where), *fragments)
    if facts is None:  # this machine (Linux): the dry run refuses too, and creates nothing
        assert_clean_error(envwizard("--answers", str(a), "--dry-run"), *fragments)
    assert not (tmp_path / "env").exists()


def test_mps_is_fine_on_apple_silicon(tmp_path: Path) -> None:
    a = answers(tmp_path, f"manager: venv\nenv: {tmp_path / 'env'}\nbenchmark: {{device: mps}}\n")
    r = envwizard("validate", str(a), "--facts", str(FACTS / "macos14-arm64.json"))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (
            "compute: cpu\nbenchmark: {device: cuda}\n",
            ["benchmark.device is 'cuda'; expected auto or cpu with compute: cpu"],
        ),
        (
            "torch: '==2.13.*'\npackages: ['torchvision==0.20.*']\n",
            ["packages[0] is 'torchvision==0.20.*'", "pairs with torch ==2.13.*", "0.28"],
        ),
    ],
    ids=["cuda-bench-cpu-build", "companion-pin"],
)
def test_validate_refuses_answers_that_contradict_themselves(
    tmp_path: Path, content: str, fragments: list[str]
) -> None:
    a = answers(tmp_path, f"manager: venv\nenv: {tmp_path / 'env'}\n{content}")
    assert_clean_error(envwizard("validate", str(a)), f"{a}: ", *fragments)


def test_validate_missing_file_and_directory(tmp_path: Path) -> None:
    assert_clean_error(envwizard("validate", str(tmp_path / "no.yaml")), "no such answers file")
    assert_clean_error(envwizard("validate", str(tmp_path)), "is a directory")


# ---- --answers FILE --dry-run ------------------------------------------------------------------------


def test_dry_run_refuses_a_bad_file_and_creates_nothing(tmp_path: Path) -> None:
    a = answers(tmp_path, f"manger: venv\nenv: {tmp_path / 'env'}\n")
    r = envwizard("--answers", str(a), "--dry-run", "--yes", cwd=tmp_path)
    assert_clean_error(r, "unknown key `manger`")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]


@pytest.mark.slow
@pytest.mark.parametrize("manager", ["venv", "uv", "virtualenv"])
def test_dry_run_prints_every_command_and_creates_nothing(tmp_path: Path, manager: str) -> None:
    env = tmp_path / "my env"
    a = answers(
        tmp_path,
        f"manager: {manager}\nenv: {env}\ntorch: '==2.13.*'\n"
        "packages: [torchvision, 'numpy<3']\nbenchmark: {seconds: 5}\n",
    )
    planned = executable("plan", "--answers", str(a), "--json", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    steps = json.loads(planned.stdout)["steps"]
    r = executable("--answers", str(a), "--dry-run", "--yes", cwd=tmp_path)
    # The dry run ends with the real run's pre-flight. Good answers exit 0 either way; where
    # PyTorch's index cannot be reached (an offline machine) it says the real run would stop.
    assert r.returncode == 0, r.stderr
    assert (
        "pre-flight checks passed; nothing was run or created" in r.stderr
        or "the real run would stop at its pre-flight checks here: cannot reach" in r.stderr
    ), r.stderr
    lines = r.stdout.splitlines()
    for step in steps:
        assert f"   {shlex.join(step['argv'])}" in lines, step["id"]
    assert f"environment: {env} ({manager}" in r.stdout
    assert "'torch==2.13.*'" in r.stdout and "'torchvision==0.28.*'" in r.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]


def test_dry_run_of_an_impossible_request(tmp_path: Path) -> None:
    a = answers(tmp_path, f"env: {tmp_path / 'env'}\ncompute: cu126\n")  # no NVIDIA GPU here
    r = envwizard("--answers", str(a), "--dry-run", cwd=tmp_path)
    assert_clean_error(r, "compute: 'cu126' cannot run here")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]
