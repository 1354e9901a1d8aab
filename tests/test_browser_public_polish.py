"""The public pages' polish in a real Chromium: one column on every page, postmortem headings, the reader's
days and relative times, the self-refreshing page, the phone header and bar legend; 0 axe violations at
1280 and 375 px in light and dark (screenshots go to $STATUSPAGE_SCREENSHOTS when set)."""
import os
from datetime import UTC, datetime, time, timedelta

import pytest

from statuspage.domain import components, incidents
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
POSTMORTEM = "## What happened\nA certificate expired.\n\n### Timeline\nWe renewed it.\n\n#### Details\nSee below."


@pytest.fixture
def site(app):
    """An API and a Dashboard; an outage late one evening three days ago in UTC (the next morning in Tokyo)
    with a postmortem; an open incident on the API."""
    today = utcnow().date()
    core = components.create_group(SYSTEM, name="Core platform")
    api = components.create_component(SYSTEM, name="API", group_id=core.id, start_date=today - timedelta(days=120))
    web = components.create_component(SYSTEM, name="Dashboard", group_id=core.id,
                                      start_date=today - timedelta(days=120))
    start = datetime.combine(today - timedelta(days=3), time(20, 0), tzinfo=UTC)
    night = incidents.open_incident(SYSTEM, name="Dashboard down overnight", components={web.id: "major_outage"},
                                    body="Nobody can sign in.", at=start)
    incidents.resolve_incident(SYSTEM, night.id, body="Fixed.", at=start + timedelta(hours=2))
    incidents.publish_postmortem(SYSTEM, night.id, POSTMORTEM, notify=False)
    active = incidents.open_incident(SYSTEM, name="Slow API responses", components={api.id: "degraded_performance"},
                                     body="We see elevated latency.", at=utcnow() - timedelta(minutes=12))
    return {"night": night, "night_start": start, "active": active}


def _context(browser, size: str, **kwargs):
    return browser.new_context(viewport=WIDTHS[size], is_mobile=size == "phone", has_touch=size == "phone",
                               **kwargs)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_keeps_the_headers_column(live_server, browser, site, size):
    context = _context(browser, size)
    try:
        page = context.new_page()
        for path in ("/", f"/incidents/{site['night'].id}", "/history", "/history?page=9"):
            page.goto(live_server.url + path)
            header, main = page.evaluate("""() => [document.querySelector('.site-header .wrap'),
                document.querySelector('main')].map(e => { const r = e.getBoundingClientRect();
                return [r.left, r.right]; })""")
            assert abs(header[0] - main[0]) < 0.5 and abs(header[1] - main[1]) < 0.5, (path, header, main)
    finally:
        context.close()


def test_postmortem_headings_are_shown_and_the_card_starts_at_its_top(live_server, page, site):
    page.goto(live_server.url + f"/incidents/{site['night'].id}")
    card = page.locator(".postmortem")
    for level, text in (("h2", "What happened"), ("h3", "Timeline"), ("h4", "Details")):
        heading = card.locator(f".prose {level}")
        assert heading.inner_text() == text
        assert heading.evaluate("h => parseFloat(getComputedStyle(h).fontWeight)") >= 600
    gap = card.evaluate("c => c.querySelector('h2').getBoundingClientRect().top - c.getBoundingClientRect().top")
    assert gap < 24, f"{gap}px of empty space above the postmortem's title"


def test_days_follow_the_readers_zone_and_times_say_how_long_ago(live_server, browser, site):
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        start = site["night_start"].isoformat()
        expected = page.evaluate("""s => [new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'long',
            year: 'numeric'}).format(new Date(s)), new Date(s).toLocaleDateString(undefined,
            {day: 'numeric', month: 'short'})]""", start)
        utc_day = site["night_start"].date()
        assert expected[0] != f"{utc_day.day} {utc_day:%B %Y}"  # the next morning in Tokyo
        day = page.locator(".day", has=page.get_by_role("link", name="Dashboard down overnight"))
        assert day.locator(".day-heading").inner_text() == expected[0]
        slices = page.evaluate("""() => [...document.querySelectorAll("ol[aria-label*='Dashboard'] > li")].map(
            li => [li.className, li.getAttribute('aria-label') || li.querySelector('.tip').firstChild.textContent,
                   li.querySelector('a') ? li.querySelector('a').textContent : ''])""")
        assert len(slices) == 90
        hit = [s for s in slices if s[2] == "Dashboard down overnight"]
        assert len(hit) == 1 and hit[0][0] == "u-x" and hit[0][1].startswith(expected[1] + "\n91.66% · Major outage")
        assert "Asia/Tokyo" in page.locator(".zone-note").first.inner_text()
        assert "ago" in page.locator(".incident-card .ago").first.inner_text()  # "(12 minutes ago)"
        assert "GMT+9" in page.locator(".incident-card time").first.inner_text()
    finally:
        context.close()


