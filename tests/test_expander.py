"""On PostgreSQL a worker expands new events in a thread of its own (``statuspage.expander``): a large fan-out's
first notices go out while the rest of it is still being written."""
import threading
import time

from conftest import only_on_postgresql
from sinks import wait_until
from sqlalchemy import text
from test_worker import webhook_subscribers

from statuspage import dispatch, expander
from statuspage.domain.incidents import open_incident
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.worker import run_worker


def fan_out(app, http_sink, count: int) -> threading.Thread:
    """Open an incident with ``count`` webhook subscribers and run a worker (a thread, not ``once``: it has an
    Expander) until every one of them has had it; returns the stopped worker."""
    app.config.update(ALLOW_LOOPBACK_WEBHOOKS=True)
    webhook_subscribers(http_sink, count)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(app,), kwargs={"stop_event": stop, "poll_interval": 0.05})
    worker.start()
    try:
        open_incident(SYSTEM, name="Checkout errors", body="Investigating")
        wait_until(lambda: len(http_sink.requests) == count, timeout=20)
    finally:
        stop.set()
        worker.join(30)
    return worker


@only_on_postgresql
def test_a_fan_out_is_sent_while_it_is_still_being_expanded(app, http_sink, monkeypatch):
    monkeypatch.setattr(expander, "BATCH", 3)  # four batches, each taking the database a while
    written, expand = [], dispatch.expand_events

    def slow_expand(*args, **kwargs):
        added = expand(*args, **kwargs)
        if added:
            written.append((time.time(), threading.current_thread().name))
            time.sleep(0.3)
        return added

    monkeypatch.setattr(dispatch, "expand_events", slow_expand)
    arrivals = []

    class Stamped(list):
        def append(self, request):
            arrivals.append(time.time())
            super().append(request)

    http_sink.requests = Stamped()

    assert not fan_out(app, http_sink, 12).is_alive()
    assert all(name == "statuspage-expander" for _, name in written) and len(written) == 4
    assert min(arrivals) < written[-1][0]  # the first webhooks went out before the last batch was written
    assert sorted(r.path for r in http_sink.requests) == sorted(f"/s/{n}" for n in range(12))  # each once
    assert not any(t.name == "statuspage-expander" for t in threading.enumerate())


@only_on_postgresql
def test_a_large_fan_out_refreshes_the_planner_statistics(app, http_sink, monkeypatch):
    """Between fan-outs nearly nothing is pending; a planner that still believes so mid fan-out reads every
    pending row for every batch it claims."""
    monkeypatch.setattr(expander, "ANALYZE_AFTER", 4)
    db.session.execute(text("ANALYZE delivery"))  # (statistics of an empty table)
    db.session.commit()
    fan_out(app, http_sink, 6)

    def rows_known():  # what the planner believes the delivery table holds
        known = db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'delivery'"))
        db.session.rollback()
        return known

    assert rows_known() == 6
