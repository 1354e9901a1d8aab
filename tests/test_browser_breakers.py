"""The deliveries page with an open circuit breaker: readable (axe, light and dark) and within a phone's width."""
from datetime import timedelta

import pytest
from test_browser_console import PASSWORD, sign_in

from statuspage.extensions import db
from statuspage.models import DeliveryBreaker
from statuspage.models.columns import utcnow

pytestmark = pytest.mark.browser
RELAY = "email relay smtp.mail-provider-with-a-rather-long-host-name.example.com:587"


@pytest.fixture
def open_breaker(app, make_user):
    make_user("oncall@example.com", "manager", PASSWORD)
    now = utcnow()
    db.session.add(DeliveryBreaker(destination=RELAY, state="open", failures=7, opened_at=now - timedelta(minutes=4),
                                   retry_at=now + timedelta(seconds=20), updated_at=now,
                                   reason="Could not deliver to the mail server smtp.example.com:587: timed out"))
    db.session.commit()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_open_breaker_is_shown_with_its_reason_and_passes_axe(live_server, page, axe, open_breaker, scheme):
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server, "oncall@example.com")
    page.goto(f"{live_server.url}/admin/deliveries")
    table = page.get_by_role("region", name="Destinations not answering")
    assert RELAY in table.inner_text() and "timed out" in table.inner_text() and "Open" in table.inner_text()
    axe(page)


def test_the_breaker_table_fits_a_phone(live_server, phone_page, open_breaker):
    sign_in(phone_page, live_server, "oncall@example.com")
    phone_page.goto(f"{live_server.url}/admin/deliveries")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
