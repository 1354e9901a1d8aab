"""The worker end to end with real parts: a real SMTP server and HTTP sink on 127.0.0.1, real rendering and
sending through ``notifiers``, a real database (SQLite, or PostgreSQL with two concurrent workers)."""
import threading

import pytest
from conftest import only_on_postgresql
from sinks import HttpSink, wait_until
from sqlalchemy import func, insert, select

from statuspage import dispatch, worker
from statuspage.domain.components import create_component
from statuspage.domain.incidents import open_incident, post_update
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Delivery, DeliveryBreaker, Subscriber, WorkerHeartbeat
from statuspage.models.columns import new_id, utcnow
from statuspage.worker import run_worker


def subscribe(channel, target, audience="public"):
    subscriber = Subscriber(channel=channel, target=target, audience=audience, confirmed_at=utcnow(),
                            secret="webhook-secret")
    db.session.add(subscriber)
    db.session.commit()
    return subscriber


@pytest.fixture
def wired(app, smtp_sink):
    """The app configured to send email to the SMTP sink and webhooks to 127.0.0.1."""
    app.config.update(SMTP_URL=smtp_sink.url(), ALLOW_LOOPBACK_WEBHOOKS=True, RETRY_BASE_SECONDS=0.05,
                      RETRY_MAX_SECONDS=0.2)
    return app


def states():
    """Deliveries per state (ending the read at once: a worker thread may be writing)."""
    counts = dict(db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all())
    db.session.rollback()
    return counts


def open_breaker_count():
    count = db.session.scalar(select(func.count()).select_from(DeliveryBreaker)
                              .where(DeliveryBreaker.state != "closed"))
    db.session.rollback()
    return count


def fewest_attempts():
    attempts = db.session.scalar(select(func.min(Delivery.attempts))) or 0
    db.session.rollback()
    return attempts


def test_an_incident_fans_out_to_email_webhook_and_chat(wired, smtp_sink, http_sink):
    api = create_component(SYSTEM, name="API")
    subscribe("email", "ops@example.com")
    hook = subscribe("webhook", http_sink.url("/hook"))
    subscribe("chat", http_sink.url("/chat", scheme="json"))
    incident = open_incident(SYSTEM, name="API unreachable", body="We are **investigating**.",
                             components={api.id: "major_outage"})

    run_worker(wired, once=True)

    mail = smtp_sink.wait_for(1)
    assert [m.rcpt_tos for m in mail] == [["ops@example.com"]]
    assert "API unreachable" in mail[0].subject
    requests = {r.path: r for r in http_sink.wait_for(2)}
    assert set(requests) == {"/hook", "/chat"}
    assert b"API unreachable" in requests["/hook"].body and b"API unreachable" in requests["/chat"].body
    key = f"{db.session.scalar(select(Delivery.event_id))}-{hook.public_id}"
    assert key in requests["/hook"].headers.values() or key.encode() in requests["/hook"].body
    assert states() == {"sent": 3}
    assert incident.id


def test_an_internal_note_is_sent_to_internal_subscribers_only(wired, http_sink):
    subscribe("webhook", http_sink.url("/public"))
    subscribe("webhook", http_sink.url("/internal"), audience="internal")
    incident = open_incident(SYSTEM, name="Slow dashboard", body="Looking", deliver_notifications=False)
    post_update(SYSTEM, incident.id, body="Suspect the cache cluster (staff only)", visibility="internal")

    run_worker(wired, once=True)

    requests = http_sink.wait_for(1)
    assert [r.path for r in requests] == ["/internal"]
    assert b"cache cluster" in requests[0].body


def test_deliveries_survive_an_outage_through_backoff(wired, http_sink):
    wired.config["MAX_ATTEMPTS"] = 1000  # the outage must not outlast the retries here
    for n in range(20):
        subscribe("webhook", http_sink.url(f"/s/{n}"))
    open_incident(SYSTEM, name="Down", body="Looking")
    port = http_sink.port
    http_sink.stop()  # the receiver is down
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(wired,), kwargs={"stop_event": stop,
                                                                       "poll_interval": 0.05})
    thread.start()
    try:
        # the refused connections open the host's circuit breaker: its deliveries wait, none given up
        assert wait_until(lambda: open_breaker_count() == 1, timeout=10)
        assert set(states()) <= {"pending", "claimed"}
        revived = HttpSink(port=port).start()  # the receiver comes back
        try:
            wait_until(lambda: len({r.path for r in revived.requests}) >= 20, timeout=20)
        finally:
            revived.stop()
    finally:
        stop.set()
        thread.join(10)
    assert {r.path for r in revived.requests} == {f"/s/{n}" for n in range(20)}
    assert states() == {"sent": 20}


def test_it_disables_subscriber_on_410(wired, http_sink):
    gone = subscribe("webhook", http_sink.url("/gone"))
    http_sink.status = 410
    open_incident(SYSTEM, name="Down", body="Looking")

    run_worker(wired, once=True)

    delivery = db.session.scalars(select(Delivery)).one()
    assert delivery.state == "dead" and "410" in delivery.last_error
    db.session.refresh(gone)
    assert gone.disabled_at is not None and "410" in gone.disabled_reason


