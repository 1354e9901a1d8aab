"""Major incidents: leaders told at once over real SMTP, the update and summary cadence reminded once per due
time, SLA warning and breach notices once, executive summaries on the internal timeline only."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from statuspage.domain import cadence, clock, leadership
from statuspage.domain.command import acknowledge, assign_owner
from statuspage.domain.incidents import open_incident, post_update, update_incident
from statuspage.domain.recording import SYSTEM, Actor
from statuspage.domain.subscriptions import subscribe
from statuspage.extensions import db
from statuspage.models import Delivery, Incident, NotificationEvent, Subscriber
from statuspage.worker import run_worker


@pytest.fixture(autouse=True)
def _email_on(app):
    app.config.update(SMTP_URL="smtp://127.0.0.1:9")  # email is offered; nothing is sent unless a test runs the worker


@pytest.fixture
def wired(app, smtp_sink):
    app.config.update(SMTP_URL=smtp_sink.url(), ALLOW_LOOPBACK_WEBHOOKS=True, PUBLIC_URL="https://status.example.com")
    return app


P = {1: {"itil_impact": 1, "itil_urgency": 1}, 2: {"itil_impact": 1, "itil_urgency": 2},
     3: {"itil_impact": 2, "itil_urgency": 2}, 4: {"itil_impact": 2, "itil_urgency": 3}}


def leader(target="ceo@example.com", mode="major", channel="email"):
    subscriber = subscribe(channel, target, audience="internal", confirmed=True).subscriber
    return leadership.set_leader_preference(SYSTEM, subscriber, mode)


def events(kind):
    found = db.session.scalars(select(NotificationEvent).where(NotificationEvent.kind == kind)).all()
    db.session.rollback()
    return found


def recipients(event):
    """Targets of the subscribers ``event`` expands to (expanding it now)."""
    from statuspage.dispatch import expand_events
    expand_events()
    rows = db.session.execute(select(Subscriber.target).join(Delivery, Delivery.subscriber_id == Subscriber.id)
                              .where(Delivery.event_id == event.id)).scalars().all()
    db.session.rollback()
    return sorted(rows)


def test_a_p1_reaches_the_leadership_audience_over_real_smtp_and_chat(wired, smtp_sink, http_sink):
    leader("ceo@example.com")
    leader(http_sink.url("/leaders-room", scheme="json"), channel="chat")
    subscribe("email", "staff@example.com", audience="internal", confirmed=True)
    subscribe("email", "customer@example.com", confirmed=True)
    incident = open_incident(SYSTEM, name="Payments down", body="Card payments fail.", **P[1],
                             deliver_notifications=False)

    run_worker(wired, once=True)

    mail = smtp_sink.wait_for(1)
    assert [m.rcpt_tos for m in mail] == [["ceo@example.com"]]
    assert "Major incident: Payments down" in mail[0].subject
    text = mail[0].part("plain")
    assert "Priority: P1 Critical" in text
    assert f"https://status.example.com/internal/incidents/{incident.id}" in text
    chat = [r for r in http_sink.wait_for(1) if b"Major incident" in r.body]
    assert [r.path for r in chat] == ["/leaders-room"]


def test_a_p3_flagged_major_later_tells_leaders_once(app):
    leader()
    incident = open_incident(SYSTEM, name="Slow search", body="", **P[3])
    assert events("incident.major") == []
    update_incident(SYSTEM, incident.id, major=True)
    update_incident(SYSTEM, incident.id, name="Slow search everywhere")
    assert [e.incident_id for e in events("incident.major")] == [incident.id]


def test_leaders_who_chose_p1_p2_only_do_not_hear_of_a_p4_and_digest_readers_hear_nothing_at_once(app):
    leader("p12@example.com", "major")
    leader("all@example.com", "all")
    leader("digest@example.com", "digest")
    subscribe("email", "staff@example.com", audience="internal", confirmed=True)
    incident = open_incident(SYSTEM, name="Typo on a page", body="", **P[4])
    [opened] = events("incident.opened")
    assert recipients(opened) == ["all@example.com", "staff@example.com"]
    assert incident.id


def test_the_p1_cadence_is_twenty_minutes_for_two_hours_then_hourly(app):
    incident = open_incident(SYSTEM, name="Payments down", body="", **P[1])
    start = incident.started_at
    assert leadership.next_update_due(incident) == start + timedelta(minutes=20)
    assert cadence.update_every(incident, start + timedelta(hours=2, minutes=5)) == timedelta(hours=1)
    p2 = open_incident(SYSTEM, name="Reports slow", body="", **P[2])
    assert leadership.next_update_due(p2) == p2.started_at + timedelta(hours=1)
    assert leadership.next_summary_due(p2) is None
    assert leadership.next_summary_due(incident) == start + timedelta(minutes=30)
    p4 = open_incident(SYSTEM, name="Typo", body="", **P[4])
    assert leadership.next_update_due(p4) is None


def test_the_owner_is_reminded_once_when_an_update_is_due(app, make_user):
    owner = make_user("owner@example.com")
    subscribe("email", "Owner@example.com", audience="internal", confirmed=True)
    subscribe("email", "other@example.com", audience="internal", confirmed=True)
    incident = open_incident(SYSTEM, name="Payments down", body="", **P[2])
    assign_owner(SYSTEM, incident.id, owner.id)
    acknowledge(SYSTEM, incident.id)  # no SLA notice in the way
    due = incident.started_at + timedelta(hours=1)

    assert clock.tick(due - timedelta(minutes=1))["leadership"] == 0
    assert clock.tick(due + timedelta(minutes=1))["leadership"] == 1
    assert clock.tick(due + timedelta(minutes=5))["leadership"] == 0
    [reminder] = events("incident.update_due")
    assert recipients(reminder) == ["owner@example.com"]
    assert "public update" in reminder.payload["notice"]


def test_a_new_public_update_moves_the_due_time_and_is_reminded_again(app):
    leader()
    incident = open_incident(SYSTEM, name="Payments down", body="", **P[2])
    clock.tick(incident.started_at + timedelta(hours=1, minutes=1))
    post_update(SYSTEM, incident.id, body="Still on it.", at=incident.started_at + timedelta(hours=1, minutes=2))
    db.session.expire_all()
    clock.tick(incident.started_at + timedelta(hours=2, minutes=3))
    assert len(events("incident.update_due")) == 2


def test_an_sla_warning_and_a_breach_go_to_the_owner_and_leaders_exactly_once(app, make_user):
    owner = make_user("owner@example.com")
    subscribe("email", "owner@example.com", audience="internal", confirmed=True)
    leader("ceo@example.com")
    incident = open_incident(SYSTEM, name="Payments down", body="", **P[1])
    assign_owner(SYSTEM, incident.id, owner.id)
    acknowledge(SYSTEM, incident.id)  # the TTA timer stops
    start = incident.started_at

    clock.tick(start + timedelta(hours=3, minutes=1))  # 75% of 4 h
    clock.tick(start + timedelta(hours=3, minutes=2))
    [warning] = events("incident.sla")
    assert warning.payload["state"] == "warning" and warning.payload["timer"] == "resolve"
    assert recipients(warning) == ["ceo@example.com", "owner@example.com"]

    clock.tick(start + timedelta(hours=4, minutes=1))
    clock.tick(start + timedelta(hours=4, minutes=30))
    assert [e.payload["state"] for e in events("incident.sla")] == ["warning", "breached"]


def test_an_unacknowledged_incident_that_jumps_past_its_target_gets_only_the_breach(app):
    leader()
    incident = open_incident(SYSTEM, name="Payments down", body="", **P[1])
    clock.tick(incident.started_at + timedelta(minutes=16))
    assert [(e.payload["timer"], e.payload["state"]) for e in events("incident.sla")] == [
        ("acknowledge", "breached")]


def test_an_executive_summary_stays_on_the_internal_timeline_and_goes_to_leaders(app, client):
    leader("ceo@example.com")
    subscribe("email", "customer@example.com", confirmed=True)
    incident = open_incident(SYSTEM, name="Payments down", body="", **P[1], deliver_notifications=False)
    version = db.session.get(Incident, incident.id).revision
    summary = leadership.post_summary(Actor(label="m@example.com", source="web"), incident.id,
                                      current_status="Payments fail for 30% of cards.",
                                      overview="A bad deploy.", next_steps="Rolling back by 14:00.")
    assert summary.kind == "summary" and summary.visibility == "internal"
    assert "**Next steps**" in summary.body
    assert db.session.get(Incident, incident.id).revision == version
    [event] = events("incident.summary")
    assert recipients(event) == ["ceo@example.com"]
    assert b"Rolling back" not in client.get(f"/incidents/{incident.id}").data
    assert leadership.next_summary_due(db.session.get(Incident, incident.id)) == \
        summary.display_at + timedelta(minutes=30)


def test_a_summary_without_a_current_status_is_refused_with_the_field(app):
    from statuspage.domain.recording import DomainError
    incident = open_incident(SYSTEM, name="Payments down", body="", **P[1])
    with pytest.raises(DomainError) as refused:
        leadership.post_summary(SYSTEM, incident.id, current_status="  ")
    assert refused.value.field == "current_status"


def test_a_public_subscriber_cannot_join_the_leadership_audience(app):
    from statuspage.domain.recording import DomainError
    public = subscribe("email", "customer@example.com", confirmed=True).subscriber
    with pytest.raises(DomainError):
        leadership.set_leader_preference(SYSTEM, public, "major")


def test_two_clocks_racing_send_each_notice_once(app):
    """Two workers tick at the same moment: one breach notice, one update-due reminder."""
    import threading
    leader()
    incident = open_incident(SYSTEM, name="Payments down", body="", **P[1])
    moment = incident.started_at + timedelta(minutes=21)
    results, errors, barrier = [], [], threading.Barrier(2)

    def tick():
        with app.app_context():
            try:
                barrier.wait(5)
                results.append(clock.tick(moment)["leadership"])
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sum(results) == 2
    assert len(events("incident.sla")) == 1 and len(events("incident.update_due")) == 1


def test_an_admin_sets_the_cadence_next_to_the_sla_targets_and_the_countdown_follows(app, client, login):
    incident = open_incident(SYSTEM, name="Payments down", body="", **P[2])
    login("admin")
    assert b"Executive summary every" in client.get("/admin/settings/targets").data
    fields = {f"p{p}_{k}": "" for p in range(1, 6) for k in ("update", "summary")}
    response = client.post("/admin/settings/targets", data=fields | {"p1_update": "15", "p1_summary": "30",
                                                                      "p2_update": "45"})
    assert response.status_code == 302
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert leadership.next_update_due(incident) == incident.started_at + timedelta(minutes=45)
    refused = client.post("/admin/settings/targets", data=fields | {"p1_update": "two"})
    assert refused.status_code == 422 and b"whole number of minutes" in refused.data


def test_a_flagged_major_incident_of_low_priority_follows_p2s_cadence(app):
    incident = open_incident(SYSTEM, name="Brand site defaced", body="", major=True, **P[4])
    assert leadership.next_update_due(incident) == incident.started_at + timedelta(hours=1)
    assert leadership.next_summary_due(incident) == incident.started_at + timedelta(hours=1)


def test_only_an_admin_changes_the_cadence(app, client, login):
    login("manager")
    assert client.post("/admin/settings/targets", data={"p1_update": "5"}).status_code == 403


def test_a_leader_hears_of_a_new_p1_once_whichever_immediate_notices_they_chose(app):
    leader("all@example.com", "all")
    leader("p12@example.com", "major")
    subscribe("email", "staff@example.com", audience="internal", confirmed=True)
    incident = open_incident(SYSTEM, name="Payments down", body="Card payments fail.", **P[1])
    [opened], [major] = events("incident.opened"), events("incident.major")
    assert recipients(major) == ["all@example.com", "p12@example.com"]
    assert recipients(opened) == ["staff@example.com"]  # the leaders were told by the major-incident notice
    update = post_update(SYSTEM, incident.id, status="identified", body="A bad deploy.")
    identified = db.session.scalars(select(NotificationEvent).where(NotificationEvent.update_id == update.id)).one()
    assert recipients(identified) == ["all@example.com", "p12@example.com", "staff@example.com"]


def test_an_internal_only_incident_owes_no_public_update(app, client, login):
    hidden = open_incident(SYSTEM, name="Build farm slow", body="", visibility="internal", **P[2])
    shown = open_incident(SYSTEM, name="Search slow", body="", **P[2])
    assert leadership.next_update_due(hidden) is None
    assert leadership.next_update_due(shown) == shown.started_at + timedelta(minutes=60)
    login("manager")
    page = client.get("/admin/").get_data(as_text=True)
    assert page.count("next public update") == 1
    assert "next public update" not in client.get(f"/admin/incidents/{hidden.id}").get_data(as_text=True)
