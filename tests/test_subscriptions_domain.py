"""The subscription write path: idempotent subscribe, double opt-in, codes, preferences, signed links."""
import time
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from statuspage.domain import subscriptions
from statuspage.domain.components import create_component, create_group
from statuspage.domain.recording import SYSTEM, DomainError, NotFound
from statuspage.domain.subscription_tokens import InvalidLink, subscriber_for_token
from statuspage.extensions import db
from statuspage.models import AuditEntry, NotificationEvent, Subscriber
from statuspage.models.columns import utcnow
from statuspage.notifications import build_context


@pytest.fixture
def mail_app(app):
    app.config["SMTP_URL"] = "mailto://127.0.0.1:2525?from=status@example.com"
    app.config["SMS_URL"] = "twilio://sid:token@15550001111"
    return app


def confirmations(subscriber):
    return db.session.scalars(db.select(NotificationEvent).where(
        NotificationEvent.subscriber_id == subscriber.id,
        NotificationEvent.kind == "subscription.confirm")).all()


def token_of(url: str) -> str:
    return urlparse(url).path.split("/")[2]


def test_email_subscriber_starts_unconfirmed_and_is_sent_a_confirmation_link(mail_app):
    result = subscriptions.subscribe("email", " Reader@Example.com ")
    subscriber = result.subscriber
    assert result.created and result.confirmation_sent
    assert subscriber.state == "unconfirmed"
    assert subscriber.target == "reader@example.com"
    [event] = confirmations(subscriber)
    assert event.payload["confirm_url"].startswith("http://status.test/subscriptions/")
    assert db.session.scalar(db.select(AuditEntry.action).where(AuditEntry.object_id == subscriber.public_id)) \
        == "subscriber.created"


def test_subscribing_twice_returns_the_same_subscriber_and_does_not_spam(mail_app):
    first = subscriptions.subscribe("email", "reader@example.com")
    second = subscriptions.subscribe("email", "reader@example.com", min_impact="major")
    assert second.subscriber.id == first.subscriber.id and not second.created
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 1
    assert second.subscriber.min_impact == "major"
    assert len(confirmations(first.subscriber)) == 1  # a resend moments later is held back


def test_a_pending_confirmation_is_sent_again_after_the_resend_interval(mail_app):
    first = subscriptions.subscribe("email", "reader@example.com")
    first.subscriber.confirmation_sent_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    again = subscriptions.subscribe("email", "reader@example.com")
    assert again.confirmation_sent
    assert len(confirmations(first.subscriber)) == 2


def test_a_visitor_cannot_change_the_preferences_of_a_confirmed_subscriber(mail_app):
    first = subscriptions.subscribe("email", "reader@example.com", confirmed=True)
    again = subscriptions.subscribe("email", "reader@example.com", min_impact="critical", trusted=False)
    assert again.already_confirmed and not again.confirmation_sent
    assert first.subscriber.min_impact == "none"


def test_the_confirmation_link_confirms_and_a_second_click_is_harmless(mail_app):
    subscriber = subscriptions.subscribe("email", "reader@example.com").subscriber
    token = token_of(subscriptions.subscription_links(subscriber)["confirm_url"])
    assert subscriptions.confirm(token).state == "active"
    assert subscriptions.confirm(token).state == "active"


def test_an_expired_confirmation_link_is_refused(mail_app):
    subscriber = subscriptions.subscribe("email", "reader@example.com").subscriber

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 8 * 24 * 3600

    old = URLSafeTimedSerializer(mail_app.config["SECRET_KEY"], salt="subscriber-confirm", signer=EightDaysAgo)
    with pytest.raises(InvalidLink, match="expired"):
        subscriptions.confirm(old.dumps(subscriber.public_id))
    assert subscriber.state == "unconfirmed"


def test_a_manage_link_cannot_be_used_to_confirm(mail_app):
    subscriber = subscriptions.subscribe("email", "reader@example.com").subscriber
    manage = token_of(subscriptions.subscription_links(subscriber)["manage_url"])
    with pytest.raises(InvalidLink):
        subscriptions.confirm(manage)


def sent_code(subscriber) -> str:
    """The code the confirmation SMS carries (derived when it is rendered; the outbox holds none)."""
    return build_context(confirmations(subscriber)[0], subscriber)["subscriber"]["confirm_code"]


def test_sms_subscriber_is_confirmed_by_the_code_and_only_its_hash_is_stored(mail_app):
    subscriber = subscriptions.subscribe("sms", "+1 415 555 2671").subscriber
    assert subscriber.target == "+14155552671"
    code = sent_code(subscriber)
    assert len(code) == 6 and code not in (subscriber.confirmation_code_hash or "")
    with pytest.raises(DomainError, match="not the one"):
        subscriptions.confirm_code(subscriber, "000000" if code != "000000" else "111111")
    assert subscriptions.confirm_code(subscriber, code).state == "active"


def test_too_many_wrong_codes_lock_the_code(mail_app):
    subscriber = subscriptions.subscribe("sms", "+14155552671").subscriber
    code = sent_code(subscriber)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(subscriptions.MAX_CODE_ATTEMPTS):
        with pytest.raises(DomainError):
            subscriptions.confirm_code(subscriber, wrong)
    with pytest.raises(DomainError, match="Too many"):
        subscriptions.confirm_code(subscriber, code)
    assert subscriber.state == "unconfirmed"


def test_webhook_subscriber_is_confirmed_at_once_with_a_secret(app):
    result = subscriptions.subscribe("webhook", "https://hooks.example.com/status")
    assert result.subscriber.state == "active"
    assert result.secret and len(result.secret) == 64
    assert not confirmations(result.subscriber)
    assert subscriptions.subscribe("webhook", "https://hooks.example.com/status").secret is None


