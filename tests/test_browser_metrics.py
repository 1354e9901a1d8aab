"""The metrics page and the dashboard's command panel in Chromium: 0 axe violations in light and dark, no
sideways scrolling on a 375 px phone, and taking command from the dashboard in one click."""
from datetime import timedelta

import pytest
from conftest import browser_sign_in

from statuspage.domain import command
from statuspage.domain import components as components_domain
from statuspage.domain import incidents as incidents_domain
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture
def history(app):
    api = components_domain.create_component(SYSTEM, name="API")
    start = utcnow() - timedelta(days=3)
    done = incidents_domain.open_incident(SYSTEM, name="Checkout errors", itil_impact=1, itil_urgency=1,
                                          components={api.id: "major_outage"}, at=start)
    command.correct_times(SYSTEM, done.id, acknowledged_at=start + timedelta(minutes=20))
    incidents_domain.resolve_incident(SYSTEM, done.id, at=start + timedelta(hours=2))
    return incidents_domain.open_incident(SYSTEM, name="Slow search", itil_impact=2, itil_urgency=1,
                                          components={api.id: "degraded_performance"},
                                          at=utcnow() - timedelta(minutes=25))


def sign_in(page, live_server, email, then):
    browser_sign_in(page, live_server, email, PASSWORD, then)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_metrics_page_passes_axe_in_both_themes(page, live_server, make_user, history, axe, scheme):
    make_user("viewer@example.com", "viewer", PASSWORD)
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server, "viewer@example.com", "/internal/metrics")
    assert page.get_by_role("heading", name="Incident metrics").is_visible()
    assert page.get_by_text("On average we acknowledged incidents in 20 minutes").is_visible()
    assert page.get_by_role("img", name="Incidents per month, by priority").count() == 1
    axe(page)


def test_the_metrics_page_fits_a_phone(phone_page, live_server, make_user, history):
    make_user("viewer@example.com", "viewer", PASSWORD)
    sign_in(phone_page, live_server, "viewer@example.com", "/internal/metrics")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_manager_takes_command_from_the_dashboard(page, live_server, make_user, history, axe):
    make_user("lead@example.com", "manager", PASSWORD)
    sign_in(page, live_server, "lead@example.com", "/admin/")
    panel = page.locator("section.needs-you")
    assert "Slow search" in panel.text_content() and "Warning" in panel.text_content()
    axe(page)
    panel.get_by_role("button", name="Take command of Slow search").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.locator("section.needs-you").count() == 0
    assert "You are in command" in page.locator(".flashes").text_content()


def test_the_monthly_report_passes_axe_and_prints_on_one_a4_page(page, live_server, make_user, history, axe):
    import re

    make_user("viewer@example.com", "viewer", PASSWORD)
    month = f"{utcnow():%Y-%m}"
    sign_in(page, live_server, "viewer@example.com", f"/internal/reports/{month}")
    assert page.get_by_role("heading", name="Headline numbers").is_visible()
    axe(page)
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
