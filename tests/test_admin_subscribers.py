"""The console's subscribers and deliveries pages: search, filters, add, disable, delete, CSV, retry/discard,
and who may do what."""
import csv
import io

import pytest

from statuspage.domain import subscriptions
from statuspage.domain.recording import SYSTEM
from statuspage.extensions import db
from statuspage.models import Delivery, NotificationEvent, Subscriber, WorkerHeartbeat


@pytest.fixture
def mail_app(app):
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    return app


def add(target="https://hooks.example.com/a", channel="webhook", **kwargs) -> Subscriber:
    return subscriptions.subscribe(channel, target, **kwargs).subscriber


def dead_delivery(subscriber: Subscriber, reason="HTTP 410 Gone") -> Delivery:
    event = NotificationEvent(kind="incident.opened", payload={})
    db.session.add(event)
    db.session.flush()
    delivery = Delivery(event_id=event.id, subscriber_id=subscriber.id, state="dead", attempts=5,
                        last_error=reason)
    db.session.add(delivery)
    db.session.commit()
    return delivery


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/admin/subscribers").status_code in (302, 401)
    assert client.get("/admin/deliveries").status_code in (302, 401)


def test_the_list_searches_targets_and_filters_by_state(client, login, mail_app):
    login("viewer")
    add("https://hooks.example.com/alpha")
    add("https://other.example.org/beta")
    add("ana@example.com", channel="email")
    page = client.get("/admin/subscribers?q=example.com").get_data(as_text=True)
    assert "hooks.example.com" in page and "ana@example.com" in page and "other.example.org" not in page
    unconfirmed = client.get("/admin/subscribers?state=unconfirmed").get_data(as_text=True)
    assert "ana@example.com" in unconfirmed and "hooks.example.com" not in unconfirmed
    assert "3 in all: 2 active, 1 waiting for confirmation, 0 disabled" in page


def test_the_list_hides_the_credentials_in_chat_and_webhook_urls(client, login):
    login("viewer")
    add("slack://T000/B000/SECRETTOKEN/#ops", channel="chat")
    add("https://hooks.example.com/in?key=SECRETKEY")
    page = client.get("/admin/subscribers").get_data(as_text=True)
    assert "SECRETTOKEN" not in page and "SECRETKEY" not in page and "hooks.example.com" in page


def test_a_manager_adds_an_internal_subscriber_confirmed_at_once(client, login, mail_app):
    login("manager")
    response = client.post("/admin/subscribers", data={
        "channel": "email", "target": "ceo@example.com", "audience": "internal", "scope": "all",
        "min_impact": "major", "confirmed": "y"})
    assert response.status_code == 302
    subscriber = db.session.scalar(db.select(Subscriber))
    assert (subscriber.audience, subscriber.state, subscriber.min_impact) == ("internal", "active", "major")
    assert db.session.scalar(db.select(db.func.count()).select_from(NotificationEvent)) == 0


