"""Acceptance in Chromium: a reader subscribes by email, confirms by the emailed link, receives an incident
update and unsubscribes in one click; the subscription pages pass axe.

The app runs on a live server with SMTP_URL pointing at a real SMTP sink; the notification worker runs in
once-mode between steps. The end-to-end email test needs the notifiers package (render + send).
"""
import re
import threading

import pytest
from conftest import make_app
from werkzeug.serving import make_server

from statuspage.domain import subscriptions
from statuspage.domain.components import create_component
from statuspage.domain.incidents import open_incident
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Subscriber

pytestmark = pytest.mark.browser


class Site:
    def __init__(self, app, url):
        self.app, self.url = app, url

    def deliver(self):
        """Run the notification worker until nothing is due."""
        from statuspage.worker import run_worker

        run_worker(self.app, name="browser-test", once=True, poll_interval=0.05)


@pytest.fixture
def site(tmp_path, smtp_sink):
    """The app as in production (CSRF on) with email to the SMTP sink, served on 127.0.0.1; links in
    messages point at it."""
    app = make_app(tmp_path, SMTP_URL=smtp_sink.url(), RETRY_BASE_SECONDS=0.05, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        create_component(SYSTEM, name="Checkout")
        create_component(SYSTEM, name="Payroll batch", visibility="internal")
        yield Site(app, url)
        db.session.remove()
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def subscribe_in_browser(page, site, address="reader@example.com"):
    page.goto(f"{site.url}/subscribe")
    assert page.get_by_role("radio", name="Email").is_checked()
    assert page.get_by_text("Payroll batch").count() == 0
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Tell me about").select_option("minor")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()


def test_a_reader_subscribes_confirms_manages_and_unsubscribes(site, page, axe):
    page.goto(f"{site.url}/subscribe")
    axe(page)
    page.get_by_role("radio", name="Webhook").check()
    assert page.get_by_label("Email address").is_hidden()  # radio tabs without JavaScript
    page.get_by_role("radio", name="Email").check()
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Subscribe").click()
    assert page.locator(".field-error").count() == 1
    assert page.get_by_label("Email address").input_value() == "not an address"
    axe(page)
    page.get_by_label("Email address").fill("reader@example.com")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    axe(page)

    subscriber = db.session.scalar(db.select(Subscriber))
    links = subscriptions.subscription_links(subscriber)
    page.goto(links["confirm_url"])
    page.get_by_role("heading", name="Subscription confirmed").wait_for()
    axe(page)
    page.get_by_role("link", name="Manage preferences").click()
    page.get_by_label("Only these:").check()
    page.get_by_label("Checkout").check()
    page.get_by_role("button", name="Save preferences").click()
    page.get_by_text("Your preferences are saved.").wait_for()
    axe(page)
    page.get_by_role("link", name="Unsubscribe").click()
    axe(page)
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 0


def test_the_subscribe_page_works_on_a_phone(site, phone_page, axe):
    phone_page.goto(f"{site.url}/subscribe")
    axe(phone_page)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"


def test_confirmation_and_update_emails_arrive_and_unsubscribe_takes_one_click(site, page, smtp_sink):
    subscribe_in_browser(page, site)
    site.deliver()
    [confirmation] = smtp_sink.wait_for(1)
    assert confirmation.rcpt_tos == ["reader@example.com"]
    confirm_url = re.search(rf"{re.escape(site.url)}/subscriptions/[^\s\"<>]+/confirm",
                            confirmation.part("plain")).group(0)
    page.goto(confirm_url)
    page.get_by_role("heading", name="Subscription confirmed").wait_for()

    open_incident(SYSTEM, name="Checkout is failing", status="investigating", impact="major",
                  body="Payments time out; we are on it.")
    site.deliver()
    mails = smtp_sink.wait_for(2)
    assert len(mails) == 2, [m.subject for m in mails]
    update = mails[1]
    assert "Checkout is failing" in update.subject
    assert "Payments time out" in update.part("plain")
    assert str(update.message["List-Unsubscribe"]).strip().startswith(f"<{site.url}/subscriptions/")
    assert update.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = re.search(rf"{re.escape(site.url)}/subscriptions/[^\s\"<>]+/unsubscribe",
                                update.part("plain")).group(0)
    page.goto(unsubscribe_url)
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 0


def test_the_console_subscriber_pages_pass_axe_and_subscribe_me_works(site, page, axe):
    from werkzeug.security import generate_password_hash

    from statuspage.models import Delivery, NotificationEvent, User

    db.session.add(User(email="lead@example.com", role="manager",
                        password_hash=generate_password_hash("correct horse battery staple")))
    hook = subscriptions.subscribe("webhook", "https://hooks.example.com/in").subscriber
    event = NotificationEvent(kind="incident.opened", payload={})
    db.session.add(event)
    db.session.flush()
    db.session.add(Delivery(event_id=event.id, subscriber_id=hook.id, state="dead", attempts=5,
                            last_error="HTTP 410 Gone"))
    db.session.commit()
    page.goto(f"{site.url}/login")
    page.get_by_label("Email").fill("lead@example.com")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{site.url}/admin/subscribers")
    axe(page)
    page.get_by_role("button", name="Subscribe me").click()
    page.get_by_text("Internal updates will be emailed to lead@example.com.").wait_for()
    page.get_by_role("link", name="https://hooks.example.com/…").click()
    page.get_by_text("HTTP 410 Gone").wait_for()
    axe(page)
    page.goto(f"{site.url}/admin/deliveries")
    axe(page)
    page.get_by_role("button", name=f"Retry delivery {db.session.scalar(db.select(Delivery.id))}").click()
    page.get_by_text("will be sent again now").wait_for()