def test_a_webhook_that_cannot_be_prepared_fails_alone_and_the_rest_of_its_batch_goes_out(wired, http_sink,
                                                                                          monkeypatch):
    """The worker prepares a batch's webhooks (body, checked URL) before it sends any: a URL refused at sending
    (stored before the rule, or edited in the database) disables its subscriber with the reason; a body that
    cannot be rendered is our bug (dead, subscriber kept); every other webhook of the batch is sent."""
    from notifiers import render_once

    fine = [subscribe("webhook", http_sink.url(f"/ok/{n}")) for n in range(3)]
    private = subscribe("webhook", "https://10.1.2.3/hook")
    unrenderable = subscribe("webhook", http_sink.url("/broken"))
    real = render_once.webhook_body_for

    def body_for(kind, context, template_dir, event_key=None):
        if context["subscriber"]["id"] == unrenderable.public_id:
            raise ValueError("a template bug")
        return real(kind, context, template_dir, event_key)

    monkeypatch.setattr(render_once, "webhook_body_for", body_for)
    open_incident(SYSTEM, name="Down", body="Looking")

    run_worker(wired, once=True)

    assert sorted(r.path for r in http_sink.wait_for(3)) == ["/ok/0", "/ok/1", "/ok/2"]
    reasons = dict(db.session.execute(select(Delivery.subscriber_id, Delivery.last_error)
                                      .where(Delivery.state == "dead")).all())
    assert set(reasons) == {private.id, unrenderable.id}
    assert "not public" in reasons[private.id] or "private" in reasons[private.id]
    assert "could not render" in reasons[unrenderable.id] and "a template bug" in reasons[unrenderable.id]
    for subscriber in (private, unrenderable, *fine):
        db.session.refresh(subscriber)
    assert private.disabled_at is not None and unrenderable.disabled_at is None
    assert all(subscriber.disabled_at is None for subscriber in fine)


def test_a_5xx_is_retried_until_it_succeeds(wired, http_sink):
    subscribe("webhook", http_sink.url("/flaky"))
    http_sink.script = [503, 500]
    open_incident(SYSTEM, name="Down", body="Looking")
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(wired,), kwargs={"stop_event": stop,
                                                                       "poll_interval": 0.05})
    thread.start()
    wait_until(lambda: states().get("sent") == 1, timeout=10)
    stop.set()
    thread.join(10)
    assert len(http_sink.requests) == 3
    assert db.session.scalars(select(Delivery.attempts)).one() == 3


def test_the_worker_reports_a_heartbeat(wired):
    run_worker(wired, once=True, name="beat-test")
    heartbeat = db.session.get(WorkerHeartbeat, "beat-test")
    assert heartbeat is not None and heartbeat.seen_at >= heartbeat.started_at


def test_start_in_thread_runs_one_daemon_worker(wired, monkeypatch):
    calls = []
    release = threading.Event()
    monkeypatch.setattr(worker, "run_worker", lambda app, **kw: (calls.append(kw), release.wait(5)))
    monkeypatch.setattr(worker, "_thread", None)
    first = worker.start_in_thread(wired)
    second = worker.start_in_thread(wired)
    release.set()
    first.join(5)
    assert first is second and first.daemon and len(calls) == 1


def test_the_deliveries_command_lists_dead_deliveries(wired, http_sink, runner):
    subscribe("webhook", http_sink.url("/gone"))
    http_sink.status = 404
    open_incident(SYSTEM, name="Down", body="Looking")
    run_worker(wired, once=True)

    result = runner.invoke(args=["deliveries", "--state", "dead"])
    assert result.exit_code == 0
    assert "dead: 1" in result.output and "404" in result.output and "incident.opened" in result.output


def webhook_subscribers(http_sink, count: int) -> None:
    """``count`` confirmed webhook subscribers, at ``/s/<n>`` on ``http_sink``, in one INSERT."""
    now = utcnow()
    db.session.execute(insert(Subscriber), [
        {"public_id": new_id(), "channel": "webhook", "target": http_sink.url(f"/s/{n}"), "audience": "public",
         "all_components": True, "min_impact": "none", "confirmed_at": now, "secret": "", "created_at": now,
         "updated_at": now} for n in range(count)])
    db.session.commit()


@only_on_postgresql
def test_two_workers_on_postgresql_never_send_a_delivery_twice(wired, http_sink):
    webhook_subscribers(http_sink, 300)
    open_incident(SYSTEM, name="Down", body="Looking")
    dispatch.expand_events()  # both workers start with the same 300 due deliveries

    threads = [threading.Thread(target=run_worker, args=(wired,),
                                kwargs={"name": f"w{i}", "once": True, "batch": 10, "concurrency": 4})
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    paths = [r.path for r in http_sink.requests]
    assert len(paths) == 300 == len(set(paths))
    claimed_by = dict(db.session.execute(select(Delivery.claimed_by, func.count()).group_by(
        Delivery.claimed_by)).all())
    assert states() == {"sent": 300}
    assert set(claimed_by) == {"w0", "w1"}  # both took part



def test_the_worker_command_delivers_what_is_due_and_exits_with_once(wired, http_sink, runner):
    subscribe("webhook", http_sink.url("/cli"))
    open_incident(SYSTEM, name="Down", body="Looking")
    result = runner.invoke(args=["worker", "--once", "--name", "cli-test", "--concurrency", "2"])
    assert result.exit_code == 0, result.output
    assert [r.path for r in http_sink.wait_for(1)] == ["/cli"]
    assert states() == {"sent": 1}
    assert runner.invoke(args=["worker", "--concurrency", "0"]).exit_code == 2  # bad input: usage error
