"""Every public GET is a snapshot served before Flask works: ETag from the bytes, 304, gzip and brotli by
q-value, one render per public version whatever the query string, security headers on the short path, and an
internal note that leaves every public cache as it was."""
import gzip

import brotli
import pytest
from flask import request_started

from statuspage.domain import components, incidents
from statuspage.domain.recording import SYSTEM

V2 = ["/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
      "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
      "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json"]
FEEDS = ["/history.rss", "/history.atom", "/maintenance.ics"]
BADGES_AND_EMBED = ["/badge.svg", "/badge.json", "/embed/script.js", "/embed/frame"]
COMPONENT_SURFACES = ["history.rss", "history.atom", "maintenance.ics", "badge.svg", "badge.json"]


@pytest.fixture
def incident(app):
    api = components.create_component(SYSTEM, name="Checkout API")
    for n in range(20):
        components.create_component(SYSTEM, name=f"Service number {n}", description="x" * 40)
    return incidents.open_incident(SYSTEM, name="Checkout is slow", status="investigating",
                                   body="We are looking into slow checkouts.",
                                   components={api.id: "degraded_performance"})


def public_paths(incident) -> list[str]:
    component_id = incident.components[0].id
    return ["/", "/history", "/history?page=2", f"/incidents/{incident.id}", *V2, *FEEDS, *BADGES_AND_EMBED,
            *(f"/components/{component_id}/{name}" for name in COMPONENT_SURFACES)]


@pytest.fixture
def flask_requests(app):
    """How many requests reached Flask (the short path answers without Flask knowing)."""
    seen = []

    def count(sender, **extra):
        seen.append(1)

    request_started.connect(count, app)
    yield seen
    request_started.disconnect(count, app)


def test_every_public_surface_is_cacheable_with_a_strong_etag_and_no_cookie(client, incident):
    for path in public_paths(incident):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["ETag"].startswith('"'), path
        assert "Last-Modified" in response.headers, path
        cache = response.headers["Cache-Control"]
        assert "public" in cache and "stale-while-revalidate" in cache and "stale-if-error" in cache, path
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", ""), path
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.data == b"", path


def test_incident_pages_and_history_are_rendered_once_per_version(app, client, incident, flask_requests):
    snaps = app.extensions["snapshots"]
    for path in (f"/incidents/{incident.id}", "/history"):
        client.get(path)
        renders = snaps.renders
        for _ in range(5):
            assert client.get(path).status_code == 200
        assert snaps.renders == renders, path
    assert len(flask_requests) == 2  # the first request of each path; the ten after never reached Flask


def test_a_random_query_string_or_cache_buster_never_renders(app, client, incident, flask_requests):
    client.get("/")
    renders = app.extensions["snapshots"].renders
    for n in range(5):
        response = client.get(f"/?cb={n}&utm_source=mail", headers={"Cache-Control": "no-cache", "Pragma": "no-cache"})
        assert response.status_code == 200
    assert app.extensions["snapshots"].renders == renders
    assert len(flask_requests) == 1


