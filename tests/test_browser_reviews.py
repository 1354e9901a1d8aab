"""The post-incident review page (with its preview) and the problems list in Chromium: 0 axe violations in
light and dark, and a manager writing and previewing a review."""
from datetime import timedelta

import pytest
from conftest import browser_sign_in

from statuspage.domain import components as components_domain
from statuspage.domain import incidents as incidents_domain
from statuspage.domain import problems, reviews
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture
def reviewed(app):
    api = components_domain.create_component(SYSTEM, name="API")
    start = utcnow() - timedelta(days=3)
    incident = incidents_domain.open_incident(SYSTEM, name="Checkout errors", major=True,
                                              components={api.id: "major_outage"}, at=start)
    incidents_domain.resolve_incident(SYSTEM, incident.id, at=start + timedelta(hours=2))
    reviews.start_review(SYSTEM, incident.id)
    reviews.add_action_item(SYSTEM, incident.id, "Add a canary stage", due_date=utcnow().date() - timedelta(days=1))
    problem = problems.create_problem(SYSTEM, "Connection pool exhaustion", incident_id=incident.id,
                                      root_cause="Pool of 10", workaround="Restart the API")
    problems.move_problem(SYSTEM, problem.id, "known_error")
    return incident


def sign_in(page, live_server, email, then):
    browser_sign_in(page, live_server, email, PASSWORD, then)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_review_page_and_the_problems_list_pass_axe(page, live_server, make_user, reviewed, axe, scheme):
    make_user("lead@example.com", "manager", PASSWORD)
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server, "lead@example.com", f"/admin/incidents/{reviewed.id}/review")
    assert page.get_by_role("heading", name="Post-incident review").is_visible()
    page.get_by_label("Summary").fill("Checkout **failed** for two hours.")
    page.get_by_role("button", name="Preview").click()
    assert page.locator(".preview strong", has_text="failed").is_visible()
    assert page.get_by_text("Overdue", exact=True).is_visible()
    axe(page)
    page.goto(f"{live_server.url}/admin/problems")
    assert page.get_by_role("link", name="Connection pool exhaustion").is_visible()
    axe(page)
