"""``statuspage worker`` delivers notifications; ``statuspage deliveries`` lists what is queued or dead."""
import gc
import logging
import resource
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import Delivery, NotificationEvent, Subscriber
from ..models.outbox import DELIVERY_STATES


@click.command("worker")
@click.option("--name", default=None, help="Name shown in heartbeats (default: host-pid).")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 128),
              help="Messages sent in parallel by this process, per channel (each channel has its own threads; "
                   "webhooks at least 32, to one host at most STATUSPAGE_WORKER_HOST_CONCURRENCY).")
@click.option("--poll-interval", default=1.0, show_default=True, type=click.FloatRange(0.05, 60))
@click.option("--lease-seconds", default=None, type=click.FloatRange(1, 3600),
              help="How long a claim lasts before another worker may take it over.")
@with_appcontext
def worker_command(name, once, concurrency, poll_interval, lease_seconds):
    """Expand events, send due deliveries, run the maintenance clock; stops cleanly on SIGTERM/Ctrl-C."""
    from ..jobs import NotifierSender
    from ..worker import run_worker

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    if not once:
        NotifierSender.warm()
    # Everything loaded so far (Flask, SQLAlchemy, Apprise) lives as long as the process: out of the collector's
    # sight, it is not walked again by the collections a fan-out's allocations set off (a third of the
    # collector's time per delivery).
    gc.collect()
    gc.freeze()
    # A batch's jobs, contexts and outcomes (some 20,000 objects) live until it is recorded: at the default
    # threshold (a collection every 700 allocations) the collector ran every few deliveries and walked them
    # again each time; reference cycles are rare in a fan-out, so they may wait longer. (5,000 to 5,200
    # webhooks a second against the local sink, 5 µs less CPU each.)
    gc.set_threshold(50_000, 10, 10)
    click.echo(f"worker started (concurrency {concurrency})", err=True)
    totals = run_worker(app, name=name, once=once, poll_interval=poll_interval, concurrency=concurrency,
                        lease_seconds=lease_seconds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    click.echo(f"worker stopped after {totals['passes']} passes, {totals['handled']} items handled, "
               f"peak RSS {peak_mb:.0f} MB", err=True)


@click.command("deliveries")
@click.option("--state", type=click.Choice(DELIVERY_STATES), default=None, help="Only this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@with_appcontext
def deliveries_command(state, limit):
    """Count deliveries by state and list the most recent ones (e.g. --state dead)."""
    from ..breakers import open_breakers
    from ..domain.deliveries import delivery_counts

    counts = delivery_counts()
    click.echo("  ".join(f"{name}: {count}" for name, count in counts.items()))
    for breaker in open_breakers():
        since = breaker.opened_at.isoformat(timespec="seconds") if breaker.opened_at else "?"
        retry = breaker.retry_at.isoformat(timespec="seconds") if breaker.retry_at else "?"
        state = "open" if breaker.state == "open" else "testing"
        click.echo(f"breaker {state}: {breaker.destination} since {since}, next test {retry}, "
                   f"{breaker.failures} failures in a row: {breaker.reason or ''}")
    query = (select(Delivery, NotificationEvent.kind, Subscriber.channel, Subscriber.target)
             .join(NotificationEvent, NotificationEvent.id == Delivery.event_id)
             .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
             .order_by(Delivery.updated_at.desc(), Delivery.id.desc()).limit(limit))
    if state:
        query = query.where(Delivery.state == state)
    for delivery, kind, channel, target in db.session.execute(query):
        error = f"  {delivery.last_error}" if delivery.last_error else ""
        click.echo(f"{delivery.id}\t{delivery.state}\t{kind}\t{channel}:{target}\t"
                   f"attempts={delivery.attempts}{error}")


COMMANDS = [worker_command, deliveries_command]
