"""Management API v1 subscribers: list with filters, create (validation 422), get, delete, resend."""
import pytest

from statuspage.domain import subscriptions
from statuspage.domain.components import create_component
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import NotificationEvent, Subscriber

SUFFIXES = ["", ".json"]


@pytest.fixture
def api(app, v1, api_key):
    """The management API with a manager's key, on a site that can send email and SMS."""
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    app.config["SMS_URL"] = "twilio://sid:token@15550001111"
    return v1(api_key("manager", "ops@example.com"))


def count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Subscriber))


def test_a_key_is_needed(client, page_id):
    response = client.get(f"/v1/pages/{page_id}/subscribers")
    assert response.status_code == 401 and "error" in response.get_json()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_it_creates_an_email_subscriber_that_must_confirm(api, suffix):
    web = create_component(SYSTEM, name="Web")
    response = api("post", f"subscribers{suffix}", json={"subscriber": {
        "email": "ana@example.com", "component_ids": [web.id]}})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["mode"], body["email"], body["components"]) == ("email", "ana@example.com", [web.id])
    assert body["created_at"].endswith("Z") and body["quarantined_at"] is None
    subscriber = db.session.scalar(db.select(Subscriber))
    assert subscriber.state == "unconfirmed" and subscriber.public_id == body["id"]
    assert db.session.scalar(db.select(NotificationEvent.kind)) == "subscription.confirm"


def test_skip_confirmation_notification_opts_in_without_a_message(api):
    response = api("post", "subscribers", json={"subscriber": {
        "email": "ana@example.com", "skip_confirmation_notification": True}})
    assert response.status_code == 201 and response.get_json()["skip_confirmation_notification"] is True
    assert db.session.scalar(db.select(Subscriber)).state == "active"
    assert db.session.scalar(db.select(db.func.count()).select_from(NotificationEvent)) == 0


def test_a_national_phone_number_with_its_country_becomes_e164(api):
    response = api("post", "subscribers", json={"subscriber": {
        "phone_number": "(415) 555-2671", "phone_country": "us"}})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["mode"] == "sms" and body["display_phone_number"] == "+14155552671"
    assert body["phone_country"] == "US"


def test_a_webhook_gets_its_secret_once_and_subscribing_again_is_200(api):
    first = api("post", "subscribers", json={"subscriber": {"endpoint": "https://hooks.example.com/in"}})
    assert first.status_code == 201 and len(first.get_json()["secret"]) == 64
    again = api("post", "subscribers", json={"subscriber": {"endpoint": "https://hooks.example.com/in"}})
    assert again.status_code == 200 and "secret" not in again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"] and count() == 1


def test_form_encoded_bodies_work_too(api):
    response = api("post", "subscribers", data={"subscriber[endpoint]": "https://hooks.example.com/in"})
    assert response.status_code == 201 and response.get_json()["mode"] == "webhook"


@pytest.mark.parametrize("fields,field", [
    ({"email": "ana-at-example"}, "email"),
    ({"phone_number": "12"}, "phone_number"),
    ({"endpoint": "http://hooks.example.com/in"}, "endpoint"),
    ({"endpoint": "hooks dot example"}, "endpoint"),
    ({}, "subscriber"),
    ({"email": "ana@example.com", "endpoint": "https://hooks.example.com/"}, "subscriber"),
    ({"email": "ana@example.com", "component_ids": ["nope"]}, "component_ids"),
    ({"email": "ana@example.com", "component_ids": ["x"], "audience": "everyone"}, "audience"),
])
def test_invalid_subscribers_are_422_naming_the_field(api, fields, field):
    response = api("post", "subscribers", json={"subscriber": fields})
    assert response.status_code == 422
    body = response.get_json()
    assert body["field"] == field and body["error"]
    assert count() == 0


def test_sms_is_refused_when_the_site_cannot_send_it(api, app):
    app.config["SMS_URL"] = ""
    response = api("post", "subscribers", json={"subscriber": {"phone_number": "+14155552671"}})
    assert response.status_code == 422 and response.get_json()["field"] == "phone_number"


def test_it_lists_active_subscribers_by_default_and_filters_by_type_and_state(api):
    subscriptions.subscribe("email", "ana@example.com")  # unconfirmed
    active = subscriptions.subscribe("webhook", "https://hooks.example.com/a").subscriber
    quarantined = subscriptions.subscribe("webhook", "https://hooks.example.com/b").subscriber
    subscriptions.disable_subscriber(SYSTEM, quarantined, "HTTP 410")
    assert [s["id"] for s in api("get", "subscribers").get_json()] == [active.public_id]
    everyone = api("get", "subscribers.json?state=all").get_json()
    assert len(everyone) == 3
    assert [s["email"] for s in api("get", "subscribers?state=unconfirmed").get_json()] == ["ana@example.com"]
    assert [s["id"] for s in api("get", "subscribers?state=quarantined").get_json()] == [quarantined.public_id]
    assert [s["mode"] for s in api("get", "subscribers?type=email&state=all").get_json()] == ["email"]
    assert len(api("get", "subscribers?state=all&limit=2").get_json()) == 2
    assert len(api("get", "subscribers?state=all&limit=2&page=2").get_json()) == 1


def test_unknown_filters_are_422(api):
    assert api("get", "subscribers?state=sleeping").status_code == 422
    assert api("get", "subscribers?type=pigeon").status_code == 422


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_it_gets_and_deletes_one_subscriber(api, suffix):
    subscriber = subscriptions.subscribe("webhook", "https://hooks.example.com/a").subscriber
    got = api("get", f"subscribers/{subscriber.public_id}{suffix}")
    assert got.status_code == 200 and got.get_json()["endpoint"] == "https://hooks.example.com/…"  # not admin
    deleted = api("delete", f"subscribers/{subscriber.public_id}{suffix}")
    assert deleted.status_code == 200 and deleted.get_json()["id"] == subscriber.public_id
    assert count() == 0
    missing = api("get", f"subscribers/{subscriber.public_id}{suffix}")
    assert missing.status_code == 404 and "error" in missing.get_json()


def test_resend_confirmation_sends_again_but_not_twice_in_a_row(api, app):
    app.config["SUBSCRIPTION_RESEND_SECONDS"] = 0
    subscriber = subscriptions.subscribe("email", "ana@example.com").subscriber
    assert api("post", f"subscribers/{subscriber.public_id}/resend_confirmation").status_code == 201
    assert db.session.scalar(db.select(db.func.count()).select_from(NotificationEvent)) == 2
    app.config["SUBSCRIPTION_RESEND_SECONDS"] = 300
    too_soon = api("post", f"subscribers/{subscriber.public_id}/resend_confirmation")
    assert too_soon.status_code == 429 and too_soon.get_json()["error"]


def test_resending_to_a_confirmed_subscriber_is_422(api):
    subscriber = subscriptions.subscribe("webhook", "https://hooks.example.com/a").subscriber
    assert api("post", f"subscribers/{subscriber.public_id}/resend_confirmation").status_code == 422


def test_a_viewer_key_may_list_but_not_subscribe(api, v1, api_key):
    reader = v1(api_key("viewer"))
    assert reader("get", "subscribers").status_code == 200
    response = reader("post", "subscribers", json={"subscriber": {"email": "ana@example.com"}})
    assert response.status_code == 403 and count() == 0