def test_adding_an_invalid_address_keeps_what_was_typed(client, login, mail_app):
    login("manager")
    response = client.post("/admin/subscribers", data={
        "channel": "email", "target": "ceo-at-example", "audience": "internal", "scope": "all",
        "min_impact": "none"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="ceo-at-example"' in page and "field-error" in page


def test_any_signed_in_user_subscribes_themselves_to_internal_updates(client, login, mail_app):
    user = login("viewer", email="viewer@example.com")
    assert "Subscribe me" in client.get("/admin/subscribers").get_data(as_text=True)
    client.post("/admin/subscribers/me")
    subscriber = db.session.scalar(db.select(Subscriber))
    assert (subscriber.target, subscriber.audience, subscriber.state) == (user.email, "internal", "active")
    assert "Stop emailing me" in client.get("/admin/subscribers").get_data(as_text=True)
    client.post("/admin/subscribers/me")
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 0


@pytest.mark.parametrize("path", ["/admin/subscribers", "/admin/subscribers/{id}/disable",
                                  "/admin/subscribers/{id}/delete", "/admin/subscribers/{id}/enable",
                                  "/admin/subscribers/import", "/admin/deliveries/{delivery}/retry",
                                  "/admin/deliveries/{delivery}/discard"])
def test_a_viewer_cannot_change_subscribers_or_deliveries(client, login, path):
    login("viewer")
    subscriber = add()
    delivery = dead_delivery(subscriber)
    response = client.post(path.format(id=subscriber.public_id, delivery=delivery.id),
                           data={"channel": "webhook", "target": "https://x.example.com/", "scope": "all"})
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 1
    assert subscriber.state == "active" and delivery.state == "dead"


def test_a_viewer_cannot_download_the_full_list(client, login):
    login("viewer")
    assert client.get("/admin/subscribers/export.csv").status_code == 403


def test_disable_enable_and_delete_from_the_subscriber_page(client, login):
    login("manager")
    subscriber = add()
    client.post(f"/admin/subscribers/{subscriber.public_id}/disable", data={"reason": "asked us to stop"})
    db.session.expire_all()
    assert subscriber.state == "disabled" and subscriber.disabled_reason == "asked us to stop"
    page = client.get(f"/admin/subscribers/{subscriber.public_id}").get_data(as_text=True)
    assert "asked us to stop" in page and "Enable" in page
    client.post(f"/admin/subscribers/{subscriber.public_id}/enable")
    db.session.expire_all()
    assert subscriber.state == "active"
    response = client.post(f"/admin/subscribers/{subscriber.public_id}/delete")
    assert response.headers["Location"].endswith("/admin/subscribers")
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 0


def test_the_subscriber_page_shows_its_delivery_history(client, login):
    login("viewer")
    subscriber = add()
    dead_delivery(subscriber, reason="HTTP 410 Gone")
    page = client.get(f"/admin/subscribers/{subscriber.public_id}").get_data(as_text=True)
    assert "incident.opened" in page and "HTTP 410 Gone" in page and "dead" in page


def test_an_unknown_subscriber_is_a_404(client, login):
    login("viewer")
    assert client.get("/admin/subscribers/nosuchid").status_code == 404


def test_export_downloads_csv_and_import_reports_each_bad_line(client, login):
    login("manager")
    add("https://hooks.example.com/a")
    export = client.get("/admin/subscribers/export.csv")
    assert export.mimetype == "text/csv" and "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert [r["target"] for r in rows] == ["https://hooks.example.com/a"]
    upload = "channel,target\nwebhook,https://hooks.example.com/b\nwebhook,http://insecure.example.com/\n"
    response = client.post("/admin/subscribers/import", data={"file": (io.BytesIO(upload.encode()), "x.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Imported 1 (1 new, 0 already there); 1 line invalid" in page and "Line 3:" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 2


def test_deliveries_page_lists_dead_ones_with_reason_and_outbox_summary(client, login):
    login("viewer")
    dead_delivery(add(), reason="HTTP 410 Gone")
    db.session.add(WorkerHeartbeat(name="worker-7", info=""))
    db.session.commit()
    page = client.get("/admin/deliveries").get_data(as_text=True)
    assert "HTTP 410 Gone" in page and "hooks.example.com" in page and "worker-7" in page
    assert "Retry delivery" not in page  # a viewer gets no buttons


def test_a_manager_retries_and_discards_dead_deliveries(client, login):
    login("manager")
    subscriber = add()
    first, second = dead_delivery(subscriber), dead_delivery(subscriber)
    client.post(f"/admin/deliveries/{first.id}/retry")
    client.post(f"/admin/deliveries/{second.id}/discard")
    db.session.expire_all()
    assert (first.state, first.attempts) == ("pending", 0)
    assert second.state == "discarded"
    page = client.get("/admin/deliveries?show=discarded").get_data(as_text=True)
    assert f"Retry delivery {second.id}" in page


def test_retrying_for_a_disabled_subscriber_explains_why_not(client, login):
    login("manager")
    subscriber = add()
    delivery = dead_delivery(subscriber)
    subscriptions.disable_subscriber(SYSTEM, subscriber, "bounced")
    response = client.post(f"/admin/deliveries/{delivery.id}/retry", follow_redirects=True)
    assert "enable it before retrying" in response.get_data(as_text=True)
    assert delivery.state == "dead"
