"""Answers files: every mistake is one InvalidInput that names the key, the value, what is
allowed and, where one fits, a did-you-mean; nothing else ever escapes.
"""

from __future__ import annotations

import os
import string
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envwizard.core.errors import InvalidInput
from envwizard.settings.answers import (
    MANAGERS,
    MAX_BYTES,
    Answers,
    Benchmark,
    load_answers,
    parse_answers,
    validate,
)
from envwizard.settings.choices import Auto, BenchDevice, BenchDtype, BenchPreset, Existing, Url
from tests.tiers import examples

ENV = "/srv/envs/dl"


def bad(doc: str | bytes | dict[str, Any], *fragments: str) -> str:
    """Assert the document is refused with a message holding every fragment; return it."""
    with pytest.raises(InvalidInput) as e:
        if isinstance(doc, dict):
            validate(doc, cwd="/work")
        else:
            parse_answers(doc, cwd="/work")
    msg = str(e.value)
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"
    assert "\n" not in msg and "Traceback" not in msg
    return msg


# ---- what a good file gives --------------------------------------------------------------


def test_minimal_file_gets_the_documented_defaults() -> None:
    a = parse_answers(f"env: {ENV}\n")
    assert a == Answers(env=ENV)
    assert (a.python, a.manager, a.existing, a.compute) == ("current", "venv", "abort", "auto")
    assert (a.torch, a.packages, a.torch_index, a.index_url) == (None, [], Auto(), None)
    assert a.to_dict()["torch_index"] == "auto"  # the file says it as it did
    assert (a.find_links, a.offline, a.torch_source, a.keep_failed) == ([], False, "pip", False)
    assert a.benchmark == Benchmark(enabled=True, device="auto", preset="auto", seconds=30)


def test_full_file() -> None:
    a = parse_answers(
        """
python: "3.12"
manager: uv
env: ./envs/dl
existing: recreate
compute: CU126
torch: ">=2.5,<2.14"
packages: [torchvision, "numpy<3", "pillow[avif]; python_version >= '3.10'"]
torch_index: https://mirror.example/pytorch/whl/
index_url: https://mirror.example/simple
find_links: [wheels, /opt/wheels, "file:///srv/wheels"]
offline: false
torch_source: pip
keep_failed: true
benchmark: {enabled: true, device: cuda, preset: large, seconds: 12.5, nproc: 2, dtype: bf16,
            optimizer: momentum}
""",
        cwd="/work",
    )
    assert a.python == "3.12" and a.manager == "uv" and a.env == "/work/envs/dl"
    assert a.compute == "cu126" and a.torch == ">=2.5,<2.14"
    assert a.packages[1] == "numpy<3"
    assert a.torch_index == Url("https://mirror.example/pytorch/whl")
    assert a.find_links == ["/work/wheels", "/opt/wheels", "file:///srv/wheels"]
    assert a.benchmark == Benchmark(True, "cuda", "large", 12.5, 2, "bf16", "momentum")


def test_env_paths_and_conda_names() -> None:
    assert parse_answers("env: ~/envs/dl\n").env == os.path.expanduser("~/envs/dl")
    assert parse_answers("env: dl\n", cwd="/work").env == "/work/dl"
    a = parse_answers("env: dl\nmanager: conda\n")
    assert a.env == "dl" and a.env_is_name
    a = parse_answers("env: ./dl\nmanager: micromamba\n", cwd="/work")
    assert a.env == "/work/dl" and not a.env_is_name
    # A Windows path stays as written when planning for a Windows machine from elsewhere.
    assert parse_answers("env: 'C:\\envs\\dl'\n").env == "C:\\envs\\dl"


def test_shorthands() -> None:
    assert parse_answers(f"env: {ENV}\nbenchmark: false\n").benchmark.enabled is False
    assert parse_answers(f"env: {ENV}\nbenchmark: null\n").benchmark == Benchmark()
    assert parse_answers(f"env: {ENV}\nfind_links: /w\n").find_links == ["/w"]
    assert parse_answers(f"env: {ENV}\ntorch: 'torch>=2.5'\n").torch == ">=2.5"
    assert parse_answers(f"env: {ENV}\npython: 3.12.1\n").python == "3.12.1"
    assert parse_answers(f"env: {ENV}\nmanager: ' Conda '\n").manager == "conda"
    assert parse_answers(f"\ufeffenv: {ENV}\n".encode()).env == ENV  # a BOM is fine


