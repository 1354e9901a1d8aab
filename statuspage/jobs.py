"""What the worker sends: a Job (everything one send needs, no database access), the real sender, and the
outcome of one attempt (``attempt``), including one held back by an open circuit breaker."""
import importlib
import logging
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from . import claims, dispatch
from .breakers import destination, held_reason, looks_unreachable
from .claims import in_ids, on_postgresql
from .dispatch import Outcome
from .domain.subscription_rules import unavailable_reason
from .extensions import db
from .models import Delivery, NotificationEvent, Subscriber
from .notifications import EventContexts

log = logging.getLogger("statuspage.worker")
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "notifications"


@dataclass(slots=True)
class Job:
    """One message to one target, with everything a sender needs (no database access). Only the worker's main
    thread changes one (``prepared``, before it is queued; `dataclasses.replace` makes a probe's). Not frozen: a
    frozen dataclass is built four times slower, and a fan-out builds one per delivery."""

    delivery_id: int
    kind: str
    channel: str
    target: str
    context: dict
    idempotency_key: str
    secret: str
    destination: str = ""  # the breaker it counts for (statuspage.breakers.destination)
    probe: bool = False  # the half-open breaker's one test delivery: sent even though the breaker is open
    event_key: tuple | None = None  # (event id, created): deliveries of one event share a render per audience
    rank: tuple = ()  # (priority, rank within its event): the order a lane sends its queued jobs in
    prepared: tuple | None = None  # a webhook's (URL, body), from the sender's ``prepare`` (worker main thread)


