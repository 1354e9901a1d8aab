"""The notification worker: heartbeat, leases, the clock, expansion, then claim → send → record, in a loop.

Run it as ``statuspage worker`` (as many processes as you like on PostgreSQL, one on SQLite) or in a thread
of the web process (``start_in_thread``, what ``make run`` does). Claims are committed before any network
I/O; sending happens in one thread pool per channel (``statuspage.lanes``: a stalled channel stalls only
its own lane) that never touches the database, and a destination that keeps timing out is skipped by its
circuit breaker (``statuspage.breakers``) until a probe finds it back.
"""
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import replace

from flask import current_app

from . import dispatch
from .breakers import Breakers, cooldown_seconds, destination
from .dispatch import Outcome
from .domain import clock
from .expander import Expander
from .export_keeper import ExportKeeper
from .extensions import db
from .jobs import (  # noqa: F401  (DeliveryFailed, Job, TEMPLATE_DIR: what tests import from here)
    TEMPLATE_DIR,
    DeliveryFailed,
    Job,
    NotifierSender,
    attempt,
    claim_job_rows,
    failed,
    held,
    jobs_for,
)
from .lanes import CHANNELS, Lane, channel_threads, wait_any
from .models import WorkerHeartbeat
from .models.columns import utcnow
from .notifications import EventContexts

log = logging.getLogger("statuspage.worker")
# Deliveries a lane claims at a time for each of its threads: a claim, its load and its record cost a few
# database round trips whatever their size, so bigger claims leave the main thread (and the database) a
# smaller share per delivery. A lane holds Lane.DEPTH claims; a new event's deliveries do not queue behind the
# rest of them (a lane sends by rank, statuspage.lanes).
BATCH_PER_THREAD = 64
# Sending threads of the webhook lane (unless --concurrency or WORKER_CHANNEL_THREADS ask for more): a webhook
# waits on a receiver somewhere on the internet (tens to hundreds of ms) while libcurl holds no GIL, so a lane
# of 8 threads would send 8 / latency webhooks a second however cheap a send is. One host still gets at most
# WORKER_HOST_CONCURRENCY of them at once.
WEBHOOK_THREADS = 32
# New events are expanded this often (the rest of the housekeeping waits for the poll interval): a notice starts
# going out within a fraction of a second of its publication, during a large fan-out as on an idle worker.
EXPAND_EVERY = 0.2
# Expired leases, lanes of old rows and the maintenance clock run at every CHORES_EVERY-th housekeeping (every
# 5 s with the default 1 s poll interval; the heartbeat and expansion keep theirs). The clock alone makes a
# dozen queries: once a second, it took up to 3% of a core from a large fan-out's main thread, for work due at
# most once a minute (a window's start and end, a reminder, an SLA timer).
CHORES_EVERY = 5


def beat(name: str, info: str) -> None:
    heartbeat = db.session.get(WorkerHeartbeat, name)
    if heartbeat is None:
        heartbeat = WorkerHeartbeat(name=name, started_at=utcnow())
        db.session.add(heartbeat)
    heartbeat.seen_at, heartbeat.info = utcnow(), info
    db.session.commit()


