"""Incidents and scheduled maintenance in the management API (Statuspage v1 shape, internal audience).

POST creates an incident, or a maintenance when ``scheduled_for``/``scheduled_until`` are given. PATCH/PUT
edit the name, impact and metadata (``update_incident``), move a window (``reschedule_maintenance``) and post
the next update when a status, body or components are given (``post_update``). Every write goes through the
domain. ``If-Match: "<revision>"`` (the incident's ETag) makes a write fail with 409 when someone changed it
since.
"""
from flask import jsonify, request
from sqlalchemy import or_, select

from ...domain import incidents as domain
from ...domain import maintenance, visibility
from ...domain.overview import incident_loader
from ...domain.recording import DomainError, NotFound, change, check_revision
from ...domain.text import clean_line
from ...extensions import db
from ...models import (
    ACTIVE_MAINTENANCE_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Component,
    Incident,
    IncidentUpdate,
)
from ...rendering import iso_utc
from ..serializers import incident_json, update_json
from . import bodies, route
from .auth import current_actor
from .practice_json import practice_json

BASE = "/pages/<page_id>/incidents"


def incident_v1_json(incident: Incident, page_id: str) -> dict:
    """The v2 incident object (internal audience) plus the manage API's fields."""
    body = incident_json(incident, visibility.INTERNAL, page_id)
    window = incident.is_maintenance
    body.update({
        "impact_override": None,
        "metadata": incident.metadata_json or {},
        "postmortem_body": incident.postmortem_body,
        "postmortem_published_at": iso_utc(incident.postmortem_published_at),
        "scheduled_for": iso_utc(incident.scheduled_for),
        "scheduled_until": iso_utc(incident.scheduled_until),
        "scheduled_remind_prior": bool(window and incident.scheduled_remind_prior),
        "scheduled_reminded_at": iso_utc(incident.reminded_at),
        "scheduled_auto_in_progress": bool(window and incident.scheduled_auto_in_progress),
        "scheduled_auto_completed": bool(window and incident.scheduled_auto_completed),
        "x_practice": practice_json(incident),  # this site's extension: command, priority, problem
    })
    return body


def _one(incident: Incident, page_id: str, code: int = 200):
    response = jsonify(incident_v1_json(incident, page_id))
    response.status_code = code
    response.headers["ETag"] = f'"{incident.revision}"'
    return response


def _listing(page_id: str, *where, order=(Incident.created_at.desc(),)):
    """Incidents matching ``where`` and the ``q`` search, one page of them, newest first."""
    page, per_page = bodies.pagination()
    query = select(Incident).options(*incident_loader()).where(*where)
    q = clean_line(request.args.get("q") or "")
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        in_updates = select(IncidentUpdate.incident_id).where(IncidentUpdate.body.ilike(like, escape="\\"))
        query = query.where(or_(Incident.name.ilike(like, escape="\\"), Incident.id.in_(in_updates)))
    query = query.order_by(*order, Incident.id).limit(per_page).offset((page - 1) * per_page)
    return jsonify([incident_v1_json(i, page_id) for i in db.session.scalars(query)])


@route(BASE, methods=["GET"])
def list_incidents(page_id):
    return _listing(page_id)


@route(BASE + "/unresolved", methods=["GET"])
def unresolved_incidents(page_id):
    return _listing(page_id, Incident.kind == "incident", Incident.status.in_(OPEN_INCIDENT_STATUSES))


@route(BASE + "/upcoming", methods=["GET"])
def upcoming_maintenance(page_id):
    return _listing(page_id, Incident.kind == "maintenance", Incident.status == "scheduled",
                    order=(Incident.scheduled_for.asc(),))


@route(BASE + "/active_maintenance", methods=["GET"])
def active_maintenance(page_id):
    return _listing(page_id, Incident.kind == "maintenance", Incident.status.in_(ACTIVE_MAINTENANCE_STATUSES),
                    order=(Incident.scheduled_for.asc(),))


@route(BASE + "/scheduled", methods=["GET"])
def scheduled_maintenance(page_id):
    return _listing(page_id, Incident.kind == "maintenance", order=(Incident.scheduled_for.desc(),))


def _affected(fields: dict, current: dict[str, str] | None = None) -> dict[str, str]:
    """``components`` (id -> status) plus ``component_ids`` (affected, keeping their present status)."""
    statuses = bodies.component_statuses(fields) or {}
    ids = bodies.check_component_ids(bodies.id_list(fields, "component_ids") or [], "component_ids")
    extra = [i for i in ids if i not in statuses and i not in (current or {})]
    present = dict(db.session.execute(select(Component.id, Component.status)
                                      .where(Component.id.in_(extra))).all())
    return {i: present[i] for i in extra} | statuses


def _names_window(fields: dict) -> bool:
    """Whether the body gives a maintenance window (nulls, as full-object clients send, do not count)."""
    return fields.get("scheduled_for") not in (None, "") or fields.get("scheduled_until") not in (None, "")


def _window(fields: dict, incident: Incident | None = None):
    start, end = bodies.timestamp(fields, "scheduled_for"), bodies.timestamp(fields, "scheduled_until")
    if incident is not None:
        start, end = start or incident.scheduled_for, end or incident.scheduled_until
    if start is None or end is None:
        missing = "scheduled_for" if start is None else "scheduled_until"
        raise DomainError("a maintenance needs both scheduled_for and scheduled_until", field=missing)
    return start, end


