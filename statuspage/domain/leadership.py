"""Major incidents: telling leaders at once, the cadence of public updates and executive summaries.

A major incident is a P1 or one flagged major. When an incident becomes one, the leadership audience
(``leadership_audience.leaders``) is told in the same transaction (event ``incident.major``). While an incident
is open, a public update is due on its priority's cadence (``domain.cadence``: P1 every 20 minutes during its
first two hours, then hourly; P2 hourly) counted from the last public update; a major incident also owes leaders
an executive summary (P1 every 30 minutes) counted from the last one. The worker's clock
(``domain.leader_clock``) reminds the owner when either falls due.

Executive summaries are internal updates of kind ``summary`` on the incident's timeline: they never reach a
public surface, and posting one bumps only the internal version.
"""
from datetime import datetime

from .. import dispatch
from ..extensions import db
from ..models import Incident, IncidentUpdate, Subscriber
from ..models.columns import utcnow
from ..models.subscribers import LEADERSHIP_MODES
from . import visibility
from .cadence import summary_every, update_every
from .incident_fields import check_body, describe_update
from .recording import Actor, DomainError, NotFound, bump_site_version, change, record

SUMMARY_PARTS = (("current_status", "Current status"), ("overview", "Overview"), ("next_steps", "Next steps"))


def is_major(incident: Incident) -> bool:
    """A P1 or an incident flagged major (maintenance never is)."""
    return not incident.is_maintenance and (incident.priority == 1 or bool(incident.major))


def _last(incident: Incident, kind: str) -> datetime:
    times = [u.display_at for u in incident.updates if u.kind == kind and (kind == "summary" or u.is_public)]
    return max(times, default=incident.started_at)


def next_update_due(incident: Incident, table: dict | None = None) -> datetime | None:
    """When the next public update is due, or None (closed, internal-only so no public update is expected,
    or no cadence for its priority)."""
    if not incident.is_open or not visibility.can_see_incident(incident, visibility.PUBLIC):
        return None
    last = _last(incident, "update")
    every = update_every(incident, last, table)
    return last + every if every else None


def next_summary_due(incident: Incident, table: dict | None = None) -> datetime | None:
    """When leaders are owed the next executive summary of a major incident, or None."""
    every = summary_every(incident, table) if incident.is_open and is_major(incident) else None
    return _last(incident, "summary") + every if every else None


def _becomes_major(incident: Incident, was_major: bool) -> bool:
    return is_major(incident) and not was_major and incident.is_open


def beside_announcement(incident: Incident, was_major: bool) -> dict:
    """The payload of the ordinary notice written in the same transaction as ``announce_if_major``: when the
    leaders are told by the major-incident notice, the ordinary one leaves them out (one message each)."""
    return {"except_leaders": True} if _becomes_major(incident, was_major) else {}


def announce_if_major(incident: Incident, was_major: bool) -> None:
    """In the writer's transaction: tell the leadership audience when ``incident`` has just become major."""
    if _becomes_major(incident, was_major):
        dispatch.enqueue("incident.major", incident, None, {"to": ["leadership"]})


def summary_body(parts: dict) -> str:
    """The Markdown of an executive summary: one heading per part, in a fixed order."""
    return "\n\n".join(f"**{label}**\n\n{parts[key]}" for key, label in SUMMARY_PARTS if parts.get(key))


def post_summary(actor: Actor, incident_id: str, *, current_status: str, overview: str = "",
                 next_steps: str = "") -> IncidentUpdate:
    """Write an executive summary on the incident's internal timeline and send it to the leadership audience.

    The current status is required; overview and next steps are optional. Audited; not public."""
    parts = {"current_status": check_body(current_status or ""), "overview": check_body(overview or ""),
             "next_steps": check_body(next_steps or "")}
    if not parts["current_status"].strip():
        raise DomainError("say where things stand now", field="current_status")
    with change():
        incident = db.session.get(Incident, incident_id)
        if incident is None or incident.is_maintenance:
            raise NotFound(f"no incident with id {incident_id!r}", field="incident_id")
        at = utcnow()
        update = IncidentUpdate(incident=incident, status=incident.status, body=summary_body(parts),
                                visibility="internal", kind="summary", display_at=at, created_at=at,
                                author_id=actor.user_id, deliver_notifications=True)
        db.session.add(update)
        db.session.flush()
        record(actor, "incident.summary", "incident", incident.id, incident.name,
               after={"update": describe_update(update)})
        dispatch.enqueue("incident.summary", incident, update, {"to": ["leadership"]})
        bump_site_version(public=False)
    return update


def set_leader_preference(actor: Actor, subscriber: Subscriber, mode: str | None) -> Subscriber:
    """Put an internal subscriber in the leadership audience (``major``: immediate notices of P1/P2 and major
    incidents; ``all``: of every incident; ``digest``: a daily email instead) or take it out (None). Audited."""
    mode = mode or None
    if mode is not None and mode not in LEADERSHIP_MODES:
        raise DomainError(f"leadership notices must be one of {', '.join(LEADERSHIP_MODES)} or none",
                          field="leadership")
    if mode is not None and subscriber.audience != "internal":
        raise DomainError("only internal subscribers can be in the leadership audience", field="leadership")
    with change():
        before = {"leadership": subscriber.leadership}
        subscriber.leadership = mode
        record(actor, "subscriber.leadership", "subscriber", subscriber.public_id,
               f"{subscriber.channel} subscriber ({subscriber.audience})", before=before, after={"leadership": mode})
    return subscriber
