"""The rules a subscription must follow: which channels this site can send on, what a valid target is
(``notifiers.channels`` decides), which components an audience may follow, and how staff see a target.
"""
from flask import current_app

from ..extensions import db
from ..models import IMPACTS, Component, Subscriber
from ..models.subscribers import AUDIENCES, CHANNELS
from . import visibility
from .recording import DomainError
from .text import has_unsafe_characters

CHANNEL_SETTING = {"email": "SMTP_URL", "sms": "SMS_URL"}
CHANNEL_LABEL = {"email": "email", "sms": "SMS", "chat": "chat", "webhook": "webhook"}


def unavailable_reason(channel: str) -> str | None:
    """Why this installation cannot send on ``channel`` (email needs SMTP_URL, SMS needs SMS_URL), or None.

    The one answer to "can we send on this channel": the subscribe forms offer only channels without a reason
    (``available_channels``), and the worker records the reason on a delivery it cannot make (dead), so a
    missing setting shows in the console and ``statuspage deliveries`` instead of nothing happening at all."""
    name = CHANNEL_SETTING.get(channel)
    if name is None or current_app.config.get(name):
        return None
    return f"{CHANNEL_LABEL.get(channel, channel)} is not configured: set STATUSPAGE_{name}"


def available_channels() -> dict[str, bool]:
    """Every channel, and whether this site can deliver to it (see ``unavailable_reason``)."""
    return {c: unavailable_reason(c) is None for c in CHANNELS}


def display_target(subscriber: Subscriber) -> str:
    """The target as staff may see it: chat and webhook URLs carry credentials, so only scheme and host
    show."""
    if subscriber.channel in ("chat", "webhook"):
        scheme, _, rest = subscriber.target.partition("://")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1].split("?", 1)[0]
        return f"{scheme}://{host}/…" if rest else subscriber.target
    return subscriber.target


def normalize_target(channel: str, target: str) -> str:
    """The target in canonical form (notifiers.channels decides); DomainError on ``target`` if invalid. A chat or
    webhook host is looked up once here, so a name resolving to a private address is refused on subscribing."""
    from notifiers.channels import InvalidTarget, validate_target

    if not (target or "").strip():
        raise DomainError(f"enter the {CHANNEL_LABEL.get(channel, channel)} address to send to",
                          field="target")
    if has_unsafe_characters(target.strip()):
        raise DomainError("an address cannot contain control characters or line breaks", field="target")
    try:
        normalized = validate_target(channel, target.strip(), resolve=True,
                                     allow_loopback=bool(current_app.config.get("ALLOW_LOOPBACK_WEBHOOKS")))
    except InvalidTarget as error:
        raise DomainError(str(getattr(error, "reason", "") or error), field="target") from None
    # Mailboxes are case-insensitive in practice: Ana@ and ana@ are one subscriber, told once.
    return normalized.lower() if channel == "email" else normalized


def check_choices(channel: str, audience: str, min_impact: str) -> None:
    if channel not in CHANNELS:
        raise DomainError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}", field="channel")
    if not available_channels()[channel]:
        raise DomainError(f"{CHANNEL_LABEL[channel]} notifications are not set up on this site",
                          field="channel")
    if audience not in AUDIENCES:
        raise DomainError("audience must be public or internal", field="audience")
    if min_impact not in IMPACTS:
        raise DomainError(f"minimum impact must be one of {', '.join(IMPACTS)}", field="min_impact")


def check_component_ids(component_ids, audience: str) -> list[str] | None:
    """None (all components) or the given ids, each an existing component the audience may see."""
    if component_ids is None:
        return None
    ids = list(dict.fromkeys(str(i) for i in component_ids))
    unsafe = [i for i in ids if has_unsafe_characters(i)]
    if unsafe:  # no such id, and a NUL must not reach the database
        raise DomainError(f"no component with id {unsafe[0]!r}", field="component_ids")
    if not ids:
        raise DomainError("choose at least one component, or all of them", field="component_ids")
    query = db.select(Component.id).where(Component.id.in_(ids))
    where = visibility.component_filter(audience)
    if where is not None:
        query = query.where(where)
    found = set(db.session.scalars(query))
    missing = [i for i in ids if i not in found]
    if missing:
        raise DomainError(f"no component with id {missing[0]!r}", field="component_ids")
    return ids
