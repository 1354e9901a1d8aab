"""Scheduled maintenance: schedule, reschedule, cancel. Its status moves through ``post_update``;
the worker's clock starts and completes windows and sends reminders (see ``domain.clock``)."""
from datetime import datetime

from .. import dispatch
from ..extensions import db
from ..models import Incident, IncidentComponent, IncidentUpdate
from ..models.columns import utcnow
from .components import get_component
from .incident_fields import apply_fields, check_body, describe_incident, describe_update
from .incidents import get_incident
from .recording import Actor, DomainError, bump_site_version, change, check_revision, record
from .visibility import written_for

# Where a window still ``scheduled`` stands against the clock (see ``schedule_state``), and its console label.
UPCOMING, OVERDUE_TO_START, OVERDUE = "upcoming", "overdue_to_start", "overdue"
SCHEDULE_LABEL = {UPCOMING: "Scheduled", OVERDUE_TO_START: "Overdue to start", OVERDUE: "Overdue"}


def schedule_state(window: Incident, now: datetime) -> str | None:
    """Where a still-scheduled window stands at ``now`` (None once it has started, completed or been cancelled).

    ``upcoming`` before its start. ``overdue_to_start`` once its start has passed without it being started (no
    auto-start, the API's default): the public still sees it as upcoming until its end, as Statuspage shows it,
    while the console says it is late. ``overdue`` once its end has passed: it is upcoming nowhere any more,
    and staff complete it (the work happened) or cancel it (it did not).
    """
    if not window.is_maintenance or window.status != "scheduled":
        return None
    if window.scheduled_until is not None and window.scheduled_until <= now:
        return OVERDUE
    if window.scheduled_for is not None and window.scheduled_for <= now:
        return OVERDUE_TO_START
    return UPCOMING


def check_window(scheduled_for, scheduled_until) -> tuple[datetime, datetime]:
    if not isinstance(scheduled_for, datetime) or scheduled_for.tzinfo is None:
        raise DomainError("give the start as a date and time", field="scheduled_for")
    if not isinstance(scheduled_until, datetime) or scheduled_until.tzinfo is None:
        raise DomainError("give the end as a date and time", field="scheduled_until")
    if scheduled_until <= scheduled_for:
        raise DomainError("the maintenance must end after it starts", field="scheduled_until")
    return scheduled_for, scheduled_until


def schedule_maintenance(actor: Actor, *, name: str, scheduled_for: datetime, scheduled_until: datetime,
                         body: str = "", component_ids: list[str] | None = None,
                         auto_in_progress: bool = True, auto_completed: bool = True, remind_prior: bool = True,
                         remind_minutes_before: int = 60, deliver_notifications: bool = True,
                         visibility: str = "public", at: datetime | None = None) -> Incident:
    """Announce a maintenance window on the given components."""
    check_window(scheduled_for, scheduled_until)
    body = check_body(body)
    try:
        remind_minutes_before = int(remind_minutes_before)
    except (TypeError, ValueError):
        raise DomainError("the reminder needs a number of minutes", field="remind_minutes_before") from None
    if not 1 <= remind_minutes_before <= 7 * 24 * 60:
        raise DomainError("remind between 1 minute and 7 days before", field="remind_minutes_before")
    at = at or utcnow()
    with change():
        incident = Incident(kind="maintenance", status="scheduled", impact="maintenance", created_at=at,
                            started_at=scheduled_for, scheduled_for=scheduled_for,
                            scheduled_until=scheduled_until, scheduled_auto_in_progress=auto_in_progress,
                            scheduled_auto_completed=auto_completed, scheduled_remind_prior=remind_prior,
                            remind_minutes_before=remind_minutes_before)
        apply_fields(incident, {"name": name, "visibility": visibility})
        incident.impact = "maintenance"
        db.session.add(incident)
        for cid in dict.fromkeys(component_ids or []):
            incident.affected.append(IncidentComponent(component_id=cid, status="under_maintenance",
                                                       component=get_component(cid)))
        update = IncidentUpdate(incident=incident, status="scheduled", display_at=at, created_at=at,
                                body=body or f"{name} is scheduled.", visibility=written_for(incident),
                                author_id=actor.user_id, deliver_notifications=deliver_notifications)
        db.session.add(update)
        db.session.flush()
        record(actor, "maintenance.schedule", "incident", incident.id, incident.name,
               after=describe_incident(incident) | {"update": describe_update(update)})
        if deliver_notifications:
            dispatch.enqueue("maintenance.scheduled", incident, update)
        bump_site_version()
    return incident


def reschedule_maintenance(actor: Actor, incident_id: str, scheduled_for: datetime,
                           scheduled_until: datetime, body: str = "", expected_revision: int | None = None,
                           deliver_notifications: bool = True) -> Incident:
    """Move a window that has not started; the reminder will be sent again for the new time."""
    check_window(scheduled_for, scheduled_until)
    with change():
        incident = get_incident(incident_id)
        check_revision(incident, expected_revision, describe_incident)
        if not incident.is_maintenance or incident.status != "scheduled":
            raise DomainError("only a maintenance that has not started can be rescheduled", field="status")
        before = describe_incident(incident)
        incident.scheduled_for, incident.scheduled_until = scheduled_for, scheduled_until
        incident.started_at = scheduled_for
        incident.reminded_at = None
        update = IncidentUpdate(incident=incident, status="scheduled", author_id=actor.user_id,
                                body=check_body(body) or "This maintenance has been rescheduled.",
                                visibility=written_for(incident), deliver_notifications=deliver_notifications)
        db.session.add(update)
        db.session.flush()
        record(actor, "maintenance.reschedule", "incident", incident.id, incident.name, before=before,
               after=describe_incident(incident))
        if deliver_notifications:
            dispatch.enqueue("maintenance.updated", incident, update)
        bump_site_version()
    return incident


def cancel_maintenance(actor: Actor, incident_id: str, body: str = "",
                       deliver_notifications: bool = True) -> Incident:
    """Cancel a window that has not started: it is completed with a cancellation note."""
    with change():
        incident = get_incident(incident_id)
        if not incident.is_maintenance or incident.status != "scheduled":
            raise DomainError("only a maintenance that has not started can be cancelled", field="status")
        before = describe_incident(incident)
        incident.status = "completed"
        incident.resolved_at = utcnow()
        update = IncidentUpdate(incident=incident, status="completed", author_id=actor.user_id,
                                body=check_body(body) or "This scheduled maintenance has been cancelled.",
                                visibility=written_for(incident), deliver_notifications=deliver_notifications)
        db.session.add(update)
        db.session.flush()
        record(actor, "maintenance.cancel", "incident", incident.id, incident.name, before=before,
               after=describe_incident(incident))
        if deliver_notifications:
            dispatch.enqueue("maintenance.cancelled", incident, update)
        bump_site_version()
    return incident