# ---- every key's mistakes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "fragments"),
    [
        # Unknown keys, with did-you-mean.
        (f"manger: venv\nenv: {ENV}\n", ["unknown key `manger`", "did you mean `manager`?"]),
        (f"env: {ENV}\nbenchmark: {{secs: 3}}\n", ["unknown key `benchmark.secs`", "`seconds`"]),
        (f"env: {ENV}\n1: x\n", ["unknown key `1`", "allowed: env, python"]),
        ("manager: venv\n", ["missing `env:`"]),
        # manager / existing / torch_source / benchmark choices.
        (f"env: {ENV}\nmanager: pipenv\n", ["manager is 'pipenv'", "one of conda, mamba"]),
        (f"env: {ENV}\nmanager: virtualenvs\n", ["did you mean 'virtualenv'?"]),
        (f"env: {ENV}\nmanager: 3\n", ["manager is 3", "one of conda"]),
        (f"env: {ENV}\nexisting: replace\n", ["existing is 'replace'", "abort, reuse, recreate"]),
        (f"env: {ENV}\ntorch_source: conda\n", ["torch_source is 'conda'", "pip, conda-forge"]),
        (f"env: {ENV}\nbenchmark: {{device: gpu}}\n", ["benchmark.device is 'gpu'", "auto, cpu"]),
        (f"env: {ENV}\nbenchmark: {{preset: huge}}\n", ["benchmark.preset is 'huge'"]),
        (f"env: {ENV}\nbenchmark: {{dtype: fp8}}\n", ["benchmark.dtype is 'fp8'", "bf16"]),
        (
            f"env: {ENV}\nbenchmark: {{optimizer: sgdm}}\n",
            ["benchmark.optimizer is 'sgdm'", "momentum"],
        ),
        (f"env: {ENV}\nbenchmark: {{seconds: 0}}\n", ["benchmark.seconds is 0", "1 to 3600"]),
        (f"env: {ENV}\nbenchmark: {{seconds: .nan}}\n", ["benchmark.seconds is .nan"]),
        (f"env: {ENV}\nbenchmark: {{seconds: yes}}\n", ["benchmark.seconds is true"]),
        (f"env: {ENV}\nbenchmark: {{nproc: 1.5}}\n", ["benchmark.nproc is 1.5", "1 to 64"]),
        (f"env: {ENV}\nbenchmark: {{enabled: 'no'}}\n", ["benchmark.enabled is 'no'", "true or false"]),
        (f"env: {ENV}\nbenchmark: fast\n", ["benchmark is 'fast'", "a mapping"]),
        (f"env: {ENV}\noffline: 1\n", ["offline is 1", "true or false"]),
        (f"env: {ENV}\nkeep_failed: yes please\n", ["keep_failed is 'yes please'"]),
        # env.
        ("env: ''\n", ["env is ''", "a path"]),
        ("env: [a]\n", ["env is ['a']"]),
        ("env: /\n", ["env is '/'", "a directory of its own"]),
        ("env: /usr\n", ["env is '/usr'", "system directory"]),
        ("env: 'D:\\'\n", ["env is 'D:\\\\'", "system directory"]),
        ("env: '~'\n", ["env is '~'", "your home"]),
        ("env: ~\n", ["env is null", "quote the path"]),
        ("env:\n", ["env is null"]),
        ('env: "/tmp/a\\tb"\n', ["control characters"]),
        ("env: base\nmanager: conda\n", ["env is 'base'", "installing into base breaks conda"]),
        # python.
        (f"env: {ENV}\npython: 3.10\n", ["python is 3.10", "write python: '3.10'"]),
        (f"env: {ENV}\npython: python3.11\n", ["python is 'python3.11'", "did you mean '3.11'?"]),
        (f"env: {ENV}\npython: latest\n", ["python is 'latest'", "'current'"]),
        (f"env: {ENV}\npython: [3]\n", ["python is [3]"]),
        # compute.
        (f"env: {ENV}\ncompute: cu12.6\n", ["compute is 'cu12.6'", "did you mean 'cu126'?"]),
        (f"env: {ENV}\ncompute: cuda 13.0\n", ["did you mean 'cu130'?"]),
        (f"env: {ENV}\ncompute: cu127\n", ["compute is 'cu127'", "did you mean 'cu126'?"]),
        (f"env: {ENV}\ncompute: rocm-7.2\n", ["did you mean 'rocm7.2'?"]),
        (f"env: {ENV}\ncompute: gpu\n", ["compute is 'gpu'", "auto, cpu, mps, xpu", "cu126"]),
        (f"env: {ENV}\ncompute: 126\n", ["compute is 126"]),
        # torch.
        (f"env: {ENV}\ntorch: 2.13\n", ["torch is 2.13", "did you mean '==2.13.*'?"]),
        (f"env: {ENV}\ntorch: 2.10\n", ["torch is 2.10", "did you mean '==2.10.*'?"]),
        (f"env: {ENV}\ntorch: '2.13'\n", ["did you mean '==2.13.*'?"]),
        (f"env: {ENV}\ntorch: '2.13.1'\n", ["did you mean '==2.13.1'?"]),
        (f"env: {ENV}\ntorch: '2.13.*'\n", ["did you mean '==2.13.*'?"]),
        (f"env: {ENV}\ntorch: newest\n", ["torch is 'newest'", "PEP 440"]),
        (f"env: {ENV}\ntorch: [2]\n", ["torch is [2]"]),
        # packages.
        (f"env: {ENV}\npackages: numpy\n", ["packages is 'numpy'", "write packages: [numpy]"]),
        (f"env: {ENV}\npackages: {{a: 1}}\n", ["packages is {'a': 1}", "a list"]),
        (f"env: {ENV}\npackages: [5]\n", ["packages[0] is 5"]),
        (f"env: {ENV}\npackages: [ok, '']\n", ["packages[1] is ''"]),
        (
            f"env: {ENV}\npackages: ['--index-url=https://evil.example/simple']\n",
            ["packages[0] is '--index-url=https://evil.example/simple'", "not an installer option"],
        ),
        (f"env: {ENV}\npackages: ['-e .']\n", ["not an installer option"]),
        (f"env: {ENV}\npackages: ['numpy --pre']\n", ["packages[0]", "PEP 508"]),
        (f"env: {ENV}\npackages: ['numpy; --index-url x']\n", ["PEP 508"]),
        (f"env: {ENV}\npackages: ['torch==2.5']\n", ["packages other than torch", "`torch:` key"]),
        (f"env: {ENV}\npackages: [pytorch]\n", ["named `torch`"]),
        # indexes and links.
        (f"env: {ENV}\ntorch_index: autp\n", ["torch_index is 'autp'", "did you mean 'auto'?"]),
        (f"env: {ENV}\ntorch_index: mirror.example/whl\n", ["auto, default, or the URL"]),
        (f"env: {ENV}\nindex_url: ftp://x\n", ["index_url is 'ftp://x'", "http(s)://"]),
        (f"env: {ENV}\nindex_url: [x]\n", ["index_url is ['x']"]),
        (f"env: {ENV}\nfind_links: {{a: b}}\n", ["find_links is {'a': 'b'}"]),
        (f"env: {ENV}\nfind_links: [null]\n", ["find_links[0] is null"]),
        # combinations.
        (f"env: {ENV}\ntorch_source: conda-forge\n", ["torch_source is 'conda-forge'", "manager: conda"]),
        (f"env: {ENV}\noffline: true\n", ["offline is true but find_links is empty"]),
    ],
)  # fmt: skip
def test_bad_values_name_key_value_and_what_is_allowed(doc: str, fragments: list[str]) -> None:
    bad(doc, *fragments)


