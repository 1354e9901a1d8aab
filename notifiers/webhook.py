"""Statuspage-style webhooks: the exact JSON payload, signed, POSTed through an Apprise plugin.

Apprise's ``json://`` wraps every message in its own ``{version, title, message, type}`` object, so the
subscriber would not get Statuspage's payload. `StatuspageWebhook` is a small Apprise plugin that POSTs the
body it is given verbatim with the headers it is given; `signed_request` builds that body and headers:

    X-Statuspage-Signature: t=<unix ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<raw body>")>
    X-Statuspage-Timestamp: <unix ts>
    Idempotency-Key: <one key per delivery, the same on every retry>

Receivers verify with the subscriber's secret and reject timestamps older than a few minutes. Redirects are
not followed (a redirect could point at an internal host), and `notifiers.send` posts under the egress guard
(`notifiers.egress`), so the connection goes to the address that was checked, never to a private one.
A failed POST leaves ``failure`` = (reason, permanent): 408, 429, 5xx and network errors are transient; other
3xx/4xx are permanent.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.request

import requests
from apprise.plugins.base import NotifyBase

SIGNATURE_HEADER = "X-Statuspage-Signature"
TIMESTAMP_HEADER = "X-Statuspage-Timestamp"
USER_AGENT = "statuspage-webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` HMAC-SHA256 hex digest of ``"<timestamp>." + body``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_request(payload: dict, secret: str | None, idempotency_key: str | None,
                   now: float | None = None) -> tuple[bytes, dict[str, str]]:
    """The raw JSON body and the headers (signature, timestamp, idempotency key) for one delivery."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(now if now is not None else time.time())
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               TIMESTAMP_HEADER: str(timestamp)}
    if secret:
        headers[SIGNATURE_HEADER] = f"t={timestamp},v1={signature(secret, timestamp, body)}"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return body, headers


_local = threading.local()


def _session() -> requests.Session:
    """One session per sending thread: keep-alive to receivers, and the environment's proxy settings are
    only consulted when some are set (reading them on every request was a third of a local POST's cost)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = bool(urllib.request.getproxies())
        _local.session = session
    return session


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
        try:
            response = _session().post(self.target_url, data=data, headers=self.extra_headers,
                                     timeout=self.request_timeout, allow_redirects=False,
                                     verify=self.verify_certificate)
        except requests.Timeout:
            return self._failed(f"The webhook did not answer within {self.socket_read_timeout:g}s.", False)
        except requests.RequestException as error:
            return self._failed(f"Could not connect to the webhook: {_short(error)}", False)
        code = response.status_code
        if 200 <= code < 300:
            self.logger.info("Sent Statuspage webhook to %s (HTTP %s).", self.target_url, code)
            return True
        detail = response.reason or ""
        if 300 <= code < 400:
            detail = f"redirect to {response.headers.get('Location', '?')}; update the webhook URL"
        return self._failed(f"The webhook answered HTTP {code} {detail}".strip(), not transient_status(code))

    def _failed(self, reason: str, permanent: bool) -> bool:
        self.failure = (reason, permanent)
        self.logger.warning(reason)
        return False


def _short(error: Exception) -> str:
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    return text[:300]