class DeliveryFailed(Exception):
    """A sender's failure: ``permanent`` means retrying cannot help; ``blame_target`` that the address
    itself is bad (the subscriber gets disabled); ``unreachable`` that the destination did not answer (a
    timeout, a refused connection: counts towards its circuit breaker)."""

    def __init__(self, reason: str, permanent: bool = False, blame_target: bool | None = None,
                 unreachable: bool | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.blame_target = permanent if blame_target is None else blame_target
        self.unreachable = (not permanent and looks_unreachable(reason)) if unreachable is None else unreachable


class NotifierSender:
    """The real sender: ``notifiers.render`` then ``notifiers.send`` with this installation's settings."""

    def __init__(self, config):
        self.smtp_url = config.get("SMTP_URL", "")
        self.sms_url = config.get("SMS_URL", "")
        self.allow_loopback = bool(config.get("ALLOW_LOOPBACK_WEBHOOKS"))
        self.timeouts = config.get("SEND_TIMEOUTS") or {}  # {channel: (connect, read)} (statuspage.config)

    @staticmethod
    def warm() -> None:
        """Load the transports and Apprise's plugin table now (about a second), not on an incident's first notice."""
        from apprise import Apprise

        import notifiers.render  # noqa: F401
        import notifiers.send  # noqa: F401

        Apprise.instantiate("json://127.0.0.1/")

    def __call__(self, job: Job) -> None:
        send, render_once = _notifiers()
        connect, read = self.timeouts.get(job.channel, (3.0, 8.0))
        if job.channel == "webhook":  # a fan-out's hot path: the body and its signature, no Message or SendConfig
            url, body = job.prepared or self.prepare(job)
            try:
                return send.post_checked_webhook(url, body, job.secret, job.idempotency_key, self.allow_loopback,
                                                 connect, read)
            except send.TransportError as exc:
                raise DeliveryFailed(exc.reason, permanent=bool(exc.permanent)) from exc
        try:
            message = render_once.render_for(job.kind, job.channel, job.context, TEMPLATE_DIR,
                                             event_key=job.event_key)
        except Exception as exc:
            raise _unrenderable(job, exc) from exc
        config = send.SendConfig(smtp_url=self.smtp_url, sms_url=self.sms_url,
                                 allow_loopback_webhooks=self.allow_loopback, webhook_secret=job.secret,
                                 idempotency_key=job.idempotency_key, timeout=read, connect_timeout=connect)
        try:
            send.send(message, job.target, config)
        except send.TransportError as exc:
            raise DeliveryFailed(str(getattr(exc, "reason", exc)), permanent=bool(exc.permanent)) from exc

    def prepare(self, job: Job) -> tuple[str, bytes]:
        """A webhook job's checked URL and its body (rendered once per event and audience, filled for the
        subscriber), or DeliveryFailed. The worker prepares a claimed batch's webhooks in its main thread, one
        after the other, and its sending threads only sign and post: done between two POSTs in a sending
        thread, the same work cost twice as much CPU."""
        send, render_once = _notifiers()
        try:
            body = render_once.webhook_body_for(job.kind, job.context, TEMPLATE_DIR, event_key=job.event_key)
        except Exception as exc:
            raise _unrenderable(job, exc) from exc
        try:
            return send.checked_webhook_url(job.target, self.allow_loopback), body
        except send.TransportError as exc:
            raise DeliveryFailed(exc.reason, permanent=True) from exc


@cache
def _notifiers():
    """The modules notifiers.send and notifiers.render_once, imported on first use, not with this module (the
    web process never loads notifiers). Not a ``from notifiers.send import …`` in each call: importing from a
    module that is not a package raises and swallows an AttributeError (its ``__path__``), 1.5 µs, three times
    per webhook."""
    return importlib.import_module("notifiers.send"), importlib.import_module("notifiers.render_once")


def _unrenderable(job: Job, exc: Exception) -> DeliveryFailed:
    """A template bug is ours, not the subscriber's: dead, subscriber kept."""
    return DeliveryFailed(f"could not render {job.kind} for {job.channel}: {exc}", permanent=True,
                          blame_target=False)


def attempt(sender, job: Job, hold=None) -> Outcome:
    """Send one job and say what happened; never raises. ``hold(destination)`` says until when its breaker
    holds deliveries (checked again here: the breaker may have opened while this job waited for a thread)."""
    until = hold(job.destination) if hold is not None and job.destination and not job.probe else None
    if until is not None:
        return held(job, until)
    try:
        sender(job)
    except Exception as exc:
        return failed(job, exc)
    return Outcome(job.delivery_id, sent=True, destination=job.destination)


def failed(job: Job, exc: Exception) -> Outcome:
    """The Outcome of a job whose send raised ``exc``: DeliveryFailed says how; anything unexpected is
    treated as transient and retried with backoff."""
    if isinstance(exc, DeliveryFailed):
        return Outcome(job.delivery_id, sent=False, reason=exc.reason, permanent=exc.permanent,
                       blame_target=exc.blame_target, destination=job.destination, unreachable=exc.unreachable)
    reason = f"{type(exc).__name__}: {exc}"
    return Outcome(job.delivery_id, sent=False, reason=reason, destination=job.destination,
                   unreachable=isinstance(exc, OSError) or looks_unreachable(reason))


def held(job: Job, until) -> Outcome:
    """Not attempted: the destination's breaker is open. Pending again at ``until``, no attempt counted."""
    return Outcome(job.delivery_id, sent=False, held_until=until, destination=job.destination,
                   reason=held_reason(job.destination))


class SubscriberRow(NamedTuple):
    """The columns of a subscriber a delivery needs (a fan-out loads thousands: no ORM object each)."""

    id: int
    public_id: str
    channel: str
    target: str
    audience: str
    secret: str | None
    disabled_at: object
    disabled_reason: str | None
    confirmation_code_hash: str | None


def _job_columns():
    delivery, subscriber = Delivery.__table__, Subscriber.__table__
    return (delivery.c.id, delivery.c.event_id, delivery.c.priority, delivery.c.seq,
            *(subscriber.c[name] for name in SubscriberRow._fields))


@cache
def _jobs_query(postgresql: bool):
    """Each claimed delivery's id, event id and subscriber columns (built once, like the claim query)."""
    delivery, subscriber = Delivery.__table__, Subscriber.__table__
    return (select(*_job_columns()).join(subscriber, subscriber.c.id == delivery.c.subscriber_id)
            .where(in_ids(delivery.c.id, postgresql)).order_by(delivery.c.id))


@cache
def _claim_returning_jobs():
    """PostgreSQL's claim UPDATE, returning the `_jobs_query` columns (joined to the subscriber) of what it claims."""
    delivery, subscriber = Delivery.__table__, Subscriber.__table__
    return claims.claim_update(True).where(subscriber.c.id == delivery.c.subscriber_id).returning(*_job_columns())


def claim_job_rows(worker_name: str, limit: int, lease_seconds: float | None, channel: str | None) -> list:
    """Claim due deliveries (`claims.claim_due_rows`) and read what their jobs need, in id order: on PostgreSQL
    the claim's UPDATE returns it (one statement and transaction, not two: the SELECT cost the database as much
    per delivery as the UPDATE); elsewhere the claimed ids are read back (`job_rows`)."""
    if on_postgresql():
        rows = claims.claim_due_rows(worker_name, limit, lease_seconds, channel, _claim_returning_jobs())
        return sorted(rows, key=itemgetter(0))
    return job_rows(claims.claim_due(worker_name, limit, lease_seconds, channel))


def job_rows(ids: list[int]) -> list:
    """What the jobs of the claimed deliveries ``ids`` need (`_jobs_query`), in id order."""
    return db.session.execute(_jobs_query(on_postgresql()), {"ids": ids}).all() if ids else []


def load_jobs(ids: list[int], contexts: EventContexts | None = None) -> tuple[list[Job], list[Outcome]]:
    """Jobs for the claimed deliveries ``ids`` (`job_rows`, then `jobs_for`)."""
    return jobs_for(job_rows(ids), contexts)


def jobs_for(rows: list, contexts: EventContexts | None = None) -> tuple[list[Job], list[Outcome]]:
    """Jobs for claimed deliveries (their `job_rows`), and outcomes known without sending: deliveries to
    subscribers disabled meanwhile are skipped; a channel this installation cannot send on is a permanent
    failure with the setting to fix; a delivery whose context cannot be built fails alone (retried as usual),
    so one bad row never holds back the rest of the batch until the leases expire."""
    if not rows:
        return [], []
    events = {event.id: event for event in db.session.scalars(
        select(NotificationEvent).where(NotificationEvent.id.in_({row.event_id for row in rows})))}
    contexts = contexts or EventContexts()
    jobs, known, config = [], [], current_app.config
    # what every row of an event or channel shares, read once (an ORM attribute costs as much as a dict)
    kinds = {event.id: (event.kind, (event.id, event.created_at)) for event in events.values()}
    unavailable = {channel: unavailable_reason(channel) for channel in {row.channel for row in rows}}
    for delivery_id, event_id, priority, seq, *columns in rows:
        subscriber = SubscriberRow(*columns)
        if subscriber.disabled_at is not None:
            known.append(Outcome(delivery_id, sent=False, skipped=True,
                                 reason=f"subscriber disabled: {subscriber.disabled_reason or ''}"))
            continue
        channel = subscriber.channel
        if unavailable[channel]:
            known.append(Outcome(delivery_id, sent=False, reason=unavailable[channel], permanent=True))
            continue
        kind, event_key = kinds[event_id]
        try:
            context = contexts.for_subscriber(events[event_id], subscriber)
        except Exception as exc:  # a bad record is this delivery's failure, not the batch's
            reason = f"could not prepare {kind}: {type(exc).__name__}: {exc}"
            db.session.rollback()  # a failed query must not poison the reads of the rows after it
            log.exception("could not build the context of delivery %s", delivery_id)
            known.append(Outcome(delivery_id, sent=False, reason=reason))
            continue
        jobs.append(Job(delivery_id, kind, channel, subscriber.target, context,
                        dispatch.idempotency_key(event_id, subscriber.public_id), subscriber.secret or "",
                        destination(channel, subscriber.target, config), False, event_key, (priority, seq)))
    db.session.commit()
    return jobs, known
