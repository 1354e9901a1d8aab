"""Deliver one rendered `Message` to one target: one send, success or a classified `TransportError`.

Which Apprise service carries each channel:

- email: `notifiers.email.StatusEmail` built from ``config.smtp_url`` (an Apprise ``mailto://`` sender URL
  without a recipient) with the subscriber's address as the only recipient;
- sms: ``config.sms_url`` (e.g. ``twilio://SID:TOKEN@+15550001111``) with the number appended as the target;
- chat: the subscriber's own Apprise URL (Slack, Teams, Discord, ntfy, ...), body in Markdown;
- webhook: the signed Statuspage payload POSTed verbatim by `notifiers.webhook.post` (libcurl, no Apprise:
  `send_webhook`).

Chat and webhook sends run under `notifiers.egress.guard`: every connection they open is resolved once,
refused unless public (loopback too when ``allow_loopback_webhooks``) and pinned to the checked address; a
refusal is a permanent failure with the guard's reason.

`send` returns on success. Otherwise it raises `TransportError(reason, permanent)` with Apprise's own reason:
permanent = the target itself is bad (invalid address/number/URL, 4xx other than 408/429, mailbox refused), so
the subscriber should be disabled; transient = try again later (timeouts, refused connections, 5xx, 429).
"""
from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from apprise import Apprise, AppriseAsset, NotifyFormat

from . import egress, webhook
from .channels import InvalidTarget, validate_target
from .email import StatusEmail, parse_sender_url
from .render import Message
from .webhook import transient_status

# One service per call: run it in the calling thread (no thread-pool hop, no Apprise deadline thread); every
# service has its own socket timeouts (SendConfig.timeout).
ASSET = AppriseAsset(app_id="Statuspage", app_desc="Status page notifications", app_url="", async_mode=False,
                     service_timeout=0)
OUR_PLUGINS = (StatusEmail,)  # Apprise plugins of ours (they keep their failure's reason)
_ERROR_CODE = re.compile(r"error=(\d{3,5})\b")
_TWILIO_HTTP_BASE = 20000  # Twilio reports HTTP-level errors as 20000 + status (20429, 20500, ...)


@dataclass
class SendConfig:
    """How to reach the outside world for one delivery."""

    smtp_url: str = ""
    sms_url: str = ""
    allow_loopback_webhooks: bool = False
    webhook_secret: str | None = None
    idempotency_key: str | None = None
    timeout: float = 10.0  # read timeout (and smtplib's one timeout)
    connect_timeout: float | None = None  # None: ``timeout``


class TransportError(Exception):
    """A delivery that did not happen; ``permanent`` means retrying will not help."""

    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent

    def __repr__(self) -> str:
        return f"TransportError({self.reason!r}, permanent={self.permanent})"


def send(message: Message, target: str, config: SendConfig) -> None:
    """Deliver ``message`` to ``target`` through one Apprise notify() call (the plugin's own for ours; a
    webhook's signed body is POSTed as it is, `send_webhook`)."""
    if message.channel == "webhook":
        return send_webhook(message, target, config)
    try:
        service, body, title, body_format = _prepare(message, target, config)
    except InvalidTarget as error:
        raise TransportError(error.reason, permanent=True) from None
    guarded = message.channel == "chat"  # a target a stranger chose; email/SMS are the operator's
    with egress.guard(config.allow_loopback_webhooks) if guarded else contextlib.nullcontext() as guard:
        if isinstance(service, OUR_PLUGINS):
            # Our own plugin reports its failure itself: its Apprise entry point (NotifyBase.notify:
            # format, limits, throttle) is enough; Apprise()'s dispatcher (tags, locale, log capture) costs
            # ten times a local POST per message and adds nothing to them.
            result = service.notify(body=body, title=title, body_format=body_format)
        else:
            apprise = Apprise(asset=ASSET)
            apprise.add(service)
            result = apprise.notify(body=body, title=title, body_format=body_format)
    if result:
        return
    if guard is not None and guard.refusal:
        raise TransportError(guard.refusal, permanent=True)
    if getattr(service, "failure", None):
        reason, permanent = service.failure
        raise TransportError(reason, permanent)
    if isinstance(service, OUR_PLUGINS):
        raise TransportError("Apprise refused the message before sending it.", permanent=False)
    reason = " ".join(entry.message for entry in result.logs()) or f"Apprise reported {result.status.name}"
    raise TransportError(reason, permanent=_looks_permanent(message.channel, reason))


def send_webhook(message: Message, target: str, config: SendConfig) -> None:
    """POST the signed Statuspage payload to ``target`` under the egress guard (`post_webhook`)."""
    body = message.body if message.body is not None else webhook.serialize(message.payload or {})
    post_webhook(body, target, config.webhook_secret, config.idempotency_key, config.allow_loopback_webhooks,
                 config.connect_timeout or config.timeout, config.timeout)


