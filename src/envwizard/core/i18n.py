"""Translations: `_()` looks a message up in the gettext catalog of the chosen language.

The language is chosen lazily, at the first message shown, from (in this order) `--lang`,
the answers file's `lang:`, and the locale (LC_ALL, LC_MESSAGES, LANG). A language without a
catalog is English, without an error. Catalogs live in envwizard/locale/<lang>/LC_MESSAGES/
as .po sources (edited by people) and .mo files (compiled by Babel; scripts/i18n.py).
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterable
from functools import cache

DOMAIN = "envwizard"
LANGUAGES = ("en", "zh-CN")
"""The languages envwizard speaks, as `--lang` and `lang:` spell them."""

_cli: str | None = None
_answers: str | None = None


def normalize(tag: str | None) -> str | None:
    """en, zh-CN or None (unknown): accepts zh_CN.UTF-8, zh-cn, zh-Hans, en_US and the like."""
    if not tag:
        return None
    base = tag.split(".")[0].split("@")[0].replace("_", "-").lower()
    if base in ("c", "posix") or base == "en" or base.startswith("en-"):
        return "en"
    if base == "zh" or base in ("zh-cn", "zh-sg", "zh-hans") or base.startswith("zh-hans"):
        return "zh-CN"
    return None


def set_cli_language(tag: str | None) -> None:
    """`--lang`: wins over everything; an unknown tag means English."""
    global _cli
    _cli = None if tag is None else (normalize(tag) or "en")


def set_answers_language(tag: str | None) -> None:
    """The answers file's `lang:` (None: the locale decides)."""
    global _answers
    _answers = normalize(tag) if tag else None


def locale_language() -> str:
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(key)
        if value:
            return normalize(value) or "en"
    return "en"


def language() -> str:
    """The language in use now: en or zh-CN."""
    return _cli or _answers or locale_language()


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    folder = lang.replace("-", "_")
    # A path beside this package, not importlib.resources: that import alone cost more than the
    # rest of `probe --json`'s imports together (envwizard is installed as files, never zipped).
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(package, "locale", folder, "LC_MESSAGES", DOMAIN + ".mo")
    try:
        with open(path, "rb") as f:
            return gettext.GNUTranslations(f)
    except OSError:
        return gettext.NullTranslations()


def _(message: str) -> str:
    """The message in the current language (the English text when there is no translation)."""
    return _catalog(language()).gettext(message)


def translated(message: str, lang: str) -> str:
    """The message in a given language, whatever the current one is (a file written in both)."""
    return _catalog(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; `_()` translates it where it is shown."""
    return message


def join(items: Iterable[str]) -> str:
    """A list as the language writes one in a sentence: "a, b, c" or "a、b、c"."""
    return _(", ").join(items)
