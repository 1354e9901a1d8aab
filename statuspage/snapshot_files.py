"""The parts of a snapshot that need no Flask: its bytes in three encodings, its headers, content negotiation,
conditional requests, and its copy on disk.

``hotpath`` (raw WSGI) and ``snapshot.serve`` (inside Flask) answer through the same ``respond`` here, so a reader
gets the same bytes and headers whichever one served them.
"""
import gzip
import hashlib
import json
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import brotli
from werkzeug.http import http_date, parse_accept_header, parse_date, parse_etags

from .security import headers_for

try:
    import fcntl
except ImportError:  # not on Windows: each process renders for itself there
    fcntl = None

COMPRESS_ABOVE = 512  # bytes; below this the headers outweigh the saving
LARGE_BODY = 64 * 1024
REVALIDATION_HEADERS = frozenset({"ETag", "Cache-Control", "Last-Modified", "Vary", "Access-Control-Allow-Origin"})
STALE_HEADERS = (("X-Snapshot", "stale"), ("Warning", '110 - "Response is Stale"'))


@dataclass
class Snapshot:
    """One public response, rendered once: ``version`` is the public version it shows, ``bucket`` the clock
    window it was rendered for (pages that show durations), None when the clock does not matter."""

    key: tuple
    version: int
    bucket: int | None
    mimetype: str
    body: bytes
    last_modified: datetime
    cors: bool = False
    max_age: int = 10
    fresh_for: int | None = None
    changed_at: float = 0.0  # when the version it shows was made: a version number alone repeats in a new database
    etag: str = ""
    encoded: dict = field(default_factory=dict)  # encoding -> (body, etag)
    # encoding -> (etag, its 200, its 304), each a WSGI (status line, headers, body): built once, so answering a
    # reader is a choice between prepared answers (gzip and br name identity's when the body is too small).
    answers: dict = field(default_factory=dict, init=False, repr=False)
    window: tuple = field(default=(float("-inf"), float("inf")), init=False, repr=False)  # the clock window

    def __post_init__(self):
        self.etag = self.etag or hashlib.sha256(self.body).hexdigest()[:32]
        self.encoded.setdefault("identity", (self.body, f'"{self.etag}"'))
        if len(self.body) > COMPRESS_ABOVE and "gzip" not in self.encoded:  # a copy from disk is compressed
            # Large pages (the status page with 50 components is 300 KB) take a faster level: a tenth of the
            # time for a few percent more bytes.
            large = len(self.body) > LARGE_BODY
            self.encoded["gzip"] = (gzip.compress(self.body, compresslevel=6 if large else 9, mtime=0),
                                    f'"{self.etag}-gz"')
            self.encoded["br"] = (brotli.compress(self.body, quality=6 if large else 9), f'"{self.etag}-br"')
        common = [("Content-Type", self.content_type),
                  ("Cache-Control", f"public, max-age={self.max_age}, stale-while-revalidate=60, "
                                    "stale-if-error=86400"),
                  ("Last-Modified", http_date(self.last_modified)),
                  ("Vary", "Accept-Encoding")]
        if self.cors:
            common.append(("Access-Control-Allow-Origin", "*"))
        common += headers_for(self.mimetype, self.key[0] if len(self.key) == 1 else "")
        for encoding, (data, etag) in self.encoded.items():
            extra = [] if encoding == "identity" else [("Content-Encoding", encoding)]
            headers = (*common, *extra, ("ETag", etag), ("Content-Length", str(len(data))))
            # A 304 carries what a cache revalidates with (RFC 9110 15.4.5), not the body's own headers.
            revalidation = tuple(h for h in headers if h[0] in REVALIDATION_HEADERS)
            self.answers[encoding] = (etag, ("200 OK", headers, (data,)), ("304 Not Modified", revalidation, ()))
        for encoding in ("gzip", "br"):
            self.answers.setdefault(encoding, self.answers["identity"])
        if self.bucket is not None:
            self.window = (self.bucket * self.fresh_for, (self.bucket + 1) * self.fresh_for)

    def is_current(self, version: int | None) -> bool:
        """Rendered for ``version`` and, for a page that shows the clock, for the present window."""
        return self.version == version and (self.bucket is None or self.window[0] <= time.time() < self.window[1])

    def answer(self, environ: dict, stale: bool = False) -> tuple[str, tuple, tuple]:
        """The WSGI status line, headers and body (a tuple) for a request (its ``environ``): in the encoding its
        Accept-Encoding prefers, 304 when its If-None-Match (or, without one, If-Modified-Since) still holds.
        Headers are a tuple shared by every reader: a WSGI caller copies them into a list of its own."""
        accept_encoding = environ.get("HTTP_ACCEPT_ENCODING", "")
        etag, ok, not_modified = self.answers[_CHOSEN.get(accept_encoding) or choose_encoding(accept_encoding)]
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match == etag:  # the usual revalidation: a browser or cache sends back the one ETag it holds
            chosen = not_modified
        else:
            chosen = not_modified if self._unchanged_for(environ, if_none_match, etag) else ok
        return (chosen[0], chosen[1] + STALE_HEADERS, chosen[2]) if stale else chosen

    def _unchanged_for(self, environ: dict, if_none_match: str | None, etag: str) -> bool:
        if if_none_match:
            return parse_etags(if_none_match).contains_weak(etag.strip('"'))
        if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
        if if_modified_since:
            since = parse_date(if_modified_since)
            return since is not None and self.last_modified.replace(microsecond=0) <= since
        return False

    @property
    def content_type(self) -> str:
        textual = self.mimetype.startswith("text/") or self.mimetype.endswith(("+xml", "/json"))
        return f"{self.mimetype}; charset=utf-8" if textual else self.mimetype


