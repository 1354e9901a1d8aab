"""Post-incident reviews and their action items in the management API (extensions).

``/incidents/<id>/review``: GET reads it (its sections, state and the composed Markdown), POST starts it (a
draft with its timeline seeded; starting again returns it), PATCH saves sections and/or moves its state
(draft → in review → published) in one transaction. ``/incidents/<id>/action_items``: list and add; PATCH
one to mark it done or open again. All of it through ``domain.reviews``.
"""
from flask import jsonify

from ...domain import reviews
from ...domain.recording import NotFound, change
from ...extensions import db
from ...models import REVIEW_SECTIONS, REVIEW_STATES, ActionItem
from ...models.columns import utcnow
from . import bodies, route
from .auth import current_actor
from .practice import _incident
from .practice_json import action_item_json, review_json

BASE = "/pages/<page_id>/incidents/<incident_id:incident_id>"


def _review_response(incident_id: str, code: int = 200):
    incident = _incident(incident_id)
    review = reviews.review_of(incident.id)
    if review is None:
        raise NotFound("this incident has no review yet; start one with POST", field="incident_id")
    response = jsonify(review_json(review, reviews.compose(review, incident)))
    response.status_code = code
    return response


@route(BASE + "/review", methods=["GET"])
def get_review(page_id, incident_id):
    return _review_response(incident_id)


@route(BASE + "/review", methods=["POST"])
def start_review(page_id, incident_id):
    existed = reviews.review_of(_incident(incident_id).id) is not None
    reviews.start_review(current_actor(), incident_id)
    return _review_response(incident_id, 200 if existed else 201)


@route(BASE + "/review", methods=["PATCH"])
def edit_review(page_id, incident_id):
    fields = bodies.envelope("review")
    sections = {name: bodies.text(fields, name, 20000) for name in REVIEW_SECTIONS}
    sections = {name: text for name, text in sections.items() if text is not None}
    state = bodies.choice(fields, "state", REVIEW_STATES)
    notify = bool(bodies.boolean(fields, "notify"))
    if reviews.review_of(_incident(incident_id).id) is None:
        raise NotFound("this incident has no review yet; start one with POST", field="incident_id")
    actor = current_actor()
    with change():  # the sections and the move, or neither
        if sections:
            reviews.save_review(actor, incident_id, **sections)
        review = reviews.review_of(incident_id)
        if state is not None and (state != review.state or state == "published"):
            reviews.move_review(actor, incident_id, state, notify=notify)
    return _review_response(incident_id)


@route(BASE + "/action_items", methods=["GET"])
def action_items(page_id, incident_id):
    incident = _incident(incident_id)
    rows = db.session.scalars(db.select(ActionItem).where(ActionItem.incident_id == incident.id)
                              .order_by(ActionItem.id))
    today = utcnow().date()
    return jsonify([action_item_json(item, today) for item in rows])


@route(BASE + "/action_items", methods=["POST"])
def add_action_item(page_id, incident_id):
    fields = bodies.envelope("action_item")
    item = reviews.add_action_item(current_actor(), incident_id, bodies.text(fields, "title", 200) or "",
                                   owner_id=bodies.whole_number(fields, "owner_id"),
                                   due_date=bodies.day(fields, "due_date"),
                                   link=bodies.text(fields, "link", 500))
    response = jsonify(action_item_json(item, utcnow().date()))
    response.status_code = 201
    return response


@route(BASE + "/action_items/<item_id>", methods=["PATCH"])
def edit_action_item(page_id, incident_id, item_id):
    fields = bodies.envelope("action_item")
    number = int(item_id) if item_id.isascii() and item_id.isdigit() and len(item_id) <= 10 else None
    number = number if number and number <= bodies.MAX_ID else None
    item = db.session.get(ActionItem, number) if number else None
    if item is None or item.incident_id != incident_id:
        raise NotFound(f"no action item {item_id!r} on incident {incident_id!r}", field="item_id")
    done = bodies.boolean(fields, "done")
    if done is not None:
        item = reviews.set_action_item_done(current_actor(), item.id, done)
    return jsonify(action_item_json(item, utcnow().date()))
