"""The service's own metrics for Prometheus: what each process counts, and ``init_app`` that times requests and
serves ``/metrics`` (see ``endpoint``; the database gauges are read at scrape time by ``collector``).

Counters live in this process, or, when ``PROMETHEUS_MULTIPROC_DIR`` is set before the process starts (gunicorn
with several workers: see ``gunicorn_conf``), in files there that every process of the machine adds up. The hot
path counts its hits in ``HOT_HITS``, an integer added to ``HOT_HIT`` when /metrics is scraped: a prometheus_client
increment takes a lock and costs ten times an integer add (a fifth of what a hit cost). With several processes it
increments ``HOT_HIT`` itself, since any of them may answer the scrape.
"""
import os
import threading
import time

from flask import g, request
from prometheus_client import Counter, Histogram
from sqlalchemy import event, select
from sqlalchemy.orm import object_session

# Read here, not in statuspage.config: prometheus-client's own variable, which it reads at import, before any
# app (and its config) exists (tests/test_config_sources.py allows it under telemetry/ only).
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("statuspage_http_requests_total",
                   "Requests the application (Flask) answered, by endpoint, method and status; snapshot hits of "
                   "the hot path are counted in statuspage_snapshot_hits_total{layer=\"hotpath\"} only.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("statuspage_http_request_duration_seconds",
                    "Time the application took to answer, by endpoint.", ["endpoint"])
SNAPSHOT_HITS = Counter("statuspage_snapshot_hits_total",
                        "Public responses answered from a snapshot, by layer: hotpath (raw WSGI, before Flask) or "
                        "app (inside Flask).", ["layer"])
SNAPSHOT_MISSES = Counter("statuspage_snapshot_misses_total",
                          "Public responses no current snapshot could answer (a render follows, or a 503).")
SNAPSHOT_RENDERS = Counter("statuspage_snapshot_renders_total", "Public snapshots rendered.")
DELIVERIES = Counter("statuspage_deliveries_total",
                     "Delivery results recorded by the workers of this machine, by channel and outcome: sent, "
                     "failed (will be retried) or dead (given up).", ["channel", "outcome"])
HOT_HIT = SNAPSHOT_HITS.labels("hotpath")
APP_HIT = SNAPSHOT_HITS.labels("app")


class ScrapedCount:
    """Events counted with ``count += 1``, added to a prometheus_client ``counter`` by ``flush`` (at scrape time).
    ``+= 1`` on an attribute is three bytecodes, so two threads interleaving there can, rarely, lose one: the
    metric then reads one low; no response ever depends on it."""

    def __init__(self, counter):
        self.counter = counter
        self.count = 0
        self._flushed = 0
        self._lock = threading.Lock()

    def flush(self) -> None:
        with self._lock:
            count = self.count
            self.counter.inc(count - self._flushed)
            self._flushed = count


HOT_HITS = ScrapedCount(HOT_HIT)
OUTCOMES = {"sent": "sent", "pending": "failed", "dead": "dead"}


def looked_up(found) -> None:
    """Count a snapshot lookup inside Flask: a hit, or a miss."""
    (APP_HIT if found is not None else SNAPSHOT_MISSES).inc()


def _delivery_state_set(delivery, value, previous, initiator) -> None:
    """Note a delivery moving from one state to sent, from claimed back to pending (a failure to retry) or to
    dead; ``_count_deliveries`` counts what the transaction commits."""
    if not isinstance(previous, str) or value == previous or value not in OUTCOMES:
        return
    if value == "pending" and previous != "claimed":
        return
    session = object_session(delivery)
    if session is not None:
        session.info.setdefault("telemetry_deliveries", []).append((delivery.subscriber_id, OUTCOMES[value]))


def count_sent(channels: list[str]) -> None:
    """Count deliveries recorded as sent in bulk (``claims.record_results``: one UPDATE, no ORM event), by
    channel, once their transaction has committed."""
    for channel in set(channels):
        DELIVERIES.labels(channel or "unknown", "sent").inc(channels.count(channel))


def _count_deliveries(session) -> None:
    noted = session.info.pop("telemetry_deliveries", None)
    if not noted:
        return
    from ..models import Subscriber

    channels = dict(session.execute(select(Subscriber.id, Subscriber.channel)
                                    .where(Subscriber.id.in_({s for s, _ in noted}))).all())
    for subscriber_id, outcome in noted:
        DELIVERIES.labels(channels.get(subscriber_id, "unknown"), outcome).inc()


def _forget_deliveries(session) -> None:
    session.info.pop("telemetry_deliveries", None)


def watch_deliveries() -> None:
    """Count delivery results where the worker records them (``dispatch.record_results``), by listening to the
    ORM: a state assigned there is noted, and counted when its transaction commits (a rollback forgets it)."""
    from ..extensions import db
    from ..models import Delivery

    for target, name, listener in ((Delivery.state, "set", _delivery_state_set),
                                   (db.session, "before_commit", _count_deliveries),
                                   (db.session, "after_rollback", _forget_deliveries)):
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)


def _start() -> None:
    g._telemetry_started = time.perf_counter()


def _finish(response):
    rule = request.url_rule
    endpoint = rule.endpoint if rule is not None else "unmatched"
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    started = g.get("_telemetry_started")
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    return response


def init_app(app) -> None:
    from .endpoint import bp

    app.before_request_funcs.setdefault(None, []).insert(0, _start)  # first, so the timing covers the others
    app.after_request(_finish)
    watch_deliveries()
    app.register_blueprint(bp)
