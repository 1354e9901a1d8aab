"""The short path for readers: an anonymous GET of a public page that a current snapshot answers is served here,
in raw WSGI, before Flask builds a request, a session, a rate-limit check or a login.

Anything else (a signed-in reader, a cookie that may carry a flash message, a miss, a path that is not a public
snapshot) goes on to Flask unchanged, and Flask renders and stores the snapshot that the next reader gets here.
The status, headers, ETag and encodings come from ``Snapshot.answer``, the same as Flask's path; they are built
once per snapshot, so a hit costs a few dictionary lookups (the raw WSGI limit is one).
"""
from .snapshot import PLAIN_KEYS, SnapshotStore, public_key
from .telemetry import HOT_HIT, HOT_HITS, MULTIPROCESS


class HotPath:
    """WSGI middleware in front of the Flask application (``app.wsgi_app = HotPath(app, app.wsgi_app)``)."""

    def __init__(self, app, wsgi_app):
        self.wsgi_app = wsgi_app
        self.store: SnapshotStore = app.extensions["snapshots"]
        # A reader carrying one of these may be signed in or have a flash message waiting: Flask decides.
        self.cookies = tuple(f"{name}=" for name in (app.config.get("SESSION_COOKIE_NAME") or "session",
                                                     app.config.get("REMEMBER_COOKIE_NAME") or "remember_token"))

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]  # always there (PEP 3333)
        if method == "GET" or method == "HEAD":
            cookie = environ.get("HTTP_COOKIE")
            if not cookie or not any(name in cookie for name in self.cookies):
                path = environ.get("PATH_INFO", "")
                key = PLAIN_KEYS.get(path) or public_key(path, environ.get("QUERY_STRING", ""))
                if key is not None:
                    found = self.store.lookup(key)
                    if found is not None:
                        if MULTIPROCESS:  # another process may answer the scrape: count where it can see
                            HOT_HIT.inc()
                        else:
                            HOT_HITS.count += 1  # added to the counter at scrape time
                        status, headers, body = found[0].answer(environ, found[1])
                        start_response(status, list(headers))  # the server may change its list (PEP 3333)
                        return () if method == "HEAD" else body
        return self.wsgi_app(environ, start_response)
