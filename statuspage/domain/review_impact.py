"""What a post-incident review computes from the record rather than from memory: the impact figures and the
seed of its timeline.

Impact: the duration (started → resolved, or so far), the affected components, the uptime each lost inside the
incident's window (from ``ComponentStatusChange``, weighted like the uptime bars: a minute of major outage counts
``UPTIME_WEIGHT_MAJOR``, of partial outage ``UPTIME_WEIGHT_PARTIAL``...), and who was told (sent ``Delivery``
rows of the incident's events). The timeline seed merges updates, component status changes, the acknowledgement,
the mitigation, the resolution and the notifications sent, in time order, as a Markdown list the manager edits.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import ComponentStatusChange, Delivery, Incident, NotificationEvent, User
from ..models.columns import utcnow
from ..rendering import human_duration, zone
from .overview import weights
from .status import COMPONENT_STATUS_LABEL
from .visibility import INTERNAL, visible_components_of


@dataclass(frozen=True)
class ComponentLoss:
    name: str
    lost: timedelta  # weighted time out of service inside the incident's window
    by_status: dict = field(default_factory=dict)  # {status: unweighted time spent in it}


@dataclass(frozen=True)
class Impact:
    started_at: datetime
    ended_at: datetime
    duration: timedelta
    components: list[ComponentLoss]
    uptime_lost: timedelta  # summed over components
    notifications_sent: int
    subscribers_notified: int


def _time_in_statuses(component_id: str, start: datetime, end: datetime) -> dict[str, timedelta]:
    """How long the component spent in each status within [start, end], from its history."""
    before = db.session.scalars(
        select(ComponentStatusChange).where(ComponentStatusChange.component_id == component_id,
                                            ComponentStatusChange.changed_at <= start)
        .order_by(ComponentStatusChange.changed_at.desc(), ComponentStatusChange.id.desc()).limit(1)).first()
    inside = db.session.scalars(
        select(ComponentStatusChange).where(ComponentStatusChange.component_id == component_id,
                                            ComponentStatusChange.changed_at > start,
                                            ComponentStatusChange.changed_at < end)
        .order_by(ComponentStatusChange.changed_at, ComponentStatusChange.id)).all()
    if before is not None:
        status = before.new_status
    else:  # no history before the window: the first change inside it says what it was changed from
        status = (inside[0].old_status if inside else None) or "operational"
    spent: dict[str, timedelta] = {}
    cursor = start
    for row in inside:
        spent[status] = spent.get(status, timedelta()) + (row.changed_at - cursor)
        status, cursor = row.new_status, row.changed_at
    spent[status] = spent.get(status, timedelta()) + (end - cursor)
    return {s: t for s, t in spent.items() if t > timedelta()}


def impact_of(incident: Incident, now: datetime | None = None, audience: str = INTERNAL) -> Impact:
    """The incident's impact figures as of ``now`` (an open incident's window runs to ``now``), over the
    components ``audience`` may see (a published review is read by the public: never an internal one)."""
    now = now or utcnow()
    start, end = incident.started_at, incident.resolved_at or now
    end = max(end, start)
    weight = weights()
    losses = []
    for component in sorted(visible_components_of(incident, audience), key=lambda c: c.name):
        spent = _time_in_statuses(component.id, start, end)
        lost = sum((t * weight.get(s, 0.0) for s, t in spent.items()), timedelta())
        losses.append(ComponentLoss(component.name, timedelta(seconds=round(lost.total_seconds())),
                                    {s: t for s, t in spent.items() if s != "operational"}))
    sent = (select(Delivery).join(NotificationEvent, Delivery.event_id == NotificationEvent.id)
            .where(NotificationEvent.incident_id == incident.id, Delivery.state == "sent").subquery())
    rows, people = db.session.execute(
        select(func.count(sent.c.id), func.count(func.distinct(sent.c.subscriber_id)))).one()
    return Impact(start, end, end - start, losses, sum((c.lost for c in losses), timedelta()), rows, people)


def impact_markdown(impact: Impact) -> str:
    """The impact section as Markdown (it is computed, so it is not an editable section)."""
    lines = [f"- **Duration:** {human_duration(impact.duration) or 'less than a minute'}"]
    if impact.components:
        lines.append("- **Components:** " + ", ".join(c.name for c in impact.components))
        for c in impact.components:
            spent = ", ".join(f"{COMPONENT_STATUS_LABEL.get(s, s).lower()} {human_duration(t)}"
                              for s, t in c.by_status.items())
            lines.append(f"  - {c.name}: uptime lost {human_duration(c.lost) or 'none'}"
                         + (f" ({spent})" if spent else ""))
    else:
        lines.append("- **Components:** none recorded")
    lines.append(f"- **Uptime lost:** {human_duration(impact.uptime_lost) or 'none'}")
    lines.append(f"- **Subscribers notified:** {impact.subscribers_notified} "
                 f"({impact.notifications_sent} notification{'s' if impact.notifications_sent != 1 else ''} sent)")
    return "\n".join(lines)


def _first_line(text: str, limit: int = 140) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def timeline_events(incident: Incident) -> list[tuple[datetime, str]]:
    """(time, what happened) for the incident, oldest first; internal notes are included (the review is
    internal until published, and the manager edits the seed before publishing)."""
    events = [(incident.started_at, "Incident started")]
    if incident.detected_at and incident.detected_at != incident.started_at:
        events.append((incident.detected_at, "Detected"))
    if incident.acknowledged_at:
        user = db.session.get(User, incident.acknowledged_by_id) if incident.acknowledged_by_id else None
        who = user.display_name if user else None
        events.append((incident.acknowledged_at, "Acknowledged" + (f" by {who}" if who else "")))
    if incident.mitigated_at:
        events.append((incident.mitigated_at, "Mitigated: users no longer affected"))
    for update in incident.updates:
        kind = "Internal note" if update.visibility == "internal" else f"Update ({update.status})"
        text = _first_line(update.body)
        events.append((update.display_at, kind + (f": {text}" if text else "")))
    changes = db.session.scalars(select(ComponentStatusChange).where(
        ComponentStatusChange.incident_id == incident.id)).all()
    component_names = {c.id: c.name for c in incident.components}
    for row in changes:
        name = component_names.get(row.component_id, row.component_id)
        events.append((row.changed_at, f"{name}: {COMPONENT_STATUS_LABEL.get(row.old_status or '', 'unknown')}"
                                       f" → {COMPONENT_STATUS_LABEL.get(row.new_status, row.new_status)}"))
    sent = db.session.execute(
        select(NotificationEvent.kind, func.min(Delivery.sent_at), func.count(Delivery.id))
        .join(Delivery, Delivery.event_id == NotificationEvent.id)
        .where(NotificationEvent.incident_id == incident.id, Delivery.state == "sent")
        .group_by(NotificationEvent.id, NotificationEvent.kind)).all()
    for kind, first_sent, count in sent:
        events.append((first_sent, f"Notification sent ({kind}) to {count} subscriber{'s' if count != 1 else ''}"))
    if incident.resolved_at:
        events.append((incident.resolved_at, "Resolved"))
    return sorted(events, key=lambda e: e[0])


def timeline_seed(incident: Incident, tz_name: str) -> str:
    """The timeline as an editable Markdown list, times in the site's zone."""
    tz = zone(tz_name)
    return "\n".join(f"- **{at.astimezone(tz):%Y-%m-%d %H:%M %Z}** {text}" for at, text in timeline_events(incident))
