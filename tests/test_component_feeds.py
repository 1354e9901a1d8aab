"""Each public component's own RSS, Atom and maintenance calendar: that component's incidents only, each with
its whole public timeline newest first in words people read and the published review; nothing internal; an
internal or unknown component has none; feed readers find them from the pages."""
import re
from datetime import timedelta

import feedparser
import pytest
from icalendar import Calendar

from statuspage.domain import components as component_rules
from statuspage.domain import incidents as incident_rules
from statuspage.domain import maintenance as maintenance_rules
from statuspage.domain import reviews
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow

SECRETS = ("Qzy internal note", "Qzy Vault", "Qzy staff-only outage", "Qzy draft review", "Qzy secret window")
FEEDS = ("history.rss", "history.atom")


@pytest.fixture
def site(app):
    now = utcnow()
    api = component_rules.create_component(SYSTEM, name="API")
    web = component_rules.create_component(SYSTEM, name="Website")
    vault = component_rules.create_component(SYSTEM, name="Qzy Vault", visibility="internal")
    outage = incident_rules.open_incident(SYSTEM, name="API errors", body="We are looking into errors.",
                                          components={api.id: "major_outage", vault.id: "major_outage"},
                                          at=now - timedelta(hours=3))
    incident_rules.post_update(SYSTEM, outage.id, status="identified", body="A bad deploy.",
                               at=now - timedelta(hours=2))
    incident_rules.post_update(SYSTEM, outage.id, visibility="internal", body="Qzy internal note",
                               at=now - timedelta(hours=1, minutes=30))
    incident_rules.resolve_incident(SYSTEM, outage.id, body="Rolled back; all good.")
    reviews.start_review(SYSTEM, outage.id)
    # The timeline is seeded with internal notes for the manager to edit; they publish what they wrote.
    reviews.save_review(SYSTEM, outage.id, summary="Errors for an hour.", root_cause="A config flag flipped.",
                        timeline="- Errors began\n- Rolled back")
    reviews.move_review(SYSTEM, outage.id, "in_review")
    reviews.move_review(SYSTEM, outage.id, "published")
    slow_site = incident_rules.open_incident(SYSTEM, name="Website slow", body="Pages load slowly.",
                                             components={web.id: "degraded_performance"})
    drafted = incident_rules.open_incident(SYSTEM, name="API timeouts", body="Some timeouts.",
                                           components={api.id: "partial_outage"}, at=now - timedelta(days=3))
    incident_rules.resolve_incident(SYSTEM, drafted.id, body="Fixed.")
    reviews.start_review(SYSTEM, drafted.id)
    reviews.save_review(SYSTEM, drafted.id, summary="Qzy draft review")
    hidden = incident_rules.open_incident(SYSTEM, name="Qzy staff-only outage", body="x", visibility="internal",
                                          components={api.id: "degraded_performance"})
    window = maintenance_rules.schedule_maintenance(
        SYSTEM, name="API database upgrade", scheduled_for=now + timedelta(days=2),
        scheduled_until=now + timedelta(days=2, hours=2), body="We upgrade PostgreSQL.", component_ids=[api.id])
    web_window = maintenance_rules.schedule_maintenance(
        SYSTEM, name="Website CDN switch", scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=1), component_ids=[web.id])
    maintenance_rules.schedule_maintenance(
        SYSTEM, name="Qzy secret window", scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=1), component_ids=[api.id], visibility="internal")
    return {"api": api, "web": web, "vault": vault, "outage": outage, "slow_site": slow_site,
            "drafted": drafted, "hidden": hidden, "window": window, "web_window": web_window}


