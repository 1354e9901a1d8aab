"""Post-incident reviews: the impact computed from the record (checked against figures worked out by hand),
the seeded timeline, draft → in review → published through the existing postmortem, the major-incident rule,
action items with overdue ones on the dashboard, and who may do what."""
from datetime import date, timedelta

import pytest

from statuspage.domain import incidents as incident_rules
from statuspage.domain import reviews
from statuspage.domain.recording import SYSTEM, DomainError
from statuspage.domain.review_impact import impact_of, timeline_events
from statuspage.extensions import db
from statuspage.models import (
    ComponentStatusChange,
    Delivery,
    Incident,
    IncidentReview,
    NotificationEvent,
    Site,
    Subscriber,
)
from statuspage.models.columns import utcnow


@pytest.fixture
def t0():
    return utcnow().replace(microsecond=0) - timedelta(hours=3)


@pytest.fixture
def outage(app, web, database, t0):
    """Web major outage and Database partial outage at t0; Web down to partial at t0+30 min; resolved at t0+60.

    By hand, with the default weights (major 1.0, partial 0.3):
      Web:      30 min major + 30 min partial = 30 + 9 = 39 min lost
      Database: 60 min partial                = 18 min lost
      total 57 min; duration 60 min.
    """
    incident = incident_rules.open_incident(SYSTEM, name="Checkout fails", body="Looking.", at=t0,
                                            components={web.id: "major_outage", database.id: "partial_outage"})
    incident_rules.post_update(SYSTEM, incident.id, body="Partly back.", components={web.id: "partial_outage"},
                               at=t0 + timedelta(minutes=30))
    incident_rules.resolve_incident(SYSTEM, incident.id, at=t0 + timedelta(minutes=60))
    return db.session.get(Incident, incident.id)


def _sent(incident_id: str, t0):
    """Three subscribers; of the incident's deliveries 3 were sent (to 2 people), one pending, one dead."""
    people = [Subscriber(channel="email", target=f"p{n}@example.com", audience="public", confirmed_at=t0)
              for n in range(3)]
    db.session.add_all(people)
    db.session.flush()
    events = db.session.scalars(db.select(NotificationEvent).where(NotificationEvent.incident_id == incident_id)
                                .order_by(NotificationEvent.id)).all()
    first, last = events[0], events[-1]
    a, b, c = people
    db.session.add_all([
        Delivery(event_id=first.id, subscriber_id=a.id, state="sent", sent_at=t0 + timedelta(minutes=1)),
        Delivery(event_id=first.id, subscriber_id=b.id, state="sent", sent_at=t0 + timedelta(minutes=2)),
        Delivery(event_id=last.id, subscriber_id=a.id, state="sent", sent_at=t0 + timedelta(minutes=61)),
        Delivery(event_id=last.id, subscriber_id=b.id, state="pending"),
        Delivery(event_id=last.id, subscriber_id=c.id, state="dead", last_error="bounced"),
    ])
    db.session.commit()


def test_impact_figures_match_the_hand_computed_answers(outage, t0):
    _sent(outage.id, t0)
    impact = impact_of(outage)
    assert impact.duration == timedelta(minutes=60)
    assert [c.name for c in impact.components] == ["Database", "Web"]
    lost = {c.name: c.lost for c in impact.components}
    assert lost == {"Web": timedelta(minutes=39), "Database": timedelta(minutes=18)}
    web = next(c for c in impact.components if c.name == "Web")
    assert web.by_status == {"major_outage": timedelta(minutes=30), "partial_outage": timedelta(minutes=30)}
    assert impact.uptime_lost == timedelta(minutes=57)
    assert (impact.notifications_sent, impact.subscribers_notified) == (3, 2)


