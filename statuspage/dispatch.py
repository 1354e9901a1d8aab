"""The outbox. ``enqueue`` runs inside the writer's transaction and only adds one row, whatever the number
of subscribers; workers expand, claim and deliver later.

Life of a delivery: ``expand_events`` inserts one ``pending`` row per matching subscriber (unique per
event+subscriber, so expansion can be retried); ``claim_due`` moves due rows to ``claimed`` with a lease and
commits before any network I/O; ``record_results`` marks each ``sent``, back to ``pending`` later (exponential
backoff, full jitter) or ``dead`` with the reason; ``release_expired_leases`` hands rows of a vanished worker
back to ``pending``. Delivery is at-least-once: webhooks carry ``idempotency_key`` so receivers can dedupe.
"""
from datetime import datetime
from functools import cache

from sqlalchemy import String, exists, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from .claims import (  # noqa: F401  (the outbox's API: claiming and recording live in statuspage.claims)
    Outcome,
    backoff_seconds,
    claim_due,
    fill_lanes,
    flag_subscriber,
    on_postgresql,
    record_results,
    release_expired_leases,
    setting,
)
from .domain import leadership_audience
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
from .models.columns import UTCDateTime, utcnow


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


def idempotency_key(event_id: int, subscriber_public_id: str) -> str:
    """Stable for one delivery across retries and workers, so a receiver can drop duplicates."""
    return f"{event_id}-{subscriber_public_id}"


# --- expansion -------------------------------------------------------------------------------------------

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


def event_priority(event: NotificationEvent) -> int:
    """0 for what must never wait behind a bulk fan-out (confirmations, a notice to leaders or an owner), 1 else."""
    to = (event.payload or {}).get("to") if isinstance(event.payload, dict) else None
    return 0 if event.subscriber_id is not None or (to and ({"leadership", "owner"} & set(to))) else 1


def _delivery_rows(event: NotificationEvent, subscribers, now: datetime) -> list[dict]:
    """Pending rows for ``subscribers`` ((id, channel) pairs in id order), ranked after the event's rows so far."""
    priority, start = event_priority(event), event.expanded_count or 0
    event.expanded_count = start + len(subscribers)
    return [{"event_id": event.id, "subscriber_id": sid, "state": "pending", "attempts": 0, "next_attempt_at": now,
             "created_at": now, "updated_at": now, "channel": channel, "priority": priority, "seq": start + n,
             "incident_id": event.incident_id} for n, (sid, channel) in enumerate(subscribers, 1)]


def _next_event() -> NotificationEvent | None:
    """The oldest event not yet expanded, but never one whose incident has an earlier event still being
    expanded (by another worker): one subscriber's later update must not get its delivery row first."""
    return db.session.scalars(_next_event_query(on_postgresql())).first()


@cache
def _next_event_query(postgresql: bool):
    """Built once: the worker asks five times a second, and building it (an alias and its columns) cost more
    than running it."""
    earlier = aliased(NotificationEvent)
    query = (select(NotificationEvent).where(
        NotificationEvent.expanded_at.is_(None),
        ~exists().where(earlier.incident_id == NotificationEvent.incident_id, earlier.id < NotificationEvent.id,
                        earlier.expanded_at.is_(None)))
        .order_by(NotificationEvent.id).limit(1))
    if postgresql:
        query = query.with_for_update(skip_locked=True)  # one worker expands an event at a time
    return query


def expand_events(batch_size: int = 5000, max_batches: int | None = None) -> int:
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
            channel = db.session.scalar(select(Subscriber.channel).where(Subscriber.id == event.subscriber_id))
            _insert_ignoring_duplicates(_delivery_rows(event, [(event.subscriber_id, channel)], now))
            inserted += 1
            event.expanded_at = now
            db.session.commit()
            continue
        incident = db.session.get(Incident, event.incident_id) if event.incident_id else None
        if incident is None and event.kind.startswith(("incident.", "maintenance.")):
            event.expanded_at = now  # the incident was deleted before anyone was told
            db.session.commit()
            continue
        matching = [Subscriber.id > event.expand_cursor, *audience_filter(event, incident)]
        last = db.session.scalar(select(Subscriber.id).where(*matching).order_by(Subscriber.id)
                                 .offset(batch_size - 1).limit(1))  # the batch's last subscriber, if it is full
        inserted += _insert_matching(event, matching + ([Subscriber.id <= last] if last is not None else []), now)
        if last is None:
            event.expanded_at = now
        else:
            event.expand_cursor = last
        db.session.commit()
    return inserted


def _insert_matching(event: NotificationEvent, where: list, now: datetime) -> int:
    """One INSERT … SELECT of a pending row per subscriber matching ``where``, ranked after the event's rows so
    far (no subscriber id travels through Python: 20,000 rows take a fraction of a second)."""
    priority, start = event_priority(event), event.expanded_count or 0
    columns = {"event_id": literal(event.id), "subscriber_id": Subscriber.id, "state": literal("pending"),
               "attempts": literal(0), "next_attempt_at": literal(now, UTCDateTime()),
               "created_at": literal(now, UTCDateTime()), "updated_at": literal(now, UTCDateTime()),
               "channel": Subscriber.channel, "priority": literal(priority),
               "seq": literal(start) + func.row_number().over(order_by=Subscriber.id),
               "incident_id": literal(event.incident_id, String(16))}
    postgres = on_postgresql()
    statement = ((postgresql if postgres else sqlite).insert(Delivery)
                 .from_select(list(columns), select(*columns.values()).where(*where))
                 .on_conflict_do_nothing(index_elements=["event_id", "subscriber_id"])
                 .returning(Delivery.__table__.c.id))
    if postgres:  # counted there: 5,000 ids fetched and counted in Python held the worker's interpreter
        count = db.session.connection().execute(select(func.count()).select_from(statement.cte("added"))).scalar()
    else:  # (SQLite runs no INSERT inside a WITH)
        count = len(db.session.connection().execute(statement).all())
    event.expanded_count = start + count
    return count


