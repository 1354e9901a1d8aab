"""Claiming and recording deliveries (the outbox's second half, see ``statuspage.dispatch``): the claim query
with its ordering rules, outcomes, backoff, expired leases."""
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from psycopg import adapters as psycopg_adapters
from psycopg import postgres
from psycopg.adapt import Dumper
from sqlalchemy import Integer, TypeDecorator, and_, any_, bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from .domain.recording import SYSTEM, record
from .extensions import db
from .models import Delivery, Subscriber
from .models.columns import UTCDateTime, utcnow
from .telemetry import count_sent


def in_ids(column, postgresql: bool):
    """``column IN :ids``. On PostgreSQL one array parameter (``= ANY(:ids)``): the statement's text is the same
    whatever the number of ids, so it is compiled and converted once and the driver can prepare it; a list of
    hundreds of placeholders elsewhere."""
    if postgresql:
        return column == any_(bindparam("ids", type_=_IdArray()))
    return column.in_(bindparam("ids", expanding=True))


class _Ids(list):
    """A list of ids bound as one ``integer[]`` parameter (`_IdsDumper`)."""


class _IdsDumper(Dumper):
    """``integer[]`` in PostgreSQL's text form, joined in C: psycopg's list dumper converts element by element in
    Python (1.3 µs an id, and a fan-out sends each delivery's id four times)."""

    oid = postgres.types["int4"].array_oid

    def dump(self, obj: list[int]) -> bytes:
        return b"{" + ",".join(map(str, map(int, obj))).encode() + b"}"


class _IdArray(TypeDecorator):
    """``integer[]`` bound as `_Ids`: the statement (and PostgreSQL's plan) of ``ARRAY(Integer)``."""

    impl = ARRAY(Integer)
    cache_ok = True

    def bind_processor(self, dialect):
        return _Ids


psycopg_adapters.register_dumper(_Ids, _IdsDumper)


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def setting(name: str) -> float:
    """A delivery setting from the app config (``statuspage.config``: env ``STATUSPAGE_<name>``)."""
    return float(current_app.config[name])


# --- claiming and results --------------------------------------------------------------------------------

def claim_due(worker_name: str, limit: int = 50, lease_seconds: float | None = None,
              channel: str | None = None) -> list[int]:
    """Claim up to ``limit`` due deliveries (of ``channel``'s lane, or any) for ``worker_name`` and COMMIT;
    returns their ids, in order (`claim_due_rows`)."""
    return sorted(row[0] for row in claim_due_rows(worker_name, limit, lease_seconds, channel))


def claim_due_rows(worker_name: str, limit: int = 50, lease_seconds: float | None = None,
                   channel: str | None = None, statement=None) -> list:
    """Claim up to ``limit`` due deliveries (of ``channel``'s lane, or any) for ``worker_name`` and COMMIT;
    returns the rows ``statement`` returns (`claim_update` with a RETURNING; by default the id alone).

    Order: priority first (confirmations and notices to leaders), then each delivery's rank within its event,
    so events interleave: a new event's first deliveries go out before an old event's 50,000th, and a large
    fan-out never starves a later one. A delivery is not claimed while the same subscriber has an earlier
    delivery of the same incident pending or being sent (``_waiting_for_earlier``): updates arrive in order
    unless the earlier one is dead or discarded.

    On PostgreSQL the due rows are picked with FOR UPDATE SKIP LOCKED, so concurrent workers never claim the
    same row; the UPDATE re-checks ``state`` so a row claimed meanwhile (SQLite) is not taken twice. (A
    single UPDATE … WHERE id IN (SELECT … LIMIT … SKIP LOCKED) is not used: PostgreSQL may re-run the
    subquery and claim more than ``limit`` rows.)
    """
    now = utcnow()
    lease = now + timedelta(seconds=lease_seconds if lease_seconds is not None else setting("LEASE_SECONDS"))
    due = db.session.scalars(_due_query(channel is not None),
                             {"now": now, "limit": limit * 2, "channel": channel}).all()
    if due:
        waiting = _waiting_for_earlier(due, now)
        due = [i for i in due if i not in waiting][:limit]
    claimed = []
    if due:
        statement = statement if statement is not None else _claim_returning_id(on_postgresql())
        claimed = db.session.execute(statement, {"ids": due, "worker": worker_name, "lease": lease, "now": now}).all()
    db.session.commit()
    return claimed


@cache
def _due_query(by_channel: bool):
    """The claim SELECT (built once: an ORM statement costs milliseconds to build), read in the order of the
    lane's index so it stops after ``limit`` rows."""
    delivery = Delivery.__table__
    query = (select(delivery.c.id)
             .where(delivery.c.state == "pending", delivery.c.next_attempt_at <= bindparam("now", type_=UTCDateTime()))
             .order_by(delivery.c.priority, delivery.c.seq, delivery.c.id)
             .limit(bindparam("limit", type_=Integer())).with_for_update(skip_locked=True))
    return query.where(delivery.c.channel == bindparam("channel")) if by_channel else query


def claim_update(postgresql: bool):
    """The claim's UPDATE of the chosen rows (if still pending), without a RETURNING: `claim_due_rows` runs it
    with one (added, and the statement built once, by its caller)."""
    delivery = Delivery.__table__
    return (update(delivery).where(in_ids(delivery.c.id, postgresql), delivery.c.state == "pending")
            .values(state="claimed", claimed_by=bindparam("worker"),
                    lease_expires_at=bindparam("lease", type_=UTCDateTime()),
                    updated_at=bindparam("now", type_=UTCDateTime())))


@cache
def _claim_returning_id(postgresql: bool):
    return claim_update(postgresql).returning(Delivery.__table__.c.id)


