"""Fetching the very files a lock names: by URL, with the hash checked while they stream.

A bundle must hold exactly the files the resolve chose, so no installer is asked to choose
again: each file is taken from its URL (a local path, `file://`, or HTTP(S)) and its digest is
compared with the lock's. Credentials never enter a URL that is shown, logged or saved: the
lock's URLs are masked, and the real user and password come from the configured source on the
same host (the answers' index, pip's configuration, PIP_* variables) or from ~/.netrc, and are
sent as an Authorization header. Proxies (HTTPS_PROXY, NO_PROXY) and CA bundles (PIP_CERT,
SSL_CERT_FILE, pip's `cert`) are honoured as pip honours them.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import netrc
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from envwizard.core.errors import EXIT_STEP_FAILED, EnvwizardError
from envwizard.core.i18n import _
from envwizard.core.redact import redact_text, split_credentials

CHUNK = 1 << 20
TIMEOUT = 60.0
"""Seconds without a byte before a download is given up (and tried again)."""
TRIES = 3


class FetchFailed(EnvwizardError):
    """A file could not be fetched, or was not the file the lock names (exit 1)."""

    exit_code = EXIT_STEP_FAILED


@dataclass(frozen=True)
class Wanted:
    """One file to fetch."""

    url: str
    """Where it is, as the lock says (credentials masked, or none)."""
    dest: Path
    hashes: tuple[tuple[str, str], ...]
    """(algorithm, hex digest) pairs it must match; empty: take it as it comes."""
    label: str
    """What people see: `torch 2.13.0+cpu`."""


@dataclass(frozen=True)
class Fetched:
    path: Path
    sha256: str
    size: int
    reused: bool = False


Progress = Callable[[str, int, int | None], None]
"""(label, bytes so far, total bytes or None)."""


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    h = hashlib.new(algorithm)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def matches(path: Path, hashes: Sequence[tuple[str, str]]) -> bool:
    """The file has every digest given (one algorithm is enough to pin it; all must agree)."""
    return all(file_digest(path, algo) == digest for algo, digest in hashes)


class Fetcher:
    """Fetches files for one bundle, with the sources' credentials at hand."""

    def __init__(self, sources: Iterable[str], cafile: str | None = None) -> None:
        self.sources = [s for s in sources if "://" in s]
        self.context = ssl.create_default_context(cafile=cafile) if cafile else None

    def fetch(self, want: Wanted, progress: Progress | None = None) -> Fetched:
        """The file at `want.dest`, checked; a file already there with the right digest is kept."""
        want.dest.parent.mkdir(parents=True, exist_ok=True)
        if want.dest.is_file() and want.hashes and matches(want.dest, want.hashes):
            size = want.dest.stat().st_size
            if progress:
                progress(want.label, size, size)
            return Fetched(want.dest, file_digest(want.dest), size, reused=True)
        part = want.dest.with_name(want.dest.name + ".part")
        last: str = ""
        for attempt in range(TRIES):
            try:
                sha256 = self._download(want, part, progress)
            except (OSError, urllib.error.URLError) as e:
                last = _reason(e)
                with contextlib.suppress(OSError):
                    part.unlink()
                if _local(want.url) is not None or attempt == TRIES - 1:
                    break
                time.sleep(1.0 + attempt)
                continue
            except BaseException:
                with contextlib.suppress(OSError):
                    part.unlink()
                raise
            os.replace(part, want.dest)
            return Fetched(want.dest, sha256, want.dest.stat().st_size)
        raise FetchFailed(
            _("cannot fetch {label} from {url}: {reason}").format(
                label=want.label, url=redact_text(want.url), reason=last
            )
        )

    def _download(self, want: Wanted, part: Path, progress: Progress | None) -> str:
        digests = {algo: hashlib.new(algo) for algo, _digest in want.hashes}
        sha = digests.setdefault("sha256", hashlib.sha256())
        done = 0
        with self._open(want.url) as (stream, total), part.open("wb") as out:
            if progress:
                progress(want.label, 0, total)
            while chunk := stream.read(CHUNK):
                out.write(chunk)
                for h in digests.values():
                    h.update(chunk)
                done += len(chunk)
                if progress:
                    progress(want.label, done, total)
        for algo, digest in want.hashes:
            got = digests[algo].hexdigest()
            if got != digest.lower():
                part.unlink()
                raise FetchFailed(
                    _(
                        "{label} from {url} is not the file the lock names ({algorithm} {got}, "
                        "the lock says {want}); the source changed it since the resolve"
                    ).format(
                        label=want.label,
                        url=redact_text(want.url),
                        algorithm=algo,
                        got=got[:16],
                        want=digest[:16],
                    )
                )
        return sha.hexdigest()

    @contextlib.contextmanager
    def _open(self, url: str) -> Iterator[tuple[IO[bytes], int | None]]:
        local = _local(url)
        if local is not None:
            with open(local, "rb") as f:
                yield f, os.fstat(f.fileno()).st_size
            return
        bare, user, password = split_credentials(self.real_url(url))
        request = urllib.request.Request(bare, headers={"User-Agent": "envwizard"})
        if user is None:
            user, password = _netrc(bare)
        if user is not None:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=self.context) as response:
            length = response.headers.get("Content-Length")
            yield response, int(length) if length and length.isdigit() else None

    def real_url(self, url: str) -> str:
        """The URL with the credentials of the configured source on the same host put back."""
        parts = urllib.parse.urlsplit(url)
        for source in self.sources:
            sp = urllib.parse.urlsplit(source)
            if sp.username is None:
                continue
            if (sp.scheme, sp.hostname, sp.port) != (parts.scheme, parts.hostname, parts.port):
                continue
            if parts.username not in (None, sp.username):
                continue
            netloc = sp.netloc  # user:password@host:port of the source
            return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
        return url


def _local(url: str) -> str | None:
    if url.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    if "://" not in url:
        return url
    return None


def _netrc(url: str) -> tuple[str | None, str | None]:
    host = urllib.parse.urlsplit(url).hostname
    try:
        auth = netrc.netrc(os.environ.get("NETRC")).authenticators(host or "")
    except (OSError, netrc.NetrcParseError):
        return None, None
    if not auth:
        return None, None
    return auth[0] or None, auth[2]


def _reason(e: BaseException) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError):
        return redact_text(str(e.reason))
    if isinstance(e, OSError):
        return e.strerror or str(e)
    return str(e)
