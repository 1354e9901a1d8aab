"""The embeddable notice on another site, in a real Chromium: a page served from another origin includes
/embed/script.js and its readers see the status and the incident, linked; the notice and the badges pass axe
in light and dark."""
import functools
import http.server
import threading

import pytest

from statuspage.domain import components, incidents
from statuspage.domain.recording import SYSTEM

pytestmark = pytest.mark.browser


@pytest.fixture
def other_site(tmp_path):
    """``other_site(html)``: serves ``html`` as index.html from 127.0.0.1 on a port of its own (another origin)."""
    servers = []

    def serve(html: str) -> str:
        root = tmp_path / f"site{len(servers)}"
        root.mkdir()
        (root / "index.html").write_text(html)
        handler = functools.partial(QuietHandler, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def client_status(app) -> str:
    return app.test_client().get("/api/v2/status.json").get_json()["status"]["description"]


def partner_page(status_url: str) -> str:
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Partner shop</title></head>"
            "<body><main><h1>Partner shop</h1><p>Our service status:</p>"
            f"<script src='{status_url}/embed/script.js' async></script></main></body></html>")


def test_another_site_shows_the_status_and_the_active_incident_linked(app, live_server, other_site, page, axe):
    api = components.create_component(SYSTEM, name="Checkout API")
    outage = incidents.open_incident(SYSTEM, name="Checkout is slow", body="Looking into it",
                                     components={api.id: "partial_outage"})
    page.goto(other_site(partner_page(live_server.url)))
    notice = page.frame_locator("iframe[title^='Current status']")
    link = notice.get_by_role("link", name="Checkout is slow")
    sentence = client_status(app)
    assert notice.locator("h1").inner_text() == sentence != "All Systems Operational"
    assert "Investigating" in notice.locator("main").inner_text()
    axe(page)
    with page.expect_popup() as opened:
        link.click()
    popup = opened.value
    popup.wait_for_load_state()
    assert popup.url == f"{live_server.url}/incidents/{outage.id}", "the link opens the incident, in a new tab"
    assert "Checkout is slow" in popup.locator("h1").inner_text()


def test_the_script_can_put_the_notice_where_the_site_asks(app, live_server, other_site, page):
    html = partner_page(live_server.url).replace(
        "<script ", "<aside id='status-slot' aria-label='Service status'></aside><script data-target='#status-slot' ")
    page.goto(other_site(html))
    assert page.locator("#status-slot iframe").count() == 1
    notice = page.frame_locator("#status-slot iframe")
    assert notice.locator("h1").inner_text() == "All Systems Operational"
    assert notice.get_by_role("link").get_attribute("href") == "/", "with no incident, a link to the page"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_notice_is_accessible_and_follows_the_readers_theme(app, live_server, page, axe, scheme):
    api = components.create_component(SYSTEM, name="Checkout API")
    incidents.open_incident(SYSTEM, name="Checkout is slow", body="Looking", components={api.id: "major_outage"})
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{live_server.url}/embed/frame")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(255, 255, 255)" if scheme == "light" else "rgb(13, 17, 23)")
    axe(page)


def test_the_badges_pass_axe_inline_in_a_page(app, client, page, axe):
    api = components.create_component(SYSTEM, name="Checkout API")
    web = components.create_component(SYSTEM, name="Website")
    components.set_component_status(SYSTEM, web.id, "partial_outage")
    svgs = [client.get(path).get_data(as_text=True)
            for path in ("/badge.svg", f"/components/{api.id}/badge.svg", f"/components/{web.id}/badge.svg")]
    page.set_content("<!doctype html><html lang='en'><head><title>Badges</title></head><body><main>"
                     "<h1>Badges</h1>" + "".join(f"<p>{svg}</p>" for svg in svgs) + "</main></body></html>")
    names = page.get_by_role("img").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert names == ["status: Partial System Outage", "Checkout API: Operational", "Website: Partial outage"]
    axe(page)
