"""The outbox: events written in the publisher's transaction, expanded into one delivery per subscriber."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import UTCDateTime, utcnow

DELIVERY_STATES = ("pending", "claimed", "sent", "dead", "discarded")


class NotificationEvent(db.Model):
    __tablename__ = "notification_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))  # incident.opened, incident.updated, maintenance.reminder, ...
    incident_id: Mapped[str | None] = mapped_column(
        ForeignKey("incident.id", ondelete="SET NULL"), nullable=True
    )
    update_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), nullable=True
    )  # set for events aimed at one subscriber (confirmation)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expand_cursor: Mapped[int] = mapped_column(Integer, default=0)  # last subscriber id expanded
    expanded_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # deliveries so far
    expanded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class Delivery(db.Model):
    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_event.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Copied from the subscriber and event at expansion, so each channel's claim query (``dispatch.claim_due``)
    # reads one index: the channel's lane, priority (0: leaders' notices and confirmations, 1: bulk), the
    # delivery's rank within its event (``seq``: a new event's first deliveries come before an old event's
    # 50,000th) and the incident (one subscriber gets an incident's updates in order).
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    priority: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    incident_id: Mapped[str | None] = mapped_column(String(16), nullable=True)

    __table_args__ = (
        UniqueConstraint("event_id", "subscriber_id", name="uq_delivery_event_subscriber"),
        Index("ix_delivery_due", "state", "next_attempt_at"),
        # The claim's order, pending rows only: a row leaves it when claimed, and claiming and recording a send
        # (two updates of the row) add no entry to it.
        Index("ix_delivery_lane", "channel", "priority", "seq", postgresql_where=text("state = 'pending'"),
              sqlite_where=text("state = 'pending'")),
        # A subscriber's deliveries, by incident and event: the claim's "an earlier update still pending?" check
        # (``claims._waiting_for_earlier``) reads a few entries per candidate whatever the plan.
        Index("ix_delivery_subscriber_incident", "subscriber_id", "incident_id", "event_id"),
    )


class DeliveryBreaker(db.Model):
    """A circuit breaker for one destination (the SMTP relay, the SMS provider, a webhook or chat host),
    shared by every worker process (``statuspage.breakers``). ``state``: closed, open (deliveries to it are
    held until ``retry_at`` without being attempted) or half_open (one worker's probe is in flight)."""

    __tablename__ = "delivery_breaker"

    destination: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="closed")
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive timeouts / connection failures
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    probe_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    info: Mapped[str] = mapped_column(Text, default="")


class ClockNotice(db.Model):
    """A notice the worker's clock has sent, by key (``update-due:<incident>:<due time>``,
    ``sla:<incident>:<timer>:<state>``, ``digest:<date>``): inserting the key is the claim, so several workers
    send each notice once."""

    __tablename__ = "clock_notice"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
