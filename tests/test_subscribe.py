"""The public subscription pages: the form, confirmation, managing, unsubscribing, bad links, rate limits."""
import re
from urllib.parse import urlparse

import pytest
from conftest import PG_URL, make_app, require

from statuspage.domain import subscriptions
from statuspage.domain.components import create_component, create_group
from statuspage.domain.recording import SYSTEM
from statuspage.domain.subscription_tokens import make_token
from statuspage.extensions import db
from statuspage.models import NotificationEvent, Subscriber
from statuspage.notifications import build_context


@pytest.fixture
def mail_app(app):
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    app.config["SMS_URL"] = "twilio://sid:token@15550001111"
    return app


def path_of(url: str) -> str:
    return urlparse(url).path


def subscribers() -> list[Subscriber]:
    return db.session.scalars(db.select(Subscriber)).all()


def test_email_and_sms_are_shown_unavailable_when_the_site_cannot_send_them(client):
    page = client.get("/subscribe").get_data(as_text=True)
    assert page.count("(not offered, see below)") == 2
    assert "this site has no mail server set up" in page and "this site has no SMS provider set up" in page
    assert re.search(r'<input[^>]*disabled[^>]*value="email"|<input[^>]*value="email"[^>]*disabled', page)
    assert 'name="email"' not in page and 'name="webhook_url"' in page


def test_choosing_an_unavailable_channel_is_a_field_error_not_a_failure_later(client):
    response = client.post("/subscribe", data={"channel": "email", "email": "reader@example.com",
                                               "scope": "all", "min_impact": "none"})
    assert response.status_code == 422
    assert "not set up" in response.get_data(as_text=True)
    assert subscribers() == []


def test_a_reader_subscribes_by_email_and_is_told_to_check_the_inbox(mail_app, client):
    response = client.post("/subscribe", data={"channel": "email", "email": "reader@example.com",
                                               "scope": "all", "min_impact": "none"})
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    [subscriber] = subscribers()
    assert subscriber.target == "reader@example.com" and subscriber.state == "unconfirmed"


