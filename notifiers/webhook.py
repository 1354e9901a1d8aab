"""Statuspage-style webhooks: the exact JSON payload, signed, POSTed verbatim.

Apprise's ``json://`` wraps every message in its own ``{version, title, message, type}`` object, so the
subscriber would not get Statuspage's payload. `post` POSTs the body it is given verbatim with the headers it
is given (no Apprise plugin: its formatting and throttling have nothing to do for a signed body, and an
instance per delivery cost as much as the signature); `signed_lines` builds its headers:

    X-Statuspage-Signature: t=<unix ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<raw body>")>
    X-Statuspage-Timestamp: <unix ts>
    Idempotency-Key: <one key per delivery, the same on every retry>

Receivers verify with the subscriber's secret and reject timestamps older than a few minutes. The POST goes
over a kept-alive connection (`notifiers.transport`: libcurl through pycurl, connections kept per host and
renewed every minute), so a fan-out to one receiver does not pay a TCP (and TLS) handshake per message.
Redirects are not followed (a redirect could point at an internal host), and `notifiers.send` posts under the
egress guard (`notifiers.egress`): the host is resolved once in Python, checked, and libcurl connects only to
the checked addresses, never to a private one.
A failed POST returns (reason, permanent): 408, 425, 429, 5xx and network errors are transient; other 3xx/4xx
are permanent.
"""
from __future__ import annotations

import hmac
import http
import json
import socket
import time

import pycurl

from . import egress
from .transport import TRANSPORT, short_error

SIGNATURE_HEADER = "X-Statuspage-Signature"
TIMESTAMP_HEADER = "X-Statuspage-Timestamp"
USER_AGENT = "statuspage-webhooks/1"


def serialize(payload: dict) -> bytes:
    """The body a webhook carries: ``payload`` as compact JSON, UTF-8 (the bytes the signature covers)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` HMAC-SHA256 hex digest of ``"<timestamp>." + body``. (``hmac.new``, not the one-shot
    ``hmac.digest``: that one lets go of the interpreter for every call, however short the message, and a
    sending thread then waited for the worker's main thread to give it back: 25 µs a webhook, not 3.)"""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, "sha256").hexdigest()


def signed_lines(body: bytes, secret: str | None, idempotency_key: str | None, now: float | None = None) -> list[str]:
    """The header lines of one delivery of ``body`` (signature, timestamp, idempotency key), as libcurl takes
    them (no ``Expect: 100-continue`` wait before the body)."""
    timestamp = int(now if now is not None else time.time())
    lines = ["Content-Type: application/json; charset=utf-8", f"User-Agent: {USER_AGENT}",
             f"{TIMESTAMP_HEADER}: {timestamp}"]
    if secret:
        lines.append(f"{SIGNATURE_HEADER}: t={timestamp},v1={signature(secret, timestamp, body)}")
    if idempotency_key:
        lines.append(f"Idempotency-Key: {idempotency_key}")
    lines.append("Expect:")
    return lines


_TIMEOUTS = (pycurl.E_OPERATION_TIMEDOUT,)


def transient_status(code: int) -> bool:
    return code in (408, 425, 429) or code >= 500


def header_lines(headers: dict[str, str]) -> list[str]:
    """``headers`` as libcurl's header lines (and no ``Expect: 100-continue`` wait before the body)."""
    return [f"{name}: {value}" for name, value in headers.items()] + ["Expect:"]


def post(url: str, body: bytes, lines: list[str], connect_timeout: float, read_timeout: float,
         guard: egress.Guard | None = None):
    """POST ``body`` to ``url`` once (under ``guard``, else the active `egress.guard`, if any): None when the
    receiver took it (2xx), else (reason, permanent)."""
    try:
        code, location = TRANSPORT.post(url, body, lines, connect_timeout, read_timeout, guard)
    except egress.EgressRefused as refused:
        return refused.reason, True
    except (socket.gaierror, UnicodeError) as error:
        return f"Could not connect to the webhook: cannot resolve its host ({error}).", False
    except pycurl.error as error:
        return _describe(error, read_timeout), False
    if 200 <= code < 300:
        return None
    detail = _phrase(code)
    if 300 <= code < 400:
        detail = f"redirect to {location or '?'}; update the webhook URL"
    return f"The webhook answered HTTP {code} {detail}".strip(), not transient_status(code)


def _describe(error: pycurl.error, read_timeout: float) -> str:
    """A libcurl error as the subscriber's console shows it."""
    number, message = (error.args + (0, ""))[:2]
    connect_error = TRANSPORT.connect_error()
    if connect_error:
        return f"Could not connect to the webhook: {connect_error}"
    if number in _TIMEOUTS:
        return f"The webhook did not answer within {read_timeout:g}s."
    return f"Could not connect to the webhook: {short_error(message)}"


def _phrase(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return ""
