"""The write path for incidents: open, post updates, resolve, edit, delete, postmortem.

Maintenance windows live in ``domain.maintenance`` and share ``post_update``.
"""
from datetime import datetime

from .. import dispatch
from ..extensions import db
from ..models import (
    ACTIVE_MAINTENANCE_STATUSES,
    CLOSED_STATUSES,
    OPEN_INCIDENT_STATUSES,
    VISIBILITIES,
    Incident,
    IncidentComponent,
    IncidentUpdate,
)
from ..models.columns import utcnow
from . import leadership
from .components import apply_status, get_component
from .incident_fields import (
    apply_fields,
    check_body,
    check_components,
    check_impact,
    check_incident_status,
    describe_incident,
    describe_update,
    impact_from_components,
)
from .recording import Actor, DomainError, NotFound, bump_site_version, change, check_revision, record
from .review_gate import check_may_close
from .status import COMPONENT_STATUS_RANK, IMPACT_RANK
from .visibility import written_for


def get_incident(incident_id: str) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident with id {incident_id!r}", field="incident_id")
    return incident


def _link_components(incident: Incident, components: dict[str, str], at: datetime, cause: str) -> list[dict]:
    """Put the components in the given statuses and link them to the incident; returns the changes."""
    changes = []
    links = {link.component_id: link for link in incident.affected}
    for cid, status in components.items():
        component = get_component(cid)
        if cid in links:
            links[cid].status = status
        else:
            incident.affected.append(IncidentComponent(component_id=cid, status=status, component=component))
        change_ = apply_status(component, status, cause=cause, at=at, incident_id=incident.id)
        if change_:
            changes.append(change_)
    return changes


def release_target(incident: Incident, link: IncidentComponent) -> str:
    """The status a component returns to when ``incident`` closes: the worst status another open incident
    holds it in, else operational; never worse than it is now (closing one incident must not make a component
    look worse), except that a component under maintenance takes what the others hold."""
    others = (db.session.query(IncidentComponent.status).join(Incident)
              .filter(IncidentComponent.component_id == link.component_id, Incident.id != incident.id,
                      Incident.status.in_(OPEN_INCIDENT_STATUSES + ACTIVE_MAINTENANCE_STATUSES))
              .all())
    held = max((s for (s,) in others), key=COMPONENT_STATUS_RANK.__getitem__, default="operational")
    current = link.component.status
    if current == "under_maintenance" or COMPONENT_STATUS_RANK[held] <= COMPONENT_STATUS_RANK[current]:
        return held
    return current


def _release_components(incident: Incident, keep: dict[str, str], at: datetime, cause: str) -> list[dict]:
    """When an incident closes, its components return to their ``release_target`` unless ``keep`` names a
    status for them; returns the changes (none for a component already there)."""
    changes = []
    for link in incident.affected:
        if link.component_id in keep:
            continue
        change_ = apply_status(link.component, release_target(incident, link), cause=cause, at=at,
                               incident_id=incident.id)
        if change_:
            changes.append(change_)
    return changes


def _set_lifecycle_time(incident: Incident, status: str, at: datetime) -> None:
    field = {"identified": "identified_at", "monitoring": "monitoring_at", "resolved": "resolved_at",
             "completed": "resolved_at", "in_progress": "started_at"}.get(status)
    if field == "started_at":
        incident.started_at = at
    elif field and getattr(incident, field) is None:
        setattr(incident, field, at)
    if status in ("identified", "monitoring", "resolved") and incident.acknowledged_at is None:
        incident.acknowledged_at = at


def open_incident(actor: Actor, *, name: str, status: str = "investigating", impact: str | None = None,
                  body: str = "", components: dict | None = None, deliver_notifications: bool = True,
                  visibility: str = "public", at: datetime | None = None, **fields) -> Incident:
    """Open an incident with its first update; affected components take the given statuses."""
    check_incident_status("incident", status)
    body = check_body(body)
    components = check_components(components)
    at = at or utcnow()
    with change():
        incident = Incident(kind="incident", status=status, created_at=at, started_at=at, detected_at=at)
        apply_fields(incident, {"name": name, "visibility": visibility,
                                 "impact": check_impact(impact) if impact else impact_from_components(components),
                                 **fields})
        db.session.add(incident)
        db.session.flush()
        if status == "postmortem":
            check_may_close(incident)
        changes = _link_components(incident, components, at, cause="incident")
        _set_lifecycle_time(incident, status, at)
        if status in ("resolved", "postmortem"):
            changes += _release_components(incident, {}, at, cause="incident")
        update = IncidentUpdate(incident=incident, status=status, body=body,
                                visibility=written_for(incident, incident.visibility),
                                display_at=at, created_at=at, author_id=actor.user_id,
                                deliver_notifications=deliver_notifications, affected_components=changes or None)
        db.session.add(update)
        db.session.flush()
        record(actor, "incident.create", "incident", incident.id, incident.name,
               after=describe_incident(incident) | {"update": describe_update(update)})
        if deliver_notifications:
            dispatch.enqueue("incident.opened", incident, update,
                             leadership.beside_announcement(incident, was_major=False))
        leadership.announce_if_major(incident, was_major=False)
        bump_site_version()
    return incident


