"""Rendered bytes of hot public responses, kept per site version and served with ETag and 304.

Each request costs one small query (the site's version) unless the version was read less than
SNAPSHOT_VERSION_TTL seconds ago in this process; a write in this process forgets the cached version at once.
"""
import gzip
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event, select

from .extensions import db
from .models import Site


@dataclass
class Snapshot:
    version: int
    body: bytes
    etag: str
    last_modified: datetime
    mimetype: str
    rendered_at: float = 0.0
    gzipped: bytes = b""


_lock = threading.Lock()
_cache: dict[tuple, Snapshot] = {}
_version: dict = {"value": None, "updated_at": None, "read_at": 0.0}


def forget_version() -> None:
    _version["read_at"] = 0.0


def site_version() -> tuple[int, datetime]:
    ttl = current_app.config.get("SNAPSHOT_VERSION_TTL", 1.0)
    if _version["value"] is None or time.monotonic() - _version["read_at"] > ttl:
        row = db.session.execute(select(Site.version, Site.updated_at).where(Site.id == 1)).first()
        value, updated = (row[0], row[1]) if row else (0, datetime(2000, 1, 1).astimezone())
        _version.update(value=value, updated_at=updated, read_at=time.monotonic())
    return _version["value"], _version["updated_at"]


def serve(key: tuple, render, mimetype: str = "text/html", max_age: int | None = None,
          cors: bool = False, fresh_for: float | None = None) -> Response:
    """Answer from the snapshot for ``key`` at the current version, rendering it first if needed.

    ``fresh_for`` (seconds) also re-renders a snapshot older than that, for bodies that show the clock."""
    version, updated_at = site_version()
    full_key = (current_app.extensions["snapshot_token"], *key)
    snap = _cache.get(full_key)
    stale = snap is not None and fresh_for is not None and time.monotonic() - snap.rendered_at > fresh_for
    if snap is None or snap.version != version or stale:
        body = render()
        body = body.encode() if isinstance(body, str) else body
        etag = hashlib.sha256(body).hexdigest()[:32]
        snap = Snapshot(version, body, etag, updated_at, mimetype, time.monotonic(),
                        gzip.compress(body, compresslevel=6, mtime=0))
        with _lock:
            _cache[full_key] = snap
    max_age = current_app.config["SNAPSHOT_MAX_AGE"] if max_age is None else max_age
    # Compressed once per version: a 50-component page is ~16x smaller on the wire.
    if "gzip" in request.accept_encodings and len(snap.body) > 1024:
        response = Response(snap.gzipped, mimetype=snap.mimetype)
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(snap.etag + "-gz")
    else:
        response = Response(snap.body, mimetype=snap.mimetype)
        response.set_etag(snap.etag)
    response.last_modified = snap.last_modified
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.headers["Cache-Control"] += ", stale-while-revalidate=60, stale-if-error=86400"
    if cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Encoding")
    response.public_snapshot = True
    return response.make_conditional(request)


def clear() -> None:
    """Forget every snapshot (tests; a process never needs it: versions move on)."""
    with _lock:
        _cache.clear()
    forget_version()


class SnapshotAwareSessionInterface(SecureCookieSessionInterface):
    """Leave snapshot responses to anonymous readers without a cookie and without ``Vary: Cookie``,
    so a cache or CDN in front can serve them to everybody."""

    def save_session(self, app, session, response):
        if getattr(response, "public_snapshot", False) and not session and not session.modified:
            return None
        return super().save_session(app, session, response)


def init_app(app) -> None:
    app.extensions["snapshot_token"] = secrets.token_hex(8)
    app.session_interface = SnapshotAwareSessionInterface()
    @event.listens_for(db.session, "after_commit")
    def _after_commit(session):
        forget_version()

    app.config.setdefault("SNAPSHOT_VERSION_TTL", 1.0)
