"""The one egress guard: outbound requests to targets a stranger chose reach public addresses only.

Webhook and chat targets are typed by subscribers, API clients and integrations, so a target can name the
worker's own loopback, the cloud metadata service or a private network (SSRF). Two checks close that:

- **On subscribing**, `check_host` resolves the target's host once and refuses it when any address it
  resolves to is not public (`refused_address`: loopback, private, link-local, CGNAT, unique-local,
  multicast, reserved, unspecified, and IPv4 hidden in IPv4-mapped, NAT64, 6to4 and Teredo addresses). A
  name that does not resolve now passes: it reaches nothing, and the send checks again.
- **On every send**, `guard()` is active around the Apprise call. While it is, every TCP connection that
  urllib3 opens in this context (``requests``, hence every HTTP-based Apprise plugin, each redirect hop
  included) resolves its host exactly once through `socket.getaddrinfo`, is refused when any answer is not
  public, and connects to the addresses that were checked. A DNS answer that changes between the check and
  the connection (rebinding) cannot redirect it: there is no second lookup. A refusal is kept on the guard
  (``guard.refusal``) so the caller can report it as a permanent failure whatever the plugin made of the
  connection error. Webhooks are sent through libcurl instead (``notifiers.webhook.post``, ``notifiers.transport``)
  and follow the same rule with the same functions: `resolve` once, the checked answers pinned into libcurl,
  each connection opened from Python to a checked address.

Host names are read as the system resolver reads them: ``socket.getaddrinfo`` (and ``inet_aton`` for the
resolver-free `literal_address`) turn ``2130706433``, ``0x7f000001``, ``0177.0.0.1`` and ``127.1`` into
127.0.0.1, so the check and the connection cannot disagree about what a host means.

Why a hook on ``urllib3.util.connection.create_connection`` and not `requests-hardened`'s adapter: Apprise
plugins call ``requests.post()`` on sessions they create themselves, so there is no session to mount an
adapter on; its adapter also checks only the first DNS answer and raises a ``RequestException`` that the
plugins log as a transient connection error. Hooking the socket connection covers every plugin, every
redirect hop and every retry; because urllib3 still believes it talks to the host name, the Host header, TLS
SNI and certificate verification stay those of the original name with nothing rewritten. The hook is
installed once, process-wide, and does nothing where no guard is active. The active guard lives in a context
variable, not a thread-local: Apprise copies the caller's context into any worker thread it sends from.
Services that open their own sockets (IRC, XMPP, MQTT, ...) bypass urllib3; ``notifiers.channels`` refuses them.

``allow_loopback`` (``STATUSPAGE_ALLOW_LOOPBACK_WEBHOOKS=1``, for tests and development) admits loopback
addresses only; other private ranges stay refused. An outbound proxy is a connection like any other: one on
a private address is refused while the guard is active.
"""
from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import threading
from collections.abc import Iterator

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not covered by ipaddress's is_private/is_reserved on every Python we run on.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_EXTRA_REFUSED = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("192.88.99.0/24"),
                  ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:db8::/32"))
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class EgressRefused(OSError):
    """A connection the guard refused; ``reason`` says which host resolved to which address."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def refused_address(address: IPAddress, allow_loopback: bool = False) -> str | None:
    """What kind of non-public address ``address`` is ("loopback", "private", ...), or None if public."""
    if isinstance(address, ipaddress.IPv6Address):
        for embedded in _embedded_ipv4(address):  # only a mapped address really reaches the IPv4 loopback
            kind = refused_address(embedded, allow_loopback and address.ipv4_mapped is not None)
            if kind:
                return kind
        if address.ipv4_mapped or any(address in network for network in _NAT64):
            return None  # judged by the IPv4 address it carries (its IPv6 wrapper reads as private)
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    for kind, hit in (("unspecified", address.is_unspecified), ("link-local", address.is_link_local),
                      ("multicast", address.is_multicast), ("shared (CGNAT)", address in _CGNAT),
                      ("private", address.is_private or any(address in n for n in _EXTRA_REFUSED)),
                      ("reserved", address.is_reserved or not address.is_global)):
        if hit:
            return kind
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv4-mapped, NAT64, 6to4 or Teredo address leads to."""
    if address.ipv4_mapped:
        return [address.ipv4_mapped]
    if any(address in network for network in _NAT64):
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour:
        return [address.sixtofour]
    return list(address.teredo or ())


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` is without any DNS lookup, read as the system resolver reads it (IPv6 with or
    without brackets and zone, IPv4 in inet_aton's decimal, hex, octal and short forms), or None for a name."""
    host = host.strip().strip("[]").split("%", 1)[0].rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host or not all(c.isalnum() or c == "." for c in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def resolve(host: str, port: int | None, allow_loopback: bool = False) -> list[tuple]:
    """Resolve ``host`` once; every ``getaddrinfo`` answer, or `EgressRefused` if any is not public.
    Resolver errors (``socket.gaierror``) propagate."""
    name = host.strip("[]")
    answers = socket.getaddrinfo(name, port, _gai_family(), socket.SOCK_STREAM)
    for answer in answers:
        address = ipaddress.ip_address(str(answer[4][0]).split("%", 1)[0])
        kind = refused_address(address, allow_loopback)
        if kind:
            detail = "" if kind == "private" else f" ({kind})"
            raise EgressRefused(f"{name} resolves to a private address {address}{detail}; use a public host.")
    return answers


def check_host(host: str, allow_loopback: bool = False) -> None:
    """On subscribing: `EgressRefused` when ``host`` resolves to a non-public address. A name that does not
    resolve passes (it reaches nothing now, and every send checks again)."""
    try:
        resolve(host, None, allow_loopback)
    except (socket.gaierror, UnicodeError, ValueError):
        return


class Guard:
    """The guard of one send: whether loopback is admitted, and the first refusal it made (or None)."""

    def __init__(self, allow_loopback: bool):
        self.allow_loopback = allow_loopback
        self.refusal: str | None = None


_active: contextvars.ContextVar[Guard | None] = contextvars.ContextVar("egress_guard", default=None)
_install_lock = threading.Lock()
_original_create_connection = None


@contextlib.contextmanager
def guard(allow_loopback: bool = False) -> Iterator[Guard]:
    """While active, every urllib3 connection in this context is resolved once, checked and pinned."""
    _install()
    current = Guard(allow_loopback)
    token = _active.set(current)
    try:
        yield current
    finally:
        _active.reset(token)


def active() -> Guard | None:
    """The guard active in this context, or None (pooled connections are kept apart per guard policy)."""
    return _active.get()


def _guarded_create_connection(address, *args, **kwargs):
    """urllib3's ``create_connection``, resolved once, checked and pinned when a guard is active."""
    current = _active.get()
    if current is None:
        return _original_create_connection(address, *args, **kwargs)
    host, port = address
    try:
        answers = resolve(host, port, current.allow_loopback)
    except EgressRefused as refused:
        current.refusal = current.refusal or refused.reason
        raise
    error: OSError | None = None
    for answer in answers:  # connect to the checked addresses, never to the name again
        try:
            return _original_create_connection((answer[4][0], port), *args, **kwargs)
        except OSError as failed:
            error = failed
    raise error or OSError(f"{host} has no address")


def _install() -> None:
    global _original_create_connection
    with _install_lock:
        if _original_create_connection is not None:
            return
        from urllib3.util import connection

        _original_create_connection = connection.create_connection
        connection.create_connection = _guarded_create_connection


def _gai_family() -> int:
    from urllib3.util.connection import allowed_gai_family

    return allowed_gai_family()
