"""Real message sinks on 127.0.0.1 for notification tests: an SMTP server (aiosmtpd) and an HTTP sink."""
import contextlib
import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage
    peer: tuple = ()  # the client's (address, port): one per SMTP connection

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        """The text of the text/<subtype> part ('plain' or 'html')."""
        body = self.message.get_body(preferencelist=(subtype,))
        return body.get_content() if body is not None else ""


class SmtpSink:
    """An aiosmtpd server collecting every message it receives."""

    def __init__(self, **smtp_parameters):
        from aiosmtpd.controller import Controller

        self.messages: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **smtp_parameters)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self._lock:
            self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message,
                                              tuple(session.peer or ())))
        return "250 Message accepted for delivery"

    def url(self, sender: str = "status@example.com") -> str:
        """The Apprise sender URL for this sink, without a recipient."""
        return f"mailto://127.0.0.1:{self.port}?mode=insecure&from={sender}"

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        wait_until(lambda: len(self.messages) >= count, timeout)
        return list(self.messages)


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict
    body: bytes
    client: tuple = ()  # the client's (address, port): one per TCP connection

    def json(self):
        return json.loads(self.body)


class _RoomyServer(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a worker sending 8 at once would overflow it and the kernel
    # would drop SYNs (a 1 s client retry each). Real receivers listen with 128 or more.
    request_queue_size = 128
    daemon_threads = True

    def __init__(self, *args, **kwargs):
        self.open_sockets: set[socket.socket] = set()  # kept-alive connections, cut when the sink stops
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.open_sockets.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        for sock in list(self.open_sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@dataclass
class HttpSink:
    """A threaded HTTP server recording requests; answer codes can be scripted, and it can go down."""

    port: int = field(default_factory=free_port)
    requests: list[ReceivedRequest] = field(default_factory=list)
    status: int = 200
    script: list[int] = field(default_factory=list)  # statuses for the next requests, then ``status``
    headers: dict = field(default_factory=dict)  # extra response headers (e.g. a redirect's Location)
    server: ThreadingHTTPServer | None = None

    def start(self) -> "HttpSink":
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers answer
            disable_nagle_algorithm = True  # headers and body leave at once (no delayed-ACK stall)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                sink.requests.append(ReceivedRequest(self.command, self.path, dict(self.headers), body,
                                                     self.client_address))
                code = sink.script.pop(0) if sink.script else sink.status
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                for name, value in sink.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_PUT = do_GET = _handle

            def log_message(self, *args):
                pass

        self.server = _RoomyServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server.cut_connections()  # a receiver that is down answers no kept-alive connection either
            self.server = None

    def url(self, path: str = "/hook", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        wait_until(lambda: len(self.requests) >= count, timeout)
        return list(self.requests)


@pytest.fixture
def smtp_sink():
    """A real SMTP server on 127.0.0.1; ``smtp_sink.url()`` is an Apprise mailto sender URL."""
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def http_sink():
    """A real HTTP server on 127.0.0.1 recording requests (``http_sink.url('/path')``)."""
    sink = HttpSink().start()
    yield sink
    sink.stop()
