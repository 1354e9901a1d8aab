"""Probes for load balancers and orchestrators; neither is cached, neither needs a session.

``/healthz``: the process answers (liveness; the public page keeps answering from snapshots even when the
database is down, so a database outage must not restart it). ``/readyz``: the database answers too (readiness:
503 when it does not, so a balancer can prefer a process that can also serve the console and API).
"""
from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


def _uncached(response, status: int = 200):
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    """200 while the process serves requests."""
    return _uncached(jsonify(status="ok"))


@bp.get("/readyz")
def readyz():
    """200 when the public version can be read from the database now, 503 (with the reason) when not."""
    state = current_app.extensions["snapshots"].version.read()
    if state.ok:
        return _uncached(jsonify(status="ok", database="ok"))
    return _uncached(jsonify(status="unavailable", database="unreachable"), 503)
