"""Every public GET is a snapshot: rendered once per public version, served from memory, outliving the database.

``public_key`` names the public responses. Each is rendered once per public version (pages that show durations
also once per ``fresh_for`` seconds) into a ``Snapshot`` whose bytes do not depend on which process rendered it,
so its ETag is the same across a gunicorn pool and restarts. ``hotpath`` answers anonymous readers from the store
before Flask runs; a view calls ``serve`` to answer (and render on a miss) inside Flask.

The public version is read at most every SNAPSHOT_VERSION_TTL seconds per process, by one thread at a time (the
others use the last value), on its own connection with short timeouts. When it cannot be read, or a render fails
on the database, the last good snapshot is served, marked stale: from memory, or from the instance folder for a
process started during the outage.
"""
import logging
import threading
import time
import weakref
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

from flask import Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable

from .extensions import db
from .snapshot_files import Snapshot, SnapshotFiles, respond
from .snapshot_version import PublicVersion, VersionState
from .telemetry import SNAPSHOT_RENDERS, looked_up

log = logging.getLogger(__name__)

V2_PATHS = frozenset(f"/api/v2/{name}.json" for name in (
    "summary", "status", "components", "incidents", "incidents/unresolved", "scheduled-maintenances",
    "scheduled-maintenances/upcoming", "scheduled-maintenances/active"))
PLAIN_PATHS = V2_PATHS | {"/", "/history.rss", "/history.atom", "/maintenance.ics", "/badge.svg", "/badge.json",
                          "/embed/script.js", "/embed/frame"}
PLAIN_KEYS = {path: (path,) for path in PLAIN_PATHS}  # the hot path's key of a page without parameters
# What each public component has: /components/<id>/<name> (its feeds, calendar and badges).
COMPONENT_SURFACES = frozenset({"history.rss", "history.atom", "maintenance.ics", "badge.svg", "badge.json"})
_ID_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")
MAX_ENTRIES = 5000
RENDER_WAIT = 10.0  # seconds a reader with nothing to show waits for another thread's or process's render


def history_page(query_string: str) -> int:
    """The history page a query string asks for; anything that is not a page number in range is page 1."""
    raw = parse_qs(query_string).get("page", ["1"])[0] if "page" in query_string else "1"
    try:
        number = int(raw)
    except ValueError:
        return 1
    return number if 1 <= number <= 100_000 else 1


def public_key(path: str, query_string: str) -> tuple | None:
    """The snapshot a public GET is answered from, or None for any other path. Query strings count only where
    a page reads them (``/history?page=N``); any other query string names the same snapshot."""
    if path in PLAIN_PATHS:
        return (path,)
    if path == "/history":
        return (path, history_page(query_string))
    if path.startswith("/incidents/"):
        ident = path[11:]
        if 0 < len(ident) <= 16 and _ID_CHARS.issuperset(ident):
            return ("/incidents", ident)
    if path.startswith("/components/"):
        ident, _, name = path[12:].partition("/")
        if name in COMPONENT_SURFACES and 0 < len(ident) <= 16 and _ID_CHARS.issuperset(ident):
            return ("/components", ident, name)
    return None