def test_every_message_starts_with_where() -> None:
    with pytest.raises(InvalidInput, match=r"^my\.yaml: unknown key `manger`"):
        parse_answers(f"manger: venv\nenv: {ENV}\n", where="my.yaml")


# ---- documents that are not answers at all ------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ("", "is empty"),
        ("# only a comment\n", "is empty"),
        ("- a\n- b\n", "not a list"),
        ("just text\n", "not a single string"),
        ("42\n", "not a number"),
        ("env: [unclosed\n", "is not valid YAML"),
        ("env: a\n  b: c\n", "is not valid YAML"),
        ("a: 1\n---\nb: 2\n", "is not valid YAML"),
        ("env: 2024-13-45\n", "is not valid YAML (ValueError: month must be in 1..12)"),
        ("env: !!float\n", "is not valid YAML (IndexError"),
        ("? [a, b]\n: c\n", "a key must be plain text"),
        (f"env: {ENV}\nenv: /other\n", "key `env` appears twice (line 2)"),
        (f"env: {ENV}\nbenchmark: {{seconds: 3, seconds: 4}}\n", "key `seconds` appears twice"),
    ],
)
def test_not_an_answers_document(doc: str, fragment: str) -> None:
    bad(doc, fragment)


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.mkdir",
        "!!python/object/new:os.mkdir",
        "!!python/name:os.system",
        "!!python/tuple",
    ],
)
def test_yaml_tags_that_build_objects_are_refused(tmp_path: Path, tag: str) -> None:
    target = tmp_path / "made-by-yaml"
    bad(f"env: {tag} [{str(target)!r}]\n", "is not valid YAML", "could not determine a constructor")
    assert not target.exists()


