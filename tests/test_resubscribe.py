"""Anonymous re-subscribing: it never re-enables a subscriber that was disabled (by an admin, or after its
target refused for good), and the answer never tells whether the address was already subscribed."""
import pytest

from statuspage import dispatch
from statuspage.domain import subscriptions
from statuspage.domain.recording import Actor
from statuspage.extensions import db
from statuspage.models import NotificationEvent, Subscriber
from statuspage.models.columns import utcnow

ADMIN = Actor(label="admin@example.com", source="web")
EMAIL = {"channel": "email", "email": "reader@example.com", "scope": "all", "min_impact": "none"}
SMS = {"channel": "sms", "phone": "+1 415 555 2671", "scope": "all", "min_impact": "none"}
HOOK_URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def mail_app(app):
    app.config.update(SMTP_URL="mailto://127.0.0.1:2525?from=status@example.com",
                      SMS_URL="twilio://sid:token@15550001111", ALLOW_LOOPBACK_WEBHOOKS=True)
    return app


def the_subscriber() -> Subscriber:
    db.session.expire_all()
    return db.session.scalars(db.select(Subscriber)).one()


def messages_to(subscriber) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(NotificationEvent)
                             .where(NotificationEvent.subscriber_id == subscriber.id))


def test_an_anonymous_resubscribe_does_not_reenable_a_subscriber_an_admin_disabled(mail_app, client):
    subscriber = subscriptions.subscribe("email", "reader@example.com", confirmed=True).subscriber
    subscriptions.disable_subscriber(ADMIN, subscriber, "asked us by phone to stop")
    sent = messages_to(subscriber)

    client.post("/subscribe", data=EMAIL | {"min_impact": "critical"})

    subscriber = the_subscriber()
    assert subscriber.state == "disabled" and subscriber.disabled_reason == "asked us by phone to stop"
    assert subscriber.min_impact == "none"
    assert messages_to(subscriber) == sent  # no confirmation either: nothing is sent to it


def test_an_anonymous_resubscribe_does_not_reenable_a_webhook_disabled_after_a_410(mail_app, client):
    hook = Subscriber(channel="webhook", target=HOOK_URL, audience="public", confirmed_at=utcnow(), secret="s")
    db.session.add(hook)
    db.session.commit()
    dispatch.flag_subscriber(hook.id, "HTTP 410 Gone")
    db.session.commit()

    client.post("/subscribe", data={"channel": "webhook", "webhook_url": HOOK_URL, "scope": "all",
                                    "min_impact": "none"})

    subscriber = the_subscriber()
    assert subscriber.state == "disabled" and "HTTP 410 Gone" in subscriber.disabled_reason


def test_staff_can_still_reenable_a_disabled_subscriber_by_subscribing_it(mail_app):
    subscriber = subscriptions.subscribe("email", "reader@example.com", confirmed=True).subscriber
    subscriptions.disable_subscriber(ADMIN, subscriber)
    subscriptions.subscribe("email", "reader@example.com", actor=ADMIN, confirmed=True)
    assert the_subscriber().state == "active"


def confirm(subscriber):
    subscriber.confirmed_at = utcnow()
    db.session.commit()


def disable(subscriber):
    subscriptions.disable_subscriber(ADMIN, subscriber)


def disable_after_bounce(subscriber):
    dispatch.flag_subscriber(subscriber.id, "550 no such mailbox")
    db.session.commit()


@pytest.mark.parametrize("then", [lambda s: None, confirm, disable, disable_after_bounce],
                         ids=["pending", "active", "disabled", "bounced"])
def test_an_email_sign_up_answers_the_same_whether_or_not_the_address_exists(mail_app, client, then):
    first = client.post("/subscribe", data=EMAIL)
    then(the_subscriber())
    again = client.post("/subscribe", data=EMAIL)
    assert (again.status_code, again.get_data(as_text=True)) == (first.status_code, first.get_data(as_text=True))


def code_step(client):
    response = client.post("/subscribe", data=SMS)
    assert response.status_code == 302 and response.headers["Location"].endswith("/code")
    page = client.get(response.headers["Location"])
    return response.headers["Location"], page.status_code, page.get_data(as_text=True)


@pytest.mark.parametrize("then", [lambda s: None, confirm, disable],
                         ids=["pending", "active", "disabled"])
def test_an_sms_sign_up_answers_the_same_whether_or_not_the_number_exists(mail_app, client, then):
    _, first_status, first_page = code_step(client)
    then(the_subscriber())
    _, again_status, again_page = code_step(client)
    assert (again_status, again_page) == (first_status, first_page)
    assert "Enter your code" in again_page


def test_the_code_step_of_a_subscribed_number_takes_no_code_and_reveals_nothing(mail_app, client):
    location, _, _ = code_step(client)
    subscriber = the_subscriber()
    code = subscriptions.confirmation_code(subscriber)  # derived from the row: the outbox holds no secret
    confirm(subscriber)
    wrong = "999999" if code != "999999" else "111111"
    answers = [client.post(location, data={"code": guess}) for guess in (code, wrong)]
    assert [a.status_code for a in answers] == [422, 422]
    pages = [a.get_data(as_text=True).replace(guess, "CODE") for a, guess in zip(answers, (code, wrong), strict=True)]
    assert pages[0] == pages[1] and "not the one" in pages[0]
