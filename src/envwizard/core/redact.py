"""Credentials in URLs never reach a screen, a log, a report or a saved file.

Private indexes and proxies are often given as `https://user:token@host/...`. envwizard passes
them untouched to the installer's own argv or environment, and everywhere it shows or stores
them it writes them the way pip does: `user:****@host` (a bare token, `token@host`, becomes
`****@host`).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@'\"]+)@")
"""scheme://userinfo@ anywhere in a text: the userinfo part is what must not be shown."""

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