def parse(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    text = response.get_data(as_text=True)
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, f"{path} shows {leaked}"
    return response, text


@pytest.mark.parametrize("name", FEEDS)
def test_a_component_feed_holds_only_that_components_public_incidents(client, site, name):
    _, text = parse(client, f"/components/{site['api'].id}/{name}")
    feed = feedparser.parse(text)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.feed.title == "Status: API incident history"
    assert {e.title for e in feed.entries} == {"API errors", "API timeouts", "Maintenance: API database upgrade"}
    assert site["hidden"].id not in text and site["vault"].id not in text
    web = feedparser.parse(parse(client, f"/components/{site['web'].id}/{name}")[1])
    assert web.bozo == 0
    assert {e.title for e in web.entries} == {"Website slow", "Maintenance: Website CDN switch"}
    assert web.entries[0].link == f"http://status.test/incidents/{site['web_window'].id}", "newest first"


@pytest.mark.parametrize("name", FEEDS)
def test_an_entry_carries_every_public_update_newest_first_and_the_published_review(client, site, name):
    feed = feedparser.parse(parse(client, f"/components/{site['api'].id}/{name}")[1])
    entry = next(e for e in feed.entries if e.title == "API errors")
    html = entry.content[0].value if "content" in entry else entry.summary
    positions = [html.index(text) for text in ("Postmortem", "A config flag flipped.", "Rolled back; all good.",
                                               "A bad deploy.", "We are looking into errors.")]
    assert positions == sorted(positions), "the review first, then updates newest first"
    statuses = re.findall(r"<strong>(Resolved|Identified|Investigating|Monitoring)</strong>", html)
    assert statuses == ["Resolved", "Identified", "Investigating"], "each public update with its status"
    stamps = re.findall(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC", html)
    assert len(stamps) == 4, "each update and the review say when, for people"
    timeouts = next(e for e in feed.entries if e.title == "API timeouts")
    assert "Postmortem" not in (timeouts.content[0].value if "content" in timeouts else timeouts.summary), \
        "a review that is not published stays out"


def test_every_feed_of_the_site_parses_without_complaint(client, site):
    paths = ["/history.rss", "/history.atom"] + [f"/components/{c.id}/{name}" for c in (site["api"], site["web"])
                                                 for name in FEEDS]
    for path in paths:
        feed = feedparser.parse(parse(client, path)[1])
        assert feed.bozo == 0, (path, feed.get("bozo_exception"))
        assert feed.entries, path
        assert all(e.link.startswith("http://status.test/incidents/") for e in feed.entries), path


def test_a_component_calendar_holds_only_its_public_windows(client, site):
    for component, expected in ((site["api"], {"API database upgrade"}), (site["web"], {"Website CDN switch"})):
        response, _ = parse(client, f"/components/{component.id}/maintenance.ics")
        assert response.mimetype == "text/calendar"
        calendar = Calendar.from_ical(response.data)
        assert component.name in str(calendar["x-wr-calname"])
        assert {str(e["summary"]) for e in calendar.walk("VEVENT")} == expected
    whole = Calendar.from_ical(parse(client, "/maintenance.ics")[0].data)
    assert {str(e["summary"]) for e in whole.walk("VEVENT")} == {"API database upgrade", "Website CDN switch"}


@pytest.mark.parametrize("name", [*FEEDS, "maintenance.ics"])
def test_an_internal_or_unknown_component_has_no_feeds(client, site, name):
    for component_id in (site["vault"].id, "nosuchthing1", "UPPER", "x" * 17):
        assert client.get(f"/components/{component_id}/{name}").status_code == 404, component_id


def test_a_component_made_internal_loses_its_feed(client, site):
    path = f"/components/{site['web'].id}/history.atom"
    assert client.get(path).status_code == 200
    component_rules.update_component(SYSTEM, site["web"].id, visibility="internal")
    assert client.get(path).status_code == 404


def test_a_component_feed_follows_a_new_public_update_and_ignores_an_internal_one(client, site):
    path = f"/components/{site['web'].id}/history.rss"
    first = client.get(path)
    incident_rules.post_update(SYSTEM, site["slow_site"].id, visibility="internal", body="Qzy internal note")
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    incident_rules.post_update(SYSTEM, site["slow_site"].id, status="identified", body="A slow disk.")
    changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and b"A slow disk." in changed.data and b"Qzy" not in changed.data


def test_incident_pages_point_feed_readers_at_their_components_feeds(client, site):
    page = client.get(f"/incidents/{site['outage'].id}").get_data(as_text=True)
    alternates = re.findall(r'<link rel="alternate" type="([^"]+)" title="([^"]+)" href="([^"]+)"', page)
    hrefs = {href for _, _, href in alternates}
    assert {f"/components/{site['api'].id}/history.atom", f"/components/{site['api'].id}/history.rss",
            "/history.atom", "/history.rss"} <= hrefs
    assert not any(site["vault"].id in href for href in hrefs), "never an internal component's"
    index = client.get("/").get_data(as_text=True)
    assert 'type="text/calendar"' in index and 'href="/maintenance.ics"' in index
