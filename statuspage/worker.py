"""The notification worker: heartbeat, leases, the clock, expansion, then claim → send → record, in a loop.

Run it as ``statuspage worker`` (as many processes as you like on PostgreSQL, one on SQLite) or in a thread
of the web process (``start_in_thread``, what ``make run`` does). Claims are committed before any network
I/O; sending happens in a small thread pool that never touches the database.
"""
import logging
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from . import dispatch
from .dispatch import Outcome
from .domain import clock
from .export_keeper import ExportKeeper
from .extensions import db
from .models import Delivery, NotificationEvent, Subscriber, WorkerHeartbeat
from .models.columns import utcnow
from .notifications import EventContexts

log = logging.getLogger("statuspage.worker")
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "notifications"
# Deliveries claimed per batch for each sending thread: a batch costs about ten database round trips whatever
# its size, so 32 per thread (256 at 8 threads) keeps the database's share per delivery small; a batch still
# takes seconds, far inside its lease.
BATCH_PER_THREAD = 32


@dataclass(frozen=True)
class Job:
    """One message to one target, with everything a sender needs (no database access)."""

    delivery_id: int
    kind: str
    channel: str
    target: str
    context: dict
    idempotency_key: str
    secret: str
    event_key: tuple | None = None  # (event id, created): deliveries of one event share a render per audience


class DeliveryFailed(Exception):
    """A sender's failure: ``permanent`` means retrying cannot help; ``blame_target`` that the address
    itself is bad (the subscriber gets disabled)."""

    def __init__(self, reason: str, permanent: bool = False, blame_target: bool | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.blame_target = permanent if blame_target is None else blame_target


class NotifierSender:
    """The real sender: ``notifiers.render`` then ``notifiers.send`` with this installation's settings."""

    def __init__(self, config):
        self.smtp_url = config.get("SMTP_URL", "")
        self.sms_url = config.get("SMS_URL", "")
        self.allow_loopback = bool(config.get("ALLOW_LOOPBACK_WEBHOOKS"))
        self.timeout = float(config.get("SEND_TIMEOUT_SECONDS") or 10)

    def __call__(self, job: Job) -> None:
        from notifiers.render_once import render_for
        from notifiers.send import SendConfig, TransportError, send

        try:
            message = render_for(job.kind, job.channel, job.context, TEMPLATE_DIR, event_key=job.event_key)
        except Exception as exc:  # a template bug is ours, not the subscriber's: dead, subscriber kept
            raise DeliveryFailed(f"could not render {job.kind} for {job.channel}: {exc}", permanent=True,
                                 blame_target=False) from exc
        config = SendConfig(smtp_url=self.smtp_url, sms_url=self.sms_url,
                            allow_loopback_webhooks=self.allow_loopback, webhook_secret=job.secret,
                            idempotency_key=job.idempotency_key, timeout=self.timeout)
        try:
            send(message, job.target, config)
        except TransportError as exc:
            raise DeliveryFailed(str(getattr(exc, "reason", exc)), permanent=bool(exc.permanent)) from exc


def attempt(sender, job: Job) -> Outcome:
    """Send one job and say what happened; never raises."""
    try:
        sender(job)
    except DeliveryFailed as exc:
        return Outcome(job.delivery_id, sent=False, reason=exc.reason, permanent=exc.permanent,
                       blame_target=exc.blame_target)
    except Exception as exc:  # anything unexpected is treated as transient and retried with backoff
        return Outcome(job.delivery_id, sent=False, reason=f"{type(exc).__name__}: {exc}")
    return Outcome(job.delivery_id, sent=True)


def load_jobs(ids: list[int], contexts: EventContexts | None = None) -> tuple[list[Job], list[Outcome]]:
    """Jobs for claimed deliveries, and outcomes known without sending: deliveries to subscribers disabled
    meanwhile are skipped; a channel this installation cannot send on is a permanent failure with the setting
    to fix; a delivery whose context cannot be built fails alone (retried as usual), so one bad row never
    holds back the rest of the batch until the leases expire."""
    rows = db.session.execute(
        select(Delivery.id, NotificationEvent, Subscriber)
        .join(NotificationEvent, NotificationEvent.id == Delivery.event_id)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.id.in_(ids)).order_by(Delivery.id)).all()
    contexts = contexts or EventContexts()
    jobs, known = [], []
    for delivery_id, event, subscriber in rows:
        if subscriber.disabled_at is not None:
            known.append(Outcome(delivery_id, sent=False, skipped=True,
                                 reason=f"subscriber disabled: {subscriber.disabled_reason or ''}"))
            continue
        unavailable = dispatch.unavailable_reason(subscriber.channel)
        if unavailable:
            known.append(Outcome(delivery_id, sent=False, reason=unavailable, permanent=True))
            continue
        kind = event.kind
        try:
            context = contexts.for_subscriber(event, subscriber)
        except Exception as exc:  # a bad record is this delivery's failure, not the batch's
            reason = f"could not prepare {kind}: {type(exc).__name__}: {exc}"
            db.session.rollback()  # a failed query must not poison the reads of the rows after it
            log.exception("could not build the context of delivery %s", delivery_id)
            known.append(Outcome(delivery_id, sent=False, reason=reason))
            continue
        jobs.append(Job(delivery_id, event.kind, subscriber.channel, subscriber.target, context,
                        dispatch.idempotency_key(event.id, subscriber.public_id), subscriber.secret or "",
                        (event.id, event.created_at)))
    db.session.commit()
    return jobs, known