class Pipeline:
    """Claims, sends and records, one lane per channel (``statuspage.lanes``): each lane claims from its own
    channel's queue when it has room, and results are recorded as sends finish. While one lane's threads sit
    in timeouts, the others keep claiming and sending; the breakers stop a dead destination from using up its
    lane at all."""

    def __init__(self, name: str, lanes: dict[str, Lane], sender, lease_seconds: float | None,
                 keeper: ExportKeeper | None = None, breakers: Breakers | None = None, poll_interval: float = 1.0):
        self.name, self.lanes, self.sender, self.lease = name, lanes, sender, lease_seconds
        self.keeper = keeper  # keeps STATUSPAGE_EXPORT_DIR current, when set
        self.breakers = breakers or Breakers(name, 5, 30.0)
        self.contexts = EventContexts(max_age=5.0)  # an event's audience-level context, kept across steps
        self.known: list[Outcome] = []  # outcomes decided without sending, recorded with the next results
        self.wake = next(iter(lanes.values())).wake
        self.claimed = 0  # by the last step
        self.poll_interval = poll_interval
        self.passes = 0  # housekeeping passes so far (the chores run on every CHORES_EVERY-th, the first included)
        self.expander: Expander | None = None  # expands new events in a thread of its own (PostgreSQL)

    @property
    def in_flight(self) -> bool:
        return bool(self.known) or any(lane.in_flight for lane in self.lanes.values())

    def housekeeping(self) -> int:
        """The static export and expansion, and on every CHORES_EVERY-th pass expired leases and the maintenance
        clock; returns deliveries added. Every lane looks for due deliveries again after it (new events, retries
        now due)."""
        for lane in self.lanes.values():
            lane.idle_until = 0.0
        if self.passes % CHORES_EVERY == 0:
            self.chores()
        self.passes += 1
        if self.keeper is not None:
            try:
                self.keeper.tick()
            except Exception:  # a full disk must not stop notifications; the last good export stays served
                db.session.rollback()
                log.exception("the static export failed; deliveries carry on")
        return self.expand()

    def chores(self) -> None:
        """Expired leases back to pending, lanes for rows without one, and the maintenance clock."""
        dispatch.release_expired_leases()
        dispatch.fill_lanes()
        try:
            clock.tick()
        except Exception:
            db.session.rollback()
            log.exception("the maintenance clock failed; deliveries carry on")

    def expand(self) -> int:
        """Expand new events into deliveries (or take what the Expander's thread added); every lane looks for
        due deliveries again if any were added."""
        added = self.expander.take() if self.expander is not None else dispatch.expand_events()
        if added:
            for lane in self.lanes.values():
                lane.idle_until = 0.0
        return added

    def step(self) -> int:
        """Record finished sends, then let each lane with room claim, and start what they claimed (loaded in
        one go: an event's context is built once per step, not once per lane). Returns deliveries claimed plus
        results recorded (a recorded retry may be due at once, so either means: go round again)."""
        done = self.record()
        self.breakers.refresh()
        rows = []
        for lane in self.lanes.values():
            if lane.wants_more():
                rows += self.claim(lane)
        if rows:
            jobs, known = jobs_for(rows, self.contexts)
            self.known.extend(known)
            queued: dict[str, list] = {}
            prepare = getattr(self.sender, "prepare", None)  # (jobs.NotifierSender.prepare: webhooks)
            for job in jobs:
                if prepare is not None and job.channel == "webhook":
                    try:
                        job.prepared = prepare(job)
                    except Exception as exc:
                        self.known.append(failed(job, exc))
                        continue
                self.start(job, queued)
            for channel, items in queued.items():
                self.lanes[channel].submit(items)
        self.claimed = len(rows)
        return done + len(rows)

    def claim(self, lane: Lane) -> list:
        """What ``lane`` claimed (`jobs.claim_job_rows`: the rows its jobs are made of)."""
        if lane.idle_until > time.monotonic():
            return []  # found nothing due a moment ago: look again at the next housekeeping
        limit = lane.free()
        relay = self.relay(lane.channel)
        if relay in self.breakers.view:  # the lane's one destination is out: claim only a probe, when due
            if self.breakers.blocks(relay):
                return []
            limit = 1
        rows = claim_job_rows(self.name, limit, self.lease, lane.channel)
        if not rows:
            lane.idle_until = time.monotonic() + self.poll_interval
        return rows

    def start(self, job: Job, queued: dict[str, list]) -> None:
        """Hold ``job`` (its destination's breaker is open) or add it to its lane's share of ``queued``."""
        probe, until = self.breakers.gate(job.destination)
        if until is not None:
            self.known.append(held(job, until))
            return
        channel = job.channel if job.channel in self.lanes else next(iter(self.lanes))
        queued.setdefault(channel, []).append((job.destination, job.rank, attempt,
                                               (self.sender, replace(job, probe=probe) if probe else job,
                                                self.breakers.hold)))

    def relay(self, channel: str) -> str | None:
        """The one destination of every delivery on ``channel`` (the SMTP relay, the SMS provider), or None."""
        return destination(channel, "", current_app.config) if channel in ("email", "sms") else None

    def record(self) -> int:
        outcomes, self.known = self.known, []
        for lane in self.lanes.values():
            outcomes.extend(lane.done())
        if outcomes:
            dispatch.record_results(self.name, outcomes)
            self.breakers.observe(outcomes)
        return len(outcomes)

    def wait(self, timeout: float) -> None:
        """Until a lane is ready to be recorded (half of it, or all of it, has finished), or ``timeout``."""
        wait_any(self.lanes.values(), self.wake, timeout)

    def flush(self) -> int:
        """Wait for every send in flight and record the results; returns how many."""
        recorded = 0
        while self.in_flight:
            self.wait(1.0)
            recorded += self.record()
        return recorded


