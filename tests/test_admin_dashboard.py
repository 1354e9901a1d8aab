"""The console dashboard: what needs attention now, and what changed lately."""
from datetime import UTC, datetime, timedelta

import pytest

from statuspage.domain.components import create_component
from statuspage.domain.incidents import open_incident, resolve_incident
from statuspage.domain.maintenance import schedule_maintenance
from statuspage.domain.recording import SYSTEM

pytestmark = pytest.mark.usefixtures("fresh_user_per_request")


def test_it_lists_unresolved_incidents_with_impact_priority_status_and_age(client, login):
    login("viewer")
    opened = open_incident(SYSTEM, name="Checkout errors", impact="major", itil_impact=1, itil_urgency=1,
                           at=datetime.now(UTC) - timedelta(hours=3, minutes=5))
    closed = open_incident(SYSTEM, name="Old hiccup", impact="minor")
    resolve_incident(SYSTEM, closed.id, body="Fixed.")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Checkout errors" in page and f'href="/admin/incidents/{opened.id}"' in page
    assert "Old hiccup" not in page.split("Recent changes")[0]
    assert "Major" in page and "P1" in page and "Investigating" in page
    assert "3 hours 5 minutes" in page


def test_it_lists_active_and_upcoming_maintenance_and_troubled_components(client, login):
    login("viewer")
    create_component(SYSTEM, name="Search", status="degraded_performance")
    create_component(SYSTEM, name="Billing")
    now = datetime.now(UTC)
    schedule_maintenance(SYSTEM, name="Database upgrade", scheduled_for=now + timedelta(days=2),
                         scheduled_until=now + timedelta(days=2, hours=1))
    schedule_maintenance(SYSTEM, name="Far future move", scheduled_for=now + timedelta(days=60),
                         scheduled_until=now + timedelta(days=60, hours=1))
    page = client.get("/admin/").get_data(as_text=True)
    attention = page.split("Recent changes")[0]
    assert "Database upgrade" in attention and "Far future move" not in attention
    assert "Search" in attention and "Degraded performance" in attention
    assert "Billing" not in attention


def test_it_shows_recent_audit_entries(client, login):
    login("viewer")
    create_component(SYSTEM, name="Search")
    page = client.get("/admin/").get_data(as_text=True)
    recent = page.split("Recent changes")[1]
    assert "added the component" in recent and "Search" in recent
    assert "component.create" not in recent  # words, not codes


def test_quick_links_are_offered_to_managers_not_viewers(client, login):
    login("viewer")
    assert "Open incident" not in client.get("/admin/").get_data(as_text=True)
    client.post("/logout")
    login("manager")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/incidents/new"' in page and 'href="/admin/maintenance/new"' in page


def test_nav_hides_areas_the_role_cannot_use(client, login):
    login("viewer")
    nav = client.get("/admin/").get_data(as_text=True).split("</nav>")[0]
    assert 'href="/admin/audit"' in nav
    assert 'href="/admin/users"' not in nav and 'href="/admin/settings"' not in nav
    assert 'href="/admin/templates"' not in nav


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get("/admin/").location == "/login?next=%2Fadmin%2F"