def test_binary_and_encodings() -> None:
    bad(b"env: /x\n\x00\x01\x02", "is a binary file")
    bad(b"env: caf\xe9\n", "is not UTF-8 text")
    bad("env: /x\n".encode("utf-16"), "is UTF-16 text; save it as UTF-8")
    bad(b"\x89PNG\r\n\x1a\n\x00\x00", "binary")


def test_size_limit() -> None:
    big = f"env: {ENV}\n" + "# padding\n" * (MAX_BYTES // 10 + 1)
    bad(big, f"larger than {MAX_BYTES // 1024} KiB")


def test_load_answers_files(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("env: dl\nmanager: uv\n", encoding="utf-8")
    a = load_answers(good, cwd=str(tmp_path))
    assert a.env == str(tmp_path / "dl") and a.manager == "uv"

    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(InvalidInput, match=r"big\.yaml: is 256 KiB; an answers file is at most"):
        load_answers(big)
    with pytest.raises(InvalidInput, match="no such answers file"):
        load_answers(tmp_path / "missing.yaml")
    with pytest.raises(InvalidInput, match="is a directory"):
        load_answers(tmp_path)
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInput, match="is empty"):
        load_answers(empty)


@pytest.mark.skipif(os.name == "nt" or not os.path.exists("/dev/zero"), reason="POSIX device")
def test_a_file_without_end_is_read_bounded() -> None:
    with pytest.raises(InvalidInput, match="binary"):
        load_answers("/dev/zero")


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path: Path) -> None:
    p = tmp_path / "secret.yaml"
    p.write_text(f"env: {ENV}\n")
    p.chmod(0)
    with pytest.raises(InvalidInput, match="permission denied"):
        load_answers(p)


def test_alias_bomb_is_refused_quickly() -> None:
    # Nine levels of nine-fold aliases: printing the value naively would never finish.
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    doc = "\n".join(lines) + "\nenv: *a9\n"
    start = time.monotonic()
    bad({"env": yaml.safe_load(doc)["env"]}, "env is [[[[")
    bad(doc, "unknown key `a0`")
    assert time.monotonic() - start < 5


def test_self_referencing_value() -> None:
    loop: list[Any] = []
    loop.append(loop)
    bad({"env": ENV, "packages": loop}, "packages[0] is [[[[...]]]]; expected a requirement")


def test_deep_nesting_is_refused() -> None:
    bad("env: " + "[" * 5000 + "]" * 5000 + "\n")


def test_a_file_of_brackets_is_refused_at_once_and_quoted_brackets_are_not_nesting() -> None:
    # PyYAML's scanner is quadratic in the nesting: these 200 000 brackets (within the size
    # limit) would keep it busy for hours.
    started = time.monotonic()
    bad("env: /srv/e\npackages: " + "[" * 200_000 + "\n", "nested too deeply")
    assert time.monotonic() - started < 5
    text = f"# {'[' * 150}\nenv: '/srv/{'{' * 150}'\npackages: [\"{'[' * 150}\"]  # {'{' * 150}\n"
    bad(text, "packages[0] is '[[[[")  # refused for what it says, not for its depth


