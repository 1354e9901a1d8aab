"""An incident's postmortem in the management API (Statuspage v1: ``/incidents/<id>/postmortem``).

GET reads it (404 while there is neither a draft nor a published text); PUT ``{"postmortem": {"body_draft":
"..."}}`` writes the draft; PUT ``.../publish`` publishes the draft (``notify_subscribers``: tell subscribers,
default false; ``notify_twitter`` and ``custom_tweet`` are accepted and ignored: there is no Twitter here);
PUT ``.../revert`` takes a published postmortem back into the draft; DELETE removes draft and publication.
Every write goes through ``domain.postmortems``; publishing needs a resolved incident (422 otherwise).
"""
from flask import jsonify
from sqlalchemy import select

from ...domain import postmortems
from ...domain.incidents import get_incident
from ...domain.recording import NotFound
from ...extensions import db
from ...models import Incident, NotificationEvent
from ...rendering import iso_utc
from . import bodies, route
from .auth import current_actor

BASE = "/pages/<page_id>/incidents/<incident_id:incident_id>/postmortem"


def postmortem_json(incident: Incident, notified: bool | None = None) -> dict:
    published, drafted = incident.postmortem_published_at, incident.postmortem_draft_at
    times = [t for t in (published, drafted) if t is not None]
    if notified is None:
        notified = published is not None and db.session.scalar(
            select(NotificationEvent.id).where(NotificationEvent.incident_id == incident.id,
                                               NotificationEvent.kind == "incident.postmortem").limit(1)) is not None
    return {"preview_key": None, "body": incident.postmortem_body, "body_updated_at": iso_utc(published),
            "body_draft": incident.postmortem_draft, "body_draft_updated_at": iso_utc(drafted),
            "published_at": iso_utc(published), "notify_subscribers": bool(notified), "notify_twitter": False,
            "custom_tweet": None, "created_at": iso_utc(min(times)) if times else None,
            "updated_at": iso_utc(max(times)) if times else None}


@route(BASE, methods=["GET"])
def get_postmortem(page_id, incident_id):
    incident = get_incident(incident_id)
    if not postmortems.has_postmortem(incident):
        raise NotFound("this incident has no postmortem yet", field="incident_id")
    return jsonify(postmortem_json(incident))


@route(BASE, methods=["PUT"])
def write_draft(page_id, incident_id):
    fields = bodies.envelope("postmortem")
    incident = postmortems.save_draft(current_actor(), incident_id, bodies.text(fields, "body_draft", 20000) or "")
    return jsonify(postmortem_json(incident))


@route(BASE, methods=["DELETE"])
def delete_postmortem(page_id, incident_id):
    postmortems.discard(current_actor(), incident_id)
    return "", 204


@route(BASE + "/publish", methods=["PUT"])
def publish(page_id, incident_id):
    doc = bodies.document()
    fields = bodies.envelope("postmortem", doc) if doc else {}
    notify = bool(bodies.boolean(fields, "notify_subscribers"))
    bodies.boolean(fields, "notify_twitter")
    bodies.text(fields, "custom_tweet", 280)
    incident = postmortems.publish_draft(current_actor(), incident_id, notify=notify)
    return jsonify(postmortem_json(incident, notified=notify))


@route(BASE + "/revert", methods=["PUT"])
def revert(page_id, incident_id):
    return jsonify(postmortem_json(postmortems.revert(current_actor(), incident_id)))
