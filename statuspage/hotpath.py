"""The short path for readers: an anonymous GET of a public page that a current snapshot answers is served here,
in raw WSGI, before Flask builds a request, a session, a rate-limit check or a login.

Anything else (a signed-in reader, a cookie that may carry a flash message, a miss, a path that is not a public
snapshot) goes on to Flask unchanged, and Flask renders and stores the snapshot that the next reader gets here.
The headers, ETag and encodings come from ``snapshot_files.respond``, the same as Flask's path.
"""
from http import HTTPStatus

from .snapshot import SnapshotStore, public_key
from .snapshot_files import respond
from .telemetry import HOT_HIT

_STATUS_LINES = {code: f"{code} {HTTPStatus(code).phrase}" for code in (200, 304)}


class HotPath:
    """WSGI middleware in front of the Flask application (``app.wsgi_app = HotPath(app, app.wsgi_app)``)."""

    def __init__(self, app, wsgi_app):
        self.wsgi_app = wsgi_app
        self.store: SnapshotStore = app.extensions["snapshots"]
        # A reader carrying one of these may be signed in or have a flash message waiting: Flask decides.
        self.cookies = tuple(f"{name}=" for name in (app.config.get("SESSION_COOKIE_NAME") or "session",
                                                     app.config.get("REMEMBER_COOKIE_NAME") or "remember_token"))

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method == "GET" or method == "HEAD":
            cookie = environ.get("HTTP_COOKIE", "")
            if not cookie or not any(name in cookie for name in self.cookies):
                key = public_key(environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
                if key is not None:
                    found = self.store.lookup(key)
                    if found is not None:
                        HOT_HIT.inc()
                        status, headers, body = respond(found[0], environ, stale=found[1])
                        start_response(_STATUS_LINES[status], headers)
                        return [] if method == "HEAD" else [body]
        return self.wsgi_app(environ, start_response)
