"""Webhooks over kept-alive connections (`notifiers.transport`): a host's connections serve whichever thread
sends next, are opened by the egress guard and pinned to the address it checked, and are closed when too old or
left idle."""
import time

from test_notifiers_render import TEMPLATES, incident_context

from notifiers import SendConfig, egress, render, send, webhook
from notifiers.transport import TRANSPORT


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
