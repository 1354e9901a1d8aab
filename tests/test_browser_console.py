"""The acceptance scenario in Chromium: a manager signs in through /login, opens an incident on two
components, posts an update and resolves it; after each step the public page, summary.json and the audit log
show it. Every console page built for components, incidents and maintenance passes axe and fits a phone."""
import json
from datetime import timedelta

import pytest

from statuspage.domain import components as components_domain
from statuspage.domain import incidents as incidents_domain
from statuspage.domain import maintenance as maintenance_domain
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow

PASSWORD = "correct horse battery staple"


@pytest.fixture
def services(app):
    group = components_domain.create_group(SYSTEM, name="Platform")
    api = components_domain.create_component(SYSTEM, name="API", group_id=group.id)
    web = components_domain.create_component(SYSTEM, name="Website", group_id=group.id)
    components_domain.create_component(SYSTEM, name="Docs")
    return group, api, web


def sign_in(page, live_server, email):
    page.goto(f"{live_server.url}/login?next=/admin/incidents")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin/incidents")


def summary(page, live_server) -> dict:
    response = page.request.get(f"{live_server.url}/api/v2/summary.json")
    assert response.status == 200
    return json.loads(response.text())


def public_text(page, live_server) -> str:
    response = page.request.get(f"{live_server.url}/")
    assert response.status == 200 and "<html" in response.text()
    return response.text()


def audit_entry(page, live_server, action: str) -> str:
    page.goto(f"{live_server.url}/admin/audit")
    return page.locator("li.audit-entry", has_text=action).first.text_content()


def test_a_manager_runs_an_incident_from_open_to_resolved(live_server, page, axe, make_user, services):
    _, api, web = services
    make_user("oncall@example.com", "manager", PASSWORD)
    sign_in(page, live_server, "oncall@example.com")
    axe(page)

    # Open an incident affecting two components.
    page.get_by_role("link", name="Open an incident").click()
    axe(page)
    page.get_by_label("Incident name").fill("Payments are failing")
    page.select_option(f"#component-{api.id}", "major_outage")
    page.select_option(f"#component-{web.id}", "degraded_performance")
    page.get_by_label("ITIL impact").select_option("1")
    page.get_by_label("ITIL urgency").select_option("1")
    page.get_by_label("First update (Markdown)").fill("We are **investigating** failed card payments.")
    page.get_by_role("button", name="Preview").click()
    assert page.locator(".preview strong").text_content() == "investigating"
    assert "P1 Critical" in page.locator(".preview").text_content()
    with page.expect_navigation():  # the preview's URL matches the incident pattern too
        page.get_by_role("button", name="Open incident").click()
    incident_url = page.url
    assert "Payments are failing" in page.locator("h1").text_content()
    axe(page)

    state = summary(page, live_server)
    statuses = {c["name"]: c["status"] for c in state["components"]}
    assert statuses["API"] == "major_outage" and statuses["Website"] == "degraded_performance"
    assert [i["name"] for i in state["incidents"]] == ["Payments are failing"]
    assert "Payments are failing" in public_text(page, live_server)
    created = audit_entry(page, live_server, "opened the incident")
    assert "Payments are failing" in created and "major_outage" in created

    # Post an update.
    page.goto(incident_url)
    page.locator("#update-status").select_option("identified")
    page.locator("#update-body").fill("A certificate expired on the payment gateway; renewing it.")
    page.get_by_role("button", name="Post update").click()
    assert "Update posted." in page.locator(".flash").first.text_content()
    state = summary(page, live_server)
    assert state["incidents"][0]["status"] == "identified"
    assert state["incidents"][0]["incident_updates"][0]["body"].startswith("A certificate expired")
    assert "A certificate expired" in public_text(page, live_server)
    updated = audit_entry(page, live_server, "posted an update on")
    assert "investigating" in updated and "identified" in updated

    # Resolve: both components return to operational.
    page.goto(incident_url)
    page.get_by_role("button", name="Resolve incident").click()
    assert "Incident resolved." in page.locator(".flash").first.text_content()
    axe(page)
    state = summary(page, live_server)
    assert state["incidents"] == [] and state["status"]["indicator"] == "none"
    assert {c["status"] for c in state["components"]} == {"operational"}
    assert "All Systems Operational" in public_text(page, live_server)
    resolved = audit_entry(page, live_server, "posted an update on")
    assert "resolved" in resolved


def console_pages(services):
    group, api, _ = services
    incident = incidents_domain.open_incident(SYSTEM, name="Slow API", body="Looking.",
                                              components={api.id: "degraded_performance"})
    incidents_domain.post_update(SYSTEM, incident.id, body="Internal: suspect the cache.", visibility="internal")
    start = utcnow() + timedelta(days=1)
    window = maintenance_domain.schedule_maintenance(SYSTEM, name="DB upgrade", scheduled_for=start,
                                                     scheduled_until=start + timedelta(hours=1),
                                                     component_ids=[api.id])
    return ["/admin/components", "/admin/components/new", f"/admin/components/{api.id}", "/admin/groups/new",
            f"/admin/groups/{group.id}", f"/admin/components/{api.id}/delete", "/admin/incidents",
            "/admin/incidents/new", f"/admin/incidents/{incident.id}",
            f"/admin/updates/{incident.updates[0].id}/edit", f"/admin/incidents/{incident.id}/delete",
            "/admin/maintenance", "/admin/maintenance/new", f"/admin/maintenance/{window.id}"]


def login_as_manager(page, live_server, make_user):
    make_user("oncall@example.com", "manager", PASSWORD)
    sign_in(page, live_server, "oncall@example.com")


def test_every_console_page_passes_axe(live_server, page, axe, make_user, services):
    login_as_manager(page, live_server, make_user)
    for path in console_pages(services):
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1, path
        axe(page)


def test_console_pages_fit_a_phone_screen(live_server, phone_page, make_user, services):
    login_as_manager(phone_page, live_server, make_user)
    for path in console_pages(services):
        phone_page.goto(live_server.url + path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide on a 375px phone"


def test_the_incident_form_works_by_keyboard_alone(live_server, page, make_user, services):
    login_as_manager(page, live_server, make_user)
    page.goto(f"{live_server.url}/admin/incidents/new")
    page.get_by_label("Incident name").focus()
    page.keyboard.type("Keyboard only")
    for _ in range(60):  # Tab to the body field, whatever lies between
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "body":
            break
    page.keyboard.type("Typed without a mouse.")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "submit":
            break
    # /admin/incidents/new matches the incident URL pattern too: wait for the navigation itself.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").text_content() == "Keyboard only"