def test_encodings_follow_the_readers_q_values(client, incident):
    plain = client.get("/", headers={"Accept-Encoding": ""})
    assert "Content-Encoding" not in plain.headers
    refused = client.get("/", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain.data
    br = client.get("/", headers={"Accept-Encoding": "br"})
    assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.data) == plain.data
    gz = client.get("/", headers={"Accept-Encoding": "gzip, deflate"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == plain.data
    preferred = client.get("/", headers={"Accept-Encoding": "br;q=0.5, gzip;q=0.9"})
    assert preferred.headers["Content-Encoding"] == "gzip"
    assert len({plain.headers["ETag"], br.headers["ETag"], gz.headers["ETag"]}) == 3
    assert all(r.headers["Vary"] == "Accept-Encoding" for r in (plain, br, gz))


def test_the_short_path_carries_the_security_headers_and_answers_head_and_304(client, incident, flask_requests):
    first = client.get("/")
    hit = client.get("/")
    assert len(flask_requests) == 1
    assert "script-src 'self'" in hit.headers["Content-Security-Policy"]
    assert hit.headers["X-Content-Type-Options"] == "nosniff" and hit.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert hit.data == first.data and hit.headers["ETag"] == first.headers["ETag"]
    head = client.head("/")
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == first.headers["ETag"]
    since = client.get("/", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    v2 = client.get("/api/v2/summary.json")
    assert v2.headers["Access-Control-Allow-Origin"] == "*" and "Content-Security-Policy" not in v2.headers


def test_a_signed_in_reader_is_never_served_the_anonymous_snapshot(client, login, incident):
    client.get("/")
    login("manager")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in page


def test_an_internal_note_leaves_every_public_cache_as_it_was(client, incident):
    paths = public_paths(incident)
    before = {p: client.get(p) for p in paths}
    updated_at = client.get("/api/v2/summary.json").get_json()["page"]["updated_at"]
    incidents.post_update(SYSTEM, incident.id, body="Staff only: the deploy of 14:02 is the suspect.",
                          visibility="internal")
    for path in paths:
        after = client.get(path)
        assert after.headers["ETag"] == before[path].headers["ETag"], path
        assert after.headers["Last-Modified"] == before[path].headers["Last-Modified"], path
        revalidated = client.get(path, headers={"If-None-Match": before[path].headers["ETag"]})
        assert revalidated.status_code == 304, path
    assert client.get("/api/v2/summary.json").get_json()["page"]["updated_at"] == updated_at
    incidents.post_update(SYSTEM, incident.id, body="We found the cause.", status="identified")
    assert client.get("/").headers["ETag"] != before["/"].headers["ETag"]
    assert client.get("/api/v2/summary.json").get_json()["page"]["updated_at"] != updated_at


def test_a_page_that_shows_the_clock_renders_again_when_its_window_passes(app, client, incident, monkeypatch):
    app.config["SNAPSHOT_CLOCK_WINDOW"] = 60
    first = client.get("/")
    renders = app.extensions["snapshots"].renders
    assert client.get("/").data == first.data and app.extensions["snapshots"].renders == renders
    import time as real_time

    later = real_time.time() + 61
    monkeypatch.setattr("statuspage.snapshot.time.time", lambda: later)
    monkeypatch.setattr("statuspage.snapshot_files.time.time", lambda: later)
    client.get("/")
    assert app.extensions["snapshots"].renders == renders + 1
    client.get("/api/v2/summary.json")
    renders = app.extensions["snapshots"].renders
    client.get("/api/v2/summary.json")
    assert app.extensions["snapshots"].renders == renders  # the JSON shows no clock: one render per version


def test_the_page_body_embeds_no_render_clock(app, client, incident):
    """Two processes rendering one version must produce the same bytes, so the same ETag."""
    first = client.get("/")
    app.extensions["snapshots"].entries.clear()
    second = client.get("/")
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    for path in (f"/incidents/{incident.id}", "/history.rss", "/history.atom", "/maintenance.ics"):
        one = client.get(path).data
        app.extensions["snapshots"].entries.clear()
        assert client.get(path).data == one, path


def test_badges_the_notice_and_component_feeds_are_answered_before_flask(app, client, incident, flask_requests):
    paths = [*BADGES_AND_EMBED, *(f"/components/{incident.components[0].id}/{n}" for n in COMPONENT_SURFACES)]
    first = {path: client.get(path) for path in paths}
    assert len(flask_requests) == len(paths)
    for path in paths:
        again = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert again.status_code == 200 and again.headers["ETag"].startswith(first[path].headers["ETag"][:-1]), path
    assert len(flask_requests) == len(paths), "the second reader of each never reached Flask"
    frame = client.get("/embed/frame")
    assert "X-Frame-Options" not in frame.headers and "frame-ancestors *" in frame.headers["Content-Security-Policy"]
