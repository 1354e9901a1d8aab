"""The outbox: who an event reaches, idempotent expansion, claims and leases, retries, dead letters and the
operator's retry/discard actions. Real database; the sender is a recording stand-in where transport does
not matter (tests/test_worker.py sends through real sinks)."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from statuspage import dispatch
from statuspage.domain import deliveries
from statuspage.domain.components import create_component
from statuspage.domain.incidents import open_incident, post_update
from statuspage.domain.maintenance import schedule_maintenance
from statuspage.domain.recording import SYSTEM, Actor, DomainError
from statuspage.domain.subscription_tokens import confirmation_code, new_code_seed
from statuspage.extensions import db
from statuspage.models import AuditEntry, Delivery, Subscriber, SubscriberComponent
from statuspage.models.columns import utcnow
from statuspage.worker import DeliveryFailed, run_worker


def subscribe(target, channel="webhook", audience="public", components=None, min_impact="none",
              confirmed=True):
    subscriber = Subscriber(channel=channel, target=target, audience=audience, min_impact=min_impact,
                            all_components=components is None, confirmed_at=utcnow() if confirmed else None)
    db.session.add(subscriber)
    db.session.flush()
    for cid in components or []:
        db.session.add(SubscriberComponent(subscriber_id=subscriber.id, component_id=cid))
    db.session.commit()
    return subscriber


def recipients(event_kind=None):
    query = select(Subscriber.target).join(Delivery, Delivery.subscriber_id == Subscriber.id)
    if event_kind:
        from statuspage.models import NotificationEvent
        query = query.join(NotificationEvent, NotificationEvent.id == Delivery.event_id).where(
            NotificationEvent.kind == event_kind)
    return sorted(db.session.scalars(query))


class RecordingSender:
    """Records every job; ``fail`` maps a target to the DeliveryFailed to raise for it."""

    def __init__(self, fail=None):
        self.jobs = []
        self.fail = fail or {}

    def __call__(self, job):
        self.jobs.append(job)
        if job.target in self.fail:
            raise self.fail[job.target]


@pytest.fixture
def api(app):
    return create_component(SYSTEM, name="API")


def test_it_reaches_confirmed_subscribers_only_even_on_unavailable_channels(app, api):
    subscribe("https://hooks.test/a")
    subscribe("https://hooks.test/unconfirmed", confirmed=False)
    disabled = subscribe("https://hooks.test/disabled")
    disabled.disabled_at = utcnow()
    # No SMTP_URL configured: the row is still made, and the worker records why it cannot be sent.
    subscribe("someone@example.com", channel="email")
    db.session.commit()
    open_incident(SYSTEM, name="Down", body="Looking", components={api.id: "major_outage"})

    assert dispatch.expand_events() == 2
    assert recipients() == ["https://hooks.test/a", "someone@example.com"]


def test_it_sends_email_once_an_smtp_url_is_configured(app, api):
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525"
    subscribe("someone@example.com", channel="email")
    open_incident(SYSTEM, name="Down", body="Looking")
    dispatch.expand_events()
    assert recipients() == ["someone@example.com"]


def test_an_internal_note_reaches_internal_subscribers_only(app, api):
    subscribe("https://hooks.test/public")
    subscribe("https://hooks.test/internal", audience="internal")
    incident = open_incident(SYSTEM, name="Down", body="Looking", components={api.id: "major_outage"})
    post_update(SYSTEM, incident.id, body="Root cause is the new load balancer", visibility="internal")
    dispatch.expand_events()

    assert recipients("incident.opened") == ["https://hooks.test/internal", "https://hooks.test/public"]
    assert recipients("incident.updated") == ["https://hooks.test/internal"]


def test_an_internal_incident_reaches_internal_subscribers_only(app, api):
    subscribe("https://hooks.test/public")
    subscribe("https://hooks.test/internal", audience="internal")
    open_incident(SYSTEM, name="Staff only", body="Looking", visibility="internal")
    dispatch.expand_events()
    assert recipients() == ["https://hooks.test/internal"]


def test_component_filter_limits_who_hears_of_an_incident(app, api):
    db_component = create_component(SYSTEM, name="Database")
    subscribe("https://hooks.test/all")
    subscribe("https://hooks.test/api", components=[api.id])
    subscribe("https://hooks.test/db", components=[db_component.id])
    open_incident(SYSTEM, name="API down", body="Looking", components={api.id: "major_outage"})
    open_incident(SYSTEM, name="Something", body="No component named")
    dispatch.expand_events()

    assert recipients("incident.opened").count("https://hooks.test/db") == 1  # only the componentless one
    assert recipients("incident.opened").count("https://hooks.test/api") == 2
    assert recipients("incident.opened").count("https://hooks.test/all") == 2


def test_min_impact_filters_minor_incidents_but_not_maintenance(app, api):
    subscribe("https://hooks.test/any")
    subscribe("https://hooks.test/major-only", min_impact="major")
    open_incident(SYSTEM, name="Slow", body="Looking", impact="minor")
    open_incident(SYSTEM, name="Down", body="Looking", impact="critical")
    start = utcnow() + timedelta(days=1)
    schedule_maintenance(SYSTEM, name="Upgrade", scheduled_for=start, scheduled_until=start + timedelta(hours=1),
                         component_ids=[api.id])
    dispatch.expand_events()

    assert recipients("incident.opened") == ["https://hooks.test/any", "https://hooks.test/any",
                                             "https://hooks.test/major-only"]
    assert recipients("maintenance.scheduled") == ["https://hooks.test/any", "https://hooks.test/major-only"]


def test_a_silent_update_enqueues_nothing(app, api):
    subscribe("https://hooks.test/a")
    incident = open_incident(SYSTEM, name="Down", body="Looking", deliver_notifications=False)
    post_update(SYSTEM, incident.id, body="Still looking", deliver_notifications=False)
    assert dispatch.expand_events() == 0
    assert recipients() == []


def test_expansion_is_batched_resumable_and_idempotent(app, api):
    for n in range(25):
        subscribe(f"https://hooks.test/{n:02d}")
    open_incident(SYSTEM, name="Down", body="Looking")

    assert dispatch.expand_events(batch_size=10, max_batches=1) == 10  # a worker dies after one batch
    from statuspage.models import NotificationEvent
    event = db.session.scalars(select(NotificationEvent)).one()
    assert event.expanded_at is None and event.expand_cursor > 0
    event.expand_cursor = 0  # worst case: the cursor update was lost, the batch is redone
    db.session.commit()
    dispatch.expand_events(batch_size=10)
    dispatch.expand_events(batch_size=10)

    assert len(recipients()) == 25 == len(set(recipients()))
    assert db.session.get(NotificationEvent, event.id).expanded_at is not None


def test_a_confirmation_goes_to_its_one_subscriber_even_unconfirmed(app):
    app.config["SMS_URL"] = "twilio://SID:TOKEN@+15550001111"
    subscribe("https://hooks.test/other")
    newcomer = subscribe("+15555550100", channel="sms", confirmed=False)
    newcomer.confirmation_code_hash = new_code_seed()
    dispatch.enqueue("subscription.confirm", None, None, subscriber_id=newcomer.id)
    db.session.commit()
    dispatch.expand_events()
    sender = RecordingSender()
    run_worker(app, once=True, sender=sender)

    assert [job.target for job in sender.jobs] == ["+15555550100"]
    assert sender.jobs[0].context["subscriber"]["confirm_code"] == confirmation_code(newcomer)
    assert len(confirmation_code(newcomer)) == 6


def test_claims_are_committed_and_expired_leases_return_to_pending(app, api):
    subscribe("https://hooks.test/a")
    open_incident(SYSTEM, name="Down", body="Looking")
    dispatch.expand_events()

    ids = dispatch.claim_due("w1", limit=10, lease_seconds=0.5)
    assert len(ids) == 1
    assert dispatch.claim_due("w2", limit=10) == []  # claimed rows are not due for anyone else
    db.session.expire_all()
    delivery = db.session.get(Delivery, ids[0])
    assert (delivery.state, delivery.claimed_by) == ("claimed", "w1")

    assert dispatch.release_expired_leases() == 0
    time.sleep(0.6)  # the worker holding it went silent
    assert dispatch.release_expired_leases() == 1
    db.session.expire_all()
    assert db.session.get(Delivery, ids[0]).state == "pending"
    assert dispatch.claim_due("w2", limit=10) == ids


def test_a_transient_failure_is_retried_later_with_backoff(app, api):
    app.config.update(RETRY_BASE_SECONDS=60, RETRY_MAX_SECONDS=600)
    subscribe("https://hooks.test/flaky")
    open_incident(SYSTEM, name="Down", body="Looking")
    sender = RecordingSender({"https://hooks.test/flaky": DeliveryFailed("HTTP 503")})
    before = utcnow()
    run_worker(app, once=True, sender=sender)

    delivery = db.session.scalars(select(Delivery)).one()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("pending", 1, "HTTP 503")
    assert before <= delivery.next_attempt_at <= utcnow() + timedelta(seconds=60)
    assert len(sender.jobs) == 1  # not due again yet, so the pass ended


def test_backoff_grows_exponentially_and_is_capped(app):
    app.config.update(RETRY_BASE_SECONDS=10, RETRY_MAX_SECONDS=100)
    ceilings = [max(dispatch.backoff_seconds(n) for _ in range(300)) for n in (1, 2, 3, 8)]
    assert 5 < ceilings[0] <= 10
    assert 10 < ceilings[1] <= 20
    assert 20 < ceilings[2] <= 40
    assert 50 < ceilings[3] <= 100


def test_it_gives_up_after_the_last_attempt(app, api):
    app.config.update(RETRY_BASE_SECONDS=0, MAX_ATTEMPTS=3)
    subscribe("https://hooks.test/flaky")
    open_incident(SYSTEM, name="Down", body="Looking")
    sender = RecordingSender({"https://hooks.test/flaky": DeliveryFailed("connection refused")})
    run_worker(app, once=True, sender=sender)

    delivery = db.session.scalars(select(Delivery)).one()
    assert len(sender.jobs) == 3
    assert delivery.state == "dead"
    assert delivery.last_error == "gave up after 3 attempts: connection refused"
    assert db.session.scalars(select(Subscriber)).one().disabled_at is None


def test_it_disables_subscriber_on_permanent_target_error(app, api):
    gone = subscribe("https://hooks.test/gone")
    subscribe("https://hooks.test/fine")
    incident = open_incident(SYSTEM, name="Down", body="Looking")
    sender = RecordingSender({"https://hooks.test/gone": DeliveryFailed("HTTP 410 Gone", permanent=True)})
    run_worker(app, once=True, sender=sender)

    dead = db.session.scalars(select(Delivery).where(Delivery.subscriber_id == gone.id)).one()
    assert (dead.state, dead.attempts, dead.last_error) == ("dead", 1, "HTTP 410 Gone")
    db.session.refresh(gone)
    assert gone.disabled_at is not None and "HTTP 410 Gone" in gone.disabled_reason
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscriber.disable")).one()
    assert audit.object_id == str(gone.id)

    post_update(SYSTEM, incident.id, body="Still down")
    run_worker(app, once=True, sender=sender)
    assert [j.target for j in sender.jobs].count("https://hooks.test/gone") == 1  # not tried again
    assert [j.target for j in sender.jobs].count("https://hooks.test/fine") == 2


def test_a_template_error_kills_the_delivery_but_keeps_the_subscriber(app, api):
    subscriber = subscribe("https://hooks.test/a")
    open_incident(SYSTEM, name="Down", body="Looking")
    failure = DeliveryFailed("could not render", permanent=True, blame_target=False)
    run_worker(app, once=True, sender=RecordingSender({"https://hooks.test/a": failure}))
    assert db.session.scalars(select(Delivery.state)).one() == "dead"
    db.session.refresh(subscriber)
    assert subscriber.disabled_at is None


def test_operators_can_retry_a_dead_delivery_and_discard_a_pending_one(app, api):
    subscribe("https://hooks.test/a")
    open_incident(SYSTEM, name="Down", body="Looking")
    sender = RecordingSender({"https://hooks.test/a": DeliveryFailed("HTTP 500", permanent=True,
                                                                     blame_target=False)})
    run_worker(app, once=True, sender=sender)
    delivery = db.session.scalars(select(Delivery)).one()
    admin = Actor(label="admin@example.com", source="web")

    assert delivery.state == "dead"
    deliveries.retry_delivery(admin, delivery.id)
    assert db.session.get(Delivery, delivery.id).state == "pending"
    with pytest.raises(DomainError, match="only a dead or discarded"):
        deliveries.retry_delivery(admin, delivery.id)
    sender.fail.clear()
    run_worker(app, once=True, sender=sender)
    assert db.session.get(Delivery, delivery.id).state == "sent"
    with pytest.raises(DomainError, match="only a pending or dead"):
        deliveries.discard_delivery(admin, delivery.id)

    open_incident(SYSTEM, name="Again", body="Looking")
    dispatch.expand_events()
    pending = db.session.scalars(select(Delivery).where(Delivery.state == "pending")).one()
    deliveries.discard_delivery(admin, pending.id)
    run_worker(app, once=True, sender=sender)
    assert db.session.get(Delivery, pending.id).state == "discarded"
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "delivery")).all()
    assert sorted(actions) == ["delivery.discard", "delivery.retry"]


def test_retrying_an_unknown_delivery_is_a_not_found(app):
    from statuspage.domain.recording import NotFound
    with pytest.raises(NotFound):
        deliveries.retry_delivery(SYSTEM, 424242)
    with pytest.raises(NotFound):
        deliveries.discard_delivery(SYSTEM, "not-a-number")


def test_delivery_counts_cover_every_state(app, api):
    subscribe("https://hooks.test/a")
    open_incident(SYSTEM, name="Down", body="Looking")
    dispatch.expand_events()
    counts = deliveries.delivery_counts()
    assert counts["pending"] == 1 and counts["dead"] == 0 and set(counts) >= {"sent", "claimed", "discarded"}
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1


def test_public_subscribers_never_see_internal_components_priority_or_owner(app, api, make_user):
    secret = create_component(SYSTEM, name="Billing backend", visibility="internal")
    owner = make_user("oncall@example.com", "manager")
    subscribe("https://hooks.test/public")
    subscribe("https://hooks.test/internal", audience="internal")
    open_incident(SYSTEM, name="Payments failing", body="Looking",
                  components={api.id: "partial_outage", secret.id: "major_outage"},
                  itil_impact=1, itil_urgency=1, owner_id=owner.id)
    sender = RecordingSender()
    run_worker(app, once=True, sender=sender)

    by_target = {job.target: job.context for job in sender.jobs}
    public, internal = by_target["https://hooks.test/public"], by_target["https://hooks.test/internal"]
    assert [c["name"] for c in public["incident"]["components"]] == ["API"]
    assert public["incident"]["priority_label"] is None and public["incident"]["owner"] is None
    assert "Billing backend" not in repr(public)
    assert sorted(c["name"] for c in internal["incident"]["components"]) == ["API", "Billing backend"]
    assert internal["incident"]["priority_label"] == "P1 Critical"
    assert internal["incident"]["owner"] == "oncall@example.com"
    assert public["subscriber"]["unsubscribe_url"].startswith("http://status.test/")
    assert public["update"]["body_html"].strip() == "<p>Looking</p>"
