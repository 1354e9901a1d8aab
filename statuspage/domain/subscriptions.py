"""The write path for subscribers: subscribe (idempotent), confirm, change preferences, unsubscribe, disable.

Email and SMS subscribers start unconfirmed and are sent a confirmation (a link by email, a six-digit code
by SMS) through the outbox as a ``subscription.confirm`` event; chat and webhook subscribers are confirmed at
once (the URL holder is the one subscribing) and a chat gets a test message. Each function commits one
transaction with its audit entry. Links for messages come from ``subscription_links`` (re-exported here).
"""
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from .. import dispatch
from ..extensions import db
from ..models import IMPACTS, Subscriber, SubscriberComponent
from ..models.columns import utcnow
from .recording import SYSTEM, Actor, DomainError, NotFound, change, record
from .subscription_rules import (  # noqa: F401  (re-exported for the web, API and CLI)
    available_channels,
    check_choices,
    check_component_ids,
    display_target,
    normalize_target,
)
from .subscription_tokens import (  # noqa: F401  (re-exported: the worker renders links with it)
    InvalidLink,
    code_matches,
    confirmation_code,
    new_code_seed,
    subscriber_for_token,
    subscription_links,
)
from .text import clean_line

MAX_CODE_ATTEMPTS = 5
DEFAULT_RESEND_SECONDS = 300


class TooSoon(DomainError):
    """A confirmation was sent moments ago; sending another now would be spam (429)."""

    status_code = 429


@dataclass
class Subscription:
    """What ``subscribe`` did: the subscriber, whether it is new, whether a message is on its way, and the
    webhook secret (only when the webhook subscriber was just created: it is shown once)."""

    subscriber: Subscriber
    created: bool
    confirmation_sent: bool = False
    already_confirmed: bool = False
    secret: str | None = None


def describe_subscriber(s: Subscriber) -> dict:
    return {"channel": s.channel, "target": display_target(s), "audience": s.audience,
            "component_ids": s.component_ids, "min_impact": s.min_impact, "state": s.state,
            "leadership": s.leadership}


def get_subscriber(public_id: str) -> Subscriber:
    subscriber = db.session.scalar(db.select(Subscriber).where(Subscriber.public_id == str(public_id)))
    if subscriber is None:
        raise NotFound(f"no subscriber with id {public_id!r}", field="subscriber_id")
    return subscriber


def _set_components(subscriber: Subscriber, ids: list[str] | None) -> None:
    subscriber.all_components = ids is None
    wanted = set(ids or [])
    for link in list(subscriber.components):
        if link.component_id not in wanted:
            subscriber.components.remove(link)
    have = {link.component_id for link in subscriber.components}
    subscriber.components.extend(SubscriberComponent(component_id=i) for i in ids or [] if i not in have)


def _send_confirmation(subscriber: Subscriber) -> None:
    """Queue the confirmation (email link, SMS code) or, for chat, a test message."""
    payload = {"channel": subscriber.channel, "audience": subscriber.audience,
               "purpose": "confirm" if subscriber.confirmed_at is None else "welcome",
               **subscription_links(subscriber)}
    if subscriber.channel == "sms" and subscriber.confirmed_at is None:
        # No code in the outbox: the worker derives it from this seed (``confirmation_code``) at send time.
        subscriber.confirmation_code_hash = new_code_seed()
        subscriber.confirmation_attempts = 0
    dispatch.enqueue("subscription.confirm", None, None, payload=payload, subscriber_id=subscriber.id)
    subscriber.confirmation_sent_at = utcnow()


def _may_resend(subscriber: Subscriber) -> bool:
    interval = current_app.config.get("SUBSCRIPTION_RESEND_SECONDS", DEFAULT_RESEND_SECONDS)
    sent = subscriber.confirmation_sent_at
    return sent is None or utcnow() - sent >= timedelta(seconds=interval)


def _audit(actor: Actor, action: str, s: Subscriber, **states) -> None:
    label = f"{s.channel} {display_target(s)} ({s.audience})"
    record(actor, action, "subscriber", s.public_id, label, **states)


def subscribe(channel: str, target: str, audience: str = "public", component_ids=None,
              min_impact: str = "none", *, actor: Actor = SYSTEM, confirmed: bool = False,
              trusted: bool = True) -> Subscription:
    """Subscribe ``target`` on ``channel``; subscribing again returns the existing subscriber.

    ``component_ids`` None means all components. ``confirmed`` skips the confirmation (admins, imports, API's
    skip_confirmation_notification). An untrusted caller (an anonymous visitor) cannot change the preferences
    of an already confirmed subscriber, only re-send a pending confirmation (at most once per
    SUBSCRIPTION_RESEND_SECONDS), and cannot re-enable a disabled one (an admin's decision, or a target that
    refused for good): only staff can. What it is told must not reveal which of these happened.
    """
    check_choices(channel, audience, min_impact)
    target = normalize_target(channel, target)
    ids = check_component_ids(component_ids, audience)
    for attempt in (1, 2):
        try:
            with change():
                existing = db.session.scalar(db.select(Subscriber).where(
                    Subscriber.channel == channel, Subscriber.target == target,
                    Subscriber.audience == audience))
                if existing is not None:
                    return _resubscribe(existing, ids, min_impact, actor, confirmed, trusted)
                return _create(channel, target, audience, ids, min_impact, actor, confirmed)
        except IntegrityError:  # someone subscribed the same target meanwhile: the second pass finds it
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _create(channel, target, audience, ids, min_impact, actor, confirmed) -> Subscription:
    subscriber = Subscriber(channel=channel, target=target, audience=audience, min_impact=min_impact,
                            secret=secrets.token_hex(32) if channel == "webhook" else "")
    _set_components(subscriber, ids)
    db.session.add(subscriber)
    db.session.flush()
    if confirmed or channel in ("chat", "webhook"):
        subscriber.confirmed_at = utcnow()
    sent = not confirmed and channel in ("email", "sms", "chat")
    if sent:
        _send_confirmation(subscriber)
    _audit(actor, "subscriber.created", subscriber,
           after=describe_subscriber(subscriber))
    return Subscription(subscriber, created=True, confirmation_sent=sent, secret=subscriber.secret or None)


