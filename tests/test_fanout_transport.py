"""Fan-out at the speed of the wire: one render shared by an event's subscribers, one SMTP connection carrying
many emails, and emails that thread per incident (kept-alive webhook connections: test_webhook_pool.py)."""
import json
import time
from dataclasses import replace

import pytest
from sinks import SmtpSink
from test_notifiers_render import TEMPLATES, confirm_context, incident_context

from notifiers import SendConfig, TransportError, render, send
from notifiers.render_once import RenderCache
from statuspage.markdown_text import markdown_text

EVENTS = ["incident.opened", "incident.updated", "incident.resolved", "maintenance.scheduled"]


def subscriber_context(context, number, manage="https://status.acme.test/subscriptions/t{n}?a=1&b=<2>"):
    link = manage.format(n=number)
    return context | {"subscriber": context["subscriber"] | {
        "id": f"sub{number}", "manage_url": link, "unsubscribe_url": f"{link}/unsubscribe",
        "unsubscribe_post_url": f"{link}/unsubscribe?one-click=1",
        "confirm_url": f"https://status.acme.test/subscriptions/c{number}/confirm"}}


def comparable(message):
    """A message's parts, the webhook body as parsed JSON without its render time."""
    payload = json.loads(message.body) if message.body is not None else message.payload
    if payload:
        payload = json.loads(json.dumps(payload))
        payload["meta"].pop("generated_at")
    return (message.subject, message.text, message.html, message.markdown, payload, message.headers)


@pytest.mark.parametrize("audience", ["public", "internal"])
@pytest.mark.parametrize("channel", ["email", "sms", "chat", "webhook"])
@pytest.mark.parametrize("event", EVENTS)
def test_a_shared_render_filled_for_a_subscriber_equals_rendering_for_that_subscriber(event, channel, audience):
    cache = RenderCache()
    base = incident_context(audience, event=event)
    for number in range(3):
        context = subscriber_context(base, number)
        shared = cache.message(event, channel, context, TEMPLATES, event_key=7)
        assert comparable(shared) == comparable(render(event, channel, context, TEMPLATES))
    assert cache.misses == 1 and cache.hits == 2


def test_each_subscriber_gets_their_own_links_escaped_in_the_html_part():
    cache = RenderCache()
    base = incident_context()
    first = cache.message("incident.updated", "email", subscriber_context(base, 1), TEMPLATES, event_key=1)
    second = cache.message("incident.updated", "email", subscriber_context(base, 2), TEMPLATES, event_key=1)
    assert "subscriptions/t1?a=1&b=<2>/unsubscribe" in first.text and "t2" not in first.text
    assert "subscriptions/t2?a=1&amp;b=&lt;2&gt;/unsubscribe" in second.html and "t1" not in second.html
    assert second.headers["List-Unsubscribe"] == "<https://status.acme.test/subscriptions/t2?a=1&b=<2>" \
                                                 "/unsubscribe?one-click=1>"


def test_a_webhook_body_carries_each_subscribers_unsubscribe_link_as_json():
    cache = RenderCache()
    base = incident_context()
    for number in (1, 2):
        message = cache.message("incident.updated", "webhook", subscriber_context(base, number, 'x"{n}\\'),
                                TEMPLATES, event_key=3)
        assert json.loads(message.body)["meta"]["unsubscribe"] == f'x"{number}\\/unsubscribe'


@pytest.mark.parametrize("audience", ["public", "internal"])
@pytest.mark.parametrize("event", EVENTS)
def test_the_workers_webhook_body_is_the_body_of_the_subscribers_own_render(event, audience):
    """What the worker posts (`webhook_body`: the shared body cut at its markers, joined with the subscriber's
    values) is what rendering for that subscriber gives, quotes and backslashes in their links included."""
    cache = RenderCache()
    base = incident_context(audience, event=event)
    for number in range(3):
        context = subscriber_context(base, number, 'https://s.test/x"{n}\\?a=<1>&b=\u2028')
        body = cache.webhook_body(event, context, TEMPLATES, event_key=11)
        own = render(event, "webhook", context, TEMPLATES)
        assert comparable(replace(own, payload=None, body=body)) == comparable(own)
        assert f'x\\"{number}'.encode() in body
    assert cache.misses == 1 and cache.hits == 2


def test_events_and_audiences_do_not_share_a_render():
    cache = RenderCache()
    public, internal = incident_context("public"), incident_context("internal")
    cache.message("incident.updated", "email", subscriber_context(public, 1), TEMPLATES, event_key=1)
    staff = cache.message("incident.updated", "email", subscriber_context(internal, 1), TEMPLATES, event_key=1)
    assert "P1 Critical" in staff.text
    cache.message("incident.updated", "email", subscriber_context(public, 1), TEMPLATES, event_key=2)
    assert cache.misses == 3 and cache.hits == 0


def test_the_cache_is_bounded():
    cache = RenderCache(maxsize=4)
    for event_id in range(10):
        cache.message("incident.updated", "chat", subscriber_context(incident_context(), 1), TEMPLATES,
                      event_key=event_id)
    assert len(cache._renders) == 4


def test_a_confirmation_is_rendered_for_its_one_subscriber():
    cache = RenderCache()
    message = cache.message("subscription.confirm", "sms", confirm_context(), TEMPLATES, event_key=5)
    assert "482913" in message.text and cache.misses == cache.hits == 0


