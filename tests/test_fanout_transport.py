"""Fan-out at the speed of the wire: one render shared by an event's subscribers, kept-alive webhook pools
that the egress guard opened, one SMTP connection carrying many emails, and emails that thread per incident."""
import json
import time
from dataclasses import replace

import pytest
from sinks import SmtpSink
from test_notifiers_render import TEMPLATES, confirm_context, incident_context

from notifiers import SendConfig, TransportError, egress, render, send, webhook
from notifiers.render_once import RenderCache
from notifiers.transport import TRANSPORT
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


# --- webhooks: kept-alive pools opened by the egress guard --------------------------------------------------

def post(url, allow_loopback=True):
    """One webhook POST under the egress guard; returns the guard's refusal or the failure, if any."""
    with egress.guard(allow_loopback) as guard:
        failure = webhook.post(url, b"{}", webhook.header_lines({"Idempotency-Key": "k"}), 3, 3)
    return guard.refusal or (failure and failure[0])


def test_webhooks_to_one_host_share_one_kept_alive_connection(http_sink):
    for number in range(5):
        send(render("incident.updated", "webhook", incident_context(), TEMPLATES), http_sink.url(f"/{number}"),
             SendConfig(allow_loopback_webhooks=True, webhook_secret="s", idempotency_key=f"k{number}"))
    received = http_sink.wait_for(5)
    assert len({r.client for r in received}) == 1


def test_a_hosts_kept_alive_connection_serves_whichever_thread_sends_next(http_sink):
    """A lane's 32 threads take a fan-out's hosts in turn: a host keeps its few connections whichever thread
    posts to it (a connection per thread would open 16 here)."""
    import threading

    TRANSPORT.clear()
    turn = threading.Lock()

    def one_post(number):
        with turn:  # one at a time: one connection is enough
            assert post(http_sink.url(f"/t{number}")) is None

    threads = [threading.Thread(target=one_post, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.client for r in http_sink.wait_for(16)}) == 1


def test_a_pooled_connection_is_never_reopened_after_a_dns_change_to_a_private_address(dns, connections,
                                                                                      http_sink):
    TRANSPORT.clear()
    dns.sequence("rebind.stub.test", ["127.0.0.1"], ["10.0.0.7"])
    url = f"http://rebind.stub.test:{http_sink.port}/hook"
    assert post(url) is None and post(url) is None  # the second reuses the checked connection: no lookup
    assert dns.lookups == ["rebind.stub.test"] and connections == ["127.0.0.1"]
    assert http_sink.requests[0].headers["Host"] == f"rebind.stub.test:{http_sink.port}"

    TRANSPORT.max_age, max_age = 0.0, TRANSPORT.max_age  # the checked answer's time is up: looked up again
    try:
        refusal = post(url)
    finally:
        TRANSPORT.max_age = max_age
    assert "10.0.0.7" in refusal
    assert dns.lookups == ["rebind.stub.test"] * 2 and connections == ["127.0.0.1"]
    assert len(http_sink.requests) == 2


def test_connections_older_than_their_age_are_not_reused(http_sink):
    TRANSPORT.clear()
    assert post(http_sink.url("/a")) is None and post(http_sink.url("/b")) is None
    TRANSPORT.clear()  # what POOL_MAX_AGE does to every connection, at once
    assert post(http_sink.url("/c")) is None
    first, second, third = (r.client for r in http_sink.wait_for(3))
    assert first == second != third


def test_an_idle_connection_is_closed_so_a_receiver_serving_one_connection_at_a_time_gets_the_next(monkeypatch):
    """Python's http.server serves one connection at a time and waits on a kept-alive one for its next request:
    a connection the pool kept idle would block every other connection to it for good. One unused for
    IDLE_SECONDS is closed, and the receiver takes the next."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from notifiers import transport

    class OneAtATime(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(0.1)  # the other POST is in flight meanwhile, on a connection of its own
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    monkeypatch.setattr(transport, "IDLE_SECONDS", 0.3)
    server = HTTPServer(("127.0.0.1", 0), OneAtATime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"

    def send(results):
        with egress.guard(True):
            results.append(webhook.post(url, b"{}", webhook.header_lines({}), 0.5, 0.5))

    TRANSPORT.clear()
    try:
        results = []
        both = [threading.Thread(target=send, args=(results,)) for _ in range(2)]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join()
        assert sorted(results, key=bool) == [None, ("The webhook did not answer within 0.5s.", False)]
        time.sleep(0.4)  # both connections idle longer than IDLE_SECONDS
        later = []
        send(later)
        send(later)
        assert later == [None, None]
    finally:
        TRANSPORT.clear()
        server.shutdown()
        server.server_close()


def test_a_webhook_that_takes_too_long_fails_as_transient_with_the_time_it_was_given():
    from tarpit import Tarpit

    tarpit = Tarpit()
    try:
        with egress.guard(True):
            failure = webhook.post(f"http://127.0.0.1:{tarpit.port}/hook", b"{}", webhook.header_lines({}), 0.3, 0.3)
    finally:
        tarpit.close()
    assert failure == ("The webhook did not answer within 0.3s.", False)


def test_a_pool_opened_while_loopback_was_allowed_is_not_used_when_it_is_not(http_sink):
    assert post(http_sink.url("/a")) is None
    refusal = post(http_sink.url("/b"), allow_loopback=False)
    assert "127.0.0.1" in refusal and [r.path for r in http_sink.requests] == ["/a"]


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
