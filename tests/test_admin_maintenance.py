"""The console's maintenance pages: scheduling in the site's zone, starting, completing, rescheduling, cancelling."""
from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select

from statuspage.domain import components as components_domain
from statuspage.domain import maintenance as domain
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, Incident, NotificationEvent, Site
from statuspage.models.columns import utcnow


@pytest.fixture
def berlin(app):
    site = Site.get()
    site.time_zone = "Europe/Berlin"
    db.session.commit()
    return site


@pytest.fixture
def database(app):
    return components_domain.create_component(SYSTEM, name="Database")


@pytest.fixture
def window(database):
    start = utcnow() + timedelta(days=2)
    return domain.schedule_maintenance(SYSTEM, name="DB upgrade", scheduled_for=start,
                                       scheduled_until=start + timedelta(hours=2), component_ids=[database.id])


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def scheduling(database, **overrides):
    data = {"name": "Kernel patching", "scheduled_for": "2031-07-01T22:00", "scheduled_until": "2031-07-02T01:30",
            "component_ids": [database.id], "body": "Brief blips possible.", "auto_in_progress": "y",
            "auto_completed": "y", "remind_prior": "y", "remind_minutes_before": "30", "visibility": "public",
            "notify": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_anonymous_visitors_are_sent_to_sign_in_and_viewers_only_read(client, login, window):
    writes = ["/admin/maintenance/new", f"/admin/maintenance/{window.id}/reschedule",
              f"/admin/maintenance/{window.id}/cancel", f"/admin/maintenance/{window.id}/start",
              f"/admin/maintenance/{window.id}/complete", f"/admin/maintenance/{window.id}/updates"]
    for path in ["/admin/maintenance", f"/admin/maintenance/{window.id}"]:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location
    for path in writes:
        response = client.post(path)
        assert response.status_code == 302 and "/login" in response.location
    login("viewer")
    g.pop("_login_user", None)  # requests share the test's app context and its cached user
    assert "DB upgrade" in client.get("/admin/maintenance").text
    assert "Start now" not in client.get(f"/admin/maintenance/{window.id}").text
    for path in writes:
        assert client.post(path, data={"step-revision": window.revision}).status_code == 403, path
    assert client.get("/admin/maintenance/new").status_code == 403
    assert fresh(Incident, window.id).status == "scheduled"


def test_the_window_is_read_in_the_site_zone_and_stored_in_utc(client, login, berlin, database):
    login("manager")
    response = client.post("/admin/maintenance/new", data=scheduling(database))
    assert response.status_code == 302
    window = db.session.scalars(select(Incident).where(Incident.kind == "maintenance")).one()
    # Berlin is UTC+2 in summer: 22:00 local is 20:00 UTC; 01:30 the next day is 23:30 UTC.
    assert window.scheduled_for == datetime(2031, 7, 1, 20, 0, tzinfo=UTC)
    assert window.scheduled_until == datetime(2031, 7, 1, 23, 30, tzinfo=UTC)
    assert window.remind_minutes_before == 30 and window.scheduled_remind_prior is True
    assert [c.id for c in window.components] == [database.id]
    assert db.session.scalars(select(NotificationEvent.kind)).all() == ["maintenance.scheduled"]
    assert db.session.scalars(select(AuditEntry.action)).all()[-1] == "maintenance.schedule"
    page = client.get(f"/admin/maintenance/{window.id}").text
    assert "Europe/Berlin" in page and 'value="2031-07-01T22:00"' in page  # shown back in the site's zone


def test_winter_times_use_the_winter_offset(client, login, berlin, database):
    login("manager")
    client.post("/admin/maintenance/new", data=scheduling(database, scheduled_for="2031-01-10T09:00",
                                                          scheduled_until="2031-01-10T10:00", notify=None))
    window = db.session.scalars(select(Incident).where(Incident.kind == "maintenance")).one()
    assert window.scheduled_for == datetime(2031, 1, 10, 8, 0, tzinfo=UTC)
    assert db.session.scalars(select(NotificationEvent)).all() == []


def test_the_form_shows_the_site_zone_next_to_the_times(client, login, berlin):
    login("manager")
    page = client.get("/admin/maintenance/new").text
    assert 'type="datetime-local"' in page and "Time zone: Europe/Berlin" in page
    assert 'name="remind_minutes_before"' in page and 'value="60"' in page


@pytest.mark.parametrize("override, message", [
    ({"scheduled_until": "2031-07-01T21:00"}, "the maintenance must end after it starts"),
    ({"scheduled_for": "tomorrow-ish"}, "Not a valid datetime value"),
    ({"component_ids": ["tampered"]}, "not a valid choice"),
    ({"remind_minutes_before": "0"}, "Number must be between 1 and 10080"),
    ({"name": ""}, "This field is required"),
])
def test_bad_input_is_refused_with_the_reason_keeping_what_was_typed(client, login, database, override,
                                                                      message):
    login("manager")
    response = client.post("/admin/maintenance/new", data=scheduling(database, body="typed stays", **override))
    assert response.status_code == 422
    assert message.lower() in response.text.lower() and "typed stays" in response.text
    assert db.session.scalars(select(Incident)).all() == []


def test_start_now_puts_components_under_maintenance_and_complete_now_releases_them(client, login, window,
                                                                                       database):
    login("manager")
    response = client.post(f"/admin/maintenance/{window.id}/start", data={"step-revision": window.revision,
                                                                         "step-notify": "y"})
    assert response.status_code == 302
    window = fresh(Incident, window.id)
    assert window.status == "in_progress" and fresh(Component, database.id).status == "under_maintenance"
    assert "Complete now" in client.get(f"/admin/maintenance/{window.id}").text
    assert "DB upgrade" in client.get("/admin/maintenance").text
    response = client.post(f"/admin/maintenance/{window.id}/complete", data={"step-revision": window.revision})
    assert response.status_code == 302
    assert fresh(Incident, window.id).status == "completed"
    assert fresh(Component, database.id).status == "operational"
    kinds = db.session.scalars(select(NotificationEvent.kind).order_by(NotificationEvent.id)).all()
    assert kinds == ["maintenance.scheduled", "maintenance.started"]  # completing was not notified


def test_a_stale_start_is_409_and_changes_nothing(client, login, window):
    login("manager")
    stale = window.revision
    domain.reschedule_maintenance(SYSTEM, window.id, window.scheduled_for + timedelta(hours=1),
                                  window.scheduled_until + timedelta(hours=1))
    response = client.post(f"/admin/maintenance/{window.id}/start", data={"step-revision": stale})
    assert response.status_code == 409 and "Someone else changed this" in response.text
    assert fresh(Incident, window.id).status == "scheduled"


def test_rescheduling_moves_the_window_in_the_site_zone(client, login, berlin, window):
    login("manager")
    response = client.post(f"/admin/maintenance/{window.id}/reschedule", data={
        "reschedule-revision": window.revision, "reschedule-scheduled_for": "2031-12-01T03:00",
        "reschedule-scheduled_until": "2031-12-01T04:00", "reschedule-body": "Moved to a quieter night."})
    assert response.status_code == 302
    window = fresh(Incident, window.id)
    assert window.scheduled_for == datetime(2031, 12, 1, 2, 0, tzinfo=UTC)
    assert window.updates[0].body == "Moved to a quieter night."
    response = client.post(f"/admin/maintenance/{window.id}/reschedule", data={
        "reschedule-revision": window.revision, "reschedule-scheduled_for": "2031-12-01T05:00",
        "reschedule-scheduled_until": "2031-12-01T04:00"})
    assert response.status_code == 422 and "must end after it starts" in response.text


def test_cancelling_completes_the_window_with_a_note(client, login, window):
    login("manager")
    response = client.post(f"/admin/maintenance/{window.id}/cancel", data={"cancel-body": ""})
    assert response.status_code == 302
    window = fresh(Incident, window.id)
    assert window.status == "completed" and "cancelled" in window.updates[0].body
    response = client.post(f"/admin/maintenance/{window.id}/cancel", data={"cancel-body": ""})
    assert response.status_code == 422 and "only a maintenance that has not started" in response.text


def test_a_maintenance_update_is_posted_and_sanitized(client, login, window):
    login("manager")
    response = client.post(f"/admin/maintenance/{window.id}/updates", data={
        "mupdate-revision": window.revision, "mupdate-status": "scheduled",
        "mupdate-body": "Still on. <script>alert(1)</script>"})
    assert response.status_code == 302
    page = client.get(f"/admin/maintenance/{window.id}").text
    assert "Still on." in page and "<script>alert(1)" not in page
    response = client.post(f"/admin/maintenance/{window.id}/updates", data={
        "mupdate-revision": fresh(Incident, window.id).revision, "mupdate-status": "investigating",
        "mupdate-body": "x"})
    assert response.status_code == 422 and "Not a valid choice" in response.text


def test_the_list_splits_active_upcoming_and_past(client, login, database):
    login("manager")
    now = utcnow()
    later = domain.schedule_maintenance(SYSTEM, name="Later one", scheduled_for=now + timedelta(days=3),
                                        scheduled_until=now + timedelta(days=3, hours=1))
    sooner = domain.schedule_maintenance(SYSTEM, name="Sooner one", scheduled_for=now + timedelta(days=1),
                                         scheduled_until=now + timedelta(days=1, hours=1))
    done = domain.schedule_maintenance(SYSTEM, name="Done one", scheduled_for=now + timedelta(hours=1),
                                       scheduled_until=now + timedelta(hours=2))
    domain.cancel_maintenance(SYSTEM, done.id)
    page = client.get("/admin/maintenance").text
    assert page.index("Upcoming") < page.index("Sooner one") < page.index("Later one") < page.index("Past")
    assert page.index("Past") < page.index("Done one")
    assert later.id in page and sooner.id in page