class SnapshotStore:
    """One application's snapshots: in memory, and on disk for the next process."""

    def __init__(self, url: str, folder: Path, ttl: float, timeout: float):
        self.version = PublicVersion(url, ttl, timeout)
        self.files = SnapshotFiles(folder)
        self.entries: dict[tuple, Snapshot] = {}
        self.renders = 0
        self._lock = threading.Lock()
        self._rendering: dict[tuple, threading.Event] = {}

    def lookup(self, key: tuple) -> tuple[Snapshot, bool] | None:
        """(snapshot, stale) when the store can answer without rendering, else None. While one thread renders a
        new version, the others answer from the previous one: a fraction of a second old, and nobody waits."""
        state = self.version.current()
        snap = self.entries.get(key)
        if state.ok:
            if snap is not None and (snap.is_current(state.value) or key in self._rendering):
                return snap, False
            return None
        snap = snap or self._from_disk(key)
        return (snap, True) if snap is not None else None

    def last_good(self, key: tuple) -> Snapshot | None:
        return self.entries.get(key) or self._from_disk(key)

    def _from_disk(self, key: tuple) -> Snapshot | None:
        snap = self.files.load(key)
        if snap is not None:
            self.entries.setdefault(key, snap)
        return snap

    def render(self, key: tuple, render, state: VersionState, mimetype: str, cors: bool,
               fresh_for: int | None, max_age: int) -> Snapshot:
        """The snapshot of ``key`` for ``state``, rendered once: one thread per process renders, and one process
        at a time (a lock file beside the disk copy), the others take its copy from disk. Meanwhile a reader
        gets the previous version when there is one, and waits for the render only when there is none."""
        bucket = int(time.time() // fresh_for) if fresh_for else None
        with self._lock:
            gate = self._rendering.get(key)
            mine = gate is None
            if mine:
                gate = self._rendering[key] = threading.Event()
        previous = self.entries.get(key)
        if not mine:
            if previous is not None:
                return previous
            gate.wait(RENDER_WAIT)
            snap = self.entries.get(key)
            return snap if snap is not None and snap.is_current(state.value) else self._render(
                key, render, state, bucket, mimetype, cors, fresh_for, max_age)
        try:
            with self.files.render_lock(key, 0 if previous is not None else RENDER_WAIT) as got:
                snap = self.files.load_current(key, state.value, state.changed_at.timestamp(), bucket)
                if snap is None and not got and previous is not None:
                    return previous  # another process is rendering it; its copy is taken on a later request
                if snap is None:
                    return self._render(key, render, state, bucket, mimetype, cors, fresh_for, max_age)
                self._keep(snap)
                return snap
        finally:
            with self._lock:
                self._rendering.pop(key, None)
            gate.set()

    def _render(self, key: tuple, render, state: VersionState, bucket: int | None, mimetype: str, cors: bool,
                fresh_for: int | None, max_age: int) -> Snapshot:
        """Render ``key``; the clock a page shows is the bucket's start or the version's time, whichever is
        later, so every process renders the same bytes for the same version and bucket."""
        now = state.changed_at
        if bucket is not None:
            now = max(now, datetime.fromtimestamp(bucket * fresh_for, UTC))
        body = render(now)
        snap = Snapshot(key, state.value, bucket, mimetype, body.encode() if isinstance(body, str) else body,
                        now, cors, max_age, fresh_for, state.changed_at.timestamp())
        self._keep(snap)
        self.renders += 1
        SNAPSHOT_RENDERS.inc()
        self.files.save(snap)
        return snap

    def _keep(self, snap: Snapshot) -> None:
        with self._lock:
            if len(self.entries) >= MAX_ENTRIES:
                for old in sorted(self.entries, key=lambda k: self.entries[k].last_modified)[:MAX_ENTRIES // 10]:
                    del self.entries[old]
            self.entries[snap.key] = snap


_stores: "weakref.WeakSet[SnapshotStore]" = weakref.WeakSet()


def store() -> SnapshotStore:
    return current_app.extensions["snapshots"]


def serve(render, mimetype: str = "text/html", cors: bool = False, fresh_for: int | None = None,
          max_age: int | None = None) -> Response:
    """Answer the current request from its snapshot, calling ``render(now)`` (str or bytes) on a miss.

    ``fresh_for`` (seconds) also renders again when the clock moves into a new window, for bodies that show
    durations. When the database fails, the last good snapshot answers, marked stale; with none, 503."""
    key = public_key(request.path, request.environ.get("QUERY_STRING", ""))
    if key is None:
        raise LookupError(f"{request.path} is not a public snapshot path; add it to snapshot.public_key")
    snaps = store()
    found = snaps.lookup(key)
    looked_up(found)
    if found is None and snaps.version.state.ok:
        max_age = current_app.config["SNAPSHOT_MAX_AGE"] if max_age is None else max_age
        try:
            found = snaps.render(key, render, snaps.version.state, mimetype, cors, fresh_for, max_age), False
        except SQLAlchemyError:
            db.session.rollback()
            snaps.version.read()  # logs the outage once a minute
            snap = snaps.last_good(key)
            found = (snap, True) if snap is not None else None
    if found is None:
        raise ServiceUnavailable("The status page cannot reach its database right now. Try again in a minute.")
    status, headers, body = respond(found[0], request.environ, stale=found[1])
    response = Response(body, status=status, headers=headers)
    response.public_snapshot = True
    return response


def clear() -> None:
    """Forget every snapshot in memory (tests; a process never needs it: versions move on)."""
    for each in list(_stores):
        with each._lock:
            each.entries.clear()
        each.version.forget()


def close_connections() -> None:
    """Close the version checks' connections of every application in this process (tests)."""
    for each in list(_stores):
        each.version.close()


class SnapshotAwareSessionInterface(SecureCookieSessionInterface):
    """Leave snapshot responses to anonymous readers without a cookie and without ``Vary: Cookie``,
    so a cache or CDN in front can serve them to everybody."""

    def save_session(self, app, session, response):
        if getattr(response, "public_snapshot", False) and not session and not session.modified:
            return None
        return super().save_session(app, session, response)


def _forget_versions(session) -> None:
    for each in list(_stores):
        each.version.forget()


def init_app(app) -> None:
    snaps = SnapshotStore(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path) / "snapshots",
                         app.config["SNAPSHOT_VERSION_TTL"], app.config["SNAPSHOT_DB_TIMEOUT"])
    app.extensions["snapshots"] = snaps
    _stores.add(snaps)
    app.session_interface = SnapshotAwareSessionInterface()
    if not event.contains(db.session, "after_commit", _forget_versions):
        event.listen(db.session, "after_commit", _forget_versions)
