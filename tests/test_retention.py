"""The outbox holds no secret, and what it no longer needs goes after the retention (default 90 days).

An SMS confirmation code is nowhere in the outbox (neither event nor delivery), yet the SMS carries it and it
confirms; done deliveries, their events and never-confirmed sign-ups older than the retention are purged by
the worker's clock and by ``statuspage purge``, audited; nothing still due or recent is touched.
"""
import json
from datetime import timedelta

import pytest
from conftest import make_app
from flask_migrate import upgrade
from sqlalchemy import select, text

from statuspage import dispatch
from statuspage.config import build_config
from statuspage.domain import clock, subscriptions
from statuspage.domain.incidents import open_incident
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import AuditEntry, Delivery, NotificationEvent, Subscriber
from statuspage.models.columns import utcnow
from statuspage.worker import run_worker


@pytest.fixture
def sms_app(app):
    app.config["SMS_URL"] = "twilio://sid:token@15550001111"
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    return app


class RecordingSender:
    def __init__(self):
        self.jobs = []

    def __call__(self, job):
        self.jobs.append(job)


def outbox_dump() -> str:
    """Every column of every outbox row, as text."""
    rows = []
    for table in ("notification_event", "delivery"):
        rows += [repr(tuple(row)) for row in db.session.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(rows)


def test_the_sms_code_is_nowhere_in_the_outbox_yet_the_sms_carries_it(sms_app, client):
    response = client.post("/subscribe", data={"channel": "sms", "phone": "+1 415 555 2671", "scope": "all",
                                               "min_impact": "none"})
    assert response.status_code == 302
    subscriber = db.session.scalar(select(Subscriber))
    dispatch.expand_events()
    sender = RecordingSender()
    run_worker(sms_app, once=True, sender=sender)
    [job] = sender.jobs
    code = job.context["subscriber"]["confirm_code"]
    assert code and len(code) == 6

    assert code not in outbox_dump()
    assert "code" not in json.dumps(db.session.scalar(select(NotificationEvent.payload)))
    assert code not in (subscriber.confirmation_code_hash or "")
    confirmed = client.post(response.headers["Location"], data={"code": code})
    assert confirmed.status_code == 200 and db.session.get(Subscriber, subscriber.id).state == "active"


def test_a_new_confirmation_sends_a_new_code_and_the_old_one_stops_working(sms_app):
    subscriber = subscriptions.subscribe("sms", "+14155552671").subscriber
    first = subscriptions.confirmation_code(subscriber)
    subscriber.confirmation_sent_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    subscriptions.resend_confirmation(SYSTEM, subscriber)
    second = subscriptions.confirmation_code(subscriber)
    if first == second:
        pytest.skip("one in a million: the same code twice")
    assert not subscriptions.code_matches(subscriber, first)
    assert subscriptions.confirm_code(subscriber, second).state == "active"


# --- retention ---------------------------------------------------------------------------------------------

@pytest.fixture
def aged(sms_app):
    """Old and recent outbox rows and sign-ups; the old ones 100 days old, past the default 90."""
    now = utcnow()
    old = now - timedelta(days=100)
    recent = now - timedelta(days=10)
    rows = {}
    for name, confirmed in (("old_signup", None), ("recent_signup", None), ("old_reader", old)):
        target = {"old_signup": "old@example.com", "recent_signup": "new@example.com",
                  "old_reader": "reader@example.com"}[name]
        rows[name] = Subscriber(channel="email", target=target, confirmed_at=confirmed, created_at=old,
                                confirmation_sent_at=recent if name == "recent_signup" else old)
    rows["blocked"] = Subscriber(channel="email", target="blocked@example.com", created_at=old,
                                 disabled_at=old, disabled_reason="spam")
    db.session.add_all(rows.values())
    db.session.flush()
    for name, created, state in (("old_sent", old, "sent"), ("old_dead", old, "dead"),
                                 ("old_pending", old, "pending"), ("recent_sent", recent, "sent")):
        event = NotificationEvent(kind="incident.updated", created_at=created, expanded_at=created)
        db.session.add(event)
        db.session.flush()
        delivery = Delivery(event_id=event.id, subscriber_id=rows["old_reader"].id, state=state,
                            created_at=created)
        db.session.add(delivery)
        db.session.flush()
        db.session.execute(text("UPDATE delivery SET updated_at = :at WHERE id = :id"),
                           {"at": created.replace(tzinfo=None), "id": delivery.id})
        rows[name] = event
    rows["old_unexpanded"] = NotificationEvent(kind="incident.updated", created_at=old)
    db.session.add(rows["old_unexpanded"])
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


def purge(**kwargs) -> dict[str, int]:
    from statuspage.domain import retention  # imported here: the module is new, the SMS tests run without it

    return retention.purge(SYSTEM, **kwargs)


def remaining(model, ids: dict, names) -> set[str]:
    db.session.expire_all()
    return {name for name in names if db.session.get(model, ids[name]) is not None}


def test_purge_removes_done_deliveries_their_events_and_stale_signups_only(aged):
    counts = purge()
    assert counts == {"deliveries": 2, "events": 2, "unconfirmed_subscribers": 1,
                      "received_alerts": 0}
    events = ("old_sent", "old_dead", "old_pending", "recent_sent", "old_unexpanded")
    assert remaining(NotificationEvent, aged, events) == {"old_pending", "recent_sent", "old_unexpanded"}
    assert remaining(Subscriber, aged, ("old_signup", "recent_signup", "old_reader", "blocked")) == {
        "recent_signup", "old_reader", "blocked"}
    assert set(db.session.scalars(select(Delivery.state))) == {"pending", "sent"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.purge"))
    assert entry.after["deliveries"] == 2 and entry.after["days"] == 90


def test_the_retention_is_configurable(aged, sms_app, monkeypatch):
    sms_app.config["RETENTION_DAYS"] = 200
    assert sum(purge().values()) == 0
    monkeypatch.setenv("STATUSPAGE_RETENTION_DAYS", "30")
    assert build_config()["RETENTION_DAYS"] == 30
    monkeypatch.delenv("STATUSPAGE_RETENTION_DAYS")
    assert build_config()["RETENTION_DAYS"] == 90
    for bad in ("0", "ninety"):
        monkeypatch.setenv("STATUSPAGE_RETENTION_DAYS", bad)
        with pytest.raises(SystemExit, match="STATUSPAGE_RETENTION_DAYS"):
            build_config()


def test_the_worker_clock_purges_at_most_once_an_hour(aged):
    now = utcnow()
    assert clock.tick(now)["purged"] == 5
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "retention.purge")) == 1
    db.session.get(Subscriber, aged["recent_signup"]).confirmation_sent_at = now - timedelta(days=95)
    db.session.commit()
    assert clock.tick(now + timedelta(minutes=30))["purged"] == 0
    assert clock.tick(now + timedelta(minutes=61))["purged"] == 1


