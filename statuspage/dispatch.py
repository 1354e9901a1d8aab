"""The outbox. ``enqueue`` runs inside the writer's transaction and only adds one row, whatever the number
of subscribers; workers expand, claim and deliver later.

Life of a delivery: ``expand_events`` inserts one ``pending`` row per matching subscriber (unique per
event+subscriber, so expansion can be retried); ``claim_due`` moves due rows to ``claimed`` with a lease and
commits before any network I/O; ``record_results`` marks each ``sent``, back to ``pending`` later (exponential
backoff, full jitter) or ``dead`` with the reason; ``release_expired_leases`` hands rows of a vanished worker
back to ``pending``. Delivery is at-least-once: webhooks carry ``idempotency_key`` so receivers can dedupe.
"""
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .domain import leadership_audience
from .domain.recording import SYSTEM, record
from .domain.status import IMPACT_RANK
from .extensions import db
from .models import (
    Delivery,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    NotificationEvent,
    Subscriber,
    SubscriberComponent,
)
from .models.columns import utcnow

DEFAULTS = {"RETRY_BASE_SECONDS": 15.0, "RETRY_MAX_SECONDS": 3600.0, "MAX_ATTEMPTS": 10,
            "LEASE_SECONDS": 120.0}


def enqueue(kind: str, incident: Incident | None, update: IncidentUpdate | None,
            payload: dict | None = None, subscriber_id: int | None = None) -> NotificationEvent:
    """Add one notification event to the current transaction (no commit, no I/O)."""
    payload = dict(payload or {})
    if (incident is not None and incident.visibility == "internal") or (
            update is not None and update.visibility == "internal"):
        payload["staff_only"] = True  # written for staff: stays so if the incident is made public before expansion
    event = NotificationEvent(kind=kind, incident_id=incident.id if incident else None,
                              update_id=update.id if update else None, subscriber_id=subscriber_id,
                              payload=payload)
    db.session.add(event)
    return event


def setting(name: str) -> float:
    """A delivery setting: app config ``name``, else env ``STATUSPAGE_<name>``, else the default."""
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(f"STATUSPAGE_{name}") or DEFAULTS[name]
    return type(DEFAULTS[name])(value)


def idempotency_key(event_id: int, subscriber_public_id: str) -> str:
    """Stable for one delivery across retries and workers, so a receiver can drop duplicates."""
    return f"{event_id}-{subscriber_public_id}"


# --- expansion -------------------------------------------------------------------------------------------

CHANNEL_SETTINGS = {"email": ("email", "SMTP_URL"), "sms": ("SMS", "SMS_URL")}


def unavailable_reason(channel: str) -> str | None:
    """Why this installation cannot send on ``channel`` (email needs an SMTP URL, SMS a provider URL), or None.

    Expansion does not filter on it: every subscriber of an event gets a delivery row, and the worker records
    this reason on the row (dead), so a missing setting shows in the console and ``statuspage deliveries``
    instead of nothing happening at all."""
    label, name = CHANNEL_SETTINGS.get(channel, (channel, None))
    if name is None or current_app.config.get(name):
        return None
    return f"{label} is not configured: set STATUSPAGE_{name}"


def audience_filter(event: NotificationEvent, incident: Incident | None):
    """A WHERE clause on Subscriber for who should hear of ``event`` (None for a targeted event)."""
    update_row = db.session.get(IncidentUpdate, event.update_id) if event.update_id else None
    internal = (incident is not None and incident.visibility == "internal") or (
        update_row is not None and update_row.visibility == "internal") or (
        isinstance(event.payload, dict) and bool(event.payload.get("staff_only")))
    clauses = [Subscriber.confirmed_at.is_not(None), Subscriber.disabled_at.is_(None)]
    if isinstance(event.payload, dict) and event.payload.get("to"):  # to leaders or an owner: no filters
        return clauses + [leadership_audience.recipients(event.payload, incident)]
    if internal:
        clauses.append(Subscriber.audience == "internal")
    if incident is not None:
        clauses.append(leadership_audience.regular(incident))
        if isinstance(event.payload, dict) and event.payload.get("except_leaders"):  # told by incident.major
            clauses.append(leadership_audience.not_leaders(incident))
        component_ids = select(IncidentComponent.component_id).where(
            IncidentComponent.incident_id == incident.id)
        if db.session.execute(component_ids.limit(1)).first() is not None:
            follows = exists().where(SubscriberComponent.subscriber_id == Subscriber.id,
                                     SubscriberComponent.component_id.in_(component_ids))
            clauses.append(or_(Subscriber.all_components.is_(True), follows))
        if not incident.is_maintenance:
            rank = IMPACT_RANK.get(incident.impact, 0)
            clauses.append(Subscriber.min_impact.in_([i for i, r in IMPACT_RANK.items() if r <= rank]))
    return clauses


