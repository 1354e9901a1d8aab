"""Who calls the management API: the key in ``Authorization: OAuth <key>`` (or ``Bearer <key>``).

Before every v1 request: a missing, unknown or revoked key is 401; a viewer's key may read but any write
is 403; a page id other than this site's is 404. Requests are rate limited per key (``API_V1_RATE_LIMIT``,
Flask-Limiter; off when ``RATELIMIT_ENABLED`` is false). Views read the caller with ``current_actor()``.
"""
import hashlib

from flask import abort, current_app, g, request
from flask_limiter.util import get_remote_address

from ...domain import tokens
from ...domain.recording import Actor, NotFound
from ...extensions import limiter
from ...models import Site, User
from . import bp

SCHEMES = ("oauth", "bearer")
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def presented_key() -> str | None:
    """The API key in the Authorization header, whichever of the accepted schemes carries it."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() not in SCHEMES or not key.strip():
        return None
    return key.strip()


def rate_limit_key() -> str:
    """Limit per key (its hash, never the key itself); unauthenticated callers per address."""
    key = presented_key()
    if key:
        return "v1-key:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return "v1-addr:" + get_remote_address()


def rate_limit() -> str:
    """Config ``API_V1_RATE_LIMIT`` (env STATUSPAGE_API_RATE_LIMIT), e.g. "60 per minute;5 per second"."""
    return current_app.config["API_V1_RATE_LIMIT"]


limiter.limit(rate_limit, key_func=rate_limit_key)(bp)


@bp.before_request
def authenticate_request():
    """Check the key, the role for writes, and the page id; remember the caller in ``g``."""
    user = tokens.authenticate(presented_key())
    if user is None:
        abort(401, "Give a valid API key in the Authorization header: 'OAuth <key>' or 'Bearer <key>'.")
    if request.method not in READ_METHODS and not user.can("manage"):
        abort(403, "This API key belongs to a viewer: it may read but not change anything.")
    page_id = (request.view_args or {}).get("page_id")
    if page_id is not None and page_id != Site.get().page_id:
        raise NotFound(f"no page with id {page_id!r}", field="page_id")
    g.api_user = user


def current_user() -> User:
    return g.api_user


def current_actor() -> Actor:
    """The key's owner as the actor of a change made through the API."""
    return Actor.for_user(g.api_user, "api")
