"""Command, SLA timers and executive summaries of an incident in the management API (extensions).

Acknowledge, take command, assign or unassign the owner, mark mitigated and correct those times: each is one
call into ``domain.command`` and answers with the v1 incident (its ``x_practice`` shows the result). The SLA
timers and the targets per priority are read here (admins change targets in the console); executive summaries
are read and posted through ``domain.leadership``. A viewer's key reads; writes need a manager or admin
(``auth.authenticate_request``).
"""
from flask import jsonify
from sqlalchemy import select

from ...domain import command, leadership, sla
from ...domain.incidents import get_incident
from ...domain.recording import DomainError, NotFound
from ...domain.users import normalize_email
from ...extensions import db
from ...models import IncidentUpdate, User
from ...models.columns import utcnow
from . import bodies, route
from .auth import current_actor
from .incidents import _one
from .practice_json import sla_json, summary_json

BASE = "/pages/<page_id>/incidents/<incident_id:incident_id>"


def _incident(incident_id: str):
    incident = get_incident(incident_id)
    if incident.is_maintenance:
        raise NotFound(f"no incident with id {incident_id!r}", field="incident_id")
    return incident


@route(BASE + "/acknowledge", methods=["POST"])
def acknowledge(page_id, incident_id):
    fields = bodies.optional_envelope("acknowledgement")
    command.acknowledge(current_actor(), incident_id, bodies.timestamp(fields, "acknowledged_at"))
    return _one(get_incident(incident_id), page_id)


@route(BASE + "/mitigate", methods=["POST"])
def mitigate(page_id, incident_id):
    fields = bodies.optional_envelope("mitigation")
    command.mark_mitigated(current_actor(), incident_id, bodies.timestamp(fields, "mitigated_at"))
    return _one(get_incident(incident_id), page_id)


@route(BASE + "/take_command", methods=["POST"])
def take_command(page_id, incident_id):
    command.take_command(current_actor(), incident_id)
    return _one(get_incident(incident_id), page_id)


@route(BASE + "/owner", methods=["PUT"])
def assign(page_id, incident_id):
    fields = bodies.envelope("owner")
    user_id, email = bodies.whole_number(fields, "id"), bodies.text(fields, "email", 254)
    if (user_id is None) == (email is None):
        raise DomainError("give the owner's id or email (one of them)", field="id")
    if email is not None:
        user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
        if user is None:
            raise DomainError(f"no user with email {email!r}", field="email")
        user_id = user.id
    command.assign_owner(current_actor(), incident_id, user_id)
    return _one(get_incident(incident_id), page_id)


@route(BASE + "/owner", methods=["DELETE"])
def unassign(page_id, incident_id):
    command.assign_owner(current_actor(), incident_id, None)
    return _one(get_incident(incident_id), page_id)


@route(BASE + "/times", methods=["PATCH"])
def correct_times(page_id, incident_id):
    """A correction: each time given is set, null or "" clears it, an absent one stays."""
    fields = bodies.envelope("times")
    times = {name: bodies.timestamp(fields, name) for name in command.CORRECTABLE_TIMES if name in fields}
    if not times:
        raise DomainError("give acknowledged_at and/or mitigated_at", field="times")
    command.correct_times(current_actor(), incident_id, **times)
    return _one(get_incident(incident_id), page_id)


@route(BASE + "/sla", methods=["GET"])
def incident_sla(page_id, incident_id):
    return jsonify(sla_json(_incident(incident_id), utcnow()))


@route("/pages/<page_id>/sla_targets", methods=["GET"])
def sla_targets(page_id):
    return jsonify([{"priority": p, "acknowledge_minutes": ack, "resolve_minutes": resolve}
                    for p, (ack, resolve) in sla.targets().items()])


@route(BASE + "/executive_summaries", methods=["GET"])
def executive_summaries(page_id, incident_id):
    incident = _incident(incident_id)
    rows = db.session.scalars(select(IncidentUpdate).where(IncidentUpdate.incident_id == incident.id,
                                                           IncidentUpdate.kind == "summary")
                              .order_by(IncidentUpdate.display_at.desc(), IncidentUpdate.id))
    return jsonify([summary_json(u) for u in rows])


@route(BASE + "/executive_summaries", methods=["POST"])
def post_executive_summary(page_id, incident_id):
    fields = bodies.envelope("executive_summary")
    parts = {key: bodies.text(fields, key, 20000) or "" for key, _ in leadership.SUMMARY_PARTS}
    update = leadership.post_summary(current_actor(), incident_id, **parts)
    response = jsonify(summary_json(update))
    response.status_code = 201
    return response
