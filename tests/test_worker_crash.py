"""A ``statuspage worker`` process is SIGKILLed in the middle of 2,000 deliveries and started again: every
subscriber still gets the message (at-least-once; the duplicates a crash can cause are counted and bounded
by what one worker holds)."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sinks import wait_until
from sqlalchemy import func, insert, select

from statuspage.domain.incidents import open_incident
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.lanes import Lane
from statuspage.models import Delivery, Subscriber
from statuspage.models.columns import new_id, utcnow
from statuspage.worker import BATCH_PER_THREAD

SUBSCRIBERS = 2000
CONCURRENCY = 8
BATCH = CONCURRENCY * BATCH_PER_THREAD  # run_worker's default batch for this concurrency
STATUSPAGE = str(Path(sys.executable).parent / "statuspage")




def add_webhook_subscribers(url_for_number) -> None:
    now = utcnow()
    rows = [{"public_id": new_id(), "channel": "webhook", "target": url_for_number(n), "audience": "public",
             "all_components": True, "min_impact": "none", "confirmed_at": now, "secret": "s3cret",
             "created_at": now, "updated_at": now} for n in range(SUBSCRIBERS)]
    db.session.execute(insert(Subscriber), rows)
    db.session.commit()


def start_worker(app, tmp_path, name: str) -> subprocess.Popen:
    env = dict(os.environ,
               STATUSPAGE_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               STATUSPAGE_INSTANCE_PATH=str(tmp_path / "worker-instance"),
               STATUSPAGE_SECRET_KEY=app.config["SECRET_KEY"],
               STATUSPAGE_PUBLIC_URL=app.config["PUBLIC_URL"],
               STATUSPAGE_ALLOW_LOOPBACK_WEBHOOKS="1",
               STATUSPAGE_RETRY_BASE_SECONDS="0.2")
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([STATUSPAGE, "worker", "--name", name, "--concurrency", str(CONCURRENCY),
                             "--poll-interval", "0.1", "--lease-seconds", "2"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)


def count(state: str) -> int:
    """Deliveries in ``state`` (the read ends at once: SQLite must not block the worker's writes)."""
    number = db.session.scalar(select(func.count()).where(Delivery.state == state))
    db.session.rollback()
    return number


def distinct_paths(sink) -> set[str]:
    return {r.path for r in list(sink.requests)}


@pytest.mark.slow
def test_a_killed_worker_loses_no_delivery(app, http_sink, tmp_path):
    add_webhook_subscribers(lambda n: http_sink.url(f"/subscriber/{n}"))
    open_incident(SYSTEM, name="Everything is on fire", body="We are looking into it.")

    first = start_worker(app, tmp_path, "doomed")
    try:
        # kill it a quarter of the way through, while it holds claimed deliveries
        assert wait_until(lambda: len(http_sink.requests) >= SUBSCRIBERS // 4 and count("claimed") > 0,
                          timeout=60, interval=0.005), (tmp_path / "doomed.log").read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    received_before_restart = len(distinct_paths(http_sink))
    assert received_before_restart < SUBSCRIBERS, "the worker finished before it could be killed"
    stranded = count("claimed")
    assert stranded > 0

    second = start_worker(app, tmp_path, "survivor")
    try:
        assert wait_until(lambda: count("sent") >= SUBSCRIBERS, timeout=90), (
            (tmp_path / "survivor.log").read_text()[-3000:])
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0  # graceful stop on SIGTERM
    finally:
        if second.poll() is None:
            second.kill()

    requests = list(http_sink.requests)
    duplicates = len(requests) - len(distinct_paths(http_sink))
    print(f"\ncrash test: {received_before_restart} received before SIGKILL, {stranded} claims stranded, "
          f"{len(requests)} requests for {SUBSCRIBERS} subscribers, {duplicates} duplicates")
    assert distinct_paths(http_sink) == {f"/subscriber/{n}" for n in range(SUBSCRIBERS)}
    # At most what the worker held when it died: its webhook lane holds Lane.DEPTH batches (statuspage.lanes),
    # any of which can have gone out unrecorded.
    assert duplicates <= Lane.DEPTH * BATCH
    keys = {}
    for r in requests:  # a duplicate carries the same idempotency key as the first copy
        keys.setdefault(r.path, set()).add(r.headers.get("Idempotency-Key") or r.headers.get("X-Idempotency-Key"))
    assert all(len(k) == 1 for k in keys.values())
    db.session.expire_all()
    states = dict(db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all())
    assert states == {"sent": SUBSCRIBERS}
