"""The internal audience gets internal content: notes reach internal subscribers (their filters apply) and never
public ones, internal messages link to /internal/incidents/<id>, leaders choose immediate notices or a daily
digest, and nothing of it reaches a public surface."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from notifiers.render import render
from statuspage.dispatch import expand_events
from statuspage.domain import clock, leadership
from statuspage.domain.components import create_component
from statuspage.domain.incidents import open_incident, resolve_incident
from statuspage.domain.recording import SYSTEM
from statuspage.domain.subscriptions import subscribe
from statuspage.extensions import db
from statuspage.models import Delivery, NotificationEvent, Site, Subscriber
from statuspage.notifications import build_context
from statuspage.rendering import zone
from statuspage.worker import TEMPLATE_DIR, run_worker

P1 = {"itil_impact": 1, "itil_urgency": 1}


@pytest.fixture(autouse=True)
def _email_on(app):
    app.config.update(SMTP_URL="smtp://127.0.0.1:9", PUBLIC_URL="https://status.example.com")


def delivered_to(kind):
    """Targets of the deliveries of every ``kind`` event (expanding them now)."""
    expand_events()
    rows = db.session.scalars(select(Subscriber.target).join(Delivery, Delivery.subscriber_id == Subscriber.id)
                              .join(NotificationEvent, NotificationEvent.id == Delivery.event_id)
                              .where(NotificationEvent.kind == kind)).all()
    db.session.rollback()
    return sorted(rows)


def test_an_internal_note_posted_in_the_console_reaches_internal_subscribers_whose_filters_match(
        app, client, login):
    api = create_component(SYSTEM, name="API")
    web = create_component(SYSTEM, name="Website")
    subscribe("email", "all-staff@example.com", audience="internal", confirmed=True)
    subscribe("email", "api-staff@example.com", audience="internal", component_ids=[api.id], confirmed=True)
    subscribe("email", "web-staff@example.com", audience="internal", component_ids=[web.id], confirmed=True)
    subscribe("email", "critical-only@example.com", audience="internal", min_impact="critical", confirmed=True)
    subscribe("email", "customer@example.com", confirmed=True)
    incident = open_incident(SYSTEM, name="API errors", body="Looking", components={api.id: "partial_outage"},
                             deliver_notifications=False)
    login("manager")

    response = client.post(f"/admin/incidents/{incident.id}/notes",
                           data={"note-body": "Suspect the cache (staff only)", "note-notify": "y"})

    assert response.status_code == 302
    assert delivered_to("incident.updated") == ["all-staff@example.com", "api-staff@example.com"]


def test_a_note_left_unsent_in_the_console_reaches_nobody(app, client, login):
    subscribe("email", "all-staff@example.com", audience="internal", confirmed=True)
    incident = open_incident(SYSTEM, name="API errors", body="Looking", deliver_notifications=False)
    login("manager")
    client.post(f"/admin/incidents/{incident.id}/notes", data={"note-body": "Quiet note"})
    assert delivered_to("incident.updated") == []


def test_internal_messages_link_to_the_internal_incident_page_and_public_ones_to_the_public_page(app):
    staff = subscribe("email", "staff@example.com", audience="internal", confirmed=True).subscriber
    customer = subscribe("email", "customer@example.com", confirmed=True).subscriber
    incident = open_incident(SYSTEM, name="API errors", body="Looking")
    [event] = db.session.scalars(select(NotificationEvent)).all()
    templates = TEMPLATE_DIR

    internal = render(event.kind, "email", build_context(event, staff), templates)
    public = render(event.kind, "email", build_context(event, customer), templates)
    sms = render(event.kind, "sms", build_context(event, staff), templates)

    assert f"https://status.example.com/internal/incidents/{incident.id}" in internal.text
    assert f"https://status.example.com/internal/incidents/{incident.id}" in internal.html
    assert f"/internal/incidents/{incident.id}" in sms.text
    assert f"https://status.example.com/incidents/{incident.id}" in public.text
    assert "/internal" not in public.text and "/internal" not in public.html


def test_leadership_notices_never_reach_public_subscribers(app):
    subscribe("email", "customer@example.com", confirmed=True)
    leader = subscribe("email", "ceo@example.com", audience="internal", confirmed=True).subscriber
    leadership.set_leader_preference(SYSTEM, leader, "all")
    incident = open_incident(SYSTEM, name="Payments down", body="", deliver_notifications=False, **P1)
    leadership.post_summary(SYSTEM, incident.id, current_status="Half of the cards fail.")
    clock.tick(incident.started_at + timedelta(hours=5))
    for kind in ("incident.major", "incident.summary", "incident.sla", "incident.update_due"):
        assert set(delivered_to(kind)) == {"ceo@example.com"}, kind


def local_time(hour: int, days: int = 0) -> datetime:
    tz = zone(Site.get().time_zone)
    today = datetime.now(tz).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day, hour, 30, tzinfo=tz)


def test_a_leader_on_the_daily_digest_gets_one_email_a_day_over_real_smtp(app, smtp_sink):
    app.config.update(SMTP_URL=smtp_sink.url())
    reader = subscribe("email", "board@example.com", audience="internal", confirmed=True).subscriber
    leadership.set_leader_preference(SYSTEM, reader, "digest")
    subscribe("email", "staff@example.com", audience="internal", confirmed=True)
    yesterday = local_time(10, days=-1)
    fixed = open_incident(SYSTEM, name="Login loop", body="", at=yesterday - timedelta(hours=1),
                          deliver_notifications=False)
    resolve_incident(SYSTEM, fixed.id, at=yesterday, deliver_notifications=False)
    open_incident(SYSTEM, name="Payments down", body="", deliver_notifications=False, **P1)
    db.session.execute(db.delete(NotificationEvent))  # only the digest is of interest here
    db.session.commit()

    assert clock.tick(local_time(6))["leadership"] >= 0  # before 07:00 local: no digest
    assert [e.kind for e in db.session.scalars(select(NotificationEvent))
            if e.kind == "leadership.digest"] == []
    clock.tick(local_time(8))
    clock.tick(local_time(9))
    assert delivered_to("leadership.digest") == ["board@example.com"]
    run_worker(app, once=True)

    mail = [m for m in smtp_sink.wait_for(1) if m.rcpt_tos == ["board@example.com"]]
    assert len(mail) == 1
    text = mail[0].part("plain")
    assert "Daily digest" in mail[0].subject
    assert "Payments down" in text and "P1 Critical" in text
    assert "Resolved yesterday" in text and "Login loop" in text


def test_the_internal_page_shows_when_the_next_update_is_due_and_the_public_page_does_not(app, client, login):
    incident = open_incident(SYSTEM, name="Payments down", body="Looking", **P1)
    assert b"next public update" not in client.get("/").data
    assert b"next public update" not in client.get(f"/incidents/{incident.id}").data
    login("viewer")
    assert b"next public update" in client.get("/internal").data
    assert b"next public update" in client.get(f"/internal/incidents/{incident.id}").data
    assert b"next public update" in client.get(f"/admin/incidents/{incident.id}").data
    assert b"next public update" in client.get("/admin/").data or b"next public update" in client.get("/admin").data


def test_a_manager_sends_an_executive_summary_from_the_incident_page(app, client, login):
    leader = subscribe("email", "ceo@example.com", audience="internal", confirmed=True).subscriber
    leadership.set_leader_preference(SYSTEM, leader, "major")
    incident = open_incident(SYSTEM, name="Payments down", body="Looking", **P1)
    login("manager")
    page = client.get(f"/admin/incidents/{incident.id}")
    assert b"executive summary" in page.data
    response = client.post(f"/admin/incidents/{incident.id}/summaries", data={
        "summary-current_status": "Half of card payments fail.", "summary-overview": "A bad deploy",
        "summary-next_steps": "Rollback by 14:00"})
    assert response.status_code == 302
    page = client.get(f"/admin/incidents/{incident.id}").data.decode()
    assert "Executive summary · leaders" in page and "Rollback by 14:00" in page
    assert delivered_to("incident.summary") == ["ceo@example.com"]
    refused = client.post(f"/admin/incidents/{incident.id}/summaries", data={"summary-current_status": ""})
    assert refused.status_code == 422


def test_a_leader_chooses_the_digest_for_their_own_subscription(app, client, login):
    user = login("viewer", "ceo@example.com")
    mine = subscribe("email", user.email, audience="internal", confirmed=True).subscriber
    response = client.post("/admin/subscribers/me/leadership", data={"leadership": "digest"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Subscriber, mine.id).leadership == "digest"
    other = subscribe("email", "someone@example.com", audience="internal", confirmed=True).subscriber
    assert client.post(f"/admin/subscribers/{other.public_id}/leadership",
                       data={"leadership": "all"}).status_code == 403
