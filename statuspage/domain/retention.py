"""Retention: the outbox and the sign-up list keep what is still needed, not everything forever.

After ``RETENTION_DAYS`` (STATUSPAGE_RETENTION_DAYS, default 90) ``purge`` deletes deliveries that are done
(sent, dead or discarded), events that are fully expanded and have no delivery left, and sign-ups never
confirmed (a disabled subscriber is kept: it is a block that must outlive a re-subscribe), and alerts received
from monitoring that resolved, or that their sender stopped repeating, that long ago. The worker's clock
runs it at most once per PURGE_INTERVAL; ``statuspage purge`` runs it on demand. Each purge that deletes
anything is audited with its counts.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, select

from ..extensions import db
from ..models import Delivery, NotificationEvent, ReceivedAlert, Subscriber
from ..models.columns import utcnow
from .recording import SYSTEM, Actor, DomainError, change, record

DEFAULT_RETENTION_DAYS = 90
PURGE_INTERVAL = timedelta(hours=1)
DONE_STATES = ("sent", "dead", "discarded")


def purge(actor: Actor = SYSTEM, now: datetime | None = None, days: int | None = None,
          audit_empty: bool = False) -> dict[str, int]:
    """Delete what is older than ``days`` (default: the configured retention) at ``now``, in one
    transaction; returns how many deliveries, events and unconfirmed subscribers went."""
    days = current_app.config.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS) if days is None else days
    if not isinstance(days, int) or days < 1:
        raise DomainError("the retention must be a whole number of days, at least 1", field="days")
    cutoff = (now or utcnow()) - timedelta(days=days)
    with change():
        # Their deliveries and their confirmation events go with them (ON DELETE CASCADE).
        signups = db.session.execute(delete(Subscriber).where(
            Subscriber.confirmed_at.is_(None), Subscriber.disabled_at.is_(None),
            func.coalesce(Subscriber.confirmation_sent_at, Subscriber.created_at) < cutoff)).rowcount
        deliveries = db.session.execute(delete(Delivery).where(
            Delivery.state.in_(DONE_STATES), Delivery.updated_at < cutoff)).rowcount
        events = db.session.execute(delete(NotificationEvent).where(
            NotificationEvent.expanded_at.is_not(None), NotificationEvent.created_at < cutoff,
            ~exists(select(Delivery.id).where(Delivery.event_id == NotificationEvent.id)))).rowcount
        alerts = db.session.execute(delete(ReceivedAlert).where(ReceivedAlert.last_seen_at < cutoff)).rowcount
        counts = {"deliveries": deliveries, "events": events, "unconfirmed_subscribers": signups,
                  "received_alerts": alerts}
        if audit_empty or any(counts.values()):
            record(actor, "retention.purge", "outbox", "*", f"older than {days} days",
                   after=counts | {"days": days, "cutoff": cutoff})
    return counts


def purge_if_due(now: datetime) -> dict[str, int] | None:
    """The clock's purge: at most once per PURGE_INTERVAL in this process (None when not due)."""
    state = current_app.extensions.setdefault("statuspage.retention", {})
    last = state.get("last_purge")
    if last is not None and abs(now - last) < PURGE_INTERVAL:
        return None
    state["last_purge"] = now
    return purge(SYSTEM, now)
