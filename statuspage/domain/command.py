"""Command of an incident: acknowledging it, taking or assigning ownership, marking it mitigated, and a
manager's correction of those times.

None of this is public (owners, acknowledgements and mitigation times never reach a public surface), so each
action bumps only the internal version: every public snapshot, ETag and CDN copy stays as it was. Each action
is one transaction through ``recording.change`` with its audit entry.
"""
from datetime import datetime

from sqlalchemy.orm.attributes import flag_modified

from ..extensions import db
from ..models import Incident, User
from ..models.columns import utcnow
from .recording import Actor, DomainError, NotFound, bump_site_version, change, record

CORRECTABLE_TIMES = ("acknowledged_at", "mitigated_at")


def describe_command(incident: Incident) -> dict:
    """What the audit trail keeps of an incident's command state."""
    return {"owner_id": incident.owner_id, "acknowledged_at": incident.acknowledged_at,
            "acknowledged_by_id": incident.acknowledged_by_id, "mitigated_at": incident.mitigated_at}


def _get_incident(incident_id: str) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None or incident.is_maintenance:
        raise NotFound(f"no incident with id {incident_id!r}", field="incident_id")
    return incident


def _keep_public_time(incident: Incident) -> None:
    """Write ``updated_at`` as it was: it is shown publicly, and an internal action must not move it."""
    flag_modified(incident, "updated_at")


def _check_time(incident: Incident, at: datetime, what: str, field: str) -> datetime:
    if at.tzinfo is None:
        raise DomainError(f"{what} needs a time zone", field=field)
    if at < incident.started_at:
        raise DomainError(f"{what} cannot be before the incident started", field=field)
    if at > utcnow():
        raise DomainError(f"{what} cannot be in the future", field=field)
    return at


def _write(actor: Actor, incident: Incident, action: str, before: dict) -> Incident:
    _keep_public_time(incident)
    db.session.flush()
    record(actor, action, "incident", incident.id, incident.name, before=before,
           after=describe_command(incident))
    bump_site_version(public=False)
    return incident


def acknowledge(actor: Actor, incident_id: str, at: datetime | None = None) -> Incident:
    """Record that someone has seen the incident and is on it (time and who). Acknowledging an incident
    already acknowledged is refused with who did it first; a manager corrects the time with ``correct_times``."""
    with change():
        incident = _get_incident(incident_id)
        if not incident.is_open:
            raise DomainError("this incident is closed; correct its times instead", field="acknowledged_at")
        if incident.acknowledged_at is not None:
            raise DomainError(f"already acknowledged at {incident.acknowledged_at:%Y-%m-%d %H:%M} UTC",
                              field="acknowledged_at")
        before = describe_command(incident)
        incident.acknowledged_at = _check_time(incident, at or utcnow(), "the acknowledgement",
                                               "acknowledged_at")
        incident.acknowledged_by_id = actor.user_id
        return _write(actor, incident, "incident.acknowledge", before)


def assign_owner(actor: Actor, incident_id: str, user_id: int | None) -> Incident:
    """Make a manager or admin the incident's owner (``None`` leaves it without one). Taking command is
    assigning oneself; an unacknowledged incident is acknowledged by the one who takes command."""
    with change():
        incident = _get_incident(incident_id)
        before = describe_command(incident)
        if user_id is not None:
            owner = db.session.get(User, user_id)
            if owner is None or not owner.active or not owner.can("manage"):
                raise DomainError("the owner must be an active manager or admin", field="owner_id")
        incident.owner_id = user_id
        if user_id is not None and user_id == actor.user_id and incident.acknowledged_at is None \
                and incident.is_open:
            incident.acknowledged_at = max(utcnow(), incident.started_at)
            incident.acknowledged_by_id = actor.user_id
        return _write(actor, incident, "incident.assign", before)


def take_command(actor: Actor, incident_id: str) -> Incident:
    """The acting user becomes the owner (and acknowledges the incident if nobody has)."""
    if actor.user_id is None:
        raise DomainError("only a console user can take command; use assign with an email", field="owner_id")
    return assign_owner(actor, incident_id, actor.user_id)


def mark_mitigated(actor: Actor, incident_id: str, at: datetime | None = None) -> Incident:
    """Record when the impact on users stopped (a workaround, a rollback), before the cause is fixed."""
    with change():
        incident = _get_incident(incident_id)
        if not incident.is_open:
            raise DomainError("this incident is closed; correct its times instead", field="mitigated_at")
        if incident.mitigated_at is not None:
            raise DomainError(f"already mitigated at {incident.mitigated_at:%Y-%m-%d %H:%M} UTC",
                              field="mitigated_at")
        before = describe_command(incident)
        incident.mitigated_at = _check_time(incident, at or utcnow(), "the mitigation", "mitigated_at")
        return _write(actor, incident, "incident.mitigate", before)


def correct_times(actor: Actor, incident_id: str, **times: datetime | None) -> Incident:
    """A manager's correction of when the incident was acknowledged or mitigated (``None`` clears one);
    the audit entry keeps the values before and after."""
    unknown = set(times) - set(CORRECTABLE_TIMES)
    if unknown:
        raise DomainError(f"only {', '.join(CORRECTABLE_TIMES)} can be corrected", field=sorted(unknown)[0])
    with change():
        incident = _get_incident(incident_id)
        before = describe_command(incident)
        for field, value in times.items():
            if value is not None:
                _check_time(incident, value, field.replace("_at", "").replace("_", " ") + " time", field)
                if incident.resolved_at and value > incident.resolved_at:
                    raise DomainError("a time cannot be after the incident was resolved", field=field)
            setattr(incident, field, value)
        if incident.acknowledged_at is None:
            incident.acknowledged_by_id = None
        return _write(actor, incident, "incident.correct_times", before)