# ---- round trip ---------------------------------------------------------------------------------


def test_round_trip_of_a_full_answers_object() -> None:
    a = Answers(
        env="/srv/envs/dl",
        python="3.10",
        manager="micromamba",
        existing="reuse",
        compute="rocm6.2.4",
        torch="==2.13.*",
        packages=["torchvision", "numpy<3"],
        torch_index="default",
        index_url="https://mirror.example/simple",
        find_links=["/opt/wheels"],
        offline=True,
        torch_source="conda-forge",
        keep_failed=True,
        benchmark=Benchmark(False, "cuda", "tiny", 2.5, 4, "fp16"),
    )
    text = a.to_yaml()
    assert text.startswith("# envwizard answers")
    assert parse_answers(text) == a


PATHS = st.sampled_from(["/srv/envs/dl", "/home/ann/envs/dl", "/opt/e n v", "/srv/éñv/dl"])
REQS = st.sampled_from(["torchvision", "torchaudio", "numpy<3", "pillow[avif]>=10", "six"])


@st.composite
def answers_objects(draw: st.DrawFn) -> Answers:
    manager = draw(st.sampled_from(MANAGERS))
    conda = manager in ("conda", "mamba", "micromamba")
    env = (
        draw(st.one_of(PATHS, st.sampled_from(["dl", "torch-2.13", "a.b_c"])))
        if conda
        else draw(PATHS)
    )
    find_links = draw(
        st.lists(st.sampled_from(["/opt/wheels", "https://w.example/links"]), max_size=2)
    )
    compute = draw(st.sampled_from(["auto", "cpu", "mps", "xpu", "cu118", "cu126", "rocm7.2"]))
    # The benchmark's fields agree with each other and with compute (the validator's rules).
    devices = [
        d for d in BenchDevice if d is not BenchDevice.MPS or compute in ("auto", "cpu", "mps")
    ]
    devices = [d for d in devices if d is not BenchDevice.XPU or compute in ("auto", "xpu")]
    gpu = compute == "auto" or compute.startswith(("cu", "rocm"))
    devices = [d for d in devices if d is not BenchDevice.CUDA or gpu]
    device = draw(st.sampled_from(devices))
    many = device in (BenchDevice.AUTO, BenchDevice.CUDA, BenchDevice.CPU)
    dtypes = [t for t in BenchDtype if t is not BenchDtype.TF32 or device in ("auto", "cuda")]
    return Answers(
        env=env,
        python=draw(st.sampled_from(["current", "3.9", "3.10", "3.13.1", "/usr/bin/python3"])),
        manager=manager,
        existing=draw(st.sampled_from(list(Existing))),
        compute=compute,
        torch=draw(st.sampled_from([None, ">=2.5", "==2.13.*", "<2.10,>=2.6"])),
        packages=draw(st.lists(REQS, max_size=3)),
        torch_index=draw(st.sampled_from(["auto", "default", "https://m.example/whl"])),
        index_url=draw(st.sampled_from([None, "https://m.example/simple"])),
        find_links=find_links,
        offline=bool(find_links) and draw(st.booleans()),
        torch_source=draw(st.sampled_from(["pip", "conda-forge"])) if conda else "pip",
        keep_failed=draw(st.booleans()),
        benchmark=Benchmark(
            enabled=draw(st.booleans()),
            device=device,
            preset=draw(st.sampled_from(list(BenchPreset))),
            seconds=draw(st.one_of(st.integers(1, 3600), st.floats(1, 3600))),
            nproc=draw(st.integers(1, 64)) if many else 1,
            dtype=draw(st.sampled_from(dtypes)),
        ),
    )  # fmt: skip


@given(answers_objects())
@settings(max_examples=examples(150), deadline=None)
def test_round_trip_property(a: Answers) -> None:
    assert parse_answers(a.to_yaml()) == a