def test_history_before_the_window_sets_the_starting_status(app, web, t0):
    """Web was put in partial outage by hand 2 h before the incident; the incident (t0 .. t0+20) makes it a
    major outage at t0+10: 10 min partial (3 min) + 10 min major (10 min) = 13 min lost."""
    web.status = "partial_outage"
    db.session.add(ComponentStatusChange(component_id=web.id, old_status="operational", new_status="partial_outage",
                                         changed_at=t0 - timedelta(hours=2), cause="manual"))
    db.session.commit()
    incident = incident_rules.open_incident(SYSTEM, name="Slow", body="x", at=t0)
    incident_rules.post_update(SYSTEM, incident.id, body="Worse.", components={web.id: "major_outage"},
                               at=t0 + timedelta(minutes=10))
    incident_rules.resolve_incident(SYSTEM, incident.id, at=t0 + timedelta(minutes=20))
    impact = impact_of(db.session.get(Incident, incident.id))
    assert impact.uptime_lost == timedelta(minutes=13)


def test_the_timeline_is_seeded_from_updates_changes_acknowledgement_and_notifications(outage, t0):
    _sent(outage.id, t0)
    texts = [text for _, text in timeline_events(outage)]
    assert texts[0] == "Incident started"
    assert "Update (investigating): Looking." in texts
    assert "Web: Operational → Major outage" in texts
    assert "Web: Major outage → Partial outage" in texts
    assert any(t.startswith("Acknowledged") for t in texts)
    assert "Notification sent (incident.opened) to 2 subscribers" in texts
    assert texts[-1] in ("Resolved", "Notification sent (incident.resolved) to 1 subscriber")
    times = [at for at, _ in timeline_events(outage)]
    assert times == sorted(times)
    review = reviews.start_review(SYSTEM, outage.id)
    assert "Web: Major outage → Partial outage" in review.timeline


def test_a_review_moves_draft_in_review_published_and_publishes_the_postmortem(outage):
    reviews.start_review(SYSTEM, outage.id)
    public_before = Site.get().public_version
    reviews.save_review(SYSTEM, outage.id, summary="Checkout failed for an hour.", root_cause="A bad deploy.")
    reviews.move_review(SYSTEM, outage.id, "in_review")
    assert Site.get().public_version == public_before  # nothing public yet
    with pytest.raises(DomainError, match="the review is in review: it can move to draft or published"):
        reviews.move_review(SYSTEM, outage.id, "in_review")
    reviews.move_review(SYSTEM, outage.id, "published", notify=True)
    incident = db.session.get(Incident, outage.id)
    assert incident.status == "postmortem"
    assert "## Root cause\n\nA bad deploy." in incident.postmortem_body
    assert "**Uptime lost:** 57 minutes" in incident.postmortem_body
    assert Site.get().public_version == public_before + 1
    kinds = db.session.scalars(db.select(NotificationEvent.kind).where(NotificationEvent.incident_id == outage.id))
    assert "incident.postmortem" in list(kinds)


def test_publishing_needs_a_summary_and_a_root_cause(outage):
    reviews.start_review(SYSTEM, outage.id)
    reviews.move_review(SYSTEM, outage.id, "in_review")
    with pytest.raises(DomainError, match="write the summary and the root cause before publishing"):
        reviews.move_review(SYSTEM, outage.id, "published")


def test_a_draft_cannot_be_published_directly(outage):
    reviews.start_review(SYSTEM, outage.id)
    with pytest.raises(DomainError, match="the review is a draft: it can move to in review"):
        reviews.move_review(SYSTEM, outage.id, "published")


def test_a_major_incident_cannot_close_without_a_review_in_review(outage):
    incident_rules.update_incident(SYSTEM, outage.id, major=True)
    reason = "a major incident cannot be closed until its post-incident review is in review or published"
    with pytest.raises(DomainError, match=reason + r" \(none is started\)"):
        incident_rules.post_update(SYSTEM, outage.id, status="postmortem", body="Postmortem follows.")
    reviews.start_review(SYSTEM, outage.id)
    with pytest.raises(DomainError, match=reason + r" \(it is still a draft\)"):
        incident_rules.publish_postmortem(SYSTEM, outage.id, body="What happened.")
    reviews.move_review(SYSTEM, outage.id, "in_review")
    incident_rules.publish_postmortem(SYSTEM, outage.id, body="What happened.")
    assert db.session.get(Incident, outage.id).status == "postmortem"