def _insert_ignoring_duplicates(rows: list[dict]) -> None:
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Delivery).on_conflict_do_nothing(index_elements=["event_id", "subscriber_id"])
    db.session.execute(statement, rows)


def _delivery_rows(event_id: int, subscriber_ids, now: datetime) -> list[dict]:
    return [{"event_id": event_id, "subscriber_id": sid, "state": "pending", "attempts": 0,
             "next_attempt_at": now, "created_at": now, "updated_at": now} for sid in subscriber_ids]


def _next_event() -> NotificationEvent | None:
    query = (select(NotificationEvent).where(NotificationEvent.expanded_at.is_(None))
             .order_by(NotificationEvent.id).limit(1))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # one worker expands an event at a time
    return db.session.scalars(query).first()


def expand_events(batch_size: int = 1000, max_batches: int | None = None) -> int:
    """Turn unexpanded events into pending deliveries, ``batch_size`` subscribers per transaction.

    Progress is kept in ``event.expand_cursor`` (last subscriber id done), so a crash resumes where it
    stopped; duplicates are ignored by the unique (event, subscriber) constraint. Returns rows inserted.
    """
    inserted = batches = 0
    while max_batches is None or batches < max_batches:
        event = _next_event()
        if event is None:
            db.session.rollback()
            return inserted
        now = utcnow()
        batches += 1
        if event.subscriber_id is not None:  # aimed at one subscriber (confirmation): no filter
            _insert_ignoring_duplicates(_delivery_rows(event.id, [event.subscriber_id], now))
            inserted += 1
            event.expanded_at = now
            db.session.commit()
            continue
        incident = db.session.get(Incident, event.incident_id) if event.incident_id else None
        if incident is None and event.kind.startswith(("incident.", "maintenance.")):
            event.expanded_at = now  # the incident was deleted before anyone was told
            db.session.commit()
            continue
        matching = audience_filter(event, incident)
        ids = db.session.scalars(select(Subscriber.id).where(Subscriber.id > event.expand_cursor, *matching)
                                 .order_by(Subscriber.id).limit(batch_size)).all()
        if ids:
            _insert_ignoring_duplicates(_delivery_rows(event.id, ids, now))
            inserted += len(ids)
            event.expand_cursor = ids[-1]
        if len(ids) < batch_size:
            event.expanded_at = now
        db.session.commit()
    return inserted


# --- claiming and results --------------------------------------------------------------------------------

def claim_due(worker_name: str, limit: int = 50, lease_seconds: float | None = None) -> list[int]:
    """Claim up to ``limit`` due deliveries for ``worker_name`` and COMMIT; returns their ids.

    On PostgreSQL the due rows are picked with FOR UPDATE SKIP LOCKED, so concurrent workers never claim the
    same row; the UPDATE re-checks ``state`` so a row claimed meanwhile (SQLite) is not taken twice. (A
    single UPDATE … WHERE id IN (SELECT … LIMIT … SKIP LOCKED) is not used: PostgreSQL may re-run the
    subquery and claim more than ``limit`` rows.)
    """
    now = utcnow()
    lease = now + timedelta(seconds=lease_seconds if lease_seconds is not None else setting("LEASE_SECONDS"))
    due = db.session.scalars(
        select(Delivery.id).where(Delivery.state == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit).with_for_update(skip_locked=True)).all()
    claimed = []
    if due:
        claimed = db.session.scalars(
            update(Delivery).where(Delivery.id.in_(due), Delivery.state == "pending")
            .values(state="claimed", claimed_by=worker_name, lease_expires_at=lease, updated_at=now)
            .returning(Delivery.id).execution_options(synchronize_session=False)).all()
    db.session.commit()
    return sorted(claimed)