# ---- nothing but InvalidInput ever escapes --------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["auto", "cu126", "conda", "~", "/", "..", "3.11", ">=2.5", "-e", "\ud800"]),
)
NESTED = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=10), st.integers()), inner, max_size=4),
    ),
    max_leaves=20,
)
KEYS = st.sampled_from([*Answers.__dataclass_fields__, "benchmark", "manger", "Env"])
BENCH = st.dictionaries(st.sampled_from([*Benchmark.__dataclass_fields__, "x"]), NESTED, max_size=4)
DOCS = st.dictionaries(KEYS, st.one_of(NESTED, BENCH), max_size=8)


def outcome(run: Any) -> None:
    try:
        result = run()
    except InvalidInput as e:
        assert str(e).strip() and "Traceback" not in str(e)
    else:
        assert isinstance(result, Answers)


@given(NESTED)
@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_structures_only_raise_invalid_input(data: Any) -> None:
    outcome(lambda: validate(data, cwd="/work"))


@given(DOCS, st.one_of(st.just(ENV), NESTED))
@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_answer_shaped_documents_only_raise_invalid_input(doc: dict, env: Any) -> None:
    doc = {"env": env, **doc}
    outcome(lambda: validate(doc, cwd="/work"))
    text = yaml.safe_dump(doc, allow_unicode=True) if _dumpable(doc) else None
    if text is not None:
        outcome(lambda: parse_answers(text, cwd="/work"))


YAML_ALPHABET = string.printable + "éñ中\u00a0\ufeff&*!|>%@`"
YAML_TOKENS = st.sampled_from(
    ["env: ", "manager: ", "- ", "? ", ": ", "&a ", "*a ", "!!str ", "!!binary ", "!!float ", "!!int ",
     "!!python/tuple ", "!!set ", "!!omap ", "{", "}", "[", "]", "---\n", "...\n", "\n  ", "\n", '"',
     "'", "#", "2024-13-45", "0x1F", "1e999", ".inf", "<<: *a", "%YAML 1.1\n", "\t"]
)  # fmt: skip


@given(st.lists(st.one_of(YAML_TOKENS, st.text(YAML_ALPHABET, max_size=8)), max_size=30))
@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_yaml_text_only_raises_invalid_input(parts: list[str]) -> None:
    text = "".join(parts)
    outcome(lambda: parse_answers(text, cwd="/work"))
    outcome(lambda: parse_answers(text.encode("utf-8", "surrogatepass"), cwd="/work"))


@given(st.binary(max_size=200))
@settings(max_examples=examples(300), deadline=None)
def test_random_bytes_only_raise_invalid_input(raw: bytes) -> None:
    outcome(lambda: parse_answers(raw, cwd="/work"))


def _dumpable(doc: Any) -> bool:
    try:
        yaml.safe_dump(doc)
    except yaml.YAMLError:
        return False
    return True


# ---- typos a Chinese input method makes, and advice that can be pasted ----------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "fixed"),
    [
        ("manager：venv\nenv: /srv/envs/dl\n", 1, 8, "manager: venv"),
        ("env: /srv/envs/dl\nmanager： uv\n", 2, 8, "manager: uv"),
        ("env: /srv/envs/dl\nbenchmark:\n  seconds：30\n", 3, 10, "seconds: 30"),
    ],
)
def test_a_full_width_colon_is_pointed_at(text: str, line: int, column: int, fixed: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_answers(text, where="a.yaml")
    msg = str(e.value)
    assert msg.startswith(f"a.yaml: line {line}, column {column}: ")
    assert "full-width colon (：" in msg and msg.endswith(f"`{fixed}`")
    assert "mapping values are not allowed" not in msg


def test_a_full_width_colon_inside_a_value_is_fine() -> None:
    assert parse_answers("env: /srv/环境：一/dl\n").env == "/srv/环境：一/dl"


def test_packages_written_as_one_string_get_a_list_to_paste() -> None:
    with pytest.raises(InvalidInput) as e:
        parse_answers("env: /srv/envs/dl\npackages: torchvision torchaudio\n", where="a.yaml")
    assert str(e.value).endswith("(write packages: [torchvision, torchaudio])")
    with pytest.raises(InvalidInput) as e:
        parse_answers("env: /srv/envs/dl\npackages: numpy<3 rich\n", where="a.yaml")
    fix = str(e.value).split("write packages: ")[1].rstrip(")")
    assert parse_answers(f"env: /srv/envs/dl\npackages: {fix}\n").packages == ["numpy<3", "rich"]