@route(BASE, methods=["POST"])
def create_incident(page_id):
    fields = bodies.envelope("incident")
    actor = current_actor()
    name = bodies.text(fields, "name", 200)
    if not (name or "").strip():
        raise DomainError("name is required", field="name")
    body = bodies.text(fields, "body") or ""
    notify = bodies.boolean(fields, "deliver_notifications")
    notify = True if notify is None else notify
    metadata = bodies.mapping(fields, "metadata")
    components = _affected(fields)
    if _names_window(fields):
        status = bodies.choice(fields, "status", MAINTENANCE_STATUSES) or "scheduled"
        start, end = _window(fields)
        flags = {key: bool(bodies.boolean(fields, "scheduled_" + key))
                 for key in ("auto_in_progress", "auto_completed", "remind_prior")}
        with change():  # the window, its metadata and its first status move, or none of them
            incident = maintenance.schedule_maintenance(
                actor, name=name, scheduled_for=start, scheduled_until=end, body=body,
                component_ids=list(components), deliver_notifications=notify, **flags)
            if metadata is not None:
                domain.update_incident(actor, incident.id, metadata_json=metadata)
            if status != "scheduled":
                domain.post_update(actor, incident.id, status=status, deliver_notifications=notify,
                                   body=body or f"{name} is {status.replace('_', ' ')}.")
        return _one(domain.get_incident(incident.id), page_id, 201)
    extra = {"metadata_json": metadata} if metadata is not None else {}
    incident = domain.open_incident(
        actor, name=name, status=bodies.choice(fields, "status", INCIDENT_STATUSES) or "investigating",
        impact=bodies.choice(fields, "impact_override", IMPACTS), body=body, components=components,
        deliver_notifications=notify, **extra)
    return _one(incident, page_id, 201)


@route(BASE + "/<incident_id:incident_id>", methods=["GET"])
def get_incident(page_id, incident_id):
    return _one(domain.get_incident(incident_id), page_id)


def _edits(fields: dict, incident: Incident) -> dict:
    """The incident's own fields that the body changes."""
    wanted = {"name": bodies.text(fields, "name", 200),
              "impact": bodies.choice(fields, "impact_override", IMPACTS),
              "metadata_json": bodies.mapping(fields, "metadata")}
    current = {"name": incident.name, "impact": incident.impact, "metadata_json": incident.metadata_json}
    return {k: v for k, v in wanted.items() if v is not None and v != current[k]}


@route(BASE + "/<incident_id:incident_id>", methods=["PATCH", "PUT"])
def update_incident(page_id, incident_id):
    fields = bodies.envelope("incident")
    actor = current_actor()
    expected = bodies.if_match_revision()
    incident = domain.get_incident(incident_id)
    edits = _edits(fields, incident)
    allowed = MAINTENANCE_STATUSES if incident.is_maintenance else INCIDENT_STATUSES
    status = bodies.choice(fields, "status", allowed)
    body = bodies.text(fields, "body") or ""
    notify = bodies.boolean(fields, "deliver_notifications")
    notify = True if notify is None else notify
    components = _affected(fields, {a.component_id: a.status for a in incident.affected})
    moves = _names_window(fields)
    if moves and not incident.is_maintenance:
        raise DomainError("only a scheduled maintenance has a window", field="scheduled_for")
    window = _window(fields, incident) if moves else None
    if window == (incident.scheduled_for, incident.scheduled_until):
        window = None
    posts = (status is not None and status != incident.status) or bool(components) \
        or bool(body and not window)
    if posts and not incident.is_open and (status or incident.status) == incident.status \
            and incident.status != "postmortem":
        raise DomainError(f"this {incident.kind} is {incident.status}; reopen it by choosing another status",
                          field="status")
    check_revision(incident, expected, domain.describe_incident)
    with change():  # one request, one transaction: the edit, the new window and the update, or none
        if edits:
            domain.update_incident(actor, incident_id, expected_revision=expected, **edits)
            expected = None
        if window:
            maintenance.reschedule_maintenance(actor, incident_id, *window, body=body,
                                               expected_revision=expected, deliver_notifications=notify)
            expected = None
        if posts:
            domain.post_update(actor, incident_id, status=status, body=body, components=components or None,
                               deliver_notifications=notify, expected_revision=expected)
    return _one(domain.get_incident(incident_id), page_id)


@route(BASE + "/<incident_id:incident_id>", methods=["DELETE"])
def delete_incident(page_id, incident_id):
    incident = domain.get_incident(incident_id)
    gone = incident_v1_json(incident, page_id)
    domain.delete_incident(current_actor(), incident_id)
    return jsonify(gone)


@route(BASE + "/<incident_id:incident_id>/incident_updates/<update_id>", methods=["PATCH", "PUT"])
def edit_incident_update(page_id, incident_id, update_id):
    fields = bodies.envelope("incident_update")
    update = db.session.get(IncidentUpdate, update_id)
    if update is None or update.incident_id != incident_id:
        raise NotFound(f"no update {update_id!r} on incident {incident_id!r}", field="update_id")
    update = domain.edit_update(current_actor(), update_id, body=bodies.text(fields, "body"),
                                display_at=bodies.timestamp(fields, "display_at"),
                                deliver_notifications=bodies.boolean(fields, "deliver_notifications"),
                                expected_revision=bodies.if_match_revision())
    response = jsonify(update_json(update, None))
    response.headers["ETag"] = f'"{update.revision}"'
    return response