def test_history_months_follow_the_readers_zone(live_server, browser, app):
    first_of_month = utcnow().date().replace(day=1)
    start = datetime.combine(first_of_month - timedelta(days=1), time(20, 0), tzinfo=UTC)  # the 1st in Tokyo
    web = components.create_component(SYSTEM, name="Web")
    late = incidents.open_incident(SYSTEM, name="Late at night", components={web.id: "major_outage"}, at=start)
    incidents.resolve_incident(SYSTEM, late.id, at=start + timedelta(hours=1))
    for js, month in ((True, first_of_month), (False, start.date())):
        context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB", java_script_enabled=js)
        try:
            page = context.new_page()
            page.goto(live_server.url + "/history")
            section = page.locator("section.month", has=page.get_by_role("link", name="Late at night"))
            assert section.locator("h2").inner_text() == f"{month:%B %Y}"
            assert page.locator(".zone-note").inner_text() == ("Months in your time zone (Asia/Tokyo)." if js
                                                               else "Months in UTC.")
        finally:
            context.close()


def test_without_javascript_the_page_names_the_sites_zone(live_server, browser, site):
    context = browser.new_context(java_script_enabled=False, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        notes = page.locator(".zone-note").all_inner_texts()
        assert notes == ["Each slice of the bars is one day in UTC.", "Days in UTC."]
        utc_day = site["night_start"].date()
        day = page.locator(".day", has=page.get_by_role("link", name="Dashboard down overnight"))
        assert day.locator(".day-heading").inner_text() == f"{utc_day.day} {utc_day:%B %Y}"
        assert page.locator(".ago").count() == 0
    finally:
        context.close()


def _wait_until(page, script: str, seconds: float = 10) -> None:
    """Poll ``script`` (an expression) until true; wait_for_function would need eval, which the CSP forbids."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


def _wait_for_responses(page, seen: list, count: int) -> None:
    for _ in range(100):
        if len(seen) >= count:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{len(seen)} of {count} responses: {seen}")


def test_an_open_incident_refreshes_the_page_in_place(live_server, page, site):
    summaries, problems = [], []
    page.on("response", lambda r: summaries.append((r.status, r.request.headers.get("if-none-match")))
            if r.url.endswith("/api/v2/summary.json") else None)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.clock.install()
    page.goto(live_server.url + "/")
    page.evaluate("window.notReloaded = true")
    _wait_until(page, "!!document.querySelector('.incident-card .ago')")
    _wait_for_responses(page, summaries, 1)  # the first check on load
    page.clock.run_for(61_000)
    _wait_for_responses(page, summaries, 2)  # the unchanged check has come back before anything is written
    incidents.post_update(SYSTEM, site["active"].id, status="identified", body="A cache node is overloaded.")
    page.clock.run_for(60_000)
    _wait_until(page, "document.querySelector('.incident-card').innerText.includes('cache node')")
    assert page.evaluate("window.notReloaded") is True
    assert summaries[0] == (200, None) and summaries[1][0] == 304 and summaries[1][1]
    assert summaries[2][0] == 200 and summaries[2][1] == summaries[1][1]
    assert "ago" in page.locator(".incident-card .ago").first.inner_text()  # the new content was localized
    assert page.locator("[role=status]", has_text="updated").count() == 1
    assert not problems, problems  # nothing refused by the Content-Security-Policy


def test_a_quiet_page_does_not_poll(live_server, page, app):
    components.create_component(SYSTEM, name="API")
    polled = []
    page.on("request", lambda r: polled.append(r.url) if "summary.json" in r.url else None)
    page.goto(live_server.url + "/")
    assert page.locator("main[data-refresh]").count() == 0 and not polled


def test_a_phone_keeps_the_history_link_and_its_bars_say_their_window(live_server, phone_page, site):
    phone_page.goto(live_server.url + "/")
    history = phone_page.locator(".site-header").get_by_role("link", name="History")
    box = history.bounding_box()
    assert box and box["width"] > 0 and box["x"] + box["width"] <= 375
    legend = phone_page.locator("ol[aria-label*='API'] + .bar-legend").inner_text()
    assert "30 days ago" in legend and "uptime in 30 days" in legend and "90" not in legend


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_polished_pages_have_no_accessibility_violations(live_server, browser, axe, site, size, scheme):
    context = _context(browser, size, color_scheme=scheme, timezone_id="Asia/Tokyo")
    shots = os.environ.get("STATUSPAGE_SCREENSHOTS")
    try:
        page = context.new_page()
        for name, path in (("index", "/"), ("incident", f"/incidents/{site['night'].id}"), ("history", "/history")):
            page.goto(live_server.url + path)
            axe(page)
            if shots:
                page.screenshot(path=os.path.join(shots, f"{name}-{size}-{scheme}.png"), full_page=True)
    finally:
        context.close()