def beat(name: str, info: str) -> None:
    heartbeat = db.session.get(WorkerHeartbeat, name)
    if heartbeat is None:
        heartbeat = WorkerHeartbeat(name=name, started_at=utcnow())
        db.session.add(heartbeat)
    heartbeat.seen_at, heartbeat.info = utcnow(), info
    db.session.commit()


class Pipeline:
    """Sends one claimed batch while the next is claimed and loaded, so database round trips and network
    I/O overlap. Results of a batch are recorded once its sends are done; a batch is never held longer than
    one more claim, well inside its lease."""

    def __init__(self, name: str, pool: ThreadPoolExecutor, sender, batch: int, lease_seconds: float | None,
                 keeper: ExportKeeper | None = None):
        self.name, self.pool, self.sender, self.batch, self.lease = name, pool, sender, batch, lease_seconds
        self.in_flight: tuple[list, list] | None = None  # (futures, outcomes known without sending)
        self.keeper = keeper  # keeps STATUSPAGE_EXPORT_DIR current, when set
        self.contexts = EventContexts(max_age=5.0)  # an event's audience-level context, kept across batches

    def housekeeping(self) -> int:
        """Leases, the maintenance clock, the static export and expansion; returns deliveries added."""
        dispatch.release_expired_leases()
        try:
            clock.tick()
        except Exception:
            db.session.rollback()
            log.exception("the maintenance clock failed; deliveries carry on")
        if self.keeper is not None:
            try:
                self.keeper.tick()
            except Exception:  # a full disk must not stop notifications; the last good export stays served
                db.session.rollback()
                log.exception("the static export failed; deliveries carry on")
        return dispatch.expand_events()

    def step(self) -> int:
        """Claim and start one batch, then record the previous one. Returns deliveries claimed plus
        results recorded (a recorded retry may be due at once, so either means: go round again)."""
        ids = dispatch.claim_due(self.name, self.batch, self.lease)
        started = None
        if ids:
            jobs, skipped = load_jobs(ids, self.contexts)
            started = ([self.pool.submit(attempt, self.sender, job) for job in jobs], skipped)
        recorded = self.flush()
        self.in_flight = started
        return len(ids) + recorded

    def flush(self) -> int:
        """Wait for the batch in flight and record its results; returns how many."""
        if self.in_flight is None:
            return 0
        futures, outcomes = self.in_flight
        self.in_flight = None
        outcomes = outcomes + [f.result() for f in futures]
        dispatch.record_results(self.name, outcomes)
        return len(outcomes)


def run_worker(app, name: str | None = None, once: bool = False, stop_event: threading.Event | None = None,
               poll_interval: float = 1.0, batch: int | None = None, concurrency: int = 8, sender=None,
               lease_seconds: float | None = None) -> dict:
    """Deliver until stopped (SIGTERM/SIGINT or ``stop_event``), or with ``once`` until nothing is due.

    ``sender(job)`` sends one Job or raises (DeliveryFailed, or anything: transient); the default renders
    and sends through ``notifiers``. Heartbeat, leases, clock and expansion run at most once per
    ``poll_interval`` while a backlog drains. Returns {"passes", "handled"} counts.
    """
    name = name or f"{socket.gethostname()}-{os.getpid()}"
    _forget_renders()  # shared renders are keyed by event: a new database (tests) may reuse an event's id
    stop_event = stop_event or threading.Event()
    batch = batch or concurrency * BATCH_PER_THREAD
    restore = _install_signal_handlers(stop_event)
    totals = {"passes": 0, "handled": 0}
    try:
        with app.app_context(), ThreadPoolExecutor(concurrency, thread_name_prefix="send") as pool:
            keeper = ExportKeeper.from_config(app, background=not once)
            pipeline = Pipeline(name, pool, sender or NotifierSender(app.config), batch, lease_seconds, keeper)
            last_housekeeping = 0.0
            while not stop_event.is_set():
                try:
                    done = 0
                    if time.monotonic() - last_housekeeping >= poll_interval or once:
                        beat(name, f"pid={os.getpid()} handled={totals['handled']}")
                        done += pipeline.housekeeping()
                        last_housekeeping = time.monotonic()
                    done += pipeline.step()
                except Exception:  # database gone, lock timeout...: log, wait, try again
                    db.session.rollback()
                    log.exception("worker pass failed; retrying in %.1fs", poll_interval)
                    done = 0
                    if once:
                        raise
                finally:
                    db.session.remove()
                totals["passes"] += 1
                totals["handled"] += done
                if not done and pipeline.in_flight is None:
                    if once:
                        break
                    stop_event.wait(poll_interval)
            pipeline.flush()
            if keeper is not None:
                keeper.join(timeout=60)
    finally:
        restore()
    return totals


def _forget_renders() -> None:
    from notifiers.render_once import RENDERS

    RENDERS.clear()


def _install_signal_handlers(stop_event: threading.Event):
    """SIGTERM/SIGINT finish the current batch, then stop (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop_event.set())
    return lambda: [signal.signal(sig, handler) for sig, handler in previous.items()]


_thread: threading.Thread | None = None
_thread_lock = threading.Lock()


def start_in_thread(app) -> threading.Thread:
    """Run one worker in a daemon thread of this process (for ``make run``); a second call is a no-op."""
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            name = f"{socket.gethostname()}-{os.getpid()}-web"
            _thread = threading.Thread(target=run_worker, args=(app,), kwargs={"name": name},
                                       name="statuspage-worker", daemon=True)
            _thread.start()
        return _thread
