"""The subscribe flow as a customer meets it: the right keyboards, named chat services with addresses we accept,
reasons for what is not offered, the choice repeated after subscribing, feeds and calendar, and the compact
panel on the status page (a snapshot, so no CSRF token: it only opens the full form)."""
import re

import pytest

from statuspage.domain.components import create_component
from statuspage.domain.recording import SYSTEM
from statuspage.domain.subscription_tokens import make_token
from statuspage.extensions import db
from statuspage.models import Subscriber
from statuspage.web.subscribe_forms import CHAT_SERVICES


@pytest.fixture
def mail_app(app):
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    return app


def input_tag(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


@pytest.mark.parametrize("name,source,example", CHAT_SERVICES, ids=[s[0] for s in CHAT_SERVICES])
def test_every_chat_example_is_an_address_we_accept(name, source, example):
    from notifiers.channels import validate_target

    assert validate_target("chat", example) == example


def test_the_page_names_the_common_chat_services_instead_of_apprise_jargon(client):
    page = client.get("/subscribe").get_data(as_text=True)
    for name in ("Slack", "Microsoft Teams", "Discord", "Google Chat", "Telegram", "Mattermost"):
        assert f"<dt>{name}</dt>" in page
    assert "Apprise URL" not in page
    assert "Chat webhook address" in page


def test_the_email_field_brings_up_the_email_keyboard_and_autofill(mail_app, client):
    tag = input_tag(client.get("/subscribe").get_data(as_text=True), "email")
    assert 'type="email"' in tag and 'autocomplete="email"' in tag


def test_without_a_mail_server_the_page_says_why_email_is_not_offered(client):
    page = client.get("/subscribe").get_data(as_text=True)
    radio = re.search(r'<input[^>]*value="email"[^>]*>', page).group(0)
    assert "disabled" in radio and 'aria-describedby="unavailable-email"' in radio
    assert re.search(r'id="unavailable-email">Email is not offered: this site has no mail server', page)


def test_the_page_offers_the_feeds_and_the_calendar_by_webcal(client):
    page = client.get("/subscribe").get_data(as_text=True)
    assert 'href="/history.rss"' in page and 'href="/history.atom"' in page
    assert re.search(r'href="webcal://[^"]+/maintenance\.ics"', page)


def test_after_subscribing_the_page_repeats_the_components_and_threshold_chosen(mail_app, client):
    checkout = create_component(SYSTEM, name="Checkout")
    create_component(SYSTEM, name="Search")
    page = client.post("/subscribe", data={"channel": "email", "email": "reader@example.com", "scope": "some",
                                           "components": [checkout.id], "min_impact": "major"}
                       ).get_data(as_text=True)
    assert "Check your inbox" in page
    summary = re.search(r'<dl class="choice-summary">.*?</dl>', page, re.S).group(0)
    assert "Checkout" in summary and "Search" not in summary and "Major impact or worse" in summary


def test_the_page_after_subscribing_never_shows_what_an_existing_subscription_holds(mail_app, client):
    checkout = create_component(SYSTEM, name="Checkout")
    data = {"channel": "email", "email": "reader@example.com", "min_impact": "none"}
    client.post("/subscribe", data=data | {"scope": "some", "components": [checkout.id]})
    page = client.post("/subscribe", data=data | {"scope": "all"}).get_data(as_text=True)
    summary = re.search(r'<dl class="choice-summary">.*?</dl>', page, re.S).group(0)
    assert "All components" in summary and "Checkout" not in summary


def test_the_confirmation_page_repeats_the_choice(mail_app, client):
    create_component(SYSTEM, name="Checkout")
    client.post("/subscribe", data={"channel": "email", "email": "reader@example.com", "scope": "all",
                                    "min_impact": "critical"})
    subscriber = db.session.scalar(db.select(Subscriber))
    page = client.get(f"/subscriptions/{make_token(subscriber, 'confirm')}/confirm").get_data(as_text=True)
    assert "Subscription confirmed" in page
    summary = re.search(r'<dl class="choice-summary">.*?</dl>', page, re.S).group(0)
    assert "All components" in summary and "Critical impact only" in summary


def test_the_status_page_panel_has_no_csrf_token_and_only_opens_the_full_form(tmp_path):
    from conftest import make_app

    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, SMTP_URL="mailto://127.0.0.1:2525?from=s@example.com")
    with app.app_context():
        client = app.test_client()
        home = client.get("/").get_data(as_text=True)
        panel = re.search(r'<section class="subscribe-panel".*?</section>', home, re.S).group(0)
        assert 'action="/subscribe/start"' in panel and "csrf" not in panel
        assert 'type="email"' in panel and 'autocomplete="email"' in panel

        response = client.post("/subscribe/start", data={"email": "reader@example.com"})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert 'value="reader@example.com"' in input_tag(page, "email")
        assert re.search(r'<input[^>]*checked[^>]*value="email"|<input[^>]*value="email"[^>]*checked', page)
        assert 'name="csrf_token"' in page  # the full form carries its own token
        assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 0  # nothing written
        db.session.remove()


def test_the_panel_is_a_link_when_the_site_cannot_send_email(client):
    home = client.get("/").get_data(as_text=True)
    panel = re.search(r'<section class="subscribe-panel".*?</section>', home, re.S).group(0)
    assert "<form" not in panel and 'href="/subscribe"' in panel


def test_the_internal_page_has_no_subscribe_panel(client, login):
    login("viewer")
    assert "subscribe-panel" not in client.get("/internal").get_data(as_text=True)
