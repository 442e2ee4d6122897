"""Malformed answers files: each is one clear sentence and exit 2, never a traceback, and
nothing is created — from `envwizard validate` and from `envwizard --answers F --dry-run`.

Most rows run the CLI's own entry point in-process (fast); a few run the real executable in a
subprocess, the way a person or a script would. `{d}` in a row is the test's own directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envwizard.cli import main

FACTS = Path(__file__).parent / "data" / "facts_cpu_box.json"
LONG = "a" * 300

ROWS: list[tuple[str, str | bytes, str]] = [
    # --- YAML itself
    ("tab-indent", "env: {d}/e\n\tmanager: uv\n", "found character '\\t'"),
    ("duplicate-key", "env: {d}/e\nenv: {d}/f\n", "key `env` appears twice"),
    (
        "alias-into-unknown-key",
        "base: &b {enabled: true}\nenv: {d}/e\nbenchmark: *b\n",
        "unknown key `base`",
    ),
    ("merge-key", "b: &b {manager: uv}\n<<: *b\nenv: {d}/e\n", "is not valid YAML"),
    ("python-tag", "env: !!python/object:os.system ls\n", "is not valid YAML"),
    ("binary-tag", "env: !!binary aGVsbG8=\n", "env is b'hello'"),
    ("non-utf8", b"env: /tmp/\xff\xfe1\n", "is not UTF-8 text"),
    ("utf16", "env: {d}/e\n".encode("utf-16"), "is UTF-16 text; save it as UTF-8"),
    ("nul-byte", b"env: /tmp/e\x00\n", "is a binary file"),
    ("empty", "", "is empty"),
    ("only-comment", "# nothing\n", "is empty"),
    ("only-dashes", "---\n", "is empty"),
    ("two-documents", "env: {d}/e\n---\nenv: {d}/f\n", "found another document"),
    ("top-level-list", "- env: {d}/e\n", "not a list"),
    ("top-level-string", "env:{d}/e\n", "not a single string"),
    ("toml-style", 'env = "{d}/e"\n', "not a single string"),
    ("unclosed-flow", "env: [{d}/e\n", "is not valid YAML"),
    ("complex-key", "env: {d}/e\n? [a, b]\n: c\n", "a key must be plain text"),
    (
        "deep-nesting",
        "env: {d}/e\nbenchmark: " + "[" * 5000 + "]" * 5000 + "\n",
        "nested too deeply",
    ),
    (
        "huge-file",
        "env: {d}/e\npackages:\n" + "  - pkg\n" * 60000,
        "an answers file is at most 256 KiB",
    ),
    # --- keys and types
    ("near-miss-key", "env: {d}/e\nmanger: uv\n", "did you mean `manager`?"),
    ("capitalised-key", "Env: {d}/e\n", "did you mean `env`?"),
    ("near-miss-bench-key", "env: {d}/e\nbenchmark: {secnds: 5}\n", "did you mean `seconds`?"),
    ("int-key", "env: {d}/e\n1: c\n", "unknown key `1`"),
    ("env-int", "env: 5\n", "env is 5"),
    ("env-list", "env: [{d}/e]\n", "env is ["),
    ("env-null", "env:\n", "quote the path"),
    ("env-empty", 'env: ""\n', "env is ''"),
    ("env-control-char", 'env: "{d}/e\\t1"\n', "without control characters"),
    ("python-float", "env: {d}/e\npython: 3.10\n", "write python: '3.10'"),
    ("python-word", "env: {d}/e\npython: python3.11\n", "did you mean '3.11'?"),
    (
        "python-missing",
        "env: {d}/e\npython: /nonexistent/python3\n",
        "/nonexistent/python3",
    ),
    ("python-too-old", 'env: {d}/e\npython: "3.1"\n', "outside every torch release's window"),
    ("manager-pip", "env: {d}/e\nmanager: pip\n", "manager is 'pip'"),
    ("existing-word", "env: {d}/e\nexisting: overwrite\n", "abort, reuse, recreate"),
    ("compute-word", "env: {d}/e\ncompute: gpu\n", "compute is 'gpu'"),
    # a kind of build rather than one build: auto, or the newest of that kind (never 'xpu' for
    # 'gpu', nor cu132 for CUDA 12, as a spelling guess would say)
    ("compute-gpu", "env: {d}/e\ncompute: gpu\n", "compute: auto picks the build"),
    ("compute-cuda12", "env: {d}/e\ncompute: cuda12\n", "name one, such as cu129"),
    ("compute-cu11", "env: {d}/e\ncompute: cu11\n", "name one, such as cu118"),
    ("compute-intel", "env: {d}/e\ncompute: intel\n", "did you mean 'xpu'?"),
    ("compute-unknown-cuda", "env: {d}/e\ncompute: cu999\n", "did you mean 'cu132'?"),
    ("offline-string", 'env: {d}/e\noffline: "no"\n', "offline is 'no'"),
    ("stall-string", 'env: {d}/e\nstall_seconds: "300"\n', "stall_seconds is '300'"),
    ("stall-bool", "env: {d}/e\nstall_seconds: true\n", "stall_seconds is true"),
    ("stall-huge", "env: {d}/e\nstall_seconds: 1000000000000000000000000\n", "from 2 to 86400"),
    ("bench-nan", "env: {d}/e\nbenchmark: {seconds: .nan}\n", "benchmark.seconds is .nan"),
    ("bench-list", "env: {d}/e\nbenchmark: []\n", "benchmark is []"),
    ("bench-device", "env: {d}/e\nbenchmark: {device: gpu}\n", "benchmark.device is 'gpu'"),
    ("packages-string", "env: {d}/e\npackages: numpy\n", "write packages: [numpy]"),
    ("packages-null-item", "env: {d}/e\npackages: [null]\n", "packages[0] is null"),
    ("packages-option", 'env: {d}/e\npackages: ["--index-url x"]\n', "not an installer option"),
    (
        "packages-requirements-file",
        'env: {d}/e\npackages: ["-r requirements.txt"]\n',
        "not an installer option",
    ),
    (
        "packages-torch",
        'env: {d}/e\npackages: ["torch==2.5"]\n',
        "put the version in the `torch:` key",
    ),
    ("packages-bad", 'env: {d}/e\npackages: ["numpy==="]\n', "a PEP 508 requirement"),
    ("index-not-url", "env: {d}/e\nindex_url: not a url\n", "an http(s):// or file:// URL"),
    ("torch-index-ftp", 'env: {d}/e\ntorch_index: "ftp://x"\n', "torch_index is 'ftp://x'"),
    ("mirror-typo", "env: {d}/e\nmirror: tsinghau\n", "mirror is 'tsinghau'"),
    # a URL where a preset's name goes: its name, or where a URL belongs
    (
        "mirror-preset-url",
        "env: {d}/e\nmirror: https://pypi.tuna.tsinghua.edu.cn/simple\n",
        "write mirror: tuna-pypi",
    ),
    (
        "mirror-other-url",
        "env: {d}/e\nmirror: https://pypi.example.org/simple\n",
        "a URL goes in index_url (a mirror of PyPI) or torch_index",
    ),
    # full-width punctuation inside values and flow collections, as Chinese input methods type
    # it: the character is named, not a PEP 508 parse error or "write packages: [［numpy］]"
    (
        "full-width-comma",
        "env: {d}/e\npackages: [torchvision，torchaudio]\n",
        "full-width punctuation typed by a Chinese input method: `，`; YAML needs the ASCII `,`",
    ),
    (
        "full-width-brackets",
        "env: {d}/e\npackages: ［numpy］\n",
        "input method: `［` `］`; YAML needs the ASCII `[` `]`",
    ),
    ("full-width-quotes", "env: {d}/e\ncompute: “cpu”\n", "input method: `“` `”`"),
    ("full-width-flow-colon", "env: {d}/e\nbenchmark: {seconds： 10}\n", "input method: `：`"),
    ("lang-int", "env: {d}/e\nlang: 5\n", "lang is 5"),
    # --- torch specifiers
    (
        "torch-marker",
        "env: {d}/e\ntorch: \"==2.13.0; python_version<'3'\"\n",
        "a PEP 440 specifier",
    ),
    ("torch-arrow", 'env: {d}/e\ntorch: "=>2.5"\n', "a PEP 440 specifier"),
    ("torch-bare", 'env: {d}/e\ntorch: "2.5"\n', "did you mean '==2.5.*'?"),
    ("torch-float", "env: {d}/e\ntorch: 2.5\n", "YAML read 2.5 as a number"),
    ("torch-latest", "env: {d}/e\ntorch: latest\n", "a PEP 440 specifier"),
    ("torch-space-separated", 'env: {d}/e\ntorch: ">=2.5 <2.7"\n', "did you mean '>=2.5,<2.7'?"),
    (
        "torch-local-version",
        'env: {d}/e\ntorch: "==2.5.1+cu121"\n',
        "write torch: '==2.5.1' and compute: cu121",
    ),
    ("torch-no-release", 'env: {d}/e\ntorch: "==9.9"\n', "matches no release envwizard knows"),
    (
        "torch-empty-range",
        'env: {d}/e\ntorch: ">=2.5,<2.3"\n',
        "matches no release envwizard knows",
    ),
    ("torch-variant-mismatch", 'env: {d}/e\ntorch: "==2.6"\ncompute: cu121\n', "has a cu121 build"),
    # --- paths and conda names (conda's PREFIX_NAME_DISALLOWED_CHARS: / space : #, and base)
    ("conda-space", 'manager: conda\nenv: "my env"\n', "conda refuses them"),
    ("conda-colon", 'manager: conda\nenv: "x:y"\n', "conda refuses them"),
    ("conda-hash", 'manager: conda\nenv: "x#y"\n', "conda refuses them"),
    ("conda-base", "manager: conda\nenv: base\n", "not conda's base"),
    ("conda-root", "manager: conda\nenv: root\n", "not conda's base"),
    ("conda-prefix-colon", "manager: conda\nenv: {d}/a:b\n", "conda refuses such prefixes"),
    ("env-home", 'env: "~"\n', "not a system directory or your home"),
    ("env-system-dir", "env: /usr\n", "not a system directory or your home"),
    ("env-shell-variable", "env: $HOME/envs/dl\n", "not shell or Windows variables"),
    ("env-braced-variable", "env: ${HOME}/envs/dl\n", "not shell or Windows variables"),
    (
        "env-windows-variable",
        'env: "%USERPROFILE%\\\\envs\\\\dl"\n',
        "not shell or Windows variables",
    ),
    ("env-unknown-user", "env: ~nosuchuser-envwizard/envs/dl\n", "names a user of this machine"),
    ("env-name-too-long", "env: {d}/" + LONG + "\n", "at most 255 bytes"),
    ("env-windows-path", 'env: "C:\\\\Users\\\\me\\\\envs\\\\dl"\n', "is a Windows path"),
    ("env-unc-path", 'env: "\\\\\\\\server\\\\share\\\\env"\n', "is a Windows path"),
]


def write(tmp_path: Path, content: str | bytes) -> Path:
    f = tmp_path / "answers.yaml"
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content.replace("{d}", str(tmp_path)), encoding="utf-8")
    return f


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(("name", "content", "fragment"), ROWS, ids=[r[0] for r in ROWS])
def test_malformed_answers_is_one_sentence_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | bytes,
    fragment: str,
) -> None:
    f = write(tmp_path, content)
    before = listing(tmp_path)
    for argv in (["validate", str(f), "--facts", str(FACTS)], ["--answers", str(f), "--dry-run"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2, (argv, out, err)
        assert "Traceback" not in out + err
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("envwizard: error: "), err
        assert fragment in lines[0], lines[0]
    assert listing(tmp_path) == before, "a refused answers file created something"


def test_env_that_is_a_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("keep me\n")
    f = write(tmp_path, f"env: {target}\nexisting: reuse\n")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"env: {target} is a file, not a directory" in err
    assert target.read_text() == "keep me\n"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ("/proc/envwizard-env", "inside a system folder of the kernel"),
        ("/etc/passwd/env", "/etc/passwd is a file, not a folder"),
    ],
)
def test_env_this_machine_cannot_create(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], env: str, fragment: str
) -> None:
    f = write(tmp_path, f"env: {env}\n")
    for argv in (["validate", str(f)], ["--answers", str(f), "--dry-run"]):
        assert main(argv) == 2
        assert fragment in capsys.readouterr().err


def test_validate_runs_the_local_preflight(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "valid" used to mean "the file parses": an offline run with a wheel folder that is not
    # there stops at its pre-flight, so validate says so (a dry run reports it and exits 0).
    f = write(tmp_path, "env: {d}/e\noffline: true\nfind_links: [{d}/wheels]\n")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"find_links: {tmp_path}/wheels does not exist" in err and err.count("\n") == 1
    (tmp_path / "wheels").mkdir()
    assert main(["validate", str(f)]) == 0, capsys.readouterr()


def test_windows_path_is_fine_when_the_facts_describe_windows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    facts = json.loads(FACTS.read_text())
    facts["os"] = {"system": "Windows", "machine": "AMD64", "glibc": None}
    facts["python"] = {"version": "3.12.5", "executable": "C:\\Python312\\python.exe"}
    (tmp_path / "win.json").write_text(json.dumps(facts))
    f = write(tmp_path, 'env: "C:\\\\envs\\\\dl"\n')
    assert main(["validate", str(f), "--facts", str(tmp_path / "win.json")]) == 0, (
        capsys.readouterr()
    )


@pytest.mark.parametrize("name", ["duplicate-key", "env-name-too-long", "torch-local-version"])
def test_malformed_answers_from_the_real_executable(tmp_path: Path, name: str) -> None:
    row = next(r for r in ROWS if r[0] == name)
    f = write(tmp_path, row[1])
    before = listing(tmp_path)
    for argv in (["validate", str(f)], ["--answers", str(f), "--dry-run"]):
        r = subprocess.run(
            [sys.executable, "-m", "envwizard", *argv],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"},
        )
        assert r.returncode == 2, r
        assert "Traceback" not in r.stdout + r.stderr
        assert r.stderr.count("envwizard: error: ") == 1 and row[2] in r.stderr, r.stderr
    assert listing(tmp_path) == before