_CHOSEN: dict[str, str] = {}  # Accept-Encoding -> encoding: the few values browsers send, parsed once
_CHOSEN_MAX = 256


def choose_encoding(accept_encoding: str) -> str:
    """br, gzip or identity by the reader's q-values; ties go to the smaller; ``gzip;q=0`` is a refusal."""
    qualities = {value.lower(): q for value, q in parse_accept_header(accept_encoding or "")}
    star = qualities.get("*")
    best, best_q = "identity", qualities.get("identity", star if star is not None else 0.001)
    for name in ("gzip", "br"):  # later wins a tie: brotli is the smallest
        q = qualities.get(name, star or 0)
        if q > 0 and q >= best_q:
            best, best_q = name, q
    if len(_CHOSEN) < _CHOSEN_MAX:  # a full table stays as it is: an odd header is parsed each time, never kept
        _CHOSEN[accept_encoding] = best
    return best


def respond(snap: Snapshot, environ: dict, stale: bool = False) -> tuple[int, list, bytes]:
    """Status, headers and body for a request (its WSGI ``environ``) answered by ``snap`` inside Flask."""
    status, headers, body = snap.answer(environ, stale)
    return int(status[:3]), list(headers), b"".join(body)


class SnapshotFiles:
    """Snapshots kept in the instance folder, so a process started while the database is down still has them.
    Each file is written to a temporary name and renamed: a reader sees the old file or the new, never half."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, key: tuple) -> Path:
        return self.folder / (hashlib.sha256(repr(key).encode()).hexdigest()[:40] + ".snap")

    def save(self, snap: Snapshot) -> None:
        parts = [snap.encoded[e][0] for e in ("identity", "gzip", "br") if e in snap.encoded]
        meta = {"key": list(snap.key), "version": snap.version, "bucket": snap.bucket, "mimetype": snap.mimetype,
                "last_modified": snap.last_modified.timestamp(), "cors": snap.cors, "max_age": snap.max_age,
                "fresh_for": snap.fresh_for, "changed_at": snap.changed_at, "etag": snap.etag,
                "sizes": [len(p) for p in parts]}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(json.dumps(meta).encode() + b"\n")
                for part in parts:
                    out.write(part)
            os.replace(tmp, self._path(snap.key))
        except OSError:
            pass  # a read-only or full disk costs the outage copy, never the live response

    @contextmanager
    def render_lock(self, key: tuple, wait: float):
        """Hold the lock that says "this process renders ``key``" across processes; yields whether it was got
        (after up to ``wait`` seconds; with 0, at once or not at all). Without fcntl it is always got."""
        fd = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._path(key).with_suffix(".lock"), os.O_CREAT | os.O_RDWR, 0o600)
        except OSError:
            pass
        if fd is None or fcntl is None:
            yield True
            return
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    got = True
                    break
                except OSError:
                    if time.monotonic() >= deadline:
                        got = False
                        break
                    time.sleep(0.01)
            try:
                yield got
            finally:
                if got:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def load_current(self, key: tuple, version: int, changed_at: float, bucket: int | None) -> Snapshot | None:
        """The copy on disk when another process already rendered ``key`` for this version and clock window."""
        try:
            with open(self._path(key), "rb") as file:
                meta = json.loads(file.readline(4096))
        except (OSError, ValueError):
            return None
        wanted = (version, changed_at, bucket)
        if (meta.get("version"), meta.get("changed_at"), meta.get("bucket")) != wanted:
            return None
        snap = self.load(key)
        return snap if snap is not None and (snap.version, snap.changed_at, snap.bucket) == wanted else None

    def load(self, key: tuple) -> Snapshot | None:
        try:
            raw = self._path(key).read_bytes()
            header, rest = raw.split(b"\n", 1)
            meta = json.loads(header)
            parts, offset = [], 0
            for size in meta["sizes"]:
                parts.append(rest[offset:offset + size])
                offset += size
        except (OSError, ValueError, KeyError):
            return None
        etag = meta["etag"]
        encoded = {"identity": (parts[0], f'"{etag}"')}
        if len(parts) == 3:
            encoded |= {"gzip": (parts[1], f'"{etag}-gz"'), "br": (parts[2], f'"{etag}-br"')}
        return Snapshot(tuple(meta["key"]), meta["version"], meta["bucket"], meta["mimetype"], parts[0],
                        datetime.fromtimestamp(meta["last_modified"], UTC), meta["cors"], meta["max_age"],
                        meta.get("fresh_for"), meta.get("changed_at", 0.0), etag=etag, encoded=encoded)
