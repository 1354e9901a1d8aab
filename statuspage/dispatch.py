"""The outbox. ``enqueue`` runs inside the writer's transaction and only adds one row, whatever the number
of subscribers; workers expand, claim and deliver later."""
from .extensions import db
from .models import Incident, IncidentUpdate, NotificationEvent


def enqueue(kind: str, incident: Incident | None, update: IncidentUpdate | None,
            payload: dict | None = None, subscriber_id: int | None = None) -> NotificationEvent:
    """Add one notification event to the current transaction (no commit, no I/O)."""
    event = NotificationEvent(kind=kind, incident_id=incident.id if incident else None,
                              update_id=update.id if update else None, subscriber_id=subscriber_id,
                              payload=payload or {})
    db.session.add(event)
    return event
