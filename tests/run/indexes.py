"""Local package indexes that misbehave on purpose: slow downloads, hangs, basic auth.

Their torch is 2.13.1+cpu, a build no machine's own wheel folder holds: the resolve must take it
from here, not from a better-tagged copy elsewhere.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import re
import shutil
import struct
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

WHEEL = "torch-2.13.1+cpu-cp{v}-cp{v}-manylinux_2_28_x86_64.whl".format(
    v=f"{sys.version_info[0]}{sys.version_info[1]}"
)


METADATA = "Metadata-Version: 2.1\nName: torch\nVersion: 2.13.1+cpu\n"
SIZE = 200 * 2**20
"""What the wheel's headers promise (its bytes are zeros, sent slowly, and never all)."""


NAME = b"torch/payload.bin"
HEAD = struct.pack(
    "<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, 0, SIZE - 30 - len(NAME),
    SIZE - 30 - len(NAME), len(NAME), 0,
) + NAME  # fmt: skip
"""A zip entry's local header: uv unpacks while it downloads, and reads on past a real one."""


@functools.cache
def wheel_sha256() -> str:
    """The hash a real index gives in the link: uv's pylock.toml needs one or downloads the file."""
    h = hashlib.sha256(HEAD)
    left = SIZE - len(HEAD)
    block = b"\0" * 2**20
    while left:
        h.update(block[: min(left, len(block))])
        left -= min(left, len(block))
    return h.hexdigest()


class IndexHandler(http.server.BaseHTTPRequestHandler):
    """Root pages answer; `mode` decides what the torch page and file do.

    slow: the wheel trickles (an install stays in flight); hang: package pages never answer;
    hang-all: no page ever answers;
    auth: every page needs the basic-auth header `auth` and records what it got.
    """

    mode = "slow"
    auth: str | None = None
    seen_auth: ClassVar[list[str]] = []
    downloading: ClassVar[threading.Event] = threading.Event()
    """Set once the first bytes of the wheel have gone out: an install is in flight."""

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes, ctype: str = "text/html") -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        """Record the request's credentials; answer 401 when they are not the expected ones."""
        got = self.headers.get("Authorization") or ""
        self.seen_auth.append(got)
        if self.auth is not None and got != self.auth:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="index"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        return True

    def do_HEAD(self) -> None:
        """What uv asks of a wheel first (can it read only the metadata?). No byte ranges here,
        so it downloads the whole wheel, as pip does: without this it retried, then failed."""
        if not self._authorised():
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(SIZE))
        self.end_headers()

    def do_GET(self) -> None:
        if not self._authorised():
            return
        package_page = self.path.rstrip("/").endswith("/torch")
        if self.mode == "hang-all":
            time.sleep(600)
            return
        if self.mode == "hang" and package_page:
            time.sleep(600)
            return
        if package_page:
            # PEP 658/714 metadata beside the wheel: the resolve reads it without the wheel,
            # as it does from real indexes; only the install downloads (slowly).
            attrs = 'data-dist-info-metadata="true" data-core-metadata="true"'
            link = f'<a href="/files/{WHEEL}#sha256={wheel_sha256()}" {attrs}>{WHEEL}</a>'
            self._send(f"<html><body>{link}</body></html>".encode())
            return
        if self.path.endswith(".metadata"):
            self._send(METADATA.encode(), "application/octet-stream")
            return
        if self.path.startswith("/files/"):
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(SIZE))
            self.end_headers()
            try:
                self.wfile.write(HEAD)
                for _ in range(1200):
                    self.wfile.write(b"\0" * 4096)
                    self.wfile.flush()
                    self.downloading.set()
                    time.sleep(0.05)
            except OSError:
                pass
            return
        self._send(b"<html></html>")


@contextmanager
def serve(mode: str, auth: str | None = None) -> Iterator[tuple[str, type[IndexHandler]]]:
    handler = type(
        "Handler",
        (IndexHandler,),
        {"mode": mode, "auth": auth, "seen_auth": [], "downloading": threading.Event()},
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


class PrivateIndex(http.server.BaseHTTPRequestHandler):
    """Package indexes behind basic auth, one per path prefix, serving real wheel files.

    `/P/…/NAME/` is a PEP 503 page for the project NAME, any other page under `/P/` a flat page
    of every wheel (an index's root, or find-links); each prefix P has its own user and password.
    `seen` records (path, authorised).
    """

    realms: ClassVar[dict[str, tuple[str, list[Path]]]] = {}
    """prefix -> (the Authorization header it needs, its wheel files)"""
    seen: ClassVar[list[tuple[str, bool]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _realm(self) -> tuple[str, list[Path]] | None:
        prefix = self.path.lstrip("/").split("/", 1)[0]
        realm = self.realms.get(prefix)
        ok = realm is not None and self.headers.get("Authorization") == realm[0]
        self.seen.append((self.path, ok))
        if realm is None:
            self.send_error(404)
            return None
        if not ok:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="index"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return realm

    def _file(self, wheels: list[Path]) -> Path | None:
        name = urllib.parse.unquote(self.path.rsplit("/", 1)[-1])
        return next((w for w in wheels if w.name == name), None)

    def do_HEAD(self) -> None:
        realm = self._realm()
        if realm is None:
            return
        wheel = self._file(realm[1])
        self.send_response(200 if wheel else 404)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(wheel.stat().st_size if wheel else 0))
        self.end_headers()

    def do_GET(self) -> None:
        realm = self._realm()
        if realm is None:
            return
        prefix, _, rest = self.path.lstrip("/").partition("/")
        wheels = realm[1]
        if rest.startswith("files/"):
            wheel = self._file(wheels)
            if wheel is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(wheel.stat().st_size))
            self.end_headers()
            with wheel.open("rb") as f:
                shutil.copyfileobj(f, self.wfile, 2**20)
            return
        # A project's page (its name is the last part of the path), else every wheel: the
        # index's root, a flat page for find-links.
        name = _normal([p for p in rest.split("/") if p][-1] if rest.strip("/") else "")
        chosen = [w for w in wheels if _normal(w.name.split("-")[0]) == name] or wheels
        links = "".join(f'<a href="/{prefix}/files/{w.name}">{w.name}</a>\n' for w in chosen)
        body = f"<html><body>\n{links}</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@contextmanager
def private_index(
    realms: dict[str, tuple[str, str, list[Path]]],
) -> Iterator[tuple[dict[str, str], type[PrivateIndex]]]:
    """Serve `realms` (prefix -> (user, password, wheels)), each on its own port of 127.0.0.1
    (as private indexes live on their own hosts: pip keeps one set of credentials per host);
    yields each prefix's URL."""
    handler = type(
        "Private",
        (PrivateIndex,),
        {
            "realms": {
                prefix: ("Basic " + base64.b64encode(f"{u}:{p}".encode()).decode(), wheels)
                for prefix, (u, p, wheels) in realms.items()
            },
            "seen": [],
        },
    )
    servers = {
        prefix: http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) for prefix in realms
    }
    for server in servers.values():
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield (
            {p: f"http://127.0.0.1:{s.server_address[1]}/{p}" for p, s in servers.items()},
            handler,
        )
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()
