"""The egress guard (issue 7, finding 1): a chat or webhook send connects only to an address that was checked,
once; a DNS answer that changes after the check (rebinding) or a redirect cannot reach a private host; loopback
is reachable only with ALLOW_LOOPBACK_WEBHOOKS, and then loopback only. The SSRF table is in
``test_egress_ssrf_table.py``; the stubs (``dns``, ``connections``) in ``egress_stubs.py``.
"""
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from conftest import require
from egress_stubs import PUBLIC, chat_message, webhook_message

from notifiers import SendConfig, TransportError, egress, send
from notifiers.channels import InvalidTarget, validate_target


def test_a_chat_name_rebound_to_loopback_after_subscribing_is_refused_on_sending(
        client, dns, connections, http_sink):
    dns.sequence("rebind.stub.test", [PUBLIC], ["127.0.0.1"])
    target = f"json://rebind.stub.test:{http_sink.port}/hook"
    signed_up = client.post("/subscribe", data={"channel": "chat", "chat_url": target, "scope": "all",
                                                "min_impact": "none"})
    assert signed_up.status_code in (200, 201)
    assert dns.lookups == ["rebind.stub.test"]  # checked on subscribing
    with pytest.raises(TransportError) as refused:
        send(chat_message(), target, SendConfig())
    assert refused.value.permanent
    assert "rebind.stub.test resolves to a private address 127.0.0.1" in refused.value.reason
    assert http_sink.requests == [] and connections == []


def test_a_webhook_connects_to_the_address_it_checked_even_when_dns_rebinds(dns, connections, http_sink):
    # The first answer is public, every later one loopback: a second lookup at connect time would reach the sink.
    dns.sequence("rebind.stub.test", [PUBLIC], ["127.0.0.1"])
    with pytest.raises(TransportError) as failed:
        send(webhook_message(), f"https://rebind.stub.test:{http_sink.port}/hook", SendConfig())
    assert not failed.value.permanent  # the public address did not answer: try again later
    assert connections == [PUBLIC] and dns.lookups == ["rebind.stub.test"]
    assert http_sink.requests == []


def test_a_chat_redirect_to_a_private_host_is_not_followed(dns, connections, http_sink):
    http_sink.status = 307
    http_sink.headers["Location"] = "http://private.stub.test:8080/internal"
    with pytest.raises(TransportError) as refused:
        send(chat_message(), f"json://127.0.0.1:{http_sink.port}/hook", SendConfig(allow_loopback_webhooks=True))
    assert refused.value.permanent
    assert "private.stub.test resolves to a private address 10.0.0.7" in refused.value.reason
    assert connections == ["127.0.0.1"] and len(http_sink.requests) == 1


def test_allow_loopback_admits_loopback_but_no_other_private_range(dns, connections):
    for channel, target in [("webhook", "https://10.0.0.5/hook"), ("webhook", "https://167772161/hook"),
                            ("chat", "json://169.254.169.254/hook"), ("chat", "json://[fd00::1]/hook")]:
        with pytest.raises(InvalidTarget, match="use a public host"):
            validate_target(channel, target, allow_loopback=True)
    with pytest.raises(InvalidTarget, match="resolves to a private address 169.254.169.254"):
        validate_target("chat", "json://metadata.stub.test/hook", allow_loopback=True, resolve=True)
    with pytest.raises(TransportError, match="resolves to a private address 10.0.0.7") as refused:
        send(chat_message(), "json://private.stub.test/hook", SendConfig(allow_loopback_webhooks=True))
    assert refused.value.permanent and connections == []


def test_loopback_delivery_still_works_when_allowed_and_keeps_the_original_host_header(dns, http_sink):
    send(chat_message(), f"json://loopback.stub.test:{http_sink.port}/hook",
         SendConfig(allow_loopback_webhooks=True))
    send(webhook_message(), http_sink.url("/hook"), SendConfig(allow_loopback_webhooks=True))
    received = http_sink.wait_for(2)
    assert [r.headers["Host"] for r in received] == [f"loopback.stub.test:{http_sink.port}",
                                                      f"127.0.0.1:{http_sink.port}"]
    assert received[1].json() == {"incident": {"name": "API degraded"}}


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1",
                                  "0", "0.0.0.0", "[::1]", "[::]", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]",
                                  "loopback.stub.test", "mapped.stub.test"])
def test_the_guard_refuses_every_form_of_loopback_before_connecting(host, dns, connections, http_sink):
    with egress.guard() as guard, pytest.raises(requests.ConnectionError):
        requests.post(f"http://{host}:{http_sink.port}/hook", data=b"{}", timeout=2)
    assert guard.refusal and "resolves to a private address" in guard.refusal
    assert connections == [] and http_sink.requests == []


