"""A maintenance window that ended while still scheduled (no auto-start, the API's default) is upcoming nowhere:
not on the page, not in v2; the console lists it as overdue, to complete or cancel. One whose start passed
without starting stays upcoming until its end (as on Statuspage), labelled "Overdue to start" in the console."""
import time
from datetime import timedelta

import pytest

from statuspage.domain import clock
from statuspage.domain.maintenance import schedule_maintenance
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Incident, Site
from statuspage.models.columns import utcnow


def schedule(name, starts_in: timedelta, lasts: timedelta, **options):
    start = utcnow().replace(microsecond=0) + starts_in
    return schedule_maintenance(SYSTEM, name=name, scheduled_for=start, scheduled_until=start + lasts,
                                auto_in_progress=False, auto_completed=False, **options)


@pytest.fixture
def ended(app):
    """A window that ran from three hours ago to an hour ago and was never started."""
    return schedule("Forgotten upgrade", -timedelta(hours=3), timedelta(hours=2))


@pytest.fixture
def late(app):
    """A window that should have started an hour ago and ends in an hour."""
    return schedule("Late patching", -timedelta(hours=1), timedelta(hours=2))


def upcoming_names(client, path="/api/v2/scheduled-maintenances/upcoming.json"):
    return [m["name"] for m in client.get(path).get_json()["scheduled_maintenances"]]


def test_a_window_that_ended_still_scheduled_is_not_upcoming_on_the_public_page(client, ended):
    page = client.get("/").get_data(as_text=True)
    assert "Forgotten upgrade" not in page and "Upcoming maintenance" not in page


def test_a_window_that_ended_still_scheduled_is_not_upcoming_in_the_v2_api(client, ended):
    assert upcoming_names(client) == []
    assert upcoming_names(client, "/api/v2/summary.json") == []


def test_a_window_late_to_start_stays_upcoming_until_its_end(client, late):
    assert upcoming_names(client) == ["Late patching"]
    assert upcoming_names(client, "/api/v2/summary.json") == ["Late patching"]
    assert "Late patching" in client.get("/").get_data(as_text=True)


def test_a_cached_public_answer_drops_the_window_once_its_end_passes(app, client):
    schedule("Short swap", -timedelta(hours=1), timedelta(hours=1, seconds=2))
    assert upcoming_names(client) == ["Short swap"]
    version = Site.get().version
    db.session.commit()
    time.sleep(2.2)

    assert clock.tick()["overdue"] == 1  # nothing was written: the worker's clock moves the public version
    assert clock.tick()["overdue"] == 0  # once
    db.session.expire_all()
    assert Site.get().version == version + 1
    assert upcoming_names(client) == []


def test_the_console_lists_an_ended_window_as_overdue_and_labels_a_late_one(client, login, ended, late):
    login("viewer")
    page = client.get("/admin/maintenance").get_data(as_text=True)
    overdue_section = page.split('id="overdue-title"', 1)[1].split("</section>", 1)[0]
    assert "Forgotten upgrade" in overdue_section and "Late patching" not in overdue_section
    assert "Overdue to start" in page.split('id="upcoming-title"', 1)[1]
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "Overdue to start" in dashboard and "Overdue</span>" in dashboard


def test_an_overdue_window_offers_complete_and_cancel(client, login, ended):
    login("manager")
    page = client.get(f"/admin/maintenance/{ended.id}").get_data(as_text=True)
    assert "was never started" in page
    assert f'action="/admin/maintenance/{ended.id}/complete"' in page and "Start now" not in page
    assert f'action="/admin/maintenance/{ended.id}/cancel"' in page
    response = client.post(f"/admin/maintenance/{ended.id}/complete", data={"step-revision": ended.revision})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, ended.id).status == "completed"


def test_a_window_late_to_start_is_labelled_and_can_still_be_started(client, login, late):
    login("manager")
    page = client.get(f"/admin/maintenance/{late.id}").get_data(as_text=True)
    assert "Overdue to start" in page and "Start now" in page
