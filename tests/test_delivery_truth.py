"""Deliveries tell the truth: every subscriber of an event gets a row, a channel the site cannot send on is a
visible failure with its reason, a send that succeeded is recorded as sent, and one bad row fails alone."""
import time

import pytest
from sqlalchemy import select

from statuspage import dispatch
from statuspage.domain.components import create_component
from statuspage.domain.incidents import open_incident
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Delivery, NotificationEvent, Subscriber
from statuspage.models.columns import utcnow
from statuspage.worker import run_worker

NO_SMTP = "email is not configured: set STATUSPAGE_SMTP_URL"


def subscribe(target, channel="webhook"):
    subscriber = Subscriber(channel=channel, target=target, audience="public", confirmed_at=utcnow())
    db.session.add(subscriber)
    db.session.commit()
    return subscriber


class RecordingSender:
    def __init__(self):
        self.targets = []

    def __call__(self, job):
        self.targets.append(job.target)


def delivery_of(subscriber) -> Delivery:
    db.session.expire_all()
    return db.session.scalars(select(Delivery).where(Delivery.subscriber_id == subscriber.id)).one()


@pytest.fixture
def api(app):
    return create_component(SYSTEM, name="API")


def test_a_worker_without_an_smtp_url_gives_email_subscribers_a_dead_delivery_with_the_reason(
        app, api, client, login, runner):
    assert not app.config.get("SMTP_URL")
    reader = subscribe("reader@example.com", channel="email")
    hook = subscribe("https://hooks.test/a")
    open_incident(SYSTEM, name="Down", body="Looking", components={api.id: "major_outage"})
    sender = RecordingSender()

    run_worker(app, once=True, sender=sender)

    assert sender.targets == ["https://hooks.test/a"]
    assert delivery_of(hook).state == "sent"
    email = delivery_of(reader)
    assert (email.state, email.last_error) == ("dead", NO_SMTP)
    assert db.session.get(Subscriber, reader.id).disabled_at is None  # the address is not to blame
    login("viewer")
    assert NO_SMTP in client.get("/admin/deliveries?show=dead").get_data(as_text=True)
    result = runner.invoke(args=["deliveries", "--state", "dead"])
    assert result.exit_code == 0 and NO_SMTP in result.output and "reader@example.com" in result.output


def test_an_sms_subscriber_without_an_sms_provider_gets_a_dead_delivery_with_the_reason(app, api):
    texter = subscribe("+14155552671", channel="sms")
    open_incident(SYSTEM, name="Down", body="Looking")
    run_worker(app, once=True, sender=RecordingSender())
    assert (delivery_of(texter).state, delivery_of(texter).last_error) == (
        "dead", "SMS is not configured: set STATUSPAGE_SMS_URL")


def test_a_send_that_succeeds_after_its_lease_expired_into_dead_is_recorded_as_sent(app, api):
    app.config["MAX_ATTEMPTS"] = 1
    hook = subscribe("https://hooks.test/slow")
    open_incident(SYSTEM, name="Down", body="Looking")
    dispatch.expand_events()
    [claimed] = dispatch.claim_due("slow-worker", limit=10, lease_seconds=0.2)
    time.sleep(0.3)  # the send takes longer than the lease
    dispatch.release_expired_leases()
    assert delivery_of(hook).state == "dead"

    dispatch.record_results("slow-worker", [dispatch.Outcome(claimed, sent=True)])

    delivery = delivery_of(hook)
    assert (delivery.state, delivery.last_error, delivery.claimed_by) == ("sent", None, "slow-worker")
    assert delivery.sent_at is not None


def test_one_delivery_whose_context_cannot_be_built_fails_alone_and_the_batch_is_sent(app, api):
    app.config.update(MAX_ATTEMPTS=2, RETRY_BASE_SECONDS=0, RETRY_MAX_SECONDS=0)
    hooks = [subscribe(f"https://hooks.test/{n}") for n in range(3)]
    incident = open_incident(SYSTEM, name="Down", body="Looking")
    dispatch.expand_events()
    poison = NotificationEvent(kind="incident.updated", incident_id=incident.id, payload="not an object")
    db.session.add(poison)
    db.session.commit()
    dispatch.expand_events()
    sender = RecordingSender()

    run_worker(app, once=True, sender=sender)

    assert sorted(sender.targets) == [h.target for h in hooks]  # the good event reached everyone, once
    db.session.expire_all()
    rows = db.session.scalars(select(Delivery).where(Delivery.event_id == poison.id)).all()
    assert len(rows) == 3
    for row in rows:
        assert row.state == "dead" and row.attempts == 2
        assert "could not prepare incident.updated" in row.last_error and "ValueError" in row.last_error
    assert all(db.session.get(Subscriber, h.id).disabled_at is None for h in hooks)
