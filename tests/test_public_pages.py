"""The public status page, history and incident pages as a customer sees them, and the internal page for staff."""
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from statuspage import snapshot
from statuspage.domain import components, incidents, maintenance
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow


@pytest.fixture(autouse=True)
def fresh_snapshots():
    """Snapshots are keyed by app id and site version, both of which repeat from test to test."""
    snapshot.clear()


def text_of(html: str) -> str:
    """The page's visible words, tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by ``heading_id``."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, f"no section {heading_id}"
    return match.group(0)


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


# --- the overall banner ---------------------------------------------------------------------------------------

def test_it_says_all_systems_operational_when_nothing_is_wrong(client):
    components.create_component(SYSTEM, name="API")
    html = get(client, "/")
    assert 'class="banner banner-operational"' in html
    assert "<h1 id=\"overall\">All Systems Operational</h1>" in html
    assert 'class="banner-icon" aria-hidden="true"' in html  # an icon, not colour alone


@pytest.mark.parametrize("setup, sentence, css", [
    ("degraded", "Partially Degraded Service", "minor"),
    ("minor_incident", "Minor Service Outage", "minor"),
    ("critical_incident", "Major System Outage", "critical"),
    ("maintenance", "Service Under Maintenance", "maintenance"),
])
def test_the_banner_tells_the_state_in_words_and_colour(client, setup, sentence, css):
    api = components.create_component(SYSTEM, name="API")
    if setup == "degraded":
        components.set_component_status(SYSTEM, api.id, "degraded_performance", "manual")
    elif setup == "minor_incident":
        incidents.open_incident(SYSTEM, name="Slow logins", impact="minor", body="Looking.")
    elif setup == "critical_incident":
        incidents.open_incident(SYSTEM, name="API down", components={api.id: "major_outage"}, body="Down.")
    else:
        now = utcnow()
        m = maintenance.schedule_maintenance(SYSTEM, name="Database upgrade", scheduled_for=now - timedelta(minutes=5),
                                             scheduled_until=now + timedelta(hours=1), component_ids=[api.id])
        incidents.post_update(SYSTEM, m.id, status="in_progress", body="Started.",
                              components={api.id: "under_maintenance"})
    html = get(client, "/")
    assert f"<h1 id=\"overall\">{sentence}</h1>" in html
    assert f'class="banner banner-{css}"' in html


# --- active incidents -----------------------------------------------------------------------------------------

def test_an_active_incident_card_shows_the_latest_public_update_and_never_internal_notes(client):
    api = components.create_component(SYSTEM, name="API")
    incident = incidents.open_incident(SYSTEM, name="Elevated API errors", components={api.id: "partial_outage"},
                                       body="We are investigating.", at=utcnow() - timedelta(hours=2))
    incidents.post_update(SYSTEM, incident.id, status="identified", body="A bad deploy; rolling back.",
                          at=utcnow() - timedelta(hours=1))
    incidents.post_update(SYSTEM, incident.id, visibility="internal", body="Bob is on it, DB creds rotated")
    card = section(get(client, "/"), "active-heading")
    assert "Elevated API errors" in card
    assert f'href="/incidents/{incident.id}"' in card
    assert "impact-major" in card
    assert "A bad deploy; rolling back." in card
    assert "We are investigating." not in card  # only the latest public update
    assert "Bob is on it" not in card and "Internal note" not in card
    assert "<time datetime=" in card
    assert "Affects: API" in text_of(card)


def test_upcoming_maintenance_shows_its_window(client):
    api = components.create_component(SYSTEM, name="API")
    start = datetime.combine(date.today() + timedelta(days=3), time(22, 0), tzinfo=UTC)
    maintenance.schedule_maintenance(SYSTEM, name="Network upgrade", scheduled_for=start,
                                     scheduled_until=start + timedelta(hours=2), component_ids=[api.id],
                                     body="Expect short blips.")
    upcoming = section(get(client, "/"), "upcoming-heading")
    assert "Network upgrade" in upcoming and "Expect short blips." in upcoming
    assert start.strftime("%d %b %Y, 22:00 UTC").lstrip("0") in upcoming
    assert "2 hours" in upcoming


# --- visibility -------------------------------------------------------------------------------------------------

def test_internal_components_groups_and_incidents_never_reach_public_pages(client):
    public = components.create_component(SYSTEM, name="Public API")
    secret = components.create_component(SYSTEM, name="Billing Worker", visibility="internal")
    hidden_group = components.create_group(SYSTEM, name="Back Office", visibility="internal")
    in_hidden_group = components.create_component(SYSTEM, name="Ledger Sync", group_id=hidden_group.id)
    internal = incidents.open_incident(SYSTEM, name="Ledger drift", visibility="internal",
                                       components={in_hidden_group.id: "degraded_performance"}, body="hush")
    shared = incidents.open_incident(SYSTEM, name="Checkout errors",
                                     components={public.id: "partial_outage", secret.id: "major_outage"},
                                     body="Payments fail.")
    incidents.resolve_incident(SYSTEM, shared.id)
    for url in ("/", "/history", f"/incidents/{shared.id}"):
        html = get(client, url)
        for word in ("Billing Worker", "Back Office", "Ledger Sync", "Ledger drift", "hush"):
            assert word not in html, (url, word)
    assert "Public API" in get(client, f"/incidents/{shared.id}")
    assert "Checkout errors" in get(client, "/history")
    assert "Page not found" in text_of(get(client, f"/incidents/{internal.id}", 404))


def test_an_unknown_incident_is_a_helpful_404_page(client):
    html = get(client, "/incidents/does-not-exist", 404)
    assert "Page not found" in html and 'href="/"' in html


# --- incident page ----------------------------------------------------------------------------------------------

def test_the_incident_page_shows_the_public_timeline_newest_first_with_duration(client):
    api = components.create_component(SYSTEM, name="API")
    start = utcnow() - timedelta(hours=5)
    incident = incidents.open_incident(SYSTEM, name="Login failures", components={api.id: "major_outage"},
                                       body="First we noticed.", at=start)
    incidents.post_update(SYSTEM, incident.id, visibility="internal", body="internal: restart pods",
                          at=start + timedelta(minutes=30))
    incidents.resolve_incident(SYSTEM, incident.id, body="All good now.", at=start + timedelta(hours=2, minutes=15))
    html = get(client, f"/incidents/{incident.id}")
    assert html.index("All good now.") < html.index("First we noticed.")
    assert "restart pods" not in html
    words = text_of(html)
    assert "Lasted 2 hours 15 minutes" in words
    assert "Critical impact" in words
    assert "API: Major outage → Operational" in words
    assert html.count("<time datetime=") >= 4


def test_markdown_in_updates_is_rendered_and_scripts_are_neutralized(client):
    incident = incidents.open_incident(SYSTEM, name="XSS attempt", impact="minor",
                                       body="**Bold** <script>alert(1)</script> [x](javascript:alert(2))")
    for url in ("/", f"/incidents/{incident.id}"):
        html = get(client, url)
        assert "<strong>Bold</strong>" in html
        assert "<script>alert(1)" not in html
        assert "href=\"javascript" not in html


def test_markdown_headings_from_h2_to_h4_are_kept_and_the_rest_stays_sanitized():
    from statuspage.rendering import render_markdown

    html = str(render_markdown("# Summary\n\n## What happened\n\n### Timeline\n\n#### 09:00\n\n"
                               "<h2 onclick=alert(1)>raw</h2> [x](javascript:alert(2)) <img src=x onerror=y>"))
    assert "<h2>Summary</h2>" in html  # the page keeps its one h1
    assert "<h2>What happened</h2>" in html and "<h3>Timeline</h3>" in html and "<h4>09:00</h4>" in html
    assert "<h2 onclick" not in html and "<img" not in html and "href=\"javascript" not in html


def test_a_maintenance_page_shows_its_window(client):
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    m = maintenance.schedule_maintenance(SYSTEM, name="Storage migration", scheduled_for=start,
                                         scheduled_until=start + timedelta(hours=3))
    words = text_of(get(client, f"/incidents/{m.id}"))
    assert "Window" in words and "Maintenance" in words and "Scheduled" in words


# --- history ----------------------------------------------------------------------------------------------------

def _past_incidents(count: int):
    now = utcnow()
    made = []
    for n in range(count):
        made.append(incidents.open_incident(SYSTEM, name=f"Incident number {n:02d}", impact="minor",
                                            status="resolved", body="Done.", at=now - timedelta(days=3 * n + 1)))
    return made


def test_history_is_paginated_newest_first_and_grouped_by_month(client):
    _past_incidents(25)
    first = get(client, "/history")
    names = re.findall(r"Incident number (\d\d)", first)
    assert names == [f"{n:02d}" for n in range(20)]
    assert re.search(r"<h2 id=\"month-1\">\w+ \d{4}</h2>", first)
    assert 'rel="next" href="/history?page=2"' in first
    second = get(client, "/history?page=2")
    assert re.findall(r"Incident number (\d\d)", second) == ["20", "21", "22", "23", "24"]
    assert 'rel="prev"' in second and 'rel="next"' not in second


@pytest.mark.parametrize("page", ["-3", "abc", "0", "1.5", "99999999999999999999", ""])
def test_nonsense_history_pages_show_the_first_page(client, page):
    _past_incidents(2)
    html = get(client, f"/history?page={page}")
    assert "Incident number 00" in html and "Incident number 01" in html
    assert "There is nothing on page" not in html


def test_a_history_page_past_the_end_is_a_friendly_empty_state(client):
    _past_incidents(3)
    words = text_of(get(client, "/history?page=7"))
    assert "There is nothing on page 7" in words and "Go to the newest incidents" in words
    assert "Incident number" not in words


def test_history_without_incidents_says_so(client):
    assert "No incidents have been reported yet." in get(client, "/history")


# --- snapshot and caching ---------------------------------------------------------------------------------------

def test_the_page_answers_304_to_a_matching_etag_and_a_write_changes_it(client):
    api = components.create_component(SYSTEM, name="API")
    first = client.get("/")
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    components.set_component_status(SYSTEM, api.id, "major_outage", "manual")
    after = client.get("/", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert "Major System Outage" in after.get_data(as_text=True)


def test_recent_incidents_cover_fourteen_days_and_merge_quiet_days(client):
    today = utcnow().date()
    incidents.open_incident(SYSTEM, name="Yesterday's blip", impact="minor", status="resolved", body="ok",
                            at=utcnow() - timedelta(days=1))
    incidents.open_incident(SYSTEM, name="Ancient outage", impact="major", status="resolved", body="ok",
                            at=utcnow() - timedelta(days=40))
    recent = section(get(client, "/"), "recent-heading")
    assert "Yesterday&#39;s blip" in recent
    assert "Ancient outage" not in recent
    headings = re.findall(r'<h3 class="day-heading">(.*?)</h3>', recent)
    oldest, day_before = today - timedelta(days=13), today - timedelta(days=2)
    month = "" if oldest.month == day_before.month else oldest.strftime(" %B")
    assert headings == ["Today", f"{(today - timedelta(days=1)).day} {(today - timedelta(days=1)):%B %Y}",
                        f"{oldest.day}{month} – {day_before.day} {day_before:%B %Y}"]
    assert recent.count("No incidents reported.") == 2


# --- uptime bars ------------------------------------------------------------------------------------------------

def test_uptime_shows_no_data_before_a_component_started_and_the_percent_after(client):
    today = utcnow().date()
    api = components.create_component(SYSTEM, name="API", start_date=today - timedelta(days=9))
    outage_start = datetime.combine(today - timedelta(days=2), time(6, 0), tzinfo=UTC)
    incident = incidents.open_incident(SYSTEM, name="Six hour outage", components={api.id: "major_outage"},
                                       body="Down.", at=outage_start)
    incidents.resolve_incident(SYSTEM, incident.id, at=outage_start + timedelta(hours=6))
    html = get(client, "/")
    slices = [(level, label or tip) for level, label, tip in re.findall(
        r'<li tabindex=0 class=u-(\w)(?: aria-label="([^"]*)">|><span class="tip">(.*?)</span></li>)', html,
        re.S)]
    assert len(slices) == 90
    assert all(level == "n" and "No data" in tip for level, tip in slices[:80])
    assert all("No data" not in tip for _, tip in slices[81:])
    bad_day = slices[87]
    assert bad_day[0] == "x"
    assert f"{(today - timedelta(days=2)).day}" in bad_day[1] and "75%" in bad_day[1]
    assert "Major outage" in bad_day[1] and f'href="/incidents/{incident.id}"' in bad_day[1]
    assert slices[89][1].endswith("100%")  # today: up since the incident ended
    observed = (utcnow() - datetime.combine(today - timedelta(days=9), time.min, tzinfo=UTC)).total_seconds()
    expected = 100 * (1 - 6 * 3600 / observed)
    shown = float(re.search(r'class="bar-percent">([\d.]+)%</span> uptime', html).group(1))
    assert expected - 0.02 <= shown <= expected
    assert "90 days ago" in html and "Today" in html


def test_a_new_component_has_no_uptime_percent_yet(client):
    components.create_component(SYSTEM, name="Tomorrow's API", start_date=utcnow().date() + timedelta(days=1))
    assert '<span class="bar-percent">No data</span>' in get(client, "/")


# --- the internal page ------------------------------------------------------------------------------------------

def test_the_internal_page_requires_sign_in(client):
    response = client.get("/internal")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_internal_page_shows_internal_components_notes_and_priority(client, login):
    components.create_component(SYSTEM, name="Billing Worker", visibility="internal")
    incident = incidents.open_incident(SYSTEM, name="Invoice backlog", visibility="internal", body="Queue grows.",
                                       itil_impact=1, itil_urgency=1)
    incidents.post_update(SYSTEM, incident.id, visibility="internal", body="Paged the billing team.")
    login("viewer")
    html = get(client, "/internal")
    words = text_of(html)
    assert "Billing Worker" in words and "Invoice backlog" in words
    assert "Paged the billing team." in words and "Internal note" in words
    assert "P1 Critical" in words
    assert f"/internal/incidents/{incident.id}" in html
    timeline = text_of(get(client, f"/internal/incidents/{incident.id}"))
    assert "Paged the billing team." in timeline and "Queue grows." in timeline
    assert "Invoice backlog" not in get(client, "/")  # signed in, the public page is still public


def test_the_internal_incident_page_requires_sign_in(client):
    incident = incidents.open_incident(SYSTEM, name="Quiet", visibility="internal", body="x")
    assert client.get(f"/internal/incidents/{incident.id}").status_code == 302


def test_a_flash_message_reaches_its_visitor_but_never_the_shared_snapshot(app, client):
    components.create_component(SYSTEM, name="API")
    client.get("/")  # the snapshot exists
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Check your inbox to confirm.")]
    assert "Check your inbox to confirm." in get(client, "/")
    assert "Check your inbox to confirm." not in get(app.test_client(), "/")
