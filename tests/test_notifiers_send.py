"""Sending one message to one target: real SMTP and HTTP sinks on 127.0.0.1; Twilio and Slack intercepted with
`responses`. Success returns; failures raise TransportError, permanent only when the target itself is bad."""
import hashlib
import hmac
import json
from urllib.parse import parse_qs

import pytest
import responses
from sinks import free_port
from test_notifiers_render import TEMPLATES, incident_context

from notifiers import SendConfig, TransportError, render, send
from notifiers.render import Message

TWILIO_API = "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef/Messages.json"
TWILIO_URL = "twilio://AC0123456789abcdef:authtoken123@+15550001111"
SLACK_HOOK = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"


def email_message(**overrides):
    context = incident_context()
    for key, value in overrides.items():
        context["incident"][key] = value
    return render("incident.updated", "email", context, TEMPLATES)


def webhook_config(**overrides):
    return SendConfig(**{"allow_loopback_webhooks": True, "webhook_secret": "whsec-123",
                         "idempotency_key": "delivery-42", "timeout": 3, **overrides})


def webhook_message():
    return render("incident.updated", "webhook", incident_context(), TEMPLATES)


# --- email -------------------------------------------------------------------------------------------------

def test_email_arrives_with_subject_both_parts_and_unsubscribe_headers(smtp_sink):
    send(email_message(), "Reader@Example.com", SendConfig(smtp_url=smtp_sink.url()))
    [mail] = smtp_sink.wait_for(1)
    assert mail.rcpt_tos == ["Reader@example.com"]
    assert mail.subject == "[Acme Status] Identified: API errors"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert "We found the cause: a bad deploy" in mail.part("plain")
    assert "<strong>bad deploy</strong>" in mail.part("html")
    for part in (mail.part("plain"), mail.part("html")):
        assert "https://status.acme.test/incidents/inc1" in part
        assert "https://status.acme.test/subscriptions/tok1/unsubscribe" in part
    assert mail.message["List-Unsubscribe"] == \
        "<https://status.acme.test/subscriptions/tok1/unsubscribe?one-click=1>"
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.message["From"] == "Acme Status <status@example.com>"
    assert mail.message["Message-ID"]


def test_email_keeps_non_ascii_text_intact(smtp_sink):
    send(email_message(name="Störung der API 🔥"), "reader@example.com", SendConfig(smtp_url=smtp_sink.url()))
    [mail] = smtp_sink.wait_for(1)
    assert mail.subject == "[Acme Status] Identified: Störung der API 🔥"
    assert "Störung der API 🔥" in mail.part("plain")
    assert "Störung der API 🔥" in mail.part("html")


def test_email_uses_the_sender_name_from_the_smtp_url_when_given(smtp_sink):
    url = smtp_sink.url().replace("from=status@example.com", "from=Ops%20Desk%3Cops@example.com%3E")
    send(email_message(), "reader@example.com", SendConfig(smtp_url=url))
    [mail] = smtp_sink.wait_for(1)
    assert mail.message["From"] == "Ops Desk <ops@example.com>"


def test_email_to_a_server_that_is_down_is_transient():
    url = f"mailto://127.0.0.1:{free_port()}?mode=insecure&from=status@example.com"  # nothing listens there
    with pytest.raises(TransportError) as error:
        send(email_message(), "reader@example.com", SendConfig(smtp_url=url, timeout=2))
    assert not error.value.permanent
    assert "Connection refused" in error.value.reason


def test_email_refused_mailbox_is_permanent(smtp_sink):
    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user here"

    smtp_sink.handle_RCPT = refuse  # aiosmtpd looks the hook up on the handler for every command
    with pytest.raises(TransportError) as error:
        send(email_message(), "gone@example.com", SendConfig(smtp_url=smtp_sink.url()))
    assert error.value.permanent
    assert "550" in error.value.reason and "No such user" in error.value.reason


def test_email_to_an_invalid_address_is_permanent_without_connecting(smtp_sink):
    with pytest.raises(TransportError) as error:
        send(email_message(), "not-an-address", SendConfig(smtp_url=smtp_sink.url()))
    assert error.value.permanent
    assert "Not a valid email address" in error.value.reason
    assert smtp_sink.messages == []


def test_email_without_an_smtp_url_is_transient():
    with pytest.raises(TransportError) as error:
        send(email_message(), "reader@example.com", SendConfig(smtp_url=""))
    assert not error.value.permanent


# --- webhook -----------------------------------------------------------------------------------------------

