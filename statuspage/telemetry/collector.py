"""Gauges read from the database when Prometheus scrapes: the outbox, its oldest pending delivery and the workers'
heartbeats. They are the same whichever process answers, and cover workers on other machines too."""
import logging
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Delivery, NotificationEvent, Subscriber, WorkerHeartbeat
from ..models.columns import utcnow
from ..models.subscribers import CHANNELS

log = logging.getLogger(__name__)
QUEUED_STATES = ("pending", "claimed", "dead")
HEARTBEAT_DAYS = 7  # a worker silent for longer is gone: it drops out of the metrics


class DatabaseCollector:
    """A prometheus_client collector; ``describe`` is empty so registering it runs no query."""

    def describe(self):
        return []

    def collect(self):
        up = GaugeMetricFamily("statuspage_metrics_database_up",
                               "1 when the database answered this scrape's queries, else 0.")
        try:
            families = list(self._families())
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning("metrics: the database did not answer: %s", str(error).splitlines()[0][:200])
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self):
        now = utcnow()
        depth = GaugeMetricFamily("statuspage_outbox_deliveries",
                                  "Deliveries waiting (pending), being sent (claimed) or given up (dead), by channel.",
                                  labels=["state", "channel"])
        counts = {(state, channel): 0 for state in QUEUED_STATES for channel in CHANNELS}
        rows = db.session.execute(
            select(Delivery.state, Subscriber.channel, func.count())
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Delivery.state.in_(QUEUED_STATES)).group_by(Delivery.state, Subscriber.channel))
        for state, channel, count in rows:
            counts[(state, channel)] = count
        for (state, channel), count in sorted(counts.items()):
            depth.add_metric([state, channel], count)
        yield depth

        events = GaugeMetricFamily("statuspage_outbox_events_unexpanded",
                                   "Notification events not yet expanded into deliveries.")
        events.add_metric([], db.session.scalar(select(func.count()).select_from(NotificationEvent)
                                                .where(NotificationEvent.expanded_at.is_(None))) or 0)
        yield events

        oldest = db.session.scalar(select(func.min(Delivery.created_at)).where(Delivery.state == "pending"))
        age = GaugeMetricFamily("statuspage_outbox_oldest_pending_age_seconds",
                                "Age of the oldest pending delivery (0 when none is pending).")
        age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield age

        seen = GaugeMetricFamily("statuspage_worker_last_heartbeat_timestamp_seconds",
                                 "When each worker last reported (Unix time); alert on time() minus this.",
                                 labels=["worker"])
        recent = db.session.execute(select(WorkerHeartbeat.name, WorkerHeartbeat.seen_at)
                                    .where(WorkerHeartbeat.seen_at >= now - timedelta(days=HEARTBEAT_DAYS))
                                    .order_by(WorkerHeartbeat.name)).all()
        for name, seen_at in recent:
            seen.add_metric([name], seen_at.timestamp())
        yield seen
        db.session.rollback()  # read only: end the transaction these queries opened