def test_statuspage_purge_runs_it_on_demand_and_audits_it(aged, runner):
    result = runner.invoke(args=["purge", "--days", "5"])
    assert result.exit_code == 0, result.output
    assert "purged 3 deliveries, 3 events and 2 unconfirmed subscribers, 0 old alerts" in result.output
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.purge"))
    assert entry.source == "cli" and entry.after["days"] == 5
    assert runner.invoke(args=["purge", "--days", "0"]).exit_code == 2


def test_the_migration_takes_the_code_out_of_the_outbox_and_hides_old_staff_text(tmp_path):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'migrating.db'}")
    with app.app_context():
        db.drop_all()
        upgrade(revision="1eb407b75e60")
        statements = [
            "INSERT INTO incident (id, kind, name, status, impact, visibility, major, started_at, created_at,"
            " updated_at, scheduled_remind_prior, remind_minutes_before, scheduled_auto_in_progress,"
            " scheduled_auto_completed, revision) VALUES ('inc1', 'incident', 'x', 'investigating', 'none',"
            " 'internal', 0, '2026-01-01', '2026-01-01', '2026-01-01', 0, 60, 0, 0, 1)",
            "INSERT INTO incident_update (id, incident_id, status, body, visibility, display_at, created_at,"
            " updated_at, deliver_notifications, revision) VALUES ('up1', 'inc1', 'investigating', 'staff',"
            " 'public', '2026-01-01', '2026-01-01', '2026-01-01', 0, 1)",
            "INSERT INTO component_group (id, name, position, visibility, collapsed, created_at, updated_at,"
            " revision) VALUES ('g1', 'Back office', 1, 'internal', 0, '2026-01-01', '2026-01-01', 1)",
            "INSERT INTO component (id, name, status, position, group_id, visibility, showcase,"
            " only_show_if_degraded, created_at, updated_at, revision) VALUES ('c1', 'Payroll', 'operational',"
            " 1, 'g1', 'public', 1, 0, '2026-01-01', '2026-01-01', 1)",
            "INSERT INTO subscriber (id, public_id, channel, target, audience, all_components, min_impact,"
            " confirmation_code_hash, confirmation_attempts, secret, created_at, updated_at) VALUES"
            " (1, 's1', 'sms', '+14155552671', 'public', 1, 'none', 'oldhash', 2, '', '2026-01-01',"
            " '2026-01-01')",
            "INSERT INTO notification_event (id, kind, subscriber_id, payload, created_at, expand_cursor)"
            " VALUES (1, 'subscription.confirm', 1, '{\"code\": \"123456\", \"purpose\": \"confirm\"}',"
            " '2026-01-01', 0)",
        ]
        with db.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
        upgrade(revision="leaks01")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT visibility FROM incident_update")).scalar() == "internal"
            assert conn.execute(text("SELECT visibility FROM component")).scalar() == "internal"
            assert "123456" not in conn.execute(text("SELECT payload FROM notification_event")).scalar()
            seed = conn.execute(text("SELECT confirmation_code_hash FROM subscriber")).scalar()
            assert seed.startswith("seed:")
        db.session.remove()
        db.engine.dispose()


def test_purging_an_unexpanded_or_recent_outbox_changes_nothing(sms_app):
    open_incident(SYSTEM, name="Now", body="x")
    assert purge() == {"deliveries": 0, "events": 0, "unconfirmed_subscribers": 0,
                       "received_alerts": 0}
    assert db.session.scalar(select(db.func.count()).select_from(NotificationEvent)) == 1
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "retention.purge")) == 0