def test_the_guard_resolves_each_connection_once_and_connects_to_that_answer(dns, connections, http_sink):
    dns.sequence("pinned.stub.test", ["127.0.0.1"], ["10.0.0.9"])
    with egress.guard(allow_loopback=True) as guard:
        response = requests.get(f"http://pinned.stub.test:{http_sink.port}/hook", timeout=2)
    assert response.status_code == 200 and guard.refusal is None
    assert dns.lookups == ["pinned.stub.test"] and connections == ["127.0.0.1"]
    assert http_sink.requests[0].headers["Host"] == f"pinned.stub.test:{http_sink.port}"


def test_connections_outside_a_guard_are_left_alone(http_sink):
    with egress.guard():  # installs the process-wide hook
        pass
    assert requests.get(http_sink.url("/plain"), timeout=2).status_code == 200


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for tls.stub.test that records the SNI name
    and Host header of each request."""
    openssl = shutil.which("openssl")
    require(openssl is not None, "openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=tls.stub.test", "-addext", "subjectAltName=DNS:tls.stub.test", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    seen: dict[str, list] = {"sni": [], "host": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["host"].append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_address[1], cert, seen
    server.shutdown()
    server.server_close()


def test_a_pinned_https_connection_keeps_sni_and_certificate_checks_for_the_original_name(dns, tls_server):
    port, cert, seen = tls_server
    dns.answers["tls.stub.test"] = [["127.0.0.1"]]
    with egress.guard(allow_loopback=True):
        response = requests.get(f"https://tls.stub.test:{port}/hook", verify=str(cert), timeout=5)
    assert response.status_code == 204
    assert seen == {"sni": ["tls.stub.test"], "host": [f"tls.stub.test:{port}"]}
    dns.answers["other.stub.test"] = [["127.0.0.1"]]
    with egress.guard(allow_loopback=True), pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://other.stub.test:{port}/hook", verify=str(cert), timeout=5)


def test_a_pinned_https_webhook_keeps_sni_and_certificate_checks_for_the_original_name(dns, tls_server,
                                                                                      monkeypatch):
    from notifiers import transport

    port, cert, seen = tls_server
    dns.answers["tls.stub.test"] = dns.answers["other.stub.test"] = [["127.0.0.1"]]
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the system store, as libcurl is told to read it
    monkeypatch.setenv("SSL_CERT_DIR", str(cert.parent))
    transport._ca_options.cache_clear()
    transport.TRANSPORT.clear()
    try:
        send(webhook_message(), f"https://tls.stub.test:{port}/hook", SendConfig(allow_loopback_webhooks=True))
        assert seen == {"sni": ["tls.stub.test"], "host": [f"tls.stub.test:{port}"]}
        with pytest.raises(TransportError) as refused:  # same address, a name the certificate does not carry
            send(webhook_message(), f"https://other.stub.test:{port}/hook",
                 SendConfig(allow_loopback_webhooks=True))
        assert not refused.value.permanent and "certificate" in refused.value.reason.lower()
    finally:
        transport._ca_options.cache_clear()
    assert len(seen["host"]) == 1


@pytest.mark.parametrize("url", ["irc://status@irc.example.com/#ops", "ircs://status@2130706433:6697/#ops"])
def test_chat_services_that_open_their_own_sockets_are_refused(url, client, connections):
    # IRC (like MQTT, XMPP, AMQP, Growl, SMPP) bypasses urllib3, so the send-time guard could not pin it.
    signed_up = client.post("/subscribe", data={"channel": "chat", "chat_url": url, "scope": "all",
                                                "min_impact": "none"})
    assert signed_up.status_code == 422 and "is not supported for notifications here" in signed_up.get_data(
        as_text=True)
    with pytest.raises(TransportError, match="is not supported") as refused:
        send(chat_message(), url, SendConfig())
    assert refused.value.permanent and connections == []


def test_the_guard_follows_apprise_into_its_worker_threads(dns, connections, http_sink):
    from apprise import Apprise, AppriseAsset

    apprise = Apprise(asset=AppriseAsset(async_mode=True))  # two services: Apprise sends them in parallel
    apprise.add([f"json://loopback.stub.test:{http_sink.port}/a", f"json://mapped.stub.test:{http_sink.port}/b"])
    with egress.guard() as guard:
        assert not apprise.notify(body="API degraded")
    assert "resolves to a private address" in guard.refusal
    assert connections == [] and http_sink.requests == []