def test_a_priority_one_incident_counts_as_major_and_a_minor_one_closes_freely(app, web, outage):
    other = incident_rules.open_incident(SYSTEM, name="P1", body="x", itil_impact=1, itil_urgency=1)
    incident_rules.resolve_incident(SYSTEM, other.id)
    with pytest.raises(DomainError, match="major incident cannot be closed"):
        incident_rules.post_update(SYSTEM, other.id, status="postmortem", body="x")
    incident_rules.post_update(SYSTEM, outage.id, status="postmortem", body="Postmortem follows.")


def test_the_console_refuses_closing_a_major_incident_with_the_reason(client, login, outage):
    incident_rules.update_incident(SYSTEM, outage.id, major=True)
    login("manager")
    response = client.post(f"/admin/incidents/{outage.id}/postmortem",
                           data={"pm-body": "What happened.", "pm-notify": ""}, follow_redirects=True)
    assert "post-incident review is in review or published" in response.get_data(as_text=True)
    assert db.session.get(Incident, outage.id).status == "resolved"


def test_action_items_are_tracked_to_done_and_overdue_ones_show_on_the_dashboard(client, login, outage, fresh):
    yesterday = utcnow().date() - timedelta(days=1)
    late = reviews.add_action_item(SYSTEM, outage.id, "Add a canary stage", due_date=yesterday,
                                   link="https://tickets.example.com/42")
    reviews.add_action_item(SYSTEM, outage.id, "Write the runbook", due_date=date(2999, 1, 1))
    assert [i.title for i, _ in reviews.overdue_action_items(utcnow().date())] == ["Add a canary stage"]
    login("viewer")
    page = client.get("/admin/").get_data(as_text=True)
    panel = page[page.index('id="overdue-title"'):].split("</section>")[0]
    assert "Add a canary stage" in panel and "Write the runbook" not in panel
    reviews.set_action_item_done(SYSTEM, late.id, True)
    assert fresh(type(late), late.id).state == "done"
    assert reviews.overdue_action_items(utcnow().date()) == []
    assert "Overdue action items" not in client.get("/admin/").get_data(as_text=True)


def test_an_action_item_link_must_be_a_web_address(outage):
    with pytest.raises(DomainError, match="https://"):
        reviews.add_action_item(SYSTEM, outage.id, "x", link="javascript:alert(1)")


def test_a_viewer_reads_the_review_and_cannot_change_it(client, login, outage):
    reviews.start_review(SYSTEM, outage.id)
    reviews.save_review(SYSTEM, outage.id, summary="Checkout failed for an hour.")
    login("viewer")
    page = client.get(f"/admin/incidents/{outage.id}/review")
    assert page.status_code == 200
    assert "Checkout failed for an hour." in page.get_data(as_text=True)
    assert "57 minutes" in page.get_data(as_text=True)
    assert client.post(f"/admin/incidents/{outage.id}/review", data={"summary": "x"}).status_code == 403
    assert client.post(f"/admin/incidents/{outage.id}/review/state", data={"state": "in_review"}).status_code == 403


def test_anonymous_readers_are_sent_to_sign_in(client, outage):
    response = client.get(f"/admin/incidents/{outage.id}/review")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_manager_writes_previews_and_publishes_through_the_console(client, login, outage):
    login("manager")
    base = f"/admin/incidents/{outage.id}/review"
    client.post(base + "/start")
    assert db.session.scalar(db.select(IncidentReview.state)) == "draft"
    sections = {"summary": "Checkout **failed**.", "timeline": "- 10:00 it broke", "root_cause": "A bad deploy.",
                "contributing_factors": "", "went_well": "", "went_badly": ""}
    preview = client.post(base, data=sections | {"preview": "Preview"})
    assert preview.status_code == 200 and "<strong>failed</strong>" in preview.get_data(as_text=True)
    assert db.session.scalar(db.select(IncidentReview.summary)) == ""  # a preview saves nothing
    assert client.post(base, data=sections).status_code == 303
    client.post(base + "/state", data={"state": "in_review"})
    client.post(base + "/state", data={"state": "published"})
    db.session.expire_all()
    assert db.session.scalar(db.select(IncidentReview.state)) == "published"
    public = client.get(f"/incidents/{outage.id}").get_data(as_text=True)
    assert "A bad deploy." in public
    bad = client.post(base + "/action-items", data={"title": "", "owner_id": ""})
    assert bad.status_code == 422