@cache
def _earlier_query(postgresql: bool):
    """(id, latest retry time of an earlier one) of candidates whose subscriber has an earlier delivery of
    the same incident still pending or claimed."""
    delivery, earlier = Delivery.__table__, Delivery.__table__.alias("earlier")
    return (select(delivery.c.id, func.max(case((earlier.c.state == "pending", earlier.c.next_attempt_at)),
                                               type_=UTCDateTime()))
            .select_from(delivery.join(earlier, and_(earlier.c.subscriber_id == delivery.c.subscriber_id,
                                                     earlier.c.incident_id == delivery.c.incident_id,
                                                     earlier.c.event_id < delivery.c.event_id,
                                                     earlier.c.state.in_(("pending", "claimed")))))
            .where(in_ids(delivery.c.id, postgresql)).group_by(delivery.c.id))


def _waiting_for_earlier(ids: list[int], now: datetime) -> set[int]:
    """Which of ``ids`` must wait for an earlier delivery to the same subscriber. One whose earlier delivery
    waits for a retry later is put off until just after it (so it leaves the head of the queue); one whose
    earlier delivery is being sent or due now stays due and is simply not claimed this time."""
    rows = db.session.execute(_earlier_query(on_postgresql()), {"ids": ids}).all()
    later = {}
    for delivery_id, retry_at in rows:
        if retry_at is not None and retry_at > now:
            later.setdefault(retry_at + timedelta(milliseconds=100), []).append(delivery_id)
    for until, put_off in later.items():
        db.session.execute(update(Delivery).where(Delivery.id.in_(put_off)).values(next_attempt_at=until)
                           .execution_options(synchronize_session=False))
    return {delivery_id for delivery_id, _ in rows}


def fill_lanes() -> int:
    """Give rows written without a channel (older code, hand-made rows) their subscriber's channel."""
    channel = select(Subscriber.channel).where(Subscriber.id == Delivery.subscriber_id).scalar_subquery()
    filled = db.session.execute(update(Delivery).where(Delivery.channel.is_(None), Delivery.state == "pending")
                                .values(channel=channel).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return filled


def backoff_seconds(attempts: int) -> float:
    """Full jitter: uniform between 0 and min(max, base * 2^(attempts-1))."""
    ceiling = min(setting("RETRY_MAX_SECONDS"), setting("RETRY_BASE_SECONDS") * 2 ** max(attempts - 1, 0))
    return random.uniform(0, ceiling)


@dataclass(slots=True)
class Outcome:
    """What happened to one claimed delivery. ``blame_target``: the address itself is bad (404, invalid
    number), so the subscriber is disabled as well. Not changed once made (not frozen: see `statuspage.jobs.Job`)."""

    delivery_id: int
    sent: bool
    reason: str = ""
    permanent: bool = False
    blame_target: bool = False
    skipped: bool = False  # not attempted (subscriber disabled meanwhile): discarded
    held_until: datetime | None = None  # not attempted (its destination's breaker is open): pending again then
    destination: str = ""  # where it was sent (statuspage.breakers), "" when unknown
    unreachable: bool = False  # a timeout or connection failure: counts towards the destination's breaker


def record_results(worker_name: str, outcomes: list[Outcome]) -> None:
    """Record outcomes in one transaction. A row this worker no longer holds (its lease expired and it was
    claimed again, or given up as dead) is only updated when it was sent: a message that went out is recorded
    as sent, whatever the row said meanwhile."""
    now = utcnow()
    sent = [outcome.delivery_id for outcome in outcomes if outcome.sent]
    channels = _record_sent(worker_name, sent, now) if sent else []
    failed = [outcome for outcome in outcomes if not outcome.sent]
    if failed:
        _record_failures(worker_name, failed, now)
    db.session.commit()
    count_sent(channels)


def _record_sent(worker_name: str, ids: list[int], now: datetime) -> list[str]:
    """Mark ``ids`` sent in one UPDATE (the bulk of a fan-out: no row travels through the ORM); returns the
    channel of each row that was not sent already. The lease ends; claimed_by keeps which worker sent it
    (operators trace duplicates by it)."""
    return db.session.scalars(_sent_update(on_postgresql()), {"ids": ids, "now": now, "worker": worker_name}).all()


@cache
def _sent_update(postgresql: bool):
    delivery = Delivery.__table__
    now = bindparam("now", type_=UTCDateTime())
    return (update(delivery).where(in_ids(delivery.c.id, postgresql), delivery.c.state != "sent")
            .values(state="sent", sent_at=now, updated_at=now, last_error=None, claimed_by=bindparam("worker"),
                    lease_expires_at=None, attempts=delivery.c.attempts + 1)
            .returning(delivery.c.channel))


def _record_failures(worker_name: str, outcomes: list[Outcome], now: datetime) -> None:
    max_attempts = int(setting("MAX_ATTEMPTS"))
    # One query for the whole batch; the loop below then finds every row in the identity map.
    loaded = {d.id: d for d in db.session.scalars(
        select(Delivery).where(Delivery.id.in_([o.delivery_id for o in outcomes])))}
    for outcome in outcomes:
        delivery = loaded.get(outcome.delivery_id)
        if delivery is None:
            continue
        if delivery.state != "claimed" or delivery.claimed_by != worker_name:
            continue
        delivery.lease_expires_at = delivery.claimed_by = None
        if outcome.held_until is not None:  # not the subscriber's failure: no attempt counted
            delivery.state, delivery.next_attempt_at = "pending", outcome.held_until
            delivery.last_error = outcome.reason[:2000] or delivery.last_error
            continue
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
