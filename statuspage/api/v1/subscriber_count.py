"""How many subscribers, by type (Statuspage v1: ``GET /subscribers/count``).

``type`` counts one type only (the others are 0) and ``state`` one state (``active``, the default,
``unconfirmed``, ``quarantined`` or ``all``), as the subscriber list filters them. Our chat subscribers (Slack,
Teams and any other chat service) are counted under ``slack``; there are no integration partners here.
"""
from flask import jsonify, request
from sqlalchemy import func

from ...domain import subscriber_lists
from ...domain.recording import DomainError
from ...extensions import db
from ...models import Subscriber
from . import route
from .subscribers import STATES

COUNT_TYPES = {"email": "email", "sms": "sms", "webhook": "webhook", "integration_partner": None, "slack": "chat"}


@route("/pages/<page_id>/subscribers/count", methods=["GET"])
def count_subscribers(page_id):
    kind = request.args.get("type")
    if kind is not None and kind not in COUNT_TYPES:
        raise DomainError(f"type must be one of {', '.join(COUNT_TYPES)}", field="type")
    state = request.args.get("state", "active")
    if state not in STATES:
        raise DomainError("state must be active, unconfirmed, quarantined or all", field="state")
    query = db.select(Subscriber.channel, func.count()).group_by(Subscriber.channel)
    if STATES[state]:
        query = query.where(subscriber_lists.state_filter(STATES[state]))
    counts = dict(db.session.execute(query).all())
    return jsonify({name: counts.get(channel, 0) if channel and kind in (None, name) else 0
                    for name, channel in COUNT_TYPES.items()})
