"""Subscribers in the management API (Statuspage v1 shape).

GET lists with ``type`` (email, sms, webhook, chat), ``state`` (active — the default —, unconfirmed,
quarantined = disabled, all), ``q`` (address contains), ``page``/``per_page``/``limit``. POST takes
``{"subscriber": {"email" | "phone_number" (+ "phone_country") | "endpoint", "component_ids": [...],
"skip_confirmation_notification": bool}}`` (and ``audience``: public or internal, an extension); an invalid
address is 422 naming the field. Subscribing an address again answers 200 with the existing subscriber.
Our chat subscribers (Apprise URLs) have mode ``chat``; a new webhook subscriber's response carries its
signing ``secret``, shown this once.
"""
import phonenumbers
from flask import jsonify, request

from ...domain import subscriber_lists, subscriptions
from ...domain.recording import DomainError
from ...domain.subscription_rules import display_target
from ...extensions import db
from ...models import Subscriber
from ...models.subscribers import AUDIENCES
from ...rendering import iso_utc
from . import bodies, route
from .auth import current_actor, current_user

BASE = "/pages/<page_id>/subscribers"
TYPES = {"email": "email", "sms": "sms", "webhook": "webhook", "chat": "chat", "slack": "chat",
         "teams": "chat"}
STATES = {"active": "active", "unconfirmed": "unconfirmed", "quarantined": "disabled", "disabled": "disabled",
          "all": ""}
ADDRESS_FIELDS = {"email": "email", "phone_number": "sms", "endpoint": "webhook"}


def endpoint(s: Subscriber) -> str | None:
    """A chat or webhook URL carries credentials: in full for an admin's key, else as the console shows it."""
    if s.channel not in ("webhook", "chat"):
        return None
    return s.target if current_user().can("admin") else display_target(s)


def subscriber_json(s: Subscriber) -> dict:
    phone = None
    if s.channel == "sms":
        try:
            phone = phonenumbers.parse(s.target, None)
        except phonenumbers.NumberParseException:
            phone = None
    return {
        "id": s.public_id,
        "skip_confirmation_notification": False,
        "mode": s.channel,
        "email": s.target if s.channel == "email" else None,
        "endpoint": endpoint(s),
        "phone_number": phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.NATIONAL) if phone
        else None,
        "phone_country": phonenumbers.region_code_for_number(phone) if phone else None,
        "display_phone_number": s.target if s.channel == "sms" else None,
        "obfuscated_channels": None,
        "purge_at": None,
        "components": s.component_ids,
        "page_access_user_id": None,
        "created_at": iso_utc(s.created_at),
        "quarantined_at": iso_utc(s.disabled_at),
    }


def _one(subscriber: Subscriber, code: int = 200, **extra):
    response = jsonify(subscriber_json(subscriber) | extra)
    response.status_code = code
    return response


@route(BASE, methods=["GET"])
def list_subscribers(page_id):
    kind = request.args.get("type", "")
    if kind and kind not in TYPES:
        raise DomainError(f"type must be one of {', '.join(TYPES)}", field="type")
    state = request.args.get("state", "active")
    if state not in STATES:
        raise DomainError("state must be active, unconfirmed, quarantined or all", field="state")
    page, per_page = bodies.pagination()
    query = subscriber_lists.subscriber_query(request.args.get("q", ""), TYPES.get(kind, ""), "",
                                              STATES[state], full_targets=current_user().can("admin"))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify([subscriber_json(s) for s in rows])


def _address(fields: dict) -> tuple[str, str, str]:
    """(channel, target, body field) from exactly one of email, phone_number and endpoint."""
    given = [key for key in ADDRESS_FIELDS if fields.get(key) not in (None, "")]
    if len(given) != 1:
        raise DomainError("give exactly one of email, phone_number and endpoint", field="subscriber")
    key = given[0]
    value = bodies.text(fields, key, 2000).strip()
    channel = ADDRESS_FIELDS[key]
    if key == "endpoint" and "://" in value and not value.lower().startswith(("http://", "https://")):
        channel = "chat"  # an Apprise URL (slack://, msteams://, ...)
    if key == "phone_number":
        country = (bodies.text(fields, "phone_country", 2) or "").upper() or None
        try:
            value = phonenumbers.format_number(phonenumbers.parse(value, country),
                                               phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass  # the domain's check names the problem
    return channel, value, key


@route(BASE, methods=["POST"])
def create_subscriber(page_id):
    fields = bodies.envelope("subscriber")
    channel, target, key = _address(fields)
    component_ids = bodies.id_list(fields, "component_ids") or None
    audience = bodies.choice(fields, "audience", AUDIENCES) or "public"
    skip = bool(bodies.boolean(fields, "skip_confirmation_notification"))
    try:
        result = subscriptions.subscribe(channel, target, audience, component_ids, actor=current_actor(),
                                         confirmed=skip)
    except DomainError as error:
        if error.field in ("target", "channel"):
            raise DomainError(error.message, field=key) from None
        raise
    extra = {"skip_confirmation_notification": skip}
    if result.secret:
        extra["secret"] = result.secret
    return _one(result.subscriber, 201 if result.created else 200, **extra)


@route(BASE + "/<subscriber_id>", methods=["GET"])
def get_subscriber(page_id, subscriber_id):
    return _one(subscriptions.get_subscriber(subscriber_id))


@route(BASE + "/<subscriber_id>", methods=["DELETE"])
def delete_subscriber(page_id, subscriber_id):
    """Unsubscribe: the subscriber is removed; the answer is what it was."""
    subscriber = subscriptions.get_subscriber(subscriber_id)
    body = subscriber_json(subscriber)
    subscriptions.unsubscribe(subscriber, actor=current_actor())
    return jsonify(body)


@route(BASE + "/<subscriber_id>/resend_confirmation", methods=["POST"])
def resend_confirmation(page_id, subscriber_id):
    subscriptions.resend_confirmation(current_actor(), subscriptions.get_subscriber(subscriber_id))
    return jsonify({}), 201
