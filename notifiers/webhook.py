"""Statuspage-style webhooks: the exact JSON payload, signed, POSTed through an Apprise plugin.

Apprise's ``json://`` wraps every message in its own ``{version, title, message, type}`` object, so the
subscriber would not get Statuspage's payload. `StatuspageWebhook` is a small Apprise plugin that POSTs the
body it is given verbatim with the headers it is given; `signed_request` builds that body and headers:

    X-Statuspage-Signature: t=<unix ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<raw body>")>
    X-Statuspage-Timestamp: <unix ts>
    Idempotency-Key: <one key per delivery, the same on every retry>

Receivers verify with the subscriber's secret and reject timestamps older than a few minutes. The POST goes
over a kept-alive connection from `HostPools` (urllib3, one pool per host and egress policy, renewed every
``POOL_MAX_AGE`` seconds), so a fan-out to one receiver does not pay a TCP (and TLS) handshake per message.
Redirects are not followed (a redirect could point at an internal host), and `notifiers.send` posts under
the egress guard (`notifiers.egress`), so the connection goes to the address that was checked, never to a private one.
A failed POST leaves ``failure`` = (reason, permanent): 408, 429, 5xx and network errors are transient; other
3xx/4xx are permanent.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

import urllib3
from apprise.plugins.base import NotifyBase

from . import egress
from .email import tls_context

SIGNATURE_HEADER = "X-Statuspage-Signature"
TIMESTAMP_HEADER = "X-Statuspage-Timestamp"
USER_AGENT = "statuspage-webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` HMAC-SHA256 hex digest of ``"<timestamp>." + body``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_request(payload: dict, secret: str | None, idempotency_key: str | None,
                   now: float | None = None, body: bytes | None = None) -> tuple[bytes, dict[str, str]]:
    """The raw JSON body (``body`` when given already serialized, else ``payload``'s) and the headers
    (signature, timestamp, idempotency key) for one delivery."""
    if body is None:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(now if now is not None else time.time())
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               TIMESTAMP_HEADER: str(timestamp)}
    if secret:
        headers[SIGNATURE_HEADER] = f"t={timestamp},v1={signature(secret, timestamp, body)}"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return body, headers


# Pooled keep-alive connections, one pool per (scheme, host, port, egress policy). Every connection of a pool
# is opened by the egress guard (resolved once, checked, connected to the checked address), so a pooled
# connection stays pinned to an address that was checked. A pool lives POOL_MAX_AGE seconds: after that its
# idle connections are closed and the next ones are resolved and checked again, so a DNS change (to a private
# address, say) takes effect within that time and never through a connection opened before it.
POOL_MAX_AGE = 60.0
POOL_SIZE = 16  # kept-alive connections per host: at least the worker's sending threads
MAX_HOSTS = 256  # pools kept at once; the least recently used host's pool is closed beyond that


class HostPools:
    """Thread-safe keep-alive pools per target host, expiring after ``max_age`` seconds."""

    def __init__(self, max_age: float = POOL_MAX_AGE, size: int = POOL_SIZE, max_hosts: int = MAX_HOSTS):
        self.max_age, self.size, self.max_hosts = max_age, size, max_hosts
        self._pools: OrderedDict[tuple, tuple[urllib3.HTTPConnectionPool, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, scheme: str, host: str, port: int | None, policy: tuple) -> urllib3.HTTPConnectionPool:
        key = (scheme, host, port, policy)
        retired = []
        with self._lock:
            entry = self._pools.get(key)
            if entry is not None and time.monotonic() - entry[1] > self.max_age:
                retired.append(self._pools.pop(key)[0])
                entry = None
            if entry is None:
                entry = (self._new_pool(scheme, host, port), time.monotonic())
                self._pools[key] = entry
                while len(self._pools) > self.max_hosts:
                    retired.append(self._pools.popitem(last=False)[1][0])
            else:
                self._pools.move_to_end(key)
        for pool in retired:  # connections in use are closed when they come back to a closed pool
            pool.close()
        return entry[0]

    def clear(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool, _ in pools:
            pool.close()

    def _new_pool(self, scheme: str, host: str, port: int | None) -> urllib3.HTTPConnectionPool:
        if scheme == "https":
            return urllib3.HTTPSConnectionPool(host, port or 443, maxsize=self.size, block=False, retries=False,
                                               ssl_context=tls_context(True))
        return urllib3.HTTPConnectionPool(host, port or 80, maxsize=self.size, block=False, retries=False)


POOLS = HostPools()
_DROPPED = (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)


def transient_status(code: int) -> bool:
    return code in (408, 425, 429) or code >= 500


class StatuspageWebhook(NotifyBase):
    """POST one prepared body to one URL; an Apprise service instance (``Apprise().add(instance)``)."""

    service_name = "Statuspage webhook"
    protocol = "spwebhook"
    secure_protocol = "spwebhooks"
    request_rate_per_sec = 0
    body_maxlen = 10_000_000  # the payload is signed: Apprise must never cut it
    title_maxlen = 0

    def __init__(self, target_url: str, headers: dict[str, str], timeout: float = 10.0, **kwargs):
        super().__init__(**kwargs)
        self.target_url = target_url
        self.extra_headers = dict(headers)
        self.socket_connect_timeout = self.socket_read_timeout = timeout
        self.failure: tuple[str, bool] | None = None

    def url(self, privacy: bool = False, *args, **kwargs) -> str:
        return self.target_url.replace("https://", "spwebhooks://", 1).replace("http://", "spwebhook://", 1)

    def send(self, body, title="", notify_type=None, **kwargs) -> bool:
        data = body.encode() if isinstance(body, str) else body
        parts = urlsplit(self.target_url)
        guard = egress.active()
        policy = (guard is not None, guard.allow_loopback if guard else None)  # never share across policies
        pool = POOLS.get(parts.scheme, parts.hostname or "", parts.port, policy)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        timeout = urllib3.Timeout(connect=self.socket_connect_timeout, read=self.socket_read_timeout)
        try:
            response = self._post(pool, path, data, timeout)
        except urllib3.exceptions.NewConnectionError as error:  # (a subclass of ConnectTimeoutError)
            return self._failed(f"Could not connect to the webhook: {_short(error)}", False)
        except urllib3.exceptions.TimeoutError:
            return self._failed(f"The webhook did not answer within {self.socket_read_timeout:g}s.", False)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            return self._failed(f"Could not connect to the webhook: {_short(error)}", False)
        code = response.status
        if 200 <= code < 300:
            self.logger.debug("Sent Statuspage webhook to %s (HTTP %s).", self.target_url, code)
            return True
        detail = response.reason or ""
        if 300 <= code < 400:
            detail = f"redirect to {response.headers.get('Location', '?')}; update the webhook URL"
        return self._failed(f"The webhook answered HTTP {code} {detail}".strip(), not transient_status(code))

    def _post(self, pool, path: str, data: bytes, timeout):
        """POST once; again once on a fresh connection if a kept-alive one turned out closed by the receiver
        (the request did not reach it, and the idempotency key covers the rare case where it did)."""
        for last_try in (False, True):
            try:
                return pool.urlopen("POST", path, body=data, headers=self.extra_headers, redirect=False,
                                    retries=False, timeout=timeout, assert_same_host=False)
            except urllib3.exceptions.ProtocolError as error:
                if last_try or not isinstance(error.args[-1] if error.args else None, _DROPPED):
                    raise
        raise AssertionError("unreachable")

    def _failed(self, reason: str, permanent: bool) -> bool:
        self.failure = (reason, permanent)
        self.logger.warning(reason)
        return False


def _short(error: Exception) -> str:
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    return text[:300]