def post_update(actor: Actor, incident_id: str, *, status: str | None = None, body: str = "",
                components: dict | None = None, visibility: str = "public", deliver_notifications: bool = True,
                impact: str | None = None, at: datetime | None = None,
                expected_revision: int | None = None) -> IncidentUpdate:
    """Add an update to the timeline; it may change the status, the impact and component statuses.

    An internal note (visibility internal) records text only: status and components stay as they are.
    Resolving (or completing maintenance) returns affected components to operational unless ``components``
    says otherwise.
    """
    body = check_body(body)
    if visibility not in VISIBILITIES:
        raise DomainError("visibility must be public or internal", field="visibility")
    components = check_components(components)
    at = at or utcnow()
    with change():
        incident = get_incident(incident_id)
        check_revision(incident, expected_revision, describe_incident)
        status = check_incident_status(incident.kind, status or incident.status)
        internal_note = visibility == "internal"
        _check_update(incident, status, body, components, internal_note)
        before = describe_incident(incident)
        changes = _move_components(incident, status, components, at)
        _raise_impact(incident, impact, components)
        if status != incident.status:
            _set_lifecycle_time(incident, status, at)
            incident.status = status
        update = IncidentUpdate(incident=incident, status=status, body=body,
                                visibility=written_for(incident, visibility),
                                display_at=at, created_at=at, author_id=actor.user_id,
                                deliver_notifications=deliver_notifications,
                                affected_components=changes or None)
        db.session.add(update)
        if not internal_note:  # an internal note must not move what the public sees, not even a time
            incident.updated_at = at
        db.session.flush()
        record(actor, "incident.note" if internal_note else "incident.update", "incident", incident.id,
               incident.name, before=before, after=describe_incident(incident) | {"update": describe_update(update)})
        if deliver_notifications:
            kind = _event_kind(incident, status, before["status"])
            dispatch.enqueue(kind, incident, update)
        bump_site_version(public=not internal_note)
    return update


def _check_update(incident: Incident, status: str, body: str, components: dict, internal_note: bool) -> None:
    """DomainError unless this update may be posted: a note changes nothing, a closed incident is reopened by
    another status, a public update says or changes something, and closing passes the review gate."""
    if internal_note and (status != incident.status or components):
        raise DomainError("an internal note cannot change the status or components; post a public update",
                          field="visibility")
    if not incident.is_open and status == incident.status and not internal_note and status != "postmortem":
        raise DomainError(f"this {incident.kind} is {incident.status}; reopen it by choosing another status",
                          field="status")
    if not body and not internal_note and status == incident.status and not components:
        raise DomainError("write what changed", field="body")
    if status == "postmortem" and incident.status != "postmortem":
        check_may_close(incident)


def _move_components(incident: Incident, status: str, components: dict, at: datetime) -> list:
    """Apply the update to the affected components and return the changes: a maintenance window that starts
    puts them in the status it announced, closing releases them, reopening puts them back."""
    cause = "maintenance" if incident.is_maintenance else "incident"
    if incident.is_maintenance and status == "in_progress" and incident.status == "scheduled" and not components:
        components = {link.component_id: link.status for link in incident.affected}
    changes = _link_components(incident, components, at, cause)
    if status in CLOSED_STATUSES and incident.is_open:
        changes += _release_components(incident, components, at, cause)
    elif incident.status in CLOSED_STATUSES and status not in CLOSED_STATUSES:
        incident.resolved_at = None  # reopened
        changes += _link_components(incident, {a.component_id: a.status for a in incident.affected}, at, cause)
    return changes


def _raise_impact(incident: Incident, impact: str | None, components: dict) -> None:
    """Set the impact chosen, or raise it to what the incident's components imply (never lower it)."""
    if impact:
        incident.impact = check_impact(impact)
    elif components and not incident.is_maintenance:
        derived = impact_from_components({a.component_id: a.status for a in incident.affected})
        if IMPACT_RANK[derived] > IMPACT_RANK[incident.impact]:
            incident.impact = derived


def _event_kind(incident: Incident, status: str, previous: str) -> str:
    if incident.is_maintenance:
        return {"in_progress": "maintenance.started", "completed": "maintenance.completed"}.get(
            status if status != previous else "", "maintenance.updated")
    if status in ("resolved",) and previous != status:
        return "incident.resolved"
    return "incident.updated"


def resolve_incident(actor: Actor, incident_id: str, body: str = "", components: dict | None = None,
                     **kwargs) -> IncidentUpdate:
    """Resolve; components return to operational unless ``components`` names their status."""
    incident = get_incident(incident_id)
    final = "completed" if incident.is_maintenance else "resolved"
    return post_update(actor, incident_id, status=final, components=components,
                       body=body or ("This incident has been resolved." if final == "resolved"
                                     else "The scheduled maintenance has been completed."), **kwargs)


