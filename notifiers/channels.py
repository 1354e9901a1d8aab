"""The four channels, what a valid target is for each, and the one-segment SMS rule.

`validate_target` answers the normalized target or raises `InvalidTarget` with a reason a subscriber can
act on: email via email-validator (syntax only, no DNS), SMS as E.164 via phonenumbers, chat as any Apprise
URL Apprise accepts (but no local-desktop services), webhook as an https URL. Chat and webhook hosts that are
not public are refused (SSRF, see `notifiers.egress`): always when the host is an IP address in any form the
resolver reads (``2130706433``, ``0x7f000001``, ``127.1``, ``[::ffff:127.0.0.1]``), and with ``resolve=True``
(on subscribing) also when the name resolves to such an address. ``allow_loopback`` (tests, development)
admits loopback only, and permits ``http://`` webhooks to 127.0.0.1/localhost.
"""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import apprise
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from . import egress
from .sms_text import fit_sms, sms_encoding, sms_units  # noqa: F401  (part of this module's contract)
from .urls import scheme_host_port

CHANNELS = ("email", "sms", "chat", "webhook")
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
# Apprise services that act on the machine running the worker, not on a remote chat service.
LOCAL_SCHEMAS = {"dbus", "kde", "qt", "glib", "gnome", "macosx", "windows", "syslog", "rsyslog", "blink1",
                 "file", "script", "mailto", "mailtos"}
# Apprise services that open their own sockets instead of HTTP through urllib3, so the send-time egress guard
# (notifiers.egress) could not check where they connect: not offered for chat.
NON_HTTP_SCHEMAS = {"amqp", "amqps", "aprs", "deltachat", "deltachats", "growl", "irc", "ircs", "mqtt", "mqtts",
                    "nostr", "smpp", "smpps", "xmpp", "xmpps"}


class InvalidTarget(ValueError):
    """A target that cannot receive notifications; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def validate_target(channel: str, target: str, allow_loopback: bool = False, resolve: bool = False) -> str:
    """The normalized target for ``channel``, or `InvalidTarget` with the reason. ``resolve`` also looks the
    chat or webhook host up in DNS and refuses a name that resolves to a non-public address."""
    target = (target or "").strip()
    if not target:
        raise InvalidTarget("Enter where to send notifications.")
    if channel == "email":
        return _email(target)
    if channel == "sms":
        return _phone_number(target)
    if channel in ("chat", "webhook") and "://" in target and (" " in target or not target.isprintable()):
        raise InvalidTarget("The URL may not contain spaces or control characters; percent-encode them.")
    if channel == "chat":
        return _chat_url(target, allow_loopback, resolve)
    if channel == "webhook":
        if resolve:
            return _webhook_url(target, allow_loopback, resolve)
        return _checked_webhook_url(target, allow_loopback)
    raise InvalidTarget(f"Unknown channel {channel!r}; use one of {', '.join(CHANNELS)}.")


@lru_cache(maxsize=4096)
def refused_host(host: str, allow_loopback: bool) -> str | None:
    """Why ``host`` (a name or an IP address in any form the resolver reads) may not be contacted, or None.
    No DNS lookup (so it is remembered: a fan-out's URLs share few hosts)."""
    host = host.strip("[]").lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return None if allow_loopback else f"{host} is a local address; use a public host."
    if host.endswith((".local", ".internal")):
        return f"{host} is a local address; use a public host."
    address = egress.literal_address(host)
    kind = egress.refused_address(address, allow_loopback) if address else None
    if kind:
        return f"{host} is a private or local address ({kind} {address}); use a public host."
    return None


def target_host(target: str) -> str:
    """The host a chat or webhook URL names, lower case, without credentials or port ("" if none)."""
    rest = (target or "").strip().partition("://")[2]
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1].lower()
    if authority.startswith("["):
        return authority.split("]", 1)[0] + "]"
    return authority.split(":", 1)[0].rstrip(".")


def _refused_resolution(host: str, allow_loopback: bool) -> None:
    """`InvalidTarget` when ``host`` resolves to a non-public address (unresolvable names pass)."""
    try:
        egress.check_host(host, allow_loopback)
    except egress.EgressRefused as refused:
        raise InvalidTarget(refused.reason) from None


def _email(target: str) -> str:
    try:
        return validate_email(target, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidTarget(f"Not a valid email address: {error}") from None


def _phone_number(target: str) -> str:
    try:
        number = phonenumbers.parse(target, None)
    except phonenumbers.NumberParseException:
        raise InvalidTarget("Enter the phone number in international format, e.g. +14155550123.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidTarget(f"{target} is not a valid phone number.")
    kind = phonenumbers.number_type(number)
    if kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.PREMIUM_RATE,
                phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.SHARED_COST):
        raise InvalidTarget(f"{target} cannot receive text messages; use a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _chat_url(target: str, allow_loopback: bool, resolve: bool) -> str:
    schema = target.split("://", 1)[0].lower() if "://" in target else ""
    if not schema:
        raise InvalidTarget("Enter a chat URL, e.g. a Slack, Microsoft Teams or Discord webhook URL.")
    if schema in LOCAL_SCHEMAS:
        raise InvalidTarget(f"{schema}:// is not a chat service.")
    if schema in NON_HTTP_SCHEMAS:
        raise InvalidTarget(f"{schema}:// is not supported for notifications here; use a service reached over "
                            f"HTTPS (a webhook URL).")
    service = apprise.Apprise.instantiate(target)
    if service is None:
        raise InvalidTarget("This chat URL is not supported or is incomplete.")
    # Only a plugin with a ``host`` token connects to the host of its URL (slack://, discord:// put tokens
    # there and post to their service's own host); the send-time guard covers every plugin either way.
    host = getattr(service, "host", None) if "host" in getattr(service, "template_tokens", {}) else None
    if isinstance(host, str) and host:
        reason = refused_host(host, allow_loopback)
        if reason:
            raise InvalidTarget(reason)
        if resolve:
            _refused_resolution(host, allow_loopback)
    return target


@lru_cache(maxsize=4096)
def _checked_webhook_url(target: str, allow_loopback: bool) -> str:
    """`_webhook_url` without DNS, remembered: a fan-out checks the same URLs on every send (a refusal is an
    exception, never remembered)."""
    return _webhook_url(target, allow_loopback, resolve=False)


def _webhook_url(target: str, allow_loopback: bool, resolve: bool) -> str:
    parsed = scheme_host_port(target)
    if parsed is None:
        raise InvalidTarget("This is not a valid URL.")
    scheme, host, port = parsed
    if not host:
        raise InvalidTarget("The webhook URL needs a host, e.g. https://example.com/hooks/status.")
    if scheme == "http" and not (allow_loopback and host in LOOPBACK_NAMES):
        raise InvalidTarget("Webhook URLs must use https://.")
    if scheme not in ("http", "https"):
        raise InvalidTarget("Webhook URLs must use https://.")
    if port == 0:
        raise InvalidTarget("The webhook URL has an invalid port.")
    reason = refused_host(host, allow_loopback)
    if reason:
        raise InvalidTarget(reason)
    if resolve:
        _refused_resolution(host, allow_loopback)
    if target.startswith(f"{scheme}://") and "#" not in target and not target.endswith("?") and target.isprintable():
        return target  # as urlunsplit would put it back together
    parts = urlsplit(target)
    return parts._replace(scheme=parts.scheme.lower(), fragment="").geturl()
