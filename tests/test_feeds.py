"""RSS and Atom incident history and the maintenance calendar: parseable, linked, public only."""
import time
import xml.etree.ElementTree as ET
from datetime import UTC, timedelta

import pytest
from icalendar import Calendar

from statuspage import snapshot
from statuspage.domain import components as component_rules
from statuspage.domain import incidents as incident_rules
from statuspage.domain import maintenance as maintenance_rules
from statuspage.domain.recording import SYSTEM
from statuspage.models.columns import utcnow

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


@pytest.fixture(autouse=True)
def fresh_snapshots():
    """Snapshots are keyed by id(app) and site version; a later test's app can reuse both, so start empty."""
    snapshot.clear()


@pytest.fixture
def history(app):
    now = utcnow()
    api = component_rules.create_component(SYSTEM, name="API")
    vault = component_rules.create_component(SYSTEM, name="Vault secret store", visibility="internal")
    outage = incident_rules.open_incident(SYSTEM, name="API errors", body="Looking into it",
                                          components={api.id: "major_outage"}, at=now - timedelta(hours=2))
    incident_rules.post_update(SYSTEM, outage.id, status="identified",
                               body="**Cause found**: a bad deploy <script>alert(1)</script>")
    incident_rules.post_update(SYSTEM, outage.id, visibility="internal", body="note: blame the intern")
    hidden = incident_rules.open_incident(SYSTEM, name="Vault rotation", body="staff only",
                                          visibility="internal", components={vault.id: "major_outage"})
    window = maintenance_rules.schedule_maintenance(
        SYSTEM, name="Database upgrade", scheduled_for=now + timedelta(days=2),
        scheduled_until=now + timedelta(days=2, hours=3), body="We upgrade PostgreSQL.", component_ids=[api.id])
    secret_window = maintenance_rules.schedule_maintenance(
        SYSTEM, name="Vault maintenance", scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=1), visibility="internal")
    cancelled = maintenance_rules.schedule_maintenance(
        SYSTEM, name="Router swap", scheduled_for=now + timedelta(days=3),
        scheduled_until=now + timedelta(days=3, hours=1))
    maintenance_rules.cancel_maintenance(SYSTEM, cancelled.id)
    ancient = maintenance_rules.schedule_maintenance(
        SYSTEM, name="Ancient window", scheduled_for=now - timedelta(days=60),
        scheduled_until=now - timedelta(days=60, hours=-1))
    incident_rules.resolve_incident(SYSTEM, ancient.id)
    return {"outage": outage, "hidden": hidden, "window": window, "secret_window": secret_window,
            "cancelled": cancelled, "ancient": ancient}


SECRETS = ("Vault", "blame the intern", "staff only")


def test_rss_lists_public_incidents_linking_to_their_pages(client, history):
    response = client.get("/history.rss")
    assert response.status_code == 200
    assert response.mimetype == "application/rss+xml"
    text = response.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in text
    channel = ET.fromstring(response.data).find("channel")
    assert channel.findtext("link") == "http://status.test/history"
    items = {item.findtext("title"): item for item in channel.findall("item")}
    assert set(items) == {"API errors", "Maintenance: Database upgrade", "Maintenance: Router swap",
                          "Maintenance: Ancient window"}
    outage = items["API errors"]
    assert outage.findtext("link") == f"http://status.test/incidents/{history['outage'].id}"
    assert outage.findtext("pubDate")
    html = outage.findtext(CONTENT)
    assert "<strong>Cause found</strong>" in html, "the latest public update, rendered as Markdown"
    assert "<script>" not in html, "and sanitized"
    assert "Looking into it" not in html, "only the latest update"


def test_atom_has_one_entry_per_public_incident_with_updated_times(client, history):
    response = client.get("/history.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    for secret in SECRETS:
        assert secret not in response.get_data(as_text=True)
    feed = ET.fromstring(response.data)
    assert feed.find(f"{ATOM}updated").text
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 4
    by_title = {e.findtext(f"{ATOM}title"): e for e in entries}
    outage = by_title["API errors"]
    assert outage.find(f"{ATOM}link").get("href") == f"http://status.test/incidents/{history['outage'].id}"
    assert outage.findtext(f"{ATOM}updated").startswith(str(history["outage"].updated_at.year))
    content = outage.find(f"{ATOM}content")
    assert content.get("type") == "html" and "<strong>Cause found</strong>" in content.text
    times = [e.findtext(f"{ATOM}updated") for e in entries]
    assert times == sorted(times, reverse=True), "most recently updated first"


def test_calendar_has_public_windows_in_utc_with_uid_and_url(client, history):
    response = client.get("/maintenance.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    for secret in SECRETS:
        assert secret not in response.get_data(as_text=True)
    calendar = Calendar.from_ical(response.data)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Database upgrade", "Router swap"}, "recent and upcoming only, public only"
    upgrade = events["Database upgrade"]
    window = history["window"]
    assert upgrade.decoded("dtstart") == window.scheduled_for.replace(microsecond=0)
    assert upgrade.decoded("dtstart").utcoffset() == timedelta(0)
    assert upgrade.decoded("dtend").astimezone(UTC) - upgrade.decoded("dtstart").astimezone(UTC) == \
        timedelta(hours=3)
    assert str(upgrade["uid"]).startswith(window.id)
    assert str(upgrade["url"]) == f"http://status.test/incidents/{window.id}"
    assert "We upgrade PostgreSQL." in str(upgrade["description"])
    assert str(upgrade["status"]) == "CONFIRMED"
    assert str(events["Router swap"]["status"]) == "CANCELLED"
    assert b"DTSTART:" in response.data and b"Z\r\n" in response.data, "times written in UTC"


@pytest.mark.parametrize(("path", "news"), [("/history.rss", b"A fix is live"), ("/history.atom", b"A fix is live"),
                                            ("/maintenance.ics", b"Moved by an hour")])
def test_feeds_answer_304_until_something_public_changes(client, history, path, news):
    first = client.get(path)
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    incident_rules.post_update(SYSTEM, history["outage"].id, status="monitoring", body="A fix is live")
    maintenance_rules.reschedule_maintenance(SYSTEM, history["window"].id,
                                             history["window"].scheduled_for + timedelta(hours=1),
                                             history["window"].scheduled_until + timedelta(hours=1),
                                             body="Moved by an hour")
    changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert news in changed.data


@pytest.mark.parametrize("path", ["/history.rss", "/history.atom", "/maintenance.ics"])
def test_a_fresh_render_of_the_same_version_has_the_same_etag(client, history, path):
    """Every process renders its own snapshot; feed readers must see one ETag per version."""
    first = client.get(path)
    snapshot.clear()
    time.sleep(1.05)  # RSS dates have one-second resolution: a render-time clock would show
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_empty_feeds_still_parse(client, app):
    assert ET.fromstring(client.get("/history.rss").data).find("channel").findall("item") == []
    assert ET.fromstring(client.get("/history.atom").data).findall(f"{ATOM}entry") == []
    assert Calendar.from_ical(client.get("/maintenance.ics").data).walk("VEVENT") == []