def update_incident(actor: Actor, incident_id: str, expected_revision: int | None = None,
                    public_body: str | None = None, deliver_notifications: bool = True,
                    **values) -> Incident:
    """Edit an incident's own fields (name, impact, ITIL fields, owner...) without posting an update.

    Making an internal incident public needs ``public_body``, the first update the public reads: every
    earlier update was written for staff and stays internal, and so does a postmortem published meanwhile
    (it must be published again). That update is posted (and announced to public subscribers unless
    ``deliver_notifications`` is false) in the same transaction.
    """
    body = check_body(public_body)
    with change():
        incident = get_incident(incident_id)
        check_revision(incident, expected_revision, describe_incident)
        before = describe_incident(incident)
        was_major = leadership.is_major(incident)
        goes_public = incident.visibility == "internal" and values.get("visibility") == "public"
        if goes_public and not body:
            raise DomainError("write the first public update: what staff wrote so far stays internal",
                              field="public_body")
        apply_fields(incident, dict(values))
        update = None
        if goes_public:
            at = utcnow()
            update = IncidentUpdate(incident=incident, status=incident.status, body=body, visibility="public",
                                    display_at=at, created_at=at, author_id=actor.user_id,
                                    deliver_notifications=deliver_notifications)
            db.session.add(update)
            incident.updated_at = at
            # A postmortem published while internal was written for staff: it waits to be published again.
            incident.postmortem_published_at = None
        db.session.flush()
        after = describe_incident(incident) | ({"update": describe_update(update)} if update else {})
        record(actor, "incident.publish" if goes_public else "incident.edit", "incident", incident.id,
               incident.name, before=before, after=after)
        if update is not None and deliver_notifications:
            dispatch.enqueue(_published_kind(incident), incident, update,
                             leadership.beside_announcement(incident, was_major))
        leadership.announce_if_major(incident, was_major)
        bump_site_version()
    return incident


def _published_kind(incident: Incident) -> str:
    """What public subscribers are told when an incident becomes public: it is news to them."""
    if incident.is_maintenance:
        return "maintenance.scheduled" if incident.status == "scheduled" else "maintenance.updated"
    return "incident.opened" if incident.is_open else "incident.resolved"


def edit_update(actor: Actor, update_id: str, body: str | None = None, display_at: datetime | None = None,
                deliver_notifications: bool | None = None,
                expected_revision: int | None = None) -> IncidentUpdate:
    """Correct an update's text or time (no new notification is sent)."""
    with change():
        update = db.session.get(IncidentUpdate, update_id)
        if update is None:
            raise NotFound(f"no incident update with id {update_id!r}", field="update_id")
        check_revision(update, expected_revision, describe_update)
        before = describe_update(update)
        if body is not None:
            update.body = check_body(body)
            if not update.body:
                raise DomainError("an update needs a text", field="body")
        if display_at is not None:
            update.display_at = display_at
        if deliver_notifications is not None:
            update.deliver_notifications = bool(deliver_notifications)
        db.session.flush()
        record(actor, "incident_update.edit", "incident_update", update.id, update.incident.name,
               before=before, after=describe_update(update))
        bump_site_version(public=update.visibility == "public")
    return update


def delete_update(actor: Actor, update_id: str) -> None:
    with change():
        update = db.session.get(IncidentUpdate, update_id)
        if update is None:
            raise NotFound(f"no incident update with id {update_id!r}", field="update_id")
        if len(update.incident.updates) == 1:
            raise DomainError("an incident keeps at least one update; delete the incident instead")
        record(actor, "incident_update.delete", "incident_update", update.id, update.incident.name,
               before=describe_update(update))
        db.session.delete(update)
        bump_site_version(public=update.visibility == "public")


def delete_incident(actor: Actor, incident_id: str) -> None:
    """Delete an incident; components it still holds are released first."""
    with change():
        incident = get_incident(incident_id)
        record(actor, "incident.delete", "incident", incident.id, incident.name,
               before=describe_incident(incident))
        if incident.is_open:
            _release_components(incident, {}, utcnow(), "incident")
        db.session.delete(incident)
        bump_site_version()


def publish_postmortem(actor: Actor, incident_id: str, body: str, notify: bool = True) -> Incident:
    with change():
        return write_postmortem(actor, get_incident(incident_id), body, notify)


def write_postmortem(actor: Actor, incident: Incident, body: str, notify: bool = True) -> Incident:
    """``publish_postmortem`` inside the caller's transaction (a review publishes with its own state)."""
    body = check_body(body)
    if not body:
        raise DomainError("a postmortem needs a text", field="body")
    if incident.is_open:
        raise DomainError("resolve the incident before publishing its postmortem", field="status")
    if incident.status != "postmortem":
        check_may_close(incident)
    before = describe_incident(incident)
    incident.postmortem_body = body
    incident.postmortem_published_at = utcnow()
    incident.status = "postmortem" if not incident.is_maintenance else incident.status
    db.session.flush()
    record(actor, "incident.postmortem", "incident", incident.id, incident.name, before=before,
           after=describe_incident(incident) | {"postmortem_body": body})
    if notify:
        dispatch.enqueue("incident.postmortem", incident, None)
    bump_site_version()
    return incident