def _resubscribe(subscriber, ids, min_impact, actor, confirmed, trusted) -> Subscription:
    before = describe_subscriber(subscriber)
    was_active = subscriber.state == "active"
    if subscriber.disabled_at is not None and not trusted:
        return Subscription(subscriber, created=False)  # nothing changes, nothing is sent
    if trusted or not was_active:
        subscriber.min_impact = min_impact
        _set_components(subscriber, ids)
    sent = False
    if subscriber.disabled_at is not None:
        subscriber.disabled_at = subscriber.disabled_reason = None
        if subscriber.channel in ("email", "sms") and not confirmed:
            subscriber.confirmed_at = None  # a disabled address proves itself again
    if subscriber.confirmed_at is None and (confirmed or subscriber.channel in ("chat", "webhook")):
        subscriber.confirmed_at = utcnow()
    elif subscriber.confirmed_at is None and _may_resend(subscriber):
        _send_confirmation(subscriber)
        sent = True
    after = describe_subscriber(subscriber)
    if after != before or sent:
        _audit(actor, "subscriber.resubscribed", subscriber,
               before=before, after=after)
    return Subscription(subscriber, created=False, confirmation_sent=sent, already_confirmed=was_active)


def confirm(token: str, actor: Actor = SYSTEM) -> Subscriber:
    """Confirm the subscriber a confirmation link names (again is fine). InvalidLink / NotFound otherwise."""
    subscriber = subscriber_for_token(token, "confirm")
    if subscriber.confirmed_at is None:
        with change():
            subscriber.confirmed_at = utcnow()
            subscriber.confirmation_code_hash = None
            _audit(actor, "subscriber.confirmed", subscriber)
    return subscriber


def confirm_code(subscriber: Subscriber, code: str, actor: Actor = SYSTEM) -> Subscriber:
    """Confirm an SMS subscriber with the code it was sent; after MAX_CODE_ATTEMPTS wrong codes none
    works. An already confirmed number takes no code at all, exactly as if the code were wrong: anyone can
    reach this step by signing a number up, so it must not tell whether that number is subscribed."""
    already = subscriber.confirmed_at is not None
    if subscriber.confirmation_attempts >= MAX_CODE_ATTEMPTS or not (subscriber.confirmation_code_hash or already):
        raise DomainError("Too many wrong codes: subscribe again to get a new one.", field="code")
    if already or not code_matches(subscriber, code):
        with change():
            subscriber.confirmation_attempts += 1
        raise DomainError("That code is not the one we sent. Check the SMS and try again.", field="code")
    with change():
        subscriber.confirmed_at = utcnow()
        subscriber.confirmation_code_hash = None
        _audit(actor, "subscriber.confirmed", subscriber)
    return subscriber


def resend_confirmation(actor: Actor, subscriber: Subscriber) -> None:
    """Send the confirmation again; 422 if already confirmed, 429 if one went out moments ago."""
    if subscriber.confirmed_at is not None:
        raise DomainError("this subscriber is already confirmed", field="subscriber_id")
    if not _may_resend(subscriber):
        raise TooSoon("a confirmation was sent moments ago; try again in a few minutes",
                      field="subscriber_id")
    with change():
        _send_confirmation(subscriber)
        _audit(actor, "subscriber.confirmation_resent", subscriber)


def update_preferences(subscriber: Subscriber, component_ids, min_impact: str,
                       actor: Actor = SYSTEM) -> Subscriber:
    """Follow ``component_ids`` (None = all) at ``min_impact`` or worse."""
    if min_impact not in IMPACTS:
        raise DomainError(f"minimum impact must be one of {', '.join(IMPACTS)}", field="min_impact")
    ids = check_component_ids(component_ids, subscriber.audience)
    with change():
        before = describe_subscriber(subscriber)
        subscriber.min_impact = min_impact
        _set_components(subscriber, ids)
        _audit(actor, "subscriber.preferences_changed", subscriber,
               before=before, after=describe_subscriber(subscriber))
    return subscriber


def unsubscribe(subscriber: Subscriber, actor: Actor = SYSTEM,
                action: str = "subscriber.unsubscribed") -> None:
    """Remove the subscriber and its pending deliveries: nothing more is sent to it."""
    with change():
        _audit(actor, action, subscriber, before=describe_subscriber(subscriber))
        db.session.delete(subscriber)


def delete_subscriber(actor: Actor, subscriber: Subscriber) -> None:
    unsubscribe(subscriber, actor, action="subscriber.deleted")


def disable_subscriber(actor: Actor, subscriber: Subscriber, reason: str = "") -> Subscriber:
    """Stop sending to the subscriber, keeping it and its history (an admin's choice)."""
    with change():
        subscriber.disabled_at = utcnow()
        subscriber.disabled_reason = clean_line(reason) or f"disabled by {actor.label}"
        _audit(actor, "subscriber.disabled", subscriber,
               after={"reason": subscriber.disabled_reason})
    return subscriber


def enable_subscriber(actor: Actor, subscriber: Subscriber) -> Subscriber:
    with change():
        before = {"reason": subscriber.disabled_reason}
        subscriber.disabled_at = subscriber.disabled_reason = None
        _audit(actor, "subscriber.enabled", subscriber, before=before)
    return subscriber
