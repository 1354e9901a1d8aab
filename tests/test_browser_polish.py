"""Issue 11, items 8-12 in Chromium: the subscribe panel and page, console tabs and tables on a phone, the
update form's affected list, maintenance typed in the zone the screen names, templates filling the form at once.
Each page passes axe in the light and the dark theme."""
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from test_browser_console import PASSWORD, sign_in

from statuspage.domain import components as components_domain
from statuspage.domain import incidents as incidents_domain
from statuspage.domain.recording import SYSTEM
from statuspage.domain.templates import create_template
from statuspage.extensions import db
from statuspage.models import Incident, Site, Subscriber
from statuspage.models.columns import utcnow

pytestmark = pytest.mark.browser


def axe_both(page, axe):
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        axe(page)
    page.emulate_media(color_scheme="light")


def fits(page, width=375):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways ({scroll}px)"


@pytest.fixture
def checkout(app):
    components_domain.create_component(SYSTEM, name="Search")
    return components_domain.create_component(SYSTEM, name="Checkout")


# 8. Subscribing

def new_page(browser, **options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(10000)
    return context, page


def test_the_status_page_panel_opens_the_full_form_without_javascript(app, live_server, browser, checkout):
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    context, page = new_page(browser, java_script_enabled=False, viewport={"width": 375, "height": 740})
    page.goto(live_server.url + "/")
    panel = page.get_by_role("region", name="Get updates")
    panel.get_by_label("Email address").fill("reader@example.com")
    panel.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Subscribe to updates").wait_for()
    assert page.get_by_label("Email address").input_value() == "reader@example.com"
    assert page.get_by_role("radio", name="Email").is_checked()
    context.close()


def test_from_the_panel_to_a_subscription_that_repeats_the_choice(app, live_server, phone_page, axe, checkout):
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    page = phone_page
    page.goto(live_server.url + "/")
    panel = page.get_by_role("region", name="Get updates")
    assert panel.get_by_label("Email address").get_attribute("type") == "email"
    axe_both(page, axe)
    fits(page)
    panel.get_by_label("Email address").fill("reader@example.com")
    panel.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Subscribe to updates").wait_for()
    axe_both(page, axe)
    page.get_by_label("Only these:").check()
    page.get_by_label("Checkout").check()
    page.get_by_label("Tell me about").select_option("major")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    summary = page.locator(".choice-summary").text_content()
    assert "Checkout" in summary and "Search" not in summary and "Major impact or worse" in summary
    axe_both(page, axe)
    fits(page)
    assert db.session.scalar(db.select(Subscriber.target)) == "reader@example.com"


def test_the_subscribe_page_names_chat_services_says_why_email_is_off_and_offers_feeds(live_server, phone_page,
                                                                                        axe, checkout):
    page = phone_page
    page.goto(live_server.url + "/subscribe")
    assert page.get_by_role("radio", name="Email").is_disabled()
    assert page.get_by_text("Email is not offered: this site has no mail server set up yet.").is_visible()
    page.get_by_role("radio", name="Chat").check()
    page.get_by_text("Where to find the address for Slack").click()
    for name in ("Slack", "Microsoft Teams", "Discord", "Google Chat", "Telegram", "Mattermost"):
        assert page.locator(".chat-services dt", has_text=name).is_visible()
    calendar = page.get_by_role("link", name="Maintenance calendar").first
    assert calendar.get_attribute("href").startswith("webcal://")
    assert page.get_by_role("link", name="RSS feed").is_visible()
    fits(page)
    axe_both(page, axe)


# 9. Console tabs, tables, footer

def test_console_tabs_are_styled_and_tables_scroll_inside_their_box_on_a_phone(app, live_server, phone_page, axe,
                                                                               make_user, checkout):
    for n in range(3):
        incidents_domain.open_incident(SYSTEM, name=f"Checkout payments are failing for some customers {n}",
                                       components={checkout.id: "major_outage"})
    make_user("oncall@example.com", "manager", PASSWORD)
    page = phone_page
    sign_in(page, live_server, "oncall@example.com")
    page.goto(live_server.url + "/admin/incidents?show=open")
    tabs = page.get_by_role("navigation", name="Which incidents")
    assert tabs.locator("ul").evaluate("e => getComputedStyle(e).listStyleType") == "none"
    current = tabs.locator('[aria-current="page"]')
    assert current.text_content() == "Open"
    weight = current.evaluate("e => getComputedStyle(e).fontWeight")
    other = tabs.get_by_role("link", name="All").evaluate("e => getComputedStyle(e).fontWeight")
    assert int(weight) >= 700 > int(other)
    fits(page)
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")  # the table scrolls inside its box
    owner = page.get_by_role("columnheader", name="Owner")
    assert owner.bounding_box()["x"] >= 375  # off to the right, not clipped away
    wrap.evaluate("e => e.scrollLeft = e.scrollWidth")
    box = owner.bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= 375
    footer = page.locator("footer").text_content()
    assert "Subscribe to updates" not in footer and "RSS" not in footer
    axe_both(page, axe)
    page.goto(live_server.url + "/admin/deliveries")
    assert page.get_by_role("navigation", name="Which deliveries").locator('[aria-current="page"]') \
        .text_content() == "Dead"
    assert page.locator(".outbox-counts").evaluate("e => getComputedStyle(e).display") == "grid"
    fits(page)
    axe_both(page, axe)


# 10. The update form's affected list

def test_the_update_form_keeps_unaffected_components_out_of_the_incident(app, live_server, page, axe, make_user,
                                                                         checkout):
    search = db.session.scalar(db.select(type(checkout)).where(type(checkout).name == "Search"))
    incident = incidents_domain.open_incident(SYSTEM, name="Checkout errors", components={checkout.id: "major_outage"})
    make_user("oncall@example.com", "manager", PASSWORD)
    sign_in(page, live_server, "oncall@example.com")
    page.goto(f"{live_server.url}/admin/incidents/{incident.id}")
    assert page.get_by_text("Component states (1 affected)").is_visible()
    search_select = page.locator(f"#update-component-{search.id}")
    assert search_select.locator("option:checked").text_content() == "Operational (not affected)"
    assert search_select.locator("option", has_text="Not affected").count() == 1  # one choice, not two
    axe_both(page, axe)
    page.locator("#update-body").fill("Payments are recovering.")
    page.get_by_text("Component states (1 affected)").click()
    page.locator(f"#update-component-{checkout.id}").select_option("degraded_performance")
    page.get_by_role("button", name="Post update").click()
    page.get_by_text("Update posted.").wait_for()
    affected = page.locator("section[aria-labelledby=affected-title]").text_content()
    assert "Checkout" in affected and "Search" not in affected
    resolve = page.locator("section[aria-labelledby=resolve-title]")
    assert resolve.locator("select").count() == 1  # only this incident's component, which resolving changes


# 11. Maintenance: one zone per screen

def test_a_window_typed_at_two_in_the_morning_shows_two_in_the_morning(app, live_server, browser, axe, make_user,
                                                                       checkout):
    site = Site.get()
    site.time_zone = "Europe/London"
    db.session.commit()
    make_user("oncall@example.com", "manager", PASSWORD)
    context, page = new_page(browser, timezone_id="America/New_York", viewport={"width": 1280, "height": 900})
    sign_in(page, live_server, "oncall@example.com")
    page.goto(live_server.url + "/admin/maintenance/new")
    assert "All times on this page are in Europe/London" in page.locator(".zone-note").text_content()
    year = utcnow().year + 1
    page.locator("#name").fill("Database upgrade")
    page.locator("#scheduled_for").fill(f"{year}-01-15T02:00")
    page.locator("#scheduled_until").fill(f"{year}-01-15T04:00")
    page.get_by_label("Checkout").check()
    page.get_by_role("button", name="Schedule").click()
    page.get_by_role("heading", name="Database upgrade").wait_for()
    starts = page.locator(".facts dd").first.text_content()
    assert "02:00 GMT" in starts, starts  # not converted to the reader's 9:00 PM EST
    assert "Europe/London" in page.locator("footer").text_content()
    window = db.session.scalar(db.select(Incident).where(Incident.kind == "maintenance"))
    assert window.scheduled_for == datetime(year, 1, 15, 2, 0, tzinfo=UTC)
    axe_both(page, axe)
    page.goto(live_server.url + "/admin/maintenance")
    assert "02:00 GMT" in page.get_by_role("row", name="Database upgrade").text_content()
    axe_both(page, axe)
    context.close()


# 12. Templates fill the form at once

def test_picking_a_template_fills_the_form_at_once(app, live_server, page, browser, axe, make_user, checkout):
    create_template(SYSTEM, title="Checkout down", name="Checkout is failing", impact="major",
                    body="We are investigating failed payments.", components={checkout.id: "major_outage"})
    make_user("oncall@example.com", "manager", PASSWORD)
    sign_in(page, live_server, "oncall@example.com")
    page.goto(live_server.url + "/admin/incidents/new")
    expect(page.get_by_role("button", name="Use template")).to_be_hidden()
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Start from a template").select_option(label="Checkout down")
    assert page.get_by_label("Incident name").input_value() == "Checkout is failing"
    assert page.get_by_label("First update (Markdown)").input_value() == "We are investigating failed payments."
    assert page.locator(f"#component-{checkout.id}").input_value() == "major_outage"
    assert page.evaluate("window.sameDocument === true")  # no reload
    page.get_by_role("status").filter(has_text="Filled in from the template").wait_for()
    axe_both(page, axe)

    context, plain = new_page(browser, java_script_enabled=False)
    sign_in(plain, live_server, "oncall@example.com")
    plain.goto(live_server.url + "/admin/incidents/new")
    plain.get_by_label("Start from a template").select_option(label="Checkout down")
    plain.get_by_role("button", name="Use template").click()
    plain.wait_for_url("**template=*")
    assert plain.get_by_label("Incident name").input_value() == "Checkout is failing"
    context.close()


def test_the_console_links_to_the_internal_page(live_server, page, make_user):
    make_user("viewer@example.com", "viewer", PASSWORD)
    sign_in(page, live_server, "viewer@example.com")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Internal page").click()
    page.wait_for_url(f"{live_server.url}/internal")
    assert page.get_by_text("Internal view").first.is_visible()