def test_chat_subscriber_is_confirmed_and_sent_a_test_message(app):
    result = subscriptions.subscribe("chat", "slack://T000/B000/XXXX/#ops")
    assert result.subscriber.state == "active"
    assert confirmations(result.subscriber)[0].payload["purpose"] == "welcome"


@pytest.mark.parametrize("channel,target", [("webhook", "http://hooks.example.com/x"), ("webhook", "not a url"),
                                            ("chat", "")])
def test_invalid_targets_are_refused_naming_the_target(app, channel, target):
    with pytest.raises(DomainError) as error:
        subscriptions.subscribe(channel, target)
    assert error.value.field == "target"


def test_email_is_refused_when_the_site_cannot_send_email(app):
    with pytest.raises(DomainError) as error:
        subscriptions.subscribe("email", "reader@example.com")
    assert error.value.field == "channel"


def test_public_subscribers_may_only_follow_public_components(app):
    public = create_component(SYSTEM, name="API")
    internal = create_component(SYSTEM, name="Billing batch", visibility="internal")
    hidden_group = create_group(SYSTEM, name="Back office", visibility="internal")
    in_hidden = create_component(SYSTEM, name="Ledger", group_id=hidden_group.id)
    for component in (internal, in_hidden):
        with pytest.raises(DomainError) as error:
            subscriptions.subscribe("webhook", "https://h.example.com/", component_ids=[component.id])
        assert error.value.field == "component_ids"
    result = subscriptions.subscribe("webhook", "https://h.example.com/", component_ids=[public.id])
    assert result.subscriber.component_ids == [public.id] and not result.subscriber.all_components
    staff = subscriptions.subscribe("webhook", "https://h.example.com/", audience="internal",
                                    component_ids=[internal.id])
    assert staff.subscriber.component_ids == [internal.id]


def test_preferences_change_components_and_back_to_all(app):
    api = create_component(SYSTEM, name="API")
    web = create_component(SYSTEM, name="Web")
    subscriber = subscriptions.subscribe("webhook", "https://h.example.com/", component_ids=[api.id]).subscriber
    subscriptions.update_preferences(subscriber, [api.id, web.id], "major")
    assert sorted(subscriber.component_ids) == sorted([api.id, web.id]) and subscriber.min_impact == "major"
    subscriptions.update_preferences(subscriber, None, "none")
    assert subscriber.all_components and subscriber.component_ids == []


def test_unsubscribing_removes_the_subscriber_and_its_links_stop_working(app):
    subscriber = subscriptions.subscribe("webhook", "https://h.example.com/").subscriber
    manage = token_of(subscriptions.subscription_links(subscriber)["manage_url"])
    subscriptions.unsubscribe(subscriber)
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscriber)) == 0
    with pytest.raises(NotFound):
        subscriber_for_token(manage, "manage")


def test_disabled_subscriber_is_enabled_again_by_an_admin(app):
    subscriber = subscriptions.subscribe("webhook", "https://h.example.com/").subscriber
    subscriptions.disable_subscriber(SYSTEM, subscriber, "bounced")
    assert subscriber.state == "disabled" and subscriber.disabled_reason == "bounced"
    subscriptions.enable_subscriber(SYSTEM, subscriber)
    assert subscriber.state == "active"


def test_a_disabled_email_subscriber_must_confirm_again_when_staff_resubscribe_it(mail_app):
    subscriber = subscriptions.subscribe("email", "reader@example.com", confirmed=True).subscriber
    subscriptions.disable_subscriber(SYSTEM, subscriber, "delivery failed permanently")
    anonymous = subscriptions.subscribe("email", "reader@example.com", trusted=False)
    assert not anonymous.confirmation_sent and anonymous.subscriber.state == "disabled"
    again = subscriptions.subscribe("email", "reader@example.com")
    assert again.confirmation_sent and again.subscriber.state == "unconfirmed"


def test_links_are_absolute_on_the_public_url(mail_app):
    subscriber = subscriptions.subscribe("email", "reader@example.com").subscriber
    links = subscriptions.subscription_links(subscriber)
    assert set(links) == {"manage_url", "unsubscribe_url", "unsubscribe_post_url", "confirm_url"}
    assert all(url.startswith("http://status.test/subscriptions/") for url in links.values())
    assert links["unsubscribe_url"].endswith("/unsubscribe")


def test_email_addresses_differing_only_in_case_are_one_subscriber(mail_app):
    first = subscriptions.subscribe("email", "Ana@Example.com")
    second = subscriptions.subscribe("email", "ana@example.com")
    assert second.subscriber.id == first.subscriber.id and not second.created


@pytest.mark.parametrize("public_id", ["k3j9x2m4q8wz", "aaaaaaaaaaaa", "abcabcabcabc", "a", "x" * 30, "e-1", "é1"])
def test_manage_links_keep_the_tokens_links_already_sent_carry(app, public_id):
    """Manage tokens are signed by a shortcut for plain ids; every message ever sent holds one, so the
    shortcut must give itsdangerous' very token (compressed or not) and read back to the subscriber."""
    from itsdangerous import URLSafeSerializer

    from statuspage.domain.subscription_tokens import SALTS, _serializer

    with app.app_context():
        reference = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALTS["manage"])
        token = _serializer("manage").dumps(public_id)
        assert token == reference.dumps(public_id)
        assert _serializer("manage").loads(token) == public_id