def post_webhook(body: bytes, target: str, secret: str | None, idempotency_key: str | None,
                 allow_loopback: bool, connect_timeout: float, read_timeout: float) -> None:
    """POST a webhook's serialized body, signed, to ``target`` under its own egress guard (`webhook.post`:
    Apprise's formatting, splitting and throttling have nothing to do for a body that goes out verbatim).
    Returns on success, else raises `TransportError`."""
    post_checked_webhook(checked_webhook_url(target, allow_loopback), body, secret, idempotency_key,
                         allow_loopback, connect_timeout, read_timeout)


def checked_webhook_url(target: str, allow_loopback: bool) -> str:
    """The URL a webhook is posted to, or `TransportError` (permanent) with the reason it cannot be."""
    try:
        return validate_target("webhook", target, allow_loopback=allow_loopback)
    except InvalidTarget as error:
        raise TransportError(error.reason, permanent=True) from None


def post_checked_webhook(url: str, body: bytes, secret: str | None, idempotency_key: str | None,
                         allow_loopback: bool, connect_timeout: float, read_timeout: float) -> None:
    """`post_webhook` to a URL `checked_webhook_url` gave: signed now, under its own egress guard (the
    worker's sending threads, for a body and URL prepared with the batch: `statuspage.jobs`)."""
    guard = egress.Guard(allow_loopback)
    failure = webhook.post(url, body, webhook.signed_lines(body, secret, idempotency_key), connect_timeout,
                           read_timeout, guard)
    if failure is None:
        return
    if guard.refusal:
        raise TransportError(guard.refusal, permanent=True)
    raise TransportError(*failure)


def _prepare(message: Message, target: str, config: SendConfig):
    """The Apprise service instance and notify() arguments for this channel."""
    channel = message.channel
    if channel == "email":
        address = validate_target("email", target)
        if not config.smtp_url:
            raise TransportError("No SMTP URL is configured for email.", permanent=False)
        try:
            parsed = parse_sender_url(config.smtp_url)
        except ValueError as error:
            raise TransportError(f"The SMTP URL is invalid: {error}", permanent=False) from None
        service = StatusEmail(**dict(parsed, targets=[address], asset=ASSET,
                                     headers={**parsed.get("headers", {}), **message.headers}),
                              text=message.text, sender_name=message.sender_name)
        service.socket_connect_timeout = config.timeout
        return service, message.html or message.text, message.subject, NotifyFormat.HTML
    if channel == "sms":
        number = validate_target("sms", target)
        if not config.sms_url:
            raise TransportError("No SMS provider URL is configured.", permanent=False)
        service = _stock_service(_with_target(config.sms_url, number), config, permanent=False)
        return service, message.text, "", NotifyFormat.TEXT
    if channel == "chat":
        url = validate_target("chat", target, allow_loopback=config.allow_loopback_webhooks)
        service = _stock_service(url, config, permanent=True)
        return service, message.markdown or message.text, message.subject, NotifyFormat.MARKDOWN
    raise TransportError(f"Unknown channel {channel!r}.", permanent=True)


def _stock_service(url: str, config: SendConfig, permanent: bool):
    """An Apprise plugin instance for ``url`` with our timeouts; an unusable URL raises TransportError."""
    service = Apprise.instantiate(url, asset=ASSET)
    if service is None:
        raise TransportError("Apprise does not accept this URL (unsupported service or incomplete URL).",
                             permanent=permanent)
    service.socket_connect_timeout = config.connect_timeout or config.timeout
    service.socket_read_timeout = config.timeout
    return service


def _with_target(provider_url: str, target: str) -> str:
    """``provider_url`` with ``target`` appended as one more path segment (before any query string)."""
    base, _, query = provider_url.partition("?")
    return f"{base.rstrip('/')}/{target}" + (f"?{query}" if query else "")


def _looks_permanent(channel: str, reason: str) -> bool:
    """Classify a stock Apprise plugin's failure from its log line (Apprise writes ``error=<code>``)."""
    match = _ERROR_CODE.search(reason)
    if not match:
        return False  # connection errors, timeouts, anything unrecognised: retry later
    code = int(match.group(1))
    if _TWILIO_HTTP_BASE + 100 <= code < _TWILIO_HTTP_BASE + 600:
        code -= _TWILIO_HTTP_BASE
    if channel == "sms" and code in (401, 403, 20003):
        return False  # our provider account's credentials, not the subscriber's number
    if 100 <= code < 600:
        return code >= 400 and not transient_status(code)
    return True  # a provider-specific rejection of this target (e.g. Twilio 21211: invalid 'To' number)