def backoff_seconds(attempts: int) -> float:
    """Full jitter: uniform between 0 and min(max, base * 2^(attempts-1))."""
    ceiling = min(setting("RETRY_MAX_SECONDS"), setting("RETRY_BASE_SECONDS") * 2 ** max(attempts - 1, 0))
    return random.uniform(0, ceiling)


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed delivery. ``blame_target``: the address itself is bad (404, invalid
    number), so the subscriber is disabled as well."""

    delivery_id: int
    sent: bool
    reason: str = ""
    permanent: bool = False
    blame_target: bool = False
    skipped: bool = False  # not attempted (subscriber disabled meanwhile): discarded


def record_results(worker_name: str, outcomes: list[Outcome]) -> None:
    """Record outcomes in one transaction. A row this worker no longer holds (its lease expired and it was
    claimed again, or given up as dead) is only updated when it was sent: a message that went out is recorded
    as sent, whatever the row said meanwhile."""
    now = utcnow()
    max_attempts = int(setting("MAX_ATTEMPTS"))
    # One query for the whole batch; the loop below then finds every row in the identity map.
    loaded = {d.id: d for d in db.session.scalars(
        select(Delivery).where(Delivery.id.in_([o.delivery_id for o in outcomes])))}
    for outcome in outcomes:
        delivery = loaded.get(outcome.delivery_id)
        if delivery is None:
            continue
        if outcome.sent:
            if delivery.state != "sent":
                delivery.state, delivery.sent_at, delivery.last_error = "sent", now, None
                # The lease ends; claimed_by keeps which worker sent it (operators trace duplicates by it).
                delivery.claimed_by, delivery.lease_expires_at = worker_name, None
                delivery.attempts += 1
            continue
        if delivery.state != "claimed" or delivery.claimed_by != worker_name:
            continue
        delivery.lease_expires_at = delivery.claimed_by = None
        delivery.last_error = outcome.reason[:2000]
        if outcome.skipped:
            delivery.state = "discarded"
            continue
        delivery.attempts += 1
        if outcome.permanent or delivery.attempts >= max_attempts:
            delivery.state = "dead"
            if not outcome.permanent:
                delivery.last_error = f"gave up after {delivery.attempts} attempts: {outcome.reason}"[:2000]
            if outcome.blame_target:
                flag_subscriber(delivery.subscriber_id, outcome.reason)
        else:
            delivery.state = "pending"
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
    db.session.commit()


def release_expired_leases(now: datetime | None = None) -> int:
    """Claimed deliveries whose lease ran out (their worker died or hung) go back to pending; each such
    expiry counts as an attempt so a message that kills workers ends up dead instead of looping."""
    now = now or utcnow()
    max_attempts = int(setting("MAX_ATTEMPTS"))
    expired = (Delivery.state == "claimed", Delivery.lease_expires_at < now)
    reason = "the worker holding it stopped before recording a result (lease expired)"
    db.session.execute(update(Delivery).where(*expired, Delivery.attempts + 1 >= max_attempts)
                       .values(state="dead", attempts=Delivery.attempts + 1, claimed_by=None,
                               lease_expires_at=None, last_error=reason, updated_at=now)
                       .execution_options(synchronize_session=False))
    released = db.session.execute(
        update(Delivery).where(*expired)
        .values(state="pending", attempts=Delivery.attempts + 1, claimed_by=None, lease_expires_at=None,
                next_attempt_at=Delivery.lease_expires_at, last_error=reason, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return released


def flag_subscriber(subscriber_id: int, reason: str) -> None:
    """Disable a subscriber whose target refused permanently (404, 410, invalid number), audited."""
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.disabled_at is not None:
        return
    subscriber.disabled_at = utcnow()
    subscriber.disabled_reason = f"delivery failed permanently: {reason}"[:500]
    record(SYSTEM, "subscriber.disable", "subscriber", subscriber.id, f"{subscriber.channel} subscriber",
           before={"disabled_at": None}, after={"disabled_at": subscriber.disabled_at,
                                                "disabled_reason": subscriber.disabled_reason})
