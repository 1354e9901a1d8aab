"""The public pages in a real Chromium: accessible in light and dark, usable by keyboard, without JavaScript
and on a 375px phone."""
from datetime import UTC, datetime, time, timedelta

import pytest

from statuspage import snapshot
from statuspage.domain import components, incidents, maintenance
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def fresh_snapshots():
    snapshot.clear()


@pytest.fixture
def seeded(app):
    """Two groups, an ungrouped component, an active incident, a past one two days ago, upcoming maintenance."""
    today = utcnow().date()
    core = components.create_group(SYSTEM, name="Core platform")
    api = components.create_component(SYSTEM, name="API", group_id=core.id, description="REST and GraphQL",
                                      start_date=today - timedelta(days=120))
    web = components.create_component(SYSTEM, name="Dashboard", group_id=core.id,
                                      start_date=today - timedelta(days=120))
    edge = components.create_group(SYSTEM, name="Edge")
    cdn = components.create_component(SYSTEM, name="CDN", group_id=edge.id, start_date=today - timedelta(days=40))
    components.create_component(SYSTEM, name="Email delivery", start_date=today - timedelta(days=120))
    past_start = datetime.combine(today - timedelta(days=2), time(9, 0), tzinfo=UTC)
    past = incidents.open_incident(SYSTEM, name="Dashboard login errors", components={web.id: "major_outage"},
                                   body="Users cannot sign in.", at=past_start)
    incidents.post_update(SYSTEM, past.id, status="identified", body="A certificate expired.",
                          at=past_start + timedelta(minutes=40))
    incidents.resolve_incident(SYSTEM, past.id, body="Renewed; all good.", at=past_start + timedelta(hours=2))
    active = incidents.open_incident(SYSTEM, name="Slow API responses", components={api.id: "degraded_performance"},
                                     body="We see **elevated latency** in one region.",
                                     at=utcnow() - timedelta(minutes=25))
    start = datetime.combine(today + timedelta(days=4), time(22, 0), tzinfo=UTC)
    maintenance.schedule_maintenance(SYSTEM, name="CDN provider switch", scheduled_for=start,
                                     scheduled_until=start + timedelta(hours=2), component_ids=[cdn.id],
                                     body="Short blips are possible.")
    return {"past": past, "active": active, "web": web}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_public_pages_have_no_accessibility_violations(live_server, page, axe, seeded, scheme):
    page.emulate_media(color_scheme=scheme)
    for path in ("/", "/history", f"/incidents/{seeded['past'].id}", "/incidents/nope"):
        page.goto(live_server.url + path)
        axe(page)


def _tab_to_day_slice(page, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.bar li')"):
            return
    raise AssertionError("no day slice reachable with Tab")


def _visible_tip(page) -> str:
    """The text of the focused day's tooltip, asserting it is shown (a child .tip, or the slice's ::after)."""
    shown = page.evaluate("""() => {
        const day = document.activeElement.closest('.bar li');
        const tip = day.querySelector('.tip');
        if (tip) {
            const box = tip.getBoundingClientRect();
            return {width: box.width, height: box.height, text: tip.innerText};
        }
        const after = getComputedStyle(day, '::after');
        return {width: parseFloat(after.width) || 0, height: parseFloat(after.height) || 0,
                text: after.content === 'none' ? '' : day.getAttribute('aria-label')};
    }""")
    assert shown["width"] > 60 and shown["height"] > 20, "the focused day's tooltip is not shown"
    return shown["text"]


def test_a_day_on_the_uptime_bar_tells_its_date_uptime_and_incidents_on_keyboard_focus(live_server, page, seeded):
    page.goto(live_server.url + "/")
    _tab_to_day_slice(page)
    text = _visible_tip(page)
    today = utcnow().date()
    assert f"{today.day} {today:%b}" in text  # the roving tab stop starts on today
    assert "%" in text
    # Each bar is one tab stop (plus its incident links); walk the Dashboard bar back to its outage.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches(\"ol[aria-label*='Dashboard'] > li\")"):
            break
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    text = _visible_tip(page)
    two_days_ago = today - timedelta(days=2)
    assert f"{two_days_ago.day} {two_days_ago:%b}" in text
    assert "Major outage" in text and "Dashboard login errors" in text
    page.keyboard.press("Tab")  # into the incident link: the tooltip stays open
    assert page.evaluate("document.activeElement.textContent") == "Dashboard login errors"
    _visible_tip(page)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/incidents/{seeded['past'].id}")
    assert "A certificate expired." in page.content()


def test_hovering_a_day_shows_its_tooltip(live_server, page, seeded):
    page.goto(live_server.url + "/")
    day = page.locator("ol[aria-label*='Email delivery'] > li").nth(45)
    day.hover()
    after = day.evaluate("d => { const s = getComputedStyle(d, '::after'); return [s.content, s.width]; }")
    assert "100%" in after[0] and "No incidents" in after[0]
    assert float(after[1].removesuffix("px")) > 60
    incident_day = page.locator("ol[aria-label*='Dashboard'] > li").nth(87)
    incident_day.hover()
    link = incident_day.get_by_role("link", name="Dashboard login errors")
    link.click()  # the tooltip stays open while the pointer moves into it
    page.wait_for_url(f"**/incidents/{seeded['past'].id}")


def test_the_page_works_without_javascript(live_server, browser, seeded):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1000, "height": 800})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        assert page.locator("#overall").inner_text() == "Minor Service Outage"
        assert "elevated latency" in page.locator(".incident-card").inner_text()
        assert "UTC" in page.locator(".banner-sub time").inner_text()  # the server's rendering of times
        group = page.locator("details", has_text="Core platform")
        assert group.get_attribute("open") is not None
        group.locator("summary").click()
        assert group.get_attribute("open") is None
        _tab_to_day_slice(page)
        _visible_tip(page)
        page.get_by_role("link", name="Incident history").first.click()
        assert "Dashboard login errors" in page.content()
    finally:
        context.close()


def test_times_are_shown_in_the_readers_zone_when_javascript_runs(live_server, browser, seeded):
    context = browser.new_context(timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto(live_server.url + f"/incidents/{seeded['past'].id}")
        first = page.locator("time[data-local]").first
        assert "GMT+9" in first.inner_text() or "JST" in first.inner_text()
        assert "UTC" in first.get_attribute("title")
        assert "Asia/Tokyo" in page.locator(".site-footer [data-zone-note]").inner_text()
    finally:
        context.close()


def test_a_phone_never_scrolls_sideways(live_server, phone_page, seeded):
    for path in ("/", "/history", f"/incidents/{seeded['past'].id}"):
        phone_page.goto(live_server.url + path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide"
    phone_page.goto(live_server.url + "/")
    for index in (60, 75, 89):  # the first and last of the 30 days a phone shows, and one between
        phone_page.locator("ol[aria-label*='API'] > li").nth(index).focus()
        assert _visible_tip(phone_page)
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