# --- email: one connection for many messages ---------------------------------------------------------------

def email_message(number=1, event="incident.updated"):
    context = subscriber_context(incident_context(event=event), number)
    context["thread"] = {"message_id": f"<incident.inc1.{number}.public@status.acme.test>",
                         "root_id": "<incident.inc1@status.acme.test>"}
    return render(event, "email", context, TEMPLATES)


def test_many_emails_travel_over_one_smtp_connection(smtp_sink):
    config = SendConfig(smtp_url=smtp_sink.url())
    for number in range(5):
        send(email_message(number), f"user{number}@example.com", config)
    mail = smtp_sink.wait_for(5)
    assert len(mail) == 5 and len({m.peer for m in mail}) == 1


def test_a_connection_the_server_dropped_is_replaced_and_the_message_still_arrives():
    sink = SmtpSink(timeout=0.3)  # the server hangs up on a client idle for 0.3 s
    sink.controller.start()
    try:
        config = SendConfig(smtp_url=sink.url())
        send(email_message(1), "one@example.com", config)
        time.sleep(0.8)
        send(email_message(2), "two@example.com", config)
        mail = sink.wait_for(2)
        assert [m.rcpt_tos for m in mail] == [["one@example.com"], ["two@example.com"]]
        assert mail[0].peer != mail[1].peer
    finally:
        sink.controller.stop()


def test_a_server_gone_fails_only_the_messages_it_did_not_accept():
    sink = SmtpSink()
    sink.controller.start()
    config = SendConfig(smtp_url=sink.url(), timeout=2)
    send(email_message(1), "one@example.com", config)
    send(email_message(2), "two@example.com", config)
    sink.controller.stop()
    with pytest.raises(TransportError) as error:
        send(email_message(3), "three@example.com", config)
    assert not error.value.permanent
    assert [m.rcpt_tos for m in sink.messages] == [["one@example.com"], ["two@example.com"]]


def test_an_incidents_emails_thread_to_its_first_message(smtp_sink):
    send(email_message(1), "ops@example.com", SendConfig(smtp_url=smtp_sink.url()))
    [mail] = smtp_sink.wait_for(1)
    assert mail.message["Message-ID"] == "<incident.inc1.1.public@status.acme.test>"
    assert mail.message["In-Reply-To"] == mail.message["References"] == "<incident.inc1@status.acme.test>"
    assert len(mail.message.get_all("Message-ID")) == 1


def test_markdown_becomes_readable_text():
    text = markdown_text("## What happened\n\nA **bad** deploy of the [gateway](https://example.com/gw).\n\n"
                         "- rolled back\n- watching `errors`\n\n```\nretry=3\n```")
    assert text == ("What happened\n-------------\n\nA bad deploy of the gateway (https://example.com/gw).\n\n"
                    "- rolled back\n- watching errors\n\n    retry=3")


# --- through the worker ------------------------------------------------------------------------------------

def test_the_idempotency_key_is_the_same_on_every_retry_of_a_shared_render(app, smtp_sink, http_sink):
    from test_worker import states, subscribe

    from statuspage.domain.incidents import open_incident
    from statuspage.domain.recording import SYSTEM
    from statuspage.worker import run_worker

    app.config.update(ALLOW_LOOPBACK_WEBHOOKS=True, RETRY_BASE_SECONDS=0.01, RETRY_MAX_SECONDS=0.02)
    subscribe("webhook", http_sink.url("/flaky"))
    subscribe("webhook", http_sink.url("/steady"))
    http_sink.script = [503, 200, 500]  # /flaky fails twice (the order of the first two sends is the claim's)
    open_incident(SYSTEM, name="Down", body="Looking")
    for _ in range(20):
        run_worker(app, once=True)
        if states() == {"sent": 2}:
            break
        time.sleep(0.05)
    keys = {}
    for request in http_sink.requests:
        keys.setdefault(request.path, set()).add(request.headers["Idempotency-Key"])
    assert len(http_sink.requests) >= 3 and states() == {"sent": 2}
    assert all(len(k) == 1 for k in keys.values()) and keys["/flaky"] != keys["/steady"]


def test_incident_emails_thread_and_read_as_text(app, smtp_sink):
    from test_worker import subscribe

    from statuspage.domain.incidents import open_incident, post_update
    from statuspage.domain.recording import SYSTEM
    from statuspage.worker import run_worker

    app.config.update(SMTP_URL=smtp_sink.url())
    subscribe("email", "ops@example.com")
    incident = open_incident(SYSTEM, name="API errors", body="We are **investigating**.")
    run_worker(app, once=True)
    post_update(SYSTEM, incident.id, body="## What happened\n\nA bad [deploy](https://example.com/d).",
                status="identified")
    run_worker(app, once=True)
    first, second = smtp_sink.wait_for(2)
    root = f"<incident.{incident.id}@status.test>"
    assert first.message["Message-ID"] == root and first.message["In-Reply-To"] is None
    assert second.message["Message-ID"] not in (None, root)
    assert second.message["In-Reply-To"] == second.message["References"] == root
    text = second.part("plain").replace("\r\n", "\n")
    assert "What happened\n-------------" in text and "A bad deploy (https://example.com/d)." in text
    assert "**" not in first.part("plain") and "##" not in text and "investigating" in first.part("plain")
