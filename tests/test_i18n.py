"""Translations: every message in the source has a zh_CN translation with the same placeholders,
the committed .mo is the compiled .po, and the language comes from --lang, the answers, or
the locale (in that order), with English for anything unknown.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from envwizard.core import i18n

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "envwizard"
PO = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "envwizard.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
_BRACE = re.compile(r"\{(\w*)[^{}]*\}")
_PERCENT = re.compile(r"%(\([\w]+\))?[#0 +-]*\d*(?:\.\d+)?[sdrfgi%]")
_MARKUP = re.compile(r"\[/?[a-z ]*\]")


def source_messages() -> set[str]:
    """Every msgid the source marks today (extracted fresh, not read from the .pot)."""
    found = extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    )
    out = set()
    for _filename, _lineno, message, _comments, _context in found:
        out.add(message if isinstance(message, str) else message[0])
    return out


def catalog():  # type: ignore[no-untyped-def]
    with PO.open("rb") as f:
        return read_po(f, locale="zh_CN")


def placeholders(text: str) -> list[str]:
    return sorted([*_BRACE.findall(text), *_PERCENT.findall(text)])


def untranslated() -> list[str]:
    """Source messages without a translation (also used by scripts/i18n.py check)."""
    cat = catalog()
    out = []
    for mid in sorted(source_messages()):
        msg = cat.get(mid)
        if msg is None or not msg.string or msg.fuzzy:
            out.append(mid)
    return out


def test_every_message_has_a_translation() -> None:
    missing = untranslated()
    assert not missing, (
        f"{len(missing)} untranslated; run scripts/i18n.py extract/update: {missing[:5]}"
    )


def test_placeholders_and_markup_match() -> None:
    bad = []
    for msg in catalog():
        if not msg.id or not msg.string:
            continue
        mid = msg.id if isinstance(msg.id, str) else msg.id[0]
        text = msg.string if isinstance(msg.string, str) else msg.string[0]
        if placeholders(mid) != placeholders(text):
            bad.append((mid, text))
        if sorted(_MARKUP.findall(mid)) != sorted(_MARKUP.findall(text)):
            bad.append((mid, text))
    assert not bad


def test_the_committed_mo_is_the_compiled_po() -> None:
    fresh = io.BytesIO()
    write_mo(fresh, catalog())
    assert MO.read_bytes() == fresh.getvalue(), "run: python scripts/i18n.py compile"


def test_no_stale_messages_in_the_catalog() -> None:
    live = source_messages()
    ids = [m.id if isinstance(m.id, str) else m.id[0] for m in catalog() if m.id]  # plural: a pair
    stale = [i for i in ids if i not in live]
    assert not stale, f"run scripts/i18n.py extract and update: {stale[:5]}"


# ---- choosing the language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "want"),
    [
        ("zh_CN.UTF-8", "zh-CN"),
        ("zh-cn", "zh-CN"),
        ("zh_Hans", "zh-CN"),
        ("en_US.UTF-8", "en"),
        ("C", "en"),
        ("fr_FR.UTF-8", None),
        ("zh_TW.UTF-8", None),
    ],
)
def test_normalize(tag: str, want: str | None) -> None:
    assert i18n.normalize(tag) == want


def test_order_cli_then_answers_then_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.setattr(i18n, "_cli", None)
    monkeypatch.setattr(i18n, "_answers", None)
    assert i18n.language() == "zh-CN" and i18n._("Next") == "下一步"
    i18n.set_answers_language("en")
    assert i18n.language() == "en" and i18n._("Next") == "Next"
    i18n.set_cli_language("zh-CN")
    assert i18n.language() == "zh-CN"
    i18n.set_cli_language("klingon")  # unknown: English, no error
    assert i18n.language() == "en"
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setattr(i18n, "_cli", None)
    monkeypatch.setattr(i18n, "_answers", None)
    assert i18n.language() == "en"  # LC_ALL comes before LANG


def run_cli(*args: str, lang: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env["LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "envwizard", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_validate_typo_in_chinese_with_key_names_kept(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(f"env: {tmp_path / 'env'}\nmanagr: venv\n", encoding="utf-8")
    r = run_cli("validate", str(f), lang="zh_CN.UTF-8")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "未知的键 `managr`" in r.stderr and "`manager`" in r.stderr
    assert r.stderr.startswith("envwizard: error: ")  # the prefix scripts grep for
    r = run_cli("--lang", "en", "validate", str(f), lang="zh_CN.UTF-8")
    assert r.returncode == 2
    assert "unknown key `managr`; did you mean `manager`?" in r.stderr


def test_answers_lang_key_chooses_the_language(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(f"env: {tmp_path / 'env'}\nlang: zh-CN\n", encoding="utf-8")
    r = run_cli("validate", str(f), lang="en_US.UTF-8")
    assert r.returncode == 0 and "有效" in r.stdout
    r = run_cli("--lang", "en", "validate", str(f), lang="en_US.UTF-8")
    assert "valid (venv environment" in r.stdout


def test_help_in_chinese_including_argparse_words() -> None:
    r = run_cli("--help", lang="zh_CN.UTF-8")
    assert r.returncode == 0
    assert r.stdout.startswith("用法：envwizard")
    assert "选项" in r.stdout and "显示此帮助信息并退出" in r.stdout
    r = run_cli("plan", lang="zh_CN.UTF-8")
    assert r.returncode == 2 and "envwizard plan: error: 缺少以下必需参数：--answers" in r.stderr


def test_markdown_report_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    from envwizard.report.report import markdown

    report = {
        "status": "done",
        "exit_code": 0,
        "env": {"path": "/srv/envs/dl", "activate": "source /srv/envs/dl/bin/activate"},
        "decision": {"torch": "2.14.*", "variant": "cpu", "index_url": None, "reasons": ["r"]},
        "steps": [{"id": "create-env", "status": "ok", "seconds": 1.0, "log": "x.log"}],
        "verify": {"ok": True, "torch_version": "2.14.0+cpu", "device_names": []},
        "benchmark": None,
    }
    monkeypatch.setattr(i18n, "_cli", "zh-CN")
    text = markdown(report)
    assert text.startswith("# envwizard 报告：完成")  # not "报告：done"
    assert "## 为什么选这个构建版本" in text and "来源：安装器的默认索引" in text
    assert "| 步骤 | 状态 | 秒 | 日志 |" in text and "- 设备：仅 CPU" in text
    assert "| create-env | 成功 |" in text
    assert "- 通过\n" in text and "CUDA 不可用" in text  # not "通过：True", "CUDA 可用：False"
    assert "已就绪" in text and "ready" not in text
    monkeypatch.setattr(i18n, "_cli", "en")
    assert "## Why this build" in markdown(report)


# ---- the Chinese reads as Chinese -----------------------------------------------------------------

LATIN_ALLOWED = {
    # products, projects and packages (names are never translated)
    "envwizard", "PyTorch", "torch", "pytorch", "torchvision", "torchaudio", "torchrun", "NumPy",
    "numpy",
    "Python", "CPython", "pip", "pipx", "uv", "venv", "virtualenv", "ensurepip", "conda", "mamba",
    "micromamba", "Miniforge", "glibc", "musl", "libc", "manylinux", "gloo", "rocminfo", "amdgpu",
    "tegra", "Ansible", "setup", "Alpine", "Linux", "Windows", "Arm", "macOS", "Mac", "Apple",
    "Rosetta", "Jetson", "NVIDIA", "Intel", "Arc", "Flex", "Max", "Core", "Ultra", "Data",
    "Center", "Kepler", "Maxwell", "Pascal", "Volta", "ReLU", "Linear", "Markdown", "wiki", "ROCm",
    "JetPack", "PyPI", "Jupyter", "TensorFlow", "triton", "transformers", "peft", "accelerate",
    "datasets", "nvJitLink", "cuDNN",
    # words of the trade kept in English by the glossary, and units
    "wheel", "shell", "gfx", "GiB", "MiB", "KiB",
    # answers keys and values, commands and their words (never translated)
    "env", "python", "pythons", "gpus", "os", "manager", "packages", "offline", "schema", "status",
    "compute", "existing", "benchmark", "device", "seconds", "nproc", "dtype", "preset", "mirror",
    "lang", "stack", "frameworks", "jupyter", "installer", "cuNNN", "rocmX", "tutorial", "llm",
    "steps", "base", "auto", "default", "none", "null", "true", "false", "abort", "reuse",
    "recreate", "cpu", "cuda", "mps", "xpu", "en", "sgd", "momentum", "large", "install", "apt",
    "import", "plan", "probe", "validate", "bench", "mirrors", "report", "doctor", "pid", "i",
    "bundle", "export", "requirements", "pylock", "dockerfile", "devcontainer",
    # operators named as the error messages name them
    "nms",
    # file formats and tools named by their own names
    "Dockerfile", "keyring",
}  # fmt: skip
"""ASCII-letter words a zh_CN message may hold. Anything else is English left in Chinese."""

_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(\([\w]+\))?[#0 +-]*\d*(?:\.\d+)?[sdrfgi]")
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"


def latin_words(text: str) -> list[str]:
    """English-looking words in a message: placeholders, markup, `code`, URLs, paths, flags,
    keys with their colon, versions, ALL-CAPS acronyms or metavariables and another program's
    label quoted as it is (“Windows installer (64-bit)”) are not words."""
    text = _PLACEHOLDER.sub(" ", text)
    text = re.sub(r"\[/?[a-z $-]*\]|`[^`]*`|\S+://\S*", " ", text)
    text = re.sub(rf"“[^“”{_CJK}]*”", " ", text)  # another program's own label, quoted as it is
    found = []
    for token in re.split(rf"[\s{_CJK},;()\[\]]+", text):
        if not token or re.search(r"[/._\-=:@#*<>~0-9%'\"+|$\\]", token):
            continue
        found += [w for w in re.findall(r"[A-Za-z]+", token) if not w.isupper()]
    return found


def test_no_english_words_inside_chinese_messages() -> None:
    bad = {}
    for msg in catalog():
        if not msg.id or not msg.string:
            continue
        text = msg.string if isinstance(msg.string, str) else " ".join(msg.string)
        stray = [w for w in latin_words(text) if w not in LATIN_ALLOWED]
        if stray:
            bad[text] = stray
    assert not bad, bad


def test_the_check_above_can_fail() -> None:
    assert latin_words("来自 the installer's configured index and wheel folders。") == [
        "the", "configured", "index", "and", "wheel", "folders",
    ]  # fmt: skip
    assert latin_words("[b]通过：[/]{ok} `torch_index: default` --dry-run cu126 GPU") == []
    assert re.search(
        rf"[{_CJK}] [{_CJK}]", rendered("{where}：{path} 的值为 {value}；应为 {allowed}")
    )


TEXT_VALUES = {
    "why", "what", "describe", "reason", "how", "hint", "summary", "failures", "checks",
    "message", "problems", "problem", "allowed", "outlook", "only", "fits", "gates", "instead",
    "cause", "rejected", "timing", "whole", "phase",
}  # fmt: skip
"""Placeholders whose values are Chinese text in a Chinese run (reasons, descriptions); the
others hold names, paths, numbers and versions."""


def rendered(text: str) -> str:
    """A message with sample values: Chinese text where a sentence goes, a name elsewhere."""

    def value(m: re.Match[str]) -> str:
        name = re.match(r"\{(\w*)", m.group(0))
        return "某项说明" if name and name.group(1) in TEXT_VALUES else "x1"

    return re.sub(r"\{[^{}]*\}", value, re.sub(r"\[/?[a-z $-]*\]", "", text))


def test_every_template_renders_without_stray_spaces() -> None:
    """No space between two Chinese characters once the values are in ("应为 以下之一", "来自
    默认索引"), and no double space that the English message does not have (alignment)."""
    bad = []
    for msg in catalog():
        if not msg.id or not msg.string or not isinstance(msg.string, str):
            continue
        out = rendered(msg.string)
        if re.search(rf"[{_CJK}] [{_CJK}]", out):
            bad.append(("space between Chinese characters", msg.string))
        if len(re.findall(" {2,}", out)) > len(re.findall(" {2,}", rendered(msg.id))):
            bad.append(("double space", msg.string))
    assert not bad, bad


def test_the_answers_file_has_one_name() -> None:
    """The glossary's term, 应答文件; the choices themselves are 配置 (Save answers: 保存配置)."""
    texts = [m.string for m in catalog() if m.id and isinstance(m.string, str)]
    assert not [t for t in texts if "答案" in t]
    assert not [t for t in texts if re.search("应答(?!文件)", t)]
    assert catalog().get("Save answers").string == "保存配置"
