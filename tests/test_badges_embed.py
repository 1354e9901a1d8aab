"""Status badges (SVG and shields.io's endpoint JSON) and the embeddable notice: what they say follows the page,
they are images with a name, the notice is the one page other sites may frame, and nothing internal shows."""
import json
import xml.etree.ElementTree as ET

import pytest

from statuspage.domain import components as component_rules
from statuspage.domain import incidents as incident_rules
from statuspage.domain.recording import SYSTEM

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def api(app):
    return component_rules.create_component(SYSTEM, name="Checkout API")


def badge(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "image/svg+xml"
    svg = ET.fromstring(response.data)
    name = f"{svg.findtext(f'{SVG}title')}"
    assert svg.get("role") == "img" and svg.get("aria-label") == name, "an image with a name"
    fills = [rect.get("fill") for rect in svg.iter(f"{SVG}rect")]
    texts = [t.text for t in svg.iter(f"{SVG}text") if t.get("aria-hidden") != "true"]
    return name, fills, texts


def endpoint(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/json", path
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert set(body) == {"schemaVersion", "label", "message", "color"} and body["schemaVersion"] == 1
    return body


def test_the_overall_badge_says_the_pages_sentence_in_its_colour(client, api):
    name, fills, texts = badge(client, "/badge.svg")
    assert name == "status: All Systems Operational" and texts == ["status", "All Systems Operational"]
    assert "#1a7f37" in fills
    assert endpoint(client, "/badge.json") == {"schemaVersion": 1, "label": "status",
                                               "message": "All Systems Operational", "color": "1a7f37"}
    incident_rules.open_incident(SYSTEM, name="Checkout down", body="Looking",
                                 components={api.id: "major_outage"})
    name, fills, _ = badge(client, "/badge.svg")
    assert name == "status: Major System Outage" and "#c91c2a" in fills
    assert endpoint(client, "/badge.json")["message"] == "Major System Outage"


@pytest.mark.parametrize(("status", "word", "colour"), [
    ("operational", "Operational", "1a7f37"), ("degraded_performance", "Degraded performance", "8a5c00"),
    ("partial_outage", "Partial outage", "b34500"), ("major_outage", "Major outage", "c91c2a"),
    ("under_maintenance", "Under maintenance", "0860c9")])
def test_a_component_badge_says_its_status_word_in_its_colour(client, api, status, word, colour):
    component_rules.set_component_status(SYSTEM, api.id, status)
    name, fills, texts = badge(client, f"/components/{api.id}/badge.svg")
    assert name == f"Checkout API: {word}" and texts == ["Checkout API", word] and f"#{colour}" in fills
    assert endpoint(client, f"/components/{api.id}/badge.json") == {
        "schemaVersion": 1, "label": "Checkout API", "message": word, "color": colour}


def contrast(hex_colour: str) -> float:
    """WCAG contrast of white text on ``hex_colour``."""
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def test_every_badge_colour_keeps_white_text_readable():
    from statuspage.badges import COLOUR, LABEL_COLOUR
    for colour in [*COLOUR.values(), LABEL_COLOUR * 2]:
        assert contrast(colour) >= 4.5, colour


def test_badge_text_is_escaped_and_sized_to_fit(client):
    odd = component_rules.create_component(SYSTEM, name='<Billing & "Invoices">')
    response = client.get(f"/components/{odd.id}/badge.svg")
    svg = ET.fromstring(response.data)  # well-formed despite the name
    assert svg.findtext(f"{SVG}title") == '<Billing & "Invoices">: Operational'
    short = ET.fromstring(client.get("/badge.svg").data)
    assert int(svg.get("width")) > int(short.get("width")) - 60, "a longer label makes a wider badge"


def test_an_internal_or_unknown_component_has_no_badge(client, app):
    vault = component_rules.create_component(SYSTEM, name="Vault", visibility="internal")
    for path in (f"/components/{vault.id}/badge.svg", f"/components/{vault.id}/badge.json",
                 "/components/nosuchthing1/badge.svg"):
        assert client.get(path).status_code == 404, path


def test_the_overall_badge_and_notice_ignore_internal_incidents_and_components(client, app):
    vault = component_rules.create_component(SYSTEM, name="Qzx Vault", visibility="internal")
    incident_rules.open_incident(SYSTEM, name="Qzx secret outage", body="x", visibility="internal",
                                 components={vault.id: "major_outage"})
    assert endpoint(client, "/badge.json")["message"] == "All Systems Operational"
    frame = client.get("/embed/frame").get_data(as_text=True)
    assert "All Systems Operational" in frame and "Qzx" not in frame


def test_the_notice_shows_the_active_incident_and_links_to_it(client, api):
    quiet = client.get("/embed/frame").get_data(as_text=True)
    assert "All Systems Operational" in quiet and 'href="/"' in quiet
    outage = incident_rules.open_incident(SYSTEM, name="Checkout is slow", body="Looking", status="identified",
                                          components={api.id: "degraded_performance"})
    incident_rules.post_update(SYSTEM, outage.id, body="Staff: blame the deploy", visibility="internal")
    page = client.get("/embed/frame").get_data(as_text=True)
    assert f'href="/incidents/{outage.id}" target="_blank" rel="noopener">Checkout is slow</a>' in page
    sentence = client.get("/api/v2/status.json").get_json()["status"]["description"]
    assert f"<h1>{sentence}</h1>" in page and sentence != "All Systems Operational", "the page's own sentence"
    assert "Identified" in page and "blame" not in page
    assert "<script" not in page, "the frame runs no script"


def test_only_the_notice_may_be_framed_by_other_sites_and_it_sets_no_cookie(client, api):
    framed = client.get("/embed/frame")
    policy = framed.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert "X-Frame-Options" not in framed.headers and "Set-Cookie" not in framed.headers
    again = client.get("/embed/frame")  # the short path answers it now: the same headers
    assert "X-Frame-Options" not in again.headers and again.headers["Content-Security-Policy"] == policy
    for path in ("/", "/history", "/badge.svg", "/embed/script.js"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN", path
    page = client.get("/")
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]


def test_the_script_adds_a_sandboxed_titled_frame_of_the_notice(client, app):
    response = client.get("/embed/script.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    script = response.get_data(as_text=True)
    assert 'new URL("frame", script.src)' in script and 'frame.title = "Current status: ' in script
    assert "allow-popups" in script and "allow-same-origin" not in script and "allow-scripts" not in script
    assert json.loads(script.split("frame.title = ", 1)[1].split(";", 1)[0]).startswith("Current status")
