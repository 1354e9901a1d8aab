"""/internal in Chromium with the incident manager's practice on it: the SLA timer card, the latest executive
summary and a known error's workaround, read by a viewer; and the admin's "Targets per priority" page. 0 axe
violations in light and dark."""
import re
from datetime import timedelta

import pytest
from conftest import browser_sign_in

from statuspage.domain import components as components_domain
from statuspage.domain import incidents as incidents_domain
from statuspage.domain import leadership, problems
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture
def major(app):
    """A P1 on Payments, 12 of its 15 minutes to acknowledge gone, with a summary for leaders and a known
    error whose workaround staff should see."""
    payments = components_domain.create_component(SYSTEM, name="Payments")
    incident = incidents_domain.open_incident(SYSTEM, name="Card payments fail", body="Looking into it.",
                                              itil_impact=1, itil_urgency=1,
                                              components={payments.id: "major_outage"},
                                              at=utcnow() - timedelta(minutes=12))
    leadership.post_summary(SYSTEM, incident.id, current_status="Half of card payments fail.",
                            next_steps="Fail over to the second processor.")
    problem = problems.create_problem(SYSTEM, "Processor timeouts", incident_id=incident.id,
                                      root_cause="The processor drops idle connections.",
                                      workaround="Ask customers to pay by bank transfer.")
    problems.move_problem(SYSTEM, problem.id, "known_error")
    return incident


def sign_in(page, live_server, email, then):
    browser_sign_in(page, live_server, email, PASSWORD, then)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_internal_shows_the_sla_timer_summary_and_known_error(page, live_server, make_user, major, axe, scheme):
    make_user("viewer@example.com", "viewer", PASSWORD)
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server, "viewer@example.com", "/internal")
    card = page.locator(".sla-card")
    assert card.count() == 1
    timer = card.locator(".sla-warning").first.text_content()
    assert "Warning" in timer and "Acknowledge within 15" in " ".join(timer.split())
    assert re.search(r"\(8[0-9]% used\)", timer)  # 12 of 15 minutes, and a few seconds to render
    assert "next executive summary" in card.text_content()
    incident = page.locator("article.incident-card", has_text="Card payments fail")
    assert incident.get_by_text("Executive summary").is_visible()
    assert incident.get_by_text("Half of card payments fail.").is_visible()
    known = page.locator("section.known-errors")
    assert known.get_by_role("heading", name="Processor timeouts").is_visible()
    assert known.get_by_text("Ask customers to pay by bank transfer.").is_visible()
    axe(page)


def test_anonymous_readers_of_internal_are_sent_to_sign_in(page, live_server, major):
    page.goto(f"{live_server.url}/internal")
    assert "/login" in page.url
    assert "Ask customers to pay" not in page.content()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_targets_per_priority_page_passes_axe(page, live_server, make_user, axe, scheme):
    make_user("admin@example.com", "admin", PASSWORD)
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server, "admin@example.com", "/admin/settings/targets")
    page.get_by_label("P1 Critical: public update every (minutes)").fill("15")
    page.get_by_role("button", name="Save targets").click()
    assert page.get_by_text("Targets saved.").is_visible()
    assert page.get_by_label("P1 Critical: public update every (minutes)").input_value() == "15"
    assert page.get_by_label("P1 Critical: time to acknowledge (minutes)").input_value() == "15"
    axe(page)


def test_the_targets_page_fits_a_phone(phone_page, live_server, make_user):
    make_user("admin@example.com", "admin", PASSWORD)
    sign_in(phone_page, live_server, "admin@example.com", "/admin/settings/targets")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
