"""Stubs for the egress guard tests: nothing beyond 127.0.0.1 is reachable here, so `dns` answers
``socket.getaddrinfo`` for ``*.stub.test`` names and `connections` records every TCP connect and refuses any
that is not to 127.0.0.1 without touching the network."""
import socket

import pytest

from notifiers.render import Message

PUBLIC = "93.184.215.14"  # a public address; the connection spy refuses it, nothing leaves the machine

STUB_ANSWERS = {
    "loopback.stub.test": ["127.0.0.1"],
    "metadata.stub.test": ["169.254.169.254"],
    "private.stub.test": ["10.0.0.7"],
    "cgnat.stub.test": ["100.64.0.5"],
    "ula.stub.test": ["fd00::1"],
    "mapped.stub.test": ["::ffff:127.0.0.1"],
    "zero.stub.test": ["0.0.0.0"],
    "mixed.stub.test": [PUBLIC, "127.0.0.1"],  # one private answer is enough to refuse
}

# Hosts that read as loopback, private, link-local or CGNAT to the system resolver but that the original code
# accepted: numeric forms other than dotted quad, 6to4 with an embedded private IPv4, and names that resolve
# to private addresses. Chat URLs go through Apprise, which rejects a few numeric forms itself.
CHAT_HOSTS = ["2130706433", "0x7f000001", "017700000001", "127.000.000.001", "167772161", "0xa9fea9fe",
              "2852039166", "1681915905", "[2002:7f00:1::]", *STUB_ANSWERS]
WEBHOOK_HOSTS = [*CHAT_HOSTS, "0177.0.0.1", "127.1", "127.0.1", "0x7f.1", "0"]


class StubDns:
    """``socket.getaddrinfo`` for ``*.stub.test``: each name answers its list of addresses; a name given a
    sequence (`sequence`) answers one list per lookup, repeating the last."""

    def __init__(self, real):
        self.real = real
        self.answers = {name: [addresses] for name, addresses in STUB_ANSWERS.items()}
        self.lookups: list[str] = []

    def sequence(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in self.answers:
            return self.real(host, port, family, type, proto, flags)
        self.lookups.append(name)
        queue = self.answers[name]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, port or 0, 0, 0) if ":" in ip else (ip, port or 0)) for ip in addresses]


@pytest.fixture
def dns(monkeypatch):
    stub = StubDns(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", stub)
    return stub


@pytest.fixture
def connections(monkeypatch):
    """Every address a TCP connect was attempted to; only 127.0.0.1 is really connected."""
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def connect(self, address):
        attempts.append(address[0])
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(111, "Connection refused (the tests reach 127.0.0.1 only)")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def chat_message() -> Message:
    return Message("chat", text="API degraded", markdown="**API degraded**", subject="API degraded")


def webhook_message() -> Message:
    return Message("webhook", text="API degraded", payload={"incident": {"name": "API degraded"}})


