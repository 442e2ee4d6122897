"""Credentials in URLs never reach a screen, a log, a report, a saved file or a command line.

Private indexes and proxies are often given as `https://user:token@host/...`. Everywhere
envwizard shows or stores them it writes them the way pip does: `user:****@host` (a bare token,
`token@host`, becomes `****@host`); a password with a raw `@` is masked up to the last `@`
before the host. Every printer goes through `redact_text`/`redact`; an input field shows
`mask_in_place`. Installers get credentials through their environment, never their argv
(`run/credentials.py` uses `split_argv_credentials` for that).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s'\"]+)@")
"""scheme://userinfo@ anywhere in a text: the userinfo part is what must not be shown. It runs
to the last `@` before the path, so a password with a raw `@` (`user:p@ss@host`) is masked whole."""

MASK = "****"


def _mask(userinfo: str) -> str:
    if userinfo == MASK or userinfo.endswith(":" + MASK):
        return userinfo
    user, sep, _password = userinfo.partition(":")
    return f"{user}:{MASK}" if sep else MASK


def redact_text(text: str) -> str:
    """The text with the secret part of every `scheme://user:secret@` replaced by ****."""
    if "@" not in text:
        return text
    return _URL_USERINFO.sub(lambda m: m["scheme"] + _mask(m["userinfo"]) + "@", text)


def mask_in_place(text: str, char: str = "•") -> str:
    """The text with every secret character replaced by `char`, keeping its length.

    For an input field: the cursor and the selection still line up with what is typed.
    """
    if "@" not in text:
        return text
    out = list(text)
    for m in _URL_USERINFO.finditer(text):
        start, end = m.span("userinfo")
        user, sep, _password = m["userinfo"].partition(":")
        if sep:
            start += len(user) + 1
        out[start:end] = char * (end - start)
    return "".join(out)


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters a terminal acts on instead of showing: escape sequences (title, clear screen),
bells, backspaces, carriage returns, C1 controls and bidirectional overrides."""


def neutralise(text: str) -> str:
    """The text with every control character shown as a visible escape (`\\x1b`), never acted on.

    For text that comes from files or other programs (a GPU name in a facts file, a host name in
    a report) on its way to a terminal.
    """
    return _CONTROLS.sub(lambda m: repr(m[0])[1:-1], text) if _CONTROLS.search(text) else text


def safe_text(text: str) -> str:
    """What any printer may show: credentials masked, control characters neutralised."""
    return neutralise(redact_text(text))


def neutralise_all(value: Any) -> Any:
    """A copy of a JSON-like value with every string (keys too) passed through `neutralise`:
    for what is read from files (facts, reports) before any of it can reach a terminal."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dict):
        return {neutralise_all(k): neutralise_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [neutralise_all(v) for v in value]
    return value


def redact(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) with every URL credential masked."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def has_secret(text: str) -> bool:
    return redact_text(text) != text


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(url without userinfo, user, password): what an HTTP client needs to reach the index."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port is not None else "")
    bare = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    user = urllib.parse.unquote(parts.username) if parts.username is not None else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    return bare, user, password


def split_argv_credentials(argv: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(argv with every http(s) URL's userinfo removed, [(bare URL, URL with credentials)]).

    The pairs say which URL carried which credentials, so they can reach the installer some
    other way. VCS requirements (`git+https://token@…`) are left as they are: git reads them
    from its own argv, whatever envwizard does.
    """
    out: list[str] = []
    moved: list[tuple[str, str]] = []

    def strip(m: re.Match[str]) -> str:
        scheme = m["scheme"].lower()
        if scheme not in ("http://", "https://"):
            return m[0]
        return m["scheme"]

    for arg in argv:
        if "@" not in arg or "://" not in arg:
            out.append(arg)
            continue
        bare = _URL_USERINFO.sub(strip, arg)
        if bare != arg:
            for url in _URLS.findall(arg):
                if _URL_USERINFO.match(url) and url.lower().startswith(("http://", "https://")):
                    moved.append((_URL_USERINFO.sub(strip, url), url))
        out.append(bare)
    return out, moved


_URLS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\",]+")