@pytest.mark.parametrize("channel,field,value", [
    ("email", "email", "reader@@example"),
    ("sms", "phone", "12345"),
    ("webhook", "webhook_url", "ftp://hooks.example.com/x"),
    ("chat", "chat_url", "just words"),
])
def test_an_invalid_target_shows_the_reason_and_keeps_what_was_typed(mail_app, client, channel, field, value):
    response = client.post("/subscribe", data={"channel": channel, field: value, "scope": "all",
                                               "min_impact": "major"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="field-error"' in page
    assert f'value="{value}"' in page
    assert re.search(r'<option selected value="major">|<option value="major" selected', page)
    assert subscribers() == []


def test_subscribing_twice_keeps_one_subscriber(mail_app, client):
    data = {"channel": "email", "email": "reader@example.com", "scope": "all", "min_impact": "none"}
    assert client.post("/subscribe", data=data).status_code == 200
    assert client.post("/subscribe", data=data).status_code == 200
    assert len(subscribers()) == 1


def test_only_public_components_are_offered_grouped(client):
    create_component(SYSTEM, name="Public API")
    create_component(SYSTEM, name="Secret batch job", visibility="internal")
    group = create_group(SYSTEM, name="Back office", visibility="internal")
    create_component(SYSTEM, name="Ledger", group_id=group.id)
    shown = create_group(SYSTEM, name="Websites")
    create_component(SYSTEM, name="Shop", group_id=shown.id)
    page = client.get("/subscribe").get_data(as_text=True)
    assert "Public API" in page and "Shop" in page and "Websites" in page
    assert "Secret batch job" not in page and "Ledger" not in page and "Back office" not in page


def test_a_forged_internal_component_id_is_refused(client):
    secret = create_component(SYSTEM, name="Secret batch job", visibility="internal")
    response = client.post("/subscribe", data={"channel": "webhook", "webhook_url": "https://h.example.com/",
                                               "scope": "some", "components": [secret.id],
                                               "min_impact": "none"})
    assert response.status_code == 422 and subscribers() == []


def test_some_components_without_ticking_any_is_a_field_error(client):
    create_component(SYSTEM, name="API")
    response = client.post("/subscribe", data={"channel": "webhook", "webhook_url": "https://h.example.com/",
                                               "scope": "some", "min_impact": "none"})
    assert response.status_code == 422
    assert "choose at least one component" in response.get_data(as_text=True)


def test_a_webhook_subscriber_sees_its_secret_once(client):
    data = {"channel": "webhook", "webhook_url": "https://hooks.example.com/in", "scope": "all",
            "min_impact": "none"}
    first = client.post("/subscribe", data=data).get_data(as_text=True)
    secret = subscribers()[0].secret
    assert secret in first
    assert secret not in client.post("/subscribe", data=data).get_data(as_text=True)


def test_the_confirmation_link_confirms_the_subscription(mail_app, client):
    subscriber = subscriptions.subscribe("email", "reader@example.com").subscriber
    link = subscriptions.subscription_links(subscriber)["confirm_url"]
    response = client.get(path_of(link))
    assert response.status_code == 200 and "Subscription confirmed" in response.get_data(as_text=True)
    assert subscriber.state == "active"


@pytest.mark.parametrize("path", ["/subscriptions/garbage/confirm", "/subscriptions/garbage",
                                  "/subscriptions/garbage/unsubscribe", "/subscriptions/garbage/code"])
def test_a_bad_link_shows_a_friendly_page(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)


def test_a_link_of_a_removed_subscription_is_a_friendly_404(client):
    subscriber = subscriptions.subscribe("webhook", "https://h.example.com/").subscriber
    manage = path_of(subscriptions.subscription_links(subscriber)["manage_url"])
    subscriptions.unsubscribe(subscriber)
    response = client.get(manage)
    assert response.status_code == 404 and "no longer exists" in response.get_data(as_text=True)


def test_unsubscribe_page_has_one_button_and_post_unsubscribes(client):
    subscriber = subscriptions.subscribe("webhook", "https://h.example.com/").subscriber
    link = path_of(subscriptions.subscription_links(subscriber)["unsubscribe_url"])
    page = client.get(link).get_data(as_text=True)
    assert page.count('type="submit"') == 1 and "Unsubscribe" in page
    assert subscribers() != []
    response = client.post(link)
    assert response.status_code == 200 and "You are unsubscribed" in response.get_data(as_text=True)
    assert subscribers() == []
    assert client.post(link).status_code == 200  # twice is fine


def test_one_click_unsubscribe_works_without_a_csrf_token(csrf_app):
    client = csrf_app.test_client()
    subscriber = subscriptions.subscribe("webhook", "https://h.example.com/").subscriber
    link = path_of(subscriptions.subscription_links(subscriber)["unsubscribe_post_url"])
    response = client.post(link, data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 0


def test_other_subscription_forms_still_need_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/subscribe", data={"channel": "webhook", "webhook_url": "https://h.example.com/",
                                               "scope": "all", "min_impact": "none"})
    assert response.status_code in (400, 422)
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 0


def test_the_manage_page_changes_preferences(client):
    api = create_component(SYSTEM, name="API")
    create_component(SYSTEM, name="Web")
    subscriber = subscriptions.subscribe("webhook", "https://h.example.com/").subscriber
    link = path_of(subscriptions.subscription_links(subscriber)["manage_url"])
    assert "API" in client.get(link).get_data(as_text=True)
    response = client.post(link, data={"scope": "some", "components": [api.id], "min_impact": "major"})
    assert response.status_code == 200 and "preferences are saved" in response.get_data(as_text=True)
    assert subscriber.component_ids == [api.id] and subscriber.min_impact == "major"


def test_an_sms_subscriber_enters_the_code_it_was_sent(mail_app, client):
    response = client.post("/subscribe", data={"channel": "sms", "phone": "+1 415 555 2671", "scope": "all",
                                               "min_impact": "none"})
    assert response.status_code == 302 and "/code" in response.headers["Location"]
    [subscriber] = subscribers()
    event = db.session.scalar(db.select(NotificationEvent).where(NotificationEvent.subscriber_id == subscriber.id))
    code = build_context(event, subscriber)["subscriber"]["confirm_code"]
    wrong = client.post(response.headers["Location"], data={"code": "999999" if code != "999999" else "1"})
    assert wrong.status_code == 422 and "not the one" in wrong.get_data(as_text=True)
    right = client.post(response.headers["Location"], data={"code": code})
    assert right.status_code == 200 and "Subscription confirmed" in right.get_data(as_text=True)
    assert subscriber.state == "active"


def test_the_code_page_of_a_confirmed_number_reveals_no_manage_link(mail_app, client):
    subscriber = subscriptions.subscribe("sms", "+14155552671", confirmed=True).subscriber
    page = client.post(f"/subscriptions/{make_token(subscriber, 'code')}/code", data={"code": "123456"})
    text = page.get_data(as_text=True)
    assert "Enter your code" in text and make_token(subscriber, "manage") not in text


# These tests count the general per-client limit; the tighter chat/webhook limits have their own tests.
ROOMY_HOOK_LIMITS = {"SUBSCRIBE_HOOK_LIMIT_PER_CLIENT": "100 per minute", "SUBSCRIBE_HOOK_LIMIT_PER_HOST": "100 per minute"}


def test_subscribing_is_rate_limited_per_client(tmp_path):
    # A moving window, so the eleven posts cannot straddle a fixed window's reset and all pass.
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STRATEGY="moving-window", **ROOMY_HOOK_LIMITS)
    client = app.test_client()
    data = {"channel": "webhook", "webhook_url": "https://h.example.com/", "scope": "all", "min_impact": "none"}
    codes = [client.post("/subscribe", data=data).status_code for _ in range(11)]
    assert codes[:10].count(429) == 0 and codes[10] == 429
    assert client.get("/subscribe").status_code == 200  # reading the form is not limited
    with app.app_context():
        db.engine.dispose()


def test_rate_limits_are_shared_through_redis_when_configured(tmp_path):
    """With STATUSPAGE_REDIS_URL the counters live in Redis, so every web process counts against one budget."""
    import redis

    url = f"redis://127.0.0.1:6379/{14 if PG_URL else 15}"  # CI runs the two database passes side by side
    try:
        redis.Redis.from_url(url).ping()
        reachable = True
    except redis.RedisError:
        reachable = False
    require(reachable, "Redis is not reachable on 127.0.0.1:6379")
    redis.Redis.from_url(url).flushdb()
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STRATEGY": "moving-window", "RATELIMIT_STORAGE_URI": url,
                **ROOMY_HOOK_LIMITS}
    first, second = make_app(tmp_path / "a", **settings), make_app(tmp_path / "b", **settings)
    data = {"channel": "webhook", "webhook_url": "https://h.example.com/", "scope": "all", "min_impact": "none"}
    codes = [first.test_client().post("/subscribe", data=data).status_code for _ in range(6)]
    codes += [second.test_client().post("/subscribe", data=data).status_code for _ in range(5)]
    assert codes[:10].count(429) == 0 and codes[10] == 429
    assert redis.Redis.from_url(url).dbsize() > 0  # the counters live in Redis
    redis.Redis.from_url(url).flushdb()
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()