def test_webhook_body_is_the_payload_and_the_signature_verifies(http_sink):
    message = webhook_message()
    send(message, http_sink.url("/hooks/status"), webhook_config())
    [request] = http_sink.wait_for(1)
    assert request.method == "POST" and request.path == "/hooks/status"
    assert request.json() == message.payload
    assert request.headers["Idempotency-Key"] == "delivery-42"
    assert request.headers["Content-Type"].startswith("application/json")
    timestamp = request.headers["X-Statuspage-Timestamp"]
    expected = hmac.new(b"whsec-123", f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Statuspage-Signature"] == f"t={timestamp},v1={expected}"
    wrong = hmac.new(b"other-secret", f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert wrong not in request.headers["X-Statuspage-Signature"]


@pytest.mark.parametrize("status, permanent", [(404, True), (410, True), (400, True), (301, True),
                                               (500, False), (503, False), (429, False), (408, False)])
def test_webhook_answers_are_classified(http_sink, status, permanent):
    http_sink.status = status
    with pytest.raises(TransportError) as error:
        send(webhook_message(), http_sink.url(), webhook_config())
    assert error.value.permanent is permanent
    assert f"HTTP {status}" in error.value.reason


def test_webhook_that_fails_once_succeeds_on_retry(http_sink):
    http_sink.script = [500, 200]
    with pytest.raises(TransportError):
        send(webhook_message(), http_sink.url(), webhook_config())
    send(webhook_message(), http_sink.url(), webhook_config())
    first, second = http_sink.wait_for(2)
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == "delivery-42"


def test_webhook_connection_refused_is_transient(http_sink):
    url = http_sink.url()
    http_sink.stop()
    with pytest.raises(TransportError) as error:
        send(webhook_message(), url, webhook_config())
    assert not error.value.permanent
    assert "connection refused" in error.value.reason


def test_webhook_to_a_private_address_is_refused_without_a_request(http_sink):
    with pytest.raises(TransportError) as error:
        send(webhook_message(), http_sink.url(), webhook_config(allow_loopback_webhooks=False))
    assert error.value.permanent
    assert http_sink.requests == []


# --- sms (Twilio intercepted) --------------------------------------------------------------------------------

def sms_message():
    return render("incident.updated", "sms", incident_context(), TEMPLATES)


@responses.activate
def test_sms_goes_to_twilio_with_the_number_and_the_text():
    responses.add(responses.POST, TWILIO_API, status=201, json={"sid": "SM1", "status": "queued"})
    message = sms_message()
    send(message, "+1 (415) 555-2671", SendConfig(sms_url=TWILIO_URL))
    [call] = responses.calls
    form = parse_qs(call.request.body)
    assert form["To"] == ["+14155552671"]
    assert form["From"] == ["+15550001111"]
    assert form["Body"] == [message.text]
    assert form["Body"][0].endswith("https://s.t/i/abc")


@responses.activate
def test_sms_invalid_number_answer_from_twilio_is_permanent():
    responses.add(responses.POST, TWILIO_API, status=400, json={
        "code": 21211, "message": "The 'To' number +14155552671 is not a valid phone number.", "status": 400})
    with pytest.raises(TransportError) as error:
        send(sms_message(), "+14155552671", SendConfig(sms_url=TWILIO_URL))
    assert error.value.permanent
    assert "is not a valid phone number" in error.value.reason


@pytest.mark.parametrize("status, body", [(503, {"code": 20503, "message": "Service unavailable"}),
                                          (429, {"code": 20429, "message": "Too Many Requests"}),
                                          (500, None)])
@responses.activate
def test_sms_provider_outage_or_rate_limit_is_transient(status, body):
    if body is None:
        responses.add(responses.POST, TWILIO_API, status=status, body="<html>oops</html>")
    else:
        responses.add(responses.POST, TWILIO_API, status=status, json=body)
    with pytest.raises(TransportError) as error:
        send(sms_message(), "+14155552671", SendConfig(sms_url=TWILIO_URL))
    assert not error.value.permanent


def test_sms_to_a_landline_is_permanent_without_calling_the_provider():
    with responses.RequestsMock() as intercepted:
        with pytest.raises(TransportError) as error:
            send(sms_message(), "+49 30 12345678", SendConfig(sms_url=TWILIO_URL))
        assert len(intercepted.calls) == 0
    assert error.value.permanent and "mobile" in error.value.reason


# --- chat (Slack intercepted) --------------------------------------------------------------------------------

def chat_message():
    return render("incident.updated", "chat", incident_context(), TEMPLATES)


@responses.activate
def test_chat_posts_title_body_and_link_to_slack():
    responses.add(responses.POST, SLACK_HOOK, status=200, body="ok")
    send(chat_message(), SLACK_HOOK, SendConfig())
    [call] = responses.calls
    posted = json.dumps(json.loads(call.request.body))
    assert "Identified: API errors" in posted
    assert "bad deploy" in posted
    assert "https://status.acme.test/incidents/inc1" in posted


@responses.activate
def test_chat_slack_server_error_is_transient():
    responses.add(responses.POST, SLACK_HOOK, status=500, body="internal_error")
    with pytest.raises(TransportError) as error:
        send(chat_message(), SLACK_HOOK, SendConfig())
    assert not error.value.permanent
    assert "Slack" in error.value.reason


@responses.activate
def test_chat_slack_webhook_that_no_longer_exists_is_permanent():
    responses.add(responses.POST, SLACK_HOOK, status=404, body="no_service")
    with pytest.raises(TransportError) as error:
        send(chat_message(), SLACK_HOOK, SendConfig())
    assert error.value.permanent


def test_chat_url_apprise_does_not_support_is_permanent():
    with pytest.raises(TransportError) as error:
        send(chat_message(), "nonsense://whatever", SendConfig())
    assert error.value.permanent
    assert "not supported" in error.value.reason


def test_unknown_channel_is_permanent():
    with pytest.raises(TransportError) as error:
        send(Message("pager", text="hi"), "123", SendConfig())
    assert error.value.permanent


def test_webhook_host_resolving_to_a_private_address_is_refused(monkeypatch):
    def resolve(host, *args, **kwargs):
        assert host == "hooks.example.com"
        return [(2, 1, 6, "", ("10.0.0.7", 0))]

    monkeypatch.setattr("socket.getaddrinfo", resolve)
    with pytest.raises(TransportError) as error:
        send(webhook_message(), "https://hooks.example.com/status", webhook_config(allow_loopback_webhooks=False))
    assert error.value.permanent
    assert "hooks.example.com resolves to a private address 10.0.0.7" in error.value.reason
