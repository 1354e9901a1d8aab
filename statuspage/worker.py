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

from .breakers import Breakers, cooldown_seconds
from .claims import on_postgresql
from .expander import Expander
from .export_keeper import ExportKeeper
from .extensions import db
from .jobs import TEMPLATE_DIR, DeliveryFailed, NotifierSender  # noqa: F401  (what tests import from here)
from .lanes import CHANNELS, Lane, channel_threads
from .models import WorkerHeartbeat
from .models.columns import utcnow
from .pipeline import Pipeline

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


def beat(name: str, info: str) -> None:
    heartbeat = db.session.get(WorkerHeartbeat, name)
    if heartbeat is None:
        heartbeat = WorkerHeartbeat(name=name, started_at=utcnow())
        db.session.add(heartbeat)
    heartbeat.seen_at, heartbeat.info = utcnow(), info
    db.session.commit()



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
    The heartbeat runs once per ``poll_interval``, leases and the clock once per ``pipeline.CHORES_EVERY`` of
    them; new events are expanded every ``EXPAND_EVERY`` seconds (when ``poll_interval`` is not shorter), on
    PostgreSQL in a thread of their own (``statuspage.expander``).
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
            if not once and on_postgresql():
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
