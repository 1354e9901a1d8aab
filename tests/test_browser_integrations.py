"""The integrations console page in Chromium: axe finds nothing in light and dark, and it fits a phone, with
matched and unmatched alerts (long labels included) on it."""
from alert_payloads import ago, alertmanager, am_alert
from test_admin_integrations import receive

PASSWORD = "correct horse battery staple"


def test_the_integrations_page_passes_axe_in_light_and_dark_and_fits_a_phone(live_server, page, phone_page, axe,
                                                                             make_user, web):
    make_user("bot@example.com", "manager")
    make_user("admin@example.com", "admin", PASSWORD)
    long_labels = {f"label_{i}": "x" * 40 for i in range(8)}
    receive(alertmanager(am_alert({"component": "Web", "severity": "critical"}, ago(9), summary="Web is down"),
                         am_alert({"component": "Nope", **long_labels}, ago(8))))
    for browser_page in (page, phone_page):
        browser_page.goto(f"{live_server.url}/login?next=/admin/integrations")
        browser_page.get_by_label("Email").fill("admin@example.com")
        browser_page.get_by_label("Password").fill(PASSWORD)
        browser_page.get_by_role("button", name="Sign in").click()
        browser_page.wait_for_url(f"{live_server.url}/admin/integrations")
    assert page.locator("tr.unmatched").count() == 1
    assert page.get_by_role("link", name="Integrations").get_attribute("aria-current") == "page"
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        axe(page)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the integrations page is {width}px wide on a 375px phone"

    page.get_by_label("Web").fill('service="web"')
    page.get_by_role("button", name="Save mapping").click()
    assert page.get_by_label("Web").input_value() == 'service="web"'
    assert "Alert mapping saved" in page.content()