def make_lanes(app, concurrency: int, batch: int | None) -> dict[str, Lane]:
    """One lane per channel: ``concurrency`` threads each (webhooks: at least WEBHOOK_THREADS; or as
    WORKER_CHANNEL_THREADS says), claiming ``batch`` per ``concurrency`` threads at a time (BATCH_PER_THREAD per
    thread by default), holding Lane.DEPTH such batches (a lane with more threads than ``concurrency`` holds no
    more: its extra threads wait on receivers, and a deeper queue would only delay a new event). The webhook and
    chat lanes send at most WORKER_HOST_CONCURRENCY at once to one host."""
    threads = channel_threads(app.config.get("WORKER_CHANNEL_THREADS", ""), concurrency,
                              {"webhook": max(concurrency, WEBHOOK_THREADS)})
    per_thread, wake = Lane.DEPTH * (batch or concurrency * BATCH_PER_THREAD) / concurrency, threading.Event()
    per_host = max(int(app.config.get("WORKER_HOST_CONCURRENCY") or 8), 1)
    return {channel: Lane(channel, threads[channel], max(int(min(threads[channel], concurrency) * per_thread), 1),
                          wake, per_host if channel in ("webhook", "chat") else None)
            for channel in CHANNELS}


def run_worker(app, name: str | None = None, once: bool = False, stop_event: threading.Event | None = None,
               poll_interval: float = 1.0, batch: int | None = None, concurrency: int = 8, sender=None,
               lease_seconds: float | None = None) -> dict:
    """Deliver until stopped (SIGTERM/SIGINT or ``stop_event``), or with ``once`` until nothing is due.

    ``sender(job)`` sends one Job or raises (DeliveryFailed, or anything: transient); the default renders
    and sends through ``notifiers``. ``concurrency`` is the number of sending threads of each channel's lane.
    The heartbeat runs once per ``poll_interval``, leases and the clock once per CHORES_EVERY of them; new events
    are expanded every ``EXPAND_EVERY`` seconds (when ``poll_interval`` is not shorter), on PostgreSQL in a thread
    of their own (``statuspage.expander``).
    Returns {"passes", "handled"} counts.
    """
    name = name or f"{socket.gethostname()}-{os.getpid()}"
    _forget_renders()  # shared renders are keyed by event: a new database (tests) may reuse an event's id
    stop_event = stop_event or threading.Event()
    restore = _install_signal_handlers(stop_event)
    totals = {"passes": 0, "handled": 0}
    lanes, expander = make_lanes(app, concurrency, batch), None
    try:
        with app.app_context():
            keeper = ExportKeeper.from_config(app, background=not once)
            breakers = Breakers(name, app.config.get("BREAKER_FAILURES") or 5, cooldown_seconds())
            pipeline = Pipeline(name, lanes, sender or NotifierSender(app.config), lease_seconds, keeper, breakers,
                                poll_interval)
            if not once and hasattr(pipeline.sender, "warm"):
                pipeline.sender.warm()
            if not once and db.engine.dialect.name == "postgresql":
                expander = pipeline.expander = Expander(app, min(poll_interval, EXPAND_EVERY), pipeline.wake).start()
            last_housekeeping = last_expansion = 0.0
            while not stop_event.is_set():
                added = done = 0
                try:
                    if time.monotonic() - last_housekeeping >= poll_interval or (once and not pipeline.in_flight):
                        beat(name, f"pid={os.getpid()} handled={totals['handled']}")
                        added = pipeline.housekeeping()
                        last_housekeeping = last_expansion = time.monotonic()
                    elif pipeline.expander is not None or time.monotonic() - last_expansion >= EXPAND_EVERY:
                        added = pipeline.expand()
                        last_expansion = time.monotonic()
                    done = added + pipeline.step()
                except Exception:  # database gone, lock timeout...: log, wait, try again
                    db.session.rollback()
                    log.exception("worker pass failed; retrying in %.1fs", poll_interval)
                    added = done = pipeline.claimed = 0
                    if once:
                        raise
                finally:
                    db.session.remove()
                totals["passes"] += 1
                totals["handled"] += done
                if added or pipeline.claimed:
                    continue  # more may be due: claim again at once
                if pipeline.in_flight:
                    pipeline.wait(min(poll_interval, EXPAND_EVERY))  # until a lane is ready (or time to expand)
                elif done:
                    continue  # results recorded: a retry may be due at once
                elif once:
                    break
                elif pipeline.expander is not None:
                    pipeline.wait(min(poll_interval, EXPAND_EVERY))  # (the Expander wakes it)
                else:
                    stop_event.wait(min(poll_interval, EXPAND_EVERY))  # a new event is picked up within this
            try:
                pipeline.flush()
            finally:
                db.session.remove()
            if keeper is not None:
                keeper.join(timeout=60)
    finally:
        if expander is not None:
            expander.close()
        for lane in lanes.values():
            lane.shutdown()
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
